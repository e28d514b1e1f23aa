#!/usr/bin/env bash
# bench/basic-pitch/bench.py, the outside trackers' exporter and scorer (no Node needed here):
# export writes every K-th example of a split as a WAV at the tracker's rate (scipy's
# resample_poly of the stored audio) and its labels at the spectrogram columns' times; score
# resamples a track onto those columns as mir_eval does and pools the frames as `eval` does: on a
# track made from the labels with known pitch offsets and false alarms the scores are the counts
# worked out here.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT
B=bench/basic-pitch/bench.py
"$PF" generate manifests/tiny-expressive.yaml -o "$T/data" -q
"$PY" "$B" export "$T/data/dataset.h5" "$T/exp" --split test --every 3 > "$T/export.json"
"$PY" - "$T" <<'PYEOF'
import csv, json, os, sys
import h5py, numpy as np, scipy.io.wavfile, scipy.signal
d = sys.argv[1]
with h5py.File(d + "/data/dataset.h5") as f:
    g, scale = f["test"], f.attrs["audio_scale"]
    n = g["audio"].shape[0]
    rows = list(csv.DictReader(open(d + "/exp/examples.csv")))
    assert [int(r["index"]) for r in rows] == list(range(0, n, 3)), len(rows)
    assert json.load(open(d + "/export.json"))["examples"] == len(rows)
    times = (128 + 56 * np.arange(90)) / 16000
    for r in rows:
        i = int(r["index"])
        rate, x = scipy.io.wavfile.read(f"{d}/exp/wav/{r['name']}.wav")
        want = scipy.signal.resample_poly(g["audio"][i] / scale, 441, 320).astype(np.float32)
        assert rate == 22050 and x.dtype == np.float32 and np.array_equal(x, want), r
        ref = np.loadtxt(f"{d}/exp/ref/{r['name']}.csv", delimiter=",")
        assert np.allclose(ref[:, 0], times, atol=1e-6), ref[:3]
        assert np.allclose(ref[:, 1], g["labels/f0_frames"][i], atol=1e-4, rtol=0)
        src = ["note", "silence", "near_silence", "white", "pink", "brown", "percussion"]
        assert r["source"] == src[g["labels/source"][i]], r
print(f"ok: export: {len(rows)} of {n} examples (every 3rd), WAVs at 22,050 Hz equal to "
      "resample_poly of the stored audio, labels at the column times")
PYEOF
# A track on the columns' own times: example j (in export order) is off by 0, 20, 40 or 60 cents
# by j % 4, and every 3rd one is voiced at 440 Hz where the label is unvoiced (false alarms);
# the contour columns carry the same pitch (300 Hz where the notes are silent) with confidence
# 0.9 where the label is voiced, 0.2 where not.
"$PY" - "$T" <<'PYEOF'
import csv, json, os, sys
import numpy as np
d = sys.argv[1]
os.makedirs(d + "/est", exist_ok=True)
rows = list(csv.DictReader(open(d + "/exp/examples.csv")))
c = dict(frames=0, voiced=0, unvoiced=0, fa=0, ok50=0, ok25=0, ok10=0)
for j, r in enumerate(rows):
    ref = np.loadtxt(f"{d}/exp/ref/{r['name']}.csv", delimiter=",")
    t, f0 = ref[:, 0], ref[:, 1]
    off, fa = 20 * (j % 4), j % 3 == 0
    est = np.where(f0 > 0, f0 * 2 ** (off / 1200), 440.0 if fa else 0.0)
    conf = np.where(f0 > 0, 0.9, 0.2)
    with open(f"{d}/est/{r['name']}.csv", "w") as o:
        o.write("time,notes_f0,contour_f0,contour_confidence\n")
        o.writelines(f"{a:.6f},{b:.6f},{b if b > 0 else 300.0:.6f},{k}\n" for a, b, k in zip(t, est, conf))
    v = int((f0 > 0).sum())
    c["frames"] += f0.size; c["voiced"] += v; c["unvoiced"] += f0.size - v
    c["fa"] += (f0.size - v) if fa else 0
    c["ok50"] += v * (off < 50); c["ok25"] += v * (off < 25); c["ok10"] += v * (off < 10)
