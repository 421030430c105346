#!/bin/sh
# Runs every libFuzzer harness built in build-fuzz/fuzz/ for $1 seconds each,
# starting from its seeds (tests/fuzz/seeds/<name>/) and a scratch corpus.
# A crash leaves its input in build-fuzz/findings/<name>/ and fails the run.
secs=${1:-20}
top=$(cd "$(dirname "$0")/../.." && pwd)
pass=0 fail=0
for b in "$top"/build-fuzz/fuzz/fuzz_*; do
    [ -x "$b" ] || continue
    n=$(basename "$b"); n=${n#fuzz_}
    work="$top/build-fuzz/corpus/$n"; found="$top/build-fuzz/findings/$n"
    mkdir -p "$work" "$found"
    seeds="$top/tests/fuzz/seeds/$n"; [ -d "$seeds" ] || seeds=""
    if "$b" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$found/" -print_final_stats=1 "$work" $seeds >"$top/build-fuzz/$n.log" 2>&1; then
        pass=$((pass+1)); echo "PASS fuzz_$n ($secs s, $(grep -m1 'stat::number_of_executed_units' "$top/build-fuzz/$n.log" | awk '{print $2}') execs)"
    else
        fail=$((fail+1)); echo "FAIL fuzz_$n: see build-fuzz/$n.log and $found"; tail -n 20 "$top/build-fuzz/$n.log" | sed 's/^/    /'
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail = 0 ]
