/* STFT spectrogram equal to scipy.signal.spectrogram (see include/pitchforge/spectrogram.h, docs/dsp.md).
 *
 * Each frame (hop = length - overlap) has its mean removed (detrend='constant'), is multiplied by
 * a periodic Hann window and implicitly zero-padded to nfft. Because only the first `length` of
 * the nfft inputs are non-zero, the nfft-point DFT is pruned: with nfft = M * P and P >= length,
 *     X[M m + r] = sum_{n < length} (v[n] e^{-2 pi i r n / nfft}) e^{-2 pi i m n / P},
 * i.e. one P-point complex FFT per residue r. A real input needs only r = 0 .. M/2, since
 * X[M m + r] = conj(X[M (P - 1 - m) + (M - r)]).
 *
 * Two residues have conjugate-symmetric spectra: r = 0 (R[m] = conj R[-m mod P]) and, for even M,
 * r = M/2 (R[m] = conj R[P - 1 - m]). Their inputs are real (r = 0) or a real frame times a fixed
 * twiddle (r = M/2), so two frames a, b share one FFT: Z = FFT((a + i b) tw) gives
 * A[m] = (Z[m] + conj Z[q]) / 2 and B[m] = (Z[m] - conj Z[q]) / 2i with q the mirror index.
 * For the default 256 / 1024 that is two 256-point FFTs per frame (r = 1 alone, r = 0 and r = 2
 * shared), exactly the 513 outputs needed.
 *
 * Frames are processed a pair at a time: detrend + window, fill the FFT inputs, run one batched
 * plan, separate the shared FFTs while taking |.| (or |.|^2, or keeping Re and Im) into a
 * [frame][residue][m] buffer. One last pass writes [bin][frame] order, four bins x four frames
 * per 4x4 transpose, and log-magnitude takes a vectorized ln over the output (docs/dsp.md). */
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
#include "pitchforge/error.h"
#include "pitchforge/spectrogram.h"

enum { PF_CHUNK_FRAMES = 2 }; /* frames per chunk: one pair (2 to 90 measured within 5%, 2 best) */

/* Bins k0, k0 + step, ... (count of them) read one residue's outputs src, src + dir, ... of a
 * frame's [nres][sub] block: dir +1 for X[M m + r] = R_r[m], -1 for the conjugate bins. */
typedef struct pf_stream {
    int k0, step, count, dir;
    size_t src;
} pf_stream;

struct pf_spectrogram {
    pf_spec_config cfg;
    size_t n;           /* input samples per call */
    int hop;            /* length - overlap */
    int bins;           /* nfft/2 + 1 */
    int frames;         /* (n - length) / hop + 1 */
    int sub;            /* P: sub-transform size, divides nfft, >= length */
    int nres;           /* residues computed: M/2 + 1 with M = nfft / P */
    int chunk;          /* frames per full chunk */
    int *mirror;        /* [nres] -1: one FFT per frame; else 0 or 1: shared, mirror q = -m - it */
    float *win;         /* [length] periodic Hann */
    float *vbuf;        /* [chunk + 1][length] detrended, windowed frames (last row stays zero) */
    pf_cfloat *tw;      /* [nres][length] twiddles e^{-2 pi i r n / nfft} */
    pf_cfloat *in;      /* [slots][sub] FFT inputs of one chunk */
    pf_cfloat *spec;    /* [slots][sub] FFT outputs of one chunk */
    float *mag;         /* [frames + 1][nres][sub] |R| or |R|^2 per frame (not in complex mode;
                           the extra row takes an odd last frame's zero partner) */
    float *imag;        /* [frames + 1][nres][sub] Im R per frame (complex mode; mag holds Re R) */
    int *need;          /* [nres] outputs of residue r that some bin uses */
    pf_stream *streams; /* [nstreams] the bins as runs over one residue's outputs */
    int nstreams;
    size_t *src;       /* [bins] where bin k lives in one frame's [nres][sub] block */
    float *flip;       /* [bins] +1, or -1 when bin k is the conjugate of its source */
    float *gain;       /* [bins] scipy's scale (doubled for one-sided PSD bins, halved or
                          quartered for shared FFTs) */
    pf_fft_plan *plan; /* in -> spec: the slots of a full chunk */
    pf_fft_plan *tail; /* in -> spec: the slots of the last, shorter chunk (or NULL) */
};

