#!/usr/bin/env bash
# End to end with a model: tiny dataset -> train (manifests/train-tiny.yaml) -> eval (tables,
# JSON, chart) -> predict (text, JSON, --track; a bad file among good ones).
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT

"$PF" generate manifests/tiny.yaml -o "$T/data" -q
sed "s|^dataset: .*|dataset: $T/data/dataset.h5|; s|^output: .*|output: $T/model|; s|^epochs: .*|epochs: 3|" \
  manifests/train-tiny.yaml > "$T/train.yaml"
"$PF" train "$T/train.yaml" -q
[ "$(wc -l < "$T/model/metrics.jsonl")" = 3 ] || fail "metrics.jsonl should hold 3 epochs"

"$PF" eval "$T/model/model.h5" "$T/data/dataset.h5" --split val --plot "$T/err.png" > "$T/eval.txt"
grep -q "^YIN (baseline)" "$T/eval.txt" && grep -q "^by octave" "$T/eval.txt" || fail "eval tables"
"$PF" eval "$T/model/model.h5" "$T/data/dataset.h5" --split val --json \
  --examples "$T/examples.csv" > "$T/eval.json"
if "$PF" eval "$T/model/model.h5" "$T/data/dataset.h5" --split val \
  --examples "$T/nodir/x.csv" > /dev/null 2> "$T/csv.err"; then fail "unwritable --examples"; fi
