/* STFT spectrogram equal to scipy.signal.spectrogram (see include/pitchforge/dsp.h, docs/dsp.md).
 *
 * Each frame (hop = length - overlap) has its mean removed (detrend='constant'), is multiplied by
 * a periodic Hann window and implicitly zero-padded to nfft. Because only the first `length` of
 * the nfft inputs are non-zero, the nfft-point DFT is pruned: with nfft = M * P and P >= length,
 *     X[M m + r] = sum_{n < length} (v[n] e^{-2 pi i r n / nfft}) e^{-2 pi i m n / P},
 * i.e. one P-point complex FFT per residue r. A real input needs only r = 0 .. M/2, since
 * X[M m + r] = conj(X[M (P - 1 - m) + (M - r)]). For the default 256 / 1024 that is three
 * 256-point FFTs per frame instead of one 1024-point real FFT (about 3x faster in FFTW_ESTIMATE).
 * All (residue, frame) transforms run as one batched plan; a blocked gather then writes the
 * requested mode in [bin][frame] order. */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/mem.h"
#include "dsp/fft.h"
#include "pitchforge/dsp.h"

enum { PF_BIN_BLOCK = 16 }; /* bins per block of the gather (16 output rows written at once) */

struct pf_spectrogram {
    pf_spec_config cfg;
    size_t n;          /* input samples per call */
    int hop;           /* length - overlap */
    int bins;          /* nfft/2 + 1 */
    int frames;        /* (n - length) / hop + 1 */
    int sub;           /* P: sub-transform size, divides nfft, >= length */
    int nres;          /* residues computed: M/2 + 1 with M = nfft / P */
    float *win;        /* [length] periodic Hann */
    float *frame;      /* [length] scratch: one detrended, windowed frame */
    pf_cfloat *tw;     /* [nres][length] twiddles e^{-2 pi i r n / nfft} */
    pf_cfloat *in;     /* [nres][frames][sub] FFT inputs */
    pf_cfloat *spec;   /* [nres][frames][sub] FFT outputs */
    float *mag;        /* [nres][frames][sub] |spec| or |spec|^2 (not used in complex mode) */
    int *need;         /* [nres] outputs of residue r that some bin uses */
    size_t *src;       /* [bins] where bin k lives in frame 0 of spec / mag */
    float *flip;       /* [bins] +1, or -1 when bin k is the conjugate of its source */
    float *gain;       /* [bins] scipy's scale (doubled for one-sided PSD bins) */
    pf_fft_plan *plan; /* in -> spec: nres * frames transforms of size sub */
};

/* ---- construction ---- */

static int config_check(const pf_spec_config *c, size_t n, pf_error *err)
{
    if (!c) return PF_FAIL(err, PF_EINVAL, "spectrogram: no config");
    if (c->length < 1) return PF_FAIL(err, PF_EINVAL, "spectrogram: length %d < 1", c->length);
    if (c->overlap < 0 || c->overlap >= c->length)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: overlap %d not in [0, length %d)", c->overlap,
                       c->length);
    if (c->nfft < c->length)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: nfft %d < length %d", c->nfft, c->length);
    if (!(c->rate_hz > 0) || !isfinite(c->rate_hz))
        return PF_FAIL(err, PF_EINVAL, "spectrogram: rate %g Hz is not positive", c->rate_hz);
    if ((unsigned)c->mode > PF_SPEC_LOGMAG)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: unknown mode %d", (int)c->mode);
    if ((unsigned)c->scaling > PF_SCALE_SPECTRUM)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: unknown scaling %d", (int)c->scaling);
    if (n < (size_t)c->length)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: %zu samples < window length %d", n, c->length);
    size_t frames = (n - (size_t)c->length) / (size_t)(c->length - c->overlap) + 1;
    if (frames > (size_t)INT_MAX / (size_t)c->nfft / 2)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: %zu samples give too many frames", n);
    return 0;
}

/* Smallest divisor of @p nfft that is >= @p length (nfft itself at worst). */
static int sub_size(int nfft, int length)
{
    for (int p = length; p < nfft; p++)
        if (nfft % p == 0) return p;
    return nfft;
}

