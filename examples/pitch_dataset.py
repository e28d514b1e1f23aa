"""Read a pitchforge dataset (schema pitchforge-dataset/2) from Python: copy this file into
your project.

    ds = PitchDataset("out/tiny/dataset.h5", split="train")
    spec, f0_hz = ds[0]            # spec: float32 [513, 90], normalized with /stats

    ds = PitchDataset("out/tiny/dataset.h5", split="train", frames=True, log=True,
                      pitch_check=("ok",))
    spec, f0_hz, f0_frames = ds[0] # f0_frames: float32 [90], Hz per column, 0 = unvoiced

Options:
- frames=True adds the per-column labels (/labels/f0_frames) as a third item; the default
  (False) keeps the two-item (spec, f0_hz) of earlier versions.
- log=True applies the trainer's `input: log`: x -> ln(|x| + 1e-6), then normalizes with
  /stats/log_mean and /stats/log_std (as src/train/loader.c; equal to a few float32 ulps).
  log=False normalizes with /stats/mean and /stats/std. A std of 0 counts as 1, as there.
- pitch_check keeps only the examples whose label audit verdict is one of the names given,
  e.g. ("ok",); None (the default) keeps every example. len() and indices count the kept ones.

- A dataset made with `store.spectrogram: float16` is read as float16 and widened to float32; one
  made with `store.spectrogram: none` has no /spectrogram: each item's spectrogram is computed
  from /audio with scipy.signal.spectrogram and the file's STFT attributes (in float64, then
  float32; within 1e-5 of the example's peak of what pitchforge computes, as tests/ref/
  check_example.py checks), so that case needs scipy.

Works as a torch.utils.data.Dataset (it has __len__ and __getitem__) and with any
loader that calls those. The HDF5 file is opened lazily, once per process: an HDF5 handle
must not cross a fork, so each DataLoader worker opens its own on first use.

dataset.h5 reads the shards beside it through HDF5 virtual datasets, and HDF5 returns zeros
for a shard it cannot find, without an error: the constructor therefore checks that every
shard of the split (listed in /checksums) is there and raises FileNotFoundError otherwise.
"""
import os

import h5py
import numpy as np

SCHEMA = "pitchforge-dataset/2"
LOG_EPS = np.float32(1e-6)


def _text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def _check_schema(path, f):
    got = _text(f.attrs.get("schema", "(none)"))
    if got != SCHEMA:
        by = _text(f.attrs.get("generator_version", "the pitchforge release that wrote it"))
        raise ValueError(f"{path}: schema {got!r}, but this reader reads {SCHEMA!r}: regenerate "
                         f"the dataset with the current pitchforge, or use {by}")


def _stft_params(f):
    """scipy.signal.spectrogram's arguments from a pitchforge file's root attributes, and the
    mode as pitchforge names it."""
    a = f.attrs
    return dict(fs=float(a["sample_rate"]), window=_text(a["stft_window"]),
                nperseg=int(a["stft_length"]), noverlap=int(a["stft_overlap"]),
                nfft=int(a["stft_nfft"]), detrend="constant",
                scaling=_text(a["spectrogram_scaling"])), _text(a["spectrogram_mode"])


def spectrogram_from_audio(x, params, mode):
    """The spectrogram pitchforge stores, of float signal x (/audio / audio_scale): [bins,
    frames] float32, or [2, bins, frames] for complex (real, imaginary)."""
    from scipy import signal  # only needed for datasets stored without spectrograms
    scipy_mode = "magnitude" if mode == "log-magnitude" else mode
    _, _, s = signal.spectrogram(np.asarray(x, np.float64), mode=scipy_mode, **params)
    if mode == "complex":
        s = np.stack([s.real, s.imag])
    elif mode == "log-magnitude":
        s = np.log(s + float(LOG_EPS))
    return s.astype(np.float32)


