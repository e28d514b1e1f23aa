/* YIN f0 estimator (de Cheveigne & Kawahara 2002), see include/pitchforge/yin.h, docs/dsp.md.
 *
 * For a frame x[0, n) the difference function over lags tau in [0, tau_hi] is
 *     d(tau) = sum_{j < W} (x[j] - x[j + tau])^2 = e0 + e(tau) - 2 r(tau),  W = n - tau_hi,
 * with e0 = sum_{j<W} x[j]^2, e(tau) = sum_{j<W} x[j+tau]^2 (prefix sums, in double) and
 * r(tau) = sum_{j<W} x[j] x[j+tau] from one FFT cross-correlation (zero-padded, no wrap-around).
 * r is band-limited, so it is read at lags of 1/PF_YIN_UP sample by zero-padding the
 * cross-spectrum before the inverse FFT (e is interpolated linearly); periods of 4-6 samples
 * (the top octave at 16 kHz) then have their dip sampled, not fallen between two lags.
 * Then: cumulative-mean-normalized d'(tau) = d(tau) tau / integral_0^tau d; the first local
 * minimum of d' in [tau_min, tau_max] whose interpolated depth is below PF_YIN_THRESHOLD, else
 * the global minimum if d' <= PF_YIN_UNVOICED there, else unvoiced. The period is refined by
 * parabolic interpolation of d at the dip, then again at the dip near the largest usable
 * multiple k of that period (T = tau_k / k), which divides the parabola's bias by k. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "dsp/fft.h"
#include "pitchforge/error.h"
#include "pitchforge/pitch.h"
#include "pitchforge/yin.h"

#define PF_YIN_THRESHOLD 0.15 /* absolute threshold on the interpolated dip of d' */
#define PF_YIN_UNVOICED 0.50  /* no dip below the threshold and global min above this: unvoiced */
#define PF_YIN_MULTIPLE_K 6.0 /* refinement multiple k <= 6 T (T in samples) */
#define PF_YIN_MULTIPLE_TOL 0.02 /* refinement kept only within 2% of the first estimate */
enum { PF_YIN_UP = 4 };          /* lag grid: 1/4 sample */

struct pf_yin {
    size_t n; /* frame length */
    double rate_hz;
    int tau_min;        /* floor(rate / fmax), >= 2 */
    int tau_max;        /* ceil(rate / fmin) */
    int tau_hi;         /* tau_max + 1: last lag computed (room for the parabola) */
    int win;            /* W = n - tau_hi */
    int size;           /* FFT size >= n */
    int grid;           /* lags on the fine grid: PF_YIN_UP * tau_hi + 1 */
    float *a, *b;       /* [size] first W samples / all n samples (zero tails) */
    float *r;           /* [PF_YIN_UP * size] correlation at 1/PF_YIN_UP-sample lags */
    pf_cfloat *fa, *fb; /* [size/2 + 1] spectra of a and b */
    pf_cfloat *cx;      /* [PF_YIN_UP * size/2 + 1] conj(fa) fb, zero-padded */
    double *e;          /* [tau_hi + 2] e(tau) at whole lags */
    double *d, *dn;     /* [grid] d and d' on the fine grid */
    pf_fft_plan *pa, *pb, *pr;
    int state; /* of the frame last analysed: 0 none, 1 silent (or non-finite), 2 d and dn set */
};

/* ---- construction ---- */

/* Smallest 2^a 3^b 5^c >= n (sizes FFTW handles fastest). */
static int good_size(size_t n)
{
    for (size_t m = n;; m++) {
        size_t k = m;
        while (k % 2 == 0)
            k /= 2;
        while (k % 3 == 0)
            k /= 3;
        while (k % 5 == 0)
            k /= 5;
        if (k == 1) return (int)m;
    }
}

