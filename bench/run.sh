#!/bin/sh
# bench/run.sh [--quick] [--results FILE] [--help]
#
# Times OUR tcpflow against Debian's tcpflow 1.6.1 on the same real-traffic captures, in paired
# alternating runs, and prints/writes a table of ratios (speed, CPU, peak RSS). See bench/README.md.
#
#   1. makes the captures once into $BENCH_DIR (tmpfs), with /work/shared/bench/make-captures.sh
#      (root: network namespaces, nginx, curl, tcpdump); later runs reuse them
#   2. builds many10.pcap (10 x the connections of many.pcap) with bench/pcap-replicate.c
#   3. hands over to bench/bench.py: correctness check of both programs' output against the plan
#      (untimed, doubles as warm-up), then N paired runs per capture and mode, then the table
#
# Environment:
#   OURS=build/tcpflow   REF=/usr/bin/tcpflow   BENCH_REPS=5   BENCH_DIR=/dev/shm/tcpflow-bench
#   BENCH_ONLY="big many:files ..."   captures, or capture:mode (files nofiles extra), to run
#   BENCH_LARGE=1        also many10 (1.2M connections, 2.5 GB) in the full run
#   BENCH_OUT=DIR        where outputs go (default $BENCH_DIR/out, tmpfs)
#   BENCH_EXTRA="many=-Fk -S tcp_timeout=10;big=-j 1;..."   extra argument variants, ';'-separated cap=args
#   BENCH_RESULTS=FILE   same as --results
#   BENCH_TIMEOUT=900    seconds before one run is killed (and reported as an error)
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${BENCH_SHARED:-/work/shared/bench}
PY=/usr/bin/python3

log() { printf '%s bench: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

QUICK=0
RESULTS=${BENCH_RESULTS:-}
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1 ;;
    --results|-o) [ $# -ge 2 ] || die "$1 needs a file name"; RESULTS=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

export TZ=UTC LC_ALL=C

if [ "$QUICK" = 1 ]; then
  # about 1/10 of every capture: ~100 MiB big, 12k connections many, 5 lossy GETs
  BENCH_DIR=${BENCH_DIR:-/dev/shm/tcpflow-bench-quick}
  export TFB_N_BIG="${TFB_N_BIG:-26}" TFB_N_MANY="${TFB_N_MANY:-12000}" TFB_N_LOSSY="${TFB_N_LOSSY:-5}"
  CAPS="big many lossy many10"
  REPS=${BENCH_REPS:-3}
else
  BENCH_DIR=${BENCH_DIR:-/dev/shm/tcpflow-bench}
  CAPS="big many lossy"
  [ "${BENCH_LARGE:-0}" = 1 ] && CAPS="$CAPS many10"
  REPS=${BENCH_REPS:-5}
fi
PARAMS="TFB_N_BIG=${TFB_N_BIG:-256} TFB_N_MANY=${TFB_N_MANY:-120000} TFB_N_LOSSY=${TFB_N_LOSSY:-48} TFB_N_SMALL=${TFB_N_SMALL:-4096}"

# subset: BENCH_ONLY tokens are "cap" or "cap:mode"
if [ -n "${BENCH_ONLY:-}" ]; then
  want=""
  for t in $BENCH_ONLY; do
    c=${t%%:*}
    case $c in big|many|lossy|many10) ;; *) die "BENCH_ONLY: unknown capture '$c'" ;; esac
    case " $want " in *" $c "*) ;; *) want="$want $c" ;; esac
  done
  CAPS=$want
fi

