#!/bin/sh
# Every corpus capture: our flow files against tcpflow 1.6.1's; every difference
# must be one listed (with its reason) in docs/compat.md.
. "$(dirname "$0")/lib.sh"
need_oracle
[ -d "$CORPUS" ] || skip "no corpus at $CORPUS"
exec $PY "$TOP/tests/e2e/corpus_compat.py" --ours "$TCPFLOW" --corpus "$CORPUS" --table "$TOP/docs/compat.md"
