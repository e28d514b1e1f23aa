"""End-to-end check of a generated dataset with h5py and scipy (Debian's /usr/bin/python3).

usage: check_dataset.py DIR SUMMARY.json
Checks schema, shapes, dtypes, label consistency (f0 against midi and cents), the spectrogram
recomputed from /audio with scipy.signal.spectrogram, the per-split virtual datasets, /stats,
/checksums, held-out instruments and the --json summary. Exits 1 with a message on failure.
"""
import glob
import hashlib
import json
import os
import sys

import h5py
import numpy as np
from scipy import signal

LABELS = {"f0_hz": "f8", "midi": "i2", "cents": "f4", "octave": "i1", "pitch_class": "i1",
          "velocity": "u1", "program": "u1", "bank": "u2", "soundfont": "u1",
          "example_id": "u8", "rms_dbfs": "f4", "volume": "f4", "noise_snr_db": "f4"}


def s(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def check_shard(path, summary_counts):
    with h5py.File(path, "r") as f:
        assert s(f.attrs["schema"]) == "pitchforge-shard/2", path
        assert f.attrs["audio_scale"] == 32768.0 and f["audio"].attrs["scale"] == 32768.0, path
        n = f["spectrogram"].shape[0]
        assert f["spectrogram"].shape[1:] == (513, 90) and f["spectrogram"].dtype == np.float32
        assert f["audio"].shape == (n, 5280) and f["audio"].dtype == np.int16
        lab = {k: f["labels/" + k][()] for k in f["labels"]}
        for k, dt in LABELS.items():
            assert lab[k].dtype == np.dtype(dt), (k, lab[k].dtype)
        assert h5py.check_enum_dtype(f["labels/segment"].dtype) == {"attack": 0, "sustain": 1, "decay": 2,
                                                                   "onset": 3, "release": 4, "gap": 5}
        assert lab["strip_fundamental"].dtype == np.bool_
        f0f = lab["f0_frames"]  # Hz per spectrogram column, 0 = unvoiced
        assert f0f.dtype == np.float32 and f0f.shape == (n, 90), (f0f.dtype, f0f.shape)
        assert np.isfinite(f0f).all() and (f0f >= 0).all(), "f0_frames not finite or negative"
        note = lab["source"] == 0  # negatives (silence, noise, percussion) have no pitch
        neg = ~note
        assert (lab["f0_hz"][neg] == 0).all() and (lab["midi"][neg] == -1).all() and not f0f[neg].any()
        assert (lab["octave"][neg] == -1).all() and (lab["pitch_class"][neg] == -1).all()
        nl = {k: v[note] for k, v in lab.items()}
        f0 = 440.0 * 2 ** ((nl["midi"] - 69 + nl["cents"].astype(np.float64) / 100) / 12)
        assert np.allclose(nl["f0_hz"], f0, rtol=1e-12), "f0_hz disagrees with midi and cents"
        assert (nl["octave"] == nl["midi"] // 12 - 1).all() and (nl["pitch_class"] == nl["midi"] % 12).all()
        assert (np.abs(nl["cents"]) <= 50).all()
        assert (nl["rms_dbfs"] >= -60).all(), "a segment below min_rms_dbfs was kept"
        summary_counts[s(f.attrs["split"])] += n
        worst = 0.0
        for i in range(n):
            x = f["audio"][i].astype(np.float32) / np.float32(f.attrs["audio_scale"])
            _, _, ref = signal.spectrogram(x.astype(np.float64), fs=16000, window="hann", nperseg=256,
                                           noverlap=200, nfft=1024, mode="magnitude", scaling="density")
            ours = f["spectrogram"][i]
            worst = max(worst, np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-30))
        assert worst <= 1e-5, f"{path}: spectrogram differs from scipy by {worst:.2e}"
        return n, worst, set(s(v) for v in lab["instrument"][note] if s(v) != "?"), lab


def main(d, summary_path):
    summary = json.load(open(summary_path))
    counts = {"train": 0, "val": 0, "test": 0}
    shards = sorted(p for p in glob.glob(os.path.join(d, "*-of-*.h5")))
    assert shards, "no shards"
    insts = {"train": set(), "val": set(), "test": set()}
    worst = 0.0
    for p in shards:
        n, w, names, _ = check_shard(p, counts)
        worst = max(worst, w)
        insts[os.path.basename(p).split("-")[0]] |= names
    assert not (insts["train"] & insts["val"]) and not (insts["train"] & insts["test"]), "instrument in two splits"
    assert all(insts.values()), "a split is empty"
    assert counts == summary["splits"], (counts, summary["splits"])
    with h5py.File(os.path.join(d, "dataset.h5"), "r") as f:
        assert s(f.attrs["schema"]) == "pitchforge-dataset/2"
        assert f.attrs["audio_scale"] == 32768.0
        for split, n in counts.items():
            assert f[split + "/spectrogram"].shape == (n, 513, 90)
            parts = [h5py.File(p, "r")["labels/example_id"][()] for p in shards if os.path.basename(p).startswith(split + "-")]
            assert (f[split + "/labels/example_id"][()] == np.concatenate(parts)).all()
            parts = [h5py.File(p, "r")["labels/f0_frames"][()] for p in shards if os.path.basename(p).startswith(split + "-")]
            assert np.array_equal(f[split + "/labels/f0_frames"][()], np.concatenate(parts)), split
            assert f[split + "/audio"].attrs["scale"] == 32768.0
        train = np.concatenate([h5py.File(p, "r")["spectrogram"][()] for p in shards if os.path.basename(p).startswith("train-")])
        mean = train.astype(np.float64).mean(axis=(0, 2))
        std = train.astype(np.float64).std(axis=(0, 2))
        assert np.allclose(f["stats/mean"][()].reshape(-1), mean, rtol=1e-5, atol=1e-12)
        assert np.allclose(f["stats/std"][()].reshape(-1), std, rtol=1e-4, atol=1e-12)
        table = {}
        ck = f["checksums"]
        if isinstance(ck, h5py.Dataset):
            for row in ck[()]:
                table[s(row[0])] = s(row[1])
        else:
            for name, digest in zip(ck["shard"][()], ck["sha256"][()]):
                table[s(name)] = s(digest)
        for p in shards:
            assert table[os.path.basename(p)] == hashlib.sha256(open(p, "rb").read()).hexdigest()
    print(f"ok: {sum(counts.values())} examples in {len(shards)} shards, {counts}; "
          f"spectrogram vs scipy max relative error {worst:.2e}")


if __name__ == "__main__":
    try:
        main(sys.argv[1], sys.argv[2])
    except AssertionError as e:
        import traceback
        traceback.print_exc()
        print("FAILED:", e)
        sys.exit(1)
