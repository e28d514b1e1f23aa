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
# all cores, PF_BENCH_RUNS times (default 3): a shared VM's speed drifts by a third from run to
# run, so one run says little; the median run is summarized and the others listed
runs=${PF_BENCH_RUNS:-3}
for i in $(seq "$runs"); do
  rm -rf "$out/jn"
  ./pitchforge generate manifests/bench.yaml -o "$out/jn" -j "$jobs" -q --json > "$out/jn-$i.json"
done
"$PY" - "$out" "$runs" <<'PYEOF'
import json, shutil, sys
out, n = sys.argv[1], int(sys.argv[2])
runs = sorted((json.load(open(f"{out}/jn-{i}.json"))["examples_per_s"], i) for i in range(1, n + 1))
print(f"{n} runs at all cores: " + ", ".join(f"{r:.0f}" for r, _ in runs) +
      f" examples/s; the median run:")
shutil.copy(f"{out}/jn-{runs[n // 2][1]}.json", f"{out}/jn.json")
PYEOF
summary "generate -j $jobs" "$out/jn.json"
# the same notes with the work the issue's hardware budget leaves out switched off in the
# manifest (pitch check, augmentation, stored audio): what those features cost here
sed -e '$a quality: {pitch_check: off}' \
    -e '$a augment: {volume: [1.0, 1.0], strip_fundamental: 0, noise: none}' \
    -e '$a store: {audio: none}' manifests/bench.yaml > "$out/lean.yaml"
./pitchforge generate "$out/lean.yaml" -o "$out/lean" -j "$jobs" -q --json > "$out/lean.json"
"$PY" - "$out/lean.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"without pitch check, augmentation and stored audio (shards still hashed, fsynced): "
      f"{r['examples']} examples in {r['seconds']:.2f} s = {r['examples_per_s']:.0f} examples/s")
PYEOF
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
for b in build/bench/*; do
  [ -x "$b" ] && { echo "--- $(basename "$b")"; "$b"; }
done
