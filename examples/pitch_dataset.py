"""Read a pitchforge dataset from Python: copy this file into your project.

    ds = PitchDataset("out/tiny/dataset.h5", split="train")
    spec, f0_hz = ds[0]            # spec: float32 [513, 90], normalized with /stats

Works as a torch.utils.data.Dataset (it has __len__ and __getitem__) and with any
loader that calls those. The HDF5 file is opened lazily, once per process: an HDF5 handle
must not cross a fork, so each DataLoader worker opens its own on first use.
"""
import os

import h5py
import numpy as np


class PitchDataset:
    """One split of a pitchforge dataset.h5, read through its virtual datasets."""

    def __init__(self, path, split="train", normalize=True, label="f0_hz"):
        self.path, self.split, self.label = path, split, label
        with h5py.File(path, "r") as f:
            schema = f.attrs["schema"]
            schema = schema.decode() if isinstance(schema, bytes) else schema
            if schema != "pitchforge-dataset/1":
                raise ValueError(f"{path}: schema {schema!r}, expected 'pitchforge-dataset/1'")
            self.length = f[f"{split}/spectrogram"].shape[0]
            self.mean = f["stats/mean"][()].astype(np.float32).reshape(-1, 1)
            self.std = f["stats/std"][()].astype(np.float32).reshape(-1, 1)
        self.normalize = normalize
        self._file, self._pid = None, None

    def _open(self):
        if self._file is None or self._pid != os.getpid():
            self._file, self._pid = h5py.File(self.path, "r"), os.getpid()
        return self._file

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        f = self._open()
        spec = f[f"{self.split}/spectrogram"][i].astype(np.float32)
        if self.normalize:
            spec = (spec - self.mean) / np.maximum(self.std, 1e-8)
        return spec, np.float32(f[f"{self.split}/labels/{self.label}"][i])

    def labels(self, name):
        """Every value of one label of this split, e.g. labels('midi')."""
        return self._open()[f"{self.split}/labels/{name}"][()]


def main(argv):
    path = argv[1] if len(argv) > 1 else "out/tiny/dataset.h5"
    ds = PitchDataset(path, "train")
    spec, f0 = ds[0]
    print(f"train: {len(ds)} examples, spectrogram {spec.shape}, first f0 {f0:.2f} Hz")
    try:
        import torch
        from torch.utils.data import DataLoader
    except ImportError:
        return 0
    loader = DataLoader(ds, batch_size=16, shuffle=True, num_workers=2,
                        generator=torch.Generator().manual_seed(0))
    n = 0
    for specs, f0s in loader:
        assert specs.shape[1:] == (513, 90) and torch.isfinite(specs).all()
        n += specs.shape[0]
    print(f"torch DataLoader with 2 workers read {n} examples")
    return 0 if n == len(ds) else 1


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv))
