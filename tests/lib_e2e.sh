# Sourced by every tests/e2e_*.sh first: strict mode, the project root as the working folder,
# and what the scripts share:
#   PF    the CLI under test (make asan runs the scripts with the sanitized build: PF_BIN)
#   PY    Debian's Python, for the reference checks (numpy, scipy, h5py)
#   T     a fresh temp folder named after the script (under PF_TEST_TMP when tests/run.sh runs it);
#         each script says itself whether to remove it on exit or only on success
#   fail  print FAIL and the message, exit 1
#   says  LOG WHAT WORDS...: fail unless every word is in LOG, else print "ok: WHAT: <LOG>"
#   start_frozen COND CMD...: run CMD in the background (pid in $bg, stderr in $T/bg.err) and
#         freeze it (SIGSTOP) as soon as the shell function COND holds: a run caught in the middle
#         without a race; fails if CMD ends first
#   tiny_train_config DATASET OUTPUT: print a small training config (timestats, dense 64, dropout;
#         batch 4, 2 epochs, seed 1, one thread) for DATASET writing to OUTPUT
#   dfl_int CMD...: exec CMD with SIGINT at its default (a script's `cmd &` starts it ignored);
#         replaces the shell it runs in: for `start_frozen COND dfl_int CMD...` only
set -euo pipefail
cd "$(dirname "$0")/.."
PF=${PF_BIN:-./pitchforge}
PY=${PY:-/usr/bin/python3}
T=$(mktemp -d "${PF_TEST_TMP:-/tmp}/$(basename "$0" .sh | tr _ -).XXXXXX")
fail() { echo "FAIL: $*"; exit 1; }
says() {
  local log=$1 what=$2; shift 2
  for w in "$@"; do grep -q -- "$w" "$log" || fail "$what: no '$w' in: $(cat "$log")"; done
  echo "ok: $what: $(head -c 200 "$log")"
}
bg=
start_frozen() {
  local cond=$1; shift
  "$@" 2> "$T/bg.err" & bg=$!
  for _ in $(seq 1 3000); do
    if $cond; then kill -STOP $bg; return 0; fi
    kill -0 $bg 2>/dev/null || fail "$* ended before it could be frozen: $(cat "$T/bg.err")"
    sleep 0.01
  done
  fail "$*: never got there"
}
dfl_int() {
  exec "$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' "$@"
}
tiny_train_config() {
  cat <<YAML
dataset: $1
output: $2
model:
  layers:
    - {kind: timestats, k: 8}
    - {kind: dense, out: 64}
    - relu
    - {kind: dropout, p: 0.2}
batch: 4
epochs: 2
seed: 1
threads: 1
YAML
}
