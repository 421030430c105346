#!/bin/sh
# t_console.sh - console output: -c -C -D -s -B -0 -b -g byte for byte against
# tcpflow 1.6.1 on captures that 1.6.1 prints in stream order; -J lines are
# valid JSON carrying the packets' addresses, ports, times and bytes (checked
# against scapy and against tshark's decoding); the console stream of
# captures with reordering/retransmissions/holes equals the flow files; -L
# keeps records of concurrent runs on one pipe intact.
. "$(dirname "$0")/lib.sh"
need_oracle
[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
here=$(cd "$(dirname "$0")" && pwd)
cd "$tmp" || exit 1                      # 1.6.1 writes report.xml into the cwd
T=$TCPFLOW
C=$CORPUS

# No retransmission, reordering or Ethernet padding in these (checked with
# tshark expert info and the MANIFEST); every SYN and SYN-ACK is captured.
CLEAN="irc_basic imap_plain mysql_plain postgres_plain tls12_handshake ftp_ipv4_data ftp_ipv6_data redis_sll_benchmark redis_null_bulk vlan_http"
# Same, but no SYN at all: 1.6.1 colours it red, we green (undecided).
NOSYN="http_get_nosyn"

"$T" -c -r "$C/irc_basic.pcap" > probe.txt 2>probe.err
[ -s probe.txt ] || { cat probe.err; bad "console mode prints nothing"; finish; }

# ---- byte-for-byte against 1.6.1 ----
for f in $CLEAN $NOSYN; do
    for o in "-c" "-C" "-c -D" "-C -D" "-c -s" "-c -B" "-c -0" "-c -D -0" "-c -b 100" "-c -b 0"; do
        # shellcheck disable=SC2086
        "$ORACLE" $o -r "$C/$f.pcap" > o.txt 2>/dev/null
        # shellcheck disable=SC2086
        "$T" $o -r "$C/$f.pcap" > n.txt 2>n.err
        if cmp -s o.txt n.txt; then ok "$f $o ($(wc -c < n.txt) bytes)"
        else bad "$f $o differs from 1.6.1"; cmp o.txt n.txt | head -n 3; fi
    done
    for o in "-c -g" "-C -g -D" "-c -g -0"; do
        # shellcheck disable=SC2086
        "$ORACLE" $o -r "$C/$f.pcap" > o.txt 2>/dev/null
        # shellcheck disable=SC2086
        "$T" $o -r "$C/$f.pcap" > n.txt 2>n.err
        case " $NOSYN " in
            *" $f "*) sed 's/\x1b\[0;31m/\x1b[0;32m/g' o.txt > o2.txt   # undecided = green
                      grep -q "$(printf '\033')\[0;32m" n.txt || bad "$f $o: no green";;
            *) cp o.txt o2.txt
               grep -q "$(printf '\033')\[0;34m" n.txt && grep -q "$(printf '\033')\[0;31m" n.txt ||
                   bad "$f $o: blue and red expected";;
        esac
        if cmp -s o2.txt n.txt; then ok "$f $o"
        else bad "$f $o differs from 1.6.1"; cmp o2.txt n.txt | head -n 3; fi
    done
done

# ---- reordering: same records as 1.6.1, ours in stream order ----
"$ORACLE" -c -D -r "$C/tcpflow_test1.pcap" > o.txt 2>/dev/null
"$T" -c -D -r "$C/tcpflow_test1.pcap" > n.txt 2>/dev/null
if $PY - o.txt n.txt <<'EOF'
import sys
a = open(sys.argv[1], 'rb').read().split(b'\n\n')
b = open(sys.argv[2], 'rb').read().split(b'\n\n')
sys.exit(0 if sorted(a) == sorted(b) and a != b else 1)
EOF
then ok "tcpflow_test1 -c -D: 1.6.1's records, reordered into stream order"
else bad "tcpflow_test1 -c -D: records differ from 1.6.1's (or were not reordered)"; fi

# ---- -J ----
for f in $CLEAN $NOSYN; do
    "$T" -c -J -r "$C/$f.pcap" > j.txt 2>j.err
    if ! $PY -m json.tool --json-lines < j.txt > /dev/null; then bad "$f -J: json.tool rejects it"; continue; fi
    if command -v jq > /dev/null && [ "$(jq -c . < j.txt | wc -l)" != "$(wc -l < j.txt)" ]; then
        bad "$f -J: jq disagrees"; continue
    fi
    if r=$($PY "$here/console/check_json.py" "$C/$f.pcap" j.txt); then ok "$f -J: $r"
    else bad "$f -J: $r"; fi
