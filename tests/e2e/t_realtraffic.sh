#!/bin/sh
# Real TCP traffic between network namespaces, IPv4 and IPv6, through routers
# that drop, duplicate and reorder packets (tests/e2e/realtraffic/netlab.py);
# every flow file must hold exactly the bytes its peer sent.
#   phase "impaired": RT_SCALE*80 concurrent full-duplex connections, 0..RT_SCALE*3 MB
#                     each way, 2% dropped before the capture point, 1% after it,
#                     1% duplicated, 2% delayed (reordered)
#   phase "many":     RT_SCALE*400 concurrent short connections (0..4 KiB), no impairment
# RT_SCALE (default 1) shrinks or grows the run (e.g. 0.25 under ASan).
# Needs root, ip netns, nft, tc, tcpdump, ethtool; otherwise skipped.
# On failure the captures and plans are kept and their directory is printed.
. "$(dirname "$0")/lib.sh"
need_root
RT="$TOP/tests/e2e/realtraffic"
scale=${RT_SCALE:-1}
num() { awk -v s="$scale" -v n="$1" -v min="$2" 'BEGIN { v = int(n * s + 0.5); if (v < min) v = min; print v }'; }
tag=rt$$
work=$(mktemp -d /tmp/tcpflow-realtraffic.XXXXXX)
keep=0
cleanup() {
    "$PY" "$RT/netlab.py" teardown --tag "$tag" >/dev/null 2>&1
    rm -rf "$tmp"
    if [ $keep = 1 ] || [ $fails != 0 ]; then echo "captures, plans and outputs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'keep=1; exit 130' INT TERM HUP

out=$("$PY" "$RT/netlab.py" probe 2>&1) || { rm -rf "$work"; work=; skip "realtraffic: $out"; }

# capture NAME ARGS...: a capture into $work/NAME (one retry if the traffic itself failed)
capture() {
    name=$1; shift
    for try in 1 2; do
        rm -rf "$work/$name"
        timeout --foreground 200 "$PY" "$RT/netlab.py" capture --tag "$tag" --out "$work/$name" "$@" 2>"$work/$name.netlab.log"
        rc=$?
        sed 's/^/    /' "$work/$name.netlab.log"
        case $rc in
            0) return 0;;
            77) skip "realtraffic: $(tail -n 1 "$work/$name.netlab.log")";;
            2) echo "    capture failed (traffic or tcpdump), try $try";;
            *) break;;
        esac
    done
    return 1
}

# run NAME LABEL BINARY [MAXLINES]: run BINARY on $work/NAME/capture.pcap, compare with the plan
run() {
    name=$1 label=$2 bin=$3 maxl=${4:-200}
    o="$work/$name.out.$label"
    rm -rf "$o"; mkdir -p "$o"
    timeout --foreground 300 "$bin" -r "$work/$name/capture.pcap" -o "$o" >"$o.log" 2>&1
    rc=$?
    if [ $rc != 0 ]; then echo "    $label exited with status $rc"; tail -n 5 "$o.log" | sed 's/^/    /'; return 1; fi
    "$PY" "$RT/netlab.py" check --plan "$work/$name/plan.json" --outdir "$o" --label "$label" \
        --max-lines "$maxl" >"$o.check" 2>&1
    rc=$?
    sed 's/^/    /' "$o.check"
    return $rc
}

phase() {
    name=$1; shift
    if ! capture "$name" "$@"; then bad "$name: could not produce the capture"; return; fi
    if run "$name" tcpflow "$TCPFLOW"; then ok "$name: every flow file exact"; else bad "$name: flow files differ from what the peers sent"; fi
    if [ -x "$ORACLE" ] && [ "$(readlink -f "$TCPFLOW")" != "$(readlink -f "$ORACLE")" ]; then
        echo "    for information, Debian's tcpflow 1.6.1 on the same capture:"
        run "$name" tcpflow-1.6.1 "$ORACLE" 5
    fi
}

phase impaired --conns "$(num 80 4)" --families 4,6 --max-size "$(num 3000000 20000)" \
    --drop 2 --drop-after 1 --dup 1 --reorder 2 --timeout 90
phase many --conns "$(num 400 10)" --families 4,6 --max-size 4096 --timeout 60
finish
