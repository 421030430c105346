#!/bin/sh
# Hostile environment, end to end (see docs/internals/robustness.md):
# planted symlinks and names that try to leave the output directory, few
# descriptors (ulimit -n 16), little memory (ulimit -v) with very many open
# flows, SIGINT/SIGTERM/SIGHUP while reading a stalled pipe (the report
# ends, exit 128+N: 130, 143, 129), and (as root,
# with tmpfs mounts) a read-only output directory and a disk that fills up.
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/e2e/hostile
D=$TOP/tests/data/demo.pcap
T=$TCPFLOW
command -v xmllint >/dev/null || skip "xmllint not installed (Debian package libxml2-utils)"
mounts=""
cleanup() { for m in $mounts; do umount "$m" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
wf() { xmllint --noout "$1" 2>/dev/null; }
status() { sed -n 's:.*<run_status>\(.*\)</run_status>.*:\1:p' "$1"; }
msgs() { faults "$1"; }
san=${TCPFLOW_SANITIZED:-}

ref=$tmp/ref
$T -r $D -o $ref 2>/dev/null || bad "demo run failed"
refsum=$(sums $ref)

# ---- names and symlinks ----------------------------------------------------
# A symlink planted under a flow's name (to an existing file, or dangling) is
# never written through: the flow takes the next counter (c1).
mkdir $tmp/outside $tmp/sy
echo secret > $tmp/outside/target
ln -s ../outside/target $tmp/sy/198.018.000.001.40001-198.018.000.002.00080
ln -s ../outside/nothing $tmp/sy/198.018.000.002.00080-198.018.000.001.40001
$T -r $D -o $tmp/sy 2>$tmp/err; rc=$?
[ $rc = 0 ] && [ "$(cat $tmp/outside/target)" = secret ] && [ "$(ls $tmp/outside)" = target ] \
    && cmp -s $tmp/sy/198.018.000.001.40001-198.018.000.002.00080c1 $ref/198.018.000.001.40001-198.018.000.002.00080 \
    && cmp -s $tmp/sy/198.018.000.002.00080-198.018.000.001.40001c1 $ref/198.018.000.002.00080-198.018.000.001.40001 \
    && ok "planted symlinks are not followed: the flows go to c1 files" \
    || bad "planted symlinks: rc=$rc $(ls -l $tmp/sy $tmp/outside) $(cat $tmp/err)"

# a directory symlink planted where a template puts a directory: not entered
mkdir $tmp/outside2 $tmp/syd
ln -s ../outside2 $tmp/syd/198.018.000.001
$T -r $D -o $tmp/syd -T '%A/%a-%B.%b' 2>$tmp/err; rc=$?
[ $rc = 1 ] && [ -z "$(ls $tmp/outside2)" ] && grep -q "cannot create $tmp/syd/198.018.000.001/40001-198.018.000.002.00080" $tmp/err \
    && cmp -s $tmp/syd/198.018.000.002/00080-198.018.000.001.40001 $ref/198.018.000.002.00080-198.018.000.001.40001 \
    && ok "a planted directory symlink is not entered: those flows fail, named; the others are written" \
    || bad "directory symlink: rc=$rc $(ls $tmp/outside2) $(cat $tmp/err)"

# a symlink planted as the default report.xml: refused, target untouched
mkdir $tmp/syr; ln -s ../outside/target $tmp/syr/report.xml
$T -r $D -o $tmp/syr 2>$tmp/err; rc=$?
[ $rc = 1 ] && [ "$(cat $tmp/outside/target)" = secret ] && grep -q "report.xml.*symbolic link" $tmp/err \
    && ok "report.xml planted as a symlink: refused, exit 1" || bad "report.xml symlink: rc=$rc $(cat $tmp/err)"

# -I: an index (.findx) planted as a symlink is not written or rewritten
mkdir $tmp/syi
for f in $(ls $ref | grep -v report.xml); do ln -s ../outside/target $tmp/syi/$f.findx; done
$T -I -r $D -o $tmp/syi 2>$tmp/err
[ "$(cat $tmp/outside/target)" = secret ] && ok "-I: planted .findx symlinks not followed" || bad "-I findx symlink followed"

# IPv6 addresses in a '%A/%a' template stay inside the output directory
if [ -f "$CORPUS/ftp_ipv6_data.pcap" ]; then
    $T -r $CORPUS/ftp_ipv6_data.pcap -o $tmp/v6 -T '%A/%a-%B.%b' 2>$tmp/err; rc=$?
    $T -r $CORPUS/ftp_ipv6_data.pcap -o $tmp/v6ref 2>/dev/null
    out=$(cd $tmp/v6 && find . -type f ! -name report.xml | grep -c '^\./[0-9a-f:]*/[0-9]*-[0-9a-f:]*\.[0-9]*$')
    all=$(cd $tmp/v6 && find . ! -type d ! -name report.xml | wc -l)
    real=$(cd $tmp/v6 && find . -type f ! -name report.xml -exec realpath {} + | grep -vc "^$(realpath $tmp/v6)/")
    a=$(sums $tmp/v6 | cut -c1-64 | sort); b=$(sums $tmp/v6ref | cut -c1-64 | sort)
    [ $rc = 0 ] && [ "$out" = "$all" ] && [ "$all" -gt 0 ] && [ "$real" = 0 ] && [ "$a" = "$b" ] \
        && ok "IPv6 '%A/%a' template: $all files, all inside the output directory, same contents" \
        || bad "IPv6 template: rc=$rc out=$out all=$all outside=$real $(cat $tmp/err)"
else
    echo "no corpus: IPv6 template check skipped"
fi

# ---- descriptors ----------------------------------------------------------
fdrun() {   # name capture args...: same files with ulimit -n 16 as unlimited
    n=$1; c=$2; shift 2
    $T "$@" -r $c -o $tmp/fdu-$n 2>/dev/null
    (ulimit -n 16 && exec $T "$@" -r $c -o $tmp/fdl-$n) 2>$tmp/err; rc=$?
    [ $rc = 0 ] && [ -z "$(msgs $tmp/err)" ] && [ "$(sums $tmp/fdl-$n)" = "$(sums $tmp/fdu-$n)" ] \
        && [ -n "$(sums $tmp/fdl-$n)" ] && wf $tmp/fdl-$n/report.xml \
        && ok "ulimit -n 16: $n: same $(sums $tmp/fdl-$n | wc -l) files as unlimited" \
        || bad "ulimit -n 16: $n: rc=$rc $(tail -c 2000 $tmp/err)"
}
fdrun demo $D
# regression: flushing a buffer at the descriptor cap evicted another
# buffer-only flow, which evicted the first... (stack overflow)
fdrun fd_evict_recursion $H/fd_evict_recursion.pcap -f 3
fdrun fd_evict_recursion-I $H/fd_evict_recursion.pcap -f 3 -I
[ -f "$CORPUS/many_flows_650_http_responses.pcap" ] && fdrun many_flows_650 $CORPUS/many_flows_650_http_responses.pcap
[ -f "$CORPUS/tcp_ooo_overlap_http206.pcap" ] && fdrun ooo-I $CORPUS/tcp_ooo_overlap_http206.pcap -I

# ---- memory ---------------------------------------------------------------
# Very many open flows (one SYN+data packet each, never closed) under
# ulimit -v.  ASan cannot run under ulimit -v: smaller counts, no limit.
if [ -n "$san" ]; then nmany=50000 nfiles=3000 vlim=unlimited; else nmany=300000 nfiles=20000 vlim=300000; fi
$PY $H/gen.py manyflows $tmp/many.pcap $nmany
(ulimit -v $vlim && exec $T -FX -r $tmp/many.pcap -X $tmp/many.xml -S write_buffer_memcap=1000000) 2>$tmp/err; rc=$?
tf=$(sed -n 's:.*<total_flows>\([0-9]*\)</total_flows>.*:\1:p' $tmp/many.xml)
[ $rc = 0 ] && [ -z "$(msgs $tmp/err)" ] && [ "$tf" = $nmany ] && wf $tmp/many.xml \
    && ok "$nmany open flows under ulimit -v $vlim (-FX): exit 0, total_flows $tf" \
    || bad "$nmany flows: rc=$rc total_flows=$tf $(tail -c 1500 $tmp/err)"
rm -f $tmp/many.xml
$PY $H/gen.py manyflows $tmp/files.pcap $nfiles
(ulimit -v $vlim && exec $T -Fk -r $tmp/files.pcap -o $tmp/mf -S write_buffer_memcap=65536) 2>$tmp/err; rc=$?
$PY - $tmp/mf $nfiles <<'PYEOF' && [ $rc = 0 ] && [ -z "$(msgs $tmp/err)" ] && wf $tmp/mf/report.xml \
    && ok "$nfiles flows with -Fk under ulimit -v $vlim and a 64 KiB write buffer cap: every file right" \
    || bad "-Fk $nfiles flows: rc=$rc $(tail -c 1500 $tmp/err)"
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
seen = 0
for root, _, names in os.walk(d):
    for f in names:
        if f == 'report.xml':
            continue
        a = f.split('-')[0].split('.')
        i = (int(a[1]) << 16) | (int(a[2]) << 8) | int(a[3])
        want = (b'flow %08d ' % i + b'flow %08d ' % i)[:16]
        got = open(os.path.join(root, f), 'rb').read()
        if got != want:
            sys.exit('%s: %r != %r' % (f, got, want))
        seen += 1
sys.exit(0 if seen == n else 'only %d files of %d' % (seen, n))
PYEOF
if [ -z "$san" ]; then
    # out of memory: an abort, but the report still ends well-formed
    (ulimit -v 100000 && exec $T -FX -r $tmp/many.pcap -X $tmp/oom.xml) 2>$tmp/err; rc=$?
    [ $rc != 0 ] && grep -q "out of memory" $tmp/err && wf $tmp/oom.xml && [ "$(status $tmp/oom.xml)" = "killed by signal 6" ] \
        && ok "out of memory under ulimit -v 100000: message, report ends 'killed by signal 6'" \
        || bad "oom: rc=$rc status=$(status $tmp/oom.xml) $(tail -c 500 $tmp/err)"
fi
rm -f $tmp/many.pcap $tmp/files.pcap; rm -rf $tmp/mf

# ---- signals while reading a stalled pipe ---------------------------------
mkfifo $tmp/fifo
for sig in INT TERM HUP; do
    o=$tmp/sig$sig
    (cat $D; sleep 30) > $tmp/fifo & w=$!
    $T -r - -o $o < $tmp/fifo 2>$tmp/err & p=$!
    sleep 1
    t0=$(date +%s)
    kill -$sig $p
    wait $p; rc=$?
    secs=$(( $(date +%s) - t0 ))
    kill $w 2>/dev/null; wait $w 2>/dev/null
    case $sig in INT) want=130;; TERM) want=143;; HUP) want=129;; esac
    [ $rc = $want ] && [ $secs -le 3 ] && [ "$(sums $o)" = "$refsum" ] && wf $o/report.xml \
        && [ "$(status $o/report.xml)" = "interrupted by SIG$sig" ] && grep -q "terminating orderly" $tmp/err \
        && ok "SIG$sig on a stalled pipe: exit $rc in ${secs}s, files of the data seen, run_status '$(status $o/report.xml)'" \
        || bad "SIG$sig: rc=$rc secs=$secs status=$(status $o/report.xml) $(cat $tmp/err)"
