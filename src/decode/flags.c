/* Low-confidence flags of a frame-level model's answer (include/pitchforge/flags.h; the rules
 * and how they were chosen: docs/tracking.md, "Low-confidence flags"). */
#include "pitchforge/flags.h"

#include <math.h>
#include <stdlib.h>

#include "core/mem.h"
#include "core/util.h"

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* 1 when @p cents from the peak is a second pitch: far enough from it, from its octaves and
 * from its other harmonic relations (k or 1/k times its frequency, k up to
 * PF_FLAG_POLY_HARMONICS: the twelfth, the seventeenth, ...), which are the model's doubt about
 * which partial is the note, not a second note. */
static int apart(double cents)
{
    if (cents < PF_FLAG_POLY_APART_CENTS) return 0;
    double r = fmod(cents, 1200.0), off = r < 600 ? r : 1200 - r;
    if (cents >= 1200 - PF_FLAG_POLY_OCTAVE_CENTS && off <= PF_FLAG_POLY_OCTAVE_CENTS) return 0;
    for (int k = 3; k <= PF_FLAG_POLY_HARMONICS; k++)
        if (fabs(cents - 1200.0 * log2(k)) <= PF_FLAG_POLY_OCTAVE_CENTS) return 0;
    return 1;
}

void pf_column_shape_measure(const float *logits, size_t n_bins, size_t stride, double step_cents,
                             pf_column_shape *s)
{
    *s = (pf_column_shape){.peak = -1};
    if (!n_bins) return;
    size_t peak = 0;
    double sum = 0;
    for (size_t i = 0; i < n_bins; i++) {
        sum += sigmoid(logits[i * stride]);
        peak = logits[i * stride] > logits[peak * stride] ? i : peak;
    }
    s->peak = (int)peak, s->peak_p = sigmoid(logits[peak * stride]);
    s->mean_p = sum / (double)n_bins;
    float second = -INFINITY; /* compared as logits: the sigmoid keeps the order */
    for (size_t i = 0; i < n_bins; i++) {
        float y = logits[i * stride];
        int local = (i == 0 || y >= logits[(i - 1) * stride]) &&
                    (i + 1 == n_bins || y >= logits[(i + 1) * stride]);
        if (local && y > second && apart(fabs((double)i - (double)peak) * step_cents)) second = y;
    }
    s->second_p = second > -INFINITY ? sigmoid(second) : 0;
}

/* The energy of @p mag's bins within 3% of @p hz (at least the nearest bin). */
static double band_energy(const float *mag, size_t n_bins, size_t stride, double bin_hz,
                          double hz)
{
    size_t lo = (size_t)floor(0.97 * hz / bin_hz), hi = (size_t)ceil(1.03 * hz / bin_hz);
    double e = 0;
    for (size_t i = lo; i <= hi && i < n_bins; i++)
        e += (double)mag[i * stride] * mag[i * stride];
    return e;
}

int pf_column_above_c8(const float *mag, size_t n_bins, size_t stride, double bin_hz,
                       double f0_hz)
{
    if (!(f0_hz >= PF_FLAG_RANGE_HI_HZ / 2) || 1.03 * 2 * f0_hz / bin_hz >= (double)n_bins - 1)
        return 0;
    double at = band_energy(mag, n_bins, stride, bin_hz, f0_hz);
    double up = band_energy(mag, n_bins, stride, bin_hz, 2 * f0_hz);
    return up > 0 && at < PF_FLAG_ABOVE_RATIO * up;
}

/* The median of @p x [n] (sorted in place); 0 for none. */
static double median(double *x, size_t n)
{
    if (!n) return 0;
    qsort(x, n, sizeof *x, pf_cmp_double);
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* The measures of @p cols [n] (pf_flags_judge's). */
static void measure(const pf_column_shape *cols, size_t n, size_t n_bins, double voiced_p,
                    pf_flag_measures *out)
{
    size_t analysed = 0, believed = 0, edge = 0, voiced = 0, poly = 0, above = 0;
    double *ratio = pf_calloc(n + 1, sizeof *ratio);
    for (size_t m = 0; m < n; m++) {
        const pf_column_shape *c = &cols[m];
        if (c->peak < 0) continue;
        ratio[analysed++] = c->mean_p > 0 ? c->peak_p / c->mean_p : 0;
        int at_edge = c->peak < PF_FLAG_EDGE_BINS || (size_t)c->peak + PF_FLAG_EDGE_BINS >= n_bins;
        believed += c->peak_p >= PF_FLAG_EDGE_MIN_P;
        edge += c->peak_p >= PF_FLAG_EDGE_MIN_P && at_edge;
        voiced += c->peak_p >= voiced_p;
        poly += c->peak_p >= voiced_p && c->second_p >= PF_FLAG_POLY_RATIO * c->peak_p;
        above += c->peak_p >= voiced_p && c->above;
    }
    *out = (pf_flag_measures){.columns = analysed,
                              .edge = believed ? (double)edge / (double)believed : 0,
                              .second_pitch = voiced ? (double)poly / (double)voiced : 0,
                              .above_c8 = voiced ? (double)above / (double)voiced : 0,
                              .voiced = analysed ? (double)voiced / (double)analysed : 0,
                              .peak_to_mean = median(ratio, analysed)};
    free(ratio);
}

unsigned pf_flags_judge(const pf_column_shape *cols, size_t n, size_t n_bins, double voiced_p,
                        pf_flag_measures *measures)
{
    pf_flag_measures m;
    measure(cols, n, n_bins, voiced_p, &m);
    if (measures) *measures = m;
    unsigned flags = 0;
    if (m.edge >= PF_FLAG_EDGE_SHARE || m.above_c8 >= PF_FLAG_EDGE_SHARE) flags |= PF_FLAG_RANGE;
    if (m.second_pitch >= PF_FLAG_POLY_SHARE) flags |= PF_FLAG_POLYPHONY;
    if (m.columns && m.voiced < PF_FLAG_NOISE_VOICED && m.peak_to_mean < PF_FLAG_NOISE_PEAK_TO_MEAN)
        flags |= PF_FLAG_NOISE;
    return flags;
}

const char *pf_flag_name(unsigned bit)
{
    static const char *const names[PF_FLAG_COUNT] = {"out_of_range", "polyphonic", "noisy"};
    for (int i = 0; i < PF_FLAG_COUNT; i++)
        if (bit == 1u << i) return names[i];
    return "?";
}
