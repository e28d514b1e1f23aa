/* Harmonic-peak refinement of a pitch estimate on a spectrogram, see include/pitchforge/refine.h
 * and docs/dsp.md.
 *
 * From a coarse f0 (the network's), over the spectrogram's mean power per bin P (all frames):
 * for k = 1..PF_REFINE_HARMONICS with k f0 below PF_REFINE_TOP of Nyquist, the largest bin j of
 * P within +-PF_REFINE_SPAN (relative) of k f0 must lie inside the span (not at its edge); a
 * parabola through ln P at j-1, j, j+1 places the peak p_k between bins, kept when within
 * PF_REFINE_MAX_CENTS of k f0. The refined f0 is the least-squares fit of p_k = k f weighted by
 * P[j]: f = sum w k p_k / sum w k^2. No harmonic kept: f0 as given. The spread of the kept
 * peaks is the standard deviation of 1200 log2(p_k / (k f)) over them, weighted by P[j] as the
 * fit is (so a peak of the noise floor counts for nothing); infinite below two peaks.
 *
 * pf_refine_estimate combines the two: below PF_REFINE_MIN_HZ the network's f0 as given, else
 * its mean in cents with the refinement, leaning PF_REFINE_AGREE_WEIGHT toward the refinement
 * when the spread is within PF_REFINE_AGREE_CENTS (the harmonics agree), half way otherwise.
 * pf_refine_time then weighs in YIN's period of the audio, when there is audio, or takes the
 * more trusted of the two whole when they are more than PF_TIME_APART_CENTS apart, and
 * pf_refine_meter the key tuning meter's reading of the whole segment, which weighs more as f
 * grows; pf_refine_pure takes a pure tone's pitch from YIN and the meter where they agree. */
#include <math.h>
#include <stdlib.h>

#include "pitchforge/pitch.h"
#include "pitchforge/refine.h"
#include "pitchforge/error.h"
#include "pitchforge/keymeter.h"
#include "pitchforge/spectrogram.h"
#include "pitchforge/yin.h"


#define PF_REFINE_HARMONICS 5
#define PF_REFINE_TOP 0.9375 /* of Nyquist (7.5 kHz at 16 kHz) */
#define PF_REFINE_SPAN 0.03  /* search +-3% around k f0 */
#define PF_REFINE_MAX_CENTS 30.0
#define PF_REFINE_AGREE_CENTS 2.0
#define PF_REFINE_AGREE_WEIGHT 0.8

/** Mean power of bin @p b over the @p frames frames (the values read as power by mode). */
static double bin_power(const float *spec, const pf_spec_config *cfg, int frames, int b)
{
    const float *row = spec + (size_t)b * (size_t)frames;
    double s = 0;
    for (int f = 0; f < frames; f++) {
        double v = row[f];
        s += cfg->mode == PF_SPEC_LOGMAG ? exp(2.0 * v) : cfg->mode == PF_SPEC_PSD ? v : v * v;
    }
    return s / frames;
}

