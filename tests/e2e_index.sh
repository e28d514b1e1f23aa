#!/usr/bin/env bash
# End to end: `index` (and generate's last step) change dataset.h5 and the card README.md
# together: when the card cannot be written, or the index cannot be built, both stay as they
# were (issue 28); a good rebuild replaces both and leaves no temp file.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT

D="$T/d"
"$PF" generate manifests/tiny.yaml -o "$D" -q
ino() { stat -c %i "$D/dataset.h5"; }
before=$(ino)
cp "$D/README.md" "$T/card.before"
unchanged() {
  [ "$(ino)" = "$before" ] || fail "$1: dataset.h5 was replaced"
  cmp -s "$D/README.md" "$T/card.before" || fail "$1: README.md changed"
  [ ! -e "$D/dataset.h5.tmp" ] || fail "$1: dataset.h5.tmp left"
}

# the card cannot be written (its temp name is taken by a folder)
mkdir "$D/README.md.tmp"
set +e; "$PF" index "$D" 2> "$T/card.err"; rc=$?; set -e
[ $rc = 1 ] || fail "index with an unwritable card: exit $rc, expected 1"
grep -q "README.md" "$T/card.err" || fail "message: $(cat "$T/card.err")"
unchanged "index, card unwritable"
set +e; "$PF" generate manifests/tiny.yaml -o "$D" -q --force 2> "$T/gen.err"; rc=$?; set -e
[ $rc != 0 ] || fail "generate with an unwritable card: exit 0"
unchanged "generate, card unwritable"
rmdir "$D/README.md.tmp"
echo "ok: an unwritable card leaves dataset.h5 and README.md as they were"

# the index cannot be built (a shard is missing): the staged card is dropped
shard=$(ls "$D"/train-*.h5 | head -1)
mv "$shard" "$T/"
set +e; "$PF" index "$D" 2> "$T/idx.err"; rc=$?; set -e
[ $rc = 1 ] || fail "index with a missing shard: exit $rc, expected 1"
unchanged "index, shard missing"
[ ! -e "$D/README.md.tmp" ] || fail "README.md.tmp left after a failed index"
mv "$T/$(basename "$shard")" "$D/"
echo "ok: a failed index leaves the card as it was"

"$PF" index "$D" 2> "$T/ok.err" || fail "index: $(cat "$T/ok.err")"
[ "$(ino)" != "$before" ] || fail "index did not replace dataset.h5"
[ -s "$D/README.md" ] && [ ! -e "$D/README.md.tmp" ] || fail "card not published"
"$PF" verify "$D" 2> /dev/null || fail "verify after index"
echo "ok: index rebuilds both"