/* Periodic Hann (scipy get_window('hann', L)); returns scipy's scale (density or spectrum). */
static double make_window(float *w, const pf_spec_config *c)
{
    const double pi = 3.14159265358979323846;
    double sum = 0, sum2 = 0;
    for (int i = 0; i < c->length; i++) {
        double v = 0.5 - 0.5 * cos(2 * pi * i / c->length);
        w[i] = (float)v;
        sum += v;
        sum2 += v * v;
    }
    return c->scaling == PF_SCALE_DENSITY ? 1.0 / (c->rate_hz * sum2) : 1.0 / (sum * sum);
}

static void make_twiddles(pf_spectrogram *s)
{
    const double pi = 3.14159265358979323846;
    for (int r = 0; r < s->nres; r++)
        for (int i = 0; i < s->cfg.length; i++) {
            double a = -2 * pi * (double)((long)r * i % s->cfg.nfft) / s->cfg.nfft;
            s->tw[(size_t)r * (size_t)s->cfg.length + (size_t)i][0] = (float)cos(a);
            s->tw[(size_t)r * (size_t)s->cfg.length + (size_t)i][1] = (float)sin(a);
        }
}

/* True for a one-sided PSD bin scipy doubles: all but DC and (for even nfft) Nyquist. */
static int psd_doubled(int k, int nfft)
{
    return k > 0 && (nfft % 2 || k < nfft / 2);
}

/* Where each bin comes from (residue, index, conjugation), the residues' used lengths, gains. */
static void make_bin_map(pf_spectrogram *s, double scale)
{
    int ways = s->cfg.nfft / s->sub;
    size_t plane = (size_t)s->frames * (size_t)s->sub;
    for (int k = 0; k < s->bins; k++) {
        int r = k % ways, m = k / ways, conj = r >= s->nres;
        if (conj) r = ways - r, m = s->sub - 1 - m;
        s->src[k] = (size_t)r * plane + (size_t)m;
        s->flip[k] = conj ? -1.0f : 1.0f;
        if (m + 1 > s->need[r]) s->need[r] = m + 1;
        double g = s->cfg.mode == PF_SPEC_PSD ? scale : sqrt(scale);
        if (s->cfg.mode == PF_SPEC_PSD && psd_doubled(k, s->cfg.nfft)) g *= 2;
        s->gain[k] = (float)g;
    }
}

static void alloc_buffers(pf_spectrogram *s)
{
    size_t len = (size_t)s->cfg.length, bins = (size_t)s->bins;
    size_t all = (size_t)s->nres * (size_t)s->frames * (size_t)s->sub;
    s->win = pf_fft_alloc_real(len);
    s->frame = pf_fft_alloc_real(len);
    s->tw = pf_fft_alloc_complex((size_t)s->nres * len);
    s->in = pf_fft_alloc_complex(all);
    s->spec = pf_fft_alloc_complex(all);
    s->mag = pf_fft_alloc_real(s->cfg.mode == PF_SPEC_COMPLEX ? 1 : all);
    s->need = pf_calloc((size_t)s->nres, sizeof *s->need);
    s->src = pf_calloc(bins, sizeof *s->src);
    s->flip = pf_calloc(bins, sizeof *s->flip);
    s->gain = pf_calloc(bins, sizeof *s->gain);
}

pf_spectrogram *pf_spectrogram_new(const pf_spec_config *cfg, size_t n_samples, pf_error *err)
{
    if (config_check(cfg, n_samples, err)) return NULL;
    pf_spectrogram *s = pf_calloc(1, sizeof *s);
    s->cfg = *cfg;
    s->n = n_samples;
    s->hop = cfg->length - cfg->overlap;
    s->bins = cfg->nfft / 2 + 1;
    s->frames = (int)((n_samples - (size_t)cfg->length) / (size_t)s->hop + 1);
    s->sub = sub_size(cfg->nfft, cfg->length);
    s->nres = cfg->nfft / s->sub / 2 + 1;
    alloc_buffers(s);
    make_bin_map(s, make_window(s->win, cfg));
    make_twiddles(s);
    pf_fft_batch b = {s->sub, s->nres * s->frames, 1, s->sub, 1, s->sub};
    s->plan = pf_fft_plan_c2c(&b, s->in, s->spec, err);
    if (!s->plan) {
        pf_spectrogram_free(s);
        return NULL;
    }
    return s;
}

size_t pf_spectrogram_bins(const pf_spectrogram *s)
{
    return (size_t)s->bins;
}

size_t pf_spectrogram_frames(const pf_spectrogram *s)
{
    return (size_t)s->frames;
}

