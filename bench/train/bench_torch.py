#!/usr/bin/python3
"""PyTorch training steps of the trainer's seed and fast networks, as pitchforge takes them.

    /usr/bin/python3 bench/train/bench_torch.py [--quick] [--threads 2] [--batch 32]
    /usr/bin/python3 bench/train/bench_torch.py --run NET VARIANT --steps N   (one measurement)

make bench-train (bench/train/compare.py) runs this beside bench/bench_nn.c, interleaved.

One step mirrors one step of `pitchforge train` with the default target (src/train/trainer.c,
train_step and encode_batch; src/train/targets.c) and bench/bench_nn.c, which times ours:

    targets   370 bins of 20 cents from MIDI 35, a Gaussian of 25 cents around each label
              (labels: random f0 between C2 and C7, encoded inside the step)
    forward   the preset's network (bench/train/models.py PRESETS = src/train/presets.c with a
              dense 370 output), training mode (dropout on)
    loss      BCEWithLogitsLoss (mean over batch x 370), as pf_loss_eval's PF_LOSS_BCE
    backward  loss.backward()
    optimizer torch.optim.Adam(lr 1e-3, betas (0.9, 0.999), eps 1e-8, no weight decay)

on random normal input [batch, 1, 513, 90], with torch.set_num_threads(threads). One warm-up
step, then N timed; prints one JSON line (median, min and max step time, examples/s at the
median, peak RSS, and the BLAS and malloc the process really loaded). Each measurement runs in
a process of its own (the allocator is chosen by LD_PRELOAD, which must be set before Python
starts).

Variants:
    plain           NCHW, glibc malloc, the reference (netlib) BLAS that Debian's torch gets by
                    default through libblas.so.3 (pinned: /usr/lib/x86_64-linux-gnu/blas)
    tuned           the fastest setting found (docs/fast-model.md): jemalloc (LD_PRELOAD,
                    $PF_JEMALLOC or Debian's libjemalloc2) and OpenBLAS (LD_LIBRARY_PATH to the
                    folder of its libblas.so.3: $PF_OPENBLAS_DIR or an installed
                    libopenblas0-{openmp,pthread}); seed also channels-last
    channels_last, jemalloc, tcmalloc, openblas and '+' joins of them (the sweep)

A variant whose library is missing is an error (exit 1, saying what to install), never skipped.
Without --run, sweeps the variants one after another and prints a table on stderr (not
interleaved with pitchforge: bench/train.sh does that).
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBDIRS = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"]
ALLOCATORS = {
    "jemalloc": ("PF_JEMALLOC", "libjemalloc.so.2", "libjemalloc2",
                 {"MALLOC_CONF": "oversize_threshold:1,background_thread:true,metadata_thp:auto,"
                                 "dirty_decay_ms:-1,muzzy_decay_ms:-1"}),
    "tcmalloc": ("PF_TCMALLOC", "libtcmalloc_minimal.so.4", "libtcmalloc-minimal4", {}),
}
TUNED = {"seed": "channels_last+jemalloc+openblas", "fast": "jemalloc+openblas"}


class Missing(Exception):
    """A variant needs a library that is not there."""


def find_openblas():
    dirs = [os.environ.get("PF_OPENBLAS_DIR", "")]
    dirs += [os.path.join(d, f"openblas-{k}") for d in LIBDIRS[:2] for k in ("openmp", "pthread")]
    for d in dirs:
        if d and os.path.exists(os.path.join(d, "libblas.so.3")):
            return d
    raise Missing("no OpenBLAS libblas.so.3: set PF_OPENBLAS_DIR to its folder (bench/train.sh "
                  "unpacks Debian's libopenblas0-pthread there) or apt-get install "
                  "libopenblas0-pthread")


def find_allocator(name):
    env_var, lib, package, _ = ALLOCATORS[name]
    for p in [os.environ.get(env_var, "")] + [os.path.join(d, lib) for d in LIBDIRS]:
        if p and os.path.exists(p):
            return p
    raise Missing(f"no {lib}: apt-get install {package}, or set {env_var} to a copy (make "
                  f"bench-train unpacks Debian's libjemalloc2 for the tuned side)")


def loaded():
    """(BLAS, allocator) this process loaded, from /proc/self/maps."""
    blas, alloc = "?", "glibc"
    with open("/proc/self/maps") as f:
        for line in f:
            path = os.path.realpath(line.split()[-1])
            if "libblas.so" in line or "libopenblas" in line:
                blas = "openblas" if "openblas" in path else "netlib"
            alloc = next((k for k in ALLOCATORS if f"lib{k}" in path), alloc)
    return blas, alloc


def variant_env(net, variant, threads):
    """The environment a variant's process starts with; raises Missing."""
    if variant == "tuned":
        variant = TUNED[net]
    tokens = variant.split("+")
    known = {"plain", "channels_last", "openblas"} | set(ALLOCATORS)
    if not set(tokens) <= known:
        raise ValueError(f"unknown variant {variant!r} (tokens: {', '.join(sorted(known))})")
    env = dict(os.environ)
    alloc = next((k for k in ALLOCATORS if k in tokens), None)
    if alloc:
        env["LD_PRELOAD"] = find_allocator(alloc)
        env.update(ALLOCATORS[alloc][3])
    blas_dir = os.path.join(LIBDIRS[0], "blas")
    if "openblas" in tokens:
        blas_dir = find_openblas()
        env["OPENBLAS_NUM_THREADS"] = str(threads)
    if os.path.exists(os.path.join(blas_dir, "libblas.so.3")):
        env["LD_LIBRARY_PATH"] = blas_dir + (":" + env["LD_LIBRARY_PATH"]
                                             if env.get("LD_LIBRARY_PATH") else "")
    return env, tokens


