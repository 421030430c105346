#!/bin/sh
# -S tcp_alert_fd and -S tcp_cmd: the same "open"/"close" lines as 1.6.1 (as a
# set: we announce a flow's close when it is finished, in the same run order
# as 1.6.1 but not interleaved identically), in file and console mode; tcp_cmd
# runs once on every flow file, and the run still reads the whole capture
# (1.6.1's children corrupted its input: SPEC 8.4).
. "$TOP/tests/e2e/lib.sh"
need_oracle
[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
caps="http10_request_rst.pcap http11_keepalive_multi_stream.pcap tcp_ooo_overlap_http206.pcap vlan_http.pcap"
for c in $caps; do
    for who in ours ref; do
        bin=$TCPFLOW; [ $who = ref ] && bin=$ORACLE
        d="$tmp/$c.$who"; mkdir -p "$d"
        (cd "$d" && "$bin" -S tcp_alert_fd=3 -r "$CORPUS/$c" -o out 3>alerts >/dev/null 2>&1
                    "$bin" -c -S tcp_alert_fd=3 -r "$CORPUS/$c" 3>calerts >/dev/null 2>&1)
        LC_ALL=C sort "$d/alerts" > "$d/alerts.s"; LC_ALL=C sort "$d/calerts" > "$d/calerts.s"
    done
    a="$tmp/$c.ours" b="$tmp/$c.ref"
    # lines about the files both runs wrote (1.6.1's padding bug makes files we do not: docs/compat.md)
    (cd "$a/out" && find . -type f ! -name report.xml -printf '%P\n') | LC_ALL=C sort > "$a/files"
    (cd "$b/out" && find . -type f ! -name report.xml -printf '%P\n') | LC_ALL=C sort > "$b/files"
    LC_ALL=C comm -12 "$a/files" "$b/files" > "$tmp/both"
    for d in "$a" "$b"; do
        awk -F'\t' 'NR==FNR { want["out/" $0] = 1; next } ($2 in want)' "$tmp/both" "$d/alerts.s" > "$d/alerts.x"
        awk -F'\t' 'NR==FNR { want[$0] = 1; next } ($2 in want)' "$tmp/both" "$d/calerts.s" > "$d/calerts.x"
    done
    if [ "$(wc -l < "$a/alerts.x")" = $(( 2 * $(wc -l < "$tmp/both") )) ] &&
       cmp -s "$a/alerts.x" "$b/alerts.x" && cmp -s "$a/calerts.x" "$b/calerts.x"; then
        ok "$c: tcp_alert_fd lines as 1.6.1 for the $(wc -l < "$tmp/both") files both write (file mode and -c)"
    else
        bad "$c: tcp_alert_fd lines differ"; diff "$a/alerts.x" "$b/alerts.x" | head -5 | sed 's/^/    /'
        diff "$a/calerts.x" "$b/calerts.x" | head -5 | sed 's/^/    /'
    fi
    # every open has its close, once
    opens=$(grep -c '^open' "$a/alerts"); closes=$(grep -c '^close.' "$a/alerts")
    files=$(find "$a/out" -type f ! -name report.xml | wc -l)
    if [ "$opens" = "$files" ] && grep '^open' "$a/alerts" | cut -f2 | sort | uniq -d | grep -q . ; then
        bad "$c: a file announced twice"
    elif [ "$opens" = "$files" ]; then ok "$c: one open line per flow file ($files)"
    else bad "$c: $opens open lines for $files files"; fi
done

# tcp_cmd: run once per flow file, with its path; the flow files are those of a run without it
cat >"$tmp/cmd.sh" <<'EOS'
#!/bin/sh
printf '%s %s\n' "$1" "$(wc -c < "$1")" >> "$(dirname "$1")/../cmd.log"
EOS
chmod +x "$tmp/cmd.sh"
c=http11_keepalive_multi_stream.pcap
mkdir -p "$tmp/cmd" "$tmp/plain"
(cd "$tmp/cmd" && "$TCPFLOW" -S tcp_cmd="$tmp/cmd.sh" -r "$CORPUS/$c" -o out >/dev/null 2>&1); rc=$?
(cd "$tmp/plain" && "$TCPFLOW" -r "$CORPUS/$c" -o out >/dev/null 2>&1)
(cd "$tmp/plain/out" && for f in $(find . -type f ! -name report.xml -printf '%P\n' | LC_ALL=C sort); do
    printf 'out/%s %s\n' "$f" "$(wc -c < "$f")"; done) > "$tmp/want"
LC_ALL=C sort "$tmp/cmd/cmd.log" > "$tmp/got" 2>/dev/null
if [ $rc = 0 ] && [ -s "$tmp/want" ] && cmp -s "$tmp/got" "$tmp/want" &&
   [ "$(sums "$tmp/cmd/out")" = "$(sums "$tmp/plain/out")" ]; then
    ok "tcp_cmd: run once on each of $(wc -l < "$tmp/want") flow files, complete when it ran; capture read whole"
else
    bad "tcp_cmd (rc=$rc)"; diff "$tmp/got" "$tmp/want" | head | sed 's/^/    /'
fi
finish
