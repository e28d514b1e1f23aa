/* pitchforge: the decoding steps after the network: harmonic peaks, YIN's period, the key
 * meter, pure tones (docs/model-format.md, "Decoding"). */
#ifndef PITCHFORGE_REFINE_H
#define PITCHFORGE_REFINE_H

#include "pitchforge/error.h"
#include "pitchforge/keymeter.h"
#include "pitchforge/spectrogram.h"
#include "pitchforge/yin.h"
#include <stddef.h>

/** Below this a note's harmonics are too close for a 256-sample window at 16 kHz (62.5 Hz bins,
 *  main lobe 4 bins wide) to place their peaks: the estimator leaves such estimates as the
 *  network gave them. Chosen on the val split (docs/model-format.md, "Decoding"). */
#define PF_REFINE_MIN_HZ 110.0

/**
 * Refine @p f0_hz on the spectrogram @p spec [bins][frames] made with @p cfg: the peaks of the
 * mean power per bin near harmonics 1-5 (within 3%, each placed by a parabola through the log
 * powers, kept within 30 cents of k f0), fitted as k f by least squares weighted by their power
 * (src/decode/refine.c has the rules).
 * @param spread_cents if not NULL, receives how far the kept peaks disagree: the standard
 *        deviation in cents of each peak's f0 (p_k / k), weighted by its power; infinite
 *        below two peaks
 * @return the refined f0, or @p f0_hz when no harmonic peak qualifies (or complex mode)
 */
double pf_refine_f0(const float *spec, const pf_spec_config *cfg, int bins, int frames,
                    double f0_hz, double *spread_cents);

/**
 * The estimate `eval` and `predict` report for the network's decoded @p f_hz (docs/model-format.md,
 * "Decoding"): @p f_hz itself below PF_REFINE_MIN_HZ; else its mean in cents with
 * pf_refine_f0's f', f^(1-w) f'^w, w = 0.8 when the peaks' spread is within 2 cents, 0.5 else.
 */
double pf_refine_estimate(const float *spec, const pf_spec_config *cfg, int bins, int frames,
                          double f_hz);

/** Where the time-domain estimate and the spectral one weigh the same (pf_refine_time). */
#define PF_TIME_CROSSOVER_HZ 150.0
/** How far from the spectral estimate the time-domain one is looked for (pf_yin_near): a
 *  whole tone, so a network that is off by more than its own bins still finds the period. */
#define PF_TIME_SPAN_CENTS 200.0
/** Beyond this the two estimates disagree: one of them is wrong (pf_refine_time). */
#define PF_TIME_APART_CENTS 25.0

/**
 * Combine the spectral estimate @p f_hz with YIN's period near it, @p t_hz (pf_yin_near within
 * PF_TIME_SPAN_CENTS; 0: none, and @p f_hz is returned): f^(1-w) t^w with
 * w = 1 / (1 + (f / PF_TIME_CROSSOVER_HZ)^4), the period weighing most on low notes. When
 * f and t are more than PF_TIME_APART_CENTS apart, the one with the larger weight is taken whole
 * (t when w >= 0.5, up to the crossover; f above it). Why: docs/dsp.md.
 */
double pf_refine_time(double f_hz, double t_hz);

/** Where the long-window reading of the segment and the estimate weigh the same
 *  (pf_refine_meter). */
#define PF_METER_CROSSOVER_HZ 2000.0

/**
 * Move the estimate @p f_hz toward the key tuning meter's reading of the whole segment,
 * @p meter_cents from f (pf_key_meter_measure at f; NAN: none, and @p f_hz is returned): by
 * w = 1 / (1 + sqrt(PF_METER_CROSSOVER_HZ / f)) of it, f 2^(w c / 1200) (w is 0.2 at 125 Hz,
 * half at 2 kHz). Why: docs/dsp.md and docs/model-format.md, "Decoding".
 */
double pf_refine_meter(double f_hz, double meter_cents);

/** YIN's period and the meter's reading of a lone fundamental this close are the pitch
 *  (pf_refine_pure). */
#define PF_PURE_AGREE_CENTS 0.5

/**
 * A pure tone's pitch. When the meter's reading rests on the fundamental alone (@p harmonics,
 * pf_key_meter_measure's, is 1: no second or third harmonic within 20 dB of it) and that
 * reading, @p meter_hz, and YIN's period near the estimate, @p t_hz, are within
 * PF_PURE_AGREE_CENTS of each other, return sqrt(t m); else the estimate @p f_hz
 * (docs/dsp.md).
 */
double pf_refine_pure(double f_hz, double t_hz, double meter_hz, unsigned harmonics);

/**
 * The decoding's audio steps, in order, for one segment @p x of @p n samples and the spectral
 * estimate @p f_hz > 0: f' = pf_refine_time(f, YIN's period within PF_TIME_SPAN_CENTS of f),
 * then pf_refine_meter(f', the meter's reading at f'), then pf_refine_pure (YIN and the meter,
 * where they agree on a lone fundamental). @p yin must have analysed @p x (pf_yin_analyse);
 * @p meter is made for @p n samples.
 * @param out_hz out: the estimate after the three steps
 * @return 0, or -1 with @p err filled (a meter made for another length)
 */
int pf_refine_audio(const pf_yin *yin, pf_key_meter *meter, const float *x, size_t n, double f_hz,
                    double *out_hz, pf_error *err);

#endif
