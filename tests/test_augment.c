/* Levels, peak normalization, the fundamental notch and noise at an exact SNR: hand-computed
 * levels, measured attenuations, SNR accuracy, the pink slope from a Welch PSD, repeatability. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pitchforge/rng.h"
#include "pitchforge/augment.h"
#include "pitchforge/level.h"
#include "pitchforge/spectrogram.h"

#define RATE 16000.0
enum { N = 5280 };

static void sine(float *x, size_t n, double f, double amp)
{
    const double pi = 3.14159265358979323846;
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2 * pi * f * (double)i / RATE + 0.4));
}

/* ---- levels ---- */

static void test_levels(void **state)
{
    (void)state;
    const float a[4] = {0.5f, -0.5f, 0.5f, -0.5f}, b[4] = {1, 0, 0, 0}, c[3] = {0.1f, -0.7f, 0.3f};
    assert_float_equal(pf_rms_dbfs(a, 4), 20 * log10(0.5), 1e-12);
    assert_float_equal(pf_rms_dbfs(b, 4), 20 * log10(0.5), 1e-12); /* rms = sqrt(1/4) */
    float *x = malloc(16000 * sizeof *x);
    sine(x, 16000, 1000, 1.0); /* 1000 whole periods: rms 1/sqrt(2) */
    assert_float_equal(pf_rms_dbfs(x, 16000), -10 * log10(2.0), 1e-6);
    memset(x, 0, 16000 * sizeof *x);
    assert_true(isinf(pf_rms_dbfs(x, 16000)) && pf_rms_dbfs(x, 16000) < 0);
    assert_true(isinf(pf_rms_dbfs(x, 0)));
    assert_float_equal(pf_peak_abs(c, 3), 0.7f, 0);
    assert_float_equal(pf_peak_abs(x, 16000), 0, 0);
    x[5] = NAN;
    assert_true(isnan(pf_peak_abs(x, 16000)));
    x[5] = INFINITY;
    assert_true(isnan(pf_peak_abs(x, 16000)));
    free(x);
}

static void test_peak_normalize(void **state)
{
    (void)state;
    float x[3] = {0.1f, -0.4f, 0.2f}, z[3] = {0, 0, 0}, bad[2] = {NAN, 1};
    assert_float_equal(pf_peak_normalize(x, 3, 0.8), 0.8 / (double)0.4f, 1e-12);
    assert_float_equal(x[1], -0.8f, 1e-7);
    assert_float_equal(x[0], 0.2f, 1e-7);
    assert_float_equal(pf_peak_normalize(z, 3, 0.8), 1, 0);
    assert_true(z[0] == 0 && z[1] == 0 && z[2] == 0);
    assert_true(isnan(pf_peak_normalize(bad, 2, 0.8)));
    assert_float_equal(bad[1], 1, 0);
}

/* ---- notch ---- */

/* Level change in dB of a sine at @p f through a notch at @p f0 (quality @p q), over the whole
 * segment and over its middle half (edges hold the filter's start-up transients). */
static void notch_change(double f, double f0, double q, double *whole_db, double *mid_db)
{
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    sine(x, N, f, 0.5);
    memcpy(y, x, N * sizeof *x);
    pf_notch_apply(y, N, f0, RATE, q);
    *whole_db = pf_rms_dbfs(y, N) - pf_rms_dbfs(x, N);
    *mid_db = pf_rms_dbfs(y + N / 4, N / 2) - pf_rms_dbfs(x + N / 4, N / 2);
    free(x);
    free(y);
}

static void test_notch(void **state)
{
    (void)state;
    const double f0s[] = {65.41, 220.0, 440.0, 1000.0, 2637.0, 3951.0}, q = 2.0;
    double worst_rej = -INFINITY, worst_rej_whole = -INFINITY, worst_h2 = 0;
    for (size_t i = 0; i < sizeof f0s / sizeof *f0s; i++) {
        double w, m, w2, m2;
        notch_change(f0s[i], f0s[i], q, &w, &m);
        notch_change(2 * f0s[i], f0s[i], q, &w2, &m2);
        print_message("notch q %.1f at %7.2f Hz: f0 %7.2f dB (middle) %7.2f dB (whole); "
                      "2 f0 %+.3f dB (middle) %+.3f dB (whole)\n",
                      q, f0s[i], m, w, m2, w2);
        worst_rej = fmax(worst_rej, m);
        worst_rej_whole = fmax(worst_rej_whole, w);
        worst_h2 = fmax(worst_h2, fmax(fabs(m2), 2 * f0s[i] < RATE / 2 ? fabs(w2) : 0));
    }
    print_message("notch: weakest rejection %.1f dB (middle) %.1f dB (whole), largest change "
                  "at 2 f0 %.3f dB\n",
                  worst_rej, worst_rej_whole, worst_h2);
    assert_true(worst_rej <= -30);
    assert_true(worst_h2 < 1);
    /* As the pipeline should use it: on the whole note (1.5 s, 10 ms attack), then cut. */
    const size_t len = 24000, at = 8000, ramp = 160;
    float *note = malloc(len * sizeof *note), *seg = malloc(N * sizeof *seg);
    double worst_note = -INFINITY;
    for (size_t i = 0; i < sizeof f0s / sizeof *f0s; i++) {
        sine(note, len, f0s[i], 0.5);
        for (size_t j = 0; j < ramp; j++)
            note[j] *= (float)j / ramp;
        memcpy(seg, note + at, N * sizeof *seg);
        pf_notch_apply(note, len, f0s[i], RATE, q);
        worst_note = fmax(worst_note, pf_rms_dbfs(note + at, N) - pf_rms_dbfs(seg, N));
    }
    print_message("notch on whole notes, segment cut after: weakest rejection %.1f dB\n",
                  worst_note);
    assert_true(worst_note <= -30);
    free(note);
    free(seg);
    /* f0 at or above Nyquist, or a bad q: unchanged */
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    sine(x, N, 1000, 0.5);
    memcpy(y, x, N * sizeof *x);
    pf_notch_apply(y, N, 8000, RATE, q);
    pf_notch_apply(y, N, 9000, RATE, q);
    pf_notch_apply(y, N, 1000, RATE, 0);
    pf_notch_apply(NULL, N, 1000, RATE, q);
    assert_memory_equal(x, y, N * sizeof *x);
    free(x);
    free(y);
}

