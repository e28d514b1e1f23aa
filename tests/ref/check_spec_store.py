"""h5py's view of the shards tests/test_shard.c writes with store.spectrogram float32, float16 and
none (folders DIR/float32, DIR/float16, DIR/none, each a train shard and its dataset.h5): float16
is numpy float16 equal to np.float16 of the float32 shard's values (numpy's rounding); none has no
/spectrogram, in the shard or in dataset.h5, and the same /audio and /stats/sum as float32."""
import sys

import h5py
import numpy as np

d = sys.argv[1]
name = "train-00000-of-00001.h5"
f32, f16, none = (h5py.File(f"{d}/{k}/{name}", "r") for k in ("float32", "float16", "none"))
x = f32["spectrogram"][()]
h = f16["spectrogram"]
assert h.dtype == np.float16, h.dtype
assert np.array_equal(h[()].view(np.uint16), x.astype(np.float16).view(np.uint16)), "not numpy's rounding"
assert "spectrogram" not in none and "audio" in none
assert np.array_equal(none["audio"][()], f32["audio"][()])
assert np.array_equal(none["stats/sum"][()], f32["stats/sum"][()]), "none: /stats differs from float32's"
s16 = h[()].astype(np.float64).sum(axis=(0, 2))
assert np.allclose(f16["stats/sum"][()], s16, rtol=1e-12, atol=0), "float16 /stats/sum is not of the stored values"
with h5py.File(f"{d}/none/dataset.h5", "r") as idx:
    assert "spectrogram" not in idx["train"] and idx["train/audio"].shape == none["audio"].shape
with h5py.File(f"{d}/float16/dataset.h5", "r") as idx:
    assert idx["train/spectrogram"].dtype == np.float16
print(f"ok: float16 is numpy's float16 ({x.size} values), none has audio and float32's stats")
