/* pitchforge: the YIN f0 estimator (label audit, eval baseline, decoding). */
#ifndef PITCHFORGE_YIN_H
#define PITCHFORGE_YIN_H

#include "pitchforge/error.h"
#include <stddef.h>

typedef struct pf_yin pf_yin;

/** YIN search range of the label audit (and of eval's baseline): down to an octave-down error
 *  on C1 territory, up past B7's harmonics at the 16 kHz rate. */
#define PF_AUDIT_FMIN_HZ 25.0
#define PF_AUDIT_FMAX_HZ 6000.0

/**
 * Make a YIN estimator for frames of @p n_samples at @p rate_hz searching [fmin_hz, fmax_hz].
 * @return the estimator or NULL with @p err filled.
 */
pf_yin *pf_yin_new(size_t n_samples, double rate_hz, double fmin_hz, double fmax_hz, pf_error *err);
/**
 * Estimate f0 of @p x (n_samples long) with parabolic sub-sample interpolation.
 * @param f0_hz        out: estimate in Hz, 0 when unvoiced
 * @param aperiodicity out (may be NULL): YIN's cumulative-mean-normalized dip, 0..1+
 * @return 0, or -1 with @p err filled
 */
int pf_yin_estimate(pf_yin *y, const float *x, size_t n, double *f0_hz, double *aperiodicity,
                    pf_error *err);
/**
 * YIN's period near a given pitch: the deepest local minimum of the normalized difference d'
 * on the lag grid around @p span_cents of @p guess_hz, refined as pf_yin_estimate refines its
 * dip, kept when the result lies within the span. No threshold picks the dip, so another
 * estimator can settle the octave and YIN the fine pitch.
 * @param f0_hz        out: the estimate, 0 when there is no such dip, it is above 0.5, the
 *                     span leaves YIN's range, or @p x is silent
 * @param aperiodicity out (may be NULL): d' at that dip
 * @return 0, or -1 with @p err filled
 */
int pf_yin_near(pf_yin *y, const float *x, size_t n, double guess_hz, double span_cents,
                double *f0_hz, double *aperiodicity, pf_error *err);
/**
 * The two estimates above of one frame from one analysis (its difference function, most of
 * the cost): pf_yin_estimate is pf_yin_analyse then pf_yin_pick, pf_yin_near is
 * pf_yin_analyse then pf_yin_pick_near, with the same answers. The picks read the frame last
 * analysed (none yet: unvoiced).
 * @return 0, or -1 with @p err filled
 */
int pf_yin_analyse(pf_yin *y, const float *x, size_t n, pf_error *err);
/** pf_yin_estimate's answer for the frame last analysed. */
void pf_yin_pick(const pf_yin *y, double *f0_hz, double *aperiodicity);
/** pf_yin_near's answer for the frame last analysed. */
void pf_yin_pick_near(const pf_yin *y, double guess_hz, double span_cents, double *f0_hz,
                      double *aperiodicity);
/** The frame length @p y was made for. */
size_t pf_yin_length(const pf_yin *y);
/** Free the estimator; NULL is accepted. */
void pf_yin_free(pf_yin *y);

#endif
