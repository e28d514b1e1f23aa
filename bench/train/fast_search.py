#!/usr/bin/python3
"""Choose the `fast` pitch model by measurement: timestats(k) + dense/relu/dropout candidates,
one epoch each on a pitchforge dataset's train split, scored on its val split.

    /usr/bin/python3 bench/train/fast_search.py /tmp/pf-default/dataset.h5 [--epochs 1]
        [--candidates k0,k4,k8,k8w,k16,k32,k8midi] [--limit-train N] [--out results.jsonl]

Input as the trainer's "log" input: ln(spec + 1e-6) normalized per bin with /stats/log_mean
and /stats/log_std. timestats is the first layer and has no parameters, so its output for
k = KMAX is computed once per example and cached (--cache-dir, [N][513][2+KMAX] float32); a
candidate with k <= KMAX trains on the first 2+k values of every bin, which is exactly what
timestats(k) gives. Training speed is measured separately on the whole model, timestats
included, from spectrograms (one thread by default: --threads).

Targets: `bins`: n_bins sigmoid outputs, bin i centred on MIDI lo + step*i, Gaussian-blurred
one-hot (std --blur cents) + BCE; decoded as CREPE does (sigmoid-weighted average of the 9
bins around the argmax). `midi`: one output, MSE on (midi - 72) / 12.
Prints one JSON line per candidate and a table; docs/fast-model.md has the results.
"""
import argparse
import json
import os
import sys
import time

import h5py
import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import models as M  # noqa: E402

EPS = 1e-6
LO, STEP, NBINS = 35.0, 0.2, 366   # bin 0 = MIDI 35.0 (B1), bin 365 = MIDI 108.0 (C8)


def candidates():
    C = {}
    for k in (0, 4, 8, 16, 32):
        C[f"k{k}"] = dict(k=k, hidden=(512, 256), p=0.1, target="bins")
    C["k8w"] = dict(k=8, hidden=(1024, 256), p=0.1, target="bins")
    C["k16w"] = dict(k=16, hidden=(1024, 256), p=0.1, target="bins")
    C["k8p3"] = dict(k=8, hidden=(512, 256), p=0.3, target="bins")
    C["k8midi"] = dict(k=8, hidden=(512, 256), p=0.1, target="midi")
    C["k16midi"] = dict(k=16, hidden=(512, 256), p=0.1, target="midi")
    C["k45"] = dict(k=45, hidden=(512, 256), p=0.1, target="bins")
    # z-scored timestats features (per value, train statistics): NOT a C layer as such, but
    # foldable into the first dense layer's weights and bias once trained (see the doc)
    for nm in list(C):
        C[nm + "z"] = dict(C[nm], z=True)
    return C


def layers_of(c):
    n_out = NBINS if c["target"] == "bins" else 1
    return M.fast_layers(k=c["k"], hidden=c["hidden"], p=c["p"], n_out=n_out)


# ---------------------------------------------------------------- data

LABELS = ("f0_hz", "midi", "octave", "pitch_check", "segment", "strip_fundamental", "program",
          "noise_snr_db")


def log_norm(spec, lm, ls):
    return (np.log(spec + EPS) - lm) / ls


def timestats_np(x, k):
    """x [n][H][W] -> [n][H][2+k] (float32), as models.TimeStats."""
    w = x.shape[-1]
    parts = [x.mean(-1, keepdims=True), x.std(-1, keepdims=True)]
    if k:
        parts.append(np.abs(np.fft.rfft(x, axis=-1)[..., 1:k + 1]) / w)
    return np.concatenate(parts, -1).astype(np.float32)


