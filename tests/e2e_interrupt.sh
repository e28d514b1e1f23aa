#!/usr/bin/env bash
# Ctrl-C and SIGTERM (issue 28, item 18): generate removes its temporary shards, keeps the whole
# ones, says so and prints the command to resume (exit 130 / 143); that command ends with the
# bytes of one uninterrupted run. train writes a checkpoint where it stopped (also in its first
# epoch) and the printed --resume ends with the weights, optimizer moments and metrics lines of
# an uninterrupted run, bit for bit; so does --resume after kill -9 from a checkpoint taken
# inside an epoch (checkpoint_every).
. "$(dirname "$0")/lib_e2e.sh"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
M=manifests/tiny.yaml
"$PF" generate $M -o "$T/ref" -j 1 -q
# ---- 18: SIGINT and SIGTERM ----
# generate: frozen with a whole shard and a temporary one, then the signal
whole_and_tmp() {
  [ "$(find "$T/$sigdir" -name '*-of-*.h5' 2>/dev/null | wc -l)" -ge 1 ] &&
    [ -n "$(find "$T/$sigdir" -name '*.tmp' 2>/dev/null)" ]
}
for sig in INT TERM; do
  sigdir=g$sig; want=$([ $sig = INT ] && echo 130 || echo 143)
  start_frozen whole_and_tmp dfl_int "$PF" generate $M -o "$T/$sigdir" -j 1 -q
  kill -$sig $bg; kill -CONT $bg
  set +e; wait $bg; rc=$?; set -e
  [ $rc = $want ] || fail "generate on SIG$sig: exit $rc, expected $want: $(cat "$T/bg.err")"
  [ -z "$(find "$T/$sigdir" -name '*.tmp' -o -name '.pitchforge*')" ] || fail "SIG$sig left temp files"
  n=$(find "$T/$sigdir" -name '*-of-*.h5' | wc -l)
  says "$T/bg.err" "generate on SIG$sig (exit $rc, $n whole shards kept)" "interrupted" "whole in" "to go on, run:"
  again=$(grep -A1 "to go on, run:" "$T/bg.err" | tail -1)
  case "$again" in *--resume*) ;; *) fail "resume command: $again";; esac
  eval "$again"
  for f in "$T"/ref/*.h5; do
    [ "$(basename "$f")" = dataset.h5 ] || cmp -s "$f" "$T/$sigdir/$(basename "$f")" || fail "SIG$sig + resume: $(basename "$f") differs"
  done
  echo "ok: SIG$sig + the printed '$again' give the bytes of one run"
done

tiny_train_config "$T/ref/dataset.h5" "$T/m" > "$T/t.yaml"
sed "s|^output: .*|output: $T/whole|" "$T/t.yaml" > "$T/whole.yaml"
"$PF" train "$T/whole.yaml" -q

# train: SIGINT in the first epoch, before any checkpoint (the default checkpoint_every, 1000
# steps, is past this run's 90): it writes one
# where it stopped; the printed --resume ends with the uninterrupted run's weights
same_weights() {  # dir, what
  "$PY" - "$T/whole/checkpoint.h5" "$1/checkpoint.h5" "$T/whole/metrics.jsonl" "$1/metrics.jsonl" "$2" <<'PYEOF'
import json, sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
for k in ("params", "optimizer/m", "optimizer/v"):
    assert np.array_equal(a[k][:], b[k][:]), k
assert a.attrs["step"] == b.attrs["step"]
la = [json.loads(l) for l in open(sys.argv[3])]
lb = [json.loads(l) for l in open(sys.argv[4])]
key = lambda r: (r["epoch"], r["step"], r["train_loss"], r["val_loss"])
assert [key(r) for r in la] == [key(r) for r in lb], (la, lb)
print(f"ok: {sys.argv[5]}: weights, moments and metrics lines equal the uninterrupted run's")
PYEOF
}
sed "s|^output: .*|output: $T/ti|" "$T/t.yaml" > "$T/ti.yaml"
started() { [ -e "$T/ti/metrics.jsonl" ]; }
start_frozen started dfl_int "$PF" train "$T/ti.yaml" -q
[ ! -e "$T/ti/checkpoint.h5" ] || fail "a checkpoint before the signal"
kill -INT $bg; kill -CONT $bg
set +e; wait $bg; rc=$?; set -e
[ $rc = 130 ] || fail "train on SIGINT: exit $rc, expected 130: $(cat "$T/bg.err")"
[ -e "$T/ti/checkpoint.h5" ] || fail "train on SIGINT left no checkpoint"
[ -z "$(find "$T/ti" -name '*.tmp' -o -name '.pitchforge*')" ] || fail "train left temp files"
says "$T/bg.err" "train on SIGINT (exit 130)" "interrupted" "checkpoint.h5 holds" "to go on, run:"
again=$(grep -A1 "to go on, run:" "$T/bg.err" | tail -1)
case "$again" in *--resume*) ;; *) fail "resume command: $again";; esac
eval "$again"
same_weights "$T/ti" "SIGINT + '$again'"

# train: kill -9 after a checkpoint inside an epoch (checkpoint_every 5), then --resume
sed "s|^output: .*|output: $T/tk|" "$T/t.yaml" > "$T/tk.yaml"
echo "checkpoint_every: 5" >> "$T/tk.yaml"
has_ck_k() { [ -e "$T/tk/checkpoint.h5" ]; }
start_frozen has_ck_k "$PF" train "$T/tk.yaml" -q
pid=$bg
batch() { "$PY" -c "import h5py, sys; print(h5py.File(sys.argv[1], 'r').attrs['batch'])" "$T/tk/checkpoint.h5"; }
for _ in $(seq 1 50); do  # frozen at an epoch's end: let it run a little further
  mid=$(batch)
  [ "$mid" -gt 0 ] && break
  kill -CONT $pid; sleep 0.02; kill -STOP $pid
done
[ "${mid:-0}" -gt 0 ] || fail "no checkpoint inside an epoch"
kill -9 $pid; wait $pid 2>/dev/null || true
[ ! -e "$T/tk/model.h5" ] || fail "the run finished before it could be killed"
"$PF" train "$T/tk.yaml" -q --resume
same_weights "$T/tk" "kill -9 after a checkpoint at batch $mid of an epoch + --resume"
