#!/bin/sh
# The shared corpus's tunnel and NFLOG captures against tshark's reassembly:
# every TCP stream tshark follows (tshark -q -z follow,tcp,raw,N) must be, in
# each direction, one of our flow files byte for byte, holes (bytes never
# captured: zeros for us, a marker for tshark) included
# (tests/e2e/tunnels/follow_cmp.py).  Listed in docs/compat.md.
. "$(dirname "$0")/lib.sh"
[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
command -v tshark >/dev/null || skip "tshark missing (Debian package tshark)"
for n in gre_ssh gre_eth_http_outer_frag ipip_4in4_tcp ipip_4in6_tls ipip_6in4_tls_http vxlan_http nflog_http; do
    c="$CORPUS/$n.pcap"
    [ -f "$c" ] || { bad "$n: missing from the corpus"; continue; }
    mkdir -p "$tmp/$n"
    "$TCPFLOW" -r "$c" -o "$tmp/$n" >"$tmp/$n.log" 2>&1 || { bad "$n: exit status $?"; continue; }
    if r=$("$PY" "$TOP/tests/e2e/tunnels/follow_cmp.py" "$c" "$tmp/$n" 2>&1); then
        ok "$n: $(echo "$r" | tail -n 1)"
    else
        bad "$n: $(echo "$r" | tail -n 1)"; echo "$r" | grep -v '^follow:' | head -n 6 | sed 's/^/    /'
    fi
done
finish
