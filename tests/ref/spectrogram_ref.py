"""Reference spectrograms for tests/test_spectrogram.c, computed by scipy in float64.

usage: spectrogram_ref.py IN OUT N NSIG LENGTH OVERLAP NFFT RATE
IN holds NSIG signals of N float32 samples each. For every signal, then every scaling
(density, spectrum), then every mode (magnitude, psd, complex, log-magnitude) OUT gets the
float64 array in [bins][frames] order; complex as the real plane then the imaginary plane;
log-magnitude is ln(magnitude + 1e-6). Prints "ok" on success.
"""
import sys

import numpy as np
from scipy import signal


def main():
    src, dst = sys.argv[1], sys.argv[2]
    n, nsig, length, overlap, nfft = (int(a) for a in sys.argv[3:8])
    rate = float(sys.argv[8])
    x = np.fromfile(src, dtype=np.float32).astype(np.float64).reshape(nsig, n)
    parts = []
    for sig in x:
        for scaling in ("density", "spectrum"):
            def spec(mode):
                return signal.spectrogram(sig, fs=rate, window="hann", nperseg=length,
                                          noverlap=overlap, nfft=nfft, mode=mode,
                                          scaling=scaling)[2]
            mag = spec("magnitude")
            cpx = spec("complex")
            parts += [mag, spec("psd"), cpx.real, cpx.imag, np.log(mag + 1e-6)]
    np.concatenate([p.astype(np.float64).ravel() for p in parts]).tofile(dst)
    print("ok")


if __name__ == "__main__":
    main()
