#!/usr/bin/env python3
"""A probe of `predict` on synthetic tones: 120 steady or decaying tones of 1 to 8 harmonics
(amplitude 1/h, random phases), random pitch C2..B7, 1 s, 16 kHz float WAV, seed 7. Prints how
many answers are within 20 cents and lists the misses (cents off, f0, harmonics).

    /usr/bin/python3 tools/probe_tones.py models/pitch.h5 [--keep DIR]
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import scipy.io.wavfile as wavfile


def make(folder):
    rng = np.random.default_rng(7)
    sr = 16000
    x = np.arange(sr) / sr
    tones = []
    for i in range(120):
        m = rng.uniform(36, 107.5)
        f0 = 440 * 2 ** ((m - 69) / 12)
        nh = int(rng.integers(1, 9))
        y = sum(np.sin(2 * np.pi * h * f0 * x + rng.uniform(0, 6.28)) / h
                for h in range(1, nh + 1) if h * f0 < 7600)
        if rng.random() < 0.5:
            y = y * np.exp(-x / 0.6)
        path = os.path.join(folder, f"p{i:03d}_{f0:.3f}_{nh}.wav")
        wavfile.write(path, sr, (0.5 * y / np.abs(y).max()).astype(np.float32))
        tones.append((path, f0, nh))
    return tones


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--keep", help="write the WAV files here and keep them")
    ap.add_argument("--pitchforge", default="./pitchforge")
    a = ap.parse_args()
    folder = a.keep or tempfile.mkdtemp(prefix="probe-tones.")
    os.makedirs(folder, exist_ok=True)
    tones = make(folder)
    out = subprocess.run([a.pitchforge, "predict", a.model, "--json"] + [t[0] for t in tones],
                         check=True, capture_output=True, text=True).stdout
    rows = {json.loads(line)["file"]: json.loads(line) for line in out.splitlines()}
    misses = []
    for path, f0, nh in tones:
        got = rows[path]["f0_hz"]
        c = 1200 * math.log2(got / f0) if got else float("inf")
        if abs(c) > 20:
            misses.append((round(c), round(f0), nh))
    print(f"{len(tones) - len(misses)}/{len(tones)} within 20 cents; misses (cents, f0 Hz, "
          f"harmonics): {sorted(misses, key=lambda m: m[1])}")
    if not a.keep:
        for path, _, _ in tones:
            os.remove(path)
        os.rmdir(folder)


if __name__ == "__main__":
    sys.exit(main())
