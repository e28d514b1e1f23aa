#!/usr/bin/env bash
# One note of the blog-style baseline, one process per step, as the blog's generator did:
#   midi.py (write the MIDI file) -> fluidsynth (render) -> sox (mono, 16 kHz, normalize)
# Args: INDEX. Env (set by run.sh): BL_DIR, BL_WORK, BL_SF, BL_PY, BL_NOTE_S, BL_RELEASE_S,
# BL_LEN_S, BL_VELOCITY.
# Leaves $BL_WORK/NNNNNN_pPPP_kKKK_vVVV.wav: like the blog, the labels are in the file name.
# A failed step loses the note (features.py counts its 3 examples as dropped) and is logged to
# $BL_WORK/errors.log; the worker always exits 0 so xargs keeps going.
set -u
i=$1
programs=(0 16 24 40 56 71 73 81)
program=${programs[i % 8]}
key=$((36 + (i + i / 72) % 72))   # C2..B7; every (program, key) pair once per 576 notes
velocity=$BL_VELOCITY
note_s=$BL_NOTE_S
release_s=$BL_RELEASE_S
len_s=$BL_LEN_S   # note_s + release_s: sox keeps this much (fluidsynth renders ~2 s of silence after)
printf -v base '%s/%06d_p%03d_k%03d_v%03d' "$BL_WORK" "$i" "$program" "$key" "$velocity"
fail() {
    echo "note $i (program $program key $key): $1 failed" >> "$BL_WORK/errors.log"
    rm -f "$base".*
    exit 0
}

"$BL_PY" "$BL_DIR/midi.py" "$base.mid" "$program" "$key" "$velocity" "$note_s" "$release_s" \
    2>> "$BL_WORK/errors.log" || fail midi
fluidsynth -ni -q -R 0 -C 0 -g 0.5 -r 44100 -F "$base.44k.wav" "$BL_SF" "$base.mid" \
    > /dev/null 2>&1 && [ -s "$base.44k.wav" ] || fail fluidsynth
# -V1: errors only (norm to 0 dBFS makes the dither warn about a clipped sample now and then)
sox -V1 "$base.44k.wav" -b 16 "$base.tmp.wav" trim 0 "$len_s" channels 1 rate 16000 norm \
    2>> "$BL_WORK/errors.log" || fail sox
mv "$base.tmp.wav" "$base.wav"
rm -f "$base.mid" "$base.44k.wav"
