/* pitchforge: augmentations: the fundamental notched out, noise added (drawn from the example's own
 * generator). */
#ifndef PITCHFORGE_AUGMENT_H
#define PITCHFORGE_AUGMENT_H

#include "pitchforge/rng.h"
#include <stddef.h>

/** Noise colours for pf_noise_add. */
typedef enum pf_noise_kind { PF_NOISE_WHITE = 0, PF_NOISE_PINK, PF_NOISE_BROWN } pf_noise_kind;

/**
 * Band-reject the fundamental: a biquad notch (RBJ cookbook) at @p f0_hz with quality @p q,
 * applied forward then backward (zero phase) in place. Harmonics are left intact.
 */
void pf_notch_apply(float *x, size_t n, double f0_hz, double rate_hz, double q);
/**
 * Add noise of kind @p kind at @p snr_db relative to the RMS of @p x, drawn from @p rng.
 * Silence gets no noise. Pink noise is white noise through Kellet's 1/f filter.
 */
void pf_noise_add(float *x, size_t n, pf_noise_kind kind, double snr_db, pf_rng *rng);
/**
 * Fill @p x with noise of kind @p kind whose RMS is exactly @p rms_dbfs (20 log10(rms)), drawn
 * from @p rng. Brown noise is white noise through a leaky integrator (pole 0.995: -6 dB an
 * octave above 13 Hz at 16 kHz), started in its stationary state as pink noise is.
 */
void pf_noise_fill(float *x, size_t n, pf_noise_kind kind, double rms_dbfs, pf_rng *rng);

#endif
