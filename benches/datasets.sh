# The data sets of the benchmarks, made the same way by every script that times anketa
# (merge.sh, report.sh, compare-speed.sh). Sourced, not run; paths are relative to the repository.

# merge_set BIN DIR N: N simulated НКО interviews (MERGE_Q=ID: of another questionnaire, e.g.
# `projects`, the nested roster demo, or a file such as benches/nko_projects.json; MERGE_WEIGHTS:
# a --weights file for simulate) on "laptop" DIR/laptop1 and a copy of every tenth file on
# DIR/laptop2 (a laptop copied twice); made once (DIR/simulated marks it done).
merge_set() {
  local bin=$1 dir=$2 n=$3
  [ -f "$dir/simulated" ] && return 0
  rm -rf "$dir/laptop1" "$dir/laptop2"
  echo "simulating $n interviews into $dir …" >&2
  "$bin" simulate --questionnaire "${MERGE_Q:-nko}" --count "$n" --out "$dir/laptop1" --seed 1 --interviewers 20 \
    --incomplete-share 0.02 ${MERGE_WEIGHTS:+--weights "$MERGE_WEIGHTS"} >&2
  mkdir -p "$dir/laptop2/interviews"
  find "$dir/laptop1/interviews" -name '*.json' | awk 'NR % 10 == 0' | xargs -I{} cp {} "$dir/laptop2/interviews/"
  touch "$dir/simulated"
}

# report_set BIN DIR N: N НКО + ОМСУ interviews in the note's proportions (242 : 106), with the
# note's marginals, merged into DIR/mergedN.
report_set() {
  local bin=$1 dir=$2 n=$3
  local nko=$((n - n * 106 / 348))
  echo "simulating $n interview files and merging them …" >&2
  "$bin" simulate --questionnaire nko --count "$nko" --out "$dir/field$n" --seed 1 --interviewers 20 \
    --incomplete-share 0.02 --weights examples/weights-nko.json >&2
  "$bin" simulate --questionnaire omsu --count $((n - nko)) --out "$dir/field$n" --seed 2 --interviewers 20 \
    --incomplete-share 0.02 --weights examples/weights-omsu.json >&2
  "$bin" merge "$dir/field$n" --out "$dir/merged$n" >&2
  rm -rf "$dir/field$n"
}

# roster_set BIN DIR N: N interviews of the bundled roster demo `projects` (a roster of projects,
# each with a nested roster of partners; simulate draws the counts as counts are: about 40 % with
# 5–20 projects), 2 % left in progress, merged into DIR/rostersN.
roster_set() {
  local bin=$1 dir=$2 n=$3
  echo "simulating $n roster interview files and merging them …" >&2
  "$bin" simulate --questionnaire projects --count "$n" --out "$dir/rfield$n" --seed 1 --interviewers 20 \
    --incomplete-share 0.02 >&2
  "$bin" merge "$dir/rfield$n" --out "$dir/rosters$n" >&2
  rm -rf "$dir/rfield$n"
}
