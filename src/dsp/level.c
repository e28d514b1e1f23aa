/* Signal levels: RMS in dBFS, peak, peak normalization (include/pitchforge/level.h). */
#include <math.h>
#include <stddef.h>

#include "pitchforge/level.h"

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
