#!/usr/bin/env bash
# make bench-train: training examples/s of our `seed` and `fast` networks (forward + backward,
# batch 32, 2 threads, bench/bench_nn.c) beside the same networks in PyTorch 1.13 on the CPU
# with 2 threads (bench/train/bench_torch.py: plain, channels-last, allocators, best), and the
# ratio against PyTorch's best. Needs Debian's python3-torch (installed here if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "bench-train: installing python3-torch (Debian) for the PyTorch side"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch
fi
out=$(mktemp -d /tmp/pitchforge-bench-train.XXXXXX)
trap 'rm -rf "$out"' EXIT
ours() {  # net -> examples/s and peak RSS
  /usr/bin/time -f "%M" -o "$out/rss" build/bench/bench_nn 2 32 "$2" "$1" > "$out/$1.txt"
  echo "$(grep -o '[0-9.]* examples/s' "$out/$1.txt" | cut -d' ' -f1) $(( $(cat "$out/rss") / 1024 ))"
}
read -r seed seed_rss < <(ours seed 6)
read -r fast fast_rss < <(ours fast 40)
printf 'pitchforge (oneDNN), batch 32, 2 threads:\n'
printf '  seed  %8.1f examples/s   peak RSS %5d MB\n' "$seed" "$seed_rss"
printf '  fast  %8.1f examples/s   peak RSS %5d MB\n' "$fast" "$fast_rss"
"$PY" bench/train/bench_torch.py ${PF_BENCH_QUICK:+--quick} > "$out/torch.jsonl"
"$PY" - "$out/torch.jsonl" "$seed" "$fast" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip().startswith("{")]
ours = {"seed": float(sys.argv[2]), "fast": float(sys.argv[3])}
print("PyTorch 1.13 (CPU), batch 32, 2 threads:")
for r in rows:
    print(f"  {r['net']:5s} {r['variant']:22s} {r['examples_per_s']:8.1f} examples/s   "
          f"peak RSS {r.get('peak_rss_mb', 0):5.0f} MB")
for net in ("seed", "fast"):
    best = max((r["examples_per_s"] for r in rows if r["net"] == net), default=0)
    if best:
        print(f"ratio {net}: pitchforge / PyTorch best = {ours[net] / best:.2f}x")
PYEOF
