"""Reference frame metrics for tests/test_melody.c, computed by mir_eval.melody (Debian's
python3-mir-eval 0.7).

usage: melody_ref.py IN OUT
IN holds float64 values: the number of cases, then per case n_ref, n_est, ref_time[n_ref],
ref_freq[n_ref], est_time[n_est], est_freq[n_est] (est_freq < 0: unvoiced with a pitch guess,
mir_eval's convention). OUT gets per case: n (frames of to_cent_voicing), then for cent
tolerances 50, 25, 10 the five scores of mir_eval.melody.evaluate (voicing recall, voicing
false alarm, raw pitch, raw chroma, overall accuracy), then to_cent_voicing's four arrays
(ref_voicing, ref_cent, est_voicing, est_cent) of n values each. Prints "ok" on success.
"""
import sys
import warnings

import numpy as np
import mir_eval

KEYS = ("Voicing Recall", "Voicing False Alarm", "Raw Pitch Accuracy", "Raw Chroma Accuracy",
        "Overall Accuracy")


def main():
    x = np.fromfile(sys.argv[1], dtype=np.float64)
    pos, out = 1, []
    for _ in range(int(x[0])):
        nr, ne = int(x[pos]), int(x[pos + 1])
        pos += 2
        rt, rf = x[pos:pos + nr], x[pos + nr:pos + 2 * nr]
        pos += 2 * nr
        et, ef = x[pos:pos + ne], x[pos + ne:pos + 2 * ne]
        pos += 2 * ne
        arrays = mir_eval.melody.to_cent_voicing(rt.copy(), rf.copy(), et.copy(), ef.copy())
        out.append([len(arrays[0])])
        for tol in (50, 25, 10):
            s = mir_eval.melody.evaluate(rt.copy(), rf.copy(), et.copy(), ef.copy(),
                                         cent_tolerance=tol)
            out.append([float(s[k]) for k in KEYS])
        out += [np.asarray(a, dtype=np.float64) for a in arrays]
    np.concatenate([np.asarray(o, dtype=np.float64).ravel() for o in out]).tofile(sys.argv[2])
    print("ok")


if __name__ == "__main__":
    warnings.simplefilter("ignore")  # mir_eval warns on all-unvoiced tracks, by design here
    main()
