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
"$PF" train "$T/track.yaml" -q
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
print("ok: frames training: train loss", [round(r["train_loss"], 4) for r in rows],
      "val OA", rows[-1]["val_oa"])
PYEOF
# eval scores the model's columns: the same numbers as the trainer's last val line (one grid,
# one set of definitions), beside YIN's
"$PF" eval "$T/model/model.h5" "$T/data/dataset.h5" --split val --json -q > "$T/eval.json"
"$PY" - "$T" <<'PYEOF'
import json, sys
d = sys.argv[1]
last = [json.loads(l) for l in open(d + "/model/metrics.jsonl")][-1]
m = json.load(open(d + "/eval.json"))["frames"]["model"]
for a, b in (("rpa50", "val_rpa50"), ("rpa10", "val_rpa10"), ("vr", "val_vr"), ("vfa", "val_vfa"),
             ("oa", "val_oa")):
    assert abs(m[a] - last[b]) < 1e-6, (a, m[a], last[b])
print(f"ok: eval's frame scores of the model equal the trainer's val line (RPA50 {m['rpa50']:.3f}, "
      f"OA {m['oa']:.3f} over {m['frames']} columns)")
PYEOF
# the dense output of a hz-style network cannot answer per column
sed -e 's/model: {preset: track}/model: {preset: fast}/' "$T/track.yaml" > "$T/bad.yaml"
if "$PF" train "$T/bad.yaml" -q --force 2> "$T/bad.err"; then fail "a fast preset took target frames"; fi
grep -q "bins x frames" "$T/bad.err" || fail "message: $(cat "$T/bad.err")"
echo "ok: $(head -c 160 "$T/bad.err")"
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
