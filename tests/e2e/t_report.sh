#!/bin/sh
# The DFXML report (report.xml): well-formed, one fileobject per flow file
# with the right size, MD5 and SHA-256; the same flows and attributes as
# tcpflow 1.6.1 except the differences listed (with reasons) in
# tests/e2e/report/expected_diffs.md; -FX, -e md5, -b, -X, enable_report=NO,
# -c, truncated captures.
. "$(dirname "$0")/lib.sh"
command -v xmllint >/dev/null || skip "xmllint (libxml2-utils) not installed"
CHK="$PY $TOP/tests/e2e/report/check_report.py"
T=$TCPFLOW
D=$TOP/tests/data/demo.pcap
cd "$tmp" || exit 1

# wellformed NAME FILE: xmllint passes and the file ends with </dfxml>
wellformed() {
    if xmllint --noout "$2" 2>"$tmp/xerr" && tail -c 20 "$2" | grep -q '</dfxml>'; then ok "$1: report well-formed"
    else bad "$1: report not well-formed: $(head -c 300 "$tmp/xerr")"; fi
}
# files NAME REPORT DIR [check_report options]: the fileobjects match the files
files() {
    n=$1 r=$2 d=$3; shift 3
    if $CHK files --report "$r" --dir "$d" "$@" >"$tmp/cerr"; then ok "$n: fileobjects match the files ($*)"
    else bad "$n: $(head -c 600 "$tmp/cerr")"; fi
}
status() { sed -n 's:.*<run_status>\(.*\)</run_status>.*:\1:p' "$1"; }

# --- every corpus capture, -FM, against 1.6.1 -------------------------------
if [ -d "$CORPUS" ]; then
    oracle=$ORACLE
    [ -x "$ORACLE" ] || { oracle=""; echo "no tcpflow 1.6.1: corpus comparison skipped"; }
    if $CHK corpus --ours "$T" --oracle "$oracle" --corpus "$CORPUS" --table "$TOP/tests/e2e/report/expected_diffs.md" >"$tmp/corpus.log" 2>&1; then
        ok "corpus: $(tail -n 1 "$tmp/corpus.log")"
    else
        bad "corpus:"; grep -v '^[0-9]* captures' "$tmp/corpus.log" | head -40
    fi
else
    echo "no corpus: corpus checks skipped"
fi

# --- the demo capture: layout and contents ----------------------------------
$T -r $D -o fm -FM -S tcp_timeout=30 2>/dev/null; rc=$?
[ $rc = 0 ] && ok "-FM: exit 0" || bad "-FM: exit $rc"
wellformed "-FM" fm/report.xml
files "-FM" fm/report.xml fm --hash --flows 4
[ "$(status fm/report.xml)" = complete ] && ok "-FM: run_status complete" || bad "-FM: run_status '$(status fm/report.xml)'"
# digests are computed while the bytes are written; only a flow whose bytes
# were not written in order (the demo's reordered one) is read back
rb=$(sed -n "s/.*<counter name='flow files read back to hash them[^']*'>\([0-9]*\)<.*/\1/p" fm/report.xml)
[ "$rb" = 1 ] && ok "-FM: 3 of 4 files hashed while written, the reordered one read back" \
    || bad "-FM: files read back to hash them: '$rb' (expected 1: the reordered flow)"
$PY - fm/report.xml "$T -r $D -o fm -FM -S tcp_timeout=30" <<'EOF' && ok "header: real command line, one <configuration> with the setting, fileobjects under <dfxml>" || bad "header"
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
cl = r.find('creator/execution_environment/command_line')
assert cl is not None and cl.text == sys.argv[2], cl.text
cf = r.findall('configuration')
assert len(cf) == 1 and [(s.get('name'), s.text) for s in cf[0]] == [('tcp_timeout', '30')], cf
assert len(r.findall('fileobject')) == 4 and not cf[0].findall('fileobject')
assert r.findtext('creator/program') == 'TCPFLOW'
assert r.findtext('total_flows') == '4', r.findtext('total_flows')
EOF

# -e md5 gives the digests too; without either, none
$T -r $D -o em -e md5 2>/dev/null && files "-e md5" em/report.xml em --hash --flows 4 || bad "-e md5 run failed"
$T -r $D -o plain 2>/dev/null && files "no -FM" plain/report.xml plain --flows 4 || bad "plain run failed"

