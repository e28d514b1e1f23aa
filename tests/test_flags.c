/* Tests for src/decode/flags.c on crafted posteriors: what a column's shape reads (its peak, a
 * second pitch apart from it and from its octaves, the mean), and each rule of pf_flags_judge
 * on either side of its threshold, silence left out. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pitchforge/flags.h"

enum { NB = 470, STRIDE = 3 };

static float logit(double p)
{
    return (float)log(p / (1 - p));
}

/* Column 1 of a [NB][STRIDE] block: 0.001 everywhere, @p p0 at bin @p b0 (and half of it at its
 * two neighbours), @p p1 at bin @p b1 (0: none). Columns 0 and 2 hold 0.99 everywhere, which
 * a wrong stride would read. */
static float *column(int b0, double p0, int b1, double p1)
{
    float *y = malloc(NB * STRIDE * sizeof *y);
    for (int i = 0; i < NB * STRIDE; i++) y[i] = logit(0.99);
    for (int i = 0; i < NB; i++) y[i * STRIDE + 1] = logit(0.001);
    y[b0 * STRIDE + 1] = logit(p0);
    y[(b0 - 1) * STRIDE + 1] = y[(b0 + 1) * STRIDE + 1] = logit(p0 / 2);
    if (p1 > 0) y[b1 * STRIDE + 1] = logit(p1);
    return y;
}

static void shape_of(int b0, double p0, int b1, double p1, pf_column_shape *s)
{
    float *y = column(b0, p0, b1, p1);
    pf_column_shape_measure(y + 1, NB, STRIDE, 20, s);
    free(y);
}

/* The peak, its probability, the mean (0.9 + 2 x 0.45 + 0.6 + 466 x 0.001) / 470, and a second
 * pitch 200 cents away counted in full. */
static void shape_peak_and_second(void **state)
{
    (void)state;
    pf_column_shape s;
    shape_of(100, 0.9, 110, 0.6, &s);
    assert_int_equal(s.peak, 100);
    assert_float_equal(s.peak_p, 0.9, 1e-6);
    assert_float_equal(s.second_p, 0.6, 1e-6);
    assert_float_equal(s.mean_p, (0.9 + 0.9 + 0.6 + 466 * 0.001) / NB, 1e-6);
    shape_of(100, 0.9, 0, 0, &s); /* the peak's own shoulders are no second pitch */
    assert_float_equal(s.second_p, 0.001, 1e-6);
}

/* Not a second pitch: within 100 cents (bin 104: 80 cents), an octave (bin 160: 1200 cents),
 * two octaves down within 50 cents (peak 200, bin 82: 2360 cents), the twelfth (bin 195: 1900
 * cents, 3 times the frequency), the seventeenth below (peak 200, bin 61: 2780 cents, 1/5),
 * 7 times (bin 268: 3360 cents); a second pitch: 60 cents off the octave (bin 163), a fifth (bin
 * 135), 100 cents exactly (bin 95), 60 cents off the twelfth (bin 198: 1960 cents), an eleventh
 * (bin 185: 1700 cents), 8 times plus 60 cents (bin 283: 3660 cents). */
static void shape_octaves_apart(void **state)
{
    (void)state;
    const struct { int peak, bin, second; } c[] = {
        {100, 104, 0}, {100, 160, 0}, {200, 82, 0}, {100, 195, 0}, {200, 61, 0}, {100, 268, 0},
        {100, 163, 1}, {100, 135, 1}, {100, 95, 1}, {100, 198, 1}, {100, 185, 1}, {100, 283, 1}};
    for (size_t k = 0; k < sizeof c / sizeof *c; k++) {
        pf_column_shape s;
        shape_of(c[k].peak, 0.9, c[k].bin, 0.7, &s);
        assert_int_equal(s.peak, c[k].peak);
        if (c[k].second)
            assert_float_equal(s.second_p, 0.7, 1e-6);
        else
            assert_true(s.second_p < 0.01);
    }
}

/* @p n columns: @p voiced at 0.9 with a sharp peak (mean 0.005), the rest at 0.2 with the
 * mean @p quiet_mean; the first @p second voiced ones with a second pitch at @p ratio of the
 * peak; the first @p edge ones peaking at bin @p edge_bin, the others at 200. */
static pf_column_shape *columns(size_t n, size_t voiced, double quiet_mean, size_t second,
                                double ratio, size_t edge, int edge_bin)
{
    pf_column_shape *c = calloc(n, sizeof *c);
    for (size_t m = 0; m < n; m++) {
        int v = m < voiced;
        c[m] = (pf_column_shape){.peak = m < edge ? edge_bin : 200, .peak_p = v ? 0.9 : 0.2,
                                 .second_p = v && m < second ? 0.9 * ratio : 0,
                                 .mean_p = v ? 0.005 : quiet_mean};
    }
    return c;
}