def load_split(path, split, kmax, cache_dir, limit=0):
    """Cached timestats(kmax) features and labels of one split."""
    with h5py.File(path, "r") as f:
        n = f[f"{split}/spectrogram"].shape[0]
        n = min(n, limit) if limit else n
        lm = f["stats/log_mean"][()].astype(np.float64)[:, None]
        ls = np.maximum(f["stats/log_std"][()].astype(np.float64), 1e-8)[:, None]
        labels = {k: f[f"{split}/labels/{k}"][:n] for k in LABELS}
        tag = f"{os.path.basename(os.path.dirname(os.path.abspath(path)))}-{split}-n{n}-k{kmax}"
        cpath = os.path.join(cache_dir, f"pf-timestats-{tag}.npy")
        if os.path.exists(cpath):
            feats = np.load(cpath, mmap_mode="r")
        else:
            t0 = time.time()
            feats = np.lib.format.open_memmap(cpath + ".tmp.npy", "w+", np.float32,
                                              (n, 513, 2 + kmax))
            ds = f[f"{split}/spectrogram"]
            for s in range(0, n, 256):
                e = min(n, s + 256)
                feats[s:e] = timestats_np(log_norm(ds[s:e].astype(np.float64), lm, ls), kmax)
            feats.flush()
            del feats
            os.replace(cpath + ".tmp.npy", cpath)
            feats = np.load(cpath, mmap_mode="r")
            print(f"cached {split}: {n} examples in {time.time() - t0:.0f} s -> {cpath}",
                  file=sys.stderr)
    return np.ascontiguousarray(feats), labels, (lm.astype(np.float32), ls.astype(np.float32))


def spec_batch(path, split, n, lm, ls):
    with h5py.File(path, "r") as f:
        x = f[f"{split}/spectrogram"][:n].astype(np.float32)
    return torch.from_numpy(((np.log(x + EPS) - lm) / ls).astype(np.float32)[:, None])


# ---------------------------------------------------------------- targets and metrics

def midi_of_hz(hz):
    return 69.0 + 12.0 * np.log2(hz / 440.0)


def hz_of_midi(m):
    return 440.0 * 2.0 ** ((m - 69.0) / 12.0)


CENTRES = LO + STEP * np.arange(NBINS)          # MIDI


def encode_bins(f0_hz, blur_cents):
    m = midi_of_hz(f0_hz)[:, None]
    d = (CENTRES[None, :] - m) * 100.0
    return np.exp(-0.5 * (d / blur_cents) ** 2).astype(np.float32)


def decode_bins(logits):
    """CREPE: sigmoid-weighted average of the 9 bins around the argmax -> Hz."""
    p = 1.0 / (1.0 + np.exp(-logits.astype(np.float64)))
    am = p.argmax(1)
    idx = np.clip(am[:, None] + np.arange(-4, 5)[None, :], 0, NBINS - 1)
    w = np.take_along_axis(p, idx, 1)
    # clipped duplicates at the edges would count twice: keep each bin once
    valid = (am[:, None] + np.arange(-4, 5)[None, :] == idx)
    w = w * valid
    m = (w * CENTRES[idx]).sum(1) / np.maximum(w.sum(1), 1e-12)
    return hz_of_midi(m)


def metrics(est_hz, ref_hz, octave):
    cents = 1200.0 * np.log2(est_hz / ref_hz)
    a = np.abs(cents)
    folded = np.abs((cents + 600.0) % 1200.0 - 600.0)

    def block(mask):
        if not mask.any():
            return {}
        return {"n": int(mask.sum()), "rpa50": float((a[mask] <= 50).mean()),
                "rpa10": float((a[mask] <= 10).mean()),
                "rca50": float((folded[mask] <= 50).mean()),
                "median_cents": float(np.median(a[mask])),
                "octave_err": float(((a[mask] > 50) & (folded[mask] <= 50)).mean())}

    out = {"all": block(np.ones_like(a, bool))}
    for o in sorted(set(octave.tolist())):
        out[f"oct{o}"] = block(octave == o)
    return out


# ---------------------------------------------------------------- training

def head_of(model):
    """The layers after timestats (the first module)."""
    return nn.Sequential(*list(model.children())[1:])


class ZScore(nn.Module):
    def __init__(self, m, s):
        super().__init__()
        self.register_buffer("m", torch.from_numpy(m.reshape(-1)))
        self.register_buffer("s", torch.from_numpy(s.reshape(-1)))

    def forward(self, x):
        return (x - self.m) / self.s


def zstats(X, k):
    sub = np.asarray(X[::7, :, :2 + k], np.float64)
    return sub.mean(0).astype(np.float32), np.maximum(sub.std(0), 1e-6).astype(np.float32)


