#!/usr/bin/env bash
# Byte-for-byte comparison of two anketa binaries on the same inputs (issue 9: a restructure must
# not change any output).
#
#   benches/compare.sh OLD_BIN NEW_BIN [WORKDIR]        WORKDIR defaults to /tmp/anketa-compare
#
# 1. Corpus (built once with OLD_BIN, cached in WORKDIR; rebuilt when benches/compare_corpus.py
#    changes): ~10,000 files: `simulate`d nko, omsu, demo, a custom questionnaire and a second
#    version of nko on 11 "laptops" (data dirs, some interviews in progress), then duplicates,
#    conflicting copies, damaged files of every kind merge knows, an NDJSON with broken lines, an
#    earlier merge output, junk, links, nested folders; see compare_corpus.py and
#    WORKDIR/counts.tsv.
# 2. Every case below is run with OLD_BIN, then with NEW_BIN, each time in the same directory
#    WORKDIR/run (moved to WORKDIR/old, WORKDIR/new afterwards), with the same environment (HOME,
#    XDG_* inside the run dir, TZ, locale), through a symlink WORKDIR/bin/anketa so that the
#    program name clap prints is the same: any path or name an output contains is the same.
# 3. Per case: stdout, stderr, exit status and the case's output files (out/<case>) are compared
#    with cmp / diff -r; one line SAME or DIFF per case (details in WORKDIR/diffs/), then the
#    whole run directories are compared once more (files a case wrote elsewhere, config files).
#    Exit status 0 only when everything is the same.
#
# Nothing is normalised except in the interviewer case (tmux, real time). There, and only there,
# these are masked, in files, file names, screens and `list` output: the interview id, device id,
# RFC 3339 times, `duration_ms` and paradata `ms` (docs/interview-format.md: the fields that
# depend on the clock or on randomness), the clock and elapsed time on the screen (hh:mm:ss, or
# the clock's last digit beside the help window) and the local start / change times of the resume
# list (YYYY-MM-DD hh:mm). Every other byte is compared. The other commands print no wall-clock
# time and no temp path (checked: OLD vs OLD is SAME without any masking).
#
# Needs python3 and tmux (without tmux the interviewer case is reported as DIFF).
# ANKETA_COMPARE_DELAY (default 0.4 s): pause after each key sent to the interviewer.
set -uo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 OLD_BIN NEW_BIN [WORKDIR]" >&2
  exit 2
fi
OLD=$(realpath "$1") NEW=$(realpath "$2")
W=${3:-/tmp/anketa-compare}
REPO=$(cd "$(dirname "$0")/.." && pwd)
for b in "$OLD" "$NEW"; do [ -x "$b" ] || { echo "not an executable: $b" >&2; exit 2; }; done
mkdir -p "$W"
W=$(realpath "$W")
C=$W/corpus A=$W/aux
T0=$(date +%s)

# ------------------------------------------------------------------------------------- corpus
STAMP=$(sha256sum "$REPO/benches/compare_corpus.py" | cut -c1-16)
if [ "$(cat "$W/corpus.stamp" 2>/dev/null)" != "$STAMP" ]; then
  echo "building the corpus in $W with $OLD (once) …" >&2
  rm -f "$W/corpus.stamp"
  python3 "$REPO/benches/compare_corpus.py" "$OLD" "$REPO" "$W" || { echo "corpus build failed" >&2; exit 2; }
  echo "$STAMP" > "$W/corpus.stamp"
fi

# ------------------------------------------------------------------------------------- helpers
B=$W/bin/anketa
RUN=$W/run
# c NAME COMMAND…: run in $RUN, stdout/stderr/status into cases/NAME.*
c() {
  local name=$1; shift
  "$@" > "cases/$name.out" 2> "cases/$name.err" < /dev/null
  echo $? > "cases/$name.rc"
  echo "$name" >> cases.list
}
# mask FILE…: the interviewer's clock-dependent and random fields (see the header), in place
mask() {
  python3 - "$@" <<'EOF'
import re, sys
for p in sys.argv[1:]:
    s = open(p, encoding="utf-8", errors="surrogateescape").read()
    s = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<UUID>", s)
    s = re.sub(r'("device": )"[0-9a-f]{32}"', r'\1"<DEVICE>"', s)
    s = re.sub(r"^[0-9a-f]{32}\n\Z", "<DEVICE>\n", s)
    s = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "<TIME>", s)
    s = re.sub(r'("(?:duration_ms|ms)": )\d+', r"\1<MS>", s)
    s = re.sub(r"\b\d\d:\d\d:\d\d\b", "hh:mm:ss", s)  # screens: "saved 05:24:11", "· 00:00:22"
    s = re.sub(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b", "<LOCAL TIME>", s)  # start screen: "started 2026-12-04 08:32"
    s = re.sub(r"([┐│])\d$", r"\1#", s, flags=re.M)  # the clock's last digit beside a window (help)
    open(p, "w", encoding="utf-8", errors="surrogateescape").write(s)
EOF
}
# snapshot DIR DEST: a masked copy of the interviewer's data dir (UUIDs masked in names too)
snapshot() {
  local src=$1 dst=$2 f rel
  mkdir -p "$dst"
  (cd "$src" && find . -type f | LC_ALL=C sort) | while read -r rel; do
    f=$dst/$(echo "${rel#./}" | sed -E 's/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/UUID/g')
    mkdir -p "$(dirname "$f")"
    cp "$src/$rel" "$f"
    mask "$f"
  done
}

