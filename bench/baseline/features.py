"""Steps 4 and 5 of the blog-style baseline, in one python3 process (as the blog loaded its
labelled WAVs for training): slice every 16 kHz note into attack / sustain / decay, compute
the spectrograms and write them with their labels to one HDF5 file with h5py.

Usage: features.py WORKDIR NOTES NOTE_S OUT.h5        prints "EXAMPLES DROPPED"

Segments are 330 ms (5280 samples): attack at the note-on, sustain centred in the held part,
decay at the note-off (the offsets pitchforge's generate uses). A segment whose RMS is below
-60 dBFS is dropped; a note whose WAV is missing (a failed render) drops all 3. Spectrogram:
scipy.signal.spectrogram(x, fs=16000, window='hann', nperseg=256, noverlap=200, nfft=1024,
mode='magnitude') -> 513 x 90, float32.

Output: /spectrogram float32 [N, 513, 90] (chunk = one example), /labels/{f0_hz, midi,
program, velocity, segment (attack=0, sustain=1, decay=2), note}, in note order.
"""
import glob
import os
import re
import sys

import h5py
import numpy as np
import scipy.io.wavfile
import scipy.signal

FS = 16000
SEG = 5280
BINS, FRAMES = 513, 90
MIN_RMS_DBFS = -60.0
NAME = re.compile(r"(\d+)_p(\d+)_k(\d+)_v(\d+)\.wav$")
LABELS = {"f0_hz": np.float64, "midi": np.int16, "program": np.uint8, "velocity": np.uint8,
          "segment": np.int8, "note": np.int32}


def segments(x, note_s):
    """(kind, segment) for the segments loud enough to keep."""
    held = note_s * FS
    for kind, off in enumerate((0, int(round(held / 2 - SEG / 2)), int(round(held)))):
        off = max(0, min(off, len(x) - SEG))
        seg = x[off:off + SEG]
        if len(seg) < SEG:
            continue
        rms = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2)))
        if np.isfinite(rms) and rms > 0 and 20 * np.log10(rms) >= MIN_RMS_DBFS:
            yield kind, seg


def main():
    work, notes, note_s, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    files = sorted(f for f in glob.glob(os.path.join(work, "*.wav")) if NAME.search(f))
    labels = {k: [] for k in LABELS}
    tmp = out + ".tmp"
    with h5py.File(tmp, "w") as f:
        spec = f.create_dataset("spectrogram", shape=(0, BINS, FRAMES), dtype=np.float32,
                                maxshape=(None, BINS, FRAMES), chunks=(1, BINS, FRAMES))
        n = 0
        for path in files:
            index, program, key, velocity = map(int, NAME.search(path).groups())
            rate, x = scipy.io.wavfile.read(path)
            if rate != FS or x.ndim != 1:
                raise SystemExit(f"{path}: {rate} Hz, shape {x.shape}; expected {FS} Hz mono")
            x = x.astype(np.float32) / 32768.0
            for kind, seg in segments(x, note_s):
                _, _, s = scipy.signal.spectrogram(seg, fs=FS, window="hann", nperseg=256,
                                                   noverlap=200, nfft=1024, mode="magnitude")
                spec.resize(n + 1, axis=0)
                spec[n] = s.astype(np.float32)
                n += 1
                for k, v in (("f0_hz", 440.0 * 2.0 ** ((key - 69) / 12.0)), ("midi", key),
                             ("program", program), ("velocity", velocity), ("segment", kind),
                             ("note", index)):
                    labels[k].append(v)
        for k, dt in LABELS.items():
            f.create_dataset(f"labels/{k}", data=np.array(labels[k], dtype=dt))
        dropped = 3 * notes - n
        f.attrs["pipeline"] = "blog-baseline"
        f.attrs["notes"] = notes
        f.attrs["dropped"] = dropped
        f.attrs["segment_kinds"] = "attack=0,sustain=1,decay=2"
    os.replace(tmp, out)
    print(n, dropped)


if __name__ == "__main__":
    main()
