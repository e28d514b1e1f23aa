#!/usr/bin/env bash
# make bench-basic-pitch DATASET=dataset.h5 [SPLIT=test] [EVERY=32] [GAP_S=] [MODEL=...] [OUT=...]
# Spotify's basic-pitch (npm) and pitchforge eval's frame metrics on the same split; benchmark
# only (README.md here). Steps: the npm packages pinned in package-lock.json (npm ci, once);
# check.mjs (run.mjs frames audio exactly as the package's evaluateModel does); every EVERY-th
# example of the split exported as 22,050 Hz WAVs and label CSVs; run.mjs (one core, timed);
# the tracks scored with mir_eval, both decodings; then `pitchforge eval` on the whole split
# for YIN's frame metrics (and a frame-level MODEL's, when MODEL is one).
set -euo pipefail
cd "$(dirname "$0")"
root=../..
PY=${PY:-/usr/bin/python3}
: "${DATASET:?DATASET=path/to/dataset.h5 is needed}"
SPLIT=${SPLIT:-test} EVERY=${EVERY:-32} GAP_S=${GAP_S:-} MODEL=${MODEL:-models/pitch.h5}
case $DATASET in /*) ;; *) DATASET=$root/$DATASET ;; esac
case $MODEL in /*) ;; *) MODEL=$root/$MODEL ;; esac
OUT=${OUT:-$(mktemp -d /tmp/pitchforge-bench-basic-pitch.XXXXXX)}
mkdir -p "$OUT"

[ -d node_modules/@spotify/basic-pitch ] || npm ci --no-audit --no-fund
node check.mjs 2> /dev/null
"$PY" bench.py export "$DATASET" "$OUT/export" --split "$SPLIT" --every "$EVERY"
mode=(--isolated)
[ -n "$GAP_S" ] && mode=(--gap-s "$GAP_S")
node run.mjs "$OUT/export/wav" "$OUT/basic-pitch" "${mode[@]}" 2> /dev/null | tee "$OUT/run.json"
"$PY" - "$OUT/run.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"basic-pitch: {r['files']} files, {r['audio_s']:.1f} s of audio in {r['cpu_s']:.1f} s of CPU "
      f"(one core, {r['backend']}) = {r['rtf_cpu']:.2f}x real time ({r['wall_s']:.1f} s wall)\n")
PYEOF
for d in notes contour; do
  "$PY" -W ignore bench.py score "$OUT/export" "$OUT/basic-pitch" --decode "$d" | tee "$OUT/score-$d.txt"
  "$PY" -W ignore bench.py score "$OUT/export" "$OUT/basic-pitch" --decode "$d" --json > "$OUT/score-$d.json"
  echo
done
"$root/pitchforge" eval "$MODEL" "$DATASET" --split "$SPLIT" --json -q > "$OUT/eval.json"
"$PY" bench.py eval-frames "$OUT/eval.json"
echo "results in $OUT"
