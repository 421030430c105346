#!/bin/sh
# -j and --shard change nothing in the output:
#  * every corpus capture, in the default mode and with -a -FM -I (bodies, digests,
#    indexes, report.pdf), gives the same flow files, names, bytes and report.xml
#    (fileobjects in the same order) with -j 1, -j 2 and -j 7;
#  * the three shards of --shard I/3, run side by side as three processes (as on three
#    machines), together write exactly the flow files of one run, and
#    scripts/merge-reports.py makes one report of theirs holding the same fileobjects;
#  * the same on real traffic through the impaired lab (when root and netns work).
# JOBS_QUICK=1 (and under sanitizers): a sixth of the corpus, default mode only.
. "$(dirname "$0")/lib.sh"
[ -n "${TCPFLOW_SANITIZED:-}" ] && JOBS_QUICK=1      # sanitizers: a sixth of the corpus
T=$TCPFLOW
MERGE="$PY $TOP/scripts/merge-reports.py"

# report.xml less what differs between two runs: the run's own facts (time, command
# line, resources), and -j's descriptor figures
norm() {
    sed -e '/<compilation_date>/d' -e '/<command_line>/d' -e '/<start_time>/d' \
        -e '/<rusage>/,/<\/rusage>/d' -e '/<open_fds_at_end>/d' -e '/<max_open_flows>/d' "$1"
}

# outdir DIR: every file but report.xml/pdf as "sha  name", then the normalized report
# and the words of report.pdf
digest() {
    sums "$1" | grep -v '  report\.pdf$'
    [ -f "$1/report.xml" ] && norm "$1/report.xml"
    [ -f "$1/report.pdf" ] && pdftotext "$1/report.pdf" - 2>/dev/null | grep -v '^Generated: '
    true
}

# same CAP ARGS...: -j 1, 2 and 7 on CAP give the same output
same() {
    cap=$1; shift
    for j in 1 2 7; do
        rm -rf "$tmp/j$j" "$tmp/out"
        (cd "$tmp" && "$T" -j $j "$@" -r "$cap" -o out >"j$j.out" 2>"j$j.err"; echo $? >"j$j.rc")
        mv "$tmp/out" "$tmp/j$j" 2>/dev/null
        digest "$tmp/j$j" > "$tmp/j$j.sum"
        cat "$tmp/j$j.out" >> "$tmp/j$j.sum"
        sed "s|$T|tcpflow|g" "$tmp/j$j.err" >> "$tmp/j$j.sum"
        cat "$tmp/j$j.rc" >> "$tmp/j$j.sum"
    done
    for j in 2 7; do
        if ! cmp -s "$tmp/j1.sum" "$tmp/j$j.sum"; then
            bad "$(basename "$cap") [$*]: -j $j differs from -j 1"
            diff "$tmp/j1.sum" "$tmp/j$j.sum" | head -10 | sed 's/^/    /'
            return 1
        fi
    done
    return 0
}

