#!/usr/bin/env python3
"""Runs examples/pitch_model.py (the PyTorch loader) for tests/test_model.c and
tests/test_estimator.c, which compare it with pitchforge's own forward pass and estimator.

    torch_check.py forward MODEL X.f32 N OUT.f32 [MEMBER]
        X: N prepared inputs [N][in_c][in_h][in_w] (raw little-endian float32); OUT: the
        network's outputs [N][out] (float32): the torch layers alone, in float32
    torch_check.py ensemble MODEL S.f32 N OUT.f64
        S: N spectrograms as the dataset stores them; OUT (float64): the loaded module's output
        [N][n] (an ensemble's mean probabilities; one network's logits), then the decoded Hz
        [N] and the confidence [N]
    torch_check.py finetune MODEL [DATASET]
        one Adam step on network 0 of MODEL: on the first 16 train spectrograms of DATASET
        with BCE against Gaussian targets at their labels (a `bins` model), or without DATASET
        on random inputs and targets (MSE); fails unless every parameter gets a finite,
        non-zero gradient and the loss (dropout off) falls

Needs torch (Debian: python3-torch; make deps installs it).
"""
import os
import sys

import numpy as np

try:
    import torch
except ImportError:
    sys.exit("torch_check.py: cannot import torch: install python3-torch (make deps does)")

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../examples"))
import pitch_model  # noqa: E402


def forward(model, xpath, n, out, member=0):
    net = pitch_model.load(model, member)
    x = torch.from_numpy(np.fromfile(xpath, dtype="<f4").reshape(n, *net.in_shape))
    with torch.no_grad():
        y = net.layers(x).flatten(1)
    y.numpy().astype("<f4").tofile(out)


def ensemble(model, spath, n, out):
    m = pitch_model.load(model)
    s = np.fromfile(spath, dtype="<f4").reshape(n, *m.in_shape)
    with torch.no_grad():
        y = m(s)
        hz, conf = m.estimate(s)
    np.concatenate([y.double().numpy().ravel(), hz, conf]).astype("<f8").tofile(out)


def batch(net, dataset):
    """Inputs and targets for one step: real spectrograms and Gaussian bin targets (the
    trainer's, blur 25 cents), or random ones."""
    g = torch.Generator().manual_seed(1)
    if dataset is None:
        x = torch.rand(8, *net.in_shape, generator=g) * 4
        with torch.no_grad():
            n_out = net(x).shape[1]
        return x, torch.randn(8, n_out, generator=g), torch.nn.functional.mse_loss
    import h5py
    with h5py.File(dataset, "r") as d:
        s = d["train/spectrogram"][:16].astype(np.float32)
        f0 = d["train/labels/f0_hz"][:16].astype(np.float64)
    meta = net.meta
    centre = meta["bins_lo_midi"] + np.arange(int(meta["n_bins"])) * meta["bins_step"]
    cents = 100 * (centre[None, :] - (69 + 12 * np.log2(f0[:, None] / 440)))
    t = torch.from_numpy(np.exp(-cents ** 2 / (2 * 25.0 ** 2))).float()
    return torch.from_numpy(s), t, torch.nn.functional.binary_cross_entropy_with_logits


def finetune(model, dataset=None):
    net = pitch_model.load(model, 0)
    x, t, loss_fn = batch(net, dataset)
    net.eval()
    with torch.no_grad():
        before = loss_fn(net(x), t).item()
    opt = torch.optim.Adam(net.parameters(), lr=1e-4)
    net.train()
    opt.zero_grad()
    loss_fn(net(x), t).backward()
    bad = []
    for name, p in net.named_parameters():
        g = p.grad
        if g is None or not torch.isfinite(g).all() or not (g != 0).any():
            bad.append(name)
    keep = [p.detach().clone() for p in net.parameters()]
    opt.step()
    moved = sum(int(not torch.equal(a, p.detach())) for a, p in zip(keep, net.parameters()))
    net.eval()
    with torch.no_grad():
        after = loss_fn(net(x), t).item()
    n = len(keep)
    print(f"finetune {model}: loss {before:.6f} -> {after:.6f} after one Adam step (lr 1e-4); "
          f"{n - len(bad)} of {n} parameter tensors with a finite non-zero gradient, {moved} moved")
    if bad:
        sys.exit("no usable gradient for " + ", ".join(bad))
    if not after < before or moved != n:
        sys.exit("one optimizer step did not lower the loss")


def main():
    a = sys.argv[1:]
    if len(a) >= 5 and a[0] == "forward":
        forward(a[1], a[2], int(a[3]), a[4], int(a[5]) if len(a) > 5 else 0)
    elif len(a) == 5 and a[0] == "ensemble":
        ensemble(a[1], a[2], int(a[3]), a[4])
    elif len(a) in (2, 3) and a[0] == "finetune":
        finetune(a[1], a[2] if len(a) > 2 else None)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
