/*
 * Viterbi smoothing of a pitch track (include/pitchforge/viterbi.h): the band of the triangular
 * transition is all a bin can come from, so each frame costs bins x (2 W - 1) steps instead of
 * bins^2. In the log domain: delta_t(j) = max_i [delta_{t-1}(i) + ln(W - |i - j|) - ln S_i]
 * + ln e_t(j), S_i the row sum of the triangle at bin i (smaller near the ends), e_t frame t's
 * normalised salience; back_t(j) the i that gave the max.
 */
#include "pitchforge/viterbi.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/mem.h"

int pf_viterbi_width(double hop_s, double step_cents)
{
    double reach = (PF_VITERBI_CREPE_WIDTH - 1) * (hop_s / PF_VITERBI_CREPE_HOP_S) *
                   (PF_VITERBI_CREPE_STEP_CENTS / step_cents);
    if (!(reach < 1e6)) return 1000000; /* wider than any bins: every jump allowed */
    return reach >= 1 ? 1 + (int)lround(reach) : 2;
}

/* ln of frame @p s [bins]'s salience normalised to sum 1 (uniform when it sums to 0), + @p add. */
static void log_emission(const float *s, size_t bins, double add, double *out)
{
    double sum = 0;
    for (size_t j = 0; j < bins; j++)
        sum += s[j] > 0 ? s[j] : 0;
    for (size_t j = 0; j < bins; j++)
        out[j] = add + (sum > 0 ? log((s[j] > 0 ? s[j] : 0) / sum + DBL_MIN) : -log((double)bins));
}

/* One step: cur[j] = max over the band of prev[i] - lrow[i] + lw[i - j + reach], + em[j]. */
static void step(const double *prev, const double *lrow, const double *lw, size_t bins,
                 size_t reach, double *cur, uint16_t *back)
{
    for (size_t j = 0; j < bins; j++) {
        size_t lo = j > reach ? j - reach : 0, hi = j + reach < bins ? j + reach : bins - 1;
        double best = -INFINITY;
        size_t arg = lo;
        for (size_t i = lo; i <= hi; i++) {
            double v = prev[i] - lrow[i] + lw[i + reach - j];
            if (v > best) best = v, arg = i;
        }
        cur[j] += best;
        back[j] = (uint16_t)arg;
    }
}

/* ln(W - |d|) for d = -reach..reach into lw[0 .. 2 reach], and each bin's ln S_i. */
static void transition(size_t bins, int width, size_t reach, double *lw, double *lrow)
{
    for (size_t k = 0; k <= 2 * reach; k++)
        lw[k] = log((double)width - fabs((double)k - (double)reach));
    for (size_t i = 0; i < bins; i++) {
        size_t lo = i > reach ? i - reach : 0, hi = i + reach < bins ? i + reach : bins - 1;
        double s = 0;
        for (size_t j = lo; j <= hi; j++)
            s += width - fabs((double)j - (double)i);
        lrow[i] = log(s);
    }
}

int pf_viterbi_path(const float *salience, size_t frames, size_t bins, int width, int *path,
                    pf_error *err)
{
    if (!bins || bins > PF_VITERBI_MAX_BINS || width < 1)
        return PF_FAIL(err, PF_EINVAL, "pf_viterbi_path: %zu bins (1 to %d), width %d (>= 1)", bins,
                       PF_VITERBI_MAX_BINS, width);
    if (!frames) return 0;
    size_t reach = (size_t)width - 1 < bins - 1 ? (size_t)width - 1 : bins - 1;
    double *lw = pf_calloc(2 * reach + 1, sizeof *lw), *lrow = pf_calloc(bins, sizeof *lrow);
    double *prev = pf_calloc(bins, sizeof *prev), *cur = pf_calloc(bins, sizeof *cur);
    uint16_t *back = pf_calloc(frames * bins, sizeof *back);
    transition(bins, width, reach, lw, lrow);
    log_emission(salience, bins, -log((double)bins), prev);
    for (size_t t = 1; t < frames; t++) {
        log_emission(salience + t * bins, bins, 0, cur);
        step(prev, lrow, lw, bins, reach, cur, back + t * bins);
        double *swap = prev;
        prev = cur, cur = swap;
    }
    size_t at = 0;
    for (size_t j = 1; j < bins; j++)
        at = prev[j] > prev[at] ? j : at;
    for (size_t t = frames; t-- > 0;) {
        path[t] = (int)at;
        at = back[t * bins + at];
    }
    free(lw), free(lrow), free(prev), free(cur), free(back);
    return 0;
}