json.dump(c, open(d + "/counts.json", "w"))
PYEOF
"$PY" -W ignore "$B" score "$T/exp" "$T/est" --json > "$T/notes.json"
"$PY" -W ignore "$B" score "$T/exp" "$T/est" --decode contour --threshold 0.5 --json > "$T/contour.json"
"$PY" -W ignore "$B" score "$T/exp" "$T/est" --decode contour --threshold 0.1 --json > "$T/low.json"
"$PY" - "$T" <<'PYEOF'
import json, sys
d = sys.argv[1]
c = json.load(open(d + "/counts.json"))
s = json.load(open(d + "/notes.json"))["all"]
want = {"frames": c["frames"], "vr": 1.0, "vfa": c["fa"] / c["unvoiced"],
        "rpa50": c["ok50"] / c["voiced"], "rpa25": c["ok25"] / c["voiced"],
        "rpa10": c["ok10"] / c["voiced"], "rca50": c["ok50"] / c["voiced"],
        "oa": (c["ok50"] + c["unvoiced"] - c["fa"]) / c["frames"]}
for k, v in want.items():
    assert abs(s[k] - v) < 1e-9, (k, s[k], v)
assert 0 < s["vfa"] < 1 and 0 < s["rpa10"] < s["rpa25"] < s["rpa50"] < 1, s
k = json.load(open(d + "/contour.json"))["all"]
assert k["vfa"] == 0 and k["vr"] == 1 and abs(k["rpa50"] - s["rpa50"]) < 1e-9, k
assert json.load(open(d + "/low.json"))["all"]["vfa"] == 1.0
print(f"ok: score: {c['frames']} columns pooled, VFA {s['vfa']:.4f}, RPA50/25/10 "
      f"{s['rpa50']:.4f}/{s['rpa25']:.4f}/{s['rpa10']:.4f}, OA {s['oa']:.4f} as counted; the contour "
      "decoding's threshold sets the voicing")
PYEOF
# A track on another grid, starting after the first column (as basic-pitch's frames do when
# clips are laid end to end): resampled, held before its first point, every column scored.
"$PY" - "$T" <<'PYEOF'
import csv, os, sys
import numpy as np
d = sys.argv[1]
os.makedirs(d + "/grid", exist_ok=True)
for r in csv.DictReader(open(d + "/exp/examples.csv")):
    ref = np.loadtxt(f"{d}/exp/ref/{r['name']}.csv", delimiter=",")
    t = 0.009 + np.arange(27) * 256 / 22050
    hz = np.interp(t, ref[:, 0], ref[:, 1])
    with open(f"{d}/grid/{r['name']}.csv", "w") as o:
        o.write("time,notes_f0,contour_f0,contour_confidence\n")
        o.writelines(f"{a:.6f},{b:.6f},{b:.6f},0.9\n" for a, b in zip(t, hz))
PYEOF
"$PY" -W ignore "$B" score "$T/exp" "$T/grid" --json > "$T/grid.json"
"$PY" - "$T" <<'PYEOF'
import json, sys
d = sys.argv[1]
s, c = json.load(open(d + "/grid.json"))["all"], json.load(open(d + "/counts.json"))
assert s["frames"] == c["frames"] and s["rpa50"] > 0.9, s
print(f"ok: a track on basic-pitch's grid from 9 ms: {s['frames']} columns, RPA50 {s['rpa50']:.3f}")
PYEOF
# a missing track is an error naming the folder, not a silently smaller score
rm "$T/est/000000.csv"
if "$PY" -W ignore "$B" score "$T/exp" "$T/est" 2> "$T/miss.err"; then fail "a missing track scored"; fi
grep -q "estimates missing" "$T/miss.err" || fail "message: $(cat "$T/miss.err")"
echo "ok: $(cat "$T/miss.err")"
