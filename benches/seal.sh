#!/usr/bin/env bash
# Benchmark of merging sealed interviews (issue 16): `anketa merge --identity` of N sealed
# interviews against `anketa merge` of the same N interviews in plaintext, in the same run.
#
#   benches/seal.sh [N]        N simulated НКО interviews (default 100000), 10 % in progress
#
# Simulates the same N interviews twice (same seed): plaintext, and sealed to one key
# (`simulate --seal-to`); warms the page cache; then times the two merges alternately, 3 times
# each (best wall time kept: the machine may be shared), with /usr/bin/time -v, and prints a
# Markdown table: wall, CPU (user + system), peak RSS and the ratio sealed / plaintext. Both
# merges must write the same interviews.ndjson (checked). Target: ratio ≤ 2.
# ANKETA_BENCH_DIR=DIR keeps the simulated files there for the next run; ANKETA_BIN=PATH times
# that binary instead of building one.
set -euo pipefail
N=${1:-100000}
ANKETA_BIN=${ANKETA_BIN:+$(realpath "$ANKETA_BIN")}
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
[ -n "$ANKETA_BIN" ] || cargo build --release --quiet
BIN=${ANKETA_BIN:-$CARGO_TARGET_DIR/release/anketa}
if [ -n "${ANKETA_BENCH_DIR:-}" ]; then
  TMP=$ANKETA_BENCH_DIR/seal$N
  mkdir -p "$TMP"
  trap 'rm -rf "$TMP"/out-* "$TMP"/*.time "$TMP"/*.try' EXIT
else
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/anketa-seal.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
fi
rm -rf "$TMP"/out-* "$TMP"/*.time
[ -f "$TMP/sup.key" ] || "$BIN" keygen --out "$TMP/sup" > /dev/null
for kind in plain sealed; do
  if [ ! -f "$TMP/$kind.done" ]; then
    rm -rf "${TMP:?}/$kind"
    extra=()
    [ $kind = sealed ] && extra=(--seal-to "$TMP/sup.pub")
    "$BIN" simulate --questionnaire nko --count "$N" --out "$TMP/$kind" --seed 16 --incomplete-share 0.1 "${extra[@]}" > /dev/null
    touch "$TMP/$kind.done"
  fi
done
for kind in plain sealed; do
  echo "$kind: $(find "$TMP/$kind/interviews" -name '*.json' | wc -l) files, $(du -sb "$TMP/$kind/interviews" | cut -f1) bytes" >&2
  find "$TMP/$kind/interviews" -name '*.json' -print0 | xargs -0 cat > /dev/null
done

wall_of() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%d", s*1000}' "$1"; }
run() {
  local name=$1; shift
  sync
  /usr/bin/time -v -o "$TMP/$name.try" "$@" > /dev/null 2>&1 || true
  if [[ ! -f $TMP/$name.time ]] || (( $(wall_of "$TMP/$name.try") < $(wall_of "$TMP/$name.time") )); then
    mv "$TMP/$name.try" "$TMP/$name.time"
  fi
  rm -rf "$TMP/out-$name"
}
for round in 1 2 3; do
  run plain "$BIN" merge "$TMP/plain" --out "$TMP/out-plain"
  run sealed "$BIN" merge "$TMP/sealed" --identity "$TMP/sup.key" --out "$TMP/out-sealed"
done
"$BIN" merge "$TMP/plain" --out "$TMP/out-a" > /dev/null
"$BIN" merge "$TMP/sealed" --identity "$TMP/sup.key" --out "$TMP/out-b" > /dev/null
cmp "$TMP/out-a/interviews.ndjson" "$TMP/out-b/interviews.ndjson" || { echo "the merged data differ" >&2; exit 1; }
rm -rf "$TMP/out-a" "$TMP/out-b"

cpu_of() { awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$1"; }
rss_of() { awk -F': ' '/Maximum resident/ {printf "%d", $2/1024}' "$1"; }
pw=$(wall_of "$TMP/plain.time"); sw=$(wall_of "$TMP/sealed.time")
echo "| merge $N | plaintext | sealed (--identity) | sealed / plaintext |"
echo "|---|---|---|---|"
echo "| wall | $(awk "BEGIN{printf \"%.2f s\", $pw/1000}") | $(awk "BEGIN{printf \"%.2f s\", $sw/1000}") | $(awk "BEGIN{printf \"%.2f×\", $sw/$pw}") |"
pc=$(cpu_of "$TMP/plain.time"); sc=$(cpu_of "$TMP/sealed.time")
echo "| CPU (user + sys) | $pc s | $sc s | $(awk "BEGIN{printf \"%.2f×\", $sc/$pc}") |"
echo "| peak RSS | $(rss_of "$TMP/plain.time") MB | $(rss_of "$TMP/sealed.time") MB | |"
