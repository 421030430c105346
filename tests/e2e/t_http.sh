#!/bin/sh
# The http scanner (-e http, -a) against Debian's tcpflow 1.6.1: body file
# names, bytes and report <byte_run>s on crafted response streams (every
# framing, coding and parser corner; tests/e2e/http/gen_http.py) and on every
# corpus capture, with and without -Z; http_alert_fd lines and http_cmd
# arguments; a symlink planted at a body file's name is not followed.
# Expected differences are checked one by one by tests/e2e/http/compare.py.
. "$TOP/tests/e2e/lib.sh"
need_oracle
"$PY" -c 'import scapy.all' >/dev/null 2>&1 || skip "scapy not importable by $PY (Debian package python3-scapy)"
H="$TOP/tests/e2e/http"
"$PY" "$H/gen_http.py" "$tmp/caps" || { bad "gen_http.py failed"; finish; }

cmp_run() {   # LABEL ARGS CAPTURES...
    label=$1 args=$2; shift 2
    if "$PY" "$H/compare.py" --args="$args" --ours "$TCPFLOW" --oracle "$ORACLE" --tmp "$tmp/cmp" "$@" >"$tmp/cmp.log" 2>&1; then
        ok "$label: $(grep -c '^same' "$tmp/cmp.log") captures as 1.6.1 ($(grep -c '^known' "$tmp/cmp.log") expected differences)"
    else
        bad "$label"; grep -v '^same\|^known\|^skip' "$tmp/cmp.log" | head -n 20 | sed 's/^/    /'
    fi
}
cmp_run "crafted" "" "$tmp"/caps/*.pcap
cmp_run "crafted -Z" "-Z" "$tmp"/caps/*.pcap
if [ -d "$CORPUS" ]; then
    cmp_run "corpus" "" "$CORPUS"/*.pcap "$CORPUS"/*.cap
    cmp_run "corpus -Z" "-Z" "$CORPUS"/*.pcap "$CORPUS"/*.cap
else
    echo "(no corpus at $CORPUS: corpus comparison not run)"
fi

# http_alert_fd and http_cmd: the same lines, the same files, as 1.6.1
cat >"$tmp/cmd.sh" <<'EOS'
#!/bin/sh
printf '%s %s\n' "$1" "$(wc -c < "$1")" >> "$(dirname "$1")/cmd.log"
EOS
chmod +x "$tmp/cmd.sh"
cap="$tmp/caps/pipelined_types.pcap"
for who in ours ref; do
    bin=$TCPFLOW; [ $who = ref ] && bin=$ORACLE
    mkdir -p "$tmp/al.$who"
    (cd "$tmp/al.$who" && "$bin" -e http -S http_alert_fd=3 -S http_cmd="$tmp/cmd.sh" -r "$cap" -o out \
        3>alerts.txt >/dev/null 2>&1)
    sleep 0.2                                  # 1.6.1 does not wait for its http_cmd children
done
if [ -s "$tmp/al.ours/alerts.txt" ] && cmp -s "$tmp/al.ours/alerts.txt" "$tmp/al.ref/alerts.txt"; then
    ok "http_alert_fd: $(wc -l < "$tmp/al.ours/alerts.txt") lines, as 1.6.1"
else
    bad "http_alert_fd differs from 1.6.1"; diff "$tmp/al.ours/alerts.txt" "$tmp/al.ref/alerts.txt" | head | sed 's/^/    /'
fi
sort "$tmp/al.ours/out/cmd.log" > "$tmp/cmd.ours" 2>/dev/null; sort "$tmp/al.ref/out/cmd.log" > "$tmp/cmd.ref" 2>/dev/null
if [ -s "$tmp/cmd.ours" ] && cmp -s "$tmp/cmd.ours" "$tmp/cmd.ref"; then
    ok "http_cmd: run on $(wc -l < "$tmp/cmd.ours") bodies, as 1.6.1"
else
    bad "http_cmd differs from 1.6.1"; diff "$tmp/cmd.ours" "$tmp/cmd.ref" | head | sed 's/^/    /'
fi

# A symlink planted where a body file goes is not followed: the target is
# untouched, the failure is said, the exit status is 1, the other bodies are written.
mkdir -p "$tmp/sl/out"
echo precious > "$tmp/sl/target"
ln -s "$tmp/sl/target" "$tmp/sl/out/010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-002.png"
"$TCPFLOW" -e http -r "$cap" -o "$tmp/sl/out" >"$tmp/sl/log" 2>&1; rc=$?
if [ "$(cat "$tmp/sl/target")" = precious ] && [ $rc = 1 ] && grep -q 'HTTPBODY-002.png: cannot create' "$tmp/sl/log" &&
   [ -s "$tmp/sl/out/010.000.000.002.00080-010.000.000.001.01234-HTTPBODY-003.json" ]; then
    ok "planted symlink not followed (exit 1, said, other bodies written)"
else
    bad "planted symlink: rc=$rc, target '$(cat "$tmp/sl/target")'"; sed 's/^/    /' "$tmp/sl/log" | head -5
fi
xmllint --noout "$tmp/sl/out/report.xml" 2>/dev/null && ok "report well-formed after the failure" || bad "report not well-formed"
finish