size_t pf_spectrogram_size(const pf_spectrogram *s)
{
    size_t planes = s->cfg.mode == PF_SPEC_COMPLEX ? 2 : 1;
    return planes * (size_t)s->bins * (size_t)s->frames;
}

void pf_spectrogram_free(pf_spectrogram *s)
{
    if (!s) return;
    pf_fft_plan_free(s->plan);
    pf_fft_free(s->win);
    pf_fft_free(s->frame);
    pf_fft_free(s->tw);
    pf_fft_free(s->in);
    pf_fft_free(s->spec);
    pf_fft_free(s->mag);
    free(s->need);
    free(s->src);
    free(s->flip);
    free(s->gain);
    free(s);
}

/* ---- per call: numeric kernels (SSE2 where available, same arithmetic as the scalar tail) ---- */

/* Mean of @p x in double, summed in four interleaved lanes (SSE2 and scalar agree). */
static double frame_mean(const float *x, int len)
{
    double acc[4] = {0, 0, 0, 0};
    int i = 0;
#ifdef __SSE2__
    __m128d a01 = _mm_setzero_pd(), a23 = _mm_setzero_pd();
    for (; i + 4 <= len; i += 4) {
        __m128 v = _mm_loadu_ps(x + i);
        a01 = _mm_add_pd(a01, _mm_cvtps_pd(v));
        a23 = _mm_add_pd(a23, _mm_cvtps_pd(_mm_movehl_ps(v, v)));
    }
    _mm_storeu_pd(acc, a01);
    _mm_storeu_pd(acc + 2, a23);
#endif
    for (; i + 4 <= len; i += 4)
        for (int j = 0; j < 4; j++)
            acc[j] += x[i + j];
    for (; i < len; i++)
        acc[0] += x[i];
    return (acc[0] + acc[1] + acc[2] + acc[3]) / len;
}

/* dst = (x - mean) * w, the mean split into two floats so the subtraction keeps double
 * accuracy (a constant frame gives exact zeros, as in scipy). */
static void frame_prepare(const float *x, const float *w, int len, float *dst)
{
    double mean = frame_mean(x, len);
    float hi = (float)mean, lo = (float)(mean - hi);
    int i = 0;
#ifdef __SSE2__
    __m128 vh = _mm_set1_ps(hi), vl = _mm_set1_ps(lo);
    for (; i + 4 <= len; i += 4) {
        __m128 d = _mm_sub_ps(_mm_sub_ps(_mm_loadu_ps(x + i), vh), vl);
        _mm_storeu_ps(dst + i, _mm_mul_ps(d, _mm_loadu_ps(w + i)));
    }
#endif
    for (; i < len; i++)
        dst[i] = ((x[i] - hi) - lo) * w[i];
}

/* out[n] = v[n] * tw[n] (real times complex) for n < len, then zeros up to @p size. */
static void frame_twiddle(const float *v, const pf_cfloat *tw, int len, int size, pf_cfloat *out)
{
    int n = 0;
#ifdef __SSE2__
    for (; n + 4 <= len; n += 4) {
        __m128 x = _mm_loadu_ps(v + n);
        __m128 t0 = _mm_loadu_ps(tw[n]), t1 = _mm_loadu_ps(tw[n + 2]);
        _mm_storeu_ps(out[n], _mm_mul_ps(_mm_unpacklo_ps(x, x), t0));
        _mm_storeu_ps(out[n + 2], _mm_mul_ps(_mm_unpackhi_ps(x, x), t1));
    }
#endif
    for (; n < len; n++)
        out[n][0] = v[n] * tw[n][0], out[n][1] = v[n] * tw[n][1];
    if (size > len) memset(out[len], 0, (size_t)(size - len) * sizeof *out);
}

/* out[i] = |c[i]|^2, or |c[i]| when @p root. */
static void power_row(const pf_cfloat *c, int cnt, int root, float *out)
{
    int i = 0;
#ifdef __SSE2__
    for (; i + 4 <= cnt; i += 4) {
        __m128 a = _mm_loadu_ps(c[i]), b = _mm_loadu_ps(c[i + 2]);
        a = _mm_mul_ps(a, a), b = _mm_mul_ps(b, b);
        __m128 re = _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        __m128 im = _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
        __m128 p = _mm_add_ps(re, im);
        _mm_storeu_ps(out + i, root ? _mm_sqrt_ps(p) : p);
    }
#endif
    for (; i < cnt; i++) {
        float p = c[i][0] * c[i][0] + c[i][1] * c[i][1];
        out[i] = root ? sqrtf(p) : p;
    }
}

