#!/usr/bin/env bash
# Never destroy what the user did not ask to destroy (issue 28, item 16): generate into a folder
# holding a dataset (another manifest's, or this one's: in a part run, this part's shards) and
# train into a folder holding an earlier run are refused (exit 1) naming what is there and
# --resume / --force, and leave every file as it was; --resume and --force then go on.
. "$(dirname "$0")/lib_e2e.sh"
trap 'kill -9 $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT
M=manifests/tiny.yaml
X=manifests/tiny-expressive.yaml
snapshot() { (cd "$1" && find . -maxdepth 1 -type f -printf '%i %s %T@ %f\n' | sort); }

# ---- 16: generate refuses to replace a dataset unless asked ----
"$PF" generate $M -o "$T/ref" -q
"$PF" generate $M -o "$T/a" -q
before=$(snapshot "$T/a")
set +e; "$PF" generate $M -o "$T/a" -q 2> "$T/same.err"; rc=$?; set -e
[ $rc = 1 ] || fail "a rerun into a full folder: exit $rc, expected 1"
says "$T/same.err" "a rerun of the same manifest" "already holds" "8 shards" "--resume" "--force"
set +e; "$PF" generate $X -o "$T/a" -q 2> "$T/other.err"; rc=$?; set -e
[ $rc = 1 ] || fail "another manifest into a full folder: exit $rc, expected 1"
says "$T/other.err" "another manifest" "another dataset" "8 shards" "--force" "e.g. test-00000-of-00002.h5"
set +e; "$PF" generate $X -o "$T/a" -q --resume 2> "$T/other2.err"; rc=$?; set -e
[ $rc = 1 ] || fail "another manifest with --resume: exit $rc, expected 1"
says "$T/other2.err" "another manifest with --resume" "another dataset" "--force"
[ "$(snapshot "$T/a")" = "$before" ] || fail "a refused run changed the folder"
echo "ok: the refused runs left every file as it was"
"$PF" generate $M -o "$T/a" -q --resume --json > "$T/resume.json"
grep -q '"shards_kept": 8' "$T/resume.json" || fail "--resume: $(cat "$T/resume.json")"
"$PF" generate $M -o "$T/a" -q --force --json > "$T/force.json"
grep -q '"shards_made": 8' "$T/force.json" || fail "--force: $(cat "$T/force.json")"
"$PF" generate $X -o "$T/a" -q --force
"$PY" - "$T/a" "$T/ref" <<'PYEOF'
import glob, os, sys, h5py
a, ref = sys.argv[1:]
want = {h5py.File(p, "r").attrs["manifest_sha256"] for p in glob.glob(a + "/*-of-*.h5")}
old = h5py.File(glob.glob(ref + "/train-*.h5")[0], "r").attrs["manifest_sha256"]
assert len(want) == 1 and old not in want, (want, old)
print("ok: --force replaced the other dataset: every shard is the new manifest's")
PYEOF
"$PF" verify "$T/a" 2> /dev/null || fail "verify after --force"
# a part: its own shards count, the other parts' do not
"$PF" generate $M -o "$T/p" --part 2/2 -q
"$PF" generate $M -o "$T/p" --part 1/2 -q
set +e; "$PF" generate $M -o "$T/p" --part 1/2 -q 2> "$T/part.err"; rc=$?; set -e
[ $rc = 1 ] || fail "a part run again: exit $rc"
says "$T/part.err" "a part run again" "of this part" "--resume"
"$PF" generate $M -o "$T/p" --part 1/2 -q --resume

# ---- 16: train refuses to replace an earlier run unless asked ----
tiny_train_config "$T/ref/dataset.h5" "$T/m" > "$T/t.yaml"
sed "s|^output: .*|output: $T/whole|" "$T/t.yaml" > "$T/whole.yaml"
"$PF" train "$T/whole.yaml" -q
cp -a "$T/whole" "$T/whole.before"
set +e; "$PF" train "$T/whole.yaml" -q 2> "$T/train.err"; rc=$?; set -e
[ $rc = 1 ] || fail "train into an earlier run: exit $rc, expected 1"
says "$T/train.err" "train into an earlier run" "earlier run" "model.h5" "metrics.jsonl" "--resume" "--force"
for f in model.h5 metrics.jsonl checkpoint.h5; do
  cmp -s "$T/whole/$f" "$T/whole.before/$f" || fail "a refused train changed $f"
done
set +e; "$PF" train "$T/whole.yaml" -q --resume --force 2> /dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "train --resume --force: exit $rc, expected 2"
"$PF" train "$T/whole.yaml" -q --resume
"$PF" train "$T/whole.yaml" -q --force
[ "$(wc -l < "$T/whole/metrics.jsonl")" = 2 ] || fail "train --force: metrics.jsonl"
echo "ok: train --resume and --force go on"


# a folder holding the user's own README.md: the card would replace it, so generate refuses
# (the file untouched) unless --force; a card pitchforge wrote is replaced without a word
mkdir -p "$T/mine" && printf '# my notes\nkeep me\n' > "$T/mine/README.md"
if "$PF" generate manifests/tiny.yaml -o "$T/mine" -q 2> "$T/mine.err"; then fail "a user's README.md was overwritten"; fi
grep -q "README.md is not a dataset card pitchforge wrote" "$T/mine.err" || fail "message: $(cat "$T/mine.err")"
[ "$(cat "$T/mine/README.md")" = "$(printf '# my notes\nkeep me')" ] || fail "the user's README.md changed"
"$PF" generate manifests/tiny.yaml -o "$T/mine" -q --force
grep -q "pitchforge" "$T/mine/README.md" || fail "--force: no card"
echo "ok: a user's README.md refused ($(head -c 90 "$T/mine.err")...), replaced with --force"
