"""Check a shard written by tests/test_shard.c with h5py alone (an independent reader).

usage: check_shard.py SHARD EXPECTED.json SPEC.f32 AUDIO.raw
Compares every label, spectrogram and audio value, the dtypes as h5py sees them (enums,
bool, UTF-8 strings), chunking and compression, the root attributes and the /stats sums.
Exits 1 with a message on the first difference.
"""
import json
import sys

import h5py
import numpy as np

from refcheck import check, fail

LABEL_DTYPES = {
    "f0_hz": "float64", "midi": "int16", "cents": "float32", "octave": "int8",
    "pitch_class": "int8", "velocity": "uint8", "program": "uint8", "bank": "uint16",
    "soundfont": "uint8", "example_id": "uint64", "rms_dbfs": "float32", "volume": "float32",
    "noise_snr_db": "float32", "segment_offset": "int32", "measured_f0_hz": "float32",
    "pitch_error_cents": "float32", "segment": "int8", "pitch_check": "uint8",
    "strip_fundamental": "bool", "source": "uint8",
}
ENUMS = {
    "segment": {"attack": 0, "sustain": 1, "decay": 2, "onset": 3, "release": 4, "gap": 5},
    "pitch_check": {"ok": 0, "off": 1, "octave": 2, "unvoiced": 3, "skipped": 4},
    "source": {"note": 0, "silence": 1, "near_silence": 2, "white": 3, "pink": 4, "brown": 5,
               "percussion": 6},
}



def check_labels(f, exp):
    n = exp["n"]
    names = set(f["labels"].keys())
    check(names == set(LABEL_DTYPES) | {"instrument", "f0_frames"}, f"label names {sorted(names)}")
    for name, dt in LABEL_DTYPES.items():
        d = f["labels"][name]
        check(d.shape == (n,), f"labels/{name} shape {d.shape}")
        check(d.dtype == np.dtype(dt), f"labels/{name} dtype {d.dtype} != {dt}")
        if name in ENUMS:
            check(h5py.check_enum_dtype(d.dtype) == ENUMS[name],
                  f"labels/{name} enum {h5py.check_enum_dtype(d.dtype)}")
        want = np.array(exp["labels"][name], dtype=np.float64).astype(dt)
        got = d[()]
        equal = np.array_equal(got, want, equal_nan=got.dtype.kind == "f")
        check(equal, f"labels/{name}: {got} != {want}")
    d = f["labels/instrument"]
    info = h5py.check_string_dtype(d.dtype)
    check(info is not None and info.encoding == "utf-8" and info.length is None,
          f"instrument dtype {d.dtype} {info}")
    got = [s.decode("utf-8") for s in d[()]]
    check(got == exp["labels"]["instrument"], f"instrument {got}")
    # per-column f0: float32 [n, frames], as written (rows written with NULL hold f0_hz)
    d = f["labels/f0_frames"]
    check(d.dtype == np.float32 and d.shape == (n, exp["frames"]), f"f0_frames {d.dtype} {d.shape}")
    want = np.array(exp["labels"]["f0_frames"], dtype=np.float64).reshape(n, exp["frames"])
    got = d[()]
    check(np.array_equal(got, want.astype(np.float32)), f"f0_frames: {got[:2]} != {want[:2]}")
    check(np.isfinite(got).all() and (got >= 0).all(), "f0_frames not finite or negative")
    f0 = f["labels/f0_hz"][()].astype(np.float32)
    steady = (got == f0[:, None]).all(axis=1)
    ids = f["labels/example_id"][()]
    check(np.array_equal(steady[ids % 4 == 0], np.ones((ids % 4 == 0).sum(), bool)),
          "rows written without f0_frames do not hold f0_hz at every column")


def check_data(f, exp, spec_path, audio_path):
    n, planes, bins, frames = exp["n"], exp["planes"], exp["bins"], exp["frames"]
    shape = (n, bins, frames) if planes == 1 else (n, 2, bins, frames)
    s = f["spectrogram"]
    check(s.shape == shape and s.dtype == np.float32, f"spectrogram {s.shape} {s.dtype}")
    check(s.chunks == (1,) + shape[1:], f"spectrogram chunks {s.chunks}")
    check(s.maxshape[0] is None, f"spectrogram maxshape {s.maxshape}")
    if exp["gzip"]:
        check(s.compression == "gzip" and s.compression_opts == exp["gzip"] and s.shuffle,
              f"compression {s.compression} {s.compression_opts} {s.shuffle}")
    else:
        check(s.compression is None, f"compression {s.compression}")
    want = np.fromfile(spec_path, dtype=np.float32).reshape(shape)
    check(np.array_equal(s[()], want), "spectrogram values differ")
    if exp["audio"] == "none":
        check("audio" not in f, "unexpected /audio")
        check("audio_scale" not in f.attrs, "audio_scale without /audio")
    else:
        a = f["audio"]
        want = np.fromfile(audio_path, dtype=exp["audio"]).reshape(n, exp["audio_len"])
        check(a.dtype == np.dtype(exp["audio"]) and a.shape == want.shape,
              f"audio {a.dtype} {a.shape}")
        check(np.array_equal(a[()], want), "audio values differ")
        scale = 32768.0 if exp["audio"] == "int16" else 1.0
        check(a.attrs["scale"] == scale and f.attrs["audio_scale"] == scale,
              f"audio scale {a.attrs.get('scale')} {f.attrs.get('audio_scale')} != {scale}")


def check_stats(f, exp, spec_path):
    n, planes, bins, frames = exp["n"], exp["planes"], exp["bins"], exp["frames"]
    x = np.fromfile(spec_path, dtype=np.float32).reshape(n, planes * bins, frames)
    x = x.astype(np.float64)
    lx = np.log(np.abs(x) + 1e-6)
    want = {"sum": x.sum(axis=(0, 2)), "sumsq": (x * x).sum(axis=(0, 2)),
            "log_sum": lx.sum(axis=(0, 2)), "log_sumsq": (lx * lx).sum(axis=(0, 2))}
    for name, w in want.items():
        got = f["stats"][name][()]
        check(got.dtype == np.float64 and got.shape == (planes * bins,), f"stats/{name} shape")
        # log stats take each log in float32 (logf) and sum in double
        tol = 1e-6 if name.startswith("log") else 1e-9
        check(np.allclose(got, w, rtol=tol, atol=tol), f"stats/{name} {got[:4]} != {w[:4]}")
    count = f["stats/count"][()]
    check(np.all(count == n * frames), f"stats/count {count[:4]}")


def check_attrs(f, exp):
    for name, want in exp["attrs"].items():
        check(name in f.attrs, f"missing attribute {name}")
        got = f.attrs[name]
        if isinstance(want, list):
            got = [g.decode() if isinstance(g, bytes) else g for g in got]
            check(list(got) == want, f"attribute {name}: {got} != {want}")
        else:
            check(got == want, f"attribute {name}: {got!r} != {want!r}")
    m = f.attrs["manifest"]
    check(isinstance(m, str) and m.startswith("seed: 7") and "ünïcödé" in m, f"manifest {m!r}")


def main():
    shard, exp_path, spec_path, audio_path = sys.argv[1:5]
    with open(exp_path) as fp:
        exp = json.load(fp)
    with h5py.File(shard, "r") as f:
        check_labels(f, exp)
        check_data(f, exp, spec_path, audio_path)
        check_stats(f, exp, spec_path)
        check_attrs(f, exp)
    print("ok", shard)


if __name__ == "__main__":
    main()
