"""Load a pitchforge model file (schema pitchforge-model/1) or ensemble file
(pitchforge-ensemble/1, such as models/pitch.h5) into PyTorch: copy this file into your
project. Needs torch, h5py and numpy.

    import pitch_model
    model = pitch_model.load("models/pitch.h5")         # the ensemble: every network
    probs = model(spec)          # spec: [N, 513, 90] or [N, 1, 513, 90] magnitudes as the
                                 # dataset stores them -> [N, 370] mean bin probabilities
    hz, confidence = model.estimate(spec)               # the networks' decoding (below)

    net = pitch_model.load("models/pitch.h5", member=0) # one network (members count from 0
                                                        # here; a training config's init.member
                                                        # counts from 1)
    logits = net(spec)                                  # [N, 370], input prepared inside
    logits = net.layers(net.prepare(spec)).flatten(1)   # the same, step by step

Fine-tuning: every layer is a torch module (Conv2d, Linear, MaxPool2d, ReLU, Dropout, and
TimeStats, TimeStatsMap, Harmonics written with differentiable torch ops), so a network trains
as any other; for the `bins` target use the trainer's loss, BCEWithLogitsLoss, against Gaussian
targets (docs/training.md, "Targets"):

    net = pitch_model.load("models/pitch.h5", member=0).train()
    opt = torch.optim.Adam(net.parameters(), lr=2e-4)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(net(spec), target)
    opt.zero_grad(); loss.backward(); opt.step()

What it does, as pitchforge does (docs/model-format.md; tests/test_model.c checks it against
pitchforge's own forward pass and estimator):
- prepare(spec): `input: log` -> ln(|x| + 1e-6), then per bin (x - norm_mean) / norm_std with
  the statistics stored in the file (a std of 0 counts as 1), as pf_model_prepare_input.
- An ensemble's output is the mean of its members' outputs, each member preparing the input
  with its own statistics: for the `bins` target the mean of sigmoid(logits), otherwise the
  mean of the raw outputs (as pf_estimator_run).
- decode(): `bins`: the most probable bin, moved to the vertex of the parabola through the log
  probabilities of it and its neighbours (at most one bin; a peak at either end stays), then
  Hz; the confidence is that bin's probability. `hz`: output x 1000; `midi`: 440 * 2^output.
  This is the networks' own estimate only: the refinements `eval` and `predict` apply after it
  (harmonic peaks of the spectrogram, YIN's period and the key tuning meter from the audio;
  docs/model-format.md, "Decoding") are not part of this loader.
- Weights stored as float16 (`weights: float16`) are widened to float32 exactly.

    python3 pitch_model.py MODEL.h5 [MEMBER]    prints the networks and their layers
"""
import sys

import h5py
import numpy as np
import torch
from torch import nn

MODEL_SCHEMA = "pitchforge-model/1"
ENSEMBLE_SCHEMA = "pitchforge-ensemble/1"
LOG_EPS = 1e-6
HZ_SCALE = 1000.0  # target hz: the network outputs kHz
MIDI_REF = 69.0  # target midi: octaves from A4


def _text(v):
    return v.decode().rstrip("\0") if isinstance(v, bytes) else str(v)


def _hz(midi):
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=np.float64) - 69.0) / 12.0)


class TimeStats(nn.Module):
    """[N, 1, H, W] -> [N, 1, 1, H * (2 + k)]: per bin (row) the mean over W, the population
    std, and |rfft(x)[j]| / W for j = 1..k, bin-major."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def stats(self, x):  # [N, H, 2 + k]
        v = x[:, 0]
        w = v.shape[-1]
        mean = v.mean(-1, keepdim=True)
        std = v.std(-1, unbiased=False, keepdim=True)
        mag = torch.fft.rfft(v, dim=-1)[..., 1:self.k + 1].abs() / w
        return torch.cat([mean, std, mag], -1)

    def forward(self, x):
        return self.stats(x).reshape(x.shape[0], 1, 1, -1)

    def extra_repr(self):
        return f"k={self.k}"


class TimeStatsMap(TimeStats):
    """[N, 1, H, W] -> [N, 2 + k, 1, H]: TimeStats' numbers as channels along the H bins."""

    def forward(self, x):
        return self.stats(x).transpose(1, 2).unsqueeze(2)


