/* Level helpers and augmentations: RMS / peak, peak normalization, zero-phase notch at the
 * fundamental, white / pink noise at an exact SNR. See include/pitchforge/dsp.h, docs/dsp.md. */
#include <math.h>
#include <string.h>

#include "pitchforge/dsp.h"

enum { PF_PINK_WARMUP = 4096 }; /* draws run through Kellet's filter first (slowest pole 877) */

/* ---- levels ---- */

double pf_rms_dbfs(const float *x, size_t n)
{
    if (!x || n == 0) return -INFINITY;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (double)x[i] * x[i];
    return sum > 0 ? 10 * log10(sum / (double)n) : (sum == 0 ? -INFINITY : NAN);
}

double pf_peak_abs(const float *x, size_t n)
{
    double peak = 0;
    for (size_t i = 0; x && i < n; i++) {
        if (!isfinite(x[i])) return NAN;
        if (fabs(x[i]) > peak) peak = fabs(x[i]);
    }
    return peak;
}

double pf_peak_normalize(float *x, size_t n, double peak)
{
    double p = pf_peak_abs(x, n);
    if (isnan(p) || !isfinite(peak)) return NAN; /* nothing is changed */
    if (p == 0) return 1;
    double g = peak / p;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(x[i] * g);
    return g;
}

/* ---- notch ---- */

/* Biquad coefficients, normalized by a0: b[0..2], a[1..2] (a[0] = 1). */
typedef struct pf_biquad {
    double b0, b1, b2, a1, a2;
} pf_biquad;

/* RBJ cookbook notch at w0 = 2 pi f0 / rate with quality q. */
static pf_biquad rbj_notch(double f0_hz, double rate_hz, double q)
{
    const double pi = 3.14159265358979323846;
    double w0 = 2 * pi * f0_hz / rate_hz, c = cos(w0), alpha = sin(w0) / (2 * q);
    double a0 = 1 + alpha;
    pf_biquad f = {1 / a0, -2 * c / a0, 1 / a0, -2 * c / a0, (1 - alpha) / a0};
    return f;
}

/* Run @p f over x[0, n) in place, forward (step +1) or backward (step -1), from rest;
 * direct form I in double. */
static void biquad_run(const pf_biquad *f, float *x, size_t n, int backward)
{
    double x1 = 0, x2 = 0, y1 = 0, y2 = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = backward ? n - 1 - k : k;
        double in = x[i], out = f->b0 * in + f->b1 * x1 + f->b2 * x2 - f->a1 * y1 - f->a2 * y2;
        x2 = x1, x1 = in, y2 = y1, y1 = out;
        x[i] = (float)out;
    }
}

void pf_notch_apply(float *x, size_t n, double f0_hz, double rate_hz, double q)
{
    if (!x || n == 0 || !(f0_hz > 0) || !(rate_hz > 0) || !(q > 0) || !(f0_hz < rate_hz / 2))
        return; /* nothing to reject (f0 at or above Nyquist) or bad parameters: unchanged */
    pf_biquad f = rbj_notch(f0_hz, rate_hz, q);
    biquad_run(&f, x, n, 0);
    biquad_run(&f, x, n, 1);
}

/* ---- noise ---- */

/* Paul Kellet's refined pink filter (7 states), fed white deviates. */
typedef struct pf_pink {
    double b[7];
} pf_pink;

static double pink_step(pf_pink *p, double w)
{
    double *b = p->b;
    b[0] = 0.99886 * b[0] + w * 0.0555179;
    b[1] = 0.99332 * b[1] + w * 0.0750759;
    b[2] = 0.96900 * b[2] + w * 0.1538520;
    b[3] = 0.86650 * b[3] + w * 0.3104856;
    b[4] = 0.55000 * b[4] + w * 0.5329522;
    b[5] = -0.7616 * b[5] - w * 0.0168980;
    double out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
    b[6] = w * 0.115926;
    return out;
}

/* A noise source: white deviates from @p rng, optionally through a warmed-up pink filter. */
typedef struct pf_noise_src {
    pf_rng rng;
    pf_pink pink;
    int is_pink;
} pf_noise_src;

static double noise_next(pf_noise_src *s)
{
    double w = pf_rng_normal(&s->rng);
    return s->is_pink ? pink_step(&s->pink, w) : w;
}

static pf_noise_src noise_start(const pf_rng *rng, pf_noise_kind kind)
{
    pf_noise_src s;
    memset(&s, 0, sizeof s);
    s.rng = *rng;
    s.is_pink = kind == PF_NOISE_PINK;
    for (int i = 0; s.is_pink && i < PF_PINK_WARMUP; i++)
        noise_next(&s);
    return s;
}

void pf_noise_add(float *x, size_t n, pf_noise_kind kind, double snr_db, pf_rng *rng)
{
    if (!x || !rng || n == 0 || !isfinite(snr_db)) return; /* +inf dB: no noise; NaN: none */
    double ps = 0, pn = 0;
    for (size_t i = 0; i < n; i++)
        ps += (double)x[i] * x[i];
    if (!(ps > 0) || !isfinite(ps)) return;  /* silence gets no noise (and draws nothing) */
    pf_noise_src s = noise_start(rng, kind); /* pass 1 on a copy: the noise's own power */
    for (size_t i = 0; i < n; i++) {
        double v = noise_next(&s);
        pn += v * v;
    }
    double g = sqrt(ps / (pn * pow(10.0, snr_db / 10)));
    s = noise_start(rng, kind); /* pass 2: the same draws, added */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(x[i] + g * noise_next(&s));
    *rng = s.rng;
}
