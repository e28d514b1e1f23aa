#!/usr/bin/env bash
# Values that pass validation must not exhaust memory or disk (issue "Never silently wrong", 14):
# a train batch whose run needs more memory than the machine has, an n_shards attribute of 1e18
# in dataset.h5, a manifest whose plan needs more disk than is free, and a device or folder
# given as the manifest are each refused with a message (exit 1), before anything big is
# allocated or written.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT

# the error output of a command expected to fail with exit 1
refused() {
  local rc=0
  "$@" > "$T/out" 2> "$T/err" || rc=$?
  [ "$rc" = 1 ] || fail "$* exited $rc, not 1: $(cat "$T/err")"
  cat "$T/err"
}

"$PF" generate manifests/tiny.yaml -o "$T/d" -q
train_config() { # $1 batch, $2 first layer
  sed "s|^dataset: .*|dataset: $T/d/dataset.h5|; s|^output: .*|output: $T/m|; s|^batch: .*|batch: $1|
       s|^epochs: .*|epochs: 1|; s|^    - {kind: timestats, k: 8}|    - $2|" \
    manifests/train-tiny.yaml > "$T/train.yaml"
}

# a conv of 64 filters on 513 x 90 keeps 3M floats an example: terabytes at batch 65536
train_config 65536 "{kind: conv, out: 64, kernel: 1}"
msg=$(refused "$PF" train "$T/train.yaml" -q)
echo "$msg" | grep -q "batch 65536 needs about .* TB of memory (.* an example), this machine has .* available" \
  || fail "train batch 65536: $msg"
[ ! -e "$T/m/checkpoint.h5" ] || fail "a refused run wrote a checkpoint"
echo "ok: $msg"

# the shipped tiny config still trains
train_config 16 "{kind: timestats, k: 8}"
"$PF" train "$T/train.yaml" -q || fail "batch 16 was refused"
echo "ok: batch 16 trains"

# n_shards of 1e18 in dataset.h5: refused by name, not an abort in the allocator
cp -r "$T/d" "$T/e"
"$PY" -c "import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'a') as f: f['train'].attrs['n_shards'] = np.uint64(10**18)" "$T/e/dataset.h5"
sed -i "s|^dataset: .*|dataset: $T/e/dataset.h5|" "$T/train.yaml"
msg=$(refused "$PF" train "$T/train.yaml" -q --force)
echo "$msg" | grep -q "train/n_shards is 1000000000000000000, more than 99999" || fail "n_shards: $msg"
echo "ok: $msg"

# a plan of terabytes: refused against the folder's free space, before any shard is written
sed -e "s/^notes:.*/notes: {octaves: [-1, 9], pitch_classes: all, velocities: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]}/" \
    -e "s/copies: 1,/copies: 1000,/" -e "s/examples: 48/examples: 1048576/" manifests/tiny.yaml > "$T/huge.yaml"
msg=$(refused timeout 120 "$PF" generate "$T/huge.yaml" -o "$T/huge" -q)
echo "$msg" | grep -q "the shards to make need about .* TB (.* notes), the disk has .* free" \
  || fail "huge plan: $msg"
[ -z "$(ls -A "$T/huge")" ] || fail "a refused plan left files: $(ls "$T/huge")"
echo "ok: $msg"

# a device or a folder is not a manifest (and /dev/zero is not read forever)
msg=$(refused timeout 60 "$PF" generate /dev/zero -o "$T/z")
echo "$msg" | grep -q "/dev/zero: a device, not a text file" || fail "/dev/zero: $msg"
msg=$(refused "$PF" train "$T")
echo "$msg" | grep -q "a folder, not a text file" || fail "a folder as config: $msg"
echo "ok: /dev/zero and a folder refused"
