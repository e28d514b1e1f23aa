#!/usr/bin/env bash
# Damaged data is refused, never kept or trained on (issue "Never silently wrong", items 2 and 3).
# Before: with a shard's f0 labels set to NaN, or shard 2 copied over shard 1, verify named the
# shard but `generate --resume` kept it, `index` recorded its hash and verify then said ok; train
# trained with exit 0 on byte-flipped spectrograms, a row of 1e30, a shard of another manifest
# and a duplicated shard. Now --resume remakes the shard (naming it on stderr, same bytes as the
# first run), index refuses it, verify checks dataset.h5 itself, and train fails naming the
# shard (and the example).
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT
"$PF" generate manifests/tiny.yaml -o "$T/d" -q
S1=train-00001-of-00004.h5
S2=train-00002-of-00004.h5
good=$(sha256sum < "$T/d/$S1")
fresh() { rm -rf "$T/$1"; cp -r "$T/d" "$T/$1"; }
h5() { "$PY" -c "import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'r+') as f: $1" "$2"; }
expect_fail() {  # what log needle command...
  local what=$1 log=$2 needle=$3; shift 3
  if "$@" > "$log" 2>&1; then cat "$log"; fail "$what: exit 0"; fi
  grep -q -- "$needle" "$log" || { cat "$log"; fail "$what: no '$needle' in the message"; }
  echo "ok: $what refused: $(grep -m1 -- "$needle" "$log" | cut -c1-160)"
}

# --- item 2: generate --resume remakes, index refuses, verify sees dataset.h5 ---
for case in nan copy; do
  fresh $case
  if [ $case = nan ]; then h5 "f['labels/f0_hz'][:] = np.nan" "$T/$case/$S1"
  else cp "$T/$case/$S2" "$T/$case/$S1"; fi
  expect_fail "verify ($case)" "$T/v.log" "$S1" "$PF" verify "$T/$case"
  expect_fail "index ($case)" "$T/i.log" "$S1" "$PF" index "$T/$case"
  "$PF" generate manifests/tiny.yaml -o "$T/$case" --resume -q 2> "$T/r.log"
  grep -q "remaking $T/$case/$S1" "$T/r.log" || { cat "$T/r.log"; fail "resume ($case) did not say it remakes $S1"; }
  [ "$(sha256sum < "$T/$case/$S1")" = "$good" ] || fail "resume ($case) kept the damaged $S1"
  "$PF" verify "$T/$case" 2> /dev/null || fail "verify after resume ($case)"
  echo "ok: resume ($case) remade $S1 with the first run's bytes"
done
# a copy with its attributes rewritten to the name's: the examples are still there twice
fresh dup
cp "$T/dup/$S2" "$T/dup/$S1"; h5 "f.attrs['shard_index'] = np.int64(1)" "$T/dup/$S1"
expect_fail "index (duplicated examples)" "$T/i.log" "is in $S1 row" "$PF" index "$T/dup"
# as an index before this check recorded it: the copy's sha256 in /checksums
"$PY" - "$T/dup" "$S1" <<'PYEOF'
import sys, hashlib, h5py
sha = hashlib.sha256(open(sys.argv[1] + "/" + sys.argv[2], "rb").read()).hexdigest().encode()
with h5py.File(sys.argv[1] + "/dataset.h5", "r+") as f:
    t = f["checksums"][:]
    for row in t:
        if row["shard"] in (sys.argv[2], sys.argv[2].encode()): row["sha256"] = sha
    f["checksums"][...] = t
PYEOF
expect_fail "verify (duplicated examples)" "$T/v.log" "duplicated examples" "$PF" verify "$T/dup"
# dataset.h5 itself: /stats and the split's attributes
fresh stats
h5 "f['stats/std'][3] = np.nan; f['val'].attrs['n_examples'] = np.uint64(7); f.attrs['stft_nfft'] = np.int64(512)" \
  "$T/stats/dataset.h5"
expect_fail "verify (/stats)" "$T/v.log" "/stats/std bin 3 is nan" "$PF" verify "$T/stats"
grep -q "/val says 7 examples" "$T/v.log" || fail "verify missed /val's n_examples"
grep -q "root attribute stft_nfft is not" "$T/v.log" || fail "verify missed the root's stft_nfft"

# --- item 3: train refuses what it reads ---
conf() {  # dataset output
  cat <<YAML
dataset: $1/dataset.h5
output: $2
model:
  layers:
    - {kind: timestats, k: 4}
    - {kind: dense, out: 16}
    - relu
target: {kind: bins, bins_lo: 35, step_cents: 20, n_bins: 370, blur_cents: 25}
input: log
batch: 16
epochs: 1
seed: 1
threads: 1
YAML
}
train_fails() {  # case needle
  conf "$T/$1" "$T/m-$1" > "$T/$1.yaml"
  expect_fail "train ($1)" "$T/t.log" "$2" "$PF" train "$T/$1.yaml" -q
}
conf "$T/d" "$T/m-good" > "$T/good.yaml"
"$PF" train "$T/good.yaml" -q || fail "train on the undamaged data"
fresh flip  # every byte of example 5's spectrogram inverted, in the file
"$PY" - "$T/flip/$S1" <<'PYEOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    info = f["spectrogram"].id.get_chunk_info_by_coord((5, 0, 0))
with open(sys.argv[1], "r+b") as g:
    g.seek(info.byte_offset); b = bytearray(g.read(4096))
    g.seek(info.byte_offset); g.write(bytes(x ^ 0xFF for x in b))
PYEOF
train_fails flip "$S1: example 5 of /spectrogram"
fresh big
h5 "f['spectrogram'][7, 100, :] = 1e30" "$T/big/$S1"
train_fails big "$S1: example 7 of /spectrogram holds 1e+30"
fresh other  # a shard of another manifest (seed 8), dataset.h5 left as it was
sed 's/^seed: 7/seed: 8/' manifests/tiny.yaml > "$T/other.yaml"
"$PF" generate "$T/other.yaml" -o "$T/o" -q
cp "$(ls "$T"/o/train-*.h5 | sed -n 2p)" "$T/other/$S1"
train_fails other "made from another manifest"
grep -q "$S1" "$T/t.log" || fail "train (other) did not name $S1"
fresh dupt  # shard 2 over shard 1, its shard_index rewritten
cp "$T/dupt/$S2" "$T/dupt/$S1"
train_fails dupt "not the file name's"
h5 "f.attrs['shard_index'] = np.int64(1)" "$T/dupt/$S1"
train_fails dupt "duplicated examples"
echo "e2e_damaged: ok"
