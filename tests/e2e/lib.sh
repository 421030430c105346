# Helpers sourced by the end-to-end tests.  $TCPFLOW, $TOP, $SHARED, $PY are set by run.sh.
set -u
CORPUS="$SHARED/corpus"
ORACLE=/usr/bin/tcpflow          # Debian's tcpflow 1.6.1, the reference for compatible behaviour
tmp=$(mktemp -d /tmp/tcpflow-e2e.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; fails=$((fails+1)); }
skip() { echo "$*"; exit 77; }
# sample N: true for one call in N under sanitizers (the 1st, N+1st, ...),
# always otherwise.  The sanitizer pass repeats what the plain pass checked,
# ~3x slower; on the corpus loops a share of the captures is enough there.
sample_n=0
sample() { sample_n=$((sample_n+1)); [ -z "${TCPFLOW_SANITIZED:-}" ] || [ $((sample_n % $1)) = $(( $1 == 1 ? 0 : 1 )) ]; }
# corpus_sample N: the corpus's .pcap and .cap files (no spaces in their
# names), one in N of them under sanitizers (see sample)
corpus_sample() { for c in "$CORPUS"/*.pcap "$CORPUS"/*.cap; do [ -f "$c" ] && sample "$1" && echo "$c"; done; }
need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
need_oracle() { [ -x "$ORACLE" ] || skip "Debian tcpflow 1.6.1 not installed"; }
# sums DIR: "sha256  relative/path" for every regular file except report.xml, sorted
# (one python process: a sha256sum per file made t_jobs spend a minute spawning)
sums() { "$PY" -c '
import hashlib, os, stat, sys
top = os.fsencode(sys.argv[1]); out = []
for d, dirs, files in os.walk(top):
    for f in files:
        p = os.path.join(d, f)
        if f == b"report.xml" or not stat.S_ISREG(os.lstat(p).st_mode):
            continue
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for b in iter(lambda: fh.read(1 << 20), b""):
                h.update(b)
        out.append((os.path.relpath(p, top), h.hexdigest().encode()))
for rel, h in sorted(out):
    sys.stdout.buffer.write(h + b"  " + rel + b"\n")
' "$1"; }
# The end-of-run loss summary (src/app/losses.c, docs/internals/report.md):
# not faults.  faults FILE: the stderr lines that are, without these and
# 1.6.1's "reportfilename:" line.
LOSS_LINES=': [0-9]+ flows? ha(s|ve) holes: |: [0-9]+ of [0-9]+ packets were cut short by the snap length$|: skipped: |: [0-9]+ packets? lost: |: capture: [0-9]+ received, '
faults() { grep -v -E -e 'reportfilename:' -e "$LOSS_LINES" "$1"; }
finish() { if [ $fails = 0 ]; then echo "all ok"; exit 0; else echo "$fails failure(s)"; exit 1; fi; }