/* ---- noise ---- */

/* SNR in dB of @p after against the clean @p before (noise = after - before). */
static double measured_snr(const float *before, const float *after, size_t n)
{
    double ps = 0, pn = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)after[i] - before[i];
        ps += (double)before[i] * before[i];
        pn += d * d;
    }
    return 10 * log10(ps / pn);
}

static void test_noise_snr(void **state)
{
    (void)state;
    const double snrs[] = {0, 10, 20, 40};
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    sine(x, N, 440, 0.3);
    double worst = 0;
    for (int kind = 0; kind < 2; kind++)
        for (size_t i = 0; i < sizeof snrs / sizeof *snrs; i++) {
            pf_rng r;
            pf_rng_init(&r, 11, PF_STREAM_AUGMENT, i);
            memcpy(y, x, N * sizeof *x);
            pf_noise_add(y, N, (pf_noise_kind)kind, snrs[i], &r);
            worst = fmax(worst, fabs(measured_snr(x, y, N) - snrs[i]));
        }
    print_message("noise: worst SNR error %.2g dB (white and pink, 0..40 dB)\n", worst);
    assert_true(worst <= 0.01);
    free(x);
    free(y);
}

static void test_noise_repeatable_and_silence(void **state)
{
    (void)state;
    float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    for (int kind = 0; kind < 2; kind++) {
        pf_rng r1, r2;
        pf_rng_init(&r1, 3, PF_STREAM_AUGMENT, 77);
        pf_rng_init(&r2, 3, PF_STREAM_AUGMENT, 77);
        sine(a, N, 300, 0.2);
        sine(b, N, 300, 0.2);
        pf_noise_add(a, N, (pf_noise_kind)kind, 15, &r1);
        pf_noise_add(b, N, (pf_noise_kind)kind, 15, &r2);
        assert_memory_equal(a, b, N * sizeof *a);
        assert_memory_equal(&r1, &r2, sizeof r1);
        pf_rng_init(&r2, 4, PF_STREAM_AUGMENT, 77);
        sine(b, N, 300, 0.2);
        pf_noise_add(b, N, (pf_noise_kind)kind, 15, &r2);
        assert_true(memcmp(a, b, N * sizeof *a) != 0);
    }
    memset(a, 0, N * sizeof *a);
    pf_rng r;
    pf_rng_init(&r, 3, PF_STREAM_AUGMENT, 1);
    pf_noise_add(a, N, PF_NOISE_PINK, 20, &r);
    assert_true(pf_peak_abs(a, N) == 0);
    free(a);
    free(b);
}

/* Slope in dB/octave of a Welch PSD (Hann 1024, overlap 512: pf_spectrogram in PSD mode,
 * averaged over frames) of @p noise, fitted over [f_lo, f_hi] Hz by least squares. */
static double psd_slope(const float *noise, size_t n, double f_lo, double f_hi)
{
    pf_spec_config c = {1024, 512, 1024, RATE, PF_SPEC_PSD, PF_SCALE_DENSITY};
    pf_spectrogram *s = pf_spectrogram_new(&c, n, NULL);
    size_t bins = pf_spectrogram_bins(s), frames = pf_spectrogram_frames(s);
    float *p = malloc(pf_spectrogram_size(s) * sizeof *p);
    assert_int_equal(pf_spectrogram_compute(s, noise, n, p, NULL), 0);
    double sx = 0, sy = 0, sxx = 0, sxy = 0, cnt = 0;
    for (size_t k = 1; k < bins; k++) {
        double f = k * RATE / 1024, mean = 0;
        if (f < f_lo || f > f_hi) continue;
        for (size_t t = 0; t < frames; t++)
            mean += p[k * frames + t];
        double lx = log2(f), ly = 10 * log10(mean / (double)frames);
        sx += lx, sy += ly, sxx += lx * lx, sxy += lx * ly, cnt++;
    }
    free(p);
    pf_spectrogram_free(s);
    return (cnt * sxy - sx * sy) / (cnt * sxx - sx * sx);
}

static void test_noise_colour(void **state)
{
    (void)state;
    const size_t n = 1u << 19; /* 33 s: about 1000 averaged frames */
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    sine(x, n, 5.0, 0.1); /* a quiet 5 Hz carrier, below the fitted band */
    for (int kind = 0; kind < 2; kind++) {
        pf_rng r;
        pf_rng_init(&r, 99, PF_STREAM_AUGMENT, (uint64_t)kind);
        memcpy(y, x, n * sizeof *x);
        pf_noise_add(y, n, (pf_noise_kind)kind, -40, &r);
        for (size_t i = 0; i < n; i++)
            y[i] -= x[i];
        double slope = psd_slope(y, n, 50, 5000);
        print_message("%s noise: PSD slope %.3f dB/octave over 50..5000 Hz\n",
                      kind ? "pink" : "white", slope);
        assert_true(fabs(slope - (kind ? -3.0103 : 0.0)) <= 1.0);
    }
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_peak_normalize),
        cmocka_unit_test(test_notch),
        cmocka_unit_test(test_noise_snr),
        cmocka_unit_test(test_noise_repeatable_and_silence),
        cmocka_unit_test(test_noise_colour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