# -FX: no files, no <filename>, the same flows and sizes as with files
mkdir fx
$T -r $D -o fx -FX 2>/dev/null; rc=$?
[ $rc = 0 ] && ok "-FX: exit 0" || bad "-FX: exit $rc"
wellformed "-FX" fx/report.xml
files "-FX" fx/report.xml fx --nofiles --flows 4
$CHK same fm/report.xml fx/report.xml >"$tmp/cerr" && ok "-FX: same flows, attributes and filesizes as with files" || bad "-FX: $(cat "$tmp/cerr")"
# 1.6.1 creates the output directory for the report even with -FX
$T -r $D -o fx_new -FX 2>"$tmp/err"; rc=$?
[ $rc = 0 ] && [ -f fx_new/report.xml ] && ok "-FX into a new directory: report written" \
    || bad "-FX into a new directory: exit $rc, $(head -c 200 "$tmp/err")"

# -b: filesize stays the logical length, the file and the digests hold the first N bytes
$T -r $D -o b10 -b 10 -FM 2>/dev/null && files "-b 10" b10/report.xml b10 --hash --max-bytes 10 --flows 4 || bad "-b run failed"
$CHK same fm/report.xml b10/report.xml >"$tmp/cerr" && ok "-b 10: same flows and filesizes as without -b" || bad "-b: $(cat "$tmp/cerr")"

# -X elsewhere: the report goes there, and not into the output directory
mkdir xdir
$T -r $D -o xo -X xdir/r.xml -FM 2>/dev/null
[ -f xdir/r.xml ] && [ ! -e xo/report.xml ] && ok "-X: report at the given path only" || bad "-X: $(ls xdir xo)"
wellformed "-X" xdir/r.xml
files "-X" xdir/r.xml xo --hash --flows 4

# -S enable_report=NO: no report anywhere
$T -r $D -o nr -S enable_report=NO 2>/dev/null
[ ! -e nr/report.xml ] && [ -n "$(ls nr)" ] && ok "enable_report=NO: flow files, no report" || bad "enable_report=NO: $(ls nr)"
$T -r $D -o nrx -X nrx.xml -S enable_report=NO 2>/dev/null
[ ! -e nrx.xml ] && ok "enable_report=NO with -X: no report" || bad "enable_report=NO with -X wrote nrx.xml"

# -c: console only, no report (1.6.1 wrote one: SPEC 11.14)
mkdir con; (cd con && $T -r $D -c >/dev/null 2>&1)
[ -z "$(ls con)" ] && ok "-c: nothing written in the current directory" || bad "-c wrote $(ls con)"
$T -r $D -o cono -c >/dev/null 2>&1
[ ! -e cono/report.xml ] && ok "-c -o dir: no report" || bad "-c -o dir wrote a report"

# --- truncated captures: exit 1, report complete and well-formed ------------
for src in "$D" "$CORPUS/tcpflow_test1.pcap" "$CORPUS/http_chunked_gzip.pcap"; do
    [ -f "$src" ] || continue
    size=$(wc -c < "$src")
    for cut in $((size / 3)) $((size * 2 / 3 + 7)) $((size - 1)); do
        name="$(basename "$src") cut at $cut"
        head -c $cut "$src" > cut.pcap
        rm -rf cut; $T -r cut.pcap -o cut -FM 2>/dev/null; rc=$?
        [ $rc = 1 ] || bad "$name: exit $rc, expected 1"
        if xmllint --noout cut/report.xml 2>/dev/null && [ "$(status cut/report.xml)" = "completed with input errors" ] \
            && $CHK files --report cut/report.xml --dir cut --hash >"$tmp/cerr"; then
            ok "$name: exit 1, report well-formed, run_status says so, fileobjects match"
        else
            bad "$name: status '$(status cut/report.xml)' $(head -c 400 "$tmp/cerr")"
        fi
    done
done

# a capture that is not one at all: report still well-formed
head -c 100 /dev/zero > zero.pcap
$T -r zero.pcap -o z 2>/dev/null; rc=$?
[ $rc = 1 ] && ok "not a capture: exit 1" || bad "not a capture: exit $rc"
[ ! -e z/report.xml ] || wellformed "not a capture" z/report.xml

finish
