#!/usr/bin/env bash
# Benchmark of `anketa merge` against the I/O floor (cat), jq and a Python script, same run.
#
#   benches/merge.sh [N]        N simulated НКО interviews (default 100000)
#   MERGE_Q=projects benches/merge.sh [N]   … of the nested roster demo instead (issue 13)
#   MERGE_Q=benches/nko_projects.json MERGE_WEIGHTS=benches/nko_projects.weights.json benches/merge.sh [N]
#                                            … the НКО instrument with a roster of projects, a third
#                                            of the interviews with 5–20 (issue 13's workload)
#   MERGE_PEERS=cat                          time only cat beside anketa (no jq, Python, DuckDB)
#
# Builds --release, simulates N interviews on two "laptops" (the second holds a copy of every
# tenth file of the first, as when a laptop is copied twice) into a temp dir, warms the page
# cache, then times each tool with /usr/bin/time -v and prints a Markdown table: wall time, CPU
# time (user + system), peak RSS and the ratio peer / anketa. anketa and cat run 3 times (best
# kept: the machine may be shared), jq and the Python script once. Before the timed anketa runs,
# one untimed run writes and deletes its outputs, so that every tool finds the page cache as on a
# machine in use (on a fresh VM the first write of each page costs extra).
# Needs jq and python3 (apt-get install -y jq python3); with the Python module duckdb
# (pip install duckdb), DuckDB is timed too (benches/merge_duckdb.py: read_json_objects +
# QUALIFY row_number(), the newest completed copy per id).
# ANKETA_BENCH_DIR: see below. ANKETA_BIN=PATH: time that binary, without building one.
set -euo pipefail
N=${1:-100000}
ANKETA_BIN=${ANKETA_BIN:+$(realpath "$ANKETA_BIN")}
cd "$(dirname "$0")/.."
. benches/datasets.sh
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
[ -n "$ANKETA_BIN" ] || cargo build --release --quiet
BIN=${ANKETA_BIN:-$CARGO_TARGET_DIR/release/anketa}
command -v jq >/dev/null || { echo "jq is missing: apt-get install -y jq" >&2; exit 2; }
# ANKETA_BENCH_DIR=DIR keeps the simulated files there and reuses them on the next run (the
# machine is shared: rerun the timings when it is quiet without simulating again).
if [ -n "${ANKETA_BENCH_DIR:-}" ]; then
  TMP=$ANKETA_BENCH_DIR/merge$(basename "${MERGE_Q:-}" .json)$N
  mkdir -p "$TMP"
  trap 'rm -rf "$TMP"/out-* "$TMP"/*.time "$TMP"/*.try "$TMP"/*.err' EXIT
else
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/anketa-bench.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
fi
rm -rf "$TMP"/out-* "$TMP"/*.time

merge_set "$BIN" "$TMP" "$N"
if pgrep -f 'benches/(report|merge|interviewer)\.sh' | grep -vqx "$$"; then
  echo "warning: another benchmark is running; the timings will not mean much" >&2
fi
FILES=$(find "$TMP/laptop1" "$TMP/laptop2" -path '*/interviews/*.json' | wc -l)
BYTES=$(find "$TMP/laptop1" "$TMP/laptop2" -path '*/interviews/*.json' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
echo "$FILES files, $BYTES bytes" >&2

list() { find "$TMP/laptop1" "$TMP/laptop2" -path '*/interviews/*.json' -print0; }
list | xargs -0 cat > /dev/null # every tool reads from the page cache
"$BIN" merge "$TMP/laptop1" "$TMP/laptop2" --out "$TMP/out-warm" > /dev/null
rm -rf "$TMP/out-warm"

# run NAME COMMAND…: /usr/bin/time -v report into $TMP/NAME.time (the best wall time is kept)
run() {
  local name=$1; shift
  sync # what earlier runs wrote or deleted is not written back during this one
  /usr/bin/time -v -o "$TMP/$name.try" "$@" > /dev/null 2> "$TMP/$name.err" || {
    echo "$name failed:" >&2; cat "$TMP/$name.err" >&2; exit 1; }
  if [[ ! -f $TMP/$name.time ]] || (( $(wall_of "$TMP/$name.try") < $(wall_of "$TMP/$name.time") )); then
    mv "$TMP/$name.try" "$TMP/$name.time"
  fi
}
# wall time in milliseconds of a /usr/bin/time -v report
wall_of() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%d", s * 1000 }' "$1"; }
wall() { awk -v ms="$(wall_of "$TMP/$1.time")" 'BEGIN { printf "%.2f", ms / 1000 }'; }
cpu() { awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$TMP/$1.time"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$TMP/$1.time"; }

for _ in 1 2 3; do
  rm -rf "$TMP/out-anketa"
  run anketa "$BIN" merge "$TMP/laptop1" "$TMP/laptop2" --out "$TMP/out-anketa"
done
for _ in 1 2 3; do
  run cat bash -c "find '$TMP/laptop1' '$TMP/laptop2' -path '*/interviews/*.json' -print0 | xargs -0 cat"
done
PEERS=cat
if [ "${MERGE_PEERS:-all}" = all ]; then
  run jq bash -c "find '$TMP/laptop1' '$TMP/laptop2' -path '*/interviews/*.json' -print0 | xargs -0 jq -c ."
  run python python3 benches/merge_peer.py "$TMP/out-python" "$TMP/laptop1" "$TMP/laptop2"
  PEERS="cat jq python"
fi
if [ "${MERGE_PEERS:-all}" != all ]; then
  :
elif python3 -c 'import duckdb' 2>/dev/null; then
  run duckdb python3 benches/merge_duckdb.py "$TMP/out-duckdb" "$TMP/laptop1" "$TMP/laptop2"
  PEERS="$PEERS duckdb"
else
  echo "duckdb is missing (pip install duckdb): not timed" >&2
fi

ratio() { awk -v a="$1" -v p="$2" 'BEGIN { printf "%.1f×", p / a }'; }
printf '\n%s files (%s MB, %s interviews + %s copies) on %s cores; anketa merged %s\n\n' "$FILES" \
  "$((BYTES / 1000000))" "$N" "$((FILES - N))" "$(nproc)" \
  "$(grep -o "\"$(basename "${MERGE_Q:-nko}" .json)\": [0-9]*" "$TMP/out-anketa/merge-report.json" | head -1 | cut -d' ' -f2)"
echo "| case | anketa | peer (same run) | ratio | command |"
echo "|---|---|---|---|---|"
for peer in $PEERS; do
  echo "| merge $N: wall | $(wall anketa) s | $peer $(wall $peer) s | $(ratio "$(wall anketa)" "$(wall $peer)") | benches/merge.sh $N |"
done
for peer in $PEERS; do
  echo "| merge $N: CPU (user + sys) | $(cpu anketa) s | $peer $(cpu $peer) s | $(ratio "$(cpu anketa)" "$(cpu $peer)") | benches/merge.sh $N |"
done
for peer in $PEERS; do
  echo "| merge $N: peak RSS | $(rss anketa) MB | $peer $(rss $peer) MB | $(ratio "$(rss anketa)" "$(rss $peer)") | benches/merge.sh $N |"
done