def encode_targets(torch, f0_hz):
    """Gaussian bin targets [B][370] of labels f0_hz [B], as pf_target_encode (in double)."""
    import models as M
    midi = 69.0 + 12.0 * torch.log2(f0_hz / 440.0)
    centres = M.BINS_LO_MIDI + M.BINS_STEP * torch.arange(M.N_BINS, dtype=torch.float64)
    d = 100.0 * (centres[None, :] - midi[:, None]) / M.BLUR_CENTS
    return torch.exp(-0.5 * d * d).float()


def make_step(net, tokens, threads, batch):
    """The model, optimizer and input of @p net; returns step() -> seconds of one timed step."""
    import torch
    sys.path.insert(0, HERE)
    import models as M

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    model = M.build(M.PRESETS[net])
    x = torch.randn(batch, *M.IN_SHAPE)
    if "channels_last" in tokens:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    model.train()
    gen = torch.Generator().manual_seed(5)

    def step():
        midi = 36.0 + 60.0 * torch.rand(batch, generator=gen, dtype=torch.float64)
        f0 = 440.0 * torch.exp2((midi - 69.0) / 12.0)  # labels C2..C7
        t0 = time.perf_counter()
        t = encode_targets(torch, f0)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), t)
        loss.backward()
        opt.step()
        loss.item()
        return time.perf_counter() - t0

    step.params = M.n_params(model)
    step.version = torch.__version__
    return step


def report(net, variant, step, threads, batch, times):
    """One JSON line on stdout for @p times (seconds of each timed step)."""
    med = statistics.median(times)
    print(json.dumps({
        "side": "pytorch", "net": net, "variant": variant, "params": step.params,
        "batch": batch, "threads": threads, "steps": len(times),
        "median_step_s": round(med, 5), "min_step_s": round(min(times), 5),
        "max_step_s": round(max(times), 5), "examples_per_s": round(batch / med, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "torch": step.version, "blas": loaded()[0], "allocator": loaded()[1],
    }), flush=True)


def measure(net, tokens, variant, threads, batch, steps, serving):
    """One warm-up step, then @p steps timed; serving: {"ready": ...}, then per line N of
    stdin a report of N steps, until EOF or 0 (bench/train/compare.py)."""
    step = make_step(net, tokens, threads, batch)
    step()
    if not serving:
        report(net, variant, step, threads, batch, [step() for _ in range(steps)])
        return
    print(json.dumps({"ready": f"pytorch {net} {variant}"}), flush=True)
    for line in sys.stdin:
        if int(line) <= 0:
            break
        report(net, variant, step, threads, batch, [step() for _ in range(int(line))])


def run(net, variant, threads, batch, steps):
    """Measure @p variant of @p net in a process of its own; returns its JSON row."""
    env, tokens = variant_env(net, variant, threads)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", net, variant, "+".join(tokens),
           "--threads", str(threads), "--batch", str(batch), "--steps", str(steps)]
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{net}/{variant}: the measuring process failed ({out.returncode})")
    row = json.loads(out.stdout.strip().splitlines()[-1])
    want = ("openblas" if "openblas" in tokens else "netlib",
            next((k for k in ALLOCATORS if k in tokens), "glibc"))
    if (row["blas"], row["allocator"]) != want:
        raise Missing(f"{net}/{variant} ran with the {row['blas']} BLAS and {row['allocator']} "
                      f"malloc, not {want[0]} and {want[1]}")
    return row


def sweep(a):
    variants = ["plain", "tuned"] if a.quick else [
        "plain", "channels_last", "jemalloc", "openblas", "jemalloc+openblas",
        "channels_last+jemalloc", "channels_last+tcmalloc", "channels_last+jemalloc+openblas"]
    rows = []
    for net in a.nets.split(","):
        steps = a.steps or ((2 if a.quick else 5) if net == "seed" else (8 if a.quick else 30))
        for v in variants:
            rows.append(run(net, v, a.threads, a.batch, steps))
            print(json.dumps(rows[-1]), flush=True)
    print(f"\n{'net':6} {'variant':32} {'ex/s':>8} {'step s (min-max)':>22} {'RSS MB':>7}",
          file=sys.stderr)
    for r in rows:
        print(f"{r['net']:6} {r['variant']:32} {r['examples_per_s']:8.2f} {r['median_step_s']:8.3f}"
              f" ({r['min_step_s']:.3f}-{r['max_step_s']:.3f}) {r['peak_rss_mb']:7.0f}",
              file=sys.stderr)
    print(f"(batch {a.batch}, {a.threads} threads, targets + forward + BCE + backward + Adam)",
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="plain and tuned only, fewer steps")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--nets", default="seed,fast")
    ap.add_argument("--steps", type=int, default=0, help="timed steps (after one warm-up)")
    ap.add_argument("--run", nargs=2, metavar=("NET", "VARIANT"), help="one measurement")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--serve", nargs=3, help=argparse.SUPPRESS)
    a = ap.parse_args()
    try:
        if a.child or a.serve:
            c = a.child or a.serve
            measure(c[0], c[2].split("+"), c[1], a.threads, a.batch, a.steps, bool(a.serve))
        elif a.run:
            print(json.dumps(run(a.run[0], a.run[1], a.threads, a.batch, a.steps or 3)))
        else:
            sweep(a)
    except (Missing, RuntimeError, ValueError) as e:
        print(f"bench_torch: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