class Harmonics(nn.Module):
    """[N, C, 1, W] along linear frequency (bin w at w * hz Hz) -> [N, C * k, 1, out] along log
    frequency: channel g * C + c, position i holds channel c read by linear interpolation at
    m_g * f_i, f_i = 440 * 2^((lo + i * step / 100 - 69) / 12), m_0 = 1/2, m_g = g; 0 where
    the two input bins around it are not both there. A fixed gather: no parameters. On
    [N, C, F, T] (height above 1: frequency along H, time along W, as the track preset has it)
    every time step is read alike: [N, C * k, out, T]."""

    def __init__(self, k, out, lo, step, hz, width):
        super().__init__()
        self.k, self.out, self.lo, self.step, self.hz = k, out, lo, step, hz
        f = _hz(lo + np.arange(out) * step / 100.0)
        idx, frac, keep = [], [], []
        for g in range(k):
            p = (g if g else 0.5) * f / hz
            j = np.floor(p).astype(np.int64)
            ok = (j >= 0) & (j + 1 < width)
            idx.append(np.where(ok, j, 0))
            frac.append(np.where(ok, p - j, 0.0))
            keep.append(ok)
        self.register_buffer("idx", torch.from_numpy(np.stack(idx)), persistent=False)
        self.register_buffer("frac", torch.from_numpy(np.stack(frac)).float(), persistent=False)
        self.register_buffer("keep", torch.from_numpy(np.stack(keep)).float(), persistent=False)

    def forward(self, x):
        if x.shape[2] > 1:  # [N, C, F, T]: each time step as a height-1 map
            n, c, f, t = x.shape
            y = self.forward(x.permute(0, 3, 1, 2).reshape(n * t, c, 1, f))
            return y.reshape(n, t, -1, self.out).permute(0, 2, 3, 1)
        v = x[:, :, 0, :]  # [N, C, W]
        a = self.frac.to(v.dtype)[:, None, :]  # [k, 1, out]
        y = ((1 - a) * v[:, :, self.idx].transpose(1, 2)
             + a * v[:, :, self.idx + 1].transpose(1, 2)) * self.keep.to(v.dtype)[:, None, :]
        return y.reshape(x.shape[0], -1, 1, self.out)  # [N, k, C, out] -> [N, k * C, 1, out]

    def extra_repr(self):
        return f"k={self.k}, out={self.out}, lo={self.lo}, step={self.step}, hz={self.hz}"


def _weights(g):
    """A layer group's weight and bias as float32 tensors (float16 files widened)."""
    return (torch.from_numpy(g["weight"][()].astype(np.float32)),
            torch.from_numpy(g["bias"][()].astype(np.float32)))


