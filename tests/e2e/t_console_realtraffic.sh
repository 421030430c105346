#!/bin/sh
# t_console_realtraffic.sh - console output of real, impaired TCP traffic:
# RTC_CONNS (16) concurrent full-duplex connections over IPv4 and IPv6
# between network namespaces (tests/e2e/realtraffic/netlab.py), 0..300 KB
# each way, 3% dropped before the capture point and 2% after it (so the
# capture holds originals and their retransmissions), 3% of frames
# duplicated, 3% delayed (reordered).  Then, per flow direction, what is
# printed, concatenated in the order printed, must be exactly what the peer
# sent (tests/e2e/console/check_plan.py, against netlab's plan):
#   -c -J   records contiguous per direction (offset = bytes printed so far),
#           no gap record, decoded payloads = the sent bytes
#   -c -B   bodies (cut at the "<flow name>: " headers) = the sent bytes
#   -c      the same with non-printables as '.'
#   -C -B   the -J records' bytes, each + \n, in the same order
# and -J's addresses, ports, times and offsets are tshark's (when installed).
# Equal lengths and contents mean no byte printed twice despite the
# retransmissions and duplicates, and none lost.  Control: the same check
# must reject `-S tcp_overlap=last -c -J` (retransmitted bytes printed again),
# and the capture must hold segments behind the highest sequence seen.
# Needs root, ip netns, nft, tc, tcpdump, ethtool; otherwise skipped.
# On failure the capture, plan and outputs are kept and their directory printed.
. "$(dirname "$0")/lib.sh"
need_root
RT="$TOP/tests/e2e/realtraffic"
CHK="$TOP/tests/e2e/console/check_plan.py"
T=$TCPFLOW
tag=rtc$$
work=$(mktemp -d /tmp/tcpflow-console-rt.XXXXXX)
cleanup() {
    "$PY" "$RT/netlab.py" teardown --tag "$tag" >/dev/null 2>&1
    rm -rf "$tmp"
    if [ "$fails" != 0 ]; then echo "capture, plan and outputs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'fails=$((fails+1)); exit 130' INT TERM HUP

out=$("$PY" "$RT/netlab.py" probe 2>&1) || skip "console realtraffic: $out"

cap=$work/cap
for try in 1 2; do
    rm -rf "$cap"
    timeout --foreground 100 "$PY" "$RT/netlab.py" capture --tag "$tag" --out "$cap" \
        --conns "${RTC_CONNS:-16}" --families 4,6 --max-size 300000 \
        --drop 3 --drop-after 2 --dup 3 --reorder 3 --timeout 30 2>"$work/netlab.log"
    rc=$?
    sed 's/^/    /' "$work/netlab.log"
    case $rc in
        0) break;;
        77) skip "console realtraffic: $(tail -n 1 "$work/netlab.log")";;
        2) echo "    capture failed (traffic or tcpdump), try $try";;
        *) break;;
    esac
done
[ "$rc" = 0 ] || { bad "could not produce the capture (netlab exit $rc)"; finish; }
P=$cap/capture.pcap

behind=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["capture_stats"]["tcp_behind"])' "$cap/plan.json")
if [ "$behind" -gt 0 ]; then ok "capture: $behind TCP segments behind the highest sequence seen (retransmitted, duplicated or late)"
else bad "capture: no retransmitted, duplicated or late segment (impairments ineffective): the checks prove nothing"; fi

# run NAME ARGS...: $work/NAME.out from $T ARGS -r $P (exit status 0 required)
run() {
    n=$1; shift
    if timeout --foreground 120 "$T" "$@" -r "$P" > "$work/$n.out" 2> "$work/$n.err"; then return 0; fi
    bad "$T $* exited with status $?: $(head -c 300 "$work/$n.err")"
    return 1
}
run j -c -J && run c -c && run b -c -B && run r -C -B &&
    if r=$("$PY" "$CHK" "$cap/plan.json" "json:$work/j.out" "text:$work/c.out" "bin:$work/b.out" \
            "raw:$work/r.out"); then ok "-c -J, -c, -c -B, -C -B: $r"
    else bad "console output differs from what the peers sent: $r"; fi

# -J addresses, ports, times and offsets against tshark: records are runs of
# new bytes, not whole packets here, so each is matched to the frames of the
# same capture time whose payload holds the record's bytes at its offset
# (console/check_tshark.py --any), and the directions with records must be
# tshark's directions with payload.
if ! command -v tshark > /dev/null; then
    echo "skipped: -J against tshark (tshark not installed: Debian package tshark)"
elif [ -s "$work/j.out" ]; then
    if r=$("$PY" "$TOP/tests/e2e/console/check_tshark.py" --any "$P" "$work/j.out"); then ok "-J vs tshark: $r"
    else bad "-J vs tshark: $r"; fi
fi

# The checker itself must see bytes printed twice.
if run last -S tcp_overlap=last -c -J; then
    if r=$("$PY" "$CHK" "$cap/plan.json" "json:$work/last.out"); then
        bad "check_plan.py accepts -S tcp_overlap=last output (retransmissions printed again): $r"
    else ok "control: -S tcp_overlap=last rejected ($r)"; fi
fi
finish