done
# Addresses, ports, times and offsets as tshark decodes them (IPv4, IPv6 in
# ftp_ipv6_data, VLAN in vlan_http, SLL, NULL): each record is matched to the
# frame of the same capture time and payload bytes (not by address or port,
# so comparing those is a real check), one record per frame; see the
# comment in console/check_tshark.py.
if command -v tshark > /dev/null; then
    for f in $CLEAN $NOSYN; do
        "$T" -c -J -r "$C/$f.pcap" > j.txt 2>/dev/null
        if r=$($PY "$here/console/check_tshark.py" "$C/$f.pcap" j.txt); then ok "$f -J vs tshark: $r"
        else bad "$f -J vs tshark: $r"; fi
    done
else
    echo "skipped: -J against tshark (tshark not installed: Debian package tshark, scripts/deps.sh)"
fi
"$T" -c -J -0 -r "$C/irc_basic.pcap" > j0.txt 2>/dev/null
"$T" -c -J -r "$C/irc_basic.pcap" > j.txt 2>/dev/null
cmp -s j0.txt j.txt && ok "-J -0 keeps one object per line" || bad "-J -0 changed JSON Lines"

# ---- the console stream is the reassembled stream (gaps as zeros) ----
for f in tcpflow_test1 tcp_retrans_dups_ssh smtp_mixed_ooo telnet_session tcp_gap_unidirectional \
         http_post_100continue tcp_ooo_overlap_http206; do
    rm -rf d && mkdir d
    "$T" -o d -r "$C/$f.pcap" 2>/dev/null
    "$T" -c -J -r "$C/$f.pcap" > j.txt 2>/dev/null
    if r=$($PY "$here/console/check_stream.py" j.txt d); then ok "$f: $r"
    else bad "$f: $r"; fi
done
"$T" -c -J -r "$C/tcp_gap_unidirectional.pcap" > j.txt 2>/dev/null
"$T" -c -r "$C/tcp_gap_unidirectional.pcap" > n.txt 2>/dev/null
g=$($PY -c 'import json, sys
print(next((r["gap"] for r in map(json.loads, sys.stdin) if "gap" in r), ""))' < j.txt)
if [ -n "$g" ] && grep -q "^[0-9.]*-[0-9.]*: \[gap of $g bytes\]\$" n.txt; then ok "gap marker: [gap of $g bytes]"
else bad "gap marker missing in -c output (JSON gap: '$g')"; fi

# ---- -L ----
if "$T" -c -L bad/name -r "$C/irc_basic.pcap" > /dev/null 2> e.txt; then bad "-L bad/name accepted"
elif grep -q "bad/name" e.txt; then ok "-L bad/name refused: $(cat e.txt)"
else bad "-L bad/name: no clear message"; fi

P=$C/sll_http.pcap                       # 324 records of up to ~5.5 KB in -c -D: several writes each
sem=tcpflow-e2e-$$
"$T" -c -D -T 'A%A.%a-%B.%b' -r "$P" > a.txt 2>/dev/null
"$T" -c -D -T 'B%A.%a-%B.%b' -r "$P" > b.txt 2>/dev/null
# A slow reader makes both writers block on the full pipe and race when it drains.
slow='import sys, time
while True:
    b = sys.stdin.buffer.read1(3000)
    if not b: break
    sys.stdout.buffer.write(b); time.sleep(0.0002)'
run_pair() {
    ( "$T" -c -D "$@" -T 'A%A.%a-%B.%b' -r "$P" 2>/dev/null &
      "$T" -c -D "$@" -T 'B%A.%a-%B.%b' -r "$P" 2>/dev/null &
      wait ) | (sleep 0.3; $PY -c "$slow") > comb.txt
}
for i in 1 2 3; do
    run_pair -L "/$sem"
    if r=$($PY "$here/console/check_records.py" comb.txt a.txt b.txt); then ok "-L run $i: $r"
    else bad "-L run $i: $r"; fi
done
run_pair                                  # control, information only: without -L they may mix
if r=$($PY "$here/console/check_records.py" comb.txt a.txt b.txt 2>&1); then echo "info: without -L: $r"
else echo "info: without -L records interleave ($r)"; fi
rm -f "/dev/shm/sem.$sem"

finish
