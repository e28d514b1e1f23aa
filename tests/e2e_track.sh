#!/usr/bin/env bash
# A frame-level model (target frames, preset track) on an expressive dataset: the loss falls,
# metrics.jsonl carries the frame metrics, model.h5 says target frames with bins x frames
# outputs; a config whose output does not keep bins and frames is refused by name; eval scores its
# columns as the trainer did; predict with the model answers every 10 ms.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT
"$PF" generate manifests/tiny-expressive.yaml -o "$T/data" -q
cat > "$T/track.yaml" <<YAML
dataset: $T/data/dataset.h5
output: $T/model
model: {preset: track}
target: {kind: frames, bins_lo: 20, step_cents: 20, n_bins: 470, blur_cents: 25}
input: log
optimizer: {kind: adam, lr: 0.002}
batch: 8
epochs: 7
seed: 1
threads: 2
limit: {train: 132}
YAML
"$PF" train "$T/track.yaml" 2> "$T/train.err" || { cat "$T/train.err"; fail "train"; }
"$PY" - "$T/model" <<'PYEOF'
import json, sys, h5py
rows = [json.loads(l) for l in open(sys.argv[1] + "/metrics.jsonl")]
assert len(rows) == 7, rows
for k in ("val_vr", "val_vfa", "val_rpa50", "val_rpa10", "val_oa"):
    assert k in rows[-1], k
assert rows[-1]["train_loss"] < 0.5 * rows[0]["train_loss"], [r["train_loss"] for r in rows]
assert 0 <= rows[-1]["val_oa"] <= 1
with h5py.File(sys.argv[1] + "/model.h5") as f:
    m = f["meta"].attrs
    t = m["target"].decode() if isinstance(m["target"], bytes) else m["target"]
    assert t == "frames" and int(m["n_bins"]) == 470, (t, m["n_bins"])
    v = float(m["voicing_threshold"])
    assert any(abs(v - 0.05 * k) < 1e-9 for k in range(1, 20)), v
print(f"ok: voicing threshold {v:.2f} in model.h5;","ok: frames training: train loss", [round(r["train_loss"], 4) for r in rows],
      "val OA", rows[-1]["val_oa"])
PYEOF
# eval scores the model's columns: the same numbers as the trainer's last val line (one grid,
# one set of definitions), beside YIN's; voiced from the threshold the trainer chose on val: the
# pitch scores do not depend on it, OA is the one the trainer printed for it and no worse than at
# the epochs' 0.5 (one of the candidates)
"$PF" eval "$T/model/model.h5" "$T/data/dataset.h5" --split val --json -q > "$T/eval.json"
"$PY" - "$T" <<'PYEOF'
import json, re, sys
d = sys.argv[1]
last = [json.loads(l) for l in open(d + "/model/metrics.jsonl")][-1]
e = json.load(open(d + "/eval.json"))["frames"]
m = e["model"]
for a, b in (("rpa50", "val_rpa50"), ("rpa10", "val_rpa10")):
    assert abs(m[a] - last[b]) < 1e-6, (a, m[a], last[b])
t, oa = re.search(r"voicing threshold ([0-9.]+), chosen on val: OA ([0-9.]+)",
                  open(d + "/train.err").read()).groups()
assert abs(e["model_voicing_threshold"] - float(t)) < 1e-9, (e["model_voicing_threshold"], t)
assert abs(m["oa"] - float(oa)) < 1e-4 and m["oa"] >= last["val_oa"] - 1e-9, (m["oa"], oa, last)
if float(t) == 0.5:
    for a, b in (("vr", "val_vr"), ("vfa", "val_vfa"), ("oa", "val_oa")):
        assert abs(m[a] - last[b]) < 1e-6, (a, m[a], last[b])
assert {g["name"] for g in e["model_by_source"]} == {"notes", "negatives"}, e["model_by_source"]
print(f"ok: eval's frame scores of the model equal the trainer's (RPA50 {m['rpa50']:.3f}, "
      f"OA {m['oa']:.3f} at its val-chosen threshold {t}, {last['val_oa']:.3f} at 0.5, over "
      f"{m['frames']} columns)")
