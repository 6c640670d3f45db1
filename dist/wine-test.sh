#!/usr/bin/env bash
# The Windows build under wine, compared byte for byte with the Linux build (issue 15; called by
# .ci/run). See docs/field-builds.md.
#
# 1. Installs what it needs: wine64 (Debian 12: wine 8.0, 64-bit only, no recommends), the
#    mingw-w64 C compiler, zip and unzip (apt); the Rust targets (rustup, through dist/build.sh).
# 2. Builds both release artefacts with dist/build.sh (the static Linux binary and the Windows
#    zip), unless ANKETA_WINE_PREBUILT=1 says dist/out/ already holds them.
# 3. Makes a fresh wine prefix and puts the ProcessPrng shim (dist/wine/processprng.c, a
#    TEST-ONLY stand-in for Windows 10's bcryptprimitives.dll, which wine 8.0 lacks) into its
#    system32. The release zip is unpacked as shipped, nothing added beside anketa.exe.
# 4. Runs the same commands with the same inputs in two folders, L (the Linux binary) and W
#    (anketa.exe under wine), each folder evolving on its own (W's merge reads W's simulate
#    output), and after every step compares exit code, stdout, stderr and every file in the
#    folders. The only normalisation (dist/wine/same.py), where a step says `paths` and in the
#    outputs that name their inputs (merge-report.json, a report's file): the path separator,
#    `\` on Windows, `/` on Linux; every other byte must match. The data (NDJSON, CSV,
#    codebooks, syntax, questionnaire copies, interview files) is compared with none at all.
# 5. Windows file semantics through the CLI: outputs written again over existing ones (atomic
#    replace), a merge whose output is held open by another program (with and without
#    FILE_SHARE_DELETE), portable mode (anketa-data beside anketa.exe, nothing written to the
#    wine profile), hand-in twice.
# Exits non-zero on the first difference, showing it.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
t0=$(date +%s)

