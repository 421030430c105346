#!/bin/sh
# python/bench.sh: the cost of the python scanner.  For each capture of the
# benchmark (bench/run.sh makes them: big.pcap, 256 HTTP GETs of 1-6.4 MiB;
# many.pcap, 120,000 connections), runs build/tcpflow plainly and with
#   -e python -S py_path=tests/e2e/python -S py_module=e2eplug -S py_function=length
# (a function returning len(data)) in alternating pairs, with flow files and
# with -FX, and prints the medians of wall time, CPU time (user + system) and
# peak RSS, and their ratios to the plain run.
#
# Environment: BENCH_DIR (/dev/shm/tcpflow-bench: where big.pcap and many.pcap
# are), OURS (build/tcpflow), REPS (3), CAPS ("big many"), ARGS ("str
# memoryview": the -S py_arg values to measure), OUT (/dev/shm: outputs).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/dev/shm/tcpflow-bench}
OURS=${OURS:-$ROOT/build/tcpflow}
REPS=${REPS:-3}
CAPS=${CAPS:-big many}
ARGS=${ARGS:-str memoryview}
OUT=$(mktemp -d "${OUT:-/dev/shm}/tcpflow-pybench.XXXXXX")
trap 'rm -rf "$OUT"' EXIT INT TERM
PYS="-e python -S py_path=$ROOT/tests/e2e/python -S py_module=e2eplug -S py_function=length"
export PYTHONDONTWRITEBYTECODE=1 TZ=UTC

# run LABEL ARGS...: one timed run into a fresh directory; appends "wall cpu rss" to $OUT/LABEL
run() {
    label=$1; shift
    rm -rf "$OUT/o"
    sync
    /usr/bin/time -f '%e %U %S %M' -o "$OUT/t" "$OURS" "$@" -o "$OUT/o" >/dev/null 2>"$OUT/err" || {
        echo "$label failed: $(tail -3 "$OUT/err")" >&2; exit 1; }
    awk '{ printf "%s %.2f %d\n", $1, $2 + $3, $4 }' "$OUT/t" >> "$OUT/$label"
    rm -rf "$OUT/o"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { cut -d' ' -f"$2" "$OUT/$1" | median; }

printf '%-6s %-7s %-16s %8s %8s %9s %7s %7s %7s\n' capture mode run wall_s cpu_s rss_MiB wall_x cpu_x rss_x
for cap in $CAPS; do
    pcap=$BENCH_DIR/$cap.pcap
    [ -f "$pcap" ] || { echo "no $pcap (run sh bench/run.sh once, as root, to make it)" >&2; exit 1; }
    for mode in files nofiles; do
        fx=""; [ $mode = nofiles ] && fx=-FX
        rm -f "$OUT"/plain "$OUT"/py.*
        for i in $(seq "$REPS"); do
            run plain -r "$pcap" $fx
            for a in $ARGS; do run "py.$a" -r "$pcap" $fx $PYS -S py_arg="$a"; done
        done
        pw=$(col plain 1); pc=$(col plain 2); pr=$(col plain 3)
        printf '%-6s %-7s %-16s %8s %8s %9d %7s %7s %7s\n' "$cap" "$mode" plain "$pw" "$pc" $((pr / 1024)) 1.00 1.00 1.00
        for a in $ARGS; do
            w=$(col "py.$a" 1); c=$(col "py.$a" 2); r=$(col "py.$a" 3)
            printf '%-6s %-7s %-16s %8s %8s %9d %7.2f %7.2f %7.2f\n' "$cap" "$mode" "python $a" "$w" "$c" $((r / 1024)) \
                "$(echo "$w / $pw" | bc -l)" "$(echo "$c / $pc" | bc -l)" "$(echo "$r / $pr" | bc -l)"
        done
    done
done
