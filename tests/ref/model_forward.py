#!/usr/bin/env python3
"""Forward pass of a pitchforge model file (schema pitchforge-model/1) with numpy and h5py
only, independent of the C code: the reference tests/test_model.c compares pf_model_forward
with, and an example of reading the format (docs/model-format.md).

    model_forward.py MODEL.h5 X.f32 N OUT.f32 [MEMBER]

X.f32 holds N examples [N][in_c][in_h][in_w] as raw little-endian float32; OUT.f32 receives
[N][out] float32. Dropout is the identity (inference). MEMBER (default 0) picks a network of an
ensemble file (pitchforge-ensemble/1), whose /members/NN each hold what a model file holds.
"""
import sys

import h5py
import numpy as np


def conv(x, w, b):
    """'same' zero-padded stride-1 convolution (cross-correlation, as PyTorch), NCHW."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2)))
    y = np.zeros((n, o, h, wd))
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nchw,oc->nohw", xp[:, :, i:i + h, j:j + wd], w[:, :, i, j])
    return y + b[None, :, None, None]


def maxpool(x, p):
    """p x p max pooling, stride p; 1 x p on a height-1 input."""
    n, c, h, w = x.shape
    ph = 1 if h == 1 else p
    ho, wo = h // ph, w // p
    return x[:, :, :ho * ph, :wo * p].reshape(n, c, ho, ph, wo, p).max(axis=(3, 5))


def timestats(x, k):
    """[N][1][H][W] -> [N][1][1][H*(2+k)]: per bin mean, population std, |rfft_j|/W, j=1..k."""
    n, _, h, w = x.shape
    x = x[:, 0]
    feats = [x.mean(-1, keepdims=True), x.std(-1, keepdims=True),
             np.abs(np.fft.rfft(x, axis=-1)[..., 1:k + 1]) / w]
    return np.concatenate(feats, -1).reshape(n, 1, 1, h * (2 + k))


def harmonics(x, k, out, lo, step, hz):
    """[N][C][1][W] along linear frequency (bins hz apart) -> [N][C*k][1][out] along log
    frequency: group g samples every channel at m_g times bin i's frequency (MIDI lo + i*step/100),
    m_0 = 1/2, m_g = g, by linear interpolation; 0 past the last input bin. On [N][C][F][T]
    (height above 1) frequency is F and every time step is sampled alike: [N][C*k][out][T]."""
    if x.shape[2] > 1:
        n, c, f, t = x.shape
        y = harmonics(x.transpose(0, 3, 1, 2).reshape(n * t, c, 1, f), k, out, lo, step, hz)
        return y.reshape(n, t, k * c, out).transpose(0, 2, 3, 1)
    n, c, _, w = x.shape
    midi = lo + np.arange(out) * step / 100.0
    y = np.zeros((n, k, c, out))
    for g in range(k):
        pos = (g if g else 0.5) * 440.0 * 2.0 ** ((midi - 69) / 12) / hz
        j = np.floor(pos).astype(int)
        ok = j + 1 < w
        a, xs = pos[ok] - j[ok], x[:, :, 0, :]
        y[:, g][..., ok] = (1 - a) * xs[..., j[ok]] + a * xs[..., j[ok] + 1]
    return y.reshape(n, k * c, 1, out)


def timestats_map(x, k):
    """[N][1][H][W] -> [N][2+k][1][H]: the timestats of each bin as channels."""
    n, _, h, _ = x.shape
    return timestats(x, k).reshape(n, h, 2 + k).transpose(0, 2, 1)[:, :, None, :]


def text(v):
    return v.decode() if isinstance(v, bytes) else v


def network(f, member):
    """The group holding the network: the file itself, or /members/NN of an ensemble."""
    if text(f.attrs["schema"]) == "pitchforge-ensemble/1":
        return f["members/%02d" % member]
    if member:
        raise SystemExit("%s: one model, no member %d" % (f.filename, member))
    return f


def forward(path, x, member=0):
    with h5py.File(path, "r") as h:
        f = network(h, member)
        schema = f.attrs["schema"]
        schema = schema.decode() if isinstance(schema, bytes) else schema
        if schema != "pitchforge-model/1":
            raise SystemExit("%s: schema %s, this script reads pitchforge-model/1" % (path, schema))
        y = x.astype(np.float64)
        for i, row in enumerate(f["spec"][:]):
            kind = row["kind"].decode().rstrip("\0")
            g = f["layers/%02d_%s" % (i, kind)]
            if kind == "conv":
                y = conv(y, g["weight"][:].astype(np.float64), g["bias"][:])
            elif kind == "relu":
                y = np.maximum(y, 0)
            elif kind == "maxpool":
                y = maxpool(y, int(row["pool"]))
            elif kind == "dense":
                y = y.reshape(y.shape[0], -1) @ g["weight"][:].T.astype(np.float64) + g["bias"][:]
                y = y[:, :, None, None]
            elif kind == "timestats":
                y = timestats(y, int(row["k"]))
            elif kind == "timestats_map":
                y = timestats_map(y, int(row["k"]))
            elif kind == "harmonics":
                y = harmonics(y, int(row["k"]), int(row["out"]), float(row["lo"]),
                              float(row["step"]), float(row["hz"]))
            elif kind != "dropout":
                raise SystemExit("unknown layer kind " + kind)
        return y.reshape(y.shape[0], -1)


def main():
    model, xpath, n, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    member = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    with h5py.File(model, "r") as h:
        f = network(h, member)
        shape = (n, int(f.attrs["in_c"]), int(f.attrs["in_h"]), int(f.attrs["in_w"]))
    x = np.fromfile(xpath, dtype="<f4").reshape(shape)
    forward(model, x, member).astype("<f4").tofile(out)


if __name__ == "__main__":
    main()
