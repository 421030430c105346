#!/bin/sh
# Inputs and exit statuses: -r (repeatable, "-"), -l, -R, compressed captures,
# truncated captures, unsupported link types, bad paths, -o errors, BPF.
. "$(dirname "$0")/lib.sh"
T=$TCPFLOW
C=$CORPUS
D=$TOP/tests/data/demo.pcap
[ -d "$C" ] || skip "no corpus"

ref=$tmp/ref; mkdir $ref
$T -r $D -o $ref || bad "demo run failed"
refsum=$(sums $ref)
[ "$(echo "$refsum" | wc -l)" = 4 ] && ok "demo: 4 flow files" || bad "demo: expected 4 files, got: $refsum"

# stdin
mkdir $tmp/stdin; $T -r - -o $tmp/stdin < $D && [ "$(sums $tmp/stdin)" = "$refsum" ] && ok "-r - (stdin)" || bad "-r - (stdin)"

# compressed, by magic whatever the name
for z in gzip xz bzip2 zstd; do
    command -v $z >/dev/null || { echo "no $z"; continue; }
    $z -c < $D > $tmp/demo.$z.pcap
    mkdir $tmp/z$z
    $T -r $tmp/demo.$z.pcap -o $tmp/z$z && [ "$(sums $tmp/z$z)" = "$refsum" ] && ok "$z input" || bad "$z input"
done

# -l: the remaining arguments are files
mkdir $tmp/l; $T -o $tmp/l -l $D && [ "$(sums $tmp/l)" = "$refsum" ] && ok "-l" || bad "-l"

# BPF from the remaining arguments: only port 40001
mkdir $tmp/bpf; $T -r $D -o $tmp/bpf port 40001
[ "$(ls $tmp/bpf | grep -c 40001)" = 2 ] && [ "$(ls $tmp/bpf | grep -c 40002)" = 0 ] && ok "BPF expression" || bad "BPF expression: $(ls $tmp/bpf)"
mkdir $tmp/bpfbad; $T -r $D -o $tmp/bpfbad 'port nosuchport' 2>$tmp/err; rc=$?
[ $rc = 1 ] && grep -q . $tmp/err && ok "bad BPF: exit 1 with a message" || bad "bad BPF: rc=$rc $(cat $tmp/err)"

# -R: continues flows already seen, never starts new ones.  Split the demo in two
# at packet 8 (inside the first connection) with our own tiny splitter.
$PY - "$D" $tmp/p1.pcap $tmp/p2.pcap <<'PYEOF'
import sys, struct
d = open(sys.argv[1], 'rb').read()
hdr, recs, i = d[:24], [], 24
while i < len(d):
    n = struct.unpack('<I', d[i+8:i+12])[0]; recs.append(d[i:i+16+n]); i += 16 + n
open(sys.argv[2], 'wb').write(hdr + b''.join(recs[:8]))
open(sys.argv[3], 'wb').write(hdr + b''.join(recs[8:]))
PYEOF
mkdir $tmp/R; $T -r $tmp/p1.pcap -R $tmp/p2.pcap -o $tmp/R
n1=$(ls $tmp/R | grep -c 40001); n2=$(ls $tmp/R | grep -c 40002)
[ $n1 = 2 ] && [ $n2 = 0 ] && ok "-r then -R: only connections already seen" || bad "-R: $(ls $tmp/R)"
cmp -s $tmp/R/198.018.000.002.00080-198.018.000.001.40001 $ref/198.018.000.002.00080-198.018.000.001.40001 \
    && ok "-R completes the first connection" || bad "-R: first connection incomplete"
mkdir $tmp/Ronly; $T -R $D -o $tmp/Ronly; [ -z "$(sums $tmp/Ronly)" ] && ok "-R alone: no flows" || bad "-R alone wrote $(ls $tmp/Ronly)"
mkdir $tmp/two; $T -r $tmp/p1.pcap -r $tmp/p2.pcap -o $tmp/two && [ "$(sums $tmp/two)" = "$refsum" ] \
    && ok "a connection split over two -r files is one file" || bad "two -r files"

# truncated capture: processed up to the damage, one message, exit 1
head -c 1500 $D > $tmp/cut.pcap
mkdir $tmp/cut; $T -r $tmp/cut.pcap -o $tmp/cut 2>$tmp/err; rc=$?
[ $rc = 1 ] && grep -q "cut.pcap" $tmp/err && [ "$(wc -l < $tmp/err)" -le 2 ] && [ -n "$(ls $tmp/cut)" ] \
    && ok "truncated capture: files up to the cut, a message naming the file, exit 1" || bad "truncated: rc=$rc files=$(ls $tmp/cut) err=$(cat $tmp/err)"

