#!/usr/bin/env bash
# Blog-style baseline for `make bench`: the 2020 blog's pipeline ("Pitch Detection with
# Convolutional Networks"), one process per step per note, run with JOBS parallel workers.
#
#   bench/baseline/run.sh NOTES OUTDIR [JOBS]
#
# Per note, one process per step (bench/baseline/note.sh, fanned out with xargs -P JOBS):
#   1. midi.py     writes a one-note MIDI file (standard library only; the blog used MIDIUtil)
#   2. fluidsynth  renders it to a 44.1 kHz WAV (command-line program, reverb/chorus off)
#   3. sox         mono, 16 kHz, peak-normalized, 16-bit WAV; labels in the file name
# then one python3 process over all the WAVs (bench/baseline/features.py):
#   4. attack/sustain/decay 330 ms segments -> scipy.signal.spectrogram 513x90
#   5. OUTDIR/baseline.h5 with h5py (spectrograms + labels)
#
# Prints one line of JSON on stdout:
#   {"pipeline": "blog-baseline", "notes": N, "examples": E, "seconds": S, "examples_per_s": R}
# Env: PY (default /usr/bin/python3, Debian's, with numpy/scipy/h5py), SOUNDFONT
# (default /usr/share/sounds/sf2/FluidR3_GM.sf2), KEEP=1 keeps OUTDIR/baseline-work (the WAVs).
# Needs the Debian packages fluidsynth, sox, python3-numpy, python3-scipy, python3-h5py,
# fluid-soundfont-gm.
set -euo pipefail
if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 NOTES OUTDIR [JOBS]" >&2
    exit 2
fi
notes=$1
outdir=$2
jobs=${3:-$(nproc)}
case "$notes$jobs" in *[!0-9]*) echo "$0: NOTES and JOBS must be whole numbers" >&2; exit 2 ;; esac
[ "$notes" -ge 1 ] && [ "$jobs" -ge 1 ] || { echo "$0: NOTES and JOBS must be >= 1" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
py=${PY:-/usr/bin/python3}
sf=${SOUNDFONT:-/usr/share/sounds/sf2/FluidR3_GM.sf2}
for tool in fluidsynth sox; do
    command -v "$tool" > /dev/null ||
        { echo "$0: '$tool' not found (apt-get install -y fluidsynth sox)" >&2; exit 1; }
done
"$py" -c 'import numpy, scipy.signal, h5py' 2> /dev/null ||
    { echo "$0: $py lacks numpy/scipy/h5py (apt-get install -y python3-scipy python3-h5py)" >&2; exit 1; }
[ -r "$sf" ] || { echo "$0: soundfont $sf not readable" >&2; exit 1; }
# fluidsynth falls back to its default soundfont when the one given fails to load: refuse early
[ "$(head -c 12 "$sf" | tail -c 4)" = sfbk ] || { echo "$0: $sf is not a SoundFont" >&2; exit 1; }

mkdir -p "$outdir"
work=$outdir/baseline-work
rm -rf "$work" "$outdir/baseline.h5"
mkdir -p "$work"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
# the note: 1.0 s held + 0.5 s release, velocity 80 (BL_LEN_S = their sum, what sox keeps)
export BL_NOTE_S=1.0 BL_RELEASE_S=0.5 BL_LEN_S=1.5 BL_VELOCITY=80
export BL_DIR=$here BL_WORK=$work BL_SF=$sf BL_PY=$py

t0=$(date +%s.%N)
seq 0 $((notes - 1)) | xargs -P "$jobs" -n 1 bash "$here/note.sh"
res=$("$py" "$here/features.py" "$work" "$notes" "$BL_NOTE_S" "$outdir/baseline.h5")
read -r examples dropped <<< "$res"
t1=$(date +%s.%N)

failed=$(grep -c 'failed$' "$work/errors.log" 2> /dev/null || true)
if [ "${failed:-0}" -gt 0 ]; then
    echo "$0: $failed note(s) failed; log kept in $work/errors.log:" >&2
    head -n 5 "$work/errors.log" >&2
    trap - EXIT
fi
"$py" -c '
import json, sys
n, e, t0, t1 = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
s = t1 - t0
print(json.dumps({"pipeline": "blog-baseline", "notes": n, "examples": e,
                  "seconds": round(s, 3), "examples_per_s": round(e / s, 2) if s > 0 else 0.0}))
' "$notes" "$examples" "$t0" "$t1"
