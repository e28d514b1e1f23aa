"""f0_frames of an expressive dataset against the pitch measured in its own stored audio.

For every example of FluidR3's sine wave (bank 8, program 80) without added noise or a notched
fundamental, each voiced column's pitch is measured independently of pitchforge: the period
between positive zero crossings of the stored 16 kHz audio (int16 / 32768), crossings placed by
linear interpolation, read at the column's centre between the two period midpoints around it.
The preset's own tuning (+3.93 cents from C2 up, about 0 below: other samples) is the key
audit's business, not the labels': each key's median error over all its columns is taken off,
so what is left is how well the labels follow the pitch as it moves. Bars: median |error| <= 1 cent and p99 <= 5 cents
over the measured voiced columns more than 20 ms from an on- or offset or a jump (the onset,
release and gap windows have them inside), and the moving examples must move (a test that cannot pass by
labelling every column with f0_hz). Columns outside MIN_HZ..MAX_HZ are not measured: above,
under 10 samples a period at 16 kHz make the interpolated crossings too coarse; below, one
period (over 10 ms) averages a vibrato or a glide over too long a stretch. (The synth-level label
check, tests/test_expression.c, measures C3..C6 at 44.1 kHz; octaves 1 and 8 are covered by
the label audit, whose verdicts this dataset stores.) Every negative (source != note) has every column unvoiced,
f0_hz 0 and midi -1."""
import sys

import h5py
import numpy as np


MIN_HZ, MAX_HZ = 100.0, 1600.0
# The sine's sample glides +4 cents in its first 35 ms whatever the synth is told (the sample's
# attack, not a modulation: it does so with every pitch generator zeroed), so columns up to 42 ms
# after a note-on are left out too.
ATTACK_COLS = 12


def inst_hz(x, rate, c, half):
    a, z = max(int(round(c - half)), 1), min(int(round(c + half)), len(x))
    seg = x[a - 1:z]
    i = np.nonzero((seg[:-1] < 0) & (seg[1:] >= 0))[0]
    if len(i) < 3 or np.abs(seg).max() < 1e-3:
        return 0.0
    t = a - 1 + i + seg[i] / (seg[i] - seg[i + 1])
    mids, f = 0.5 * (t[:-1] + t[1:]), rate / np.diff(t)
    k = np.searchsorted(mids, c)
    k = min(max(k, 1), len(mids) - 1)
    u = np.clip((c - mids[k - 1]) / (mids[k] - mids[k - 1]), 0, 1)
    return f[k - 1] + u * (f[k] - f[k - 1])


def main(path):
    errs, keys, moving_cols, n_moving, n_negative = [], [], [], 0, 0
    with h5py.File(path, "r") as d:
        rate = float(d.attrs["sample_rate"])
        length, hop = int(d.attrs["stft_length"]), int(d.attrs["stft_length"]) - int(d.attrs["stft_overlap"])
        for split in ("train", "val", "test"):
            g = d[split]
            lab = g["labels"]
            src = lab["source"][:]
            neg = np.nonzero(src != 0)[0]
            n_negative += len(neg)
            if len(neg):
                fr_neg = g["labels/f0_frames"][neg[0]:neg[-1] + 1][neg - neg[0]]
                assert not fr_neg.any(), "a negative with a voiced column"
                assert (lab["f0_hz"][:][neg] == 0).all() and (lab["midi"][:][neg] == -1).all()
            keep = ((lab["program"][:] == 80) & (lab["bank"][:] == 8) & np.isnan(lab["noise_snr_db"][:])
                    & ~lab["strip_fundamental"][:].astype(bool))
            for i in np.nonzero(keep)[0]:
                x = g["audio"][i].astype(np.float64) / 32768.0
                fr = g["f0_frames"][i] if "f0_frames" in g else lab["f0_frames"][i]
                voiced = fr > 0
                moving = voiced.any() and np.ptp(fr[voiced]) > 0.5
                n_moving += moving
                # away from on- and offsets (voicing changes) and jumps (a gap's second note, a
                # legato jump): 6 columns, 21 ms, either side, where a period straddles both
                jump = np.abs(np.diff(np.log2(np.where(voiced, fr, 1.0)))) * 1200 > 100
                edge = np.nonzero((voiced[1:] != voiced[:-1]) | jump)[0]
                near = np.zeros(len(fr), bool)
                for e in edge:
                    near[max(e - 5, 0):e + 7 + ATTACK_COLS] = True
                if lab["segment"][i] == 0:  # attack: the note-on is at the window's start
                    near[:ATTACK_COLS] = True
                for k in np.nonzero(voiced & ~near)[0]:
                    c = k * hop + length / 2
                    if c < 200 or c > len(x) - 200:
                        continue
                    if not MIN_HZ <= fr[k] <= MAX_HZ:
                        continue  # beyond what one period between zero crossings resolves
                    hz = inst_hz(x, rate, c, max(0.025 * rate, 2.5 * rate / fr[k]))
                    if hz > 0:
                        errs.append(1200 * np.log2(hz / fr[k]))
                        keys.append(int(lab["midi"][i]))
                        moving_cols.append(moving)
    errs, keys, moving_cols = np.array(errs), np.array(keys), np.array(moving_cols)
    own = {k: np.median(errs[keys == k]) for k in np.unique(keys)}
    e = np.abs(errs - np.array([own[k] for k in keys]))
    n_moving_cols = int(moving_cols.sum())
    med, p99 = np.median(e), np.percentile(e, 99)
    tun = np.array(list(own.values()))
    print(f"check_frames: {len(e)} columns of {len(own)} keys ({n_moving_cols} of {n_moving} moving "
          f"examples), preset tuning {tun.min():+.2f}..{tun.max():+.2f} c, |error| median {med:.3f} c, "
          f"p99 {p99:.3f} c")
    assert n_moving >= 5 and n_moving_cols > 200, "too few moving examples to check"
    print(f"check_frames: {n_negative} negatives, every column unvoiced, f0_hz 0, midi -1")
    assert med <= 1.0 and p99 <= 5.0, (med, p99)


if __name__ == "__main__":
    main(sys.argv[1])