# shards CAP: the union of 3 shards equals one run
shards() {
    cap=$1
    rm -rf "$tmp/whole" "$tmp/s0" "$tmp/s1" "$tmp/s2"
    (cd "$tmp" && "$T" -r "$cap" -o whole >/dev/null 2>&1)
    for i in 0 1 2; do (cd "$tmp" && "$T" -j 2 --shard $i/3 -r "$cap" -o "s$i" >/dev/null 2>&1) & done
    wait
    sums "$tmp/whole" > "$tmp/whole.sum"
    for i in 0 1 2; do sums "$tmp/s$i"; done | LC_ALL=C sort > "$tmp/union.sum"
    LC_ALL=C sort "$tmp/whole.sum" > "$tmp/whole.sorted"
    if ! cmp -s "$tmp/whole.sorted" "$tmp/union.sum"; then
        bad "$(basename "$cap"): the union of 3 shards differs from one run"
        diff "$tmp/whole.sorted" "$tmp/union.sum" | head -10 | sed 's/^/    /'
        return 1
    fi
    # one report out of the three: the same fileobjects as the whole run's, by file name,
    # each shard numbering its own flows
    if ! $MERGE "$tmp/merged.xml" "$tmp/s0/report.xml" "$tmp/s1/report.xml" "$tmp/s2/report.xml" 2>"$tmp/merge.err"; then
        bad "$(basename "$cap"): merge-reports: $(cat "$tmp/merge.err")"
        return 1
    fi
    objs() { "$PY" - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
out = []
for fo in r.findall('fileobject'):
    t = fo.find('tcpflow')
    if t is not None:
        for a in ('flow_id', 'session_id'):
            t.attrib.pop(a, None)
    fn = fo.find('filename')
    if fn is not None and fn.text:
        fn.text = fn.text.split('/', 1)[-1]
    out.append(ET.tostring(fo, encoding='unicode').strip())
print('\n'.join(sorted(out)))
EOF
    }
    objs "$tmp/whole/report.xml" > "$tmp/whole.objs"
    objs "$tmp/merged.xml" > "$tmp/merged.objs"
    if ! cmp -s "$tmp/whole.objs" "$tmp/merged.objs"; then
        bad "$(basename "$cap"): the merged report's fileobjects differ from one run's"
        diff "$tmp/whole.objs" "$tmp/merged.objs" | head -6 | sed 's/^/    /'
        return 1
    fi
    xmllint --noout "$tmp/merged.xml" 2>"$tmp/lint" || { bad "$(basename "$cap"): merged report not well-formed: $(head -2 "$tmp/lint")"; return 1; }
    return 0
}

if [ -d "$CORPUS" ]; then
    n=0 nf=0 ns=0 nsf=0
    for cap in "$CORPUS"/*.pcap* "$CORPUS"/*.cap; do
        [ -f "$cap" ] || continue
        n=$((n+1))
        if [ -n "${JOBS_QUICK:-}" ] && [ $((n % 6)) != 1 ]; then continue; fi
        same "$cap" || nf=$((nf+1))
        [ -n "${JOBS_QUICK:-}" ] && continue
        [ $((n % 2)) = 1 ] || continue       # every other capture: modes and shards
        same "$cap" -a -FM -I || nf=$((nf+1))
        ns=$((ns+1))
        shards "$cap" || nsf=$((nsf+1))
    done
    [ $nf = 0 ] && ok "corpus: -j 1, -j 2 and -j 7 give the same output (${JOBS_QUICK:+a sixth of }$n captures)"
    [ $ns -gt 0 ] && [ $nsf = 0 ] && ok "corpus: -a -FM -I the same with -j; 3 shards together equal one run, merged report too ($ns captures)"
else
    echo "no corpus at $CORPUS: corpus checks skipped"
fi

# real traffic through the impaired lab
RT="$TOP/tests/e2e/realtraffic"
if [ -z "${JOBS_QUICK:-}" ] && [ "$(id -u)" = 0 ] && "$PY" "$RT/netlab.py" probe >/dev/null 2>&1; then
    tag=jb$$
    if timeout --foreground 200 "$PY" "$RT/netlab.py" capture --tag "$tag" --out "$tmp/rt" --conns 24 --families 4,6 \
            --max-size 400000 --drop 2 --drop-after 1 --dup 1 --reorder 2 --timeout 90 >"$tmp/rt.log" 2>&1; then
        same "$tmp/rt/capture.pcap" && ok "real traffic: -j 1, -j 2 and -j 7 give the same output"
        "$PY" "$RT/netlab.py" check --plan "$tmp/rt/plan.json" --outdir "$tmp/j7" --label j7 >"$tmp/rt.check" 2>&1 \
            && ok "real traffic: -j 7's flow files equal what the peers sent" \
            || { bad "real traffic: -j 7's flow files differ from what the peers sent"; tail -5 "$tmp/rt.check"; }
        shards "$tmp/rt/capture.pcap" && ok "real traffic: 3 shards together equal one run"
    else
        echo "the lab could not make a capture: $(tail -1 "$tmp/rt.log")"
    fi
    "$PY" "$RT/netlab.py" teardown --tag "$tag" >/dev/null 2>&1
fi
finish
