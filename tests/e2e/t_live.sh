#!/bin/sh
# t_live.sh - live capture that keeps up, and says what it lost.
#
#   exact   `tcpflow -i l0` on a router's port, beside tcpdump on the same port
#           (tests/e2e/realtraffic/netlab.py --beside), while LIVE_CONNS (40)
#           full-duplex connections over IPv4 and IPv6 carry up to LIVE_MAX
#           (8 MB) each way as fast as the lab goes, 1% dropped before the
#           port and 0.5% after it, 0.5% duplicated, 1% reordered.  A run
#           where tcpdump dropped packets does not count (retried, 3 tries);
#           otherwise tcpflow must stop on SIGINT with status 0, drop nothing
#           itself, and every flow file must equal what the peers sent.
#           LIVE_RUNS (1) runs in a row; the rate of each is printed.
#   tiny    the same with a tiny kernel buffer and no ring (-S
#           capture_buffer=1 -S capture_ring=0): tcpflow must lose packets,
#           say how many on stderr ("l0: N packets lost: N dropped by the
#           kernel ...") and in report.xml (<losses dropped_packets='N'>),
#           and its counters must add up (received = kernel drops +
#           captured = processed + kernel drops).
#   iface   -p and not -p (the port's promiscuity while tcpflow runs), -i any
#           with a filter of several words (flow files of TCP over lo),
#           a non-existent interface (one line naming it, status 1, no
#           output directory or report left behind); `tcpflow -c -i lo |
#           head -c 2000` on a busy lo ends within a second of head.
# The counters are read from report.xml's <losses><capture .../>.
# Needs root, ip netns, nft, tc, tcpdump, ethtool; otherwise skipped.
# Under a sanitizer the traffic is smaller, and a run where our (slow)
# tcpflow itself dropped packets is reported, not failed.
. "$(dirname "$0")/lib.sh"
need_root
RT="$TOP/tests/e2e/realtraffic"
T=$TCPFLOW
runs=${LIVE_RUNS:-1}
conns=${LIVE_CONNS:-40}
max=${LIVE_MAX:-8000000}
if [ -n "${TCPFLOW_SANITIZED:-}" ]; then conns=8; max=1000000; fi
tag=lv$$
ns=lvi$$
work=$(mktemp -d /tmp/tcpflow-live.XXXXXX)
cleanup() {
    "$PY" "$RT/netlab.py" teardown --tag "$tag" >/dev/null 2>&1
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
    if [ "$fails" != 0 ]; then echo "captures, plans and outputs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'fails=$((fails+1)); exit 130' INT TERM HUP

out=$("$PY" "$RT/netlab.py" probe 2>&1) || skip "live: $out"

# counters DIR: "received kdrops ifdrops captured processed" from report.xml
counters() {
    "$PY" - "$1/tf/report.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
try:
    c = ET.parse(sys.argv[1]).getroot().find("losses/capture")
    print(" ".join(c.get(k) for k in ("received", "kernel_drops", "interface_drops", "captured", "processed")))
except Exception:
    pass
PYEOF
}
# dropped DIR: <losses dropped_packets='N'> of report.xml
dropped() { sed -n "s/.*<losses dropped_packets='\([0-9]*\)'.*/\1/p" "$1/tf/report.xml"; }

# lab NAME EXTRA_TCPFLOW_ARGS: one lab run with tcpflow beside tcpdump, into
# $work/NAME; 0 ok, 1 could not be made (3 tries), 2 tcpdump dropped 3 times
lab() {
    name=$1 extra=$2
    for try in 1 2 3; do
        rm -rf "$work/$name"
        timeout --foreground 300 "$PY" "$RT/netlab.py" capture --tag "$tag" --out "$work/$name" \
            --conns "$conns" --families 4,6 --max-size "$max" --zero-pct 0 \
            --drop 1 --drop-after 0.5 --dup 0.5 --reorder 1 --timeout 150 \
            --beside "$T $extra -i {iface} -o {out}/tf" 2>"$work/$name.log"
        rc=$?
        case $rc in
            0) return 0;;
            77) skip "live: $(tail -n 1 "$work/$name.log")";;
            2) echo "    $(grep FAILED "$work/$name.log" | tail -n 1) (try $try: does not count)";;
            *) sed 's/^/    /' "$work/$name.log"; return 1;;
        esac
    done
    return 2
}

rate() { grep -o 'payload_mbit_s=[0-9.]*\|packets_s=[0-9]*\|[0-9]* payload bytes in [0-9.]*s' "$work/$1.log" | tr '\n' ' '; }