# ---- the two programs ----------------------------------------------------------------------
OURS=${OURS:-$ROOT/build/tcpflow}
REF=${REF:-/usr/bin/tcpflow}
case $OURS in /*) ;; *) OURS=$(pwd)/$OURS ;; esac
[ -x "$OURS" ] || die "OURS=$OURS is not an executable (build it with 'make', or set OURS=...)"
[ -x "$REF" ] || die "REF=$REF missing: apt-get install tcpflow"
[ -x /usr/bin/time ] || die "/usr/bin/time missing: apt-get install time"
[ -x "$PY" ] || die "$PY missing: apt-get install python3"

# ---- captures ------------------------------------------------------------------------------
mkdir -p "$BENCH_DIR"
if [ -f "$BENCH_DIR/PARAMS" ] && [ "$(cat "$BENCH_DIR/PARAMS")" != "$PARAMS" ]; then
  die "$BENCH_DIR was made with $(cat "$BENCH_DIR/PARAMS"), not $PARAMS: remove it or set BENCH_DIR"
fi

need=""   # base captures to make
for c in $CAPS; do
  b=$c; [ "$c" = many10 ] && b=many
  if [ ! -f "$BENCH_DIR/$b.ok" ] || [ ! -f "$BENCH_DIR/$b.pcap" ]; then
    case " $need " in *" $b "*) ;; *) need="$need $b" ;; esac
  fi
done
if [ -n "$need" ]; then
  [ "$(id -u)" = 0 ] || die "captures missing ($need) and making them needs root: run as root once"
  log "making captures:$need into $BENCH_DIR ($PARAMS; about 2 minutes for the full set)"
  for b in $need; do rm -f "$BENCH_DIR/$b.ok"; done
  # make-captures.sh installs what it lacks (iproute2 ethtool tcpdump nginx-light curl python3 gcc)
  TFB_ONLY=${need# } bash "$SHARED/make-captures.sh" "$BENCH_DIR" ||
    die "make-captures.sh failed (logs in $BENCH_DIR/logs)"
  echo "$PARAMS" >"$BENCH_DIR/PARAMS"
  for b in $need; do touch "$BENCH_DIR/$b.ok"; done
  cat "$BENCH_DIR/CAPTURES.txt" >>"$BENCH_DIR/MADE.txt"
  # the served files (~1 GiB for big) are only needed to make captures; plans stay
  rm -rf "$BENCH_DIR/www" "$BENCH_DIR/run"
  rm -f "$BENCH_DIR"/curl-*.cfg
fi

case " $CAPS " in *" many10 "*)
  src=$(stat -c '%s %Y' "$BENCH_DIR/many.pcap")   # many10 is rebuilt when many.pcap changes
  if [ ! -f "$BENCH_DIR/many10.pcap" ] || [ "$(cat "$BENCH_DIR/many10.src" 2>/dev/null)" != "$src" ]; then
    log "building many10.pcap (10 copies of many.pcap on new client addresses)"
    mkdir -p "$BENCH_DIR/bin"
    cc -std=c11 -O2 -Wall -Wextra -o "$BENCH_DIR/bin/pcap-replicate" "$HERE/pcap-replicate.c"
    "$BENCH_DIR/bin/pcap-replicate" "$BENCH_DIR/many.pcap" "$BENCH_DIR/many10.tmp" 10
    # its plan: each row of plan-many.tsv once per copy, copy k on client 198.18.k.X
    awk -F'\t' 'BEGIN { OFS = "\t" }
      NR == 1 { print; next }
      { row[n++] = $0 }
      END { for (k = 0; k < 10; k++) for (i = 0; i < n; i++) {
              split(row[i], f, "\t"); ip = f[2]
              if (k > 0) sub(/\.0\./, "." k ".", ip)
              print k * n + i, ip, f[3], f[4], f[5], f[6], f[7], f[8] } }' \
      "$BENCH_DIR/plan-many.tsv" >"$BENCH_DIR/plan-many10.tsv"
    mv "$BENCH_DIR/many10.tmp" "$BENCH_DIR/many10.pcap"
    echo "$src" >"$BENCH_DIR/many10.src"
  fi ;;
esac

# ---- results file --------------------------------------------------------------------------
if [ -z "$RESULTS" ]; then
  suffix=""; [ "$QUICK" = 1 ] && suffix="-quick"
  RESULTS=$HERE/results/$(date -u +%Y-%m-%dT%H%M%SZ)$suffix.txt
fi
mkdir -p "$(dirname "$RESULTS")"

set +e
"$PY" "$HERE/bench.py" --dir "$BENCH_DIR" --out "${BENCH_OUT:-$BENCH_DIR/out}" \
  --ours "$OURS" --ref "$REF" --reps "$REPS" --caps "$CAPS" --only "${BENCH_ONLY:-}" \
  --extra "${BENCH_EXTRA-many=-Fk -S tcp_timeout=10;big=-j 1;many=-j 1;many=-FX -j 1}" --check "$SHARED/check-flows.py" \
  --results "$RESULTS" --quick "$QUICK" --timeout "${BENCH_TIMEOUT:-900}"
rc=$?
set -e
log "cache $BENCH_DIR holds $(du -sh "$BENCH_DIR" | cut -f1) (tmpfs: counts against RAM); /dev/shm: $(df -h /dev/shm | awk 'NR==2{print $3" used, "$4" free"}')"
log "results in $RESULTS"
exit $rc