have() { command -v "$1" >/dev/null 2>&1; }
WINE=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver
need=()
[ -x "$WINE" ] || need+=(wine64)
have x86_64-w64-mingw32-gcc || need+=(gcc-mingw-w64-x86-64)
have zip || need+=(zip)
have unzip || need+=(unzip)
if [ ${#need[@]} -gt 0 ]; then
  echo "wine-test: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
fi

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
lin_art=dist/out/anketa-$version-linux-x86_64
win_art=dist/out/anketa-$version-windows-x86_64.zip
if [ "${ANKETA_WINE_PREBUILT:-}" != 1 ]; then
  tb=$(date +%s)
  dist/build.sh all
  echo "wine-test: dist/build.sh all took $(($(date +%s) - tb)) s"
fi
for a in "$lin_art" "$win_art"; do
  size=$(stat -c %s "$a")
  [ "$size" -le $((5 * 1024 * 1024)) ] || { echo "wine-test: $a is $size bytes, over 5 MB" >&2; exit 1; }
done

work=$(mktemp -d /tmp/anketa-wine.XXXXXX)
export WINEPREFIX=$work/prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree=;mshtml=" WINEARCH=win64
cleanup() {
  "$WINESERVER" -k >/dev/null 2>&1 || true
  [ "${ANKETA_WINE_KEEP:-}" = 1 ] && echo "wine-test: kept $work" || rm -rf "$work"
}
trap cleanup EXIT

tp=$(date +%s)
"$WINE" wineboot --init >/dev/null 2>&1 || true
"$WINESERVER" -w
sys32=$WINEPREFIX/drive_c/windows/system32
[ -d "$sys32" ] || { echo "wine-test: wineboot made no prefix" >&2; exit 1; }
x86_64-w64-mingw32-gcc -O2 -shared -s -nostdlib -Wl,-e,DllMainCRTStartup -Wl,--no-insert-timestamp \
  -o "$sys32/bcryptprimitives.dll" dist/wine/processprng.c -ladvapi32
x86_64-w64-mingw32-gcc -O2 -s -o "$work/holdopen.exe" dist/wine/holdopen.c
echo "wine-test: wine prefix and shim in $(($(date +%s) - tp)) s"

# The programs: the Linux binary as `anketa`, the zip unpacked as shipped.
mkdir -p "$work/lin" "$work/win" "$work/home" "$work/out"
cp "$lin_art" "$work/lin/anketa"
(cd "$work/win" && unzip -q "$repo/$win_art")
LIN=$work/lin/anketa
EXE=$work/win/anketa/anketa.exe
[ -f "$EXE" ] || { echo "wine-test: no anketa/anketa.exe in $win_art" >&2; exit 1; }

# The two folders, with the same inputs.
L=$work/L W=$work/W
for d in "$L" "$W"; do
  mkdir -p "$d/q" "$d/bad"
  cp questionnaires/*.json "$d/q/"
  cp examples/weights-nko.json "$d/"
  # Broken questionnaires: syntax, meaning, encoding, a Windows Notepad file (BOM, CRLF).
  printf '{"id": "x", "version": 1,\n  "blocks": [\n' >"$d/bad/syntax.json"
  sed 's/"version": *"[^"]*"/"version": 7/' questionnaires/demo.en.json >"$d/bad/types.json"
  printf '{"id": "\xff"}\n' >"$d/bad/latin1.json"
  printf '\xef\xbb\xbf' >"$d/bad/notepad.json"
  sed 's/$/\r/' questionnaires/demo.en.json >>"$d/bad/notepad.json"
  python3 - "$d/bad/expr.json" <<'EOF'
import json, sys
q = json.load(open("questionnaires/demo.en.json", encoding="utf-8"))
for b in q["blocks"]:
    for x in b["questions"]:
        x["relevant"] = "${nowhere} = 1 and ("
        break
    break
json.dump(q, open(sys.argv[1], "w", encoding="utf-8"), ensure_ascii=False, indent=1)
EOF
done

steps=0
fail() {
  echo "wine-test: FAILED at step $steps: $*" >&2
  exit 1
}

# both SHELL-COMMAND: prepares the same thing in both folders (not a test step).
both() { (cd "$L" && eval "$1") && (cd "$W" && eval "$1"); }

# step NORM EXPECTED-EXIT ARGS...: `anketa ARGS` in L and `anketa.exe ARGS` in W (under wine),
# then every comparison. NORM is `none` or `paths` (see the top). EXPECTED-EXIT is a number or
# `any` (both must still agree).
step() {
  local norm=$1 want=$2
  shift 2
  steps=$((steps + 1))
  local o=$work/out/$steps
  mkdir -p "$o"
  printf '%s\n' "$*" >"$o/args"
  set +e
  (cd "$L" && HOME=$work/home XDG_DATA_HOME=$work/home/data XDG_CONFIG_HOME=$work/home/config \
    "$LIN" "$@" <"/dev/null" >"$o/L.out" 2>"$o/L.err")
  echo $? >"$o/L.rc"
  (cd "$W" && "$WINE" "$EXE" "$@" <"/dev/null" >"$o/W.out" 2>"$o/W.err")
  echo $? >"$o/W.rc"
  set -e
  compare "$norm" "$want" "$o" "anketa $*"
}

# step_at DIR-IN-FOLDER NORM EXPECTED-EXIT ARGS...: like step, with the copies of the programs
# in DIR (portable mode): DIR/anketa in L, DIR/anketa.exe in W.
step_at() {
  local at=$1 norm=$2 want=$3
  shift 3
  steps=$((steps + 1))
  local o=$work/out/$steps
  mkdir -p "$o"
  set +e
  (cd "$L" && HOME=$work/home XDG_DATA_HOME=$work/home/data XDG_CONFIG_HOME=$work/home/config \
    "$at/anketa" "$@" <"/dev/null" >"$o/L.out" 2>"$o/L.err")
  echo $? >"$o/L.rc"
  (cd "$W" && "$WINE" "$at/anketa.exe" "$@" <"/dev/null" >"$o/W.out" 2>"$o/W.err")
  echo $? >"$o/W.rc"
  set -e
  # The data dir is found beside the program, so its paths are shown absolute: the folders of
  # the two runs (`/tmp/…/L/P/`, and `Z:\tmp\…\W\P\` as wine maps `/` to drive Z:) differ by
  # construction and become `<program folder>/` in both.
  python3 - "$o" "$L/$at/" "Z:$(echo "$W/$at/" | tr / '\\')" <<'PY'
import sys
o, lin, win = sys.argv[1:]
for side, prefix, folder in (("L", lin, "<program folder>/"), ("W", win, "<program folder>\\")):
    for s in ("out", "err"):
        p = f"{o}/{side}.{s}"
        t = open(p, "rb").read().replace(prefix.encode(), folder.encode())
        open(p, "wb").write(t)
PY
  compare "$norm" "$want" "$o" "$at/anketa $*"
}

compare() {
  local norm=$1 want=$2 o=$3 what=$4
  local lrc wrc
  lrc=$(cat "$o/L.rc") wrc=$(cat "$o/W.rc")
  local bad=""
  [ "$lrc" = "$wrc" ] || bad="exit codes differ: Linux $lrc, Windows $wrc"
  [ "$want" = any ] || [ "$lrc" = "$want" ] || bad="${bad:+$bad; }exit code $lrc, expected $want"
  for s in out err; do
    cmp -s "$o/L.$s" "$o/W.$s" && continue
    [ "$norm" = paths ] && python3 dist/wine/same.py "$o/L.$s" "$o/W.$s" && continue
    bad="${bad:+$bad; }std$s differs"
    diff "$o/L.$s" "$o/W.$s" | head -20 >&2 || true
  done
  local d rest
  d=$(diff -rq -x anketa -x anketa.exe "$L" "$W" 2>&1) || {
    # Outputs that name their inputs, in the system's own way (`lap1\interviews\x.json` on
    # Windows): a merge report, and a report (`Слияние (merged\merge-report.json)`) in the
    # files the steps below write as r.*. Only their separators may differ.
    rest=$(echo "$d" | while read -r line; do
      case $line in
        "Files "*"/merge-report.json and "*" differ" | "Files $L/r."*" and "*" differ")
          a=${line#Files }; a=${a%% and *}; b=${line##* and }; b=${b% differ}
          python3 dist/wine/same.py "$a" "$b" >&2 || echo "$line" ;;
        *) echo "$line" ;;
      esac
    done)
    if [ -n "$rest" ]; then
      bad="${bad:+$bad; }files differ"
      echo "$rest" | head -20 >&2
      echo "$rest" | sed -n 's/^Files \(.*\) and \(.*\) differ$/\1 \2/p' | head -3 | while read -r a b; do
        diff "$a" "$b" | head -10 >&2 || true
      done
    fi
  }
  local tmp
  tmp=$(find "$L" "$W" -name '.*.tmp' | head -5)
  [ -z "$tmp" ] || bad="${bad:+$bad; }temp files left: $tmp"
  if [ -n "$bad" ]; then
    echo "--- Linux stderr:" >&2; head -20 "$o/L.err" >&2
    echo "--- Windows stderr:" >&2; head -20 "$o/W.err" >&2
    fail "$what: $bad"
  fi
}

# --- The commands ---------------------------------------------------------------------------

step none 0 --version
step paths 0 check q/nko.json q/omsu.json q/demo.en.json q/engine.en.json q/schema.json
step paths 2 check bad/syntax.json bad/types.json bad/latin1.json bad/notepad.json bad/expr.json q/nko.json
step paths 2 check no/such.json
step none 0 codebook nko
step none 0 codebook omsu --format csv
step none 0 codebook q/demo.en.json --format md
step paths 0 simulate --questionnaire nko --count 60 --seed 7 --interviewers 3 --incomplete-share 0.1 --out lap1
step paths 0 simulate --questionnaire omsu --count 30 --seed 8 --interviewers 2 --out lap2
step paths 0 simulate --questionnaire nko --count 20 --seed 9 --weights weights-nko.json --out lap3
step paths 0 simulate --questionnaire q/demo.en.json --count 10 --seed 10 --out lap4
# Copies from "another laptop": an identical copy (a duplicate), an edited one (a conflict),
# something that is not an interview (rejected).
both 'mkdir -p lap5/interviews && f=$(ls lap1/interviews | head -1) && cp "lap1/interviews/$f" lap5/interviews/ &&
      g=$(ls lap1/interviews | sed -n 2p) && sed "s/\"revision\": \([0-9]*\)/\"revision\": 99/" "lap1/interviews/$g" >"lap5/interviews/$g" &&
      echo "{not json" >lap5/interviews/broken.json'
step paths 3 merge lap1 lap2 lap3 lap5 --out merged
step paths 3 merge lap1 lap2 lap3 lap5 --out merged
step paths 0 merge lap1 lap2 --out merged-excel --excel
step paths 0 merge lap4 --out merged-demo --include-incomplete
step paths 0 report merged
step paths 0 report merged --format csv
step paths 0 report merged --format json
step paths 0 report merged --format html
step paths 0 report merged --format html --out r.html
step paths 0 report merged --format html --out r.html --lang en
step paths 0 report merged --format csv --out r.csv
step paths 0 report merged --format json --out r.json
step paths 0 report merged --format md --by district --exclude-missing
step paths 0 report lap1 --format md
step paths 0 report merged-excel/interviews.ndjson --format csv
step paths 2 report nowhere --format md
step paths 0 list --data-dir lap1
step paths 0 list --data-dir lap1 --all --lang en
step paths 0 list --data-dir lap1 --all --json
# Hand-in needs the laptop's device id; simulate makes none, so it is given (the same in L and W).
both 'echo 5ca1ab1e0000000000000000000000aa >lap1/device'
step paths 0 handin stick --data-dir lap1
step paths 0 handin stick --data-dir lap1 --lang en
step paths 0 merge stick --out merged-stick
# Sealed interviews (issue 16): the key made and the interviews sealed under wine (the OS's
# randomness through the ProcessPrng shim), then both programs open and merge the same files.
(cd "$W" && "$WINE" "$EXE" keygen --out sup </dev/null >/dev/null 2>&1) || fail "keygen under wine"
(cd "$W" && "$WINE" "$EXE" simulate --questionnaire nko --count 20 --seed 12 --incomplete-share 0.2 \
  --seal-to sup.pub --out lap6 </dev/null >/dev/null 2>&1) || fail "simulate --seal-to under wine"
grep -q anketa-sealed/1 "$W"/lap6/interviews/*.json || fail "nothing sealed under wine"
cp "$W"/sup.key "$W"/sup.pub "$L"/ && cp -r "$W/lap6" "$L/lap6"
step paths 3 merge lap6 --out merged-sealed-nokey
step paths 0 merge lap6 lap1 --identity sup.key --out merged-sealed
step paths 0 list --data-dir lap6 --all

# A merge whose output is held open by another program (holdopen.exe opens the file and waits
# for its stop file). With FILE_SHARE_DELETE (how Rust's std, and anketa, open files; how a
# virus scanner looks) the outputs must be replaced: wine renames as Windows does without POSIX
# semantics (as on a FAT USB stick), which refuses to rename onto an open file, so anketa moves
# the old one aside first. Without it (how Excel holds a CSV it shows) Windows refuses to
# replace the file at all: the merge must say so and leave every previous output as it was,
# none half replaced.
holdopen() { # MODE FILE: in W, under wine, in the background
  rm -f "$W/.stop" "$W/.held"
  (cd "$W" && "$WINE" "$work/holdopen.exe" "$1" "$2" .stop >"$work/out/hold.log" 2>&1) &
  hold_pid=$!
  for _ in $(seq 100); do [ -f "$W/.held" ] && break; sleep 0.1; done
  [ -f "$W/.held" ] || fail "holdopen did not open $2: $(cat "$work/out/hold.log")"
}
release() {
  touch "$W/.stop"
  wait "$hold_pid" || true
  rm -f "$W/.stop" "$W/.held"
}
held_merge() { # NAME ARGS...: the merge in W while a file is held; its exit code in $rc
  local name=$1
  shift
  set +e
  (cd "$W" && "$WINE" "$EXE" merge "$@" </dev/null >"$work/out/$name.out" 2>"$work/out/$name.err")
  rc=$?
  set -e
}

steps=$((steps + 1))
both 'cp -r merged-excel merged-held'
holdopen share-delete merged-held/nko.csv
held_merge held1 lap1 lap2 lap3 --out merged-held --excel
release
(cd "$L" && "$LIN" merge lap1 lap2 lap3 --out merged-held --excel >/dev/null 2>&1)
[ $rc = 0 ] || { cat "$work/out/held1.err" >&2; fail "a merge over an output held open with FILE_SHARE_DELETE: exit $rc"; }
for f in $(cd "$L/merged-held" && find . -type f); do
  cmp -s "$L/merged-held/$f" "$W/merged-held/$f" || python3 dist/wine/same.py "$L/merged-held/$f" "$W/merged-held/$f" ||
    fail "a merge over an output held open with FILE_SHARE_DELETE: $f differs from Linux's"
done
[ -z "$(find "$W/merged-held" -name '.*')" ] || fail "a merge over a held file left $(find "$W/merged-held" -name '.*')"
echo "wine-test: a merge replaced an output held open with FILE_SHARE_DELETE"

steps=$((steps + 1))
rm -rf "$work/out/before"
cp -r "$W/merged-held" "$work/out/before"
holdopen share-read merged-held/nko.csv
held_merge held2 lap1 lap2 --out merged-held --excel
release
echo "wine-test: a merge over an output held open without FILE_SHARE_DELETE: exit $rc: $(head -c 300 "$work/out/held2.err")"
[ $rc = 1 ] || fail "a merge over an output held open without FILE_SHARE_DELETE: exit $rc, expected 1"
grep -q 'nko.csv' "$work/out/held2.err" || fail "the failed merge does not name the file held open"
diff -r "$work/out/before" "$W/merged-held" >/dev/null || fail "a failed merge changed its outputs"
[ -z "$(find "$W/merged-held" -name '.*')" ] || fail "a failed merge left $(find "$W/merged-held" -name '.*')"
rm -rf "$L/merged-held" "$W/merged-held"

# The same for a single file written atomically (report --out; the interviewer's saves and the
# hand-in's copies are written so too): held with FILE_SHARE_DELETE, replaced.
steps=$((steps + 1))
holdopen share-delete r.csv
set +e
(cd "$W" && "$WINE" "$EXE" report merged-stick --format csv --out r.csv </dev/null >"$work/out/held3.out" 2>"$work/out/held3.err")
rc=$?
set -e
release
[ $rc = 0 ] || { cat "$work/out/held3.err" >&2; fail "report --out over a file held open with FILE_SHARE_DELETE: exit $rc"; }
(cd "$L" && "$LIN" report merged-stick --format csv --out r.csv >/dev/null 2>&1)
python3 dist/wine/same.py "$L/r.csv" "$W/r.csv" || fail "report --out over a held file: r.csv differs"
[ -z "$(find "$W" -maxdepth 1 -name '.*')" ] || fail "report --out over a held file left $(find "$W" -maxdepth 1 -name '.*')"

# Portable mode: a folder anketa-data beside the program holds the data and the settings;
# nothing goes to the profile (the wine prefix's AppData, the Linux HOME).
both 'mkdir -p P/anketa-data && cp -r lap2/interviews lap2/questionnaires P/anketa-data/ &&
      echo 5ca1ab1e0000000000000000000000bb >P/anketa-data/device'
cp "$LIN" "$L/P/anketa"
cp "$EXE" "$W/P/anketa.exe"
step_at P paths 0 list --all --lang en
step_at P paths 0 handin stick2
[ -n "$(find "$W/stick2" -name '*.json' | head -1)" ] || fail "the portable hand-in wrote nothing"
[ -z "$(find "$WINEPREFIX/drive_c/users" -iname '*anketa*' | head -1)" ] ||
  fail "portable mode wrote to the wine profile: $(find "$WINEPREFIX/drive_c/users" -iname '*anketa*' | head -3)"
[ -z "$(ls -A "$work/home")" ] || fail "the Linux runs wrote to HOME: $(ls -A "$work/home")"

echo "wine-test: $steps steps, Linux and Windows outputs identical; $(($(date +%s) - t0)) s in all"
