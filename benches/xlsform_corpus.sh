#!/usr/bin/env bash
# The corpus of real public XLSForms (issue 14, "Measure"): every form of
# benches/xlsform-corpus/manifest.csv through the whole chain, and its import timed against
# pyxform, in the same run.
#
#   benches/xlsform_corpus.sh [FORMS_DIR]
#
# FORMS_DIR holds the forms under the manifest's `file` names (default: a temp dir). A form that
# is missing there, or whose SHA-256 is not the manifest's, is taken from a local mirror of its
# repository (XLSFORM_MIRROR=DIR, holding DIR/OWNER+NAME/repo, a git dir with the manifest's
# commit: `git show COMMIT:PATH`), else downloaded from GitHub at that commit (curl). A form
# whose bytes are not the manifest's is left out (reported as missing). The forms are not in this
# repository: their licences differ (see the manifest's `licence` column), and some state none.
#
# Per form, with a fresh data dir and --lang en:
#   anketa import FORM --out q.json      (the warnings kept: stderr)
#   anketa check q.json
#   anketa simulate --questionnaire q.json --count 20 --out sim
#   anketa merge sim --out merged        (completed interviews; the count is recorded)
#   anketa report merged --out report.md
# A form passes the chain when all five exit 0 and the merge holds at least one completed
# interview (chain 1). When the simulated interviews all stay in progress (random answers never
# meet some constraint), merge and report run again with --include-incomplete (chain 2: the
# data flow through, but the form does not count as passing).
# Then benches/xlsform_corpus.py times `anketa import` against `xls2xform --skip_validate` (the
# command) and pyxform's `convert` (the library, in one warm Python process), best of
# XLSFORM_REPS (3) runs each, and prints the Markdown report (figures, warnings, speed table,
# failures). Needs python3 with pyxform (pip install pyxform).
# ANKETA_BIN=PATH: use that binary, without building one. XLSFORM_OUT=DIR: keep the per-form
# outputs and results.tsv there (default: a temp dir, removed).
set -euo pipefail
ANKETA_BIN=${ANKETA_BIN:+$(realpath "$ANKETA_BIN")}
FORMS=${1:+$(realpath -m "$1")}
cd "$(dirname "$0")/.."
MANIFEST=benches/xlsform-corpus/manifest.csv
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
[ -n "$ANKETA_BIN" ] || cargo build --release --quiet
BIN=${ANKETA_BIN:-$CARGO_TARGET_DIR/release/anketa}
python3 -c 'import pyxform' 2>/dev/null || { echo "pyxform is missing: pip install pyxform" >&2; exit 2; }
if [ -n "${XLSFORM_OUT:-}" ]; then
  OUT=$(realpath -m "$XLSFORM_OUT"); rm -rf "$OUT"; mkdir -p "$OUT"
else
  OUT=$(mktemp -d "${TMPDIR:-/tmp}/anketa-xlsform.XXXXXX"); trap 'rm -rf "$OUT"' EXIT
fi
FORMS=${FORMS:-$OUT/forms}
mkdir -p "$FORMS"

# fetch FILE REPO COMMIT PATH SHA: FORMS/FILE with the manifest's bytes, or return 1.
fetch() {
  local file=$1 repo=$2 commit=$3 path=$4 sha=$5 dest=$FORMS/$1 git_dir
  ok() { [ -f "$dest" ] && [ "$(sha256sum < "$dest" | cut -d' ' -f1)" = "$sha" ]; }
  ok && return 0
  git_dir=${XLSFORM_MIRROR:-/nonexistent}/${repo/\//+}/repo
  if [ -d "$git_dir" ]; then
    git -C "$git_dir" show "$commit:$path" > "$dest.part" 2>/dev/null \
      || git -C "$git_dir" show "HEAD:$path" > "$dest.part" 2>/dev/null || true
    mv -f "$dest.part" "$dest"
    ok && return 0
  fi
  if command -v curl >/dev/null; then
    local url_path
    url_path=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$path")
    curl -fsSL --max-time 60 -o "$dest.part" \
      "https://raw.githubusercontent.com/$repo/$commit/$url_path" 2>/dev/null && mv -f "$dest.part" "$dest"
    rm -f "$dest.part"
    ok && return 0
  fi
  rm -f "$dest"
  return 1
}

RESULTS=$OUT/results.tsv
printf 'file\torganisation\tstatus\timport\twarnings\tcheck\tsimulate\tmerge\tmerged\treport\tchain\tsummary\n' > "$RESULTS"
missing=0
# The manifest's fields hold no commas inside quotes except in paths; Python splits it safely.
while IFS=$'\t' read -r file repo commit path sha org; do
  if ! fetch "$file" "$repo" "$commit" "$path" "$sha"; then
    printf '%s\t%s\tmissing\t\t\t\t\t\t\t\t0\t\n' "$file" "$org" >> "$RESULTS"
    missing=$((missing + 1))
    continue
  fi
  dir=$OUT/runs/$file
  mkdir -p "$dir"
  export ANKETA_DATA_DIR=$dir/data
  a() { "$BIN" --lang en "$@"; }
  imp=0 chk=- sim=- mrg=- rep=- merged=0 chain=0
  a import "$FORMS/$file" --out "$dir/q.json" > "$dir/import.out" 2> "$dir/import.err" || imp=$?
  warnings=$(grep -c '^warning: ' "$dir/import.err" || true)
  if [ "$imp" = 0 ]; then
    chk=0; a check "$dir/q.json" > "$dir/check.out" 2>&1 || chk=$?
  fi
  if [ "$chk" = 0 ]; then
    sim=0; a simulate --questionnaire "$dir/q.json" --count 20 --out "$dir/sim" > "$dir/simulate.out" 2>&1 || sim=$?
  fi
  if [ "$sim" = 0 ]; then
    mrg=0; a merge "$dir/sim" --out "$dir/merged" > "$dir/merge.out" 2>&1 || mrg=$?
    merged=$(sed -n 's/^merged \([0-9]*\) interview.*/\1/p' "$dir/merge.out" | head -1)
    merged=${merged:-0}
  fi
  if [ "$mrg" = 0 ] && [ "$merged" = 0 ]; then
    # No interview completed: the chain again with the ones in progress (chain 2, not a pass).
    mrg=0; a merge "$dir/sim" --out "$dir/merged" --include-incomplete > "$dir/merge.out" 2>&1 || mrg=$?
    chain=2
  fi
  if [ "$mrg" = 0 ]; then
    rep=0; a report "$dir/merged" --out "$dir/report.md" > "$dir/report.out" 2>&1 || rep=$?
  fi
  if [ "$rep" != 0 ]; then chain=0; elif [ "$chain" = 0 ]; then chain=1; fi
  summary=$(grep -h '^imported: \|^error: ' "$dir/import.out" "$dir/import.err" | head -1 | tr '\t' ' ')
  printf '%s\t%s\tok\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$file" "$org" "$imp" "$warnings" \
    "$chk" "$sim" "$mrg" "$merged" "$rep" "$chain" "$summary" >> "$RESULTS"
  printf '%s: import %s, chain %s\n' "$file" "$imp" "$chain" >&2
done < <(python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1], newline="")):
    print("\t".join(r[k] for k in ("file", "repo", "commit", "path", "sha256", "organisation")))
' "$MANIFEST")
[ "$missing" = 0 ] || echo "warning: $missing form(s) could not be fetched: see the status column" >&2

python3 benches/xlsform_corpus.py "$BIN" "$FORMS" "$OUT" "${XLSFORM_REPS:-3}"
