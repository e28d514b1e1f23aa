/* pitchforge: signal processing stages (spectrogram, YIN, augmentation). FFTW stays inside. */
#ifndef PITCHFORGE_DSP_H
#define PITCHFORGE_DSP_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"
#include "pitchforge/rng.h"

/* ---- spectrogram: equal to scipy.signal.spectrogram(window='hann', detrend='constant') ---- */

/** Output modes, named as scipy names them ("log-magnitude" is ln(magnitude + PF_LOG_EPS)). */
typedef enum pf_spec_mode {
    PF_SPEC_MAGNITUDE = 0,
    PF_SPEC_PSD,
    PF_SPEC_COMPLEX, /**< real and imaginary planes stacked: [2][bins][frames] */
    PF_SPEC_LOGMAG
} pf_spec_mode;
#define PF_LOG_EPS 1e-6

/**
 * x[i] = ln(x[i] + PF_LOG_EPS) in place, vectorized (AVX2 / SSE2 / scalar give the same bits;
 * at most 2.55 ulp from the exact value). Used by log-magnitude mode and the per-bin log stats.
 */
void pf_ln_eps(float *x, size_t n);

/** Scaling, as scipy's `scaling` argument. */
typedef enum pf_spec_scaling { PF_SCALE_DENSITY = 0, PF_SCALE_SPECTRUM } pf_spec_scaling;

/** STFT parameters (periodic Hann window of `length`, hop = length - overlap). */
typedef struct pf_spec_config {
    int length;      /**< window length in samples (256) */
    int overlap;     /**< overlap in samples (200) */
    int nfft;        /**< FFT size, >= length (1024) */
    double rate_hz;  /**< sample rate (16000), used by density scaling */
    pf_spec_mode mode;
    pf_spec_scaling scaling;
} pf_spec_config;

typedef struct pf_spectrogram pf_spectrogram;

/**
 * Make a spectrogram engine for signals of @p n_samples samples; plans FFTW once.
 * @return the engine (free with pf_spectrogram_free) or NULL with @p err filled.
 */
pf_spectrogram *pf_spectrogram_new(const pf_spec_config *cfg, size_t n_samples, pf_error *err);
/** Frequency bins (nfft/2 + 1). */
size_t pf_spectrogram_bins(const pf_spectrogram *s);
/** Time frames ((n_samples - length) / hop + 1). */
size_t pf_spectrogram_frames(const pf_spectrogram *s);
/** Floats written per call: bins * frames, times 2 in complex mode. */
size_t pf_spectrogram_size(const pf_spectrogram *s);
/**
 * Compute the spectrogram of @p x (length n_samples as given to _new).
 * @param out  pf_spectrogram_size() floats, layout [bins][frames] (or [2][bins][frames])
 * @return 0, or -1 with @p err filled (wrong length)
 */
int pf_spectrogram_compute(pf_spectrogram *s, const float *x, size_t n, float *out, pf_error *err);
/** Free the engine; NULL is accepted. */
void pf_spectrogram_free(pf_spectrogram *s);
/** The FFTW version string in use (e.g. "fftw-3.3.10-sse2-avx"); static storage, never NULL. */
const char *pf_fft_version(void);

/* ---- YIN f0 estimator (label audit, eval baseline) ---- */

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

/* ---- harmonic-peak refinement (the estimator) ---- */

/** Below this a note's harmonics are too close for a 256-sample window at 16 kHz (62.5 Hz bins,
 *  main lobe 4 bins wide) to place their peaks: the estimator leaves such estimates as the
 *  network gave them. Chosen on the val split (docs/model-format.md, "Decoding"). */
#define PF_REFINE_MIN_HZ 110.0

/**
 * Refine @p f0_hz on the spectrogram @p spec [bins][frames] made with @p cfg: the peaks of the
 * mean power per bin near harmonics 1-5 (within 3%, each placed by a parabola through the log
 * powers, kept within 30 cents of k f0), fitted as k f by least squares weighted by their power
 * (src/dsp/refine.c has the rules).
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
 * w = 1 / (1 + (f / PF_TIME_CROSSOVER_HZ)^4). A lag is read to a fixed fraction of a sample, so
 * its error in cents grows with f, while harmonic peaks separate as f grows: the weight moves
 * from the period (low notes) to the spectrum (high ones). When f and t are more than
 * PF_TIME_APART_CENTS apart, one of them is wrong and so is any mean of the two: the one with
 * the larger weight is taken whole (t when w >= 0.5, up to the crossover; f above it). Chosen on
 * the val split (docs/model-format.md, "Decoding").
 */
double pf_refine_time(double f_hz, double t_hz);

/** Where the long-window reading of the segment and the estimate weigh the same
 *  (pf_refine_meter). */
#define PF_METER_CROSSOVER_HZ 2000.0

/**
 * Move the estimate @p f_hz toward the key tuning meter's reading of the whole segment,
 * @p meter_cents from f (pf_key_meter_measure at f; NAN: none, and @p f_hz is returned): by
 * w = 1 / (1 + sqrt(PF_METER_CROSSOVER_HZ / f)) of it, f 2^(w c / 1200). One window of the whole
 * segment resolves each harmonic far finer than the 256-sample frames of the spectrogram. The
 * weight grows slowly with f: 0.2 at 125 Hz, 1/3 at 500 Hz, half at 2 kHz, 2/3 at 8 kHz; its
 * form was chosen on the val presets (docs/model-format.md, "Decoding").
 */
double pf_refine_meter(double f_hz, double meter_cents);

/** YIN's period and the meter's reading of a lone fundamental this close are the pitch
 *  (pf_refine_pure). */
#define PF_PURE_AGREE_CENTS 0.5

/**
 * A pure tone's pitch. When the meter's reading rests on the fundamental alone (@p harmonics,
 * pf_key_meter_measure's, is 1: no second or third harmonic within 20 dB of it) and that
 * reading, @p meter_hz, and YIN's period near the estimate, @p t_hz, are within
 * PF_PURE_AGREE_CENTS of each other, return sqrt(t m); else the estimate @p f_hz. Two
 * independent long-window measures of one sinusoid agree to a small fraction of a cent, while
 * the networks read a bare sine up to 20 cents off (110 Hz: -20), though FluidR3's Sine Wave
 * preset is in their data.
 */
double pf_refine_pure(double f_hz, double t_hz, double meter_hz, unsigned harmonics);

/* ---- key tuning meter (key audit) ---- */

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

/* ---- augmentation and level helpers ---- */

/** Noise colours for pf_noise_add. */
typedef enum pf_noise_kind { PF_NOISE_WHITE = 0, PF_NOISE_PINK } pf_noise_kind;

/** RMS level of @p x in dBFS (20*log10(rms)); -inf for silence. */
double pf_rms_dbfs(const float *x, size_t n);
/** Peak |x|; NaN if any sample is not finite. */
double pf_peak_abs(const float *x, size_t n);
/** Scale @p x in place so its peak is @p peak; returns the gain used (1 for silence). */
double pf_peak_normalize(float *x, size_t n, double peak);
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

#endif