def _check_shards(path, f, split):
    """Raise FileNotFoundError when a shard of the split is not where HDF5 will look."""
    folder = os.environ.get("HDF5_VDS_PREFIX") or os.path.dirname(os.path.abspath(path))
    names = [_text(n) for n in f["checksums"]["shard"]]
    missing = [n for n in names if n.startswith(split + "-")
               and not os.path.exists(os.path.join(folder, n))]
    if missing:
        raise FileNotFoundError(
            f"{path}: {len(missing)} shard(s) of the {split} split are not in {folder}: "
            f"{', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''} (dataset.h5 reads "
            "its shards from its own folder; h5py would return zeros for them: copy the whole "
            "folder, or set HDF5_VDS_PREFIX to the shards' folder)")


class PitchDataset:
    """One split of a pitchforge dataset.h5, read through its virtual datasets."""

    def __init__(self, path, split="train", normalize=True, label="f0_hz", frames=False,
                 log=False, pitch_check=None):
        self.path, self.split, self.label = path, split, label
        self.normalize, self.frames, self.log = normalize, frames, log
        with h5py.File(path, "r") as f:
            _check_schema(path, f)
            if split not in f:
                raise KeyError(f"{path} has no {split!r} split")
            _check_shards(path, f, split)
            n = f[f"{split}/labels/example_id"].shape[0]
            self.computed = f"{split}/spectrogram" not in f  # store.spectrogram: none
            if self.computed:
                self.stft, self.mode = _stft_params(f)
                self.audio_scale = float(f.attrs["audio_scale"])
            self.indices = np.arange(n)
            if pitch_check is not None:
                self.indices = self._select(f, pitch_check)
            if normalize:
                if "stats" not in f:
                    raise KeyError(f"{path} has no /stats (no train split): use normalize=False")
                m, s = ("log_mean", "log_std") if log else ("mean", "std")
                self.mean = f["stats/" + m][()].astype(np.float32).reshape(-1, 1)
                std = f["stats/" + s][()].astype(np.float32).reshape(-1, 1)
                self.std = np.where(std > 0, std, np.float32(1))
        self._file, self._pid = None, None

    def _select(self, f, names):
        """Row numbers whose labels/pitch_check is one of @names."""
        d = f[f"{self.split}/labels/pitch_check"]
        codes = h5py.check_enum_dtype(d.dtype)
        unknown = [n for n in names if n not in codes]
        if unknown:
            raise ValueError(f"pitch_check {unknown}: not among {sorted(codes, key=codes.get)}")
        return np.flatnonzero(np.isin(d[()], [codes[n] for n in names]))

    def _open(self):
        if self._file is None or self._pid != os.getpid():
            self._file, self._pid = h5py.File(self.path, "r"), os.getpid()
        return self._file

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, i):
        f, row = self._open(), int(self.indices[i])
        if self.computed:
            x = f[f"{self.split}/audio"][row] / self.audio_scale
            spec = spectrogram_from_audio(x, self.stft, self.mode)
        else:
            spec = f[f"{self.split}/spectrogram"][row].astype(np.float32)
        if self.log:
            spec = np.log(np.abs(spec) + LOG_EPS)
        if self.normalize:
            shape = spec.shape  # [bins, frames], or [2, bins, frames] for complex
            spec = ((spec.reshape(self.mean.shape[0], -1) - self.mean) / self.std).reshape(shape)
        f0 = np.float32(f[f"{self.split}/labels/{self.label}"][row])
        if not self.frames:
            return spec, f0
        return spec, f0, f[f"{self.split}/labels/f0_frames"][row]

    def labels(self, name):
        """Every value of one label of the kept examples, e.g. labels('midi'); f0_frames gives
        [len, frames]."""
        return self._open()[f"{self.split}/labels/{name}"][()][self.indices]


def main(argv):
    path = argv[1] if len(argv) > 1 else "out/tiny/dataset.h5"
    ds = PitchDataset(path, "train", frames=True)
    spec, f0, f0_frames = ds[0]
    voiced = f0_frames > 0
    print(f"train: {len(ds)} examples, spectrogram {spec.shape}, first f0 {f0:.2f} Hz, "
          f"{voiced.sum()} of {voiced.size} columns voiced")
    try:
        import torch
        from torch.utils.data import DataLoader
    except ImportError:
        return 0
    ds = PitchDataset(path, "train")
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