static int yin_check(size_t n, double rate, double fmin, double fmax, pf_error *err)
{
    if (!(rate > 0) || !isfinite(rate))
        return PF_FAIL(err, PF_EINVAL, "yin: rate %g Hz is not positive", rate);
    if (!(fmin > 0) || !(fmax > fmin) || !(fmax <= rate / 2))
        return PF_FAIL(err, PF_EINVAL, "yin: need 0 < fmin (%g) < fmax (%g) <= rate/2 (%g) Hz",
                       fmin, fmax, rate / 2);
    double tau_hi = ceil(rate / fmin) + 1;
    if (n > 1u << 24 || (double)n < 2 * tau_hi)
        return PF_FAIL(err, PF_EINVAL,
                       "yin: %zu samples; need at least %.0f (two periods of fmin %g Hz)", n,
                       2 * tau_hi, fmin);
    return 0;
}

static void yin_alloc(pf_yin *y)
{
    size_t size = (size_t)y->size, up = PF_YIN_UP;
    y->a = pf_fft_alloc_real(size);
    y->b = pf_fft_alloc_real(size);
    y->r = pf_fft_alloc_real(up * size);
    y->fa = pf_fft_alloc_complex(size / 2 + 1);
    y->fb = pf_fft_alloc_complex(size / 2 + 1);
    y->cx = pf_fft_alloc_complex(up * size / 2 + 1);
    y->e = pf_calloc((size_t)y->tau_hi + 2, sizeof *y->e);
    y->d = pf_calloc((size_t)y->grid, sizeof *y->d);
    y->dn = pf_calloc((size_t)y->grid, sizeof *y->dn);
}

static int yin_plan(pf_yin *y, pf_error *err)
{
    pf_fft_batch fw = pf_fft_batch_contiguous(y->size, 1);
    pf_fft_batch inv = pf_fft_batch_contiguous(PF_YIN_UP * y->size, 1);
    y->pa = pf_fft_plan_r2c(&fw, y->a, y->fa, err);
    if (y->pa) y->pb = pf_fft_plan_r2c(&fw, y->b, y->fb, err);
    if (y->pb) y->pr = pf_fft_plan_c2r(&inv, y->cx, y->r, err);
    return y->pr ? 0 : -1;
}

pf_yin *pf_yin_new(size_t n_samples, double rate_hz, double fmin_hz, double fmax_hz, pf_error *err)
{
    if (yin_check(n_samples, rate_hz, fmin_hz, fmax_hz, err)) return NULL;
    pf_yin *y = pf_calloc(1, sizeof *y);
    y->n = n_samples;
    y->rate_hz = rate_hz;
    y->tau_min = (int)floor(rate_hz / fmax_hz);
    y->tau_max = (int)ceil(rate_hz / fmin_hz);
    y->tau_hi = y->tau_max + 1;
    y->win = (int)n_samples - y->tau_hi;
    y->size = good_size(n_samples);
    y->grid = PF_YIN_UP * y->tau_hi + 1;
    yin_alloc(y);
    if (yin_plan(y, err)) {
        pf_yin_free(y);
        return NULL;
    }
    return y;
}

size_t pf_yin_length(const pf_yin *y)
{
    return y->n;
}

void pf_yin_free(pf_yin *y)
{
    if (!y) return;
    pf_fft_plan_free(y->pa);
    pf_fft_plan_free(y->pb);
    pf_fft_plan_free(y->pr);
    pf_fft_free(y->a);
    pf_fft_free(y->b);
    pf_fft_free(y->r);
    pf_fft_free(y->fa);
    pf_fft_free(y->fb);
    pf_fft_free(y->cx);
    free(y->e);
    free(y->d);
    free(y->dn);
    free(y);
}

/* ---- difference function ---- */

/* r at lags i / PF_YIN_UP into y->r, times y->size: the cross-spectrum conj(A) B, zero-padded
 * to PF_YIN_UP times the length (its Nyquist bin halved: it becomes a +-pair), inverted. */
