#!/usr/bin/env python3
"""Write tests/fixtures/nn_parity.h5: four tiny networks run by PyTorch (float64), for the
parity test in tests/test_model.c. Run once and commit the output (CI has no torch):

    /usr/bin/python3 tests/ref/make_nn_fixture.py tests/fixtures/nn_parity.h5

Each network NAME is a group with
  x [N][C][H][W], dy [N][OUT]           the input and dLoss/dy
  y [N][OUT], dx [N][C][H][W]           forward output and input gradient
  param_I_weight, param_I_bias          layer I's parameters (PyTorch layout)
  grad_I_weight, grad_I_bias            their gradients
and attributes `layers` (kind names), `out`, `kernel`, `pool`, `k`, `lo`, `step`, `hz` (per
layer, 0 when unused)
and `in_shape` [C, H, W]. Everything is float32 (computed in float64, then rounded).
"""
import sys

import h5py
import numpy as np
import torch

torch.manual_seed(20240611)

# (kind, out, kernel, pool, k[, (lo, step, hz)])
NETS = {
    # conv 1->16 (direct in oneDNN), conv 16->16 (Winograd), pools, flatten, dense
    "cnn": ((2, 1, 12, 10), [("conv", 16, 3, 0, 0), ("relu", 0, 0, 0, 0), ("maxpool", 0, 0, 2, 0),
                             ("conv", 16, 3, 0, 0), ("relu", 0, 0, 0, 0), ("maxpool", 0, 0, 2, 0),
                             ("dense", 8, 0, 0, 0), ("relu", 0, 0, 0, 0), ("dense", 3, 0, 0, 0)]),
    "tstats": ((2, 1, 6, 16), [("timestats", 0, 0, 0, 3), ("dense", 5, 0, 0, 0),
                               ("relu", 0, 0, 0, 0), ("dense", 2, 0, 0, 0)]),
    # timestats as channels, convs along frequency (kernel 1 x k on height 1), pool 1 x 2
    "tsmap": ((2, 1, 6, 16), [("timestats_map", 0, 0, 0, 3), ("conv", 4, 3, 0, 0),
                              ("relu", 0, 0, 0, 0), ("conv", 4, 5, 0, 0), ("relu", 0, 0, 0, 0),
                              ("maxpool", 0, 0, 2, 0), ("dense", 3, 0, 0, 0)]),
    # a conv along linear frequency, harmonics (1/2, 1, 2, 3 times 10 log bins 3 semitones apart
    # from A2; input bins 50 Hz apart, so 3x the top bins falls past the last input bin), convs
    # along log frequency
    "harm": ((2, 1, 24, 16), [("timestats_map", 0, 0, 0, 3), ("conv", 3, 3, 0, 0),
                              ("harmonics", 10, 0, 0, 4, (45.0, 300.0, 50.0)),
                              ("conv", 4, 3, 0, 0), ("relu", 0, 0, 0, 0), ("dense", 3, 0, 0, 0)]),
}


def timestats(x, k):
    """[N][1][H][W] -> [N][1][1][H*(2+k)]: per bin mean, population std, |rfft_j|/W, j=1..k."""
    n, _, h, w = x.shape
    x = x[:, 0]
    mean = x.mean(-1, keepdim=True)
    std = x.std(-1, unbiased=False, keepdim=True)
    mag = torch.fft.rfft(x, dim=-1)[..., 1:k + 1].abs() / w
    return torch.cat([mean, std, mag], -1).reshape(n, 1, 1, h * (2 + k))


def timestats_map(x, k):
    """[N][1][H][W] -> [N][2+k][1][H]: the timestats of each bin as channels."""
    n, _, h, _ = x.shape
    return timestats(x, k).reshape(n, h, 2 + k).permute(0, 2, 1).unsqueeze(2)


