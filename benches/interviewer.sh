#!/usr/bin/env bash
# Interviewer benchmarks: in-process numbers (cargo bench), then the real binary: cold start to
# first frame and CPU use while idle. Usage: benches/interviewer.sh
# ANKETA_BIN=PATH: measure that binary, without building (the in-process cargo bench is skipped).
set -euo pipefail
ANKETA_BIN=${ANKETA_BIN:+$(realpath "$ANKETA_BIN")}
cd "$(dirname "$0")/.."
if [ -z "$ANKETA_BIN" ]; then
  cargo build --release --quiet
  cargo bench --quiet --bench interviewer 2>/dev/null
fi
BIN=${ANKETA_BIN:-$PWD/target/release/anketa}
work=$(mktemp -d); trap 'rm -rf "$work"; tmux kill-session -t anketa-idle 2>/dev/null || true' EXIT
export ANKETA_DATA_DIR=$work/data
# Cold start: process start → first frame drawn → exit, in a pseudo-terminal; minus the cost of
# the pseudo-terminal itself (script running `true`).
ms() { python3 -c 'import sys,time,subprocess; n=int(sys.argv[1]); c=sys.argv[2:]
t=[]
for _ in range(n):
    a=time.perf_counter(); subprocess.run(c,stdin=subprocess.DEVNULL,stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL,timeout=10); t.append(time.perf_counter()-a)
t.sort(); print("%.2f" % (t[0]*1000))' "$@"; }
full=$(ANKETA_EXIT_AFTER_FIRST_FRAME=1 ms 50 script -qec "$BIN" /dev/null)
base=$(ms 50 script -qec true /dev/null)
echo
echo "| cold start to first frame, real binary in a pty, fastest of 50, minus the pty alone | $(python3 -c "print('%.2f ms' % ($full-$base))") | (pty alone $base ms) | | ≤ 20 ms |"
# Idle: the interviewer open on a question, no keys for 10 s: CPU ticks used.
command -v tmux >/dev/null || { echo "tmux missing: idle check skipped"; exit 0; }
tmux new -d -s anketa-idle -x 80 -y 24 "$BIN"
sleep 1; tmux send-keys -t anketa-idle Enter; sleep 0.3; tmux send-keys -t anketa-idle B1 Enter; sleep 1
pid=$(pgrep -f "^$BIN$" | head -1)
t0=$(awk '{print $14+$15}' /proc/$pid/stat); sleep 10; t1=$(awk '{print $14+$15}' /proc/$pid/stat)
hz=$(getconf CLK_TCK)
echo "| idle 10 s on a question (clock redrawn once a second) | $(python3 -c "print('%.2f %% CPU' % (($t1-$t0)/$hz/10*100))") | | | ~0 % |"
