#!/bin/sh
# Crafted captures (built with scapy at test time, deterministic) for every
# reassembly / file-output edge case: compares every output file's name, exact
# bytes and mtime.  See docs/internals/crafted-tests.md.
. "$TOP/tests/e2e/lib.sh"
"$PY" -c 'import scapy.all' >/dev/null 2>&1 || skip "scapy not importable by $PY (Debian package python3-scapy)"
"$PY" "$TOP/tests/e2e/crafted/check.py" --binary "$TCPFLOW" --tmp "$tmp"
