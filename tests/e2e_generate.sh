#!/usr/bin/env bash
# End to end: tiny manifest -> shards -> h5py/scipy checks; byte-identical reruns (also with a
# different -j); dry run; inspect and show; the Python reader (and its options, checked against
# h5py); bad manifests refused.
. "$(dirname "$0")/lib_e2e.sh"

"$PF" generate manifests/tiny.yaml -o "$T/a" -j 1 -q --json > "$T/a.json"
"$PY" tests/ref/check_dataset.py "$T/a" "$T/a.json"

# determinism: the same manifest gives the same bytes, whatever the thread count
"$PF" generate manifests/tiny.yaml -o "$T/b" -j 2 -q
for f in "$T"/a/*.h5; do cmp -s "$f" "$T/b/$(basename "$f")" || fail "$(basename "$f") differs between runs"; done
[ "$(ls "$T/a" | wc -l)" = "$(ls "$T/b" | wc -l)" ] || fail "runs made different files"
echo "ok: two runs (-j 1, -j 2) byte-identical ($(ls "$T"/a/*.h5 | wc -l) files)"

# dry run prints the plan and writes nothing
"$PF" generate manifests/tiny.yaml -o "$T/dry" --dry-run > "$T/dry.txt"
grep -q "^train" "$T/dry.txt" && grep -q "disk about" "$T/dry.txt" || fail "dry run output"
[ ! -e "$T/dry" ] || fail "dry run wrote something"

# every dataset manifest shipped in manifests/ is valid and plans its examples (the train-*
# files are training configs, not manifests)
n=0
for m in manifests/*.yaml; do
  case "$(basename "$m")" in train-*) continue ;; esac
  n=$((n + 1))
  "$PF" generate "$m" -o "$T/dry-ship" --dry-run > "$T/dry-ship.txt" || fail "$m: dry run refused"
  awk '$1 == "total" && $3 > 0 { ok = 1 } END { exit !ok }' "$T/dry-ship.txt" || fail "$m: no examples planned"
done
echo "ok: every shipped manifest plans ($n)"

# inspect and show
shard=$(ls "$T"/a/train-*.h5 | head -1)
"$PF" inspect "$shard" > "$T/inspect.txt"
grep -q "pitchforge-shard/2" "$T/inspect.txt" || fail "inspect shows no schema"
"$PF" inspect "$T/a/dataset.h5" > "$T/inspect-ds.txt"
grep -q "pitchforge-dataset/2" "$T/inspect-ds.txt" || fail "inspect dataset.h5"
"$PF" show "$shard" --example 2 -o "$T/spec.png"
"$PY" - "$T/spec.png" <<'PYEOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (540, 621), (w, h)  # 360 x 513 picture, axes, colour bar, title
print("ok: show wrote a 540x621 PNG")
PYEOF
"$PF" show "$shard" --example 100000 -o "$T/x.png" 2>/dev/null && fail "show accepted a bad index"

# the interop example a PyTorch / TensorFlow user copies
"$PY" examples/pitch_dataset.py "$T/a/dataset.h5"
# the same manifest stored as float16 and without spectrograms (store.spectrogram): the Python
# reader widens float16 and computes the rest from /audio; verify and inspect say which
for k in none float16; do
  sed "s/^store: {audio: int16, compression: none}$/store: {audio: int16, compression: none, spectrogram: $k}/" \
    manifests/tiny.yaml > "$T/tiny-$k.yaml"
  grep -q "spectrogram: $k}" "$T/tiny-$k.yaml" || fail "tiny.yaml's store line moved"
  "$PF" generate "$T/tiny-$k.yaml" -o "$T/$k" -q
  "$PF" verify "$T/$k" 2> "$T/verify-$k.txt" || fail "verify $k: $(cat "$T/verify-$k.txt")"
  "$PF" inspect "$T/$k/dataset.h5" > "$T/inspect-$k.txt"
  grep -q "spectrograms stored as $k" "$T/inspect-$k.txt" || fail "inspect $k"
done
"$PY" tests/ref/check_example.py "$T/a" "$T/none" "$T/float16"

# bad manifests: exit 1, FILE:LINE:COL, nothing written
bad() {  # name, expected message part, manifest text
  printf '%s\n' "$3" > "$T/$1.yaml"
  set +e; "$PF" generate "$T/$1.yaml" -o "$T/out-$1" 2> "$T/$1.err"; rc=$?; set -e
  [ $rc = 1 ] || fail "$1: exit $rc, expected 1"
  grep -q "^pitchforge: $T/$1.yaml:[0-9]*:[0-9]*: .*$2" "$T/$1.err" || fail "$1: message: $(cat "$T/$1.err")"
  [ ! -e "$T/out-$1" ] || fail "$1: wrote output"
}
head='soundfonts: [{id: t, path: soundfonts/TimGM6mb.sf2}]'
bad unknown-key "unknown key 'colour'" "$head
instruments: [{program: 0}]
colour: red"
bad wrong-type "expected a number" "$head
instruments: [{program: 0}]
seed: lots"
bad out-of-range "out of range" "$head
instruments: [{program: 0}]
notes: {velocities: [200]}"
bad missing-soundfont "not found" "soundfonts: [{id: t, path: no/such.sf2}]
instruments: [{program: 0}]"
bad missing-program "has no program 5 in bank 3" "$head
instruments: [{program: 5, bank: 3}]"
echo "ok: bad manifests refused with FILE:LINE:COL, exit 1, nothing written"
set +e; "$PF" generate 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "usage error exit $rc, expected 2"

# progress: on a terminal (script gives the run one) a line redrawn with \r ends at every note
# done, the examples and rejections the summary reports; with stderr not a terminal, none
if command -v script > /dev/null; then
  script -qec "'$PF' generate manifests/tiny.yaml -o '$T/tty' -j 2" /dev/null > "$T/tty.log" 2>&1
  "$PY" - "$T/tty.log" "$T/a.json" <<'PYEOF'
import json, re, sys
text, want = open(sys.argv[1], newline="").read(), json.load(open(sys.argv[2]))  # keep the \r
lines = re.findall(r"\rgenerate: (\d+)/(\d+) notes \(\d+%\)  (\d+) examples, \d+/s  (\d+) rejected  ETA \d+s", text)
assert len(lines) >= 2, text
done, total, kept, rejected = map(int, lines[-1])
assert done == total and kept == want["examples"], (lines[-1], want["examples"])
assert rejected == sum(want["rejected"].values()), (rejected, want["rejected"])
print(f"ok: progress line on a terminal ({len(lines)} draws, last: {kept} examples, {rejected} rejected)")
PYEOF
else
  echo "skipped: no script(1) to give the run a terminal"
fi
"$PF" generate manifests/tiny.yaml -o "$T/notty" 2> "$T/notty.err" > /dev/null
if grep -q $'\r' "$T/notty.err"; then fail "progress line drawn when stderr is not a terminal"; fi
# --resume with every shard whole makes nothing and claims no throughput
"$PF" generate manifests/tiny.yaml -o "$T/notty" --resume 2> "$T/again.err" > /dev/null
grep -q "nothing to make: all [0-9]* shards were whole" "$T/again.err" || fail "resume: $(cat "$T/again.err")"
if grep -q "examples/s" "$T/again.err"; then fail "a throughput for a run that made nothing"; fi
echo "ok: $(grep -o 'nothing to make[^>]*' "$T/again.err")"
rm -rf "$T"
