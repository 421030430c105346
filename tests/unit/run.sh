#!/bin/sh
# Runs each cmocka unit-test binary given as an argument; summary at the end.
pass=0 fail=0 failed=""
for b in "$@"; do
    if "$b" >"$b.log" 2>&1; then pass=$((pass+1)); echo "PASS $(basename "$b")"
    else fail=$((fail+1)); failed="$failed $b"; echo "FAIL $(basename "$b")"; tail -n 40 "$b.log" | sed 's/^/    /'; fi
done
echo "unit: $pass passed, $fail failed"
[ $fail = 0 ]
