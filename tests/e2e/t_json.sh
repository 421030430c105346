#!/bin/sh
# t_json.sh - -J writes tcpflow 1.6.1's objects, on every corpus capture:
#   fields   every line of `-c -J` is an object with 1.6.1's fields and types
#            (src_host, dst_host strings; src_port, dst_port integers; payload
#            an array of byte values), and `jq -r '.payload|implode'` reads it
#   = 1.6.1  the text jq makes of our records equals the text it makes of
#            1.6.1's (`/usr/bin/tcpflow -c -J`);
#   = tshark where it does not: 1.6.1 prints every packet as it arrives
#            (retransmissions twice, Ethernet padding, fragments cut, link
#            types it cannot decode; docs/compat.md), we print the
#            reassembled stream, so each direction's bytes must equal
#            tshark's reassembly (-z follow,tcp,raw: console/check_follow.py).
#            IPv6 captures are checked against tshark too (1.6.1's addresses
#            are wrong there: SPEC 11.7), with our addresses in the key;
#   listed   the one capture where neither applies (below), for which our
#            records must equal our flow files.
# Also: -J without -c/-C prints nothing (as 1.6.1) and still writes the files.
. "$(dirname "$0")/lib.sh"
need_oracle
[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
command -v jq > /dev/null || skip "jq not installed (Debian package jq, scripts/deps.sh)"
command -v tshark > /dev/null || skip "tshark not installed (Debian package tshark, scripts/deps.sh)"
here=$(cd "$(dirname "$0")" && pwd)
cd "$tmp" || exit 1                      # 1.6.1 writes report.xml into the cwd
T=$TCPFLOW

# Neither 1.6.1 nor tshark: crafted reordering where tshark's follow gives up
# (it returns none of the client's 120 bytes) and 1.6.1 prints padding.
LISTED="tcpflow_test5_lines_randomized.pcap"

same=0 tsh=0 listed=0
for f in "$CORPUS"/*.pcap "$CORPUS"/*.pcapng "$CORPUS"/*.cap; do
    [ -f "$f" ] || continue
    sample 3 || continue                 # sanitizers: a third of the captures
    b=$(basename "$f")
    "$ORACLE" -c -J -r "$f" > o.j 2>/dev/null
    "$T" -c -J -r "$f" > n.j 2>/dev/null
    if ! r=$($PY "$here/console/check_fields.py" n.j o.j); then bad "$b: $r"; continue; fi
    if ! jq -r '.payload|implode' < n.j > n.t 2> jq.err; then bad "$b: jq: $(head -c 200 jq.err)"; continue; fi
    jq -r '.payload|implode' < o.j > o.t 2>/dev/null
    v6=$(grep -c '"family":6' n.j)
    if cmp -s o.t n.t && [ "$v6" = 0 ]; then
        same=$((same+1)); ok "$b: $r, jq text = 1.6.1's"; continue
    fi
    why="differs from 1.6.1's"
    [ "$v6" != 0 ] && why="IPv6"
    if t=$($PY "$here/console/check_follow.py" "$f" n.j); then
        tsh=$((tsh+1)); ok "$b: $r, $why: $t"; continue
    fi
    case " $LISTED " in
        *" $b "*) rm -rf fl && mkdir fl && "$T" -r "$f" -o fl 2>/dev/null
                  if s=$($PY "$here/console/check_stream.py" n.j fl); then
                      listed=$((listed+1)); ok "$b: $r, listed (tshark: $t): $s"
                  else bad "$b: listed, but $s"; fi;;
        *) bad "$b: $why and tshark's: $t";;
    esac
done
echo "    $same captures: jq text = 1.6.1's; $tsh: = tshark's reassembly; $listed listed"
# (26 since tunnels and NFLOG decode: 1.6.1 prints nothing of those seven)
want=20; [ -n "${TCPFLOW_SANITIZED:-}" ] && want=6
[ "$same" -gt $want ] || bad "only $same captures equal to 1.6.1"

# -J alone: files, nothing printed (1.6.1 the same)
rm -rf a b && mkdir a b
(cd a && "$ORACLE" -J -r "$CORPUS/vlan_http.pcap" > ../o.j 2>/dev/null)
"$T" -J -r "$CORPUS/vlan_http.pcap" -o b > n.j 2>/dev/null
if [ ! -s o.j ] && [ ! -s n.j ] && [ "$(sums a)" = "$(sums b)" ] && [ -n "$(sums b)" ]; then
    ok "-J alone: no output, the same flow files as 1.6.1"
else bad "-J alone: $(wc -c < n.j) bytes printed, files: $(ls b | tr '\n' ' ')"; fi
finish