static unsigned judge(pf_column_shape *c, size_t n, pf_flag_measures *m)
{
    unsigned f = pf_flags_judge(c, n, NB, 0.5, m);
    free(c);
    return f;
}

/* One note, every column voiced and sharp: no flag. */
static void judge_clean(void **state)
{
    (void)state;
    pf_flag_measures m;
    assert_int_equal(judge(columns(100, 100, 0.005, 0, 0, 0, 0), 100, &m), 0);
    assert_int_equal(m.columns, 100);
    assert_float_equal(m.voiced, 1, 1e-12);
    assert_float_equal(m.peak_to_mean, 180, 1e-9);
}

/* A second pitch at 0.5 of the peak in 10 of 100 voiced columns: polyphonic; in 9, or at 0.45
 * of the peak in 50: not. */
static void judge_polyphony(void **state)
{
    (void)state;
    pf_flag_measures m;
    assert_int_equal(judge(columns(100, 100, 0.005, 10, 0.5, 0, 0), 100, &m), PF_FLAG_POLYPHONY);
    assert_float_equal(m.second_pitch, 0.1, 1e-12);
    assert_int_equal(judge(columns(100, 100, 0.005, 9, 0.5, 0, 0), 100, &m), 0);
    assert_int_equal(judge(columns(100, 100, 0.005, 50, 0.45, 0, 0), 100, &m), 0);
}

/* Peaks in the 3 lowest or highest bins in a quarter of the columns: out of range; at bin 3 or
 * NB - 4, or in 24 of 100: not. Columns under PF_FLAG_EDGE_MIN_P are not counted at all. */
static void judge_range(void **state)
{
    (void)state;
    pf_flag_measures m;
    assert_int_equal(judge(columns(100, 100, 0.005, 0, 0, 25, 2), 100, &m), PF_FLAG_RANGE);
    assert_float_equal(m.edge, 0.25, 1e-12);
    assert_int_equal(judge(columns(100, 100, 0.005, 0, 0, 25, NB - 3), 100, &m), PF_FLAG_RANGE);
    assert_int_equal(judge(columns(100, 100, 0.005, 0, 0, 25, 3), 100, &m), 0);
    assert_int_equal(judge(columns(100, 100, 0.005, 0, 0, 25, NB - 4), 100, &m), 0);
    assert_int_equal(judge(columns(100, 100, 0.005, 0, 0, 24, 0), 100, &m), 0);
    pf_column_shape *c = columns(100, 100, 0.005, 0, 0, 0, 0);
    for (int k = 0; k < 50; k++) c[k].peak = 0, c[k].peak_p = 0.05; /* believed nothing */
    assert_int_equal(judge(c, 100, &m), 0);
    assert_float_equal(m.edge, 0, 1e-12);
}

/* @p n columns, @p voiced of them at 0.9, every column's mean @p mean_p. */
static pf_column_shape *broad(size_t n, size_t voiced, double mean_p)
{
    pf_column_shape *c = columns(n, voiced, mean_p, 0, 0, 0, 0);
    for (size_t m = 0; m < n; m++) c[m].mean_p = mean_p;
    return c;
}

/* Under 70% of the columns voiced and a median peak-to-mean under 50: noisy. 49 voiced of 100
 * with the rest at 0.2 / 0.02 = 10: noisy; with the rest sharp (0.2 / 0.003 = 66.7): not. 69
 * voiced with every mean at 0.03 (median 0.9 / 0.03 = 30): noisy; 70 voiced, or the means at
 * 0.015 (60): not. */
static void judge_noise(void **state)
{
    (void)state;
    pf_flag_measures m;
    assert_int_equal(judge(columns(100, 49, 0.02, 0, 0, 0, 0), 100, &m), PF_FLAG_NOISE);
    assert_float_equal(m.voiced, 0.49, 1e-12);
    assert_float_equal(m.peak_to_mean, 10, 1e-9);
    assert_int_equal(judge(columns(100, 49, 0.003, 0, 0, 0, 0), 100, &m), 0);
    assert_int_equal(judge(broad(100, 69, 0.03), 100, &m), PF_FLAG_NOISE);
    assert_float_equal(m.voiced, 0.69, 1e-12);
    assert_float_equal(m.peak_to_mean, 30, 1e-9);
    assert_int_equal(judge(broad(100, 70, 0.03), 100, &m), 0);
    assert_int_equal(judge(broad(100, 69, 0.015), 100, &m), 0);
    assert_float_equal(m.peak_to_mean, 60, 1e-9);
}

