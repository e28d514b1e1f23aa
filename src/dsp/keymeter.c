/* Key tuning meter (the key audit), see include/pitchforge/keymeter.h and docs/dsp.md.
 *
 * How far a sustained note sounds from a written frequency f, measured from its spectrum rather
 * than by YIN (eval's baseline), so the key audit does not share YIN's errors: the frame is
 * Hann-windowed and zero-padded to at least 4 times its length; near each harmonic k f
 * (k = 1..PF_KEYMETER_HARMONICS, within PF_KEYMETER_SEARCH_CENTS) the strongest bin must be a peak
 * inside the span (not at its edge) and at least PF_KEYMETER_FLOOR of the spectrum's maximum; the
 * power-weighted mean frequency of the bins around it, recentred a few times, measures it (wide
 * enough for a vibrato, whose sidebands may outgrow the carrier: their mean stays on it).
 * The offset is the mean of the harmonics' offsets in cents weighted by their magnitude, over
 * harmonics at least PF_KEYMETER_KEEP as strong as the strongest found. Low harmonics only: a
 * stiff string's partials run sharp with k^2, a few cents by the fourth in a piano's treble. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "dsp/fft.h"
#include "pitchforge/error.h"
#include "pitchforge/keymeter.h"
#include "pitchforge/pitch.h"
#include "pitchforge/refine.h"

#define PF_KEYMETER_HARMONICS 3
#define PF_KEYMETER_FLOOR 1e-2         /* of the largest magnitude in the spectrum (-40 dB) */
#define PF_KEYMETER_KEEP 0.1           /* of the strongest harmonic found (-20 dB) */
#define PF_KEYMETER_VIBRATO_HZ 12.0    /* sidebands of a vibrato counted in a harmonic's mean */
#define PF_KEYMETER_VIBRATO_SHARE 0.02 /* ... or this share of its frequency (34 cents) */
#define PF_KEYMETER_RECENTER 4

struct pf_key_meter {
    size_t n; /* frame length */
    int size; /* FFT size: a power of two >= 4 n */
    double rate_hz;
    float *win;      /* [n] Hann window */
    float *buf;      /* [size] windowed frame, zero tail */
    pf_cfloat *spec; /* [size/2 + 1] */
    pf_fft_plan *plan;
};

pf_key_meter *pf_key_meter_new(size_t n_samples, double rate_hz, pf_error *err)
{
    if (n_samples < 16 || n_samples > ((size_t)1 << 24) || !(rate_hz > 0)) {
        PF_FAIL(err, PF_EINVAL, "key meter: %zu samples at %g Hz", n_samples, rate_hz);
        return NULL;
    }
    pf_key_meter *t = pf_calloc(1, sizeof *t);
    t->n = n_samples, t->rate_hz = rate_hz;
    for (t->size = 64; (size_t)t->size < 4 * n_samples; t->size *= 2) {
    }
    t->win = pf_malloc(n_samples * sizeof *t->win);
    for (size_t i = 0; i < n_samples; i++) /* periodic Hann over the frame */
        t->win[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n_samples));
    t->buf = pf_fft_alloc_real((size_t)t->size);
    t->spec = pf_fft_alloc_complex((size_t)t->size / 2 + 1);
    pf_fft_batch b = pf_fft_batch_contiguous(t->size, 1);
    t->plan = pf_fft_plan_r2c(&b, t->buf, t->spec, err);
    if (!t->plan) {
        pf_key_meter_free(t);
        return NULL;
    }
    return t;
}

/** Power of bin @p j. */
static double power(const pf_key_meter *t, int j)
{
    return (double)t->spec[j][0] * t->spec[j][0] + (double)t->spec[j][1] * t->spec[j][1];
}

