/* Augmentations: zero-phase notch at the fundamental, white / pink noise at an exact SNR.
 * See include/pitchforge/augment.h, docs/dsp.md. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/augment.h"
#include "pitchforge/rng.h"

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

/* Paul Kellet's refined pink filter: six one-pole states plus the last input, fed white. */
static const double pink_pole[7] = {0.99886, 0.99332, 0.96900, 0.86650, 0.55000, -0.7616, 0};
static const double pink_gain[7] = {0.0555179, 0.0750759, 0.1538520, 0.3104856,
                                    0.5329522, -0.0168980, 0.115926};

typedef struct pf_pink {
    double b[7];
} pf_pink;

static double pink_step(pf_pink *p, double w)
{
    double *b = p->b;
    for (int i = 0; i < 6; i++)
        b[i] = pink_pole[i] * b[i] + w * pink_gain[i];
    double out = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362;
    b[6] = w * pink_gain[6];
    return out;
}

/*
 * Start the filter in its stationary state, as if it had run forever: every state is driven by
 * the same white input, so Cov(b_i, b_j) = g_i g_j / (1 - p_i p_j); draw b = L z with L the
 * Cholesky factor of that covariance and z seven deviates. No warm-up draws are needed.
 */
static void pink_start(pf_pink *p, pf_rng *rng)
{
    double c[7][7], l[7][7] = {{0}};
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++)
            c[i][j] = pink_gain[i] * pink_gain[j] / (1 - pink_pole[i] * pink_pole[j]);
    for (int j = 0; j < 7; j++) {
        double d = c[j][j];
        for (int k = 0; k < j; k++)
            d -= l[j][k] * l[j][k];
        l[j][j] = sqrt(d > 0 ? d : 0);
        for (int i = j + 1; i < 7; i++) {
            double v = c[i][j];
            for (int k = 0; k < j; k++)
                v -= l[i][k] * l[j][k];
            l[i][j] = l[j][j] > 0 ? v / l[j][j] : 0;
        }
    }
    double z[7];
    for (int i = 0; i < 7; i++)
        z[i] = pf_rng_normal(rng);
    for (int i = 0; i < 7; i++) {
        p->b[i] = 0;
        for (int k = 0; k <= i; k++)
            p->b[i] += l[i][k] * z[k];
    }
}

#define BROWN_POLE 0.995

/* Fill @p v with n deviates of white, (stationary) pink or brown noise from @p rng. */
static void noise_fill(double *v, size_t n, pf_noise_kind kind, pf_rng *rng)
{
    pf_pink pink;
    if (kind == PF_NOISE_PINK) pink_start(&pink, rng);
    double brown = kind == PF_NOISE_BROWN
                       ? pf_rng_normal(rng) / sqrt(1 - BROWN_POLE * BROWN_POLE)
                       : 0;
    for (size_t i = 0; i < n; i++) {
        double w = pf_rng_normal(rng);
        if (kind == PF_NOISE_BROWN) brown = BROWN_POLE * brown + w;
        v[i] = kind == PF_NOISE_PINK ? pink_step(&pink, w) : kind == PF_NOISE_BROWN ? brown : w;
    }
}

void pf_noise_fill(float *x, size_t n, pf_noise_kind kind, double rms_dbfs, pf_rng *rng)
{
    if (!x || !rng || n == 0) return;
    double *v = pf_calloc(n, sizeof *v), pn = 0;
    noise_fill(v, n, kind, rng);
    for (size_t i = 0; i < n; i++)
        pn += v[i] * v[i];
    double g = pn > 0 ? pow(10.0, rms_dbfs / 20) / sqrt(pn / (double)n) : 0;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(g * v[i]);
    free(v);
}

void pf_noise_add(float *x, size_t n, pf_noise_kind kind, double snr_db, pf_rng *rng)
{
    if (!x || !rng || n == 0 || !isfinite(snr_db)) return; /* +inf dB: no noise; NaN: none */
    double ps = 0, pn = 0;
    for (size_t i = 0; i < n; i++)
        ps += (double)x[i] * x[i];
    if (!(ps > 0) || !isfinite(ps)) return; /* silence gets no noise (and draws nothing) */
    double *v = pf_calloc(n, sizeof *v);
    noise_fill(v, n, kind, rng);
    for (size_t i = 0; i < n; i++)
        pn += v[i] * v[i];
    double g = sqrt(ps / (pn * pow(10.0, snr_db / 10)));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(x[i] + g * v[i]);
    free(v);
}