PYEOF
# a crafted threshold is refused by name
cp "$T/model/model.h5" "$T/crafted.h5"
"$PY" -c "import h5py; h5py.File('$T/crafted.h5', 'r+')['meta'].attrs['voicing_threshold'] = 1.5"
if "$PF" predict "$T/crafted.h5" "$T/data/dataset.h5" 2> "$T/crafted.err"; then fail "threshold 1.5 taken"; fi
grep -q "voicing_threshold 1.5, not in (0, 1)" "$T/crafted.err" || fail "message: $(cat "$T/crafted.err")"
echo "ok: $(head -c 120 "$T/crafted.err")"
# the dense output of a hz-style network cannot answer per column
sed -e 's/model: {preset: track}/model: {preset: fast}/' "$T/track.yaml" > "$T/bad.yaml"
if "$PF" train "$T/bad.yaml" -q --force 2> "$T/bad.err"; then fail "a fast preset took target frames"; fi
grep -q "bins x frames" "$T/bad.err" || fail "message: $(cat "$T/bad.err")"
echo "ok: $(head -c 160 "$T/bad.err")"
# columns past the bins' end: refused by default, naming the way out; trained as unvoiced with
# target.outside: unvoiced (tiny-expressive reaches G8 and more; these bins stop at MIDI 79.8)
sed -e 's/n_bins: 470, blur_cents: 25}/n_bins: 300, blur_cents: 25}/' -e 's/epochs: 7/epochs: 1/' \
  -e "s#output: .*#output: $T/narrow#" "$T/track.yaml" > "$T/narrow.yaml"
if "$PF" train "$T/narrow.yaml" -q 2> "$T/narrow.err"; then fail "columns outside the bins trained"; fi
grep -q "outside the bins.*target.outside: unvoiced" "$T/narrow.err" || fail "message: $(cat "$T/narrow.err")"
sed -i 's/blur_cents: 25}/blur_cents: 25, outside: unvoiced}/' "$T/narrow.yaml"
"$PF" train "$T/narrow.yaml" -q || fail "target.outside: unvoiced refused"
[ -s "$T/narrow/model.h5" ] || fail "no model"
echo "ok: columns outside the bins refused by default, trained as unvoiced with target.outside"
# predict with a frame-level model: a point every 10 ms (or --hop-ms), f0 0 where unvoiced,
# the same track in the JSON and in FILE.f0.csv (CREPE's layout); short files padded; silence
# all unvoiced
"$PY" -c "import numpy as np, scipy.io.wavfile as w; t = np.arange(19200) / 16000
w.write('$T/a4.wav', 16000, (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16))
w.write('$T/short.wav', 16000, (0.3 * np.sin(2 * np.pi * 440 * t[:1600]) * 32767).astype(np.int16))
w.write('$T/silence.wav', 16000, np.zeros(8000, np.int16))"
"$PF" predict "$T/model/model.h5" "$T/a4.wav" "$T/short.wav" "$T/silence.wav" --track --json --csv \
  > "$T/pred.jsonl"
"$PF" predict "$T/model/model.h5" "$T/a4.wav" --track --json --hop-ms 20 > "$T/pred20.jsonl"
"$PY" - "$T" <<'PYEOF'
import csv, json, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(d + "/pred.jsonl")]
a4, short, silence = rows
assert len(a4["track"]) == 121, len(a4["track"])                   # 1.2 s: 0, 0.01, ... 1.2
assert all(abs(p[0] - 0.01 * i) < 1e-9 for i, p in enumerate(a4["track"]))
assert all(p[1] == 0 or p[1] > 0 for p in a4["track"]) and all(0 <= p[2] <= 1 for p in a4["track"])
assert len(short["track"]) == 11, len(short["track"])                # 0.1 s, padded, answered
assert silence["f0_hz"] is None and all(p[1] == 0 for p in silence["track"])
with open(d + "/a4.wav.f0.csv") as f:
    r = list(csv.reader(f))
assert r[0] == ["time", "frequency", "confidence"], r[0]
assert len(r) == 122 and all(abs(float(x[0]) - p[0]) < 1e-9 and abs(float(x[1]) - p[1]) < 1e-3
                             for x, p in zip(r[1:], a4["track"]))
t20 = json.loads(open(d + "/pred20.jsonl").read())["track"]
assert len(t20) == 61 and abs(t20[1][0] - 0.02) < 1e-9
print("ok: frame-level predict: 121 points every 10 ms (61 at --hop-ms 20), the CSV equal to the "
      "JSON track, a 0.1 s file padded and answered, silence unvoiced")
