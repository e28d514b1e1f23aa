#!/usr/bin/env bash
# One run writes a folder at a time (issue 28, item 17): a second whole run, a part beside a whole
# run, a whole run beside parts and the same part twice are refused at once (exit 1) naming the
# holder's pid and command, and the first run ends whole; different parts still write one
# folder side by side. The same for train's output folder. No lock file is left behind.
. "$(dirname "$0")/lib_e2e.sh"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
M=manifests/tiny.yaml
"$PF" generate $M -o "$T/ref" -q
tiny_train_config "$T/ref/dataset.h5" "$T/m" > "$T/t.yaml"

# ---- 17: one run per folder ----
has_tmp() { [ -n "$(find "$T/l" -name '*.tmp' 2>/dev/null)" ]; }
start_frozen has_tmp "$PF" generate $M -o "$T/l" -j 1 -q
first=$bg
set +e; "$PF" generate $M -o "$T/l" -q --resume 2> "$T/lock.err"; rc=$?; set -e
[ $rc = 1 ] || fail "a second run into a locked folder: exit $rc, expected 1"
says "$T/lock.err" "a second run" "in use by another run" "pid $first on host"
set +e; "$PF" generate $M -o "$T/l" -q --part 1/2 2> "$T/lock2.err"; rc=$?; set -e
[ $rc = 1 ] || fail "a part run into a folder a whole run holds: exit $rc, expected 1"
says "$T/lock2.err" "a part run beside a whole run" "pid $first on host"
kill -CONT $first; wait $first || fail "the first run failed after the second: $(cat "$T/bg.err")"
"$PF" verify "$T/l" 2> /dev/null || fail "verify after two runs"
[ -z "$(find "$T/l" -name '*.tmp' -o -name '.pitchforge*')" ] || fail "temp or lock files left"
echo "ok: the first run finished whole; no temporary or lock file left"
# parts write side by side; a whole run or the same part again is refused, naming the part
has_tmp_p() { [ -n "$(find "$T/lp" -name '*.tmp' 2>/dev/null)" ]; }
start_frozen has_tmp_p "$PF" generate $M -o "$T/lp" -j 1 -q --part 1/2
first=$bg
"$PF" generate $M -o "$T/lp" -q --part 2/2 || fail "part 2 beside part 1"
set +e; "$PF" generate $M -o "$T/lp" -q --resume 2> "$T/lock3.err"; rc=$?; set -e
[ $rc = 1 ] || fail "a whole run beside a part: exit $rc, expected 1"
says "$T/lock3.err" "a whole run beside a part" "part runs" "pid $first on host" "part 1/2"
set +e; SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=2 "$PF" generate $M -o "$T/lp" -q --resume \
  2> "$T/lock4.err"; rc=$?; set -e
[ $rc = 1 ] || fail "the same part twice: exit $rc, expected 1"
says "$T/lock4.err" "the same part twice (Slurm)" "pid $first on host"
kill -CONT $first; wait $first || fail "part 1 failed: $(cat "$T/bg.err")"
"$PF" index "$T/lp" 2> /dev/null
for f in "$T"/ref/*-of-*.h5; do cmp -s "$f" "$T/lp/$(basename "$f")" || fail "parts: $(basename "$f") differs"; done
echo "ok: two parts side by side + index give the bytes of one run"
# train's output folder
has_ck() { [ -e "$T/lt/metrics.jsonl" ]; }  # the run has started
sed "s|^output: .*|output: $T/lt|" "$T/t.yaml" > "$T/lt.yaml"
start_frozen has_ck "$PF" train "$T/lt.yaml" -q
first=$bg
set +e; "$PF" train "$T/lt.yaml" -q --resume 2> "$T/lock5.err"; rc=$?; set -e
[ $rc = 1 ] || fail "a second train into a locked folder: exit $rc, expected 1"
says "$T/lock5.err" "a second train" "in use by another run" "pid $first on host" "pitchforge train"
kill -CONT $first; wait $first || fail "the first train failed: $(cat "$T/bg.err")"