def train_one(name, c, tr, va, args):
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    model = M.build(layers_of(c))
    head = head_of(model)
    k = c["k"]
    Xtr, Ltr = tr
    Xva, Lva = va
    n = Xtr.shape[0]
    if c.get("z"):
        zm, zs = zstats(Xtr, k)
        head = nn.Sequential(ZScore(zm, zs), *head)
    if c["target"] == "bins":
        ytr = encode_bins(Ltr["f0_hz"], args.blur)
        loss_fn = nn.BCEWithLogitsLoss()
    else:
        ytr = ((midi_of_hz(Ltr["f0_hz"]) - 72.0) / 12.0).astype(np.float32)[:, None]
        loss_fn = nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(args.seed)
    history = []
    t_train = 0.0
    steps = 0
    for ep in range(args.epochs):
        head.train()
        order = rng.permutation(n)
        t0 = time.perf_counter()
        tot = 0.0
        for s in range(0, n - args.batch + 1, args.batch):   # drop the last partial batch
            idx = np.sort(order[s:s + args.batch])
            xb = torch.from_numpy(Xtr[idx, :, :2 + k].reshape(len(idx), -1))
            yb = torch.from_numpy(ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(head(xb), yb)
            loss.backward()
            opt.step()
            tot += loss.item()
            steps += 1
        t_train += time.perf_counter() - t0
        ev = evaluate(head, c, Xva, Lva, args)
        ev["epoch"] = ep + 1
        if args.eval_train:
            sub = np.sort(np.random.default_rng(1).choice(n, min(n, args.eval_train), replace=False))
            tl = {kk: v[sub] for kk, v in Ltr.items()}
            trm = evaluate(head, c, Xtr[sub], tl, args)["metrics"]
            ev["train_metrics"] = {kk: trm[kk] for kk in ("all", "oct2") if kk in trm}
            print(f"  {name} epoch {ep + 1}: train subset RPA50 {trm['all']['rpa50']:.4f}, oct2 "
                  f"{trm.get('oct2', {}).get('rpa50', float('nan')):.4f}", file=sys.stderr)
        ev["train_loss"] = tot / max(1, n // args.batch)
        history.append(ev)
        a = ev["metrics"]["all"]
        o2 = ev["metrics"].get("oct2", {})
        print(f"  {name} epoch {ep + 1}: loss {ev['train_loss']:.4f} val RPA50 {a['rpa50']:.4f} "
              f"RPA10 {a['rpa10']:.4f} med {a['median_cents']:.1f} c | oct2 RPA50 "
              f"{o2.get('rpa50', float('nan')):.4f} med {o2.get('median_cents', float('nan')):.1f}"
              f" ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    return model, history, steps * args.batch / t_train


@torch.no_grad()
def evaluate(head, c, X, L, args):
    head.eval()
    k = c["k"]
    outs = []
    for s in range(0, X.shape[0], 512):
        xb = np.ascontiguousarray(X[s:s + 512, :, :2 + k]).reshape(-1, 513 * (2 + k))
        xb = torch.from_numpy(xb)
        outs.append(head(xb).numpy())
    out = np.concatenate(outs)
    est = decode_bins(out) if c["target"] == "bins" else hz_of_midi(out[:, 0] * 12.0 + 72.0)
    ref = L["f0_hz"]
    res = {"metrics": metrics(est, ref, L["octave"])}
    ok = L["pitch_check"] == 0
    if (~ok).any():
        res["metrics_pitch_ok"] = metrics(est[ok], ref[ok], L["octave"][ok])["all"]
    return res


def time_full(c, x, threads, steps=30, warmup=5):
    """Training ex/s of the whole model (timestats included) on spectrogram batches."""
    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = M.build(layers_of(c))
    model.train()
    n_out = NBINS if c["target"] == "bins" else 1
    y = torch.rand(x.shape[0], n_out)
    loss_fn = nn.BCEWithLogitsLoss() if n_out > 1 else nn.MSELoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for i in range(warmup + steps):
        if i == warmup:
            t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        opt.step()
    dt = time.perf_counter() - t0
    torch.set_num_threads(old)
    return steps * x.shape[0] / dt


def blas_name():
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                if "libblas.so" in line or "libopenblas" in line:
                    return "openblas" if "openblas" in os.path.realpath(line.split()[-1]) else "netlib"
    except OSError:
        pass
    return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dataset", nargs="?", default="/tmp/pf-default/dataset.h5")
    ap.add_argument("--candidates", default="k0,k4,k8,k8w,k16,k32,k8midi")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--blur", type=float, default=25.0, help="target blur std, cents")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--kmax", type=int, default=45, help="modulation bins cached")
    ap.add_argument("--limit-train", type=int, default=0)
    ap.add_argument("--cache-dir", default="/tmp")
    ap.add_argument("--eval-train", type=int, default=0, metavar="N",
                    help="also score N random train examples after each epoch (fit vs. generalization)")
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--out", default="", help="append JSON lines here too")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.makedirs(a.cache_dir, exist_ok=True)
    C = candidates()
    names = a.candidates.split(",")
    for nm in names:
        if nm not in C:
            sys.exit(f"unknown candidate {nm!r}; known: {', '.join(C)}")
    kmax = max(a.kmax, max(C[nm]["k"] for nm in names))
    if kmax > 45:
        sys.exit("timestats k is at most 45 (90 frames: rfft bins 1..45)")
    Xtr, Ltr, (lm, ls) = load_split(a.dataset, "train", kmax, a.cache_dir, a.limit_train)
    Xva, Lva, _ = load_split(a.dataset, "val", kmax, a.cache_dir)
    xs = spec_batch(a.dataset, "val", a.batch, lm, ls)
    print(f"train {Xtr.shape[0]}, val {Xva.shape[0]} (pitch_check ok: "
          f"{(Lva['pitch_check'] == 0).mean():.3f}); torch {torch.__version__}, BLAS {blas_name()}, "
          f"{a.threads} thread(s)", file=sys.stderr)
    rows = []
    for nm in names:
        c = C[nm]
        eps_full = 0.0 if a.no_timing else time_full(c, xs, a.threads)
        model, hist, eps_head = train_one(nm, c, (Xtr, Ltr), (Xva, Lva), a)
        last = hist[-1]
        r = {"candidate": nm, "layers": M.layers_str(layers_of(c)), "target": c["target"],
             "zscore_timestats": bool(c.get("z")),
             "params": M.n_params(model), "epochs": a.epochs, "lr": a.lr, "batch": a.batch,
             "seed": a.seed, "n_train": int(Xtr.shape[0]),
             "train_ex_per_s_full": round(eps_full, 1), "train_ex_per_s_head": round(eps_head, 1),
             "threads": a.threads, "blas": blas_name(),
             "val": last["metrics"], "val_pitch_ok": last.get("metrics_pitch_ok"),
             "history": [{"epoch": h["epoch"], "train_loss": h["train_loss"],
                          "rpa50": h["metrics"]["all"]["rpa50"],
                          "oct2_rpa50": h["metrics"].get("oct2", {}).get("rpa50"),
                          "train_subset": h.get("train_metrics")} for h in hist]}
        rows.append(r)
        print(json.dumps(r), flush=True)
        if a.out:
            with open(a.out, "a") as f:
                f.write(json.dumps(r) + "\n")
    print(f"\n{'cand':8} {'params':>9} {'ex/s':>7} {'RPA50':>7} {'RPA10':>7} {'med c':>6} "
          f"{'oct err':>7} | {'o2 RPA50':>8} {'o2 RPA10':>8} {'o2 med':>6}", file=sys.stderr)
    for r in rows:
        v, o2 = r["val"]["all"], r["val"].get("oct2", {})
        print(f"{r['candidate']:8} {r['params']:9d} {r['train_ex_per_s_full']:7.0f} "
              f"{v['rpa50']:7.4f} {v['rpa10']:7.4f} {v['median_cents']:6.1f} {v['octave_err']:7.4f} | "
              f"{o2.get('rpa50', float('nan')):8.4f} {o2.get('rpa10', float('nan')):8.4f} "
              f"{o2.get('median_cents', float('nan')):6.1f}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
