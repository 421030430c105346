#!/bin/sh
# compare-builds.sh OLD_BINARY NEW_BINARY [CAPTURE ...]
#
# Runs two builds of tcpflow on the same captures in several modes and
# reports any difference in what they write: flow files (names and bytes),
# console output, -K pcaps, .findx indexes, HTTP bodies, the words of
# report.pdf, and report.xml with what must differ between two runs taken
# out (timing, rusage, the command line's binary path, build date).
# For a change that must not change behaviour (a restructuring), run it
# with the build before and the build after:
#
#   git worktree add /tmp/before <commit> && make -C /tmp/before
#   sh scripts/compare-builds.sh /tmp/before/build/tcpflow build/tcpflow
#
# Captures default to ../shared/corpus/*.  Exit 0 when everything is equal.
set -u
[ $# -ge 2 ] || { echo "usage: $0 OLD NEW [CAPTURE ...]" >&2; exit 2; }
old=$(readlink -f "$1"); new=$(readlink -f "$2"); shift 2
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$top"/../shared/corpus/*.pcap* "$top"/../shared/corpus/*.cap
work=$(mktemp -d /tmp/compare-builds.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Lines of report.xml that differ between any two runs.
normalize() {
    sed -e '/<compilation_date>/d' -e '/<command_line>/d' -e '/<start_time>/d' -e '/<implementation /d' \
        -e '/<rusage>/,/<\/rusage>/d' -e '/<compiler>/d' "$1"
}

# run BIN DIR MODE-ARGS... : one run, cwd DIR, output in DIR/out
run() {
    bin=$1; dir=$2; shift 2
    mkdir -p "$dir" && (cd "$dir" && "$bin" "$@" > stdout 2> stderr; echo $? > rc)
    [ -f "$dir/out/report.xml" ] && { normalize "$dir/out/report.xml" > "$dir/report.norm"; rm "$dir/out/report.xml"; }
    [ -f "$dir/out/report.pdf" ] && { pdftotext "$dir/out/report.pdf" - 2>/dev/null | grep -v "^Generated: " > "$dir/report.pdf.txt"; rm "$dir/out/report.pdf"; }
    sed -i -e "s|$bin|tcpflow|g" "$dir/stderr"
}

diffs=0 runs=0
for cap in "$@"; do
    [ -f "$cap" ] || continue
    name=$(basename "$cap")
    i=0
    for mode in "" "-a" "-FM" "-K" "-c" "-J" "-I" "-T %A/%a/%B/%b/%c%N"; do
        i=$((i+1))
        # shellcheck disable=SC2086
        run "$old" "$work/a" -r "$cap" -o out $mode
        # shellcheck disable=SC2086
        run "$new" "$work/b" -r "$cap" -o out $mode
        runs=$((runs+1))
        if ! diff -r "$work/a" "$work/b" > "$work/diff" 2>&1; then
            diffs=$((diffs+1))
            echo "DIFF $name [$mode]"
            head -20 "$work/diff" | sed 's/^/    /'
        fi
        rm -rf "$work/a" "$work/b"
    done
done
echo "$runs runs, $diffs with differences"
[ $diffs = 0 ]