# ------------------------------------------------------------------------------------- cases
suite() {
  local tag=$1 bin=$2
  rm -rf "$RUN" "${W:?}/$tag"
  mkdir -p "$RUN"/{cases,out,home,data} "$W/bin"
  ln -sfn "$bin" "$B"
  cd "$RUN" || exit 2
  : > cases.list
  export HOME=$RUN/home XDG_CONFIG_HOME=$RUN/home/.config XDG_DATA_HOME=$RUN/home/.local/share \
    XDG_CACHE_HOME=$RUN/home/.cache TZ=Europe/Volgograd LC_ALL=C.UTF-8 LANG=C.UTF-8
  unset ANKETA_DATA_DIR NO_COLOR ANKETA_EXIT_AFTER_FIRST_FRAME
  local IN=("$C/field" "$C/usb")

  # merge ------------------------------------------------------------------------------------
  c merge-default $B merge "${IN[@]}" --out out/merge-default
  c merge-incomplete $B merge "${IN[@]}" --out out/merge-incomplete --include-incomplete
  c merge-excel $B merge "${IN[@]}" --out out/merge-excel --excel
  c merge-excel-incomplete $B merge "${IN[@]}" --out out/merge-excel-incomplete --excel --include-incomplete
  c merge-questionnaire $B merge "${IN[@]}" --out out/merge-questionnaire \
    --questionnaire "$A/demo_extra.json" --questionnaire "$A/demo_custom.json" --questionnaire "$A/nko-2021.2.json"
  c merge-reversed $B merge "$C/usb" "$C/field" --out out/merge-reversed
  c merge-overlap $B merge "$C/field" "$C/field/north" "$C/usb/links" "$C/usb" "$C/usb/links/link-to-file.json" \
    --out out/merge-overlap
  c merge-field $B merge "$C/field" --out out/merge-field
  c merge-files $B merge "$C"/field/north/laptop01/interviews/omsu-I01-*.json --out out/merge-files
  c merge-ndjson $B merge "$C/usb/export/laptop03-interviews.ndjson" "$C/usb/export/crlf.ndjson" \
    "$C/usb/export/no-final-newline.ndjson" --out out/merge-ndjson
  c merge-of-merge $B merge out/merge-default --out out/merge-of-merge
  c merge-of-merge-plus $B merge out/merge-incomplete "$C/usb/export" "$C/usb/reopened" --out out/merge-of-merge-plus
  c merge-of-excel $B merge out/merge-excel --out out/merge-of-excel --excel
  c merge-of-two-merges $B merge out/merge-field out/merge-ndjson "$C/usb/old-merge" --out out/merge-of-two-merges
  # a rerun into an earlier output replaces its files and removes those it no longer writes;
  # out/merge-rerun-N: the folder after run N
  c merge-rerun-1 $B merge "${IN[@]}" --out out/merge-rerun --include-incomplete
  cp -a out/merge-rerun out/merge-rerun-1
  c merge-rerun-2 $B merge "$C/field/north" --out out/merge-rerun
  cp -a out/merge-rerun out/merge-rerun-2
  c merge-rerun-3 $B merge "$C/field/north" --out out/merge-rerun # the same again
  mv out/merge-rerun out/merge-rerun-3
  c merge-nothing $B merge "$C/usb/junk" --out out/merge-nothing
  c merge-missing-input $B merge "$C/no-such-folder" --out out/merge-missing-input
  mkdir -p out/merge-not-empty && echo keep > out/merge-not-empty/notes.txt
  c merge-not-empty $B merge "$C/field/north/laptop01" --out out/merge-not-empty
  c merge-out-in-input $B merge out/merge-field --out out/merge-field/sub
  c merge-input-in-out $B merge out/merge-default/conflicts --out out/merge-default
  c merge-bad-questionnaire $B merge "$C/field/north/laptop01" --out out/merge-bad-questionnaire \
    --questionnaire "$A/bad/truncated.json"
  c merge-no-out $B merge "$C/field"
  c merge-lang-en $B --lang en merge "$C/field/training" "$C/usb/junk" --out out/merge-lang-en

  # report -----------------------------------------------------------------------------------
  local M=out/merge-default N=out/merge-default/interviews.ndjson f
  local -a WHERE1=(--where "\${district} = 'kalachevsky'")
  local -a WHERE2=(--where "\${questionnaire} = 'nko' or \${interviewer} = 'I02' and \${interaction} != 'no'")
  for f in md html json csv; do
    c report-m-$f $B report $M --format $f
    c report-m-by-$f $B report $M --format $f --by district
    c report-m-by2-$f $B report $M --format $f --by interaction
    c report-m-where-$f $B report $M --format $f "${WHERE1[@]}"
    c report-m-where2-$f $B report $M --format $f "${WHERE2[@]}"
    c report-m-where-none-$f $B report $M --format $f --where "\${district} = 'atlantis_nowhere' or 1 = 2"
    c report-m-cross-$f $B report $M --format $f --cross interaction contact_freq
    c report-m-crossm-$f $B report $M --format $f --cross goals district
    c report-m-excl-$f $B report $M --format $f --exclude-missing
    c report-m-quota-$f $B report $M --format $f --quota "$A/quota.csv"
    c report-m-alpha-$f $B report $M --format $f --alpha 0.001
    c report-m-en-$f $B report $M --format $f --lang en --by district --exclude-missing
    c report-m-combo-$f $B report $M --format $f --by district "${WHERE2[@]}" --exclude-missing \
      --cross info_satisfaction goals --quota "$A/quota.json" --alpha 0.1
    c report-mi-$f $B report out/merge-incomplete --format $f --include-incomplete
    c report-n-$f $B report $N --format $f
    c report-n-by-$f $B report $N --format $f --by district "${WHERE1[@]}"
    c report-n-excl-$f $B report $N --format $f --exclude-missing --quota "$A/quota-ru.csv"
    c report-ndjson-broken-$f $B report "$C/usb/export/laptop03-interviews.ndjson" --format $f
    c report-raw-$f $B report "$C" --format $f
    c report-raw-incomplete-$f $B report "$C/field" --format $f --include-incomplete
  done
  c report-raw-by $B report "$C/field" --by district "${WHERE2[@]}"
  c report-raw-excl $B report "$C/usb" --exclude-missing --cross interaction goals --quota "$A/quota.csv"
  c report-raw-questionnaire $B report "$C/usb/stray" --questionnaire "$A/demo_extra.json" --format json
  c report-excel-merge $B report out/merge-excel --format csv
  c report-nko2 $B report out/merge-questionnaire --by district --format json
  c report-file $B report "$C/field/south/laptop05/interviews/$(ls "$C/field/south/laptop05/interviews" | grep -m1 '^nko-I05')" \
    --format json
  mkdir -p out/report-out
  c report-out $B report $M --format html --out out/report-out/report.html --by district
  c report-out-json $B report $N --format json --out out/report-out/report.json
  c report-parse-only $B report $M --parse-only
  c report-parse-only-n $B report $N --parse-only
  c report-err-by $B report $M --by distrct
  c report-err-by-multi $B report $M --by goals
  c report-err-where-syntax $B report $M --where "\${interaction} = = 'yes'"
  c report-err-where-var $B report $M --where "\${intraction} = 'yes'"
  c report-err-cross $B report $M --cross interaction nonexistent
  c report-err-alpha $B report $M --alpha 1.5
  c report-err-quota $B report $M --quota "$A/quota-bad.csv"
  c report-err-missing $B report "$C/no-such-input"
  c report-err-nothing $B report "$C/usb/junk"
  c report-err-questionnaire $B report $M --questionnaire "$A/bad/dup-code.json"
  c report-err-lang $B report $M --lang fr

  # codebook, check --------------------------------------------------------------------------
  for q in nko omsu demo "$A/demo_custom.json" "$A/nko-2021.2.json" "$REPO/questionnaires/omsu.json"; do
    for f in md csv; do c "codebook-$(echo "${q#"$W/"}" | tr / _)-$f" $B codebook "$q" --format $f; done
  done
  c codebook-en $B --lang en codebook nko
  c codebook-unknown $B codebook nko_2022
  c codebook-bad $B codebook "$A/bad/missing-field.json"
  c codebook-bad-format $B codebook nko --format html
  for q in "$REPO"/questionnaires/*.json "$A/demo_custom.json" "$A/nko-2021.2.json" "$A"/bad/*.json; do
    c "check-$(basename "$q" .json)" $B check "$q"
  done
  c check-all $B check "$REPO"/questionnaires/*.json "$A/demo_custom.json" "$A"/bad/*.json "$A/missing.json"
  c check-interview $B check "$(ls -d "$C"/field/north/laptop01/interviews/nko-* | head -1)"

  # simulate ---------------------------------------------------------------------------------
  c simulate-nko $B simulate --questionnaire nko --count 300 --out out/simulate-nko --seed 7 --interviewers 4 \
    --incomplete-share 0.1 --weights "$A/weights-nko.json"
  c simulate-omsu $B simulate --questionnaire omsu --count 200 --out out/simulate-omsu --seed 8 --weights "$A/weights-omsu.json"
  c simulate-demo $B simulate --questionnaire demo --count 150 --out out/simulate-demo --seed 9 --interviewers 2 \
    --incomplete-share 0.3
  c simulate-custom $B simulate --questionnaire "$A/demo_custom.json" --count 60 --out out/simulate-custom --seed 10
  c simulate-again $B simulate --questionnaire nko --count 20 --out out/simulate-nko --seed 11 --interviewers 1
  c simulate-bad-weights $B simulate --questionnaire nko --count 5 --out out/simulate-bad-weights --weights "$A/weights-bad.json"
  c simulate-unknown $B simulate --questionnaire nope --count 5 --out out/simulate-unknown
  c simulate-bad-share $B simulate --questionnaire demo --count 5 --out out/simulate-bad-share --incomplete-share 1.5
  c simulate-zero $B simulate --questionnaire demo --count 0 --out out/simulate-zero

  # list -------------------------------------------------------------------------------------
  cp -a "$C/field/north/laptop01" data/laptop01
  cp -a "$C/field/training/laptop10" data/laptop10
  cp -a out/simulate-demo data/sim-demo
  for d in laptop01 laptop10 sim-demo; do
    c list-$d env ANKETA_DATA_DIR="$RUN/data/$d" $B list
    c list-$d-all env ANKETA_DATA_DIR="$RUN/data/$d" $B list --all
    c list-$d-json env ANKETA_DATA_DIR="$RUN/data/$d" $B list --json
    c list-$d-all-json env ANKETA_DATA_DIR="$RUN/data/$d" $B list --all --json
  done
  c list-flag $B --data-dir "$RUN/data/laptop01" list --all
  c list-utc env TZ=UTC ANKETA_DATA_DIR="$RUN/data/sim-demo" $B list --all
  c list-empty env ANKETA_DATA_DIR="$RUN/data/new-empty" $B list --all --json
  c list-no-terminal env ANKETA_DATA_DIR="$RUN/data/new-empty" $B interview

  # the interviewer, under tmux --------------------------------------------------------------
  tui
  cd "$W" && mv "$RUN" "$W/$tag"
}

# The interviewer: three sessions on one data dir, same keys for both binaries.
tui() {
  local data=$RUN/tui-raw/data TM="tmux -L anketa-compare-$$ -f /dev/null" DELAY=${ANKETA_COMPARE_DELAY:-0.4}
  if ! command -v tmux > /dev/null; then echo tui-missing-tmux >> cases.list; return; fi
  mkdir -p "$RUN/tui-raw"
  start() { # ARGS…: the binary in a new 80×24 session
    $TM new-session -d -s s -x 80 -y 24 \
      "env ANKETA_DATA_DIR=$data $B $*; echo \$? > $RUN/tui-raw/rc"
    sleep 1
  }
  k() { $TM send-keys -t s "$@"; sleep "$DELAY"; }
  shot() { # NAME: the screen once it is stable (two masked captures 0.2 s apart agree)
    local f=$RUN/tui-raw/screens/$1.txt i
    mkdir -p "$RUN/tui-raw/screens"
    $TM capture-pane -p -t s > "$f"; mask "$f"
    for i in $(seq 10); do
      sleep 0.2; $TM capture-pane -p -t s > "$f.2"; mask "$f.2"
      cmp -s "$f" "$f.2" && break
      mv "$f.2" "$f"
    done
    rm -f "$f.2"
  }
  finish() { # NAME: wait for the exit, then a masked snapshot of everything into out/NAME
    local i
    for i in $(seq 50); do $TM has-session -t s 2> /dev/null || break; sleep 0.2; done
    $TM kill-server 2> /dev/null
    snapshot "$RUN/tui-raw" "out/$1"
    rm -rf "$RUN/tui-raw/screens" "$RUN/tui-raw/rc"
    : > "cases/$1.out"; : > "cases/$1.err"; echo 0 > "cases/$1.rc"; echo "$1" >> cases.list
  }
  # 1: a new nko interview, Russian interface, first run (interviewer code asked): a single, an
  # "other" with its text, a soft warning confirmed, a number with a remark, a multi with "other"
  # text, a filter answer, then quit from the menu.
  start
  shot 01-start
  k Enter; shot 02-code; k -l И07; k Enter; shot 03-first
  k 9; k Enter; k 8; k -l 'Клуб "Берёза", ТОС'; shot 04-other; k Enter
  k 1; k Enter; k -l 1987; k Enter; shot 05-warning; k Enter
  k -l 45; k F2; k -l 'около 45 активистов'; k Enter; k Enter
  k 5; k 7; k 9; k -l 'праздники улицы'; shot 06-multi; k Enter
  k 1; k Enter; k 2; k Enter; shot 07-filter; k 3; k Enter
  k F3; shot 08-review; k Escape; k PgUp; k PgUp; shot 09-back
  k F1; shot 10-help; k Escape; k Escape; shot 11-menu; k 5
  finish tui-1
  # 2: resume it in English: correct the filter answer (the kept answer becomes irrelevant), go on
  start --lang en
  shot 01-start; k Tab; shot 02-resume; k Enter; shot 03-resumed
  k 1; k Enter; k 2; k Enter; k 3; k Enter; shot 04-on; k F4; shot 05-jump; k Escape
  k Escape; k 2; shot 06-start-screen; k Escape; k 5
  finish tui-2
  # 3: a demo interview completed from the review screen: every question type, a long text with
  # a line break; then the start screen lists it
  start
  k Down; k Down; k Enter; shot 01-demo; k Enter
  k 3; k -l 'Клуб'; k Enter; k -l 120; k Enter; k -l 12.5; k Enter; k -l 2019-04-12; k Enter
  k 1; k Enter; k 1; k 3; k Enter; k -l 7; k Enter
  k -l 'More grants'; k M-Enter; k -l 'and premises'; k Enter; shot 02-end
  k F3; shot 03-review; k F10; shot 04-completed; k Escape; k Escape; k 2; shot 05-start; k Escape; k 5
  finish tui-3
  c tui-list env ANKETA_DATA_DIR="$data" $B list --all
  c tui-list-json env ANKETA_DATA_DIR="$data" $B list --all --json
  mask cases/tui-list*.out
}

suite old "$OLD"
suite new "$NEW"
T1=$(date +%s)

# ------------------------------------------------------------------------------------- compare
rm -rf "$W/diffs"; mkdir -p "$W/diffs"
cd "$W" || exit 2
total=0 bad=0
if ! cmp -s old/cases.list new/cases.list; then
  echo "DIFF  (the two runs did not run the same cases)"; bad=$((bad + 1))
fi
while read -r name; do
  total=$((total + 1)) what=""
  for s in out err rc; do
    cmp -s "old/cases/$name.$s" "new/cases/$name.$s" || {
      what+=" $s"; diff -u "old/cases/$name.$s" "new/cases/$name.$s" | head -40 >> "diffs/$name.txt"; }
  done
  if [ -e "old/out/$name" ] || [ -e "new/out/$name" ]; then
    diff -r --no-dereference "old/out/$name" "new/out/$name" > "diffs/$name.files.txt" 2>&1 || what+=" files"
    [ -s "diffs/$name.files.txt" ] || rm -f "diffs/$name.files.txt"
  fi
  if [ -z "$what" ]; then
    echo "SAME  $name"
  else
    echo "DIFF  $name:$what   (exit $(cat "old/cases/$name.rc" 2> /dev/null) / $(cat "new/cases/$name.rc" 2> /dev/null); see $W/diffs/$name*)"
    bad=$((bad + 1))
  fi
done < old/cases.list
# everything else the runs wrote (config files, files outside out/<case>), byte for byte; the raw
# interviewer data dir is compared masked above
total=$((total + 1))
if diff -r --no-dereference -x tui-raw old new > diffs/ALL.txt 2>&1; then
  echo "SAME  (all files of the two runs, except the raw interviewer data dir)"
  rm -f diffs/ALL.txt
else
  echo "DIFF  (all files of the two runs; see $W/diffs/ALL.txt)"; bad=$((bad + 1))
fi
echo
echo "corpus: $(tail -1 "$W/counts.tsv" | cut -f1) files in $C (kinds: $W/counts.tsv)"
echo "$total checks: $((total - bad)) SAME, $bad DIFF; $((T1 - T0)) s"
[ "$bad" -eq 0 ]