/* ---- construction ---- */

int pf_spec_config_check(const pf_spec_config *c, size_t n, pf_error *err)
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
    size_t bins, frames;
    pf_spec_shape(c, n, &bins, &frames);
    if (frames > (size_t)INT_MAX / (size_t)c->nfft / 2)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: %zu samples give too many frames", n);
    return 0;
}

void pf_spec_shape(const pf_spec_config *cfg, size_t n_samples, size_t *bins, size_t *frames)
{
    size_t len = (size_t)cfg->length, hop = (size_t)(cfg->length - cfg->overlap);
    *bins = (size_t)cfg->nfft / 2 + 1;
    *frames = n_samples < len ? 0 : (n_samples - len) / hop + 1;
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

/* Which residues share one FFT between two frames (r = 0, and r = M/2 for even M). */
static void make_mirrors(pf_spectrogram *s)
{
    int ways = s->cfg.nfft / s->sub;
    for (int r = 0; r < s->nres; r++)
        s->mirror[r] = r == 0 ? 0 : (2 * r == ways ? 1 : -1);
}

/* True for a one-sided PSD bin scipy doubles: all but DC and (for even nfft) Nyquist. */
static int psd_doubled(int k, int nfft)
{
    return k > 0 && (nfft % 2 || k < nfft / 2);
}

/* Where each bin comes from (residue, index, conjugation), the residues' used lengths, gains.
 * A shared FFT's separation leaves out its factor 1/2 (1/4 in power): the gain applies it. */
static void make_bin_map(pf_spectrogram *s, double scale)
{
    int ways = s->cfg.nfft / s->sub;
    for (int k = 0; k < s->bins; k++) {
        int r = k % ways, m = k / ways, conj = r >= s->nres;
        if (conj) r = ways - r, m = s->sub - 1 - m;
        s->src[k] = (size_t)r * (size_t)s->sub + (size_t)m;
        s->flip[k] = conj ? -1.0f : 1.0f;
        if (m + 1 > s->need[r]) s->need[r] = m + 1;
        int psd = s->cfg.mode == PF_SPEC_PSD;
        double g = psd ? scale : sqrt(scale);
        if (psd && psd_doubled(k, s->cfg.nfft)) g *= 2;
        if (s->mirror[r] >= 0) g *= psd ? 0.25 : 0.5;
        s->gain[k] = (float)g;
    }
}

/* The bins as streams: residue r gives bins r + M m, a conjugated residue M - r (when it is not
 * r itself) gives bins M - r + M m from R_r[P - 1 - m] downwards. */
static void make_streams(pf_spectrogram *s)
{
    int ways = s->cfg.nfft / s->sub, n = 0;
    s->streams = pf_calloc((size_t)ways, sizeof *s->streams);
    for (int k0 = 0; k0 < ways && k0 < s->bins; k0++) {
        int conj = k0 >= s->nres, r = conj ? ways - k0 : k0;
        size_t src = (size_t)r * (size_t)s->sub + (conj ? (size_t)s->sub - 1 : 0);
        s->streams[n++] = (pf_stream){k0, ways, (s->bins - 1 - k0) / ways + 1, conj ? -1 : 1, src};
    }
    s->nstreams = n;
}

/* FFT slots for @p cf frames: one per frame, or one per two frames for shared residues. */
static int chunk_slots(const pf_spectrogram *s, int cf)
{
    int slots = 0;
    for (int r = 0; r < s->nres; r++)
        slots += s->mirror[r] >= 0 ? (cf + 1) / 2 : cf;
    return slots;
}

static void alloc_buffers(pf_spectrogram *s)
{
    size_t len = (size_t)s->cfg.length, bins = (size_t)s->bins, sub = (size_t)s->sub;
    size_t per_frame = (size_t)s->nres * sub, chunk = (size_t)s->chunk;
    size_t slots = (size_t)chunk_slots(s, s->chunk) * sub;
    int cpx = s->cfg.mode == PF_SPEC_COMPLEX;
    s->win = pf_fft_alloc_real(len);
    s->vbuf = pf_fft_alloc_real((chunk + 1) * len);
    s->tw = pf_fft_alloc_complex((size_t)s->nres * len);
    s->in = pf_fft_alloc_complex(slots);
    s->spec = pf_fft_alloc_complex(slots);
    s->mag = pf_fft_alloc_real(((size_t)s->frames + 1) * per_frame);
    s->imag = pf_fft_alloc_real(cpx ? ((size_t)s->frames + 1) * per_frame : 1);
    s->need = pf_calloc((size_t)s->nres, sizeof *s->need);
    s->src = pf_calloc(bins, sizeof *s->src);
    s->flip = pf_calloc(bins, sizeof *s->flip);
    s->gain = pf_calloc(bins, sizeof *s->gain);
}

/* Plan the batched FFT over the slots of @p cf frames (the chunk's buffers). */
static pf_fft_plan *plan_chunk(pf_spectrogram *s, int cf, pf_error *err)
{
    pf_fft_batch b = {s->sub, chunk_slots(s, cf), 1, s->sub, 1, s->sub};
    return pf_fft_plan_c2c(&b, s->in, s->spec, err);
}

pf_spectrogram *pf_spectrogram_new(const pf_spec_config *cfg, size_t n_samples, pf_error *err)
{
    if (pf_spec_config_check(cfg, n_samples, err)) return NULL;
    pf_spectrogram *s = pf_calloc(1, sizeof *s);
    s->cfg = *cfg;
    s->n = n_samples;
    s->hop = cfg->length - cfg->overlap;
    s->bins = cfg->nfft / 2 + 1;
    s->frames = (int)((n_samples - (size_t)cfg->length) / (size_t)s->hop + 1);
    s->sub = sub_size(cfg->nfft, cfg->length);
    s->nres = cfg->nfft / s->sub / 2 + 1;
    s->chunk = s->frames < PF_CHUNK_FRAMES ? s->frames : PF_CHUNK_FRAMES;
    s->mirror = pf_calloc((size_t)s->nres, sizeof *s->mirror);
    make_mirrors(s);
    alloc_buffers(s);
    make_bin_map(s, make_window(s->win, cfg));
    make_streams(s);
    make_twiddles(s);
    int rest = s->frames % s->chunk;
    s->plan = plan_chunk(s, s->chunk, err);
    if (s->plan && rest) s->tail = plan_chunk(s, rest, err);
    if (!s->plan || (rest && !s->tail)) {
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
    pf_fft_plan_free(s->tail);
    pf_fft_free(s->win);
    pf_fft_free(s->vbuf);
    pf_fft_free(s->tw);
    pf_fft_free(s->in);
    pf_fft_free(s->spec);
    pf_fft_free(s->mag);
    pf_fft_free(s->imag);
    free(s->mirror);
    free(s->need);
    free(s->streams);
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

/* out[n] = a[n] + i b[n] for n < len, then zeros up to @p size (two real frames, r = 0). */
static void pair_interleave(const float *a, const float *b, int len, int size, pf_cfloat *out)
{
    int n = 0;
#ifdef __SSE2__
    for (; n + 4 <= len; n += 4) {
        __m128 x = _mm_loadu_ps(a + n), y = _mm_loadu_ps(b + n);
        _mm_storeu_ps(out[n], _mm_unpacklo_ps(x, y));
        _mm_storeu_ps(out[n + 2], _mm_unpackhi_ps(x, y));
    }
#endif
    for (; n < len; n++)
        out[n][0] = a[n], out[n][1] = b[n];
    if (size > len) memset(out[len], 0, (size_t)(size - len) * sizeof *out);
}

/* out[n] = (a[n] + i b[n]) * tw[n] for n < len, then zeros up to @p size. */
static void pair_twiddle(const float *a, const float *b, const pf_cfloat *tw, int len, int size,
                         pf_cfloat *out)
{
    int n = 0;
#ifdef __SSE2__
    for (; n + 4 <= len; n += 4) {
        __m128 x = _mm_loadu_ps(a + n), y = _mm_loadu_ps(b + n);
        __m128 t0 = _mm_loadu_ps(tw[n]), t1 = _mm_loadu_ps(tw[n + 2]);
        __m128 c = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(2, 0, 2, 0)); /* tw re */
        __m128 d = _mm_shuffle_ps(t0, t1, _MM_SHUFFLE(3, 1, 3, 1)); /* tw im */
        __m128 re = _mm_sub_ps(_mm_mul_ps(x, c), _mm_mul_ps(y, d));
        __m128 im = _mm_add_ps(_mm_mul_ps(x, d), _mm_mul_ps(y, c));
        _mm_storeu_ps(out[n], _mm_unpacklo_ps(re, im));
        _mm_storeu_ps(out[n + 2], _mm_unpackhi_ps(re, im));
    }
#endif
    for (; n < len; n++) {
        out[n][0] = a[n] * tw[n][0] - b[n] * tw[n][1];
        out[n][1] = a[n] * tw[n][1] + b[n] * tw[n][0];
    }
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

/* Mirror index of @p m in a shared FFT of size @p p: -m mod p (r = 0) or p - 1 - m (r = M/2). */
static inline int mirror_of(int m, int p, int shift)
{
    return shift ? p - 1 - m : (p - m) % p;
}

/* Powers of the two frames of a shared FFT at one index: 4 |A|^2 and 4 |B|^2 (or the roots). */
static void pair_power1(const pf_cfloat *z, int m, int q, int root, float *oa, float *ob)
{
    float sx = z[m][0] + z[q][0], dy = z[m][1] - z[q][1];
    float sy = z[m][1] + z[q][1], dx = z[m][0] - z[q][0];
    float pa = sx * sx + dy * dy, pb = sy * sy + dx * dx;
    *oa = root ? sqrtf(pa) : pa;
    *ob = root ? sqrtf(pb) : pb;
}

/* Separate a shared FFT @p z into the powers of its two frames, 4 |A|^2 and 4 |B|^2 (or the
 * roots 2 |A|, 2 |B|), for m < cnt: A = (z[m] + conj z[q]) / 2, B = (z[m] - conj z[q]) / 2i. */
static void pair_power(const pf_cfloat *z, int p, int shift, int cnt, int root, float *oa,
                       float *ob)
{
    int m = 0;
    if (!shift && cnt > 0) pair_power1(z, 0, 0, root, oa, ob), m = 1; /* z[0] is its own mirror */
#ifdef __SSE2__
    for (; m + 4 <= cnt && mirror_of(m + 3, p, shift) >= 0; m += 4) {
        int q = mirror_of(m, p, shift); /* z[q], z[q-1], z[q-2], z[q-3] pair with m .. m+3 */
        __m128 a = _mm_loadu_ps(z[m]), b = _mm_loadu_ps(z[m + 2]);
        __m128 c = _mm_loadu_ps(z[q - 1]), d = _mm_loadu_ps(z[q - 3]);
        __m128 c2 = _mm_shuffle_ps(c, c, _MM_SHUFFLE(1, 0, 3, 2)); /* z[q], z[q-1] */
        __m128 d2 = _mm_shuffle_ps(d, d, _MM_SHUFFLE(1, 0, 3, 2)); /* z[q-2], z[q-3] */
        __m128 x1 = _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        __m128 y1 = _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
        __m128 x2 = _mm_shuffle_ps(c2, d2, _MM_SHUFFLE(2, 0, 2, 0));
        __m128 y2 = _mm_shuffle_ps(c2, d2, _MM_SHUFFLE(3, 1, 3, 1));
        __m128 sx = _mm_add_ps(x1, x2), dy = _mm_sub_ps(y1, y2);
        __m128 sy = _mm_add_ps(y1, y2), dx = _mm_sub_ps(x1, x2);
        __m128 pa = _mm_add_ps(_mm_mul_ps(sx, sx), _mm_mul_ps(dy, dy));
        __m128 pb = _mm_add_ps(_mm_mul_ps(sy, sy), _mm_mul_ps(dx, dx));
        _mm_storeu_ps(oa + m, root ? _mm_sqrt_ps(pa) : pa);
        _mm_storeu_ps(ob + m, root ? _mm_sqrt_ps(pb) : pb);
    }
#endif
    for (; m < cnt; m++)
        pair_power1(z, m, mirror_of(m, p, shift), root, oa + m, ob + m);
}

/* Complex separation of a shared FFT into planes: 2A = (re_a, im_a), 2B = (re_b, im_b) (see
 * pair_power), for m < cnt. */
static void pair_split(const pf_cfloat *z, int p, int shift, int cnt, float *re_a, float *im_a,
                       float *re_b, float *im_b)
{
    for (int i = 0; i < cnt; i++) {
        int q = mirror_of(i, p, shift);
        re_a[i] = z[i][0] + z[q][0], im_a[i] = z[i][1] - z[q][1];
        re_b[i] = z[i][1] + z[q][1], im_b[i] = z[q][0] - z[i][0];
    }
}

/* Real and imaginary planes of @p cnt complex values. */
static void split_row(const pf_cfloat *z, int cnt, float *re, float *im)
{
    for (int i = 0; i < cnt; i++)
        re[i] = z[i][0], im[i] = z[i][1];
}

/* ln(v) for v > 0 normal: v = 2^e x with x in [sqrt(1/2), sqrt(2)), s = (x - 1) / (x + 1),
 * ln x = 2 atanh s = 2 s + s z (2/3 + z (2/5 + z 2/7)), z = s^2 (|s| <= 0.172, truncation
 * < 3e-8), plus e ln 2 in two parts (Cephes). Max error ~2 ulp; no table, no reciprocal
 * estimate, so the SSE2 and scalar versions do the same IEEE float operations on any CPU. */
#define LOG_SQRTHF 0.707106781186547524f
#define LOG_Q1 -2.12194440e-4f /* ln 2 = LOG_Q2 + LOG_Q1 */
#define LOG_Q2 0.693359375f

static float log_scalar(float v)
{
    union {
        float f;
        uint32_t u;
    } b = {v};
    float e = (float)((int)(b.u >> 23) - 126);
    b.u = (b.u & 0x807fffffu) | 0x3f000000u; /* x in [0.5, 1) */
    float x = b.f;
    if (x < LOG_SQRTHF) e -= 1.0f, x = x + x;
    float s = (x - 1.0f) / (x + 1.0f), z = s * s;
    float p = (2.0f / 7) * z + 2.0f / 5;
    p = p * z + 2.0f / 3;
    float t = p * z * s + e * LOG_Q1;
    return ((s + s) + t) + e * LOG_Q2;
}

#ifdef __SSE2__
static inline __m128 log_sse2(__m128 v)
{
    __m128i bits = _mm_castps_si128(v);
    __m128 e = _mm_cvtepi32_ps(_mm_sub_epi32(_mm_srli_epi32(bits, 23), _mm_set1_epi32(126)));
    bits = _mm_or_si128(_mm_and_si128(bits, _mm_set1_epi32((int)0x807fffff)),
                        _mm_set1_epi32(0x3f000000));
    __m128 x = _mm_castsi128_ps(bits), one = _mm_set1_ps(1.0f);
    __m128 lo = _mm_cmplt_ps(x, _mm_set1_ps(LOG_SQRTHF));
    e = _mm_sub_ps(e, _mm_and_ps(lo, one));
    x = _mm_add_ps(x, _mm_and_ps(lo, x));
    __m128 s = _mm_div_ps(_mm_sub_ps(x, one), _mm_add_ps(x, one)), z = _mm_mul_ps(s, s);
    __m128 p = _mm_add_ps(_mm_mul_ps(_mm_set1_ps(2.0f / 7), z), _mm_set1_ps(2.0f / 5));
    p = _mm_add_ps(_mm_mul_ps(p, z), _mm_set1_ps(2.0f / 3));
    __m128 t = _mm_add_ps(_mm_mul_ps(_mm_mul_ps(p, z), s), _mm_mul_ps(e, _mm_set1_ps(LOG_Q1)));
    return _mm_add_ps(_mm_add_ps(_mm_add_ps(s, s), t), _mm_mul_ps(e, _mm_set1_ps(LOG_Q2)));
}
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(PF_NO_AVX2)
#include <immintrin.h>
#define PF_HAVE_AVX2_LOG 1
/* log_sse2 eight lanes wide: the same IEEE operations in the same order (AVX2 without FMA, so
 * nothing is contracted), hence the same bits; used when the CPU has AVX2. */
__attribute__((target("avx2"))) static void log_eps_avx2(float *x, size_t n, float eps)
{
    const __m256 one = _mm256_set1_ps(1.0f);
    for (size_t i = 0; i + 8 <= n; i += 8) {
        __m256 v = _mm256_add_ps(_mm256_loadu_ps(x + i), _mm256_set1_ps(eps));
        __m256i bits = _mm256_castps_si256(v);
        __m256 e = _mm256_cvtepi32_ps(
            _mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(126)));
        bits = _mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32((int)0x807fffff)),
                               _mm256_set1_epi32(0x3f000000));
        __m256 m = _mm256_castsi256_ps(bits);
        __m256 lo = _mm256_cmp_ps(m, _mm256_set1_ps(LOG_SQRTHF), _CMP_LT_OQ);
        e = _mm256_sub_ps(e, _mm256_and_ps(lo, one));
        m = _mm256_add_ps(m, _mm256_and_ps(lo, m));
        __m256 s = _mm256_div_ps(_mm256_sub_ps(m, one), _mm256_add_ps(m, one));
        __m256 z = _mm256_mul_ps(s, s);
        __m256 p =
            _mm256_add_ps(_mm256_mul_ps(_mm256_set1_ps(2.0f / 7), z), _mm256_set1_ps(2.0f / 5));
        p = _mm256_add_ps(_mm256_mul_ps(p, z), _mm256_set1_ps(2.0f / 3));
        __m256 t = _mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, z), s),
                                 _mm256_mul_ps(e, _mm256_set1_ps(LOG_Q1)));
        __m256 r = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(s, s), t),
                                 _mm256_mul_ps(e, _mm256_set1_ps(LOG_Q2)));
        _mm256_storeu_ps(x + i, r);
    }
}
#endif