static void cross_correlate(pf_yin *y, const float *x)
{
    memcpy(y->a, x, (size_t)y->win * sizeof *x);
    memcpy(y->b, x, y->n * sizeof *x); /* tails of a and b stay zero from allocation */
    pf_fft_execute(y->pa);
    pf_fft_execute(y->pb);
    int half = y->size / 2;
    memset(y->cx, 0, ((size_t)PF_YIN_UP * (size_t)y->size / 2 + 1) * sizeof *y->cx);
    for (int k = 0; k <= half; k++) {
        float ar = y->fa[k][0], ai = y->fa[k][1], br = y->fb[k][0], bi = y->fb[k][1];
        float g = (k == half && y->size % 2 == 0) ? 0.5f : 1.0f;
        y->cx[k][0] = g * (ar * br + ai * bi);
        y->cx[k][1] = g * (ar * bi - ai * br);
    }
    pf_fft_execute(y->pr);
}

static double sq(float v)
{
    return (double)v * v;
}

/* d and d' on the fine grid; returns e0 (energy of the first W samples). */
static double difference(pf_yin *y, const float *x)
{
    cross_correlate(y, x);
    double e0 = 0, norm = 1.0 / y->size, run = 0;
    for (int j = 0; j < y->win; j++)
        e0 += sq(x[j]);
    y->e[0] = e0;
    for (int t = 1; t <= y->tau_hi + 1 && t + y->win - 1 < (int)y->n; t++)
        y->e[t] = y->e[t - 1] + sq(x[t + y->win - 1]) - sq(x[t - 1]);
    for (int i = 0; i < y->grid; i++) {
        int t = i / PF_YIN_UP;
        double frac = (double)(i % PF_YIN_UP) / PF_YIN_UP;
        double et = frac > 0 ? y->e[t] + frac * (y->e[t + 1] - y->e[t]) : y->e[t];
        double v = e0 + et - 2 * norm * y->r[i];
        y->d[i] = v > 0 && i > 0 ? v : 0;
        run += y->d[i];
        y->dn[i] = i == 0 || run <= 0 ? 1.0 : y->d[i] * i / run;
    }
    return e0;
}

/* ---- dip picking (lags in grid units) ---- */

/* Vertex of the parabola through d at i-1, i, i+1 (i itself if degenerate). */
static double parabolic(const double *d, int i)
{
    double a = d[i - 1], b = d[i], c = d[i + 1], den = a - 2 * b + c;
    if (!(den > 0)) return i;
    double off = 0.5 * (a - c) / den;
    return i + (off > 1 ? 1 : off < -1 ? -1 : off);
}

/* Value at that vertex: the dip's depth between grid lags (d[i] itself if degenerate). */
static double parabolic_min(const double *d, int i)
{
    double a = d[i - 1], b = d[i], c = d[i + 1], den = a - 2 * b + c;
    return den > 0 ? b - (a - c) * (a - c) / (8 * den) : b;
}

/* First local minimum of d' in [tau_min, tau_max] whose interpolated depth is below the
 * threshold; else the global minimum. */
static int pick_dip(const pf_yin *y)
{
    const double *dn = y->dn;
    int lo = PF_YIN_UP * y->tau_min, hi = PF_YIN_UP * y->tau_max, best = lo;
    for (int i = lo; i <= hi; i++) {
        int local = dn[i] <= dn[i - 1] && dn[i] <= dn[i + 1];
        if (local && parabolic_min(dn, i) < PF_YIN_THRESHOLD) return i;
        if (dn[i] < dn[best]) best = i;
    }
    return best;
}

