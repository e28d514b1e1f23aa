#!/usr/bin/python3
"""pitchforge's training step beside PyTorch's, interleaved turn by turn (make bench-train).

    /usr/bin/python3 bench/train/compare.py [--rounds 12] [--seed-steps 1] [--fast-steps 3]

Per network (seed, then fast) it starts three measuring processes, one after another, each
waiting (model made, one warm-up step) until told to go: pitchforge (build/bench/bench_nn
... serve), PyTorch plain and PyTorch tuned (bench/train/bench_torch.py --serve). Then in each
round every side in turn runs its steps while the others wait, in an order that rotates from
round to round, so the machine's drifting speed (2 cores shared with other work) falls on all
three alike. A side's figure in a round is batch / its median step time there; printed are the
median over rounds with the range, and pitchforge examples/s / PyTorch examples/s as the median
of the rounds' own ratios (each from turns minutes apart at most; the machine's speed moves
between rounds) with their range, and the ratio of the medians. A side that cannot start or fails
stops the comparison with exit status 1: no figure stands in for a missing one.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import bench_torch  # noqa: E402

SIDES = ["pitchforge", "plain", "tuned"]


class Side:
    """One measuring process that runs N steps per request and answers with a JSON line."""

    def __init__(self, net, side, a):
        self.name = side
        if side == "pitchforge":
            cmd = [os.path.join(ROOT, "build/bench/bench_nn"), str(a.threads), str(a.batch), "1",
                   net, "serve"]
            env = None
        else:
            env, tokens = bench_torch.variant_env(net, side, a.threads)
            cmd = [sys.executable, os.path.join(HERE, "bench_torch.py"), "--serve", net, side,
                   "+".join(tokens), "--threads", str(a.threads), "--batch", str(a.batch)]
        self.p = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        self.read(f"{net} {side}: starting")  # {"ready": ...} after the warm-up step

    def read(self, what):
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError(f"{what}: the process ended ({self.p.wait()})")
        return json.loads(line)

    def steps(self, n, what):
        self.p.stdin.write(f"{n}\n")
        self.p.stdin.flush()
        return self.read(what)

    def close(self):
        if self.p.stdin and not self.p.stdin.closed:
            self.p.stdin.close()
        return self.p.wait()


def measure_net(net, a, rows):
    steps = a.seed_steps if net == "seed" else a.fast_steps
    sides = {}
    try:
        for s in SIDES:
            sides[s] = Side(net, s, a)
        for r in range(a.rounds):
            for k in range(len(SIDES)):
                s = SIDES[(k + r) % len(SIDES)]
                row = sides[s].steps(steps, f"{net} {s} round {r + 1}")
                rows.append({**row, "round": r + 1, "side": s, "load_1m": os.getloadavg()[0]})
                print(f"  round {r + 1}  {net:5s} {s:11s} {row['examples_per_s']:8.2f} "
                      f"examples/s", file=sys.stderr, flush=True)
    finally:
        for s in sides.values():
            s.close()


def summary(rows, a):
    print(f"training step (targets + forward + BCE over 370 bins + backward + Adam), batch "
          f"{a.batch}, {a.threads} threads, {a.rounds} interleaved rounds; examples/s, median "
          f"(min-max over rounds)")
    for net in ("seed", "fast"):
        per = {s: {r["round"]: r["examples_per_s"] for r in rows
                   if r["net"] == net and r["side"] == s} for s in SIDES}
        if not per["pitchforge"]:
            continue
        for s in SIDES:
            v = list(per[s].values())
            rss = max(r["peak_rss_mb"] for r in rows if r["net"] == net and r["side"] == s)
            label = "pitchforge" if s == "pitchforge" else "PyTorch " + s
            print(f"  {net:5s} {label:15s} {statistics.median(v):8.2f} ({min(v):.2f}-{max(v):.2f})"
                  f"   peak RSS {rss:5.0f} MB")
        for s in SIDES[1:]:
            ours, theirs = per["pitchforge"], per[s]
            ratios = [ours[k] / theirs[k] for k in ours]
            med = statistics.median(ours.values()) / statistics.median(theirs.values())
            print(f"  {net:5s} pitchforge examples/s / PyTorch {s} examples/s = "
                  f"{statistics.median(ratios):.2f}x, median of the rounds' ratios "
                  f"({min(ratios):.2f}-{max(ratios):.2f}; ratio of the medians {med:.2f}x)")
        best = {s: min(r["min_step_s"] for r in rows if r["net"] == net and r["side"] == s)
                for s in SIDES}
        print(f"  {net:5s} fastest single step (the machine's quietest moments): pitchforge "
              f"{best['pitchforge']:.3f} s, PyTorch plain {best['plain']:.3f} s "
              f"({best['plain'] / best['pitchforge']:.2f}x), tuned {best['tuned']:.3f} s "
              f"({best['tuned'] / best['pitchforge']:.2f}x)")
        opt = [r for r in rows if r["net"] == net and r["side"] == "pitchforge"]
        one = [r["optim_ms_1_thread"] for r in opt]
        many = [r["optim_ms_threads"] for r in opt]
        gain = [x / y for x, y in zip(one, many)]
        print(f"  {net:5s} pitchforge's Adam step alone: {statistics.median(one):.1f} ms on 1 "
              f"thread ({min(one):.1f}-{max(one):.1f}), {statistics.median(many):.1f} ms on "
              f"{a.threads} ({min(many):.1f}-{max(many):.1f}); speed-up {statistics.median(gain):.2f}x "
              f"({min(gain):.2f}-{max(gain):.2f})")
    loads = [r["load_1m"] for r in rows]
    print(f"  load average (1 min) during the runs: {min(loads):.2f}-{max(loads):.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--seed-steps", type=int, default=1, help="steps per turn, seed")
    ap.add_argument("--fast-steps", type=int, default=3, help="steps per turn, fast")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--nets", default="seed,fast")
    ap.add_argument("--jsonl", help="also write every turn's row here")
    a = ap.parse_args()
    rows = []
    try:
        for net in a.nets.split(","):
            measure_net(net, a, rows)
    except (bench_torch.Missing, RuntimeError, ValueError, OSError) as e:
        print(f"bench-train: {e}", file=sys.stderr)
        return 1
    if a.jsonl:
        with open(a.jsonl, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in rows)
    summary(rows, a)
    return 0


if __name__ == "__main__":
    sys.exit(main())