/* x[i] = ln(x[i] + eps) over @p n values (log-magnitude mode); AVX2, SSE2 and scalar agree. */
void pf_ln_eps(float *x, size_t n)
{
    const float eps = (float)PF_LOG_EPS;
    size_t i = 0;
#ifdef PF_HAVE_AVX2_LOG
    if (__builtin_cpu_supports("avx2")) log_eps_avx2(x, n, eps), i = n / 8 * 8;
#endif
#ifdef __SSE2__
    for (; i + 4 <= n; i += 4)
        _mm_storeu_ps(x + i, log_sse2(_mm_add_ps(_mm_loadu_ps(x + i), _mm_set1_ps(eps))));
#endif
    for (; i < n; i++)
        x[i] = log_scalar(x[i] + eps);
}

/* ---- per call: stages, one chunk of frames [f0, f0 + cf) ---- */

/* Detrend and window the chunk's frames, then fill the FFT inputs, residue by residue. */
static void stage_inputs(pf_spectrogram *s, const float *x, int f0, int cf)
{
    int len = s->cfg.length, sub = s->sub;
    float *zero = s->vbuf + (size_t)s->chunk * (size_t)len;
    for (int j = 0; j < cf; j++)
        frame_prepare(x + (size_t)(f0 + j) * (size_t)s->hop, s->win, len,
                      s->vbuf + (size_t)j * (size_t)len);
    pf_cfloat *slot = s->in;
    for (int r = 0; r < s->nres; r++) {
        const pf_cfloat *tw = s->tw + (size_t)r * (size_t)len;
        for (int j = 0; j < cf; j += s->mirror[r] >= 0 ? 2 : 1, slot += sub) {
            const float *a = s->vbuf + (size_t)j * (size_t)len;
            const float *b = j + 1 < cf ? a + len : zero;
            if (s->mirror[r] < 0)
                frame_twiddle(a, tw, len, sub, slot);
            else if (r == 0)
                pair_interleave(a, b, len, sub, slot);
            else
                pair_twiddle(a, b, tw, len, sub, slot);
        }
    }
}

