/* pitchforge: smoothing a pitch track across frames: the most likely path of pitch bins through
 * a track's posteriors (Viterbi, as CREPE's to_viterbi_cents and torchcrepe's decode.viterbi;
 * docs/tracking.md). */
#ifndef PITCHFORGE_VITERBI_H
#define PITCHFORGE_VITERBI_H

#include <stddef.h>

#include "pitchforge/error.h"

/** CREPE's transition: max(0, 12 - |i - j|) over its 20-cent bins at a 10 ms hop, so a path
 *  moves at most 11 bins (220 cents) a frame. */
#define PF_VITERBI_CREPE_WIDTH 12
#define PF_VITERBI_CREPE_STEP_CENTS 20.0
#define PF_VITERBI_CREPE_HOP_S 0.010

/** Bins a path may cover: its bins are stored in 16 bits. */
#define PF_VITERBI_MAX_BINS 65535

/**
 * The triangle's width W for a track every @p hop_s over bins @p step_cents apart: CREPE's
 * reach (11 bins of 20 cents a 10 ms frame, 22,000 cents a second) in these bins and this hop,
 * W = 1 + round(11 (hop_s / 0.010) (20 / step_cents)), at least 2 (12 for CREPE's grid).
 */
int pf_viterbi_width(double hop_s, double step_cents);

/**
 * The most likely path of bins through @p frames frames of salience @p salience
 * [frames][bins] (values >= 0) of the hidden Markov model CREPE decodes with: uniform start;
 * emission, each frame's salience normalised to sum 1 (a frame that sums to 0 is uniform);
 * transition from bin i to bin j, max(0, W - |i - j|) / sum_k max(0, W - |i - k|) over the bins
 * (@p width W, rows normalised as CREPE's are). Computed in the log domain (log(x + DBL_MIN),
 * as librosa.sequence.viterbi) in O(frames bins (2 W - 1)) time; of equally likely
 * predecessors or last bins the lowest is taken.
 * @param path out: [frames] the path's bin at each frame
 * @return 0, or -1 with @p err filled (no bins, more than PF_VITERBI_MAX_BINS, width < 1)
 */
int pf_viterbi_path(const float *salience, size_t frames, size_t bins, int width, int *path,
                    pf_error *err);

#endif
