#!/usr/bin/env bash
# End to end: the key audit (quality.key_max_cents) on a soundfont with keys tuned off on purpose
# (tests/ref/make_sf2.py: E4 +20, G4 +6, B4 -14 cents, every other key exact). numpy measures the
# detuned keys independently from the stored audio; the audit must leave out exactly the keys
# beyond the bound, report their offsets, and keep every other key.
. "$(dirname "$0")/lib_e2e.sh"

"$PY" tests/ref/make_sf2.py "$T/detuned.sf2" 64:20 67:6 71:-14
manifest() {  # quality line
  cat <<EOF
name: keyaudit
seed: 3
soundfonts: [{id: det, path: $T/detuned.sf2}]
instruments: [{soundfont: det, program: 0}, {soundfont: det, program: 1}]
notes: {octaves: [4, 4], pitch_classes: all, velocities: [64, 110]}
detune: {copies: 0, include_exact: true}
quality: $1
augment: {volume: [1.0, 1.0], strip_fundamental: 0, noise: none}
split: {by: random, val: 0, test: 0}
shards: {examples: 96}
EOF
}

# no key audit: all 12 keys; numpy finds the three detuned keys in the stored audio
manifest "{pitch_check: flag}" > "$T/off.yaml"
"$PF" generate "$T/off.yaml" -o "$T/off" -q --json > "$T/off.json"
"$PY" - "$T/off" <<'PYEOF'
import glob, sys, h5py, numpy as np
for shard in glob.glob(sys.argv[1] + "/train-*.h5"):
    with h5py.File(shard, "r") as f:
        assert "audit_keys_off" not in f.attrs   # no key audit, no attribute
assert "key audit" not in open(sys.argv[1] + "/README.md").read()
with h5py.File(sys.argv[1] + "/dataset.h5", "r") as f:
    g = f["train"]
    midi, seg, prog = g["labels/midi"][:], g["labels/segment"][:], g["labels/program"][:]
    assert sorted(set(midi.tolist())) == list(range(60, 72)), sorted(set(midi.tolist()))
    sustain = h5py.check_enum_dtype(g["labels/segment"].dtype)["sustain"]
    want = {64: 20, 67: 6, 71: -14}
    for i in np.where(seg == sustain)[0]:
        m = int(midi[i])
        if prog[i] != 0:
            m = -m  # the exact preset: every key within 1 cent of its pitch
        x = g["audio"][i].astype(np.float64)
        x *= np.hanning(len(x))
        n = 1 << 18
        X = np.abs(np.fft.rfft(x, n))
        f0 = 440 * 2 ** ((abs(m) - 69) / 12)
        lo, hi = int(f0 * 0.96 * n / 16000), int(f0 * 1.04 * n / 16000)
        j = lo + int(np.argmax(X[lo:hi]))
        a, b, c = np.log(X[j - 1 : j + 2])
        peak = (j + 0.5 * (a - c) / (a - 2 * b + c)) * 16000 / n
        cents = 1200 * np.log2(peak / f0)
        assert abs(cents - want.get(m, 0)) < 1.0, (m, cents)
print("ok: numpy measures E4 +20, G4 +6, B4 -14 cents, the other keys and the exact preset exact")
PYEOF

check() {  # bound, expected "MIDI:CENTS ..." left out
  manifest "{pitch_check: flag, key_max_cents: $1}" > "$T/k$1.yaml"
  "$PF" generate "$T/k$1.yaml" -o "$T/k$1" -j 2 --json > "$T/k$1.json" 2> "$T/k$1.err"
  "$PY" - "$T/k$1" "$T/k$1.json" "$2" <<'PYEOF'
import json, sys, h5py
out, js, want = sys.argv[1], json.load(open(sys.argv[2])), dict(
    (int(k), float(c)) for k, c in (p.split(":") for p in sys.argv[3].split()))
got = {k["midi"]: k["cents"] for k in js["excluded_keys"]}
assert sorted(got) == sorted(want), (got, want)
for m, c in want.items():
    assert abs(got[m] - c) < 0.3, (m, got[m], c)
with h5py.File(out + "/dataset.h5", "r") as f:
    midi, prog = f["train/labels/midi"][:], f["train/labels/program"][:]
assert set(midi[prog == 0].tolist()) == set(range(60, 72)) - set(want), midi[prog == 0]
assert set(midi[prog == 1].tolist()) == set(range(60, 72)), midi[prog == 1]
assert js["notes"] == (24 - len(want)) * 2, js["notes"]
# every shard records the keys left out; the card lists them
names = {64: "E4", 67: "G4", 71: "B4"}
import glob
for shard in glob.glob(out + "/train-*.h5"):
    with h5py.File(shard, "r") as f:
        rows = [l.split("\t") for l in f.attrs["audit_keys_off"].splitlines()]
    assert [(r[0], r[1]) for r in rows] == [("det/000/000 Detuned Test", names[m]) for m in sorted(want)], rows
    assert all(abs(float(r[3]) - want[m]) < 0.3 for r, m in zip(rows, sorted(want))), rows
card = open(out + "/README.md").read()
for m in want:
    assert f"| det/000/000 Detuned Test | {names[m]} |" in card, card[-800:]
PYEOF
  for k in $2; do
    grep -q "Detuned Test $(
      case ${k%%:*} in 64) echo E4;; 67) echo G4;; 71) echo B4;; esac): " "$T/k$1.err" ||
      fail "summary does not name key ${k%%:*}: $(cat "$T/k$1.err")"
  done
  echo "ok: key_max_cents $1 leaves out exactly $2 (offsets within 0.3 cents)"
}
check 10 "64:20 71:-14"
check 5 "64:20 67:6 71:-14"

# the audit's threads do not change what it finds, nor the shards
"$PF" generate "$T/k5.yaml" -o "$T/k5-j1" -j 1 -q --json > "$T/k5-j1.json"
"$PY" -c 'import json, sys; a, b = (json.load(open(p))["excluded_keys"] for p in sys.argv[1:]); assert a == b, (a, b)' \
  "$T/k5.json" "$T/k5-j1.json"
for f in "$T"/k5/*.h5; do cmp -s "$f" "$T/k5-j1/$(basename "$f")" || fail "$(basename "$f") differs, -j 1 and -j 2"; done
echo "ok: -j 1 and -j 2 leave out the same keys and write the same shards"

# the bound is checked
manifest "{pitch_check: flag, key_max_cents: 80}" > "$T/bad.yaml"
set +e; "$PF" generate "$T/bad.yaml" -o "$T/bad" 2> "$T/bad.err"; rc=$?; set -e
[ $rc = 1 ] || fail "key_max_cents 80: exit $rc"
grep -q "bad.yaml:[0-9]*:[0-9]*: .*out of range" "$T/bad.err" || fail "message: $(cat "$T/bad.err")"
echo "ok: key_max_cents out of range refused"
rm -rf "$T"
