#!/usr/bin/env bash
# Speed of two anketa binaries in the same run, on the same data sets: the timed anketa parts of
# benches/merge.sh and benches/report.sh, and the interviewer's cold start of
# benches/interviewer.sh, for OLD and NEW alternately (old, new, new, old, old, new, …).
#
#   benches/compare-speed.sh OLD_BIN NEW_BIN [N...]        default N: 100000
#
# For each N:
#   merge N    the data set of merge.sh (N simulated НКО interviews on two "laptops", every tenth
#              file copied to the second): `merge laptop1 laptop2 --out …`, page cache warmed,
#              one untimed run per binary first, `sync` before each run;
#   report N   the data set of report.sh (N ≤ 100,000: simulate НКО + ОМСУ and merge; beyond,
#              the NDJSON of examples/simulate_ndjson.rs, which must then already be in
#              ANKETA_BENCH_DIR or built in target/release/examples): `report … --format md`
#              and `report … --parse-only`;
# and, once, the cold start to the first frame (fastest of 50 per binary, as interviewer.sh).
# Each timed case runs ANKETA_SPEED_RUNS times per binary (default 5; the best is kept), both
# binaries interleaved, so that a change of load on the shared machine hits both alike. Prints a
# Markdown table: best wall time old / new, new ÷ old (of the best and of the medians), CPU time
# (user + sys, median), and every run: their spread is the noise. On a shared VM the wall time of
# merge varies with the disk (fsync): raise ANKETA_SPEED_RUNS, and TMPDIR=/dev/shm puts the merge
# outputs on tmpfs (the data sets stay in ANKETA_BENCH_DIR).
#
# ANKETA_BENCH_DIR=DIR: the data sets of merge.sh / report.sh are reused from there (and made
# there, with OLD_BIN, when missing); otherwise they are made in a temp dir, deleted at the end.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 OLD_BIN NEW_BIN [N...]" >&2
  exit 2
fi
OLD=$(realpath "$1") NEW=$(realpath "$2"); shift 2
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000)
RUNS=${ANKETA_SPEED_RUNS:-5}
cd "$(dirname "$0")/.."
. benches/datasets.sh
GEN=${CARGO_TARGET_DIR:-target}/release/examples/simulate_ndjson
if [ -n "${ANKETA_BENCH_DIR:-}" ]; then
  D=$ANKETA_BENCH_DIR
  mkdir -p "$D"
else
  D=$(mktemp -d "${TMPDIR:-/tmp}/anketa-speed.XXXXXX")
fi
S=$(mktemp -d "${TMPDIR:-/tmp}/anketa-speed-out.XXXXXX")
trap 'rm -rf "$S"; [ -n "${ANKETA_BENCH_DIR:-}" ] || rm -rf "$D"' EXIT
if pgrep -f 'benches/(report|merge|interviewer|compare-speed)\.sh' | grep -vqx "$$"; then
  echo "warning: another benchmark is running; the timings will not mean much" >&2
fi

# timed NAME TAG COMMAND…: one run; wall (ms, from the monotonic clock), CPU and RSS appended to
# $S/NAME.TAG (one line per run: wall_ms cpu_s rss_mb)
timed() {
  local name=$1 tag=$2; shift 2
  sync
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%U %S %M' -o "$S/last.time" "$@" > "$S/last.out" 2> "$S/last.err" || {
    echo "$name ($tag) failed:" >&2; cat "$S/last.err" >&2; exit 1; }
  t1=$(date +%s%N)
  awk -v w=$(((t1 - t0) / 1000000)) '{ printf "%d %.2f %.0f\n", w, $1 + $2, $3 / 1024 }' "$S/last.time" >> "$S/$name.$tag"
}
# alternate NAME COMMAND-WITH-@BIN@…: RUNS runs per binary, in the order old new new old old new …
alternate() {
  local name=$1; shift
  local k order tag bin
  for ((k = 0; k < RUNS; k++)); do
    if ((k % 2 == 0)); then order="old new"; else order="new old"; fi
    for tag in $order; do
      if [ "$tag" = old ]; then bin=$OLD; else bin=$NEW; fi
      prepare "$tag"
      timed "$name" "$tag" "${@/@BIN@/$bin}"
    done
  done
  NAMES+=("$name")
}
prepare() { :; }

