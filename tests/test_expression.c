/* Tests for src/synth/expression.c, the moving pitch of src/synth/render.c and the per-column
 * labels of src/generate/frames.c: the label check. Sine-wave notes with vibrato up to 7 Hz x 80
 * cents, scoops, falls and legato glides are rendered inside FluidSynth; each column's pitch is
 * measured independently on the 44.1 kHz render (each period between zero crossings around the column's
 * centre) and compared with its label, less the preset's own tuning (measured on the same key
 * held still). Bars (issue "Pitch tracks, part 1"): median |error| <= 1 cent, p99 <= 5 cents
 * over voiced columns; voicing agrees on >= 99% of columns away from the on- and offset. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/util.h"
#include "generate/generate_int.h"
#include "pitchforge/expression.h"
#include "pitchforge/pitch.h"
#include "pitchforge/resample.h"
#include "pitchforge/synth.h"

#define RATE 44100.0
#define AUDIO_RATE 16000.0
#define SINE_BANK 8 /* FluidR3_GM "Sine Wave" */
#define SINE_PROG 80
#define HOLD_S 1.0
#define RELEASE_S 0.3

static const pf_spec_config spec = {.length = 256, .overlap = 200, .nfft = 1024,
                                    .rate_hz = AUDIO_RATE};

/* (a) the curve: endpoints of the ramps, the vibrato's swing, whole-cent blocks. */
static void test_curve(void **state)
{
    (void)state;
    pf_expression e = {.scoop_cents = -100, .scoop_s = 0.1, .glide_cents = 700,
                       .glide_start_s = 0.5, .glide_s = 0.08};
    assert_float_equal(pf_expression_cents(&e, 0), -100, 1e-12);
    assert_float_equal(pf_expression_cents(&e, 0.05), -50, 1e-9);
    assert_float_equal(pf_expression_cents(&e, 0.3), 0, 1e-12);
    assert_float_equal(pf_expression_cents(&e, 0.54), 350, 1e-9);
    assert_float_equal(pf_expression_cents(&e, 0.9), 700, 1e-12);
    pf_expression v = {.vib_rate_hz = 5, .vib_depth_cents = 60, .vib_delay_s = 0.2};
    assert_float_equal(pf_expression_cents(&v, 0.1), 0, 0);
    double lo = 0, hi = 0;
    for (double t = 0.5; t < 1.0; t += 1e-4) {
        double c = pf_expression_cents(&v, t);
        lo = c < lo ? c : lo, hi = c > hi ? c : hi;
    }
    assert_float_equal(hi, 60, 0.01);
    assert_float_equal(lo, -60, 0.01);
    int32_t b[700];
    pf_expression_blocks(&v, RATE, b, 700);
    for (size_t i = 0; i < 700; i++)
        assert_int_equal(b[i], lround(pf_expression_cents(&v, (64.0 * (double)i + 32) / RATE)));
    assert_false(pf_expression_moves(&(pf_expression){0}));
    assert_true(pf_expression_moves(&v));
}

/* The instantaneous frequency of x at sample @p c: each period between two positive zero
 * crossings (placed by linear interpolation) gives 1 / period at its midpoint; read at c between
 * the two midpoints around it. Crossings within @p half samples of c; 0 when there are fewer
 * than three or the signal there stays below @p floor. */
static double crossings_hz(const float *x, size_t n, double c, double half, double floor)
{
    long a = lround(c - half), z = lround(c + half);
    a = a < 1 ? 1 : a, z = z > (long)n ? (long)n : z;
    double t[512], peak = 0;
    int count = 0;
    for (long i = a; i < z && count < 512; i++) {
        peak = fabs(x[i]) > peak ? fabs(x[i]) : peak;
        if (x[i - 1] < 0 && x[i] >= 0) t[count++] = (double)(i - 1) + x[i - 1] / (x[i - 1] - x[i]);
    }
    if (count < 3 || !(peak > floor)) return 0;
    for (int i = 0; i + 2 < count; i++) {
        double m0 = 0.5 * (t[i] + t[i + 1]), m1 = 0.5 * (t[i + 1] + t[i + 2]);
        if (i + 3 < count && m1 < c) continue;
        double f0 = RATE / (t[i + 1] - t[i]), f1 = RATE / (t[i + 2] - t[i + 1]);
        double u = (c - m0) / (m1 - m0);
        u = u < 0 ? 0 : u > 1 ? 1 : u;
        return f0 + u * (f1 - f0);
    }
    return 0;
}

typedef struct check {
    double *err; /* |cents| per voiced column */
    size_t n_err, agree, compared;
} check;

