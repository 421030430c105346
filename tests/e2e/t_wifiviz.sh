#!/bin/sh
# The wifiviz scanner (-e wifiviz): the SSIDs of 802.11 beacons in the
# report's <summary>, against Debian's tcpflow 1.6.1 on crafted beacons
# (tests/e2e/wifiviz/beacons.py: order, counts, XML specials, bad and
# missing FCS, -S check_fcs both ways) and on the corpus's wifi capture.
# The one difference on purpose: bytes XML cannot hold (control bytes,
# invalid UTF-8), which 1.6.1 writes raw, are written \xNN.
. "$TOP/tests/e2e/lib.sh"
need_oracle
"$PY" -c 'import scapy' 2>/dev/null || skip "python3-scapy missing"

# the <summary> element's content, one line per line
summary() { sed -n '/<summary>/,/<\/summary>/p' "$1" | sed 's/^ *<summary>//; s/<\/summary>.*//; s/^ *//' | sed '/^$/d'; }
# 1.6.1's raw bytes, as we write them
escape() { "$PY" -c '
import sys
b = sys.stdin.buffer.read()
out = bytearray()
i = 0
while i < len(b):
    c = b[i]
    if 0x20 <= c < 0x7f or c == 10:
        out.append(c); i += 1; continue
    k = 4 if c >= 0xF0 else 3 if c >= 0xE0 else 2 if c >= 0xC2 else 0
    try:
        if k and c < 0xF5:
            b[i:i+k].decode("utf-8"); out += b[i:i+k]; i += k; continue
    except UnicodeDecodeError:
        pass
    out += b"\\x%02x" % c; i += 1
sys.stdout.buffer.write(bytes(out))'; }

"$PY" "$TOP/tests/e2e/wifiviz/beacons.py" "$tmp/b.pcap" b
"$PY" "$TOP/tests/e2e/wifiviz/beacons.py" "$tmp/c.pcap"
for cap in "$tmp/b.pcap" "$tmp/c.pcap" "$CORPUS/wifi_radiotap_http.pcap"; do
    [ -f "$cap" ] || continue
    for fcs in YES NO; do
        n=$(basename "$cap" .pcap)-$fcs
        mkdir -p "$tmp/$n/ref" "$tmp/$n/ours"
        "$ORACLE" -e wifiviz -S check_fcs=$fcs -r "$cap" -o "$tmp/$n/ref" >/dev/null 2>&1
        "$TCPFLOW" -e wifiviz -S check_fcs=$fcs -r "$cap" -o "$tmp/$n/ours" >/dev/null 2>&1
        summary "$tmp/$n/ref/report.xml" | escape > "$tmp/$n/want"
        summary "$tmp/$n/ours/report.xml" > "$tmp/$n/got"
        if [ -s "$tmp/$n/want" ] && cmp -s "$tmp/$n/want" "$tmp/$n/got"; then
            ok "$n: $(grep -c '<ssid ' "$tmp/$n/got") SSID lines as 1.6.1's"
        else
            bad "$n: summary differs from 1.6.1's"; diff "$tmp/$n/want" "$tmp/$n/got" | head -n 8 | sed 's/^/    /'
        fi
    done
done
finish
