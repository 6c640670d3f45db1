#!/usr/bin/env bash
# Engine 2 stress benchmark (issue 12): the in-process tables (cargo bench --bench engine), then
# `anketa check` of the stress questionnaire with the real binary: fastest of 10 wall times,
# minus the process start (`check` of a one-question file, fastest of 10), with the bundled НКО
# file checked the same way for the ratio. Usage: benches/engine.sh
# ANKETA_BIN=PATH: measure that binary's `check`, without building (the cargo bench is skipped).
# ENGINE_KEYS=N: keys per interviewer case (default 20000).
# The stress file is benches/stress.json; regenerate it with benches/stress_questionnaire.py.
set -euo pipefail
ANKETA_BIN=${ANKETA_BIN:+$(realpath "$ANKETA_BIN")}
cd "$(dirname "$0")/.."
if [ -z "$ANKETA_BIN" ]; then
  cargo build --release --quiet
  cargo bench --quiet --bench engine 2>/dev/null
fi
BIN=${ANKETA_BIN:-$PWD/target/release/anketa}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat >"$work/tiny.json" <<'JSON'
{"id": "tiny", "version": "1", "title": "T", "language": "en",
 "blocks": [{"id": "b", "title": "B", "questions": [{"id": "x", "type": "number", "text": "X"}]}]}
JSON
"$BIN" check benches/stress.json >/dev/null
ms() { python3 -c 'import sys,time,subprocess; n=int(sys.argv[1]); c=sys.argv[2:]
t=[]
for _ in range(n):
    a=time.perf_counter(); r=subprocess.run(c,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,timeout=60); t.append(time.perf_counter()-a)
    assert r.returncode == 0, c
t.sort(); print("%.2f %.2f" % (t[0]*1000, t[len(t)//2]*1000))' "$@"; }
read -r stress stress_med < <(ms 10 "$BIN" check benches/stress.json)
read -r nko nko_med < <(ms 10 "$BIN" check questionnaires/nko.json)
read -r tiny tiny_med < <(ms 10 "$BIN" check "$work/tiny.json")
echo
echo "| case | stress | НКО (same run) | ratio | target |"
echo "|---|--:|--:|--:|---|"
python3 - "$stress" "$nko" "$tiny" "$stress_med" "$nko_med" "$tiny_med" <<'PY'
import sys
s, n, t, sm, nm, tm = map(float, sys.argv[1:])
# НКО's own check is a fraction of a millisecond, within the noise of a process start: no ratio then.
ratio = lambda a, b: f"{a / b:.0f}×" if b > 0.3 else "— (НКО within the noise of a start)"
print(f"| `anketa check FILE`, real binary, fastest of 10, minus process start (`check` of a one-question file, {t:.2f} ms) | {s - t:.2f} ms | {n - t:.2f} ms | {ratio(s - t, n - t)} | ≤ 20 ms |")
print(f"| the same, medians of 10 (process start {tm:.2f} ms) | {sm - tm:.2f} ms | {nm - tm:.2f} ms | {ratio(sm - tm, nm - tm)} | |")
print(f"| `anketa check FILE`, real binary, fastest of 10, process start included | {s:.2f} ms | {n:.2f} ms | {s / n:.1f}× | |")
PY
# CPU time of the same, less sensitive to a shared machine than wall time.
if command -v perf >/dev/null && perf stat -e task-clock true 2>/dev/null; then
  cpu() { perf stat -x, -r 10 -e task-clock "$BIN" check "$1" 2>&1 >/dev/null | awk -F, '/task-clock/ {printf "%.2f", $1}'; }
  s=$(cpu benches/stress.json); n=$(cpu questionnaires/nko.json); t=$(cpu "$work/tiny.json")
  python3 -c "import sys; s,n,t=map(float,sys.argv[1:]); print(f'| \`anketa check FILE\`, CPU time (perf stat task-clock, mean of 10), minus the one-question file ({t:.2f} ms) | {s-t:.2f} ms | {n-t:.2f} ms | {(s-t)/max(n-t,1e-3):.0f}× | ≤ 20 ms |')" "$s" "$n" "$t"
fi
