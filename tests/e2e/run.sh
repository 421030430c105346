#!/bin/sh
# End-to-end test runner: runs every tests/e2e/t_*.sh (or those named in
# $E2E_ONLY, a space-separated list of globs) with $TCPFLOW set.
# A test exits 0 (pass), 77 (skip, with a reason on stdout) or anything else (fail).
# Output of each test goes to build/e2e-logs/<name>.log; failures are shown.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${TCPFLOW:?set TCPFLOW to the binary under test}"
export TCPFLOW TOP="$top" SHARED="${SHARED:-$top/../shared}" PY=/usr/bin/python3
logs="$top/build/e2e-logs${TCPFLOW_SANITIZED:+-asan}"
mkdir -p "$logs"
pass=0 fail=0 skip=0 failed=""
for t in "$here"/t_*.sh; do
    n=$(basename "$t" .sh)
    if [ -n "${E2E_ONLY:-}" ]; then
        m=0; for g in $E2E_ONLY; do case "$n" in $g) m=1;; esac; done
        [ $m = 1 ] || continue
    fi
    start=$(date +%s)
    sh "$t" >"$logs/$n.log" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    case $rc in
        0) pass=$((pass+1)); echo "PASS $n (${secs}s)";;
        77) skip=$((skip+1)); echo "SKIP $n: $(tail -n 1 "$logs/$n.log")";;
        *) fail=$((fail+1)); failed="$failed $n"; echo "FAIL $n (exit $rc, ${secs}s)"; tail -n 30 "$logs/$n.log" | sed 's/^/    /';;
    esac
done
echo "e2e: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ]
