/* Pitch metrics with CREPE's definitions (raw pitch and raw chroma accuracy), MAE, median. */
#include <math.h>
#include <stdlib.h>

#include "core/util.h"
#include "core/mem.h"
#include "pitchforge/train.h"
#include "pitchforge/pitch.h"

double pf_cents_error(double est_hz, double ref_hz)
{
    if (!(est_hz > 0) || !(ref_hz > 0) || !isfinite(est_hz) || !isfinite(ref_hz))
        return NAN;
    return pf_cents(est_hz, ref_hz);
}

/* Share of estimates whose (folded when @p chroma) cents error is within @p tol. */
static double accuracy(const double *est, const double *ref, size_t n, double tol, int chroma)
{
    if (!n)
        return NAN;
    size_t hit = 0;
    for (size_t i = 0; i < n; i++) {
        double e = pf_cents_error(est[i], ref[i]);
        if (chroma && isfinite(e))
            e -= 1200.0 * floor(e / 1200.0 + 0.5); /* into [-600, 600) */
        hit += isfinite(e) && fabs(e) <= tol;
    }
    return (double)hit / (double)n;
}

double pf_rpa(const double *est_hz, const double *ref_hz, size_t n, double tol_cents)
{
    return accuracy(est_hz, ref_hz, n, tol_cents, 0);
}

double pf_rca(const double *est_hz, const double *ref_hz, size_t n, double tol_cents)
{
    return accuracy(est_hz, ref_hz, n, tol_cents, 1);
}

double pf_mae_hz(const double *est_hz, const double *ref_hz, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += fabs(est_hz[i] - ref_hz[i]);
    return n ? s / (double)n : NAN;
}

double pf_median_abs_cents(const double *est_hz, const double *ref_hz, size_t n)
{
    if (!n)
        return NAN;
    double *e = pf_calloc(n, sizeof *e);
    for (size_t i = 0; i < n; i++) {
        double c = pf_cents_error(est_hz[i], ref_hz[i]);
        e[i] = isfinite(c) ? fabs(c) : INFINITY;
    }
    qsort(e, n, sizeof *e, pf_cmp_double);
    double m = n % 2 ? e[n / 2] : 0.5 * (e[n / 2 - 1] + e[n / 2]);
    free(e);
    return m;
}

void pf_frame_score(const double *est_hz, const double *conf, const double *ref_hz, size_t n,
                    double threshold, pf_frame_scores *out)
{
    size_t rv = 0, ev_rv = 0, ev_ru = 0, p50 = 0, p10 = 0, c50 = 0, ok = 0;
    for (size_t i = 0; i < n; i++) {
        int r = ref_hz[i] > 0, e = conf[i] >= threshold && est_hz[i] > 0;
        double c = r ? pf_cents_error(est_hz[i], ref_hz[i]) : NAN;
        double chroma = isfinite(c) ? c - 1200.0 * floor(c / 1200.0 + 0.5) : NAN;
        rv += r, ev_rv += r && e, ev_ru += !r && e;
        p50 += r && fabs(c) <= 50, p10 += r && fabs(c) <= 10, c50 += r && fabs(chroma) <= 50;
        ok += r ? e && fabs(c) <= 50 : !e;
    }
    double v = (double)rv, u = (double)(n - rv);
    *out = (pf_frame_scores){.vr = rv ? (double)ev_rv / v : NAN,
                             .vfa = n > rv ? (double)ev_ru / u : NAN,
                             .rpa50 = rv ? (double)p50 / v : NAN,
                             .rpa10 = rv ? (double)p10 / v : NAN,
                             .rca50 = rv ? (double)c50 / v : NAN,
                             .oa = n ? (double)ok / (double)n : NAN,
                             .frames = n,
                             .voiced = rv};
}