exact_ok=0
i=1
while [ "$i" -le "$runs" ]; do
    n=exact$i
    i=$((i+1))
    lab "$n" ""
    case $? in 1) bad "$n: the lab failed"; continue;; 2) bad "$n: tcpdump kept dropping packets"; continue;; esac
    d=$work/$n
    brc=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rc"])' "$d/beside.json")
    set -- $(counters "$d")
    if [ $# != 5 ]; then bad "$n: no capture counters from tcpflow"; sed 's/^/    /' "$d/beside.err" | tail -n 5; continue; fi
    recv=$1 kd=$2 ifd=$3 capd=$4 dlv=$5
    echo "    $n: $(rate "$n"); tcpflow: $recv received, $kd+$ifd dropped, $dlv delivered"
    if [ "$brc" != 0 ]; then bad "$n: tcpflow exited with status $brc on SIGINT"; continue; fi
    if ! grep -q "<run_status>stopped by SIGINT</run_status>" "$d/tf/report.xml"; then
        bad "$n: run_status: $(grep run_status "$d/tf/report.xml")"; continue
    fi
    if [ "$kd" != 0 ] || [ "$ifd" != 0 ]; then
        if [ -n "${TCPFLOW_SANITIZED:-}" ]; then echo "    $n: the sanitized tcpflow dropped $kd packets: not checked"; continue; fi
        bad "$n: tcpdump dropped nothing, tcpflow dropped $kd (kernel) + $ifd (interface)"; continue
    fi
    if "$PY" "$RT/netlab.py" check --plan "$d/plan.json" --outdir "$d/tf" --label tcpflow >"$d.check" 2>&1; then
        exact_ok=$((exact_ok+1))
        ok "$n: $(tail -n 1 "$d.check" | sed 's/^tcpflow: //')"
    else
        sed 's/^/    /' "$d.check" | tail -n 12
        bad "$n: flow files differ from what the peers sent, with 0 drops"
    fi
done
[ "$runs" -gt 1 ] && echo "    exact: $exact_ok of $runs runs"

# tiny: a kernel buffer of one block, no ring: losses, counted
lab tiny "-S capture_buffer=1 -S capture_ring=0"
case $? in
    1) bad "tiny: the lab failed";;
    2) bad "tiny: tcpdump kept dropping packets";;
    0)
        d=$work/tiny
        set -- $(counters "$d")
        if [ $# != 5 ]; then bad "tiny: no capture counters from tcpflow"
        else
            recv=$1 kd=$2 ifd=$3 capd=$4 dlv=$5
            echo "    tiny: $(rate tiny); tcpflow: $recv received, $kd dropped by the kernel, $capd captured"
            line=$(grep ": l0: [0-9]* packets lost: " "$d/beside.err")
            if [ "$kd" -gt 0 ] && [ "$(dropped "$d")" = $((kd + ifd)) ] && [ "$(echo "$line" | wc -l)" = 1 ] \
                && echo "$line" | grep -q ": l0: $((kd + ifd)) packets lost: $kd dropped by the kernel (its capture buffer was full)"; then
                ok "tiny: $kd packets dropped by the kernel, said once on stderr ('$(echo "$line" | sed 's/^[^ ]* //')') and in report.xml"
            elif [ "$kd" -gt 0 ]; then bad "tiny: $kd dropped: report.xml says $(dropped "$d"), stderr: $(cat "$d/beside.err")"
            else bad "tiny: a one-block buffer dropped nothing (the check proves nothing)"; fi
            [ "$recv" = $((kd + capd)) ] && [ "$capd" = "$dlv" ] \
                && ok "tiny: received $recv = $kd dropped + $capd captured, all delivered" \
                || bad "tiny: counters do not add up: received $recv, dropped $kd, captured $capd, delivered $dlv"
            if "$PY" "$RT/netlab.py" check --plan "$d/plan.json" --outdir "$d/tf" >"$d.check" 2>&1; then
                [ "$kd" -gt 0 ] && bad "tiny: $kd packets dropped, yet every flow file exact?"
            else
                ok "tiny: the losses show in the flow files ($(tail -n 1 "$d.check" | sed 's/.*; //'))"
            fi
        fi;;
esac

# iface: a namespace of our own with a veth pair and an address
ip netns add "$ns" || { bad "iface: ip netns add"; finish; }
ip -n "$ns" link set lo up
ip -n "$ns" link add v0 type veth peer name v1
ip -n "$ns" addr add 198.18.9.1/24 dev v0
ip -n "$ns" link set v0 up
ip -n "$ns" link set v1 up
# start ARGS...: tcpflow in the namespace, in the background, once it listens
start() {
    rm -f "$tmp/err"
    ip netns exec "$ns" "$T" "$@" 2>"$tmp/err" &
    pid=$!
    for _ in $(seq 100); do grep -q "listening on" "$tmp/err" 2>/dev/null && return 0; sleep 0.05; done
    return 1
}
stop() { kill -INT "$pid"; wait "$pid"; }
promisc() { ip -n "$ns" -d link show v0 | sed -n 's/.* promiscuity \([0-9]*\).*/\1/p'; }
mkdir -p "$tmp/o1" "$tmp/o2" "$tmp/o3"
p0=$(promisc)
if start -i v0 -o "$tmp/o1"; then
    p1=$(promisc); stop; rc=$?
    [ "$p1" = $((p0+1)) ] && [ $rc = 0 ] && ok "-i v0: promiscuous while it runs ($p0 -> $p1), SIGINT: status 0" \
        || bad "-i v0: promiscuity $p0 -> $p1, status $rc"
else bad "-i v0 did not start: $(cat "$tmp/err")"; kill "$pid" 2>/dev/null; fi
if start -p -i v0 -o "$tmp/o2"; then
    p1=$(promisc); stop; rc=$?
    [ "$p1" = "$p0" ] && [ $rc = 0 ] && ok "-p -i v0: not promiscuous ($p1)" || bad "-p: promiscuity $p0 -> $p1, status $rc"
else bad "-p -i v0 did not start: $(cat "$tmp/err")"; kill "$pid" 2>/dev/null; fi
# -i any, several filter words: TCP over lo in the namespace
if start -i any -o "$tmp/o3" tcp and port 9100 and host 198.18.9.1; then
    ip netns exec "$ns" "$PY" - <<'EOF'
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.9.1", 9100)); s.listen(1)
def serve():
    c, _ = s.accept(); data = b""
    while len(data) < 100000:
        d = c.recv(65536)
        if not d: break
        data += d
    c.sendall(b"pong" * 1000); c.close()
t = threading.Thread(target=serve); t.start()
k = socket.create_connection(("198.18.9.1", 9100)); k.sendall(b"ping" * 25000)
got = b""
while True:
    d = k.recv(65536)
    if not d: break
    got += d
k.close(); t.join()
EOF
    sleep 0.5; stop; rc=$?
    down=$(cat "$tmp"/o3/*09100-* 2>/dev/null | wc -c)
    f1=$(ls "$tmp/o3" | grep -c '\.09100$')
    if [ $rc = 0 ] && [ "$f1" = 1 ] && [ "$(cat "$tmp"/o3/*.09100 | wc -c)" = 100000 ] && [ "$down" = 4000 ]; then
        ok "-i any 'tcp and port 9100 and host 198.18.9.1': both directions exact (100000 and 4000 bytes)"
    else
        bad "-i any: status $rc, files: $(ls "$tmp/o3" | tr '\n' ' ')"
    fi
else bad "-i any did not start: $(cat "$tmp/err")"; kill "$pid" 2>/dev/null; fi
# a non-existent interface: one line, nothing left behind
ip netns exec "$ns" "$T" -i nosuch0 -o "$tmp/o4" >"$tmp/out" 2>&1; rc=$?
if [ $rc = 1 ] && [ "$(grep -c nosuch0 "$tmp/out")" = 1 ] && grep -q "nosuch0: no such interface (interfaces here: .*v0" "$tmp/out" \
    && [ ! -e "$tmp/o4" ]; then
    ok "-i nosuch0: status 1, nothing created, $(grep nosuch0 "$tmp/out")"
else bad "-i nosuch0: status $rc, $(ls -d "$tmp/o4" 2>&1): $(cat "$tmp/out")"; fi
(cd "$tmp" && ip netns exec "$ns" "$T" -i nosuch0 >/dev/null 2>&1)
[ ! -e "$tmp/report.xml" ] && ok "-i nosuch0 without -o: no report.xml" || bad "-i nosuch0 left $tmp/report.xml"

# console output into a pipe whose reader goes away, on a busy lo: a
# sender pushes 1000-byte segments every 0.5 ms for 20 s; head takes 2000
# bytes and exits; tcpflow must be gone within a second
ip netns exec "$ns" "$PY" - <<'EOF' &
import socket, threading, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9200)); s.listen(1)
def sink():
    c, _ = s.accept()
    while c.recv(65536):
        pass
threading.Thread(target=sink, daemon=True).start()
k = socket.create_connection(("127.0.0.1", 9200))
end = time.time() + 20
while time.time() < end:
    k.sendall(b"z" * 1000); time.sleep(0.0005)
EOF
gen=$!
sleep 0.5
( timeout 30 ip netns exec "$ns" "$T" -c -i lo 2>"$tmp/h.err"; echo $? > "$tmp/h.rc"; date +%s.%N > "$tmp/h.tf" ) \
    | ( head -c 2000 > "$tmp/h.out"; date +%s.%N > "$tmp/h.head" )
kill $gen 2>/dev/null; wait $gen 2>/dev/null
lag=$("$PY" -c 'import sys; print("%.3f" % (float(open(sys.argv[1]).read()) - float(open(sys.argv[2]).read())))' "$tmp/h.tf" "$tmp/h.head")
if [ "$(wc -c < "$tmp/h.out")" = 2000 ] && [ "$(cat "$tmp/h.rc")" = 0 ] && "$PY" -c "import sys; sys.exit(0 if $lag < 1 else 1)" \
    && [ "$(grep -vc 'listening on' "$tmp/h.err")" = 0 ]; then
    ok "-c -i lo | head -c 2000: tcpflow ended ${lag}s after head, status 0, quietly"
else bad "-c -i lo | head -c 2000: ended ${lag}s after head, status $(cat "$tmp/h.rc"), stderr: $(cat "$tmp/h.err")"; fi
# SIGINT is how a live capture stops: what it already captured is still
# processed.  4 MB cross lo while tcpflow's console output sits in a pipe
# nobody reads (so it is blocked writing, the rest waiting in its ring);
# SIGINT, then the reader starts: every byte must come out, status 0.
mkfifo "$tmp/dr.fifo"
( exec 3<"$tmp/dr.fifo"; while [ ! -e "$tmp/dr.go" ]; do sleep 0.1; done; cat <&3 > "$tmp/dr.out" ) &
rd=$!
ip netns exec "$ns" "$T" -C -B -0 -i lo tcp port 9400 > "$tmp/dr.fifo" 2>"$tmp/dr.err" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$tmp/dr.err" 2>/dev/null && break; sleep 0.05; done
ip netns exec "$ns" "$PY" - <<'EOF'
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9400)); s.listen(1)
def sink():
    c, _ = s.accept()
    while c.recv(65536):
        pass
t = threading.Thread(target=sink); t.start()
k = socket.create_connection(("127.0.0.1", 9400))
k.sendall(bytes(i * 7 % 251 for i in range(4000000))); k.close(); t.join()
EOF
sleep 0.5
kill -INT $pid
sleep 0.5
touch "$tmp/dr.go"
wait $pid; rc=$?
wait $rd
got=$(wc -c < "$tmp/dr.out")
if [ $rc = 0 ] && "$PY" -c 'import sys; sys.exit(open(sys.argv[1], "rb").read() != bytes(i * 7 % 251 for i in range(4000000)))' "$tmp/dr.out" \
    && ! grep -q "packets lost" "$tmp/dr.err"; then
    ok "SIGINT while the console was blocked: status 0, all 4000000 bytes captured before it printed"
else bad "SIGINT with a blocked console: status $rc, $got of 4000000 bytes printed, stderr: $(cat "$tmp/dr.err")"; fi

# the same on a quiet lo: one exchange, then nothing more to write; tcpflow
# must still see (POLLERR on its stdout) that head is gone
( sleep 1; ip netns exec "$ns" "$PY" -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 9300)); s.listen(1)
k = socket.create_connection(("127.0.0.1", 9300)); c, _ = s.accept()
k.sendall(b"hello, quiet world\n"); c.recv(100); time.sleep(5)' ) &
gen=$!
( timeout 20 ip netns exec "$ns" "$T" -c -i lo 2>"$tmp/q.err"; echo $? > "$tmp/q.rc"; date +%s.%N > "$tmp/q.tf" ) \
    | ( head -c 5 > "$tmp/q.out"; date +%s.%N > "$tmp/q.head" )
wait $gen 2>/dev/null
lag=$("$PY" -c 'import sys; print("%.3f" % (float(open(sys.argv[1]).read()) - float(open(sys.argv[2]).read())))' "$tmp/q.tf" "$tmp/q.head")
if [ "$(cat "$tmp/q.rc")" = 0 ] && "$PY" -c "import sys; sys.exit(0 if $lag < 1 else 1)"; then
    ok "-c -i lo | head -c 5, then a quiet lo: tcpflow ended ${lag}s after head, status 0"
else bad "-c -i lo | head -c 5 on a quiet lo: ended ${lag}s after head, status $(cat "$tmp/q.rc"), stderr: $(cat "$tmp/q.err")"; fi
finish
