#!/usr/bin/env bash
# make bench: end-to-end examples/s of `generate` on manifests/bench.yaml, single thread and all
# cores, with the per-stage cost; then the stage micro-benchmarks built from bench/*.c.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d /tmp/pitchforge-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
PY=${PY:-/usr/bin/python3}
summary() {  # label json
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
label, r = sys.argv[1], json.loads(open(sys.argv[2]).read())
n = r["examples"]; st = r["stage_seconds"]
print(f"{label}: {n} examples in {r['seconds']:.2f} s = {r['examples_per_s']:.0f} examples/s, "
      f"peak RSS {r['peak_rss_mb']:.0f} MB")
notes = max(r["notes"], 1)
print("  per stage (ms per note | examples/s of that stage alone, one thread):")
for k in ("render", "resample", "audit", "augment", "stft", "write"):
    ms = 1000 * st[k] / notes
    per_ex = st[k] / max(n, 1)
    print(f"    {k:9s} {ms:7.3f} ms/note   {1 / per_ex if per_ex else float('inf'):9.0f} examples/s")
staged = sum(st.values())
print(f"  stages {staged:.2f} thread-s of {r['seconds']:.2f} s wall; the rest is start-up (soundfont "
      f"load and sha256, plan), shard commit, fsync and sha256, the index and idle threads")
PYEOF
}
./pitchforge generate manifests/bench.yaml -o "$out/j1" -j 1 -q --json > "$out/j1.json"
summary "generate -j 1" "$out/j1.json"
jobs=$(nproc)
# the same notes with the work the issue's hardware budget leaves out switched off in the
# manifest (pitch check, augmentation, stored audio): what those features cost here
sed -e '$a quality: {pitch_check: off}' \
    -e '$a augment: {volume: [1.0, 1.0], strip_fundamental: 0, noise: none}' \
    -e '$a store: {audio: none}' manifests/bench.yaml > "$out/lean.yaml"
# the same notes with expression (vibrato, scoops, falls, legato glides, as the expressive
# manifests have them): what moving pitch and its per-column labels cost
cat manifests/bench.yaml - > "$out/expr.yaml" <<'YAML'
expression:
  vibrato: {p: 0.4, rate_hz: [3.5, 7.5], depth_cents: [5, 80], delay_s: [0, 0.4]}
  scoop: {p: 0.2, cents: [-200, 200], s: [0.03, 0.15]}
  fall: {p: 0.2, cents: [-300, 300], s: [0.05, 0.25]}
  legato: {p: 0.25, semitones: [-12, 12], glide_s: [0, 0.15], at_s: [0.35, 0.6]}
YAML
# all three at all cores, interleaved, PF_BENCH_RUNS times (default 3): a shared VM's speed drifts by
# a third from run to run, so one run says little; each one's median run is kept as NAME.json
runs=${PF_BENCH_RUNS:-3}
for i in $(seq "$runs"); do
  for cfg in jn:manifests/bench.yaml expr:"$out/expr.yaml" lean:"$out/lean.yaml"; do
    rm -rf "$out/run"
    ./pitchforge generate "${cfg#*:}" -o "$out/run" -j "$jobs" -q --json > "$out/${cfg%%:*}-$i.json"
  done
done
median() {  # name label: list the runs, keep the median one as name.json
  "$PY" - "$out" "$runs" "$1" "$2" <<'PYEOF'
import json, shutil, sys
out, n, name, label = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = sorted((json.load(open(f"{out}/{name}-{i}.json"))["examples_per_s"], i) for i in range(1, n + 1))
print(f"{label}, {n} runs at all cores: " + ", ".join(f"{r:.0f}" for r, _ in runs) +
      f" examples/s (median {runs[n // 2][0]:.0f})")
shutil.copy(f"{out}/{name}-{runs[n // 2][1]}.json", f"{out}/{name}.json")
PYEOF
}
median jn "bench.yaml"
summary "generate -j $jobs, the median run" "$out/jn.json"
median expr "bench.yaml with expression"
"$PY" - "$out/jn.json" "$out/expr.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p))["examples_per_s"] for p in sys.argv[1:3])
print(f"expression costs {100 * (1 - b / a):.1f}% of the throughput (median runs: {a:.0f} -> {b:.0f} examples/s)")
PYEOF
median lean "without pitch check, augmentation and stored audio (shards still hashed, fsynced)"
# the blog's pipeline, one process per step, on the same machine (bench/baseline/run.sh)
notes=${PF_BASELINE_NOTES:-200}
bash bench/baseline/run.sh "$notes" "$out/baseline" "$jobs" > "$out/baseline.json"
"$PY" - "$out/baseline.json" "$out/jn.json" "$jobs" <<'PYEOF'
import json, sys
b = json.load(open(sys.argv[1])); o = json.load(open(sys.argv[2]))
print(f"blog-style baseline -j {sys.argv[3]}: {b['examples']} examples in {b['seconds']:.1f} s = "
      f"{b['examples_per_s']:.1f} examples/s")
print(f"ratio pitchforge / baseline on {sys.argv[3]} cores: {o['examples_per_s'] / b['examples_per_s']:.0f}x")
PYEOF
# the trainer's loader on the last interleaved run's dataset (float32 spectrograms stored)
echo "--- bench_loader"
build/bench/bench_loader "$out/run/dataset.h5" train 3
for b in build/bench/*; do
  case "$(basename "$b")" in bench_loader | *.d) continue ;; esac
  [ -x "$b" ] && { echo "--- $(basename "$b")"; "$b"; }
done