/* ---- per call: stages ---- */

static void stage_frames(pf_spectrogram *s, const float *x)
{
    size_t len = (size_t)s->cfg.length, sub = (size_t)s->sub, frames = (size_t)s->frames;
    for (size_t f = 0; f < frames; f++) {
        frame_prepare(x + f * (size_t)s->hop, s->win, s->cfg.length, s->frame);
        for (size_t r = 0; r < (size_t)s->nres; r++)
            frame_twiddle(s->frame, s->tw + r * len, s->cfg.length, s->sub,
                          s->in + (r * frames + f) * sub);
    }
}

static void stage_power(pf_spectrogram *s)
{
    size_t sub = (size_t)s->sub, frames = (size_t)s->frames;
    int root = s->cfg.mode != PF_SPEC_PSD;
    for (size_t r = 0; r < (size_t)s->nres; r++)
        for (size_t f = 0; f < frames; f++) {
            size_t at = (r * frames + f) * sub;
            power_row(s->spec + at, s->need[r], root, s->mag + at);
        }
}

/* Frames [f, f + 4) of bin k from the per-frame rows of @p mag, times @p g, into @p out. */
static void gather4(const float *mag, size_t sub, size_t src, float g, float *out)
{
#ifdef __SSE2__
    __m128 v = _mm_set_ps(mag[3 * sub + src], mag[2 * sub + src], mag[sub + src], mag[src]);
    _mm_storeu_ps(out, _mm_mul_ps(v, _mm_set1_ps(g)));
#else
    for (size_t j = 0; j < 4; j++)
        out[j] = g * mag[j * sub + src];
#endif
}

/* Write gain * mag in [bin][frame] order, four frames at a time (one 16-byte store per bin). */
static void gather_real(const pf_spectrogram *s, float *out)
{
    size_t frames = (size_t)s->frames, sub = (size_t)s->sub, f = 0;
    for (; f + 4 <= frames; f += 4)
        for (int k = 0; k < s->bins; k++)
            gather4(s->mag + f * sub, sub, s->src[k], s->gain[k], out + (size_t)k * frames + f);
    for (; f < frames; f++)
        for (int k = 0; k < s->bins; k++)
            out[(size_t)k * frames + f] = s->gain[k] * s->mag[f * sub + s->src[k]];
}

/* ln(x + eps) in place over @p n values (log-magnitude mode). */
static void log_eps(float *x, size_t n)
{
    const float eps = (float)PF_LOG_EPS;
    for (size_t i = 0; i < n; i++)
        x[i] = logf(x[i] + eps);
}

/* Gather bins [k0, k1) as complex: real plane @p re, imaginary plane @p im. */
static void gather_complex(const pf_spectrogram *s, int k0, int k1, float *re, float *im)
{
    size_t frames = (size_t)s->frames, sub = (size_t)s->sub;
    for (size_t f = 0; f < frames; f++) {
        const pf_cfloat *c = s->spec + f * sub;
        for (int k = k0; k < k1; k++) {
            size_t o = (size_t)k * frames + f;
            re[o] = s->gain[k] * c[s->src[k]][0];
            im[o] = s->flip[k] * s->gain[k] * c[s->src[k]][1];
        }
    }
}

int pf_spectrogram_compute(pf_spectrogram *s, const float *x, size_t n, float *out, pf_error *err)
{
    if (!s || !x || !out) return PF_FAIL(err, PF_EINVAL, "spectrogram: NULL argument");
    if (n != s->n)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: %zu samples given, engine made for %zu", n,
                       s->n);
    stage_frames(s, x);
    pf_fft_execute(s->plan);
    size_t plane = (size_t)s->bins * (size_t)s->frames;
    if (s->cfg.mode == PF_SPEC_COMPLEX) {
        for (int k0 = 0; k0 < s->bins; k0 += PF_BIN_BLOCK) {
            int k1 = k0 + PF_BIN_BLOCK < s->bins ? k0 + PF_BIN_BLOCK : s->bins;
            gather_complex(s, k0, k1, out, out + plane);
        }
        return 0;
    }
    stage_power(s);
    gather_real(s, out);
    if (s->cfg.mode == PF_SPEC_LOGMAG) log_eps(out, plane);
    return 0;
}