/** Power-weighted mean frequency (Hz) of the bins within @p half_hz of @p center_hz. */
static double centroid(const pf_key_meter *t, double center_hz, double half_hz)
{
    double bin_hz = t->rate_hz / t->size, sum = 0, wsum = 0;
    int lo = (int)ceil((center_hz - half_hz) / bin_hz),
        hi = (int)floor((center_hz + half_hz) / bin_hz);
    lo = lo < 1 ? 1 : lo, hi = hi > t->size / 2 - 1 ? t->size / 2 - 1 : hi;
    for (int i = lo; i <= hi; i++) {
        double q = power(t, i);
        sum += q * i, wsum += q;
    }
    return wsum > 0 ? sum / wsum * bin_hz : center_hz;
}

/**
 * The harmonic near @p f_hz: its offset in cents and its magnitude. The largest bin of the span
 * locates it; the mean frequency over @p half_hz around it, recentred a few times, measures it
 * (a vibrato's sidebands may outgrow its carrier, the mean stays on the carrier).
 * @return 0, or -1 when the span's largest bin is at its edge or below @p floor_pow
 */
static int harmonic_peak(const pf_key_meter *t, double f_hz, double half_hz, double floor_pow,
                         double *cents, double *mag)
{
    double bin_hz = t->rate_hz / t->size, span = pf_cents_ratio(PF_KEYMETER_SEARCH_CENTS);
    int lo = (int)floor(f_hz / span / bin_hz), hi = (int)ceil(f_hz * span / bin_hz);
    if (lo < 1 || hi >= t->size / 2) return -1;
    int j = lo;
    for (int i = lo + 1; i <= hi; i++)
        if (power(t, i) > power(t, j)) j = i;
    double p = power(t, j);
    if (j == lo || j == hi || !(p > floor_pow)) return -1;
    double at = j * bin_hz;
    for (int it = 0; it < PF_KEYMETER_RECENTER; it++)
        at = centroid(t, at, half_hz);
    *cents = pf_cents(at, f_hz);
    *mag = sqrt(p);
    return 0;
}

int pf_key_meter_measure(pf_key_meter *t, const float *x, size_t n, double f_hz, double *cents,
                         unsigned *harmonics, pf_error *err)
{
    if (n != t->n || !(f_hz > 0))
        return PF_FAIL(err, PF_EINVAL, "key meter: %zu samples (made for %zu) at %g Hz", n, t->n,
                       f_hz);
    for (size_t i = 0; i < n; i++)
        t->buf[i] = x[i] * t->win[i];
    memset(t->buf + n, 0, ((size_t)t->size - n) * sizeof *t->buf);
    pf_fft_execute(t->plan);
    double top = 0;
    for (int i = 0; i <= t->size / 2; i++)
        top = fmax(top, power(t, i));
    double c[PF_KEYMETER_HARMONICS], m[PF_KEYMETER_HARMONICS], strongest = 0;
    int k_of[PF_KEYMETER_HARMONICS], found = 0;
    for (int k = 1; k <= PF_KEYMETER_HARMONICS; k++) {
        /* the main lobe (2 bins of the unpadded frame) and a vibrato's sidebands, short of the
         * neighbouring harmonics */
        double vib = fmax(PF_KEYMETER_VIBRATO_HZ, PF_KEYMETER_VIBRATO_SHARE * k * f_hz);
        double half_hz = fmin(2.0 * t->rate_hz / (double)n + vib, 0.4 * f_hz);
        if (harmonic_peak(t, k * f_hz, half_hz, top * PF_KEYMETER_FLOOR * PF_KEYMETER_FLOOR,
                          &c[found], &m[found]))
            continue;
        k_of[found] = k;
        strongest = fmax(strongest, m[found++]);
    }
    double sum = 0, wsum = 0;
    unsigned kept = 0;
    for (int i = 0; i < found; i++)
        if (m[i] >= PF_KEYMETER_KEEP * strongest)
            sum += m[i] * c[i], wsum += m[i], kept |= 1u << (k_of[i] - 1);
    *cents = wsum > 0 ? sum / wsum : NAN;
    if (harmonics) *harmonics = kept;
    return 0;
}

void pf_key_meter_free(pf_key_meter *t)
{
    if (!t) return;
    pf_fft_plan_free(t->plan);
    pf_fft_free(t->buf);
    pf_fft_free(t->spec);
    free(t->win);
    free(t);
}