PYEOF
# --viterbi (docs/tracking.md): the tiny model calls no column voiced, so a copy with its output
# bias raised by 4 (every column voiced, each column's posteriors in the same order) shows the
# path: the same times, voicing and confidences as without it, the same CSV layout, and every
# step between voiced points within the path's reach (11 bins of 20 cents, plus the vertex's
# bin either side: 260 cents), where the columns' own peaks jump by octaves
cp "$T/model/model.h5" "$T/biased.h5"
"$PY" -c "import h5py; f = h5py.File('$T/biased.h5', 'r+')
f['layers'][sorted(f['layers'])[-1]]['bias'][...] += 4; f.close()"
"$PF" predict "$T/biased.h5" "$T/a4.wav" --track --json > "$T/plain.jsonl"
"$PF" predict "$T/biased.h5" "$T/a4.wav" --track --json --viterbi --csv-dir "$T" > "$T/vit.jsonl"
"$PY" - "$T" <<'PYEOF'
import csv, json, math, sys
d = sys.argv[1]
plain, vit = (json.loads(open(f"{d}/{n}.jsonl").read()) for n in ("plain", "vit"))
p, v = plain["track"], vit["track"]
assert len(p) == len(v) == 121
assert all(a[0] == b[0] and a[2] == b[2] and (a[1] > 0) == (b[1] > 0) for a, b in zip(p, v))
def jumps(t):
    return [abs(1200 * math.log2(b[1] / a[1])) for a, b in zip(t, t[1:]) if a[1] > 0 and b[1] > 0]
voiced = sum(x[1] > 0 for x in v)
assert voiced > 100, voiced
assert max(jumps(p)) > 1200, max(jumps(p))     # the columns' peaks: octave jumps
assert max(jumps(v)) <= 260, max(jumps(v))     # the path's reach
with open(d + "/a4.wav.f0.csv") as f:
    r = list(csv.reader(f))
assert r[0] == ["time", "frequency", "confidence"] and len(r) == 122
assert all(abs(float(x[1]) - q[1]) < 1e-3 for x, q in zip(r[1:], v))
assert vit["flags"] == plain["flags"] and vit["flag_measures"] == plain["flag_measures"]
print(f"ok: --viterbi: {voiced} voiced points as without it, largest step {max(jumps(v)):.0f} "
      f"cents (the columns' own {max(jumps(p)):.0f}), the CSV the smoothed track")
PYEOF
# low-confidence flags: a sine at 20 Hz and at 5 kHz, a chord of three sines (C4 E4 G4), white
# noise: each is unvoiced or flagged, never a confident note without a word; the JSON's flags
# follow its measures by the rules' thresholds (include/pitchforge/flags.h), and the text
# output ends with the same words. (The rules themselves are tested on crafted posteriors in
# tests/test_flags.c: this tiny model is too weak to show them.)
"$PY" -c "import numpy as np, scipy.io.wavfile as w; t = np.arange(16000) / 16000
s = lambda f: np.sin(2 * np.pi * f * t)
for name, y in (('s20', s(20)), ('s5k', s(5000)), ('chord', s(261.63) + s(329.63) + s(392.0)),
                ('noise', np.random.default_rng(1).standard_normal(t.size))):
    w.write('$T/' + name + '.wav', 16000, (0.5 * y / abs(y).max() * 32767).astype(np.int16))"
for m in model/model.h5 biased.h5; do
  "$PF" predict "$T/$m" "$T"/{s20,s5k,chord,noise}.wav --json >> "$T/flags.jsonl"
  "$PF" predict "$T/$m" "$T"/{s20,s5k,chord,noise}.wav >> "$T/flags.txt"
done
"$PY" - "$T" <<'PYEOF'
import json, re, sys
d = sys.argv[1]
th = {k: float(v) for k, v in re.findall(r"#define PF_FLAG_(\w+) ([0-9.]+)", open("include/pitchforge/flags.h").read())}
rows = [json.loads(l) for l in open(d + "/flags.jsonl")]
text = [l.rstrip("\n").split("\t") for l in open(d + "/flags.txt")]
assert len(rows) == len(text) == 8
seen = set()
for r, t in zip(rows, text):
    m, flags = r["flag_measures"], r["flags"]
    beyond = r["f0_hz"] is not None and not 32.7031956 <= r["f0_hz"] <= 4186.0090449  # C1 .. C8
    want = [f for f, on in (("out_of_range", m["edge"] >= th["EDGE_SHARE"] or beyond),
                            ("polyphonic", m["second_pitch"] >= th["POLY_SHARE"]),
                            ("noisy", m["voiced"] < th["NOISE_VOICED"] and m["peak_to_mean"] < th["NOISE_PEAK_TO_MEAN"])) if on]
    assert flags == want, (r["file"], flags, m)
    assert r["f0_hz"] is None or flags, ("a confident note without a flag", r)
    words = {"out_of_range", "polyphonic", "noisy"}
    assert t[0] == r["file"] and t[len(t) - len(flags):] == flags and not (set(t) & words) - set(flags), (t, flags)
    assert m["columns"] > 200, m
    seen.update(flags)
print("ok: flags: every file unvoiced or flagged; seen", sorted(seen))
PYEOF
