#!/usr/bin/env bash
# make bench-flags: the low-confidence flags of `predict` (docs/tracking.md, "Low-confidence
# flags") measured with a frame-level model on files made from a dataset's split:
#   note     single notes: voiced examples with pitch_check ok, attack/sustain/decay segments,
#            half or more of their columns voiced, pitch inside C1 .. C8
#   melody   3 or 4 such notes one after another
#   chord2/3 2 or 3 such notes (any instruments) at the same RMS, summed and peak-normalised to
#            0.9; pitches 2 semitones or more apart and of distinct pitch classes
#   noise    the split's white, pink and brown noise; drums: its percussion; quiet: near-silence
#   low      sines and harmonic tones (1/k, 20 harmonics) of 18 .. 30 Hz, below C1, 1 s
#   high     sines of 4.5 .. 7 kHz, above C8 (at 16 kHz a harmonic tone up there is a sine), 1 s
#   high-set the split's notes labelled above C8 (4186 Hz), if it has any
# then runs predict once over all of them (-j 1, --json) and prints, per category, the share
# answered unvoiced, flagged by each flag, and answered with a pitch and no flag (and of those,
# the share within 50 cents of the note, or of one of the notes), and the sweep of each rule's
# file-level threshold over the printed flag_measures (flags computed offline, the rules' shape
# kept). Notes and melodies should get their pitch and no flag; every other category "unvoiced"
# or a flag.
#   bash bench/flags.sh [MODEL] (default models/track.h5); environment:
#   SET      val (out/expressive-train, split val; default), heldout (out/expressive-heldout,
#            test), room (out/expressive-heldout-room, test); or DATASET=... SPLIT=...
#   N        examples per made category (default 300; melodies N/3, low and high N/3)
#   OUT      keep the files there (default: a temporary folder, removed); files already in OUT
#            are reused, only predict runs again
#   SEED     default 1
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/track.h5}
PY=${PY:-/usr/bin/python3}
case "${SET:-val}" in
  val) dataset=${DATASET:-out/expressive-train/dataset.h5} split=${SPLIT:-val} ;;
  heldout) dataset=${DATASET:-out/expressive-heldout/dataset.h5} split=${SPLIT:-test} ;;
  room) dataset=${DATASET:-out/expressive-heldout-room/dataset.h5} split=${SPLIT:-test} ;;
  *) echo "bench-flags: SET is val, heldout or room, not '$SET'"; exit 2 ;;
esac
[ -f "$model" ] || { echo "bench-flags: no $model (models/README.md says how to make it)"; exit 0; }
if [ -n "${OUT:-}" ]; then out=$OUT; mkdir -p "$out"
else out=$(mktemp -d /tmp/pitchforge-bench-flags.XXXXXX); trap 'rm -rf "$out"' EXIT; fi
[ -f "$out/truth.json" ] || [ -f "$dataset" ] ||
  { echo "bench-flags: no $dataset (make it with pitchforge generate)"; exit 0; }
[ -f "$out/truth.json" ] || "$PY" - "$dataset" "$split" "$out" "${N:-300}" "${SEED:-1}" <<'PYEOF'
import json, os, sys
import h5py
import numpy as np
import scipy.io.wavfile as w
dataset, split, out, n, seed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sr, lo_hz, hi_hz = 16000, 32.703195662574829, 4186.009044809578
rng = np.random.default_rng(seed)
g = h5py.File(dataset, "r")[split]
lab = g["labels"]
scale = float(g["audio"].attrs.get("scale", 32768))
seg_enum, src_enum = h5py.check_enum_dtype(lab["segment"].dtype), h5py.check_enum_dtype(lab["source"].dtype)
chk_enum = h5py.check_enum_dtype(lab["pitch_check"].dtype)
seg, src, chk = lab["segment"][:], lab["source"][:], lab["pitch_check"][:]
f0, frames = lab["f0_hz"][:], lab["f0_frames"][:]
voiced = (frames > 0).mean(axis=1)
with np.errstate(invalid="ignore"):
    pitch = np.array([np.median(r[r > 0]) if (r > 0).any() else 0.0 for r in frames])
note_seg = [seg_enum[k] for k in ("attack", "sustain", "decay")]
single = np.flatnonzero(np.isin(seg, note_seg) & (src == src_enum["note"]) & (chk == chk_enum["ok"]) &
                        (voiced >= 0.5) & (pitch >= lo_hz) & (pitch <= hi_hz))
def audio(i):
    return g["audio"][int(i)].astype(np.float64) / scale
def midi(hz):
    return 69 + 12 * np.log2(hz / 440)