/* A magnitude column of 513 bins 15.625 Hz apart (16 kHz, 1024-point FFT) at stride 3 with a
 * partial of magnitude 1 at each of @p hz [n] (on its nearest bin and half on its neighbours). */
static float *spectrum(const double *hz, size_t n)
{
    float *mag = calloc(513 * 3, sizeof *mag);
    for (size_t i = 0; i < n; i++) {
        size_t b = (size_t)lround(hz[i] / 15.625);
        mag[b * 3] += 1, mag[(b - 1) * 3] += 0.5f, mag[(b + 1) * 3] += 0.5f;
    }
    return mag;
}

/* Sounding above C8: a 5 kHz sine answered 2.5 kHz is; a 2.5 kHz note with its octave is not;
 * with its fundamental's energy 0.09 of the octave's it is, at 0.11 it is not; an answer
 * under half of C8 (1.5 kHz over a 3 kHz sine) is not, nor one whose octave is past the
 * spectrum (4.1 kHz). */
static void shape_above_c8(void **state)
{
    (void)state;
    const double sine[] = {5000}, note[] = {2500, 5000}, high[] = {3000};
    float *m = spectrum(sine, 1);
    assert_int_equal(pf_column_above_c8(m, 513, 3, 15.625, 2500), 1);
    assert_int_equal(pf_column_above_c8(m, 513, 3, 15.625, 5000), 0); /* no octave to compare */
    free(m);
    m = spectrum(note, 2);
    assert_int_equal(pf_column_above_c8(m, 513, 3, 15.625, 2500), 0);
    free(m);
    m = spectrum(note + 1, 1);
    size_t b = (size_t)lround(2500 / 15.625);
    m[b * 3] = (float)sqrt(0.09 * 1.5); /* the fundamental's energy 0.09 of the octave's 1.5 */
    assert_int_equal(pf_column_above_c8(m, 513, 3, 15.625, 2500), 1);
    m[b * 3] = (float)sqrt(0.11 * 1.5); /* 0.11: not */
    assert_int_equal(pf_column_above_c8(m, 513, 3, 15.625, 2500), 0);
    free(m);
    m = spectrum(high, 1);
    assert_int_equal(pf_column_above_c8(m, 513, 3, 15.625, 1500), 0);
    assert_int_equal(pf_column_above_c8(m, 513, 3, 15.625, 4100), 0);
    free(m);
}

/* Voiced columns sounding above C8 in a quarter of them: out of range; in 24 of 100: not. */
static void judge_above_c8(void **state)
{
    (void)state;
    pf_flag_measures m;
    pf_column_shape *c = columns(100, 100, 0.005, 0, 0, 0, 0);
    for (size_t k = 0; k < 25; k++) c[k].above = 1;
    assert_int_equal(judge(c, 100, &m), PF_FLAG_RANGE);
    assert_float_equal(m.above_c8, 0.25, 1e-12);
    c = columns(100, 100, 0.005, 0, 0, 0, 0);
    for (size_t k = 0; k < 24; k++) c[k].above = 1;
    assert_int_equal(judge(c, 100, &m), 0);
}

/* Silent columns (peak -1) count for nothing; a file of silence has no flag. */
static void judge_silence(void **state)
{
    (void)state;
    pf_flag_measures m;
    pf_column_shape *c = columns(200, 100, 0.005, 20, 0.85, 0, 0);
    for (size_t k = 100; k < 200; k++) c[k].peak = -1;
    assert_int_equal(judge(c, 200, &m), PF_FLAG_POLYPHONY);
    assert_int_equal(m.columns, 100);
    c = columns(10, 0, 0.02, 0, 0, 0, 0);
    for (size_t k = 0; k < 10; k++) c[k].peak = -1;
    assert_int_equal(judge(c, 10, &m), 0);
    assert_int_equal(m.columns, 0);
    assert_int_equal(pf_flags_judge(NULL, 0, NB, 0.5, NULL), 0);
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(pf_flag_name(PF_FLAG_RANGE), "out_of_range");
    assert_string_equal(pf_flag_name(PF_FLAG_POLYPHONY), "polyphonic");
    assert_string_equal(pf_flag_name(PF_FLAG_NOISE), "noisy");
    assert_string_equal(pf_flag_name(3), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shape_peak_and_second), cmocka_unit_test(shape_octaves_apart),
        cmocka_unit_test(shape_above_c8), cmocka_unit_test(judge_above_c8),
        cmocka_unit_test(judge_clean),           cmocka_unit_test(judge_polyphony),
        cmocka_unit_test(judge_range),           cmocka_unit_test(judge_noise),
        cmocka_unit_test(judge_silence),         cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
