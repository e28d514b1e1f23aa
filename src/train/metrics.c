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

