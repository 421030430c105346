#!/bin/sh
# End-to-end test runner: runs every tests/e2e/t_*.sh (or those named in
# $E2E_ONLY, a space-separated list of globs) with $TCPFLOW set.
# A test exits 0 (pass), 77 (skip, with a reason on stdout) or anything else (fail).
# Output of each test goes to build/e2e-logs/<name>.log; failures are shown.
#
# The tests in PARALLEL only read captures into their own temporary
# directories (no network, no live capture, no timing, no build): they run
# $E2E_JOBS at a time (default 2), before the others, which run one at a time
# (real traffic, live capture and signal timing must not compete for the CPU).
# PARALLEL is in order of cost, longest first: each lane takes the next test
# when it is free, so the lanes end close together.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${TCPFLOW:?set TCPFLOW to the binary under test}"
export TCPFLOW TOP="$top" SHARED="${SHARED:-$top/../shared}" PY=/usr/bin/python3
logs="$top/build/e2e-logs${TCPFLOW_SANITIZED:+-asan}"
mkdir -p "$logs"
jobs=${E2E_JOBS:-2}
PARALLEL="t_json t_netviz t_damaged t_kpcap t_naming t_report t_corpus_compat t_tunnels_corpus
          t_crafted t_wifiviz t_hooks t_inputs t_manpage"

picked() {
    [ -n "${E2E_ONLY:-}" ] || return 0
    for g in $E2E_ONLY; do case "$1" in $g) return 0;; esac; done
    return 1
}
par="" solo=""
if [ "$jobs" -gt 1 ]; then
    for n in $PARALLEL; do [ -f "$here/$n.sh" ] && picked "$n" && par="$par $n"; done
fi
for t in "$here"/t_*.sh; do
    n=$(basename "$t" .sh)
    picked "$n" || continue
    case " $par " in *" $n "*) continue;; esac
    solo="$solo $n"
done

# run N: the test's output to its log, "rc seconds" to its .result
run() {
    start=$(date +%s)
    sh "$here/$1.sh" >"$logs/$1.log" 2>&1
    echo "$? $(( $(date +%s) - start ))" >"$logs/$1.result"
}

pass=0 fail=0 skip=0
# tell N: print the outcome of N and count it
tell() {
    read -r rc secs <"$logs/$1.result"
    case $rc in
        0) pass=$((pass+1)); echo "PASS $1 (${secs}s)";;
        77) skip=$((skip+1)); echo "SKIP $1: $(tail -n 1 "$logs/$1.log")";;
        *) fail=$((fail+1)); echo "FAIL $1 (exit $rc, ${secs}s)"; tail -n 30 "$logs/$1.log" | sed 's/^/    /';;
    esac
}

# next: the first test left in the queue (removed from it), under a lock
next() {
    while ! mkdir "$logs/.lock" 2>/dev/null; do sleep 0.05; done
    n=$(head -n 1 "$logs/.queue")
    tail -n +2 "$logs/.queue" >"$logs/.queue.new" && mv "$logs/.queue.new" "$logs/.queue"
    rmdir "$logs/.lock"
    printf '%s' "$n"
}

if [ -n "$par" ]; then
    rm -rf "$logs/.lock"
    printf '%s\n' $par >"$logs/.queue"
    lane=0
    while [ $lane -lt "$jobs" ]; do
        ( while n=$(next) && [ -n "$n" ]; do run "$n"; done ) &
        lane=$((lane+1))
    done
    wait
    rm -f "$logs/.queue"
    for n in $par; do tell "$n"; done
fi
for n in $solo; do
    run "$n"
    tell "$n"
done
echo "e2e: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
