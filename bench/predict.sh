#!/usr/bin/env bash
# make bench-predict (and the end of make bench): predict's speed with a frame-level model on one
# core at a 10 ms hop: the real-time factor on a 60 s melody (seconds of audio per second of
# wall time, -j 1 pinned to one CPU), the cold start on a 1 s file (load, read, answer, exit)
# and the peak RSS. PF_BENCH_RUNS runs (default 5) of each, interleaved; medians and ranges.
# MODEL defaults to models/track.h5.
set -euo pipefail
cd "$(dirname "$0")/.."
model=${1:-models/track.h5}
PY=${PY:-/usr/bin/python3}
[ -f "$model" ] || { echo "bench-predict: no $model (models/README.md says how to make it)"; exit 0; }
out=$(mktemp -d /tmp/pitchforge-bench-predict.XXXXXX)
trap 'rm -rf "$out"' EXIT
# a melody: notes with vibrato and glides between them, rests, 60 s; and a 1 s note
"$PY" - "$out" <<'PYEOF'
import sys
import numpy as np
import scipy.io.wavfile as w
sr, out = 16000, sys.argv[1]
rng = np.random.default_rng(1)
f0 = np.zeros(60 * sr)
t = 0
while t < len(f0):
    n = int(rng.uniform(0.2, 0.8) * sr)
    if rng.random() < 0.2:
        t += n  # a rest
        continue
    midi = rng.uniform(36, 96) + 0.5 * np.sin(2 * np.pi * 5.5 * np.arange(n) / sr)
    f0[t:t + n] = (440 * 2 ** ((midi - 69) / 12))[:len(f0) - t]
    t += n
ph = 2 * np.pi * np.cumsum(f0) / sr
x = sum(np.sin(k * ph) / k for k in range(1, 6)) * (f0 > 0)
w.write(f"{out}/melody60.wav", sr, (0.2 * x * 32767).astype(np.int16))
w.write(f"{out}/note1.wav", sr, (0.2 * np.sin(2 * np.pi * 261.63 * np.arange(sr) / sr) * 32767).astype(np.int16))
PYEOF
runs=${PF_BENCH_RUNS:-5}
for i in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o "$out/long-$i" taskset -c 0 ./pitchforge predict "$model" \
    "$out/melody60.wav" --track --json -j 1 > /dev/null
  /usr/bin/time -f "%e %M" -o "$out/cold-$i" taskset -c 0 ./pitchforge predict "$model" \
    "$out/note1.wav" --track --json -j 1 > /dev/null
done
"$PY" - "$out" "$runs" "$model" <<'PYEOF'
import statistics as st, sys
out, n, model = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def read(kind):
    rows = [open(f"{out}/{kind}-{i}").read().split() for i in range(1, n + 1)]
    return [float(r[-2]) for r in rows], [int(r[-1]) / 1024 for r in rows]
long_s, long_mb = read("long")
cold_s, cold_mb = read("cold")
rtf = [60 / s for s in long_s]
print(f"predict {model}, one core (-j 1, taskset), 10 ms hop, {n} interleaved runs:")
print(f"  60 s melody: {st.median(rtf):.1f}x real time (range {min(rtf):.1f}-{max(rtf):.1f}), "
      f"peak RSS {max(long_mb):.0f} MB")
print(f"  cold start, 1 s file: {st.median(cold_s):.2f} s (range {min(cold_s):.2f}-{max(cold_s):.2f}), "
      f"peak RSS {max(cold_mb):.0f} MB")
PYEOF