/* |R| or |R|^2 of every used output of frames [f0, f0 + cf): mag[f][r][m]. */
static void stage_power(pf_spectrogram *s, int f0, int cf)
{
    size_t sub = (size_t)s->sub, per = (size_t)s->nres * sub;
    int root = s->cfg.mode != PF_SPEC_PSD;
    const pf_cfloat *slot = s->spec;
    for (int r = 0; r < s->nres; r++) {
        int sh = s->mirror[r];
        for (int j = 0; j < cf; j += sh >= 0 ? 2 : 1, slot += sub) {
            float *oa = s->mag + (size_t)(f0 + j) * per + (size_t)r * sub;
            if (sh < 0)
                power_row(slot, s->need[r], root, oa);
            else
                pair_power(slot, s->sub, sh, s->need[r], root, oa, oa + per); /* +per: j+1 */
        }
    }
}

/* R of every used output of frames [f0, f0 + cf) as planes mag = Re R, imag = Im R. */
static void stage_split(pf_spectrogram *s, int f0, int cf)
{
    size_t sub = (size_t)s->sub, per = (size_t)s->nres * sub;
    const pf_cfloat *slot = s->spec;
    for (int r = 0; r < s->nres; r++) {
        int sh = s->mirror[r];
        for (int j = 0; j < cf; j += sh >= 0 ? 2 : 1, slot += sub) {
            size_t at = (size_t)(f0 + j) * per + (size_t)r * sub;
            float *re = s->mag + at, *im = s->imag + at;
            if (sh < 0)
                split_row(slot, s->need[r], re, im);
            else
                pair_split(slot, s->sub, sh, s->need[r], re, im, re + per, im + per);
        }
    }
}