done
# stalled before the file header, read through a named pipe
(sleep 30; cat $D) > $tmp/fifo & w=$!
$T -r $tmp/fifo -o $tmp/sigh 2>$tmp/err & p=$!
sleep 1; kill -TERM $p; t0=$(date +%s); wait $p; rc=$?; secs=$(( $(date +%s) - t0 ))
kill $w 2>/dev/null; wait $w 2>/dev/null
[ $rc = 143 ] && [ $secs -le 3 ] && [ -z "$(sums $tmp/sigh)" ] && wf $tmp/sigh/report.xml && [ "$(status $tmp/sigh/report.xml)" = "interrupted by SIGTERM" ] \
    && ok "SIGTERM before the header on a named pipe: exit 143 in ${secs}s" || bad "fifo before header: rc=$rc secs=$secs $(cat $tmp/err)"

# ---- as root: read-only output directory, disk full ------------------------
if [ "$(id -u)" != 0 ]; then
    echo "not root: read-only and disk-full checks skipped"
    finish
fi
mkdir $tmp/ro
if ! mount -t tmpfs -o ro,size=64k tmpfs $tmp/ro 2>/dev/null; then
    echo "cannot mount tmpfs: read-only and disk-full checks skipped"
    finish
fi
mounts="$tmp/ro"
$T -r $D -o $tmp/ro -X $tmp/ro-report.xml 2>$tmp/err; rc=$?
[ $rc = 1 ] && msgs $tmp/err | grep -q "cannot write to $tmp/ro: Read-only file system" \
    && [ "$(msgs $tmp/err | wc -l)" = 1 ] && [ ! -e $tmp/ro-report.xml ] \
    && ok "read-only tmpfs as -o: exit 1, '$(msgs $tmp/err | sed 's/^[^ ]* //')', no report created" \
    || bad "read-only: rc=$rc $(cat $tmp/err) $(ls $tmp/ro-report.xml 2>&1)"
