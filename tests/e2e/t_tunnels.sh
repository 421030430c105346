#!/bin/sh
# Real TCP traffic through Linux tunnels between network namespaces
# (tests/e2e/realtraffic/netlab.py --tunnel): the routers encapsulate, the
# capture is taken on the underlay, and every flow file must hold exactly
# the bytes its peer sent.
#   one phase per kind: gre, gretap, ipip (IPv4), sit (IPv6), ip6tnl, ip6gre,
#     vxlan, vxlan6 (IPv6 underlay), geneve; RT_SCALE*24 connections, up to
#     RT_SCALE*300 kB each way, with the real-traffic test's impairments
#     (drops before and after the capture point, duplicates, reordering)
#   outer fragments: gre and vxlan over a 1000-byte underlay MTU, DF clear on
#     the outer packets: every tunnel packet arrives in fragments
#   twin VNIs: two VXLAN tunnels carrying the same inner 4-tuples at once
#     (two client/server pairs, same addresses and ports); run with
#     -T '%A.%a-%B.%b%U%u', each tunnel's flows must be its own
# Needs root, ip netns, nft, tc, tcpdump, ethtool and the kernel's tunnel
# modules; otherwise skipped (exit 77).  A kind the kernel lacks is skipped
# alone, and said.
. "$(dirname "$0")/lib.sh"
need_root
RT="$TOP/tests/e2e/realtraffic"
scale=${RT_SCALE:-1}
num() { awk -v s="$scale" -v n="$1" -v min="$2" 'BEGIN { v = int(n * s + 0.5); if (v < min) v = min; print v }'; }
tag=tn$$
work=$(mktemp -d /tmp/tcpflow-tunnels.XXXXXX)
cleanup() {
    "$PY" "$RT/netlab.py" teardown --tag "$tag" >/dev/null 2>&1
    rm -rf "$tmp"
    if [ $fails != 0 ]; then echo "captures, plans and outputs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

out=$("$PY" "$RT/netlab.py" probe 2>&1) || { rm -rf "$work"; work=; skip "tunnels: $out"; }

# capture NAME ARGS...: 0 ok, 77 this kernel cannot, else failed
capture() {
    name=$1; shift
    for try in 1 2; do
        rm -rf "$work/$name"
        timeout --foreground 200 "$PY" "$RT/netlab.py" capture --tag "$tag" --out "$work/$name" "$@" \
            2>"$work/$name.netlab.log"
        rc=$?
        sed 's/^/    /' "$work/$name.netlab.log"
        case $rc in
            0) return 0;;
            77) return 77;;
            2) echo "    capture failed (traffic or tcpdump), try $try";;
            *) grep -q "Operation not supported\|Unknown device type\|not supported" "$work/$name.netlab.log" && return 77
               break;;
        esac
    done
    return 1
}

# run NAME [TCPFLOW ARGS...]: tcpflow on the capture, then the plan's check
run() {
    name=$1; shift
    o="$work/$name.out"
    rm -rf "$o"; mkdir -p "$o"
    timeout --foreground 300 "$TCPFLOW" "$@" -r "$work/$name/capture.pcap" -o "$o" >"$o.log" 2>&1
    rc=$?
    if [ $rc != 0 ]; then echo "    tcpflow exited with status $rc"; tail -n 5 "$o.log" | sed 's/^/    /'; return 1; fi
    "$PY" "$RT/netlab.py" check --plan "$work/$name/plan.json" --outdir "$o" --max-lines 20 >"$o.check" 2>&1
    rc=$?
    sed 's/^/    /' "$o.check"
    return $rc
}

# phase NAME "TCPFLOW ARGS" NETLAB ARGS...
phase() {
    name=$1 targs=$2; shift 2
    capture "$name" "$@"
    case $? in
        0) ;;
        77) echo "skipped $name: this kernel or machine cannot build it"; return;;
        *) bad "$name: could not produce the capture"; return;;
    esac
    # shellcheck disable=SC2086
    if run "$name" $targs; then ok "$name: every flow file exact"; else bad "$name: flow files differ from what the peers sent"; fi
}

conns=$(num 24 4)
size=$(num 300000 20000)
imp="--drop 2 --drop-after 1 --dup 1 --reorder 2"
for kind in gre gretap ipip sit ip6tnl ip6gre vxlan vxlan6 geneve; do
    case $kind in ipip) fam=4;; sit) fam=6;; *) fam=4,6;; esac
    # shellcheck disable=SC2086
    phase "$kind" "" --tunnel $kind --conns "$conns" --families $fam --max-size "$size" $imp --timeout 90
done
for kind in gre vxlan; do
    phase "$kind-outer-frag" "" --tunnel $kind --frag-mtu 1000 --conns "$conns" --families 4,6 \
        --max-size "$size" --timeout 90
done
phase vxlan-twin "-T %A.%a-%B.%b%U%u" --tunnel vxlan --twin --conns "$(num 12 4)" --families 4,6 \
    --max-size "$size" --dup 1 --reorder 2 --timeout 90
finish