/* Entries [i0, count) of stream @p st for frames [j0, j1) of @p plane into out[k][j], times
 * gain (and the conjugation sign when @p conj). */
static void stream_write1(const pf_spectrogram *s, const pf_stream *st, const float *plane,
                          int conj, int i0, int j0, int j1, float *out)
{
    size_t frames = (size_t)s->frames, per = (size_t)s->nres * (size_t)s->sub;
    for (int i = i0; i < st->count; i++) {
        int k = st->k0 + i * st->step;
        size_t at = st->src + (size_t)((ptrdiff_t)i * st->dir);
        float g = conj ? s->flip[k] * s->gain[k] : s->gain[k];
        for (int j = j0; j < j1; j++)
            out[(size_t)k * frames + (size_t)j] = g * plane[(size_t)j * per + at];
    }
}

#ifdef __SSE2__
/* Entries [i, i + 4) of stream @p st, all frames, into out[k][.]: per four frames, a 4 x 4 block
 * loaded along the residue, transposed to frames, one 16-byte store per bin. */
static void stream_write4(const pf_spectrogram *s, const pf_stream *st, const float *plane,
                          int conj, int i, float *out)
{
    size_t frames = (size_t)s->frames, per = (size_t)s->nres * (size_t)s->sub;
    size_t at = st->dir > 0 ? st->src + (size_t)i : st->src - (size_t)i - 3;
    int k = st->k0 + i * st->step, d = st->step;
    float *o0 = out + (size_t)k * frames, *o1 = o0 + (size_t)d * frames;
    float *o2 = o1 + (size_t)d * frames, *o3 = o2 + (size_t)d * frames;
    float sg = conj && st->dir < 0 ? -1.0f : 1.0f; /* flip[k]: -1 on conjugated streams */
    __m128 g0 = _mm_set1_ps(sg * s->gain[k]), g1 = _mm_set1_ps(sg * s->gain[k + d]);
    __m128 g2 = _mm_set1_ps(sg * s->gain[k + 2 * d]), g3 = _mm_set1_ps(sg * s->gain[k + 3 * d]);
    int j = 0;
    for (; j + 4 <= s->frames; j += 4) {
        const float *m = plane + (size_t)j * per + at;
        __m128 r0 = _mm_loadu_ps(m), r1 = _mm_loadu_ps(m + per);
        __m128 r2 = _mm_loadu_ps(m + 2 * per), r3 = _mm_loadu_ps(m + 3 * per);
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3); /* r_e: entry at + e of the four frames */
        if (st->dir < 0) {                 /* entries at+3 .. at are stream positions i .. i+3 */
            __m128 t = r0;
            r0 = r3, r3 = t, t = r1, r1 = r2, r2 = t;
        }
        _mm_storeu_ps(o0 + j, _mm_mul_ps(r0, g0));
        _mm_storeu_ps(o1 + j, _mm_mul_ps(r1, g1));
        _mm_storeu_ps(o2 + j, _mm_mul_ps(r2, g2));
        _mm_storeu_ps(o3 + j, _mm_mul_ps(r3, g3));
    }
    pf_stream one = *st;
    one.count = i + 4;
    stream_write1(s, &one, plane, conj, i, j, s->frames, out); /* the last < 4 frames */
}
#endif