grep -q "nodir/x.csv: cannot write" "$T/csv.err" || fail "--examples error: $(cat "$T/csv.err")"
"$PY" - "$T" <<'PYEOF'
import csv, json, struct, sys, h5py, numpy as np
t = sys.argv[1]
r = json.load(open(t + "/eval.json"))
d = h5py.File(t + "/data/dataset.h5")
n = d["val/spectrogram"].shape[0]
assert r["model"]["n"] == n == r["yin"]["n"], (r["model"]["n"], n)
assert r["networks"] == 1, r["networks"]
# --examples: one row per example, in split order, labels as stored; the scores recomputed from
# its estimates with numpy equal eval's own
rows = list(csv.DictReader(open(t + "/examples.csv")))
lab = d["val/labels"]
assert len(rows) == n and [int(x["example_id"]) for x in rows] == list(lab["example_id"])
assert np.allclose([float(x["f0_hz"]) for x in rows], lab["f0_hz"], rtol=1e-6)
for est, key in (("model", "model_cents"), ("yin", "yin_cents")):
    hz = np.array([float(x[est + "_hz"]) for x in rows]); ref = lab["f0_hz"][()]
    c = np.where(hz > 0, 1200 * np.log2(np.where(hz > 0, hz, 1) / ref), np.inf)
    assert np.allclose(c[np.isfinite(c)], [float(x[key]) for x in rows if x[key] != "nan"], atol=2e-3)
    for tol in (50, 25, 10):
        assert abs((np.abs(c) <= tol).mean() - r[est][f"rpa{tol}"]) < 1e-6, (est, tol)
    assert abs(np.sort(np.abs(c))[(n + 1) // 2 - 1] - r[est]["cents_median"]) < 2e-3, est
# the confidence: a probability, 0 exactly when unvoiced, and not one value for every example
conf = np.array([float(x["model_confidence"]) for x in rows])
voiced = np.array([float(x["model_hz"]) > 0 for x in rows])
assert ((conf > 0) & (conf <= 1) == voiced).all() and (conf[~voiced] == 0).all(), conf
assert np.ptp(conf[voiced]) > 1e-3, conf
assert r["yin"]["rpa50"] >= 0.9, r["yin"]  # YIN on clean synthetic notes
assert {row["name"] for row in r["by_segment"]} <= {"attack", "sustain", "decay"}
assert sum(row["model"]["n"] for row in r["by_octave"]) == n
b = open(t + "/err.png", "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", b[16:24]) == (1000, 450)
print(f"ok: eval on {n} val examples: model RPA50 {r['model']['rpa50']:.3f}, YIN {r['yin']['rpa50']:.3f}")
PYEOF

# a split without audio (store.audio: none): the model is scored alone, YIN is null / empty
sed 's|^store: .*|store: {audio: none, compression: none}|' manifests/tiny.yaml > "$T/noaudio.yaml"
grep -q "audio: none" "$T/noaudio.yaml" || fail "tiny.yaml's store line moved"
"$PF" generate "$T/noaudio.yaml" -o "$T/noaudio" -q
"$PF" eval "$T/model/model.h5" "$T/noaudio/dataset.h5" --split val --plot "$T/na.png" > "$T/na.txt"
grep -q "^YIN baseline: not run, split val stores no audio" "$T/na.txt" || fail "no-audio note"
if grep -q "YIN" <(grep -v "^YIN baseline: not run" "$T/na.txt"); then fail "YIN rows without audio"; fi
"$PF" eval "$T/model/model.h5" "$T/noaudio/dataset.h5" --split val --json \
  --examples "$T/na.csv" > "$T/na.json"
# to a file, not a pipe: grep -q leaves at the first match, and the writer's broken pipe would
# fail the step under pipefail
"$PY" tools/eval_table.py < "$T/na.json" > "$T/na.md" || fail "eval_table.py without YIN"
grep -q "| all | " "$T/na.md" || fail "eval_table.py without YIN: no 'all' row"
"$PY" - "$T" <<'PYEOF'
import csv, json, sys, h5py, numpy as np
t = sys.argv[1]
r, d = json.load(open(t + "/na.json")), h5py.File(t + "/noaudio/dataset.h5")
n = d["val/spectrogram"].shape[0]
assert "audio" not in d["val"] and r["model"]["n"] == n and r["yin"] is None, r["yin"]
assert all(row["yin"] is None for k in r if k.startswith("by_") for row in r[k])
rows = list(csv.DictReader(open(t + "/na.csv")))
assert len(rows) == n and all(x["yin_hz"] == "" and x["yin_cents"] == "" for x in rows)
hz, ref = np.array([float(x["model_hz"]) for x in rows]), d["val/labels/f0_hz"][()]
c = np.abs(1200 * np.log2(hz / ref))
for tol in (50, 25, 10):
    assert abs((c <= tol).mean() - r["model"][f"rpa{tol}"]) < 1e-6, tol
assert open(t + "/na.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"
print(f"ok: eval on a split without audio: the model alone on {n} examples, YIN null")
PYEOF

"$PY" - "$T" <<'PYEOF'
import sys, numpy as np, scipy.io.wavfile as w
t, sr = sys.argv[1], 22050
x = np.arange(sr) / sr
w.write(t + "/tone.wav", sr, (0.3 * np.sin(2 * np.pi * 330 * x) * 32767).astype(np.int16))
w.write(t + "/silence.wav", sr, np.zeros(sr, np.int16))
w.write(t + "/short.wav", sr, np.zeros(2000, np.int16))
PYEOF
echo "not audio" > "$T/bad.wav"
set +e
"$PF" predict "$T/model/model.h5" "$T/tone.wav" "$T/bad.wav" "$T/silence.wav" "$T/short.wav" \
  --json > "$T/pred.json" 2> "$T/pred.err"
rc=$?
set -e
[ $rc = 1 ] || fail "predict with bad files: exit $rc, expected 1"
grep -q "bad.wav: not a readable audio file" "$T/pred.err" || fail "bad file message: $(cat "$T/pred.err")"
! grep -q "short.wav" "$T/pred.err" || fail "a file shorter than a window was refused: $(cat "$T/pred.err")"
"$PY" - "$T/pred.json" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["file"].rsplit("/", 1)[1] for r in rows] == ["tone.wav", "silence.wav", "short.wav"], rows
assert set(rows[0]) >= {"file", "f0_hz", "note", "cents", "confidence"}
assert rows[1]["f0_hz"] is None and rows[1]["note"] is None  # silence is unvoiced
assert rows[2]["f0_hz"] is None  # 91 ms of silence: padded to a window, answered, unvoiced
print("ok: predict answers the good files (a short one padded), names the bad ones, exit 1")
PYEOF
"$PF" predict "$T/model/model.h5" "$T/tone.wav" --track > "$T/track.txt"
[ "$(grep -c ' s' "$T/track.txt")" -ge 5 ] || fail "--track printed too few windows"
echo "ok: --track"

# weights: float16 -- the same run, stored as IEEE half: h5py reads float16 arrays equal to the
# checkpoint's float32 weights rounded by numpy; predict answers as the float32 model within 1 cent
sed "s|^output: .*|output: $T/half|" "$T/train.yaml" > "$T/half.yaml"
echo "weights: float16" >> "$T/half.yaml"
"$PF" train "$T/half.yaml" -q
"$PY" - "$T" <<'PYEOF'
import sys, h5py, numpy as np
t = sys.argv[1]
params = h5py.File(t + "/half/checkpoint.h5")["params"][()]
f = h5py.File(t + "/half/model.h5")
off, n16 = 0, 0
for name in sorted(f["layers"]):
    g = f["layers"][name]
    for key in ("weight", "bias"):
        if key in g:
            d = g[key]
            assert d.dtype == np.float16, (name, key, d.dtype)
            want = params[off:off + d.size].astype(np.float16).reshape(d.shape)
            assert np.array_equal(d[()].view(np.uint16), want.view(np.uint16)), (name, key)
            off, n16 = off + d.size, n16 + d.size
assert off == params.size, (off, params.size)
assert f["meta/norm_mean"].dtype == np.float32
print(f"ok: {n16} weights stored as float16, equal to numpy's rounding of the checkpoint")
PYEOF
"$PF" predict "$T/model/model.h5" "$T/tone.wav" --json > "$T/p32.json"
"$PF" predict "$T/half/model.h5" "$T/tone.wav" --json > "$T/p16.json"
"$PY" - "$T" <<'PYEOF'
import json, math, sys
t = sys.argv[1]
a, b = (json.loads(open(f"{t}/{n}.json").readline()) for n in ("p32", "p16"))
c = 1200 * abs(math.log2(a["f0_hz"] / b["f0_hz"]))
assert c < 1.0, (a, b)
print(f"ok: float16 model predicts within {c:.3f} cents of the float32 one")
PYEOF

# ensemble: the float32 and float16 models in one file. Refused with one model; h5py reads each
# member as the model file it came from; eval's estimates are the decoding of the mean member
# probability computed by docs/model-format.md's numpy snippets, as printed (on the split
# without audio: with audio, YIN's period is weighed in too, which the numpy does not do)
if "$PF" ensemble -o "$T/ens.h5" "$T/model/model.h5" 2> "$T/ens.err"; then
  fail "ensemble of one model"; fi
grep -q "two or more MODEL" "$T/ens.err" || fail "ensemble usage: $(cat "$T/ens.err")"
"$PF" ensemble -o "$T/ens.h5" "$T/model/model.h5" "$T/half/model.h5" > /dev/null
"$PF" eval "$T/ens.h5" "$T/noaudio/dataset.h5" --split val --examples "$T/ens.csv" > "$T/ens.txt"
grep -q "^model: an ensemble of 2 networks" "$T/ens.txt" || fail "eval names the ensemble"
"$PF" predict "$T/ens.h5" "$T/tone.wav" > /dev/null
"$PY" - "$T" <<'PYEOF'
import csv, re, sys, h5py, numpy as np
t = sys.argv[1]
e = h5py.File(t + "/ens.h5")
assert e.attrs["schema"] == "pitchforge-ensemble/1" and e.attrs["n_members"] == 2
for i, src in enumerate(("model", "half")):
    m, g = h5py.File(f"{t}/{src}/model.h5"), e["members/%02d" % i]
    assert g.attrs["schema"] == "pitchforge-model/1"
    for name in m["layers"]:
        for key in m["layers"][name]:
            a, b = m["layers"][name][key], g["layers"][name][key]
            assert a.dtype == b.dtype and np.array_equal(a[()], b[()]), (i, name, key)
blocks = re.findall(r"```python\n(.*?)```", open("docs/model-format.md").read(), re.S)
ns = {}
exec(blocks[0] + blocks[1], ns)
s = h5py.File(t + "/noaudio/dataset.h5")["val/spectrogram"][()][:, None].astype(np.float64)
p = ns["ensemble_probs"](t + "/ens.h5", s)
meta = e["members/00/meta"].attrs
k = p.argmax(1); r = np.arange(len(p)); lp = np.log(p)
inner = (k > 0) & (k + 1 < p.shape[1])
y0, y1, y2 = (lp[r, np.clip(k + d, 0, p.shape[1] - 1)] for d in (-1, 0, 1))
den = y0 - 2 * y1 + y2
shift = np.where(inner & (den < 0), np.clip(0.5 * (y0 - y2) / np.where(den < 0, den, -1), -1, 1), 0)
hz = 440 * 2 ** ((meta["bins_lo_midi"] + (k + shift) * meta["bins_step"] - 69) / 12)
exec(blocks[2], ns)
ref = np.array([ns["refine"](s[i, 0], hz[i]) for i in range(len(hz))])
rows = list(csv.DictReader(open(t + "/ens.csv")))
got = np.array([float(x["model_hz"]) for x in rows])
c = np.abs(1200 * np.log2(got / ref))
assert c.max() < 0.05, c.max()
conf = np.array([float(x["model_confidence"]) for x in rows])  # the largest mean probability
assert np.abs(conf - p.max(1)).max() < 1e-5, np.abs(conf - p.max(1)).max()
moved = np.abs(1200 * np.log2(ref / hz))
assert (moved > 0.1).sum() > len(hz) // 4, moved   # the refinement does act on these
print(f"ok: ensemble of 2: members stored unchanged; eval = numpy mean of the members' "
      f"probabilities, decoded and refined (max {c.max():.4f} cents over {len(c)} examples, "
      f"confidence within {np.abs(conf - p.max(1)).max():.1e}; "
      f"the refinement moved {(moved > 0.1).sum()} by more than 0.1 cents)")
PYEOF

# docs/model-format.md's numpy forward pass, as printed, gives tests/ref/model_forward.py's
# output on each network of the shipped model (so the snippet users copy cannot drift from the
# format)
"$PY" - "$T" <<'PYEOF'
import re, subprocess, sys, h5py, numpy as np
t = sys.argv[1]
code = re.search(r"```python\n(.*?)```", open("docs/model-format.md").read(), re.S).group(1)
ns = {}
exec(code, ns)
x = np.random.default_rng(7).standard_normal((2, 1, 513, 90)).astype(np.float32)
x.tofile(t + "/doc.x")
f = h5py.File("models/pitch.h5")
n = int(f.attrs["n_members"]) if f.attrs["schema"] == "pitchforge-ensemble/1" else 1
for i in range(n):
    subprocess.run([sys.executable, "tests/ref/model_forward.py", "models/pitch.h5", t + "/doc.x",
                    "2", t + "/doc.y", str(i)], check=True)
    ref = np.fromfile(t + "/doc.y", np.float32).reshape(2, -1)
    e = np.abs(ns["forward"]("models/pitch.h5", x.astype(np.float64), i) - ref).max()
    e /= np.abs(ref).max()
    assert e < 1e-5, (i, e)
    print(f"ok: docs/model-format.md's numpy forward matches the reference on network {i} ({e:.1e})")
PYEOF

# frame metrics: eval's "frames" (every column of the val split against f0_frames, YIN per
# column) add up; eval --audio --ref scores predict's track as mir_eval.melody.evaluate does
sox -n -r 44100 -c 1 -b 16 "$T/glide.wav" synth 2 sine 220:440 gain -6 pad 0.5 0.5
"$PY" -c "
h = 128 / 44100  # MDB-stem-synth's grid and layout: time,f0 (0 unvoiced), no header
with open('$T/glide.csv', 'w') as f:
    for i in range(1, int(3.0 / h)):
        t = i * h
        f.write(f'{t},{220 + 110 * (t - 0.5) if 0.5 <= t <= 2.5 else 0.0}\n')"
"$PF" eval "$T/model/model.h5" --audio "$T/glide.wav" --ref "$T/glide.csv" > "$T/track.txt"
grep -q "^YIN (baseline)" "$T/track.txt" || fail "eval --audio: no YIN row"
"$PF" eval "$T/model/model.h5" --audio "$T/glide.wav" --ref "$T/glide.csv" --json > "$T/track.json"
"$PF" predict "$T/model/model.h5" "$T/glide.wav" --track --json > "$T/glide-track.json"
if "$PF" eval "$T/model/model.h5" --audio "$T/glide.wav" 2> "$T/noref.err"; then fail "--audio alone"; fi
grep -q "go together" "$T/noref.err" || fail "--audio without --ref: $(cat "$T/noref.err")"
"$PY" - "$T" <<'PYEOF'
import json, sys, warnings, h5py, numpy as np, mir_eval
warnings.simplefilter("ignore")
t = sys.argv[1]
fr = json.load(open(t + "/eval.json"))["frames"]
d = h5py.File(t + "/data/dataset.h5")
lab = d["val/labels/f0_frames"][()]
y = fr["yin"]
assert y["frames"] == lab.size and y["voiced"] == int((lab > 0).sum()), (y, lab.shape)
assert sum(g["yin"]["frames"] for g in fr["by_segment"]) == lab.size
assert sum(g["yin"]["frames"] for g in fr["by_source"]) == lab.size
assert y["rpa50"] >= 0.85 and y["vr"] >= 0.85, y  # YIN on clean synthetic notes
r = json.load(open(t + "/track.json"))
ref = np.loadtxt(t + "/glide.csv", delimiter=",")
tr = np.array(json.load(open(t + "/glide-track.json"))["track"])
keys = {"vr": "Voicing Recall", "vfa": "Voicing False Alarm", "rpa50": "Raw Pitch Accuracy",
        "rca50": "Raw Chroma Accuracy", "oa": "Overall Accuracy"}
s = mir_eval.melody.evaluate(ref[:, 0], ref[:, 1], tr[:, 0], tr[:, 1])
for k, name in keys.items():  # predict's JSON rounds to 1 ms and 0.001 Hz: no frame flips here
    assert abs(r["model"][k] - s[name]) < 1e-6, (k, r["model"][k], s[name])
s25 = mir_eval.melody.evaluate(ref[:, 0], ref[:, 1], tr[:, 0], tr[:, 1], cent_tolerance=25)
assert abs(r["model"]["rpa25"] - s25["Raw Pitch Accuracy"]) < 1e-6
assert r["yin"]["rpa50"] >= 0.95 and r["yin"]["vfa"] <= 0.1, r["yin"]  # a clean sine glide
print(f"ok: frame metrics: YIN RPA50 {y['rpa50']:.3f} on {y['frames']} columns; eval --audio "
      f"equals mir_eval on predict's track (RPA50 {s['Raw Pitch Accuracy']:.3f}), YIN "
      f"{r['yin']['rpa50']:.3f}")
PYEOF