/* Only the bins of the harmonics' search spans are read (a few dozen of the 513). */
double pf_refine_f0(const float *spec, const pf_spec_config *cfg, int bins, int frames,
                    double f0_hz, double *spread_cents)
{
    if (spread_cents) *spread_cents = INFINITY;
    if (!(f0_hz > 0) || bins < 4 || frames < 1 || cfg->mode == PF_SPEC_COMPLEX) return f0_hz;
    double rate_hz = cfg->rate_hz, df = rate_hz / cfg->nfft, num = 0, den = 0;
    double per_k[PF_REFINE_HARMONICS], pow_k[PF_REFINE_HARMONICS]; /* each kept peak's f0, power */
    int n = 0;
    for (int k = 1; k <= PF_REFINE_HARMONICS; k++) {
        double fk = k * f0_hz, c = fk / df;
        if (fk > PF_REFINE_TOP * rate_hz / 2) break;
        int lo = (int)floor(c * (1 - PF_REFINE_SPAN)), hi = (int)ceil(c * (1 + PF_REFINE_SPAN)) + 1;
        lo = lo < 1 ? 1 : lo, hi = hi > bins - 2 ? bins - 2 : hi;
        if (hi <= lo) continue;
        int j = lo;
        double pj = bin_power(spec, cfg, frames, lo);
        for (int i = lo + 1; i <= hi; i++) {
            double pi = bin_power(spec, cfg, frames, i);
            if (pi > pj) j = i, pj = pi;
        }
        if (j <= lo || j >= hi) continue;
        double a = log(bin_power(spec, cfg, frames, j - 1) + 1e-30), m = log(pj + 1e-30);
        double z = log(bin_power(spec, cfg, frames, j + 1) + 1e-30);
        double d = 0.5 * (a - z) / (a - 2 * m + z), pk = (j + d) * df;
        if (!isfinite(pk) || fabs(pf_cents(pk, fk)) > PF_REFINE_MAX_CENTS) continue;
        num += pj * k * pk, den += pj * k * k, per_k[n] = pk / k, pow_k[n++] = pj;
    }
    if (!(den > 0)) return f0_hz;
    double f = num / den;
    if (spread_cents && n >= 2) {
        double sw = 0, s = 0, s2 = 0;
        for (int i = 0; i < n; i++) {
            double c = pf_cents(per_k[i], f);
            sw += pow_k[i], s += pow_k[i] * c, s2 += pow_k[i] * c * c;
        }
        double var = s2 / sw - (s / sw) * (s / sw);
        *spread_cents = sqrt(var > 0 ? var : 0);
    }
    return f;
}

double pf_refine_estimate(const float *spec, const pf_spec_config *cfg, int bins, int frames,
                          double f_hz)
{
    if (!(f_hz >= PF_REFINE_MIN_HZ)) return f_hz;
    double spread, fr = pf_refine_f0(spec, cfg, bins, frames, f_hz, &spread);
    double w = spread <= PF_REFINE_AGREE_CENTS ? PF_REFINE_AGREE_WEIGHT : 0.5;
    return pow(f_hz, 1 - w) * pow(fr, w);
}

double pf_refine_time(double f_hz, double t_hz)
{
    if (!(f_hz > 0) || !(t_hz > 0)) return f_hz;
    double r = f_hz / PF_TIME_CROSSOVER_HZ, w = 1.0 / (1.0 + r * r * r * r);
    if (fabs(pf_cents(t_hz, f_hz)) > PF_TIME_APART_CENTS) return w >= 0.5 ? t_hz : f_hz;
    return pow(f_hz, 1 - w) * pow(t_hz, w);
}

double pf_refine_pure(double f_hz, double t_hz, double meter_hz, unsigned harmonics)
{
    if (harmonics != 1 || !(t_hz > 0) || !(meter_hz > 0)) return f_hz;
    if (fabs(pf_cents(meter_hz, t_hz)) > PF_PURE_AGREE_CENTS) return f_hz;
    return sqrt(t_hz * meter_hz);
}

double pf_refine_meter(double f_hz, double meter_cents)
{
    if (!(f_hz > 0) || !isfinite(meter_cents)) return f_hz;
    double w = 1.0 / (1.0 + sqrt(PF_METER_CROSSOVER_HZ / f_hz));
    return f_hz * pf_cents_ratio(w * meter_cents);
}

int pf_refine_audio(const pf_yin *yin, pf_key_meter *meter, const float *x, size_t n, double f_hz,
                    double *out_hz, pf_error *err)
{
    double t, c;
    unsigned harmonics;
    pf_yin_pick_near(yin, f_hz, PF_TIME_SPAN_CENTS, &t, NULL);
    double at = pf_refine_time(f_hz, t);
    if (pf_key_meter_measure(meter, x, n, at, &c, &harmonics, err)) return -1;
    *out_hz = pf_refine_pure(pf_refine_meter(at, c), t, at * pf_cents_ratio(c), harmonics);
    return 0;
}