def harmonics(x, k, out, lo, step, hz):
    """[N][C][1][W] (bins hz Hz apart) -> [N][k*C][1][out]: group g samples each channel at
    m_g = 1/2, 1, 2, .. times log bin i's frequency, interpolating linearly, 0 past the input."""
    n, c, _, w = x.shape
    midi = lo + np.arange(out) * step / 100.0
    groups = []
    for g in range(k):
        pos = (g if g else 0.5) * 440.0 * 2.0 ** ((midi - 69) / 12) / hz
        j = np.floor(pos).astype(np.int64)
        ok = j + 1 < w
        jj = torch.tensor(np.where(ok, j, 0))
        a = torch.tensor(np.where(ok, pos - j, 0.0))
        m = torch.tensor(ok.astype(np.float64))
        xs = x[:, :, 0, :]
        groups.append(m * ((1 - a) * xs[..., jj] + a * xs[..., jj + 1]))
    return torch.cat(groups, 1).unsqueeze(2)


def build(shape, layers):
    """Modules (or callables) for the layers, tracking the shape."""
    c, h, w = shape[1:]
    mods = []
    for kind, out, kernel, pool, k, *extra in layers:
        if kind == "conv":  # on height 1: 1 x kernel, along W only
            kh = 1 if h == 1 else kernel
            m = torch.nn.Conv2d(c, out, (kh, kernel), padding=(kh // 2, kernel // 2)).double()
            c = out
        elif kind == "relu":
            m = torch.nn.ReLU()
        elif kind == "maxpool":
            ph = 1 if h == 1 else pool
            m = torch.nn.MaxPool2d((ph, pool))
            h, w = h // ph, w // pool
        elif kind == "dense":
            m = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(c * h * w, out).double())
            c, h, w = out, 1, 1
        elif kind == "timestats":
            m = (lambda kk: (lambda x: timestats(x, kk)))(k)
            c, h, w = 1, 1, h * (2 + k)
        elif kind == "timestats_map":
            m = (lambda kk: (lambda x: timestats_map(x, kk)))(k)
            c, h, w = 2 + k, 1, h
        elif kind == "harmonics":
            m = (lambda a: (lambda x: harmonics(x, *a)))((k, out) + extra[0])
            c, w = c * k, out
        mods.append(m)
    return mods


def params_of(m):
    if isinstance(m, torch.nn.Conv2d):
        return m
    if isinstance(m, torch.nn.Sequential):
        return m[1]
    return None


def run(g, shape, layers):
    mods = build(shape, layers)
    for m in mods:  # round parameters to float32 so C and torch see the same values
        p = params_of(m)
        if p is not None:
            with torch.no_grad():
                p.weight.copy_(p.weight.float().double())
                p.bias.copy_(p.bias.float().double())
    x = torch.randn(*shape, dtype=torch.float64).float().double().requires_grad_(True)
    y = x
    for m in mods:
        y = m(y)
    y = y.reshape(shape[0], -1)
    dy = torch.randn(*y.shape, dtype=torch.float64).float().double()
    y.backward(dy)
    f32 = lambda t: t.detach().numpy().astype(np.float32)
    g["x"], g["dy"], g["y"], g["dx"] = f32(x), f32(dy), f32(y), f32(x.grad)
    for i, m in enumerate(mods):
        p = params_of(m)
        if p is None:
            continue
        g[f"param_{i}_weight"], g[f"param_{i}_bias"] = f32(p.weight), f32(p.bias)
        g[f"grad_{i}_weight"], g[f"grad_{i}_bias"] = f32(p.weight.grad), f32(p.bias.grad)
    g.attrs["layers"] = [l[0] for l in layers]
    for j, name in enumerate(("out", "kernel", "pool", "k")):
        g.attrs[name] = np.array([l[1 + j] for l in layers], dtype=np.int32)
    for j, name in enumerate(("lo", "step", "hz")):
        g.attrs[name] = np.array([l[5][j] if len(l) > 5 else 0 for l in layers], dtype=np.float32)
    g.attrs["in_shape"] = np.array(shape[1:], dtype=np.int32)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/nn_parity.h5"
    with h5py.File(path, "w") as f:
        f.attrs["made_by"] = "tests/ref/make_nn_fixture.py (torch %s, float64)" % torch.__version__
        for name, (shape, layers) in NETS.items():
            run(f.create_group(name), shape, layers)
    print("wrote", path)


if __name__ == "__main__":
    main()