/* Write gain * @p plane (times flip when @p conj) of all frames in [bin][frame] order, stream by
 * stream, four bins at a time. */
static void stage_write(const pf_spectrogram *s, const float *plane, int conj, float *out)
{
    for (int q = 0; q < s->nstreams; q++) {
        const pf_stream *st = &s->streams[q];
        int i = 0;
#ifdef __SSE2__
        for (; i + 4 <= st->count; i += 4)
            stream_write4(s, st, plane, conj, i, out);
#endif
        stream_write1(s, st, plane, conj, i, 0, s->frames, out);
    }
}

int pf_spectrogram_compute(pf_spectrogram *s, const float *x, size_t n, float *out, pf_error *err)
{
    if (!s || !x || !out) return PF_FAIL(err, PF_EINVAL, "spectrogram: NULL argument");
    if (n != s->n)
        return PF_FAIL(err, PF_EINVAL, "spectrogram: %zu samples given, engine made for %zu", n,
                       s->n);
    size_t plane = (size_t)s->bins * (size_t)s->frames;
    for (int f0 = 0; f0 < s->frames; f0 += s->chunk) {
        int cf = s->frames - f0 < s->chunk ? s->frames - f0 : s->chunk;
        stage_inputs(s, x, f0, cf);
        pf_fft_execute(cf == s->chunk ? s->plan : s->tail);
        if (s->cfg.mode == PF_SPEC_COMPLEX)
            stage_split(s, f0, cf);
        else
            stage_power(s, f0, cf);
    }
    stage_write(s, s->mag, 0, out);
    if (s->cfg.mode == PF_SPEC_COMPLEX) stage_write(s, s->imag, 1, out + plane);
    if (s->cfg.mode == PF_SPEC_LOGMAG) pf_ln_eps(out, plane);
    return 0;
}