# not a capture / missing file
echo "hello" > $tmp/junk.pcap
$T -r $tmp/junk.pcap -o $tmp 2>$tmp/err; rc=$?
[ $rc = 1 ] && grep -q junk.pcap $tmp/err && ok "not a capture: exit 1, named" || bad "junk: rc=$rc $(cat $tmp/err)"
$T -r $tmp/nonexistent.pcap -o $tmp 2>$tmp/err; rc=$?
[ $rc = 1 ] && grep -q nonexistent.pcap $tmp/err && ok "missing file: exit 1, named" || bad "missing: rc=$rc $(cat $tmp/err)"

# unsupported link type (USER0, 147): a message naming it, exit 1
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\223\000\000\000' > $tmp/user0.pcap
printf '\001\000\000\000\000\000\000\000\004\000\000\000\004\000\000\000abcd' >> $tmp/user0.pcap
$T -r $tmp/user0.pcap -o $tmp/nf 2>$tmp/err; rc=$?
[ $rc = 1 ] && grep -q "147 (USER0)" $tmp/err && ok "unsupported link type: exit 1, named" || bad "user0: rc=$rc $(cat $tmp/err)"

# -o: parent must exist; a file is not a directory
$T -r $D -o $tmp/no/such/dir 2>$tmp/err; rc=$?
[ $rc = 1 ] && grep -q "cannot create" $tmp/err && ok "-o missing parent: exit 1" || bad "-o parent: rc=$rc $(cat $tmp/err)"
touch $tmp/afile
$T -r $D -o $tmp/afile 2>$tmp/err; rc=$?
[ $rc = 1 ] && grep -q "not a directory" $tmp/err && ok "-o file: exit 1" || bad "-o file: rc=$rc $(cat $tmp/err)"

# second run into the same directory: c1 files, nothing overwritten
$T -r $D -o $ref
[ "$(ls $ref | grep -c 'c1$')" = 4 ] && [ "$(sums $ref | grep -vc 'c1$')" = 4 ] && ok "second run: c1 files" || bad "second run: $(ls $ref)"

# -w: packets that reached IP but were not processed (UDP, ICMP, ...) and
# fragments of datagrams that never completed (the capture holds only the
# trailing fragments of 19 datagrams)
count() { $PY -c "import sys,struct
d=open(sys.argv[1],'rb').read(); i=24; n=0
while i+16<=len(d): i+=16+struct.unpack('<I',d[i+8:i+12])[0]; n+=1
print(n)" "$1"; }
mkdir $tmp/w; $T -r $C/smtp_mixed_ooo.pcap -o $tmp/w -w $tmp/w/un.pcap
n=$(count $tmp/w/un.pcap); [ "$n" = 7 ] && ok "-w: 7 non-TCP packets, as 1.6.1" || bad "-w smtp: $n packets"
$T -r $C/http_jpegs_ipv4frag.cap -o $tmp/w -w $tmp/w/fr.pcap
n=$(count $tmp/w/fr.pcap); [ "$n" = 19 ] && ok "-w: 19 fragments that never completed" || bad "-w frags: $n packets"
$T -w $tmp/w/x.pcap -o $tmp/w 2>$tmp/err; rc=$?; [ $rc = 1 ] && grep -q "requires the -r" $tmp/err && ok "-w without -r" || bad "-w without -r: rc=$rc"

# version, usage, unknown option
$T -V >$tmp/out 2>&1; rc=$?; [ $rc = 0 ] && grep -q "1.6.1" $tmp/out && ok "-V exits 0" || bad "-V rc=$rc"
$T -h >$tmp/out 2>&1; rc=$?; [ $rc = 0 ] && grep -q usage $tmp/out && ok "-h" || bad "-h rc=$rc"
$T --no-such-option >$tmp/out 2>&1; rc=$?; [ $rc = 2 ] && grep -q usage $tmp/out && ok "unknown option: usage, exit 2" || bad "unknown option rc=$rc"
$T -S foo -r $D -o $tmp 2>$tmp/err; rc=$?; [ $rc = 1 ] && grep -q "Invalid parameter" $tmp/err && ok "-S without =" || bad "-S rc=$rc"
finish
