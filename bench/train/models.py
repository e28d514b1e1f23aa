"""PyTorch twins of the pitchforge trainer's layers (include/pitchforge/nn.h) and presets.

Only the layers the C side supports: conv (k x k, stride 1, 'same', bias), maxpool (p x p,
stride p, floor), relu, dropout (inverted), dense (flattens C*H*W, bias) and timestats(k).
A model is a list of layer specs, as in a training config:

    [("timestats", {"k": 8}), ("dense", {"out": 512}), ("relu", {}), ("dropout", {"p": 0.1}),
     ("dense", {"out": 256}), ("relu", {}), ("dense", {"out": 366})]
"""
import torch
from torch import nn

IN_SHAPE = (1, 513, 90)


class TimeStats(nn.Module):
    """[B][1][H][W] -> [B][H*(2+k)]: per bin (bin-major) mean over time, population std over
    time, |rfft along time| of modulation bins 1..k divided by W."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, x):
        b, c, h, w = x.shape
        assert c == 1, "timestats takes one channel"
        x = x.reshape(b, h, w)
        parts = [x.mean(-1, keepdim=True), x.std(-1, unbiased=False, keepdim=True)]
        if self.k > 0:
            parts.append(torch.fft.rfft(x, dim=-1)[..., 1:self.k + 1].abs() / w)
        return torch.cat(parts, -1).reshape(b, h * (2 + self.k))

    def extra_repr(self):
        return f"k={self.k}"


class Dense(nn.Linear):
    """Linear that flattens C*H*W first, as the C dense layer does."""

    def forward(self, x):
        return super().forward(x.flatten(1))


def build(layers, in_shape=IN_SHAPE):
    """nn.Sequential from a layer list; shapes tracked as in the C model."""
    mods = []
    c, h, w = in_shape
    flat = None  # size once flattened (timestats/dense)
    for kind, a in layers:
        if kind == "conv":
            assert flat is None
            kk = a.get("kernel", 3)
            mods.append(nn.Conv2d(c, a["out"], kk, padding=kk // 2))
            c = a["out"]
        elif kind == "maxpool":
            assert flat is None
            mods.append(nn.MaxPool2d(a["pool"]))
            h, w = h // a["pool"], w // a["pool"]
        elif kind == "relu":
            mods.append(nn.ReLU())
        elif kind == "dropout":
            mods.append(nn.Dropout(a["p"]))
        elif kind == "timestats":
            assert flat is None and c == 1
            mods.append(TimeStats(a["k"]))
            flat = h * (2 + a["k"])
        elif kind == "dense":
            n_in = flat if flat is not None else c * h * w
            mods.append(Dense(n_in, a["out"]))
            flat = a["out"]
        else:
            raise ValueError(f"unknown layer {kind!r}")
    return nn.Sequential(*mods)


def seed_layers(n_out=1, p_in=0.2, p_conv=0.25, p_dense=0.5):
    """The seed network: input dropout, 4 x (conv 3x3 + relu + maxpool 2 + dropout),
    dense 256 + relu + dropout, dense 64 + relu, dense n_out (about 11 M parameters)."""
    L = [("dropout", {"p": p_in})]
    for f in (64, 128, 128, 256):
        L += [("conv", {"out": f, "kernel": 3}), ("relu", {}), ("maxpool", {"pool": 2}),
              ("dropout", {"p": p_conv})]
    L += [("dense", {"out": 256}), ("relu", {}), ("dropout", {"p": p_dense}),
          ("dense", {"out": 64}), ("relu", {}), ("dense", {"out": n_out})]
    return L


def fast_layers(k=8, hidden=(512, 256), p=0.1, n_out=366):
    """timestats k -> dense h1 -> relu -> dropout p -> dense h2 -> relu -> ... -> dense n_out."""
    L = [("timestats", {"k": k})]
    for i, hdim in enumerate(hidden):
        L += [("dense", {"out": hdim}), ("relu", {})]
        if i == 0 and p > 0:
            L.append(("dropout", {"p": p}))
    L.append(("dense", {"out": n_out}))
    return L


# The recommended `fast` preset (docs/fast-model.md); set from bench/train/fast_search.py.
FAST = fast_layers(k=45, hidden=(512, 256), p=0.1, n_out=366)

# The trainer's default target (src/train/config.c): 370 bins of 20 cents, bin i centred on
# MIDI 35 + 0.2 i, Gaussian blur of 25 cents; BCE on logits.
BINS_LO_MIDI, BINS_STEP, N_BINS, BLUR_CENTS = 35.0, 0.2, 370, 25.0

# The C presets (src/train/presets.c) with the default target's outputs, layer for layer.
PRESETS = {
    "seed": seed_layers(n_out=N_BINS, p_in=0.25),
    "fast": fast_layers(k=45, hidden=(512, 256), p=0.1, n_out=N_BINS),
}


def layers_str(layers):
    out = []
    for kind, a in layers:
        out.append(kind + ("" if not a else " " + ",".join(f"{k}={v}" for k, v in a.items())))
    return " -> ".join(out)


def n_params(model):
    return sum(p.numel() for p in model.parameters())
