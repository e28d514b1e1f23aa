#!/usr/bin/env bash
# Temporary files are created exclusively and never through a link: a symbolic link planted at
# dataset.h5.tmp, README.md.tmp, a shard's .tmp, checkpoint.h5.tmp or model.h5.tmp makes index,
# generate and train overwrite nothing but their own files (issue "Never silently wrong", 13).
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT
victim() { printf 'keep me\n' > "$T/victim-$1"; ln -s "$T/victim-$1" "$2"; }
untouched() { [ "$(cat "$T/victim-$1")" = "keep me" ] || fail "$2 wrote through a link into victim-$1"; }

"$PF" generate manifests/tiny.yaml -o "$T/d" -q
victim index "$T/d/dataset.h5.tmp"
victim card "$T/d/README.md.tmp"
"$PF" index "$T/d" 2>/dev/null
untouched index "index (dataset.h5.tmp)"
untouched card "index (README.md.tmp)"
[ ! -L "$T/d/dataset.h5.tmp" ] && [ ! -e "$T/d/README.md.tmp" ] || fail "a planted link was left"
"$PF" verify "$T/d" > /dev/null || fail "verify after index"
echo "ok: index wrote dataset.h5 and README.md, not through the links"

# a shard's temporary name: generate --resume remakes a removed shard beside a planted link
shard=$(cd "$T/d" && ls train-*.h5 | head -1)
rm "$T/d/$shard"
victim shard "$T/d/$shard.tmp"
"$PF" generate manifests/tiny.yaml -o "$T/d" -q --resume
untouched shard "generate --resume ($shard.tmp)"
"$PF" verify "$T/d" > /dev/null || fail "verify after resume"
echo "ok: generate --resume remade $shard, not through the link"

sed "s|^dataset: .*|dataset: $T/d/dataset.h5|; s|^output: .*|output: $T/m|; s|^epochs: .*|epochs: 1|" \
  manifests/train-tiny.yaml > "$T/train.yaml"
mkdir -p "$T/m"
victim ck "$T/m/checkpoint.h5.tmp"
victim model "$T/m/model.h5.tmp"
"$PF" train "$T/train.yaml" -q
untouched ck "train (checkpoint.h5.tmp)"
untouched model "train (model.h5.tmp)"
[ -f "$T/m/model.h5" ] && [ -f "$T/m/checkpoint.h5" ] || fail "train made no model or checkpoint"
echo "ok: train wrote its checkpoint and model, not through the links"
