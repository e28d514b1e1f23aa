"""Check examples/pitch_dataset.py on a generated dataset against plain h5py reads.

usage: check_example.py DIR [DIR_NONE DIR_FLOAT16]
Compares PitchDataset's items with the shards read directly (spectrogram, f0_hz, f0_frames),
its normalization with /stats (plain, and the trainer's log input: ln(|x| + 1e-6) with
log_mean / log_std), the pitch_check filter with the labels, and checks that a dataset.h5
without its shards (copied alone, or with one shard gone) is refused naming the shards.
With DIR_NONE and DIR_FLOAT16 (the same manifest made with store.spectrogram none and float16)
it also checks the reader on those: from none, every train spectrogram computed from /audio
within 1e-5 of the example's peak of DIR's stored float32 one; from float16, numpy's float16 of
DIR's values, widened. Exits 1 with a message on failure.
"""
import glob
import os
import shutil
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples"))
from pitch_dataset import PitchDataset  # noqa: E402

from refcheck import check, fail



def shard_rows(d, split, name):
    paths = sorted(glob.glob(os.path.join(d, f"{split}-*-of-*.h5")))
    return np.concatenate([h5py.File(p, "r")[name][()] for p in paths])


def expect_missing(path, needle):
    try:
        PitchDataset(path, "train")
    except FileNotFoundError as e:
        check(needle in str(e), f"message {e} does not name {needle}")
        print("ok: refused:", e)
        return
    fail(f"{path}: read without its shards")


def main(d):
    path = os.path.join(d, "dataset.h5")
    spec = shard_rows(d, "train", "spectrogram")
    f0 = shard_rows(d, "train", "labels/f0_hz")
    f0f = shard_rows(d, "train", "labels/f0_frames")
    check_ = shard_rows(d, "train", "labels/pitch_check")
    with h5py.File(path, "r") as f:
        mean, std = f["stats/mean"][()], f["stats/std"][()]
        lmean, lstd = f["stats/log_mean"][()], f["stats/log_std"][()]
        codes = h5py.check_enum_dtype(f["train/labels/pitch_check"].dtype)

    raw = PitchDataset(path, "train", normalize=False)
    check(len(raw) == len(spec), f"len {len(raw)} != {len(spec)}")
    x, y = raw[3]  # the two-item form of earlier versions
    check(np.array_equal(x, spec[3]) and y == np.float32(f0[3]), "raw item 3")

    ds = PitchDataset(path, "train", frames=True)
    for i in (0, len(ds) // 2, len(ds) - 1):
        x, y, fr = ds[i]
        want = (spec[i].astype(np.float64) - mean[:, None]) / np.where(std > 0, std, 1)[:, None]
        check(np.allclose(x, want, rtol=1e-5, atol=1e-5), f"normalized item {i}")
        check(fr.dtype == np.float32 and np.array_equal(fr, f0f[i]), f"f0_frames item {i}")
    check(np.array_equal(ds.labels("f0_frames"), f0f), "labels('f0_frames')")

    lg = PitchDataset(path, "train", log=True)
    for i in (1, len(lg) - 2):
        x, _ = lg[i]
        want = (np.log(np.abs(spec[i].astype(np.float64)) + 1e-6) - lmean[:, None]) / \
            np.where(lstd > 0, lstd, 1)[:, None]
        check(np.allclose(x, want, rtol=1e-4, atol=1e-4), f"log-normalized item {i}: "
              f"{np.abs(x - want).max():.2e}")

    ok = PitchDataset(path, "train", normalize=False, pitch_check=("ok",), frames=True)
    keep = np.flatnonzero(check_ == codes["ok"])
    check(len(ok) == len(keep) and np.array_equal(ok.indices, keep), "pitch_check ('ok',)")
    if len(keep):
        x, y, fr = ok[len(ok) - 1]
        j = keep[-1]
        check(np.array_equal(x, spec[j]) and y == np.float32(f0[j]) and np.array_equal(fr, f0f[j]),
              "filtered item maps to its row")
    check(np.array_equal(ok.labels("pitch_check"), check_[keep]), "filtered labels")
    some = PitchDataset(path, "train", pitch_check=("ok", "octave", "off", "unvoiced", "skipped"))
    check(len(some) == len(spec), "every verdict keeps every example")
    try:
        PitchDataset(path, "train", pitch_check=("fine",))
        fail("an unknown verdict was accepted")
    except ValueError as e:
        check("fine" in str(e), str(e))

    with tempfile.TemporaryDirectory() as t:
        shutil.copy(path, t)  # dataset.h5 alone
        expect_missing(os.path.join(t, "dataset.h5"), "train-00000-of-")
        one = sorted(glob.glob(os.path.join(d, "train-*.h5")))
        for p in one[:-1]:
            os.symlink(p, os.path.join(t, os.path.basename(p)))
        expect_missing(os.path.join(t, "dataset.h5"), os.path.basename(one[-1]))
    print(f"ok: pitch_dataset.py on {len(spec)} train examples ({len(keep)} pitch_check ok)")


def check_stores(d, d_none, d_half):
    """PitchDataset on the none and float16 datasets of DIR's manifest against DIR's float32."""
    spec = shard_rows(d, "train", "spectrogram")
    none = PitchDataset(os.path.join(d_none, "dataset.h5"), "train", normalize=False)
    half = PitchDataset(os.path.join(d_half, "dataset.h5"), "train", normalize=False)
    check(len(none) == len(spec) == len(half), "the three datasets differ in length")
    worst = 0.0
    for i in range(len(spec)):
        x, _ = none[i]
        check(x.dtype == np.float32 and x.shape == spec[i].shape, f"none item {i}: {x.shape}")
        worst = max(worst, float(np.abs(x - spec[i]).max() / max(np.abs(spec[i]).max(), 1e-30)))
        h, _ = half[i]
        check(h.dtype == np.float32 and np.array_equal(h, spec[i].astype(np.float16).astype(np.float32)),
              f"float16 item {i}")
    check(worst <= 1e-5, f"none: computed from /audio, {worst:.2e} of the peak off the stored float32")
    print(f"ok: pitch_dataset.py from /audio (store none) within {worst:.1e} of the peak over "
          f"{len(spec)} examples; float16 widened exactly")


if __name__ == "__main__":
    main(sys.argv[1])
    if len(sys.argv) > 3:
        check_stores(*sys.argv[1:4])