/* Re-estimate period @p p (grid units) from the dip near its largest usable multiple. */
static double refine_multiple(const pf_yin *y, double p)
{
    int span = (int)(p / 3) > 1 ? (int)(p / 3) : 1, last = y->grid - 2;
    int k = (int)((last - span) / p), kcap = (int)(PF_YIN_MULTIPLE_K * p / PF_YIN_UP);
    if (k > kcap) k = kcap;
    if (k < 2) return p;
    int c = (int)lround(k * p), best = c;
    for (int i = c - span; i <= c + span; i++)
        if (y->d[i] < y->d[best]) best = i;
    if (best <= 1 || best > last) return p;
    double q = parabolic(y->d, best) / k;
    return fabs(q - p) <= PF_YIN_MULTIPLE_TOL * p ? q : p;
}

/* f0 of the dip at grid lag @p i: its parabola's vertex, refined at a multiple of the period. */
static double dip_hz(const pf_yin *y, int i)
{
    return y->rate_hz / (refine_multiple(y, parabolic(y->d, i)) / PF_YIN_UP);
}

static int check_frame(const pf_yin *y, const float *x, size_t n, pf_error *err)
{
    if (!y || !x) return PF_FAIL(err, PF_EINVAL, "yin: NULL argument");
    if (n != y->n) return PF_FAIL(err, PF_EINVAL, "yin: %zu samples given, made for %zu", n, y->n);
    return 0;
}

int pf_yin_analyse(pf_yin *y, const float *x, size_t n, pf_error *err)
{
    if (check_frame(y, x, n, err)) return -1;
    y->state = difference(y, x) > 0 ? 2 : 1; /* silence (or non-finite input): unvoiced */
    return 0;
}

void pf_yin_pick(const pf_yin *y, double *f0_hz, double *aperiodicity)
{
    *f0_hz = 0;
    if (aperiodicity) *aperiodicity = 1;
    if (y->state != 2) return;
    int i = pick_dip(y);
    if (aperiodicity) *aperiodicity = y->dn[i];
    if (y->dn[i] > PF_YIN_UNVOICED) return; /* no dip below threshold, global min too high */
    *f0_hz = dip_hz(y, i);
}

void pf_yin_pick_near(const pf_yin *y, double guess_hz, double span_cents, double *f0_hz,
                      double *aperiodicity)
{
    *f0_hz = 0;
    if (aperiodicity) *aperiodicity = 1;
    if (y->state != 2 || !(guess_hz > 0) || !(span_cents > 0)) return;
    double g = PF_YIN_UP * y->rate_hz / guess_hz, r = exp2(span_cents / 1200);
    int lo = (int)floor(g / r), hi = (int)ceil(g * r), best = -1; /* the grid lags around it */
    if (lo < PF_YIN_UP * y->tau_min || hi > PF_YIN_UP * y->tau_max) return;
    const double *dn = y->dn;
    for (int i = lo; i <= hi; i++)
        if (dn[i] <= dn[i - 1] && dn[i] <= dn[i + 1] && (best < 0 || dn[i] < dn[best])) best = i;
    if (best < 0) return; /* no dip around the guess */
    if (aperiodicity) *aperiodicity = dn[best];
    if (dn[best] > PF_YIN_UNVOICED) return;
    double f = dip_hz(y, best);
    if (fabs(pf_cents(f, guess_hz)) <= span_cents) *f0_hz = f;
}

int pf_yin_estimate(pf_yin *y, const float *x, size_t n, double *f0_hz, double *aperiodicity,
                    pf_error *err)
{
    if (!f0_hz) return PF_FAIL(err, PF_EINVAL, "yin: NULL argument");
    if (pf_yin_analyse(y, x, n, err)) return -1;
    pf_yin_pick(y, f0_hz, aperiodicity);
    return 0;
}

int pf_yin_near(pf_yin *y, const float *x, size_t n, double guess_hz, double span_cents,
                double *f0_hz, double *aperiodicity, pf_error *err)
{
    if (!f0_hz) return PF_FAIL(err, PF_EINVAL, "yin: NULL argument");
    if (pf_yin_analyse(y, x, n, err)) return -1;
    pf_yin_pick_near(y, guess_hz, span_cents, f0_hz, aperiodicity);
    return 0;
}
