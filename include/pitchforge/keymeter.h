/* pitchforge: the key tuning meter: how far a note sounds from a written pitch (key audit,
 * decoding). */
#ifndef PITCHFORGE_KEYMETER_H
#define PITCHFORGE_KEYMETER_H

#include "pitchforge/error.h"
#include <stddef.h>

typedef struct pf_key_meter pf_key_meter;

/** The meter looks for each harmonic within this many cents of its written frequency. */
#define PF_KEYMETER_SEARCH_CENTS 60.0

/**
 * Make a meter for frames of @p n_samples at @p rate_hz (one FFT plan, zero-padded 4x or more).
 * @return the meter or NULL with @p err filled.
 */
pf_key_meter *pf_key_meter_new(size_t n_samples, double rate_hz, pf_error *err);
/**
 * How far the note in @p x sounds from @p f_hz, in cents: spectral peaks near harmonics 1-3 of
 * f_hz (within PF_KEYMETER_SEARCH_CENTS), each measured by the mean frequency of the bins around
 * it, averaged weighted by magnitude (src/dsp/keymeter.c has the rules).
 * @param cents out: the offset, NAN when no harmonic shows a clear peak in its span
 * @param harmonics out (NULL: not wanted): the harmonics the offset rests on, bit k-1 for
 *        harmonic k (0 with NAN); 1 is the fundamental alone, as in a pure tone
 * @return 0, or -1 with @p err filled (a frame of another length)
 */
int pf_key_meter_measure(pf_key_meter *t, const float *x, size_t n, double f_hz, double *cents,
                         unsigned *harmonics, pf_error *err);
/** Free the meter; NULL is accepted. */
void pf_key_meter_free(pf_key_meter *t);

#endif