def _conv(row, g, c, h, w):
    wt, b = _weights(g)
    kh = 1 if h == 1 else int(row["kernel"])
    kw = int(row["kernel"])
    m = nn.Conv2d(c, int(row["out"]), (kh, kw), padding=(kh // 2, kw // 2))
    if tuple(wt.shape) != tuple(m.weight.shape):
        raise ValueError(f"{g.name}: weight {tuple(wt.shape)}, expected {tuple(m.weight.shape)}")
    m.weight.data.copy_(wt), m.bias.data.copy_(b)
    return [m], (int(row["out"]), h, w)


def _dense(row, g, c, h, w):
    wt, b = _weights(g)
    m = nn.Linear(c * h * w, int(row["out"]))
    if tuple(wt.shape) != tuple(m.weight.shape):
        raise ValueError(f"{g.name}: weight {tuple(wt.shape)}, expected {tuple(m.weight.shape)}")
    m.weight.data.copy_(wt), m.bias.data.copy_(b)
    return [nn.Flatten(), m, nn.Unflatten(1, (int(row["out"]), 1, 1))], (int(row["out"]), 1, 1)


def _maxpool(row, g, c, h, w):
    p = int(row["pool"])
    ph = 1 if h == 1 else p
    return [nn.MaxPool2d((ph, p))], (c, h // ph, w // p)


def _timestats(row, g, c, h, w):
    k = int(row["k"])
    return [TimeStats(k)], (1, 1, h * (2 + k))


def _timestats_map(row, g, c, h, w):
    k = int(row["k"])
    return [TimeStatsMap(k)], (2 + k, 1, h)


def _harmonics(row, g, c, h, w):
    k, out = int(row["k"]), int(row["out"])
    freq = w if h == 1 else h
    m = Harmonics(k, out, float(row["lo"]), float(row["step"]), float(row["hz"]), freq)
    return [m], (c * k, 1, out) if h == 1 else (c * k, out, w)


LAYERS = {  # kind -> builder(spec row, layer group, c, h, w) -> (modules, output shape)
    "conv": _conv,
    "dense": _dense,
    "maxpool": _maxpool,
    "relu": lambda row, g, c, h, w: ([nn.ReLU()], (c, h, w)),
    "dropout": lambda row, g, c, h, w: ([nn.Dropout(float(row["p"]))], (c, h, w)),
    "timestats": _timestats,
    "timestats_map": _timestats_map,
    "harmonics": _harmonics,
}


def decode(out, target="bins", lo_midi=35.0, step=0.2, probs=True):
    """Pitch in Hz and confidence from outputs [N, n] (the network's own decoding, without
    pitchforge's refinements). For `bins`, @p out holds probabilities (probs=True) or logits.
    Returns float64 numpy arrays hz [N] (0: no pitch) and confidence [N]."""
    y = out.detach().double().cpu().numpy()
    if target != "bins":
        hz = y[:, 0] * HZ_SCALE if target == "hz" else 440.0 * 2.0 ** y[:, 0]
        ok = hz > 0
        return np.where(ok, hz, 0.0), ok.astype(np.float64)
    # ln p: the log sigmoid of a logit, -log1p(exp(-y)) computed stably
    if probs:
        lp = np.log(np.maximum(y, 1e-300))
    else:
        lp = np.minimum(y, 0) - np.log1p(np.exp(-np.abs(y)))
    n = y.shape[1]
    peak = lp.argmax(1)
    rows = np.arange(len(y))
    bin_ = peak.astype(np.float64)
    inner = (peak > 0) & (peak + 1 < n)
    pk = np.clip(peak, 1, n - 2)
    y0, y1, y2 = lp[rows, pk - 1], lp[rows, pk], lp[rows, pk + 1]
    den = y0 - 2 * y1 + y2
    with np.errstate(divide="ignore", invalid="ignore"):
        move = np.clip(0.5 * (y0 - y2) / den, -1, 1)
    bin_ += np.where(inner & (den < 0), move, 0.0)
    hz = _hz(lo_midi + bin_ * step)
    conf = np.exp(lp[rows, peak])
    ok = hz > 0
    return np.where(ok, hz, 0.0), np.where(ok, conf, 0.0)


def _decode_meta(out, meta, probs):
    return decode(out, meta.get("target", "bins"), meta.get("bins_lo_midi", 35.0),
                  meta.get("bins_step", 0.2), probs)


class PitchNet(nn.Module):
    """One network of a model file: forward(spec) -> outputs [N, n] (logits for `bins`).
    `layers` (nn.Sequential) runs on prepared input [N, in_c, in_h, in_w]; `prepare` makes it
    from spectrograms as the dataset stores them; `meta` holds the file's /meta attributes."""

    def __init__(self, group):
        super().__init__()
        got = _text(group.attrs.get("schema", "(none)"))
        if got != MODEL_SCHEMA:
            raise ValueError(f"{group.file.filename}: schema {got!r}, this loader reads "
                             f"{MODEL_SCHEMA!r} (and {ENSEMBLE_SCHEMA!r}) only")
        self.in_shape = tuple(int(group.attrs[a]) for a in ("in_c", "in_h", "in_w"))
        c, h, w = self.in_shape
        mods = []
        for i, row in enumerate(group["spec"][()]):
            kind = _text(row["kind"])
            if kind not in LAYERS:
                raise ValueError(f"{group.file.filename}: layer {i}: unknown kind {kind!r}")
            g = group[f"layers/{i:02d}_{kind}"]
            m, (c, h, w) = LAYERS[kind](row, g, c, h, w)
            mods += m
        self.layers = nn.Sequential(*mods)
        meta = group["meta"]
        self.meta = {k: _text(v) if isinstance(v, (bytes, str)) else
                     v.item() if np.size(v) == 1 else v for k, v in meta.attrs.items()}
        h = self.in_shape[1]
        mean = meta["norm_mean"][()] if "norm_mean" in meta else np.zeros(h)
        std = meta["norm_std"][()] if "norm_std" in meta else np.ones(h)
        std = np.where(std > 0, std, 1)  # a std of 0 counts as 1
        self.register_buffer("norm_mean", torch.from_numpy(mean.astype(np.float32)))
        self.register_buffer("norm_std", torch.from_numpy(std.astype(np.float32)))

    def prepare(self, spec):
        """Spectrograms [N, in_h, in_w] or [N, in_c, in_h, in_w] (magnitudes as the dataset
        stores them) -> the network's input [N, in_c, in_h, in_w], float32, as
        pf_model_prepare_input: ln(|x| + 1e-6) for `input: log`, then (x - mean) / std per bin."""
        x = torch.as_tensor(spec, dtype=torch.float32).reshape(-1, *self.in_shape)
        if self.meta.get("input", "log") == "log":
            x = torch.log(x.abs() + LOG_EPS)
        return (x - self.norm_mean[:, None]) / self.norm_std[:, None]

    def forward(self, spec):
        return self.layers(self.prepare(spec)).flatten(1)

    def probabilities(self, spec):
        """sigmoid(outputs) for a `bins` target; the outputs themselves otherwise."""
        y = self(spec)
        return torch.sigmoid(y) if self.meta.get("target") == "bins" else y

    def estimate(self, spec):
        """The decoded pitch: numpy float64 hz [N] and confidence [N] (see decode)."""
        return _decode_meta(self(spec), self.meta, probs=False)


class PitchEnsemble(nn.Module):
    """The networks of an ensemble file: forward(spec) -> the mean of their probabilities
    [N, n_bins] (for `bins`; the mean of their outputs otherwise), each member preparing the
    spectrograms with its own statistics, as pitchforge's estimator does."""

    def __init__(self, members):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.meta = members[0].meta
        self.in_shape = members[0].in_shape

    def forward(self, spec):
        return torch.stack([m.probabilities(spec) for m in self.members]).mean(0)

    probabilities = forward

    def estimate(self, spec):
        """The decoded pitch of the mean probabilities: numpy float64 hz [N], confidence [N]."""
        return _decode_meta(self(spec), self.meta, probs=True)


def load(path, member=None):
    """A model file as a PitchNet; an ensemble file as a PitchEnsemble of every member, or with
    @p member = k (from 0) its network k as a PitchNet. Modules are returned in eval mode
    (dropout off), on the CPU, float32."""
    with h5py.File(path, "r") as f:
        schema = _text(f.attrs.get("schema", "(none)"))
        if schema == ENSEMBLE_SCHEMA:
            n = int(f.attrs["n_members"])
            if member is not None and not 0 <= member < n:
                raise ValueError(f"{path}: {n} members, no member {member} (they count from 0)")
            ks = range(n) if member is None else [member]
            nets = [PitchNet(f[f"members/{k:02d}"]) for k in ks]
            return (PitchEnsemble(nets) if member is None else nets[0]).eval()
        if schema != MODEL_SCHEMA:
            raise ValueError(f"{path}: schema {schema!r}, this loader reads {MODEL_SCHEMA!r} "
                             f"and {ENSEMBLE_SCHEMA!r} only: use the pitchforge that wrote it")
        if member not in (None, 0):
            raise ValueError(f"{path}: one model, no member {member}")
        return PitchNet(f).eval()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__.split("\n\n")[-1].strip())
    member = int(sys.argv[2]) if len(sys.argv) > 2 else None
    model = load(sys.argv[1], member)
    nets = model.members if isinstance(model, PitchEnsemble) else [model]
    for i, net in enumerate(nets):
        n = sum(p.numel() for p in net.parameters())
        print(f"network {i if member is None else member}: input {net.in_shape}, target {net.meta.get('target')}, "
              f"input {net.meta.get('input')}, {n:,} parameters")
        print(net.layers)


if __name__ == "__main__":
    main()
