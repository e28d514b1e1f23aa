/* STFT spectrogram equal to scipy.signal.spectrogram (see include/pitchforge/dsp.h, docs/dsp.md).
 *
 * Per call: every frame is cut (hop = length - overlap), its mean removed (detrend='constant'),
 * multiplied by a periodic Hann window and zero-padded at the end to nfft; all frames go through
 * one batched real FFT whose output FFTW writes straight into [bin][frame] order (ostride =
 * frames, odist = 1), so the mode kernels below stream through memory with no transpose. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "dsp/fft.h"
#include "pitchforge/dsp.h"

struct pf_spectrogram {
    pf_spec_config cfg;
    size_t n;          /* input samples per call */
    int hop;           /* length - overlap */
    int bins;          /* nfft/2 + 1 */
    int frames;        /* (n - length) / hop + 1 */
    float *win;        /* [length] periodic Hann */
    float *in;         /* [frames][nfft] windowed frames; the tail [length, nfft) stays zero */
    pf_cfloat *spec;   /* [bins][frames] FFT output */
    pf_fft_plan *plan; /* in -> spec, all frames at once */
    float scale;       /* scipy's scale: |X|^2 factor (psd) or its square root (other modes) */
};

/* ---- construction ---- */

static int config_check(const pf_spec_config *c, size_t n, pf_error *err) {
    if (!c) return PF_FAIL(err, PF_EINVAL, "spectrogram: no config");
    if (c->length < 1) return PF_FAIL(err, PF_EINVAL, "spectrogram: length %d < 1", c->length);
    if (c->overlap < 0 || c->overlap >= c->length)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: overlap %d not in [0, length %d)",
                       c->overlap, c->length);
    if (c->nfft < c->length)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: nfft %d < length %d", c->nfft, c->length);
    if (!(c->rate_hz > 0) || !isfinite(c->rate_hz))
        return PF_FAIL(err, PF_EINVAL, "spectrogram: rate %g Hz is not positive", c->rate_hz);
    if ((unsigned)c->mode > PF_SPEC_LOGMAG)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: unknown mode %d", (int)c->mode);
    if ((unsigned)c->scaling > PF_SCALE_SPECTRUM)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: unknown scaling %d", (int)c->scaling);
    if (n < (size_t)c->length)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: %zu samples < window length %d", n,
                       c->length);
    size_t frames = (n - (size_t)c->length) / (size_t)(c->length - c->overlap) + 1;
    if (frames > (size_t)INT_MAX / (size_t)c->nfft)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: %zu samples give too many frames", n);
    return 0;
}

/* Periodic Hann (scipy get_window('hann', L)); returns scipy's scale for @p c's mode. */
static float make_window(float *w, const pf_spec_config *c) {
    const double pi = 3.14159265358979323846;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < c->length; i++) {
        double v = 0.5 - 0.5 * cos(2 * pi * i / c->length);
        w[i] = (float)v;
        sum += v;
        sum2 += v * v;
    }
    double scale = c->scaling == PF_SCALE_DENSITY ? 1.0 / (c->rate_hz * sum2) : 1.0 / (sum * sum);
    return (float)(c->mode == PF_SPEC_PSD ? scale : sqrt(scale));
}

pf_spectrogram *pf_spectrogram_new(const pf_spec_config *cfg, size_t n_samples, pf_error *err) {
    if (config_check(cfg, n_samples, err)) return NULL;
    pf_spectrogram *s = pf_calloc(1, sizeof *s);
    s->cfg = *cfg;
    s->n = n_samples;
    s->hop = cfg->length - cfg->overlap;
    s->bins = cfg->nfft / 2 + 1;
    s->frames = (int)((n_samples - (size_t)cfg->length) / (size_t)s->hop + 1);
    s->win = pf_fft_alloc_real((size_t)cfg->length);
    s->scale = make_window(s->win, cfg);
    s->in = pf_fft_alloc_real((size_t)s->frames * (size_t)cfg->nfft);
    s->spec = pf_fft_alloc_complex((size_t)s->frames * (size_t)s->bins);
    pf_fft_batch b = {cfg->nfft, s->frames, 1, cfg->nfft, s->frames, 1};
    s->plan = pf_fft_plan_r2c(&b, s->in, s->spec, err);
    if (!s->plan) {
        pf_spectrogram_free(s);
        return NULL;
    }
    return s;
}

