#!/usr/bin/env bash
# Benchmark of `anketa report` against a parse-only pass over the same NDJSON and a pandas script
# computing the same percentages, all in the same run.
#
#   benches/report.sh [N...]        default: 100000 1000000
#
# Up to 100,000 interviews the data set is made the way a supervisor makes it: `anketa simulate`
# writes one file per interview (НКО and ОМСУ in the note's proportion 242 : 106, answers drawn
# with examples/weights-*.json) and `anketa merge` turns them into one merge output folder, which
# is what the report reads. Beyond that, simulating and merging a million separate files would
# take most of the run, so examples/simulate_ndjson.rs writes the NDJSON directly (same records,
# same line format). The page cache is warmed, then each tool is timed with /usr/bin/time -v
# (anketa: the best of three runs; pandas: one run).
# pandas is installed into a virtual environment under ~/.cache (ANKETA_BENCH_VENV overrides) and
# is run only up to 100,000 interviews (at a million it would need about 10 GB of memory).
# ANKETA_BIN=PATH: time that binary, without building (beyond 100,000 interviews the NDJSON
# writer target/release/examples/simulate_ndjson must then exist, or the NDJSON be kept in
# ANKETA_BENCH_DIR).
# REPORT_Q=projects: interviews with rosters instead (issue 13): the bundled nested roster demo
# simulated and merged (roster_set), and two pandas peers computing the roster tables'
# percentages, benches/report_roster_peer.py: one reading the NDJSON with `json` as the flat
# peer does, one reading the merge's long roster CSVs with `read_csv` (the quickest way pandas
# gets there: the merge has already walked the instances). Up to 100,000 interviews only.
set -euo pipefail
ANKETA_BIN=${ANKETA_BIN:+$(realpath "$ANKETA_BIN")}
cd "$(dirname "$0")/.."
. benches/datasets.sh
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
[ -n "$ANKETA_BIN" ] || cargo build --release --quiet --bin anketa --example simulate_ndjson
BIN=${ANKETA_BIN:-$CARGO_TARGET_DIR/release/anketa}
GEN=$CARGO_TARGET_DIR/release/examples/simulate_ndjson
VENV=${ANKETA_BENCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/anketa-bench-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import pandas' 2>/dev/null; then
  echo "installing pandas into $VENV …" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet pandas
fi
# ANKETA_BENCH_DIR=DIR keeps the data sets there and reuses them on the next run (the machine is
# shared: rerun the timings when it is quiet without simulating again).
if [ -n "${ANKETA_BENCH_DIR:-}" ]; then
  TMP=$ANKETA_BENCH_DIR
  mkdir -p "$TMP"
else
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/anketa-report-bench.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
fi

# run NAME COMMAND…: wall seconds and peak RSS into $TMP/NAME.time
run() {
  local name=$1; shift
  /usr/bin/time -v -o "$TMP/$name.time" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" || {
    echo "$name failed:" >&2; cat "$TMP/$name.err" >&2; exit 1; }
}
# best NAME COMMAND…: three runs, the fastest kept in $TMP/NAME.time (the machine is shared)
best() {
  local name=$1; shift
  local b=""
  for k in 1 2 3; do
    run "$name.$k" "$@"
    if [ -z "$b" ] || awk -v x="$(wall "$name.$k")" -v y="$(wall "$b")" 'BEGIN { exit !(x < y) }'; then b="$name.$k"; fi
  done
  cp "$TMP/$b.time" "$TMP/$name.time"
}
wall() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$TMP/$1.time"; }
rss() { awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$TMP/$1.time"; }

ROWS=()
for N in "${SIZES[@]}"; do
  if [ "${REPORT_Q:-}" = projects ]; then
    [ "$N" -le 100000 ] || { echo "REPORT_Q=projects: at most 100000 interviews" >&2; exit 2; }
    INPUT=$TMP/rosters$N
    [ -f "$INPUT/interviews.ndjson" ] || roster_set "$BIN" "$TMP" "$N"
    NDJSON=$INPUT/interviews.ndjson
    RECORDS=$(wc -l < "$NDJSON")
    MB=$(( $(stat -c %s "$NDJSON") / 1000000 ))
    CSVMB=$(( $(cat "$INPUT"/projects.*.csv | wc -c) / 1000000 ))
    cat "$NDJSON" "$INPUT"/*.csv > /dev/null
    best "rreport$N" "$BIN" report "$INPUT" --format md
    if grep -q "not used" "$TMP/rreport$N.1.err"; then
      echo "the report did not use every record of $INPUT:" >&2; head -3 "$TMP/rreport$N.1.err" >&2; exit 1
    fi
    best "rparse$N" "$BIN" report "$INPUT" --parse-only
    run "rpandas$N" "$VENV/bin/python" benches/report_roster_peer.py ndjson "$NDJSON" questionnaires/projects.json
    run "rpandascsv$N" "$VENV/bin/python" benches/report_roster_peer.py csv "$INPUT" questionnaires/projects.json
    cmp -s "$TMP/rpandas$N.out" "$TMP/rpandascsv$N.out" || { echo "the two pandas peers disagree" >&2; exit 1; }
    A=$(wall "rreport$N"); P=$(wall "rparse$N"); D=$(wall "rpandas$N"); C=$(wall "rpandascsv$N")
    ROWS+=("| roster report $N interviews ($RECORDS records, $MB MB): wall | ${A} s | parse-only ${P} s | $(awk -v a="$A" -v p="$P" 'BEGIN { printf "%.2f× of parse-only", a / p }') | REPORT_Q=projects benches/report.sh $N |")
    ROWS+=("| roster report $N: wall | ${A} s | pandas on the NDJSON ${D} s | $(awk -v a="$A" -v p="$D" 'BEGIN { printf "%.1f× faster", p / a }') | REPORT_Q=projects benches/report.sh $N |")
    ROWS+=("| roster report $N: wall | ${A} s | pandas on the roster CSVs ($CSVMB MB) ${C} s | $(awk -v a="$A" -v p="$C" 'BEGIN { if (p >= a) printf "%.1f× faster", p / a; else printf "%.1f× slower", a / p }') | REPORT_Q=projects benches/report.sh $N |")
    ROWS+=("| roster report $N: peak RSS | $(rss "rreport$N") MB | pandas $(rss "rpandas$N") MB (NDJSON), $(rss "rpandascsv$N") MB (CSVs) | | REPORT_Q=projects benches/report.sh $N |")
    continue
  fi
  if [ "$N" -le 100000 ] && [ -f "$TMP/merged$N/interviews.ndjson" ]; then
    INPUT=$TMP/merged$N
    NDJSON=$INPUT/interviews.ndjson
    MADE="simulate + merge"
  elif [ "$N" -le 100000 ]; then
    report_set "$BIN" "$TMP" "$N"
    INPUT=$TMP/merged$N
    NDJSON=$INPUT/interviews.ndjson
    MADE="simulate + merge"
  else
    NDJSON=$TMP/interviews$N.ndjson
    if [ ! -f "$NDJSON" ]; then
      echo "writing $N interviews straight into one NDJSON …" >&2
      "$GEN" "$N" "$NDJSON" >&2
    fi
    INPUT=$NDJSON
    MADE="examples/simulate_ndjson.rs"
  fi
  RECORDS=$(wc -l < "$NDJSON")
  MB=$(( $(stat -c %s "$NDJSON") / 1000000 ))
  cat "$NDJSON" > /dev/null # warm the page cache: every tool reads from memory
  best "report$N" "$BIN" report "$INPUT" --format md
  # A reused data set made with other copies of the questionnaires (an older anketa) would be
  # rejected record by record, and the timing would mean nothing.
  if grep -q "not used" "$TMP/report$N.1.err"; then
    echo "the report did not use every record of $INPUT:" >&2
    head -3 "$TMP/report$N.1.err" >&2
    echo "(a data set kept from an older anketa? delete it to simulate it again)" >&2
    exit 1
  fi
  best "parse$N" "$BIN" report "$INPUT" --parse-only
  A=$(wall "report$N")
  P=$(wall "parse$N")
  ROWS+=("| report $N interviews ($RECORDS records, $MB MB, $MADE): wall | ${A} s | parse-only ${P} s | $(awk -v a="$A" -v p="$P" 'BEGIN { printf "%.2f× of parse-only", a / p }') | benches/report.sh $N |")
  if [ "$N" -le 100000 ]; then
    run "pandas$N" "$VENV/bin/python" benches/report_peer.py "$NDJSON" questionnaires/nko.json questionnaires/omsu.json
    D=$(wall "pandas$N")
    ROWS+=("| report $N interviews: wall | ${A} s | pandas ${D} s | $(awk -v a="$A" -v p="$D" 'BEGIN { printf "%.1f× faster", p / a }') | benches/report.sh $N |")
    ROWS+=("| report $N interviews: peak RSS | $(rss "report$N") MB | pandas $(rss "pandas$N") MB, parse-only $(rss "parse$N") MB | | benches/report.sh $N |")
  else
    ROWS+=("| report $N interviews: peak RSS | $(rss "report$N") MB | parse-only $(rss "parse$N") MB | | benches/report.sh $N |")
  fi
done

printf '\n%s cores; %s; load average at the end: %s\n\n' "$(nproc)" "$("$BIN" --version)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
echo "| case | anketa | peer (same run) | ratio | command |"
echo "|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
