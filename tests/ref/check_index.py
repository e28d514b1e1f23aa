"""Check a dataset.h5 index built by tests/test_index.c with h5py alone.

usage: check_index.py DIR
Opens DIR/dataset.h5 from another working directory (/) and compares every virtual dataset of
every split with the concatenation of that split's shards (values, dtypes, enum metadata,
UTF-8 strings), /stats with numpy's mean and std over the train shards, /checksums with
`sha256sum`, and the root attributes. Exits 1 with a message on the first difference.
"""
import glob
import os
import subprocess
import sys

import h5py
import numpy as np

from refcheck import check, fail

SPLITS = ("train", "val", "test")



def shards_of(d, split):
    return sorted(glob.glob(os.path.join(d, f"{split}-[0-9][0-9][0-9][0-9][0-9]-of-*.h5")))


def check_same(v, parts, name):
    """Virtual dataset v must equal the concatenation of parts, dtype included."""
    want = np.concatenate([p[()] for p in parts])
    got = v[()]
    check(v.dtype == parts[0].dtype, f"{name}: dtype {v.dtype} != {parts[0].dtype}")
    check(v.shape == want.shape, f"{name}: shape {v.shape} != {want.shape}")
    enum = h5py.check_enum_dtype(parts[0].dtype)
    check(h5py.check_enum_dtype(v.dtype) == enum, f"{name}: enum {h5py.check_enum_dtype(v.dtype)}")
    if h5py.check_string_dtype(parts[0].dtype):
        check(h5py.check_string_dtype(v.dtype) == h5py.check_string_dtype(parts[0].dtype),
              f"{name}: string type {h5py.check_string_dtype(v.dtype)}")
        check(list(got) == list(want), f"{name}: {got[:3]} != {want[:3]}")
    else:
        check(np.array_equal(got, want, equal_nan=got.dtype.kind == "f"), f"{name}: values differ")


def check_split(f, d, split):
    paths = shards_of(d, split)
    if not paths:
        check(split not in f, f"/{split} present without shards")
        return 0
    files = [h5py.File(p, "r") for p in paths]
    g = f[split]
    check_same(g["spectrogram"], [s["spectrogram"] for s in files], f"{split}/spectrogram")
    check(("audio" in g) == ("audio" in files[0]), f"{split}/audio presence")
    if "audio" in g:
        check_same(g["audio"], [s["audio"] for s in files], f"{split}/audio")
    names = set(files[0]["labels"].keys())
    check(set(g["labels"].keys()) == names, f"{split}/labels names {sorted(g['labels'].keys())}")
    for name in sorted(names):
        check_same(g["labels"][name], [s["labels"][name] for s in files], f"{split}/labels/{name}")
    check(g["labels/strip_fundamental"].dtype == np.bool_, "strip_fundamental is not bool")
    frames = files[0]["spectrogram"].shape[-1]
    check(g["labels/f0_frames"].shape[1:] == (frames,) and g["labels/f0_frames"].dtype == np.float32,
          f"{split}/labels/f0_frames {g['labels/f0_frames'].shape} {g['labels/f0_frames'].dtype}")
    if "audio" in g:
        check(g["audio"].attrs["scale"] == files[0]["audio"].attrs["scale"], f"{split}/audio scale")
    n = sum(s["spectrogram"].shape[0] for s in files)
    check(g.attrs["n_examples"] == n and f.attrs[f"n_examples_{split}"] == n, f"{split} n")
    check(g.attrs["n_shards"] == len(paths), f"{split} n_shards")
    for key in files[0].attrs:
        if key.startswith("rejected_"):
            total = sum(int(s.attrs[key]) for s in files)
            check(g.attrs[key] == total, f"{split} {key} {g.attrs[key]} != {total}")
    for s in files:
        s.close()
    return len(paths)


def check_stats(f, d):
    paths = shards_of(d, "train")
    if not paths:
        check("stats" not in f, "stats without train shards")
        return
    x = np.concatenate([h5py.File(p, "r")["spectrogram"][()] for p in paths]).astype(np.float64)
    if x.ndim == 3:  # [N, bins, frames] -> [N, 1, bins, frames]
        x = x[:, None]
    planes, bins = x.shape[1], x.shape[2]
    shape = (bins,) if planes == 1 else (planes, bins)
    lx = np.log(np.abs(x) + 1e-6)
    want = {"mean": x.mean(axis=(0, 3)), "std": x.std(axis=(0, 3)),
            "log_mean": lx.mean(axis=(0, 3)), "log_std": lx.std(axis=(0, 3))}
    for name, w in want.items():
        got = f["stats"][name]
        check(got.dtype == np.float32 and got.shape == shape, f"stats/{name} {got.dtype} {got.shape}")
        check(np.allclose(got[()].reshape(w.shape), w, rtol=1e-6, atol=1e-7),
              f"stats/{name}: {got[()].reshape(-1)[:4]} != {w.reshape(-1)[:4]}")
    count = f["stats/count"][()]
    check(count.shape == shape and np.all(count == x.shape[0] * x.shape[3]), f"stats/count {count}")


def check_checksums(f, d):
    table = f["checksums"][()]
    check(table.dtype.names == ("shard", "sha256"), f"checksums fields {table.dtype.names}")
    want = [os.path.basename(p) for s in SPLITS for p in shards_of(d, s)]
    got = [row["shard"].decode() for row in table]
    check(got == want, f"checksums shards {got} != {want}")
    for row in table:
        out = subprocess.run(["sha256sum", os.path.join(d, row["shard"].decode())],
                             capture_output=True, text=True, check=True).stdout.split()[0]
        check(row["sha256"].decode() == out, f"sha256 of {row['shard']}: {row['sha256']} != {out}")


def main():
    d = os.path.abspath(sys.argv[1])
    os.chdir("/")  # the shards must be found relative to dataset.h5, not to the cwd
    with h5py.File(os.path.join(d, "dataset.h5"), "r") as f:
        check(f.attrs["schema"] == "pitchforge-dataset/2", f"schema {f.attrs['schema']}")
        check("split" not in f.attrs and "shard_index" not in f.attrs, "per-shard attributes")
        check(f.attrs["generator_version"] == "pitchforge 0.1.0-test", "copied attributes")
        check(list(f.attrs["soundfont_ids"]) == ["fluidr3", "timgm6mb"], "soundfont_ids")
        n = sum(check_split(f, d, s) for s in SPLITS)
        check_stats(f, d)
        check_checksums(f, d)
    print(f"ok {d}: {n} shards")


if __name__ == "__main__":
    main()