$T -r $D -o $tmp/ro/sub 2>$tmp/err; rc=$?
[ $rc = 1 ] && grep -q "cannot create $tmp/ro/sub: Read-only file system" $tmp/err \
    && ok "read-only: -o of a new directory: exit 1, named" || bad "read-only sub: rc=$rc $(cat $tmp/err)"
mkdir $tmp/rw $tmp/rob
if mount --bind $tmp/rw $tmp/rob 2>/dev/null; then
    mounts="$tmp/rob $mounts"
    mount -o remount,bind,ro $tmp/rob
    $T -r $D -o $tmp/rob 2>$tmp/err; rc=$?
    [ $rc = 1 ] && grep -q "cannot write to $tmp/rob: Read-only file system" $tmp/err && [ -z "$(ls $tmp/rw)" ] \
        && ok "read-only bind mount as -o: exit 1, named, nothing written" || bad "ro bind: rc=$rc $(cat $tmp/err)"
fi
if command -v setpriv >/dev/null && mkdir $tmp/perm && chmod 555 $tmp/perm && chmod 755 $tmp \
    && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    setpriv --reuid=65534 --regid=65534 --clear-groups $T -r $D -o $tmp/perm 2>$tmp/err; rc=$?
    if grep -q "Permission denied" $tmp/err && ! grep -q "cannot write to" $tmp/err; then
        echo "(binary or input not readable by nobody: permission check skipped)"
    else
        [ $rc = 1 ] && grep -q "cannot write to $tmp/perm: Permission denied" $tmp/err \
            && ok "unwritable -o as a user: exit 1, named" || bad "perm: rc=$rc $(cat $tmp/err)"
    fi