truth = []
def write(cat, k, x, notes):
    name = f"{cat}/{k:04d}.wav"
    os.makedirs(f"{out}/{cat}", exist_ok=True)
    w.write(f"{out}/{name}", sr, np.round(np.clip(x, -1, 32767 / 32768) * 32768).astype(np.int16))
    truth.append({"file": name, "category": cat, "notes": [float(h) for h in notes]})
def pick(pool, k):
    return rng.choice(pool, size=min(k, len(pool)), replace=False) if len(pool) else []
for k, i in enumerate(pick(single, n)):
    write("note", k, audio(i), [pitch[i]])
for k in range(n // 3):
    idx = rng.choice(single, size=int(rng.integers(3, 5)), replace=False)
    write("melody", k, np.concatenate([audio(i) for i in idx]), pitch[idx])
def chord(size):
    while True:
        idx = rng.choice(single, size=size, replace=False)
        m = np.sort(midi(pitch[idx]))
        pcs = np.round(m).astype(int) % 12
        if np.min(np.diff(m)) >= 2 and len(set(pcs)) == size:
            return idx
for size in (2, 3):
    for k in range(n):
        idx = chord(size)
        x = sum(audio(i) / (np.sqrt(np.mean(audio(i) ** 2)) + 1e-12) for i in idx)
        write(f"chord{size}", k, 0.9 * x / np.max(np.abs(x)), pitch[idx])
neg = [("noise", ("white", "pink", "brown")), ("drums", ("percussion",)), ("quiet", ("near_silence",))]
for cat, kinds in neg:
    pool = np.flatnonzero(np.isin(src, [src_enum[s] for s in kinds]))
    for k, i in enumerate(pick(pool, n)):
        write(cat, k, audio(i), [])
t = np.arange(sr) / sr
for k in range(n // 3):
    hz = rng.uniform(18, 30)
    h = range(1, 2) if k % 2 == 0 else range(1, 21)
    x = sum(np.sin(2 * np.pi * j * hz * t + rng.uniform(0, 2 * np.pi)) / j for j in h)
    write("low", k, 0.5 * x / np.max(np.abs(x)), [hz])
    hz = rng.uniform(4500, 7000)
    write("high", k, rng.uniform(0.1, 0.5) * np.sin(2 * np.pi * hz * t), [hz])
high = np.flatnonzero((src == src_enum["note"]) & (f0 > hi_hz) & (f0 < sr / 2))
for k, i in enumerate(pick(high, n // 3)):
    write("high-set", k, audio(i), [f0[i]])
json.dump({"dataset": dataset, "split": split, "seed": seed, "files": truth}, open(f"{out}/truth.json", "w"))
PYEOF
# predict once over every file, from inside $out so the answers name the files as truth.json does
"$PY" -c 'import json,sys; print("\n".join(f["file"] for f in json.load(open(sys.argv[1]))["files"]))' \
  "$out/truth.json" > "$out/files.txt"
bin=$(cd "$(dirname "${PF:-./pitchforge}")" && pwd)/$(basename "${PF:-./pitchforge}")
abs_model=$(cd "$(dirname "$model")" && pwd)/$(basename "$model")
(cd "$out" && xargs -a files.txt -d '\n' "$bin" predict "$abs_model" --json -j 1) > "$out/predict.jsonl"
"$PY" - "$out" "$model" include/pitchforge/flags.h <<'PYEOF'
import json, re, sys
import numpy as np
out, model, header = sys.argv[1:4]
t = json.load(open(f"{out}/truth.json"))
ans = {}
for line in open(f"{out}/predict.jsonl"):
    r = json.loads(line)
    r["f0_hz"] = r["f0_hz"] or 0  # null: unvoiced
    ans[r["file"]] = r
if any("flag_measures" not in r for r in ans.values()):
    sys.exit(f"bench-flags: {model} gives no flags: a note-level model (flags need a frame-level one)")
th = {m[0]: float(m[1]) for m in re.findall(r"#define PF_FLAG_(\w+) ([0-9.eE+-]+)", open(header).read())}
lo, hi = th["RANGE_LO_HZ"], th["RANGE_HI_HZ"]
cats = list(dict.fromkeys(f["category"] for f in t["files"]))
rows = {c: [(f, ans[f["file"]]) for f in t["files"] if f["category"] == c] for c in cats}
def flags(r, edge, poly, nv, ptm):
    """The flags of r recomputed from its flag_measures with these file-level thresholds."""
    m, f = r["flag_measures"], set()
    if m["edge"] >= edge or m.get("above_c8", 0) >= edge or (r["f0_hz"] > 0 and not lo <= r["f0_hz"] <= hi): f.add("out_of_range")
    if m["second_pitch"] >= poly: f.add("polyphonic")
    if m["columns"] and m["voiced"] < nv and m["peak_to_mean"] < ptm: f.add("noisy")
    return f
now = (th["EDGE_SHARE"], th["POLY_SHARE"], th["NOISE_VOICED"], th["NOISE_PEAK_TO_MEAN"])
bad = sum(flags(r, *now) != set(r["flags"]) for c in cats for _, r in rows[c])
def right(f, r):
    return any(abs(1200 * np.log2(r["f0_hz"] / h)) <= 50 for h in f["notes"] if h > 0 and r["f0_hz"] > 0)
print(f"predict {model} --json -j 1 on {t['dataset']} ({t['split']}), seed {t['seed']}: "
      f"share of each category's files (%)")
print(f"{'category':9} {'n':>4} {'unvoiced':>8} {'range':>6} {'poly':>6} {'noisy':>6} {'any':>6} "
      f"{'pitch,':>7} {'..right':>7}")
print(f"{'':9} {'':>4} {'':>8} {'':>6} {'':>6} {'':>6} {'flag':>6} {'no flag':>7} {'':>7}")
for c in cats:
    rs, n = rows[c], len(rows[c])
    pct = lambda k: 100 * k / n if n else 0
    unv = sum(r["f0_hz"] == 0 for _, r in rs)
    fl = {k: sum(k in r["flags"] for _, r in rs) for k in ("out_of_range", "polyphonic", "noisy")}
    anyf = sum(bool(r["flags"]) for _, r in rs)
    bare = [(f, r) for f, r in rs if r["f0_hz"] > 0 and not r["flags"]]
    ok = sum(right(f, r) for f, r in bare)
    rt = f"{100 * ok / len(bare):7.1f}" if bare and c not in ("noise", "drums", "quiet", "low", "high", "high-set") else f"{'-':>7}"
    print(f"{c:9} {n:4d} {pct(unv):8.1f} {pct(fl['out_of_range']):6.1f} {pct(fl['polyphonic']):6.1f} "
          f"{pct(fl['noisy']):6.1f} {pct(anyf):6.1f} {pct(len(bare)):7.1f} {rt}")
print("(pitch, no flag: a voiced answer without a flag; ..right: of those, the share within 50 cents "
      "of the note, or of one of the notes)")
if bad:
    print(f"warning: {bad} files' flags differ from their flag_measures under include/pitchforge/flags.h "
          "(measures printed rounded at a threshold, or predict built from other thresholds)")
# the sweep: each rule's file-level threshold, the others as in flags.h: the share of the notes
# and melodies this rule flags (which no flag should touch), and the share of the categories the
# rule is for still answered with a pitch and no flag at all
def share(cs, f):
    rs = [r for c in cs for _, r in rows.get(c, [])]
    return 100 * sum(f(r) for r in rs) / len(rs) if rs else float("nan")
clean = ("note", "melody")
def sweep(title, flag, grid, should, test):
    print(f"\n{title}: {', '.join(clean)}: flagged by it (%); {', '.join(should)}: pitch and no flag (%)")
    print(f"{'threshold':>10} " + " ".join(f"{c:>8}" for c in clean + should))
    def bare(r, v):
        return r["f0_hz"] > 0 and not test(r, v) and not (flags(r, *now) - {flag})
    for v in grid:
        print(f"{v:10.3g} " + " ".join(f"{share([c], lambda r: test(r, v)):8.1f}" for c in clean) + " " +
              " ".join(f"{share([c], lambda r: bare(r, v)):8.1f}" for c in should))
m = lambda r: r["flag_measures"]
print(f"\nthresholds now (flags.h): edge {now[0]}, second_pitch {now[1]}, voiced {now[2]}, "
      f"peak_to_mean {now[3]}")
sweep("polyphonic: second_pitch >= threshold", "polyphonic", [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6],
      ("chord2", "chord3"), lambda r, v: m(r)["second_pitch"] >= v)
sweep("out_of_range: edge >= threshold (or the answer beyond C1 .. C8)", "out_of_range",
      [0.01, 0.05, 0.1, 0.25, 0.5, 1.01], ("low", "high", "high-set"),
      lambda r, v: m(r)["edge"] >= v or (r["f0_hz"] > 0 and not lo <= r["f0_hz"] <= hi))
for nv in (0.3, 0.5, 0.7, 0.9, 1.01):
    sweep(f"noisy: voiced < {nv} and peak_to_mean < threshold", "noisy", [5, 10, 20, 30, 50, 1e9],
          ("noise", "drums", "quiet", "chord2", "chord3"),
          lambda r, v, nv=nv: m(r)["columns"] > 0 and m(r)["voiced"] < nv and m(r)["peak_to_mean"] < v)
PYEOF
