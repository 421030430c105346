#!/bin/sh
# t_run_end.sh - how a run ends and what it says:
#   losses   the snaplen-truncated corpus capture says once that bytes are
#            missing (how many, of how many, in how many flows) and that
#            packets were cut short; report.xml's <losses> has the same
#            numbers; -q says nothing; exit 0 (damaged input, job done);
#            a clean capture says nothing
#   full     console output to /dev/full: one clear message, exit 1 (each
#            console layout)
#   pipe     console output into `head -c 100`: tcpflow stops as soon as
#            head is gone (its input still open), quietly, exit 0
#   -K       -c -K -o NEWDIR creates NEWDIR
#   progress on a terminal the progress line shows, but not when console
#            output goes to the same terminal
# (Signals: t_environment.sh; live capture: t_live.sh.)
. "$(dirname "$0")/lib.sh"
[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
T=$TCPFLOW
C=$CORPUS
cd "$tmp" || exit 1
msgs() { grep -v 'reportfilename:' "$1"; }

# ---- losses ----
S=$C/snaplen_truncated_1mb.pcap
"$T" -r "$S" -o s 2>err; rc=$?
want1="1 flow has holes: 978420 of its 999150 bytes were not in the capture (written as zeros)"
want2="691 of 878 packets were cut short by the snap length"
if [ $rc = 0 ] && [ "$(msgs err | wc -l)" = 2 ] && [ "$(grep -c "$want1" err)" = 1 ] && [ "$(grep -c "$want2" err)" = 1 ]; then
    ok "snaplen_truncated_1mb: exit 0, said once: '$want1', '$want2'"
else bad "snaplen_truncated_1mb: exit $rc, stderr: $(cat err)"; fi
if xmllint --noout s/report.xml 2>/dev/null \
    && grep -q "<losses dropped_packets='0' missing_bytes='978420' truncated_packets='691' skipped='0'>" s/report.xml \
    && grep -q "<missing_bytes flows='1' bytes='978420' of='999150'/>" s/report.xml \
    && grep -q "<truncated packets='691' of='878'/>" s/report.xml; then
    ok "snaplen_truncated_1mb: report.xml <losses> holds the same numbers"
else bad "snaplen_truncated_1mb: report.xml: $(sed -n '/<losses/,/<\/losses>/p' s/report.xml)"; fi
"$T" -q -r "$S" -o s2 2>err; rc=$?
[ $rc = 0 ] && [ -z "$(msgs err)" ] && ok "-q: nothing said" || bad "-q: exit $rc: $(cat err)"
"$T" -c -r "$S" > /dev/null 2>err
grep -q "978420 of its 999150 bytes were not in the capture (shown as gaps)" err \
    && ok "-c: the holes are shown as gaps" || bad "-c: $(cat err)"
"$T" -r "$C/irc_basic.pcap" -o c 2>err; rc=$?
[ $rc = 0 ] && [ -z "$(msgs err)" ] && grep -q "<losses dropped_packets='0' missing_bytes='0' truncated_packets='0' skipped='0'/>" c/report.xml \
    && ok "a clean capture: nothing said, <losses> all zero" || bad "clean: exit $rc: $(cat err)"
"$T" -r "$C/http_jpegs_ipv4frag.cap" -o j 2>err
grep -q "skipped: 19 fragmented datagrams incomplete at end of input" err \
    && grep -q "<reason count='19'>fragmented datagrams incomplete at end of input</reason>" j/report.xml \
    && ok "skipped: incomplete fragmented datagrams said and recorded" || bad "skipped: $(cat err)"

# ---- console output to a full disk ----
for o in "-c" "-C -D" "-c -J" "-c -g -B"; do
    # shellcheck disable=SC2086
    "$T" $o -r "$C/sll_http.pcap" > /dev/full 2>err; rc=$?
    if [ $rc = 1 ] && [ "$(msgs err | wc -l)" = 1 ] \
        && grep -q "stopped: standard output: write failed: No space left on device" err; then
        ok "$o > /dev/full: exit 1, '$(msgs err | sed 's/^[^ ]* //')'"
    else bad "$o > /dev/full: exit $rc: $(cat err)"; fi
done

# ---- console output into a pipe whose reader goes away ----
# the input stays open (a fifo held by sleep 30): only the closed pipe can
# end the run
mkfifo fifo
for o in "-c" "-c -J"; do
    (cat "$C/sll_http.pcap"; exec sleep 30) > fifo & w=$!
    start=$(date +%s)
    # shellcheck disable=SC2086
    ( "$T" $o -r - < fifo 2>err; echo $? > rc ) | head -c 100 > out
    secs=$(( $(date +%s) - start ))
    kill $w 2>/dev/null; wait $w 2>/dev/null
    if [ "$(cat rc)" = 0 ] && [ "$(wc -c < out)" = 100 ] && [ $secs -le 5 ] && [ -z "$(msgs err)" ]; then
        ok "$o | head -c 100: tcpflow ended quietly with status 0 after ${secs}s (input still open)"
    else bad "$o | head -c 100: status $(cat rc) after ${secs}s: $(cat err)"; fi
done

# ---- -c -K -o NEWDIR ----
"$T" -c -K -o newdir -r "$C/vlan_http.pcap" > out 2>err; rc=$?
n=$(ls newdir 2>/dev/null | grep -c '\.pcap$')
[ $rc = 0 ] && [ "$n" = 2 ] && ! grep -q "cannot create" err \
    && ok "-c -K -o newdir: created, $n pcaps" || bad "-c -K -o newdir: exit $rc, $n pcaps: $(cat err)"

# ---- the progress line and a terminal shared with console output ----
# The capture is fed slowly (64 KiB every 50 ms: about 2 s) so that the run
# lasts long enough for the line (drawn every 4096 records, at most twice a
# second).  Prints: carriage returns seen, progress lines seen.
pty() {
    "$PY" - "$@" <<'EOF'
import os, pty, subprocess, sys, threading, time
mode, cmd = sys.argv[1], sys.argv[2:]
m, s = pty.openpty()
out = subprocess.DEVNULL if mode == "file" else s
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=s)
os.close(s)
def feed():
    with open(os.environ["C"] + "/tls_334_midstream_flows.pcap", "rb") as f:
        while True:
            b = f.read(65536)
            if not b:
                break
            p.stdin.write(b); p.stdin.flush(); time.sleep(0.05)
    p.stdin.close()
threading.Thread(target=feed, daemon=True).start()
buf = b""
while True:
    try:
        d = os.read(m, 65536)
    except OSError:
        break
    if not d:
        break
    buf += d
p.wait()
sys.stdout.write("%d %d\n" % (buf.count(b"\r"), buf.count(b" flows, ")))
EOF
}
export C
# shellcheck disable=SC2046
set -- $(pty tty "$T" -r - -o p1)
[ "${2:-0}" -gt 0 ] && ok "progress line on a terminal: drawn ($2 times)" || bad "no progress line on a terminal (control): $*"
# shellcheck disable=SC2046
set -- $(pty tty "$T" -c -r -)
[ "${2:-1}" = 0 ] && ok "-c on the same terminal: no progress line" || bad "-c on the terminal: progress drawn: $*"
# shellcheck disable=SC2046
set -- $(pty file "$T" -c -r -)
[ "${2:-0}" -gt 0 ] && ok "-c to a file, stderr on a terminal: progress line drawn ($2 times)" || bad "-c to a file: no progress line: $*"
finish
