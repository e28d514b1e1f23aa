#!/usr/bin/python3
"""Export a dataset split for outside pitch trackers, and score their tracks with mir_eval.

Benchmark only (bench/basic-pitch/README.md); Debian's python3-numpy, -scipy, -h5py, -mir-eval.

  bench.py export DATASET.h5 OUT_DIR [--split test] [--every K] [--rate HZ]
  bench.py score OUT_DIR EST_DIR [--decode notes|contour] [--threshold 0.3] [--shift-s S] [--json]
  bench.py eval-frames EVAL.json   (the frame metrics of `pitchforge eval --json`, same table)

export writes, for every K-th example of the split (indices 0, K, 2K, ...; deterministic),
  wav/NNNNNN.wav   the stored audio (int16 / audio_scale), resampled to --rate (default 22,050,
                   basic-pitch's rate) by scipy.signal.resample_poly, as 32-bit float
  ref/NNNNNN.csv   the labels in MDB-stem-synth's layout: time,f0 at every spectrogram column
                   (column k at (stft_length/2 + k * hop) / sample_rate s, as eval scores them;
                   0 = unvoiced)
  examples.csv     index,name,source,segment,midi of every exported example
NNNNNN is the example's index in the split.

score reads EST_DIR/NNNNNN.csv (run.mjs's layout: time,notes_f0,contour_f0,contour_confidence)
and scores each against ref/NNNNNN.csv exactly as `pitchforge eval` scores its frames: the
estimate is resampled onto the label columns with mir_eval.melody.resample_melody_series (cents
linear, voicing held), every column of every example is one frame (mir_eval's extra frame at
time 0 is not added), and the counts are pooled over all frames before the metrics are taken
(mir_eval.melody's functions on the concatenated arrays): VR, VFA, RPA50/25/10, RCA50, OA,
overall, for notes and negatives, and per segment kind.
"""
import argparse
import csv
import json
import os
import sys

import numpy as np

SEGMENTS = ["attack", "sustain", "decay", "onset", "release", "gap"]
SOURCES = ["note", "silence", "near_silence", "white", "pink", "brown", "percussion"]


