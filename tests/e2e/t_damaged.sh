#!/bin/sh
# Damaged input, end to end (see docs/internals/robustness.md):
# * every prefix of demo.pcap, of a pcapng made from it (with unknown, custom,
#   NRB and ISB blocks) and of its gzip-compressed form: exit 0 (cut at a
#   record boundary) or 1 with exactly one message naming the file, never a
#   crash or sanitizer report; the flow files are exactly those of the clean
#   capture made of the records before the cut, and each is the full run's
#   file cut short (modulo zero holes of reordered data); report.xml is
#   well-formed and its run_status says "complete" or "completed with input
#   errors" (hostile/prefixes.py);
# * snaplen-cut packets, caplen above the snaplen or above 256 KiB, garbage
#   after a valid header or after valid records, huge pcapng blocks, unknown
#   block types, randomly damaged bytes (hostile/variants.py).
# Under sanitizers (TCPFLOW_SANITIZED) the cuts are thinned: every byte near a
# record boundary, every 6th/9th/3rd byte elsewhere; without them the pcapng
# is cut at every 2nd byte (and every byte near a block boundary).
. "$(dirname "$0")/lib.sh"
H=$TOP/tests/e2e/hostile
command -v xmllint >/dev/null || skip "xmllint not installed (Debian package libxml2-utils)"
command -v gzip >/dev/null || skip "gzip not installed"
cp "$TOP/tests/data/demo.pcap" $tmp/demo.pcap
$PY $H/mkinputs.py $tmp/demo.pcap $tmp/in || bad "mkinputs.py"
gzip -9 -n -c $tmp/demo.pcap > $tmp/in/demo.pcap.gz

if [ -n "${TCPFLOW_SANITIZED:-}" ]; then s1=6 s2=9 s3=3 seeds=50; else s1=1 s2=2 s3=1 seeds=150; fi

$PY $H/prefixes.py --binary "$TCPFLOW" --capture $tmp/demo.pcap --kind pcap --work $tmp/w1 --stride $s1 \
    && ok "every prefix of demo.pcap (stride $s1)" || bad "prefixes of demo.pcap"
$PY $H/prefixes.py --binary "$TCPFLOW" --capture $tmp/in/unknown.pcapng --kind pcapng --work $tmp/w2 --stride $s2 \
    && ok "every prefix of a pcapng with unknown blocks (stride $s2)" || bad "prefixes of unknown.pcapng"
$PY $H/prefixes.py --binary "$TCPFLOW" --capture $tmp/in/demo.pcap.gz --kind gzip --work $tmp/w3 --stride $s3 \
    && ok "every prefix of demo.pcap.gz (stride $s3)" || bad "prefixes of demo.pcap.gz"
rm -rf $tmp/w1 $tmp/w2 $tmp/w3

HOSTILE_SEEDS=$seeds $PY $H/variants.py "$TCPFLOW" $tmp/demo.pcap $tmp/in $tmp/wv || bad "variants"

# a compressed capture cut mid-stream: the message names the file and the
# decompressor's complaint; the files are those of the records decoded
head -c 400 $tmp/in/demo.pcap.gz > $tmp/cut.pcap.gz
mkdir $tmp/gz; $TCPFLOW -r $tmp/cut.pcap.gz -o $tmp/gz 2>$tmp/err; rc=$?
faults $tmp/err > $tmp/msg
[ $rc = 1 ] && [ "$(wc -l < $tmp/msg)" = 1 ] && grep -q "cut.pcap.gz.*gzip" $tmp/msg && xmllint --noout $tmp/gz/report.xml \
    && ok "gzip cut mid-stream: exit 1, $(cat $tmp/msg)" || bad "gzip cut: rc=$rc $(cat $tmp/err)"
finish
