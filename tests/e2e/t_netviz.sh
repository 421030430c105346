#!/bin/sh
# The netviz scanner (-e netviz, -a): <outdir>/report.pdf against Debian's
# tcpflow 1.6.1 on every corpus capture: the page's text (header, totals,
# transport shares, span, table titles, top-3 lines) read back with
# pdftotext; expected differences checked one by one
# (tests/e2e/netviz/compare.py).  A planted symlink at report.pdf is not
# followed; -a writes the page too.
. "$TOP/tests/e2e/lib.sh"
[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
need_oracle
command -v pdftotext >/dev/null || skip "pdftotext missing (Debian package poppler-utils)"
command -v tshark >/dev/null || skip "tshark missing"
if "$PY" "$TOP/tests/e2e/netviz/compare.py" --compat "$TOP/docs/compat.md" --ours "$TCPFLOW" --oracle "$ORACLE" \
    --tmp "$tmp/cmp" $(corpus_sample 3) >"$tmp/cmp.log" 2>&1; then
    ok "corpus: $(grep -c '^same' "$tmp/cmp.log") pages as 1.6.1's, $(grep -c '^known' "$tmp/cmp.log") with checked differences"
else
    bad "corpus pages differ"; grep '^DIFF' "$tmp/cmp.log" | head -n 10 | cut -c1-300 | sed 's/^/    /'
fi

c="$CORPUS/http11_keepalive_multi_stream.pcap"
mkdir -p "$tmp/a"
"$TCPFLOW" -a -r "$c" -o "$tmp/a/out" >/dev/null 2>&1
if pdftotext -raw "$tmp/a/out/report.pdf" - 2>/dev/null | grep -qx 'Packets analyzed: 751 (494.49 KB)'; then
    ok "-a writes report.pdf"
else bad "-a: no report.pdf with the totals"; fi

mkdir -p "$tmp/sl/out"; echo precious > "$tmp/sl/target"
ln -s "$tmp/sl/target" "$tmp/sl/out/report.pdf"
"$TCPFLOW" -e netviz -r "$c" -o "$tmp/sl/out" >"$tmp/sl/log" 2>&1; rc=$?
if [ "$(cat "$tmp/sl/target")" = precious ] && [ $rc = 1 ] && grep -q 'report.pdf' "$tmp/sl/log"; then
    ok "planted symlink at report.pdf not followed (said, exit 1)"
else bad "planted symlink: rc=$rc"; cat "$tmp/sl/log" | head -3 | sed 's/^/    /'; fi
finish