def column_times(f):
    """The label columns' times in s (docs/shard-format.md, "Per-column labels")."""
    length, overlap = int(f.attrs["stft_length"]), int(f.attrs["stft_overlap"])
    rate = float(f.attrs["sample_rate"])
    frames = f[f"{next(s for s in ('test', 'val', 'train') if s in f)}/labels/f0_frames"].shape[1]
    return (length // 2 + (length - overlap) * np.arange(frames)) / rate


def export(args):
    import h5py
    import scipy.io.wavfile
    import scipy.signal
    from fractions import Fraction

    os.makedirs(os.path.join(args.out, "wav"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "ref"), exist_ok=True)
    with h5py.File(args.dataset, "r") as f:
        g = f[args.split]
        times, rate = column_times(f), float(f.attrs["sample_rate"])
        scale = float(f.attrs.get("audio_scale", 32767.0))
        idx = np.arange(0, g["audio"].shape[0], args.every)
        ratio = Fraction(int(args.rate), int(rate))
        lab = {k: g[f"labels/{k}"][:] for k in ("source", "segment", "midi")}
        rows = []
        for i in idx:
            name = f"{i:06d}"
            x = g["audio"][i].astype(np.float64) / scale
            if ratio != 1:
                x = scipy.signal.resample_poly(x, ratio.numerator, ratio.denominator)
            scipy.io.wavfile.write(os.path.join(args.out, "wav", name + ".wav"), int(args.rate),
                                   x.astype(np.float32))
            f0 = g["labels/f0_frames"][i]
            with open(os.path.join(args.out, "ref", name + ".csv"), "w") as r:
                r.writelines(f"{t:.6f},{v:.4f}\n" for t, v in zip(times, f0))
            rows.append((i, name, SOURCES[lab["source"][i]], SEGMENTS[lab["segment"][i]],
                         int(lab["midi"][i])))
    with open(os.path.join(args.out, "examples.csv"), "w", newline="") as e:
        w = csv.writer(e)
        w.writerow(["index", "name", "source", "segment", "midi"])
        w.writerows(rows)
    print(json.dumps({"dataset": args.dataset, "split": args.split, "every": args.every,
                      "examples": len(rows), "rate_hz": args.rate}))


def read_estimate(path, decode, threshold, shift_s):
    """Times, Hz and voicing of one run.mjs CSV under the chosen decoding."""
    d = np.genfromtxt(path, delimiter=",", names=True, ndmin=1)
    t = d["time"] + shift_s
    if decode == "notes":
        hz = d["notes_f0"]
        return t, hz, (hz > 0).astype(float)
    hz = d["contour_f0"]
    return t, hz, (d["contour_confidence"] >= threshold).astype(float)


def frames_of(ref_path, est_path, decode, threshold, shift_s):
    """One example's (ref_voicing, ref_cent, est_voicing, est_cent) on its label columns:
    mir_eval.melody.to_cent_voicing (the estimate resampled onto the reference's times), less the
    frame at time 0 it puts in front of a reference that starts later (eval scores the columns)."""
    import mir_eval.melody as mm

    ref = np.loadtxt(ref_path, delimiter=",", ndmin=2)
    et, ehz, ev = read_estimate(est_path, decode, threshold, shift_s)
    if et.size == 0:  # no frames at all: unvoiced everywhere
        et, ehz, ev = np.array([0.0]), np.array([0.0]), np.array([0.0])
    rv, rc, ev, ec = mm.to_cent_voicing(ref[:, 0], ref[:, 1], et, ehz, est_voicing=ev)
    lead = int(ref[0, 0] > 0)
    return rv[lead:], rc[lead:], ev[lead:], ec[lead:]


def metrics(rv, rc, ev, ec):
    import mir_eval.melody as mm

    out = {"frames": int(rv.size), "voiced": int((rv > 0).sum())}
    out["vr"], out["vfa"] = mm.voicing_measures(rv, ev)
    for tol in (50, 25, 10):
        out[f"rpa{tol}"] = mm.raw_pitch_accuracy(rv, rc, ev, ec, cent_tolerance=tol)
    out["rca50"] = mm.raw_chroma_accuracy(rv, rc, ev, ec, cent_tolerance=50)
    out["oa"] = mm.overall_accuracy(rv, rc, ev, ec, cent_tolerance=50)
    return {k: float(v) if k not in ("frames", "voiced") else v for k, v in out.items()}


def score(args):
    with open(os.path.join(args.out, "examples.csv")) as e:
        rows = list(csv.DictReader(e))
    parts, missing = [], 0
    for r in rows:
        est = os.path.join(args.est, r["name"] + ".csv")
        if not os.path.exists(est):
            missing += 1
            continue
        parts.append((r, frames_of(os.path.join(args.out, "ref", r["name"] + ".csv"), est,
                                   args.decode, args.threshold, args.shift_s)))
    if missing:
        sys.exit(f"bench.py: {missing} of {len(rows)} estimates missing in {args.est}")

    def pooled(keep):
        sel = [p for r, p in parts if keep(r)]
        return metrics(*(np.concatenate([s[k] for s in sel]) for k in range(4))) if sel else None

    res = {"decode": args.decode, "threshold": args.threshold if args.decode == "contour" else None,
           "shift_s": args.shift_s, "examples": len(parts), "all": pooled(lambda r: True),
           "notes": pooled(lambda r: r["source"] == "note"),
           "negatives": pooled(lambda r: r["source"] != "note"),
           "by_segment": {s: pooled(lambda r, s=s: r["segment"] == s) for s in SEGMENTS}}
    if args.json:
        print(json.dumps(res))
        return
    print(f"{res['examples']} examples, decode {args.decode}"
          + (f" (threshold {args.threshold})" if args.decode == "contour" else "")
          + "; mir_eval.melody, frames pooled\n")
    groups = [("all", res["all"]), ("notes", res["notes"]), ("negatives", res["negatives"])]
    print_rows(groups + [(s, res["by_segment"][s]) for s in SEGMENTS])


def print_rows(groups):
    """A table of frame metrics, one (name, scores or None) a row."""
    print(f"{'group':12} {'frames':>8} {'VR':>6} {'VFA':>6} {'RPA50':>6} {'RPA25':>6} "
          f"{'RPA10':>6} {'RCA50':>6} {'OA':>6}")
    for name, m in groups:
        if m:
            print(f"{name:12} {m['frames']:8d} {m['vr']:6.3f} {m['vfa']:6.3f} {m['rpa50']:6.3f} "
                  f"{m['rpa25']:6.3f} {m['rpa10']:6.3f} {m['rca50']:6.3f} {m['oa']:6.3f}")


def eval_frames(args):
    """The frame metrics of `pitchforge eval --json` in the same table: YIN, and the model when
    it is a frame-level one."""
    f = json.load(open(args.eval_json))["frames"]
    if not f:
        sys.exit("bench.py: the eval JSON has no frame metrics (the split stores no audio)")
    print(f"pitchforge eval, whole split: {f['yin']['frames'] // f['columns_per_example']} examples"
          f", every column; YIN on {1000 * f['yin_window_s']:.0f} ms windows\n")
    groups = [("model", f["model"]), ("YIN", f["yin"])]
    groups += [(f"YIN {g['name']}", g["yin"]) for g in f["by_source"] + f["by_segment"]]
    print_rows(groups)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export", help="a split's examples as WAVs and reference CSVs")
    e.add_argument("dataset")
    e.add_argument("out")
    e.add_argument("--split", default="test", choices=["train", "val", "test"])
    e.add_argument("--every", type=int, default=1, help="every K-th example (default all)")
    e.add_argument("--rate", type=int, default=22050, help="WAV rate (default 22050)")
    s = sub.add_parser("score", help="score a tracker's CSVs against the exported labels")
    s.add_argument("out", help="the export folder (ref/, examples.csv)")
    s.add_argument("est", help="the tracker's CSVs, NNNNNN.csv")
    s.add_argument("--decode", default="notes", choices=["notes", "contour"])
    s.add_argument("--threshold", type=float, default=0.3, help="contour voicing threshold")
    s.add_argument("--shift-s", type=float, default=0.0, help="add to the estimate's times")
    s.add_argument("--json", action="store_true")
    v = sub.add_parser("eval-frames", help="the frame metrics of `pitchforge eval --json`")
    v.add_argument("eval_json")
    a = p.parse_args()
    if a.cmd == "export" and a.every < 1:
        p.error("--every takes a number >= 1")
    {"export": export, "score": score, "eval-frames": eval_frames}[a.cmd](a)


if __name__ == "__main__":
    main()
