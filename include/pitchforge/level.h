/* pitchforge: signal levels: RMS in dBFS and peak (the quality gate's measures), peak
 * normalization. */
#ifndef PITCHFORGE_LEVEL_H
#define PITCHFORGE_LEVEL_H

#include <stddef.h>

/** RMS level of @p x in dBFS (20*log10(rms)); -inf for silence. */
double pf_rms_dbfs(const float *x, size_t n);
/** Peak |x|; NaN if any sample is not finite. */
double pf_peak_abs(const float *x, size_t n);
/** Scale @p x in place so its peak is @p peak; returns the gain used (1 for silence). */
double pf_peak_normalize(float *x, size_t n, double peak);

#endif