LOAD0=$(cut -d' ' -f1-4 /proc/loadavg)
NAMES=()
for N in "${SIZES[@]}"; do
  # ---------------------------------------------------------------------------- merge
  M=$D/merge$N
  mkdir -p "$M"
  merge_set "$OLD" "$M" "$N"
  find "$M/laptop1" "$M/laptop2" -path '*/interviews/*.json' -print0 | xargs -0 cat > /dev/null
  for b in "$OLD" "$NEW"; do # untimed: write and delete the outputs once (see merge.sh)
    rm -rf "$S/out-merge"; "$b" merge "$M/laptop1" "$M/laptop2" --out "$S/out-merge" > /dev/null; rm -rf "$S/out-merge"
  done
  prepare() { rm -rf "$S/out-merge"; }
  alternate "merge $N" @BIN@ merge "$M/laptop1" "$M/laptop2" --out "$S/out-merge"
  prepare() { :; }
  rm -rf "$S/out-merge"

  # ---------------------------------------------------------------------------- report
  if [ "$N" -le 100000 ]; then
    INPUT=$D/merged$N NDJSON=$D/merged$N/interviews.ndjson
    [ -f "$NDJSON" ] || report_set "$OLD" "$D" "$N"
  else
    INPUT=$D/interviews$N.ndjson NDJSON=$INPUT
    if [ ! -f "$NDJSON" ]; then
      [ -x "$GEN" ] || { echo "$NDJSON is missing and $GEN is not built (cargo build --release --example simulate_ndjson, elsewhere)" >&2; exit 2; }
      "$GEN" "$N" "$NDJSON" >&2
    fi
  fi
  cat "$NDJSON" > /dev/null
  for b in "$OLD" "$NEW"; do # the data set is used whole by both (see report.sh)
    "$b" report "$INPUT" --format md > /dev/null 2> "$S/check.err"
    if grep -q "not used" "$S/check.err"; then
      echo "$b did not use every record of $INPUT:" >&2; head -3 "$S/check.err" >&2; exit 1
    fi
  done
  alternate "report $N" @BIN@ report "$INPUT" --format md
  alternate "report $N --parse-only" @BIN@ report "$INPUT" --parse-only
done

# ------------------------------------------------------------------------------ cold start
coldstart() { # BIN: fastest of 10 cold starts in a pty, ms (see interviewer.sh)
  ANKETA_DATA_DIR=$S/data ANKETA_EXIT_AFTER_FIRST_FRAME=1 python3 -c 'import sys,time,subprocess; c=sys.argv[1:]
t=[]
for _ in range(10):
    a=time.perf_counter(); subprocess.run(c,stdin=subprocess.DEVNULL,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,timeout=10); t.append(time.perf_counter()-a)
print("%.3f" % (min(t)*1000))' script -qec "$1" /dev/null
}
if command -v script > /dev/null; then
  co=() cn=()
  for k in 1 2 3 4 5; do # 5 × 10 per binary, interleaved
    if ((k % 2)); then co+=("$(coldstart "$OLD")"); cn+=("$(coldstart "$NEW")")
    else cn+=("$(coldstart "$NEW")"); co+=("$(coldstart "$OLD")"); fi
  done
  printf '%s 0 0\n' "${co[@]}" > "$S/cold start to first frame (ms, pty included).old"
  printf '%s 0 0\n' "${cn[@]}" > "$S/cold start to first frame (ms, pty included).new"
  NAMES+=("cold start to first frame (ms, pty included)")
fi

# ------------------------------------------------------------------------------ table
best() { sort -n "$1" | head -1 | cut -d' ' -f"$2"; }
median() { cut -d' ' -f"${2:-1}" "$1" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { r = b / a; printf "%.3f%s", r, (r > 1.05 ? " **> 1.05**" : "") }'; }
printf '\n%s cores; /proc/loadavg at the start: %s, at the end: %s; %s runs per binary\nold: %s\nnew: %s\n\n' \
  "$(nproc)" "$LOAD0" "$(cut -d' ' -f1-4 /proc/loadavg)" "$RUNS" "$OLD" "$NEW"
echo "| case | old (best) | new (best) | new ÷ old (best) | new ÷ old (median) | CPU new ÷ old (median) | old runs | new runs | peak RSS old / new |"
echo "|---|--:|--:|--:|--:|--:|---|---|---|"
for name in "${NAMES[@]}"; do
  o=$S/$name.old n=$S/$name.new
  if [[ $name == cold* ]]; then
    bo=$(best "$o" 1) bn=$(best "$n" 1) unit=ms
    runs_o=$(cut -d' ' -f1 "$o" | paste -sd' ') runs_n=$(cut -d' ' -f1 "$n" | paste -sd' ')
    cpu="" extra="| |"
  else
    bo=$(awk -v m="$(best "$o" 1)" 'BEGIN { printf "%.3f", m / 1000 }') bn=$(awk -v m="$(best "$n" 1)" 'BEGIN { printf "%.3f", m / 1000 }') unit=s
    runs_o=$(awk '{ printf "%s%.3f", (NR > 1 ? " " : ""), $1 / 1000 }' "$o") runs_n=$(awk '{ printf "%s%.3f", (NR > 1 ? " " : ""), $1 / 1000 }' "$n")
    cpu="$(median "$o" 2) / $(median "$n" 2) s: $(ratio "$(median "$o" 2)" "$(median "$n" 2)")"
    extra="| $(best "$o" 3) / $(best "$n" 3) MB |"
  fi
  echo "| $name | $bo $unit | $bn $unit | $(ratio "$bo" "$bn") | $(ratio "$(median "$o")" "$(median "$n")") | $cpu | $runs_o | $runs_n $extra"
done
