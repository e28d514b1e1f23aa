#!/usr/bin/python3
"""PyTorch training throughput of the seed and fast networks (CPU, batch 32, 2 threads).

    /usr/bin/python3 bench/train/bench_torch.py [--quick] [--threads 2] [--batch 32]

One step = forward + backward + Adam step on random input [32, 1, 513, 90] (seed: MSE on one
output; fast: BCE-with-logits on its bin outputs). Each variant runs in its own process (the
allocator is chosen by LD_PRELOAD, which must be set before Python starts), so each peak RSS
is that variant's alone. Prints one JSON line per variant on stdout:

    {"net": "seed", "variant": "plain", "examples_per_s": 4.9, "peak_rss_mb": ..., ...}

then the summary table on stderr. Variants:
    plain           NCHW, glibc malloc
    channels_last   model and input in torch.channels_last
    +jemalloc, +tcmalloc
                    LD_PRELOAD of Debian's libjemalloc2 / libtcmalloc-minimal4
                    (skipped when not installed: apt-get install libjemalloc2 libtcmalloc-minimal4)
    +openblas       OpenBLAS instead of the reference (netlib) BLAS that Debian's torch gets by
                    default through libblas.so.3: LD_LIBRARY_PATH to the folder of OpenBLAS's
                    libblas.so.3 (/usr/lib/x86_64-linux-gnu/openblas-{openmp,pthread}, or
                    $PF_OPENBLAS_DIR, e.g. a `dpkg -x` of libopenblas0-openmp); plain variants
                    pin the netlib one (/usr/lib/x86_64-linux-gnu/blas) so the machine's
                    libblas.so.3 alternative does not change what "plain" means
    best            (summary only) the fastest of the above, per net
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBDIRS = ["/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"]
ALLOCATORS = {
    "jemalloc": ("libjemalloc.so.2",
                 {"MALLOC_CONF": "oversize_threshold:1,background_thread:true,metadata_thp:auto,"
                                 "dirty_decay_ms:-1,muzzy_decay_ms:-1"}),
    "tcmalloc": ("libtcmalloc_minimal.so.4", {}),
}


def find_openblas():
    dirs = [os.environ.get("PF_OPENBLAS_DIR", "")]
    dirs += [os.path.join(d, f"openblas-{k}") for d in LIBDIRS[:2] for k in ("openmp", "pthread")]
    for d in dirs:
        if d and os.path.exists(os.path.join(d, "libblas.so.3")):
            return d
    return None


def find_lib(name):
    for d in LIBDIRS:
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return None


def blas_name():
    """Which libblas.so.3 this process loaded (from /proc/self/maps)."""
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                if "libblas.so" in line or "libopenblas" in line:
                    path = os.path.realpath(line.split()[-1])
                    return "openblas" if "openblas" in path else "netlib"
    except OSError:
        pass
    return "?"


def child(net, variant, threads, batch, steps, warmup):
    import torch
    sys.path.insert(0, HERE)
    import models as M

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    if net == "seed":
        layers = M.seed_layers(n_out=1)
    else:
        layers = M.FAST
    model = M.build(layers)
    n_out = model(torch.zeros(1, *M.IN_SHAPE)).shape[1]
    cl = "channels_last" in variant.split("+")
    x = torch.randn(batch, *M.IN_SHAPE)
    if cl:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    if n_out == 1:
        y = torch.randn(batch, 1)
        loss_fn = torch.nn.MSELoss()
    else:
        y = torch.rand(batch, n_out)
        loss_fn = torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    model.train()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    times = []
    t_end = time.perf_counter()
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    total = sum(times)
    times.sort()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "net": net, "variant": variant,
        "examples_per_s": round(batch * steps / total, 2),
        "median_step_s": round(times[len(times) // 2], 4),
        "peak_rss_mb": round(rss_kb / 1024, 1),
        "params": M.n_params(model), "batch": batch, "threads": threads, "steps": steps,
        "layers": M.layers_str(layers) if net != "seed" else "seed",
        "load_avg_1m": round(os.getloadavg()[0], 2),
        "torch": torch.__version__,
        "blas": blas_name(),
    }), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer steps and variants (~1 min)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--nets", default="seed,fast")
    ap.add_argument("--child", nargs=2, metavar=("NET", "VARIANT"), help=argparse.SUPPRESS)
    ap.add_argument("--steps", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--warmup", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], a.child[1], a.threads, a.batch, a.steps, a.warmup)
        return 0

    if a.quick:
        variants = {"seed": ["plain", "channels_last+jemalloc+openblas"],
                    "fast": ["plain", "jemalloc+openblas"]}
    else:
        variants = {"seed": ["plain", "channels_last", "jemalloc", "channels_last+jemalloc",
                             "channels_last+tcmalloc", "channels_last+jemalloc+openblas"],
                    "fast": ["plain", "jemalloc", "tcmalloc", "openblas", "jemalloc+openblas"]}
    results = []
    for net in a.nets.split(","):
        if net == "seed":
            steps, warmup = (2, 1) if a.quick else (6, 2)
        else:
            steps, warmup = (10, 2) if a.quick else (40, 5)
        for v in variants[net]:
            env = dict(os.environ)
            tokens = v.split("+")
            alloc = next((k for k in ALLOCATORS if k in tokens), None)
            if alloc:
                lib = find_lib(ALLOCATORS[alloc][0])
                if lib is None:
                    print(f"skip {net}/{v}: {ALLOCATORS[alloc][0]} not installed", file=sys.stderr)
                    continue
                env["LD_PRELOAD"] = lib
                env.update(ALLOCATORS[alloc][1])
            blas_dir = os.path.join(LIBDIRS[0], "blas")
            if "openblas" in tokens:
                blas_dir = find_openblas()
                if blas_dir is None:
                    print(f"skip {net}/{v}: no OpenBLAS libblas.so.3 (apt-get install "
                          "libopenblas0-openmp, or PF_OPENBLAS_DIR)", file=sys.stderr)
                    continue
                env["OPENBLAS_NUM_THREADS"] = str(a.threads)
            if os.path.exists(os.path.join(blas_dir, "libblas.so.3")):
                env["LD_LIBRARY_PATH"] = blas_dir + (":" + env["LD_LIBRARY_PATH"]
                                                     if env.get("LD_LIBRARY_PATH") else "")
            cmd = [sys.executable, os.path.abspath(__file__), "--child", net, v,
                   "--threads", str(a.threads), "--batch", str(a.batch),
                   "--steps", str(steps), "--warmup", str(warmup)]
            out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)
            if out.returncode != 0:
                print(f"{net}/{v}: failed ({out.returncode})", file=sys.stderr)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results.append(r)
            print(json.dumps(r), flush=True)

    print(f"\n{'net':6} {'variant':24} {'ex/s':>8} {'step s':>8} {'peak RSS MB':>12} {'params':>10}",
          file=sys.stderr)
    for net in a.nets.split(","):
        rs = [r for r in results if r["net"] == net]
        if not rs:
            continue
        best = max(rs, key=lambda r: r["examples_per_s"])
        for r in rs + [dict(best, variant=f"best = {best['variant']}")]:
            print(f"{r['net']:6} {r['variant']:24} {r['examples_per_s']:8.2f} "
                  f"{r['median_step_s']:8.3f} {r['peak_rss_mb']:12.0f} {r['params']:10d}",
                  file=sys.stderr)
    print(f"(batch {a.batch}, {a.threads} threads, forward+backward+Adam; "
          f"load average {os.getloadavg()[0]:.2f})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
