/* pitchforge: the STFT, equal to scipy.signal.spectrogram(window='hann', detrend='constant'). FFTW
 * stays inside. */
#ifndef PITCHFORGE_SPECTROGRAM_H
#define PITCHFORGE_SPECTROGRAM_H

#include "pitchforge/error.h"
#include <stddef.h>

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
    int length;     /**< window length in samples (256) */
    int overlap;    /**< overlap in samples (200) */
    int nfft;       /**< FFT size, >= length (1024) */
    double rate_hz; /**< sample rate (16000), used by density scaling */
    pf_spec_mode mode;
    pf_spec_scaling scaling;
} pf_spec_config;

/**
 * The shape of the spectrogram of @p n_samples samples with @p cfg: @p bins = nfft / 2 + 1,
 * @p frames = (n_samples - length) / hop + 1 (0 when n_samples < length). Column k is centred
 * at (length / 2 + k hop) / rate_hz s from the first sample.
 */
void pf_spec_shape(const pf_spec_config *cfg, size_t n_samples, size_t *bins, size_t *frames);
/**
 * Check @p cfg for spectrograms of @p n samples as pf_spectrogram_new does (window, overlap,
 * nfft, rate, mode, scaling, and frames * nfft * 2 within INT_MAX).
 * @return 0, or -1 with PF_EINVAL and the reason in @p err
 */
int pf_spec_config_check(const pf_spec_config *cfg, size_t n, pf_error *err);

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

#endif