size_t pf_spectrogram_bins(const pf_spectrogram *s) { return (size_t)s->bins; }

size_t pf_spectrogram_frames(const pf_spectrogram *s) { return (size_t)s->frames; }

size_t pf_spectrogram_size(const pf_spectrogram *s) {
    size_t planes = s->cfg.mode == PF_SPEC_COMPLEX ? 2 : 1;
    return planes * (size_t)s->bins * (size_t)s->frames;
}

void pf_spectrogram_free(pf_spectrogram *s) {
    if (!s) return;
    pf_fft_plan_free(s->plan);
    pf_fft_free(s->win);
    pf_fft_free(s->in);
    pf_fft_free(s->spec);
    free(s);
}

/* ---- per call ---- */

/* Detrend (subtract the mean, summed in double) and window one frame into @p dst. */
static void frame_prepare(const float *x, const float *w, int len, float *dst) {
    double sum = 0;
    for (int i = 0; i < len; i++) sum += x[i];
    double mean = sum / len;
    for (int i = 0; i < len; i++) dst[i] = (float)((x[i] - mean) * w[i]);
}

/* Mode kernels: read @p cnt complex values of one bin row, write to @p out (and @p im). */
static void row_magnitude(const pf_cfloat *c, int cnt, float g, float *out) {
    for (int i = 0; i < cnt; i++) out[i] = g * sqrtf(c[i][0] * c[i][0] + c[i][1] * c[i][1]);
}

static void row_power(const pf_cfloat *c, int cnt, float g, float *out) {
    for (int i = 0; i < cnt; i++) out[i] = g * (c[i][0] * c[i][0] + c[i][1] * c[i][1]);
}

static void row_logmag(const pf_cfloat *c, int cnt, float g, float *out) {
    for (int i = 0; i < cnt; i++)
        out[i] = logf(g * sqrtf(c[i][0] * c[i][0] + c[i][1] * c[i][1]) + (float)PF_LOG_EPS);
}

static void row_complex(const pf_cfloat *c, int cnt, float g, float *re, float *im) {
    for (int i = 0; i < cnt; i++) {
        re[i] = g * c[i][0];
        im[i] = g * c[i][1];
    }
}

/* True for a one-sided PSD bin scipy doubles: all but DC and (for even nfft) Nyquist. */
static int psd_doubled(int k, int nfft) { return k > 0 && (nfft % 2 || k < nfft / 2); }

/* Turn the [bins][frames] FFT output into the requested mode. */
static void spectrum_finish(const pf_spectrogram *s, float *out) {
    size_t plane = (size_t)s->bins * (size_t)s->frames;
    for (int k = 0; k < s->bins; k++) {
        size_t at = (size_t)k * (size_t)s->frames;
        const pf_cfloat *row = s->spec + at;
        switch (s->cfg.mode) {
        case PF_SPEC_MAGNITUDE: row_magnitude(row, s->frames, s->scale, out + at); break;
        case PF_SPEC_LOGMAG: row_logmag(row, s->frames, s->scale, out + at); break;
        case PF_SPEC_PSD:
            row_power(row, s->frames, psd_doubled(k, s->cfg.nfft) ? 2 * s->scale : s->scale,
                      out + at);
            break;
        case PF_SPEC_COMPLEX: row_complex(row, s->frames, s->scale, out + at, out + plane + at); break;
        }
    }
}

int pf_spectrogram_compute(pf_spectrogram *s, const float *x, size_t n, float *out, pf_error *err) {
    if (!s || !x || !out) return PF_FAIL(err, PF_EINVAL, "spectrogram: NULL argument");
    if (n != s->n)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: %zu samples given, engine made for %zu", n,
                       s->n);
    for (int f = 0; f < s->frames; f++)
        frame_prepare(x + (size_t)f * (size_t)s->hop, s->win, s->cfg.length,
                      s->in + (size_t)f * (size_t)s->cfg.nfft);
    pf_fft_execute(s->plan);
    spectrum_finish(s, out);
    return 0;
}
