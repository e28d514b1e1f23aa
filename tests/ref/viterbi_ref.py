"""Reference Viterbi paths for tests/test_viterbi.c: CREPE's model (to_viterbi_cents, its
transition built as CREPE builds it, dense) decoded as librosa.sequence.viterbi does (torchcrepe's
decode.viterbi: emission = the frame's salience normalised to sum 1), written here in numpy.

usage: viterbi_ref.py IN OUT
IN holds float64 values: the number of cases, then per case frames, bins, width W and the
salience [frames][bins]. OUT gets per case the path's bins [frames] (float64). Prints "ok".
"""
import sys

import numpy as np


def transition(bins, width):
    """CREPE's: max(0, W - |i - j|), each row normalised to sum 1 (row i: from bin i)."""
    xx, yy = np.meshgrid(range(bins), range(bins))
    t = np.maximum(width - abs(xx - yy), 0).astype(np.float64)
    return t / np.sum(t, axis=1)[:, None]


def viterbi(prob, trans, p_init):
    """librosa.sequence.viterbi (0.10) for prob [states][frames]: log(x + tiny), argmax ties to
    the first (lowest) state."""
    tiny = np.finfo(np.float64).tiny
    n_states, n_steps = prob.shape
    log_trans, log_init, log_prob = np.log(trans + tiny), np.log(p_init + tiny), np.log(prob.T + tiny)
    value = np.zeros((n_steps, n_states))
    ptr = np.zeros((n_steps, n_states), dtype=int)
    value[0] = log_prob[0] + log_init
    for t in range(1, n_steps):
        trans_out = value[t - 1] + log_trans.T          # [j, i]: from i into j
        ptr[t] = np.argmax(trans_out, axis=1)
        value[t] = log_prob[t] + trans_out[np.arange(n_states), ptr[t]]
    state = np.zeros(n_steps, dtype=int)
    state[-1] = np.argmax(value[-1])
    for t in range(n_steps - 2, -1, -1):
        state[t] = ptr[t + 1, state[t + 1]]
    return state


def main():
    x = np.fromfile(sys.argv[1], dtype=np.float64)
    pos, out = 1, []
    for _ in range(int(x[0])):
        frames, bins, width = (int(v) for v in x[pos:pos + 3])
        pos += 3
        s = x[pos:pos + frames * bins].reshape(frames, bins)
        pos += frames * bins
        sums = s.sum(axis=1, keepdims=True)
        emission = np.where(sums > 0, s / np.where(sums > 0, sums, 1), 1.0 / bins)
        out.append(viterbi(emission.T, transition(bins, width), np.ones(bins) / bins))
    np.concatenate(out).astype(np.float64).tofile(sys.argv[2])
    print("ok")


if __name__ == "__main__":
    main()