fi

# disk full: every file present is the unlimited run's file, or is named in a
# failure message and holds a prefix of it; the report is well-formed and its
# run_status says why, on the full disk too
if [ -f "$CORPUS/http11_keepalive_multi_stream.pcap" ]; then
    big=$CORPUS/http11_keepalive_multi_stream.pcap
else
    $PY $H/gen.py bulk $tmp/bulk.pcap 6 100; big=$tmp/bulk.pcap
fi
$T -r $big -o $tmp/unl 2>/dev/null
mkdir $tmp/full
for where in disk elsewhere; do
    mount -t tmpfs -o size=256k tmpfs $tmp/full && mounts="$tmp/full $mounts"
    if [ $where = disk ]; then rep=$tmp/full/report.xml; x=""; else rep=$tmp/full-report.xml; x="-X $rep"; fi
    $T -r $big -o $tmp/full $x 2>$tmp/err; rc=$?
    same=0 partial=0 wrong=""
    for f in $(cd $tmp/full && find . -type f ! -name report.xml | sed 's:^\./::'); do
        if cmp -s $tmp/full/$f $tmp/unl/$f; then same=$((same+1))
        elif grep -q "$tmp/full/$f\b.*No space left on device" $tmp/err \
             && cmp -s -n $(stat -c %s $tmp/full/$f) $tmp/full/$f $tmp/unl/$f; then partial=$((partial+1))
        else wrong="$wrong $f"
        fi
    done
    st=$(status $rep)
    [ $rc = 1 ] && grep -q "No space left on device" $tmp/err && [ -z "$wrong" ] && [ $same -ge 1 ] && wf $rep \
        && echo "$st" | grep -q "No space left on device" \
        && ok "disk full (report $where): exit 1, $same files intact, $partial named as failed, run_status '$st'" \
        || bad "disk full (report $where): rc=$rc same=$same partial=$partial wrong=$wrong status='$st' $(cat $tmp/err)"
    umount $tmp/full; mounts=$(echo $mounts | sed "s:$tmp/full::")
done
finish