/* Render key @p midi with expression @p e, label its columns as generate does, measure them. */
static void check_note(pf_synth *s, pf_resampler *rs, int midi, const pf_expression *e,
                       double own_cents, check *ck)
{
    size_t hold = (size_t)(HOLD_S * RATE), rel = (size_t)(RELEASE_S * RATE), n = hold + rel;
    size_t nb = n / PF_EXPRESSION_BLOCK + 1;
    int32_t *blocks = malloc(nb * sizeof *blocks);
    pf_expression_blocks(e, RATE, blocks, nb);
    pf_note note = {.bank = SINE_BANK, .program = SINE_PROG, .midi = midi, .velocity = 100,
                    .hold_frames = hold, .release_frames = rel, .steady_pitch = 1,
                    .pitch_cents = blocks, .n_pitch_blocks = nb};
    float *x = malloc(n * sizeof *x);
    pf_error err = {0};
    if (pf_synth_render(s, &note, x, n, &err)) fail_msg("%s", err.msg);
    size_t m = pf_resampler_out_len(rs, n), frames = (m - 256) / 56 + 1;
    float *a = malloc(m * sizeof *a), *f0 = malloc(frames * sizeof *f0);
    if (pf_resampler_process(rs, x, n, a, m, &err)) fail_msg("%s", err.msg);
    pf_column_pitch p = {.spec = &spec, .synth_rate_hz = RATE, .midi = midi, .cents = 0,
                         .blocks = blocks, .n_blocks = nb};
    pf_column_f0(&p, 0, f0, frames);
    pf_column_voicing(&spec, a, m, pf_frame_peak_dbfs(&spec, a, m), f0, frames);
    double peak = 0;
    for (size_t i = 0; i < n; i++)
        peak = fabs(x[i]) > peak ? fabs(x[i]) : peak;
    for (size_t k = 0; k < frames; k++) {
        double t = pf_column_time_s(&spec, 0, k);
        double hz = crossings_hz(x, n, t * RATE, 0.025 * RATE, 1e-3 * peak);
        if (t > 0.05 && t < HOLD_S - 0.02) { /* away from the onset and the note-off */
            ck->compared++;
            ck->agree += (hz > 0) == (f0[k] > 0);
        }
        if (f0[k] > 0 && hz > 0 && t > 0.02 && t < HOLD_S + RELEASE_S - 0.02)
            ck->err[ck->n_err++] = fabs(pf_cents(hz, f0[k]) - own_cents);
    }
    free(x), free(a), free(f0), free(blocks);
}

/* The preset's own tuning at @p midi, in cents: its held note measured against the label (the
 * key audit's business, not the expression's). */
static double own_cents(pf_synth *s, int midi)
{
    size_t n = (size_t)(HOLD_S * RATE);
    float *x = malloc(n * sizeof *x);
    pf_note note = {.bank = SINE_BANK, .program = SINE_PROG, .midi = midi, .velocity = 100,
                    .hold_frames = n, .steady_pitch = 1};
    pf_error err = {0};
    if (pf_synth_render(s, &note, x, n, &err)) fail_msg("%s", err.msg);
    double hz = crossings_hz(x, n, 0.6 * RATE, 0.3 * RATE, 0);
    free(x);
    return pf_cents(hz, pf_midi_to_hz(midi, 0));
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* (b) the label check, per kind of expression, on keys C3..C6. */
static void test_label_check(void **state)
{
    (void)state;
    pf_error err = {0};
    pf_synth_config cfg = {.rate_hz = RATE, .gain = 0.5};
    pf_synth *s = pf_synth_new(&cfg, &err);
    assert_non_null(s);
    const char *sf = fopen("soundfonts/FluidR3_GM.sf2", "rb") ? "soundfonts/FluidR3_GM.sf2"
                                                              : "/usr/share/sounds/sf2/FluidR3_GM.sf2";
    if (pf_synth_load(s, sf, NULL, &err)) fail_msg("%s", err.msg);
    pf_resampler *rs = pf_resampler_new(PF_RS_SOXR_HQ, RATE, AUDIO_RATE, &err);
    assert_non_null(rs);
    static const struct {
        const char *name;
        pf_expression e;
    } kinds[] = {
        {"vibrato 7 Hz x 80 c", {.vib_rate_hz = 7, .vib_depth_cents = 80, .vib_delay_s = 0.1}},
        {"vibrato 5 Hz x 30 c", {.vib_rate_hz = 5, .vib_depth_cents = 30, .vib_phase = 0.25}},
        {"scoop -150 c / 120 ms, fall -300 c", {.scoop_cents = -150, .scoop_s = 0.12,
                                                .fall_cents = -300, .fall_start_s = 0.8,
                                                .fall_s = 0.15}},
        {"legato +7 st, glide 60 ms", {.glide_cents = 700, .glide_start_s = 0.45, .glide_s = 0.06}},
        {"legato -12 st, glide 150 ms + vibrato",
         {.glide_cents = -1200, .glide_start_s = 0.4, .glide_s = 0.15, .vib_rate_hz = 6,
          .vib_depth_cents = 40, .vib_delay_s = 0.6}},
    };
    static const int keys[] = {48, 60, 69, 72, 84};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        check ck = {.err = malloc(20000 * sizeof(double))};
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            check_note(s, rs, keys[k], &kinds[i].e, own_cents(s, keys[k]), &ck);
        qsort(ck.err, ck.n_err, sizeof *ck.err, cmp);
        double med = ck.err[ck.n_err / 2], p99 = ck.err[(size_t)(0.99 * (double)(ck.n_err - 1))];
        double agree = (double)ck.agree / (double)ck.compared;
        printf("%-40s %5zu columns: median %.3f c, p99 %.3f c, max %.3f c; voicing agrees %.4f\n",
               kinds[i].name, ck.n_err, med, p99, ck.err[ck.n_err - 1], agree);
        assert_true(ck.n_err > 1000);
        assert_true(med <= 1.0);
        assert_true(p99 <= 5.0);
        assert_true(agree >= 0.99);
        free(ck.err);
    }
    pf_resampler_free(rs);
    pf_synth_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_curve),
                                       cmocka_unit_test(test_label_check)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
