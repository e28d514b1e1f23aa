#!/usr/bin/env bash
# A frame-level model (target frames, preset track) on an expressive dataset: the loss falls,
# metrics.jsonl carries the frame metrics, model.h5 says target frames with bins x frames
# outputs; a config whose output does not keep bins and frames is refused by name.
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
epochs: 3
seed: 1
threads: 2
limit: {train: 48, val: 24}
YAML
"$PF" train "$T/track.yaml" -q
"$PY" - "$T/model" <<'PYEOF'
import json, sys, h5py
rows = [json.loads(l) for l in open(sys.argv[1] + "/metrics.jsonl")]
assert len(rows) == 3, rows
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
# the dense output of a hz-style network cannot answer per column
sed -e 's/model: {preset: track}/model: {preset: fast}/' "$T/track.yaml" > "$T/bad.yaml"
if "$PF" train "$T/bad.yaml" -q 2> "$T/bad.err"; then fail "a fast preset took target frames"; fi
grep -q "bins x frames" "$T/bad.err" || fail "message: $(cat "$T/bad.err")"
echo "ok: $(head -c 160 "$T/bad.err")"
# predict reads note-level models only, and says so instead of decoding columns as one note
/usr/bin/python3 -c "import numpy as np, scipy.io.wavfile as w; t = np.arange(16000) / 16000
w.write('$T/a4.wav', 16000, (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16))"
if "$PF" predict "$T/model/model.h5" "$T/a4.wav" 2> "$T/pred.err"; then fail "predict took a frames model"; fi
grep -q "frame-level model" "$T/pred.err" || fail "predict message: $(cat "$T/pred.err")"
echo "ok: predict refuses a frames model: $(head -c 100 "$T/pred.err")"
