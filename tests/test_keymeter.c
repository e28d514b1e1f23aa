/* Key tuning meter: offsets of synthetic tones of known tuning (sine, sawtooth, missing
 * fundamental, a decaying tone in noise, vibrato) over MIDI 36..104; NAN for silence and for
 * tones beyond the search span; failure paths. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pitchforge/rng.h"
#include "pitchforge/error.h"
#include "pitchforge/keymeter.h"
#include "pitchforge/refine.h"

#define RATE 44100.0
enum { N = 33075 }; /* 0.75 s, what the key audit measures */

typedef enum { TONE_SINE, TONE_SAW, TONE_MISSING } tone_kind;

static double midi_hz(double m)
{
    return 440.0 * pow(2.0, (m - 69) / 12);
}

/* A tone at @p f0: sine, 8-harmonic sawtooth (1/k) or its harmonics 2..8, below Nyquist, random
 * phases; amplitude decaying by @p decay per second; vibrato of @p vib_cents at 5 Hz. */
static void make_tone(float *x, tone_kind kind, double f0, double decay, double vib_cents,
                      pf_rng *r)
{
    const double pi = 3.14159265358979323846;
    int k0 = kind == TONE_MISSING ? 2 : 1, k1 = kind == TONE_SINE ? 1 : 8;
    double ph[9];
    for (int k = 1; k <= 8; k++)
        ph[k] = 2 * pi * pf_rng_uniform(r);
    double phase = 0; /* of the fundamental, in cycles */
    for (int i = 0; i < N; i++) {
        double t = i / RATE, v = 0;
        for (int k = k0; k <= k1 && k * f0 * 1.01 < RATE / 2; k++)
            v += sin(2 * pi * k * phase + ph[k]) / k;
        x[i] = (float)(0.4 * v * exp(-decay * t));
        phase += f0 * pow(2.0, vib_cents * sin(2 * pi * 5.0 * t) / 1200.0) / RATE;
    }
}

/* Worst |measured - true| offset in cents over every other key of MIDI [36, 104], the tone
 * @p cents_max or less from its key (random), with @p noise (uniform, peak) added. */
static double sweep(pf_key_meter *t, tone_kind kind, double cents_max, double decay, double vib,
                    double noise)
{
    pf_rng r;
    pf_rng_init(&r, 77, 0, (uint64_t)kind);
    float *x = malloc(N * sizeof *x);
    double worst = 0;
    for (int m = 36; m <= 104; m += 2) {
        double off = pf_rng_range(&r, -cents_max, cents_max), c = NAN;
        make_tone(x, kind, midi_hz(m + off / 100), decay, vib, &r);
        for (int i = 0; i < N; i++)
            x[i] += (float)(noise * pf_rng_range(&r, -1, 1));
        assert_int_equal(pf_key_meter_measure(t, x, N, midi_hz(m), &c, NULL, NULL), 0);
        worst = fmax(worst, isnan(c) ? INFINITY : fabs(c - off));
    }
    free(x);
    return worst;
}

static void test_pure_tones(void **state)
{
    (void)state;
    pf_key_meter *t = pf_key_meter_new(N, RATE, NULL);
    assert_non_null(t);
    double sine = sweep(t, TONE_SINE, 45, 0, 0, 0), saw = sweep(t, TONE_SAW, 45, 0, 0, 0);
    double missing = sweep(t, TONE_MISSING, 45, 0, 0, 0);
    print_message("worst |error|: sine %.4f, sawtooth %.4f, missing fundamental %.4f cents\n", sine,
                  saw, missing);
    assert_true(sine < 0.05);
    assert_true(saw < 0.05);
    assert_true(missing < 0.05);
    pf_key_meter_free(t);
}

/* A plucked note dying 40 dB in the frame, noise 34 dB under its start; a 10-cent vibrato. */
static void test_decay_noise_vibrato(void **state)
{
    (void)state;
    pf_key_meter *t = pf_key_meter_new(N, RATE, NULL);
    double decay = sweep(t, TONE_SAW, 45, 6.1, 0, 0.01), vib = sweep(t, TONE_SAW, 45, 0, 10, 0);
    print_message("worst |error|: decaying in noise %.3f, vibrato %.3f cents\n", decay, vib);
    assert_true(decay < 0.1);
    assert_true(vib < 0.1);
    pf_key_meter_free(t);
}

/* Past the search span the peaks sit at the spans' edges: no clear peak, NAN; so is silence. */
static void test_no_clear_peak(void **state)
{
    (void)state;
    pf_key_meter *t = pf_key_meter_new(N, RATE, NULL);
    float *x = calloc(N, sizeof *x);
    double c = 0;
    assert_int_equal(pf_key_meter_measure(t, x, N, 440.0, &c, NULL, NULL), 0);
    assert_true(isnan(c));
    pf_rng r;
    pf_rng_init(&r, 5, 0, 0);
    for (double off = 75; off <= 95; off += 10) {
        make_tone(x, TONE_SAW, midi_hz(60 + off / 100), 0, 0, &r);
        assert_int_equal(pf_key_meter_measure(t, x, N, midi_hz(60), &c, NULL, NULL), 0);
        assert_true(isnan(c));
        make_tone(x, TONE_SAW, midi_hz(60 - off / 100), 0, 0, &r);
        assert_int_equal(pf_key_meter_measure(t, x, N, midi_hz(60), &c, NULL, NULL), 0);
        assert_true(isnan(c));
    }
    free(x);
    pf_key_meter_free(t);
}

/* Which harmonics a reading rests on: a sine, the fundamental alone (1); a sawtooth, 1-3 (7);
 * without its fundamental, 2 and 3 (6); a sine with a second harmonic 30 dB down, still the
 * fundamental alone (under PF_KEYMETER_KEEP), 10 dB down, both (3); silence, none. */
static void test_harmonics(void **state)
{
    (void)state;
    static float x[N];
    static const tone_kind kind[3] = {TONE_SINE, TONE_SAW, TONE_MISSING};
    static const unsigned want[3] = {1, 7, 6};
    pf_key_meter *t = pf_key_meter_new(N, RATE, NULL);
    pf_rng r;
    pf_rng_init(&r, 9, 0, 0);
    double c;
    unsigned h = 99;
    for (int i = 0; i < 3; i++) {
        make_tone(x, kind[i], 440.0, 0, 0, &r);
        assert_int_equal(pf_key_meter_measure(t, x, N, 440.0, &c, &h, NULL), 0);
        assert_int_equal(h, want[i]);
    }
    const double pi = 3.14159265358979323846, second[2] = {0.0316, 0.316};
    for (int j = 0; j < 2; j++) {
        for (int i = 0; i < N; i++)
            x[i] = (float)(0.4 * (sin(2 * pi * 440 * i / RATE) +
                                  second[j] * sin(4 * pi * 440 * i / RATE)));
        assert_int_equal(pf_key_meter_measure(t, x, N, 440.0, &c, &h, NULL), 0);
        assert_int_equal(h, j == 0 ? 1 : 3);
    }
    memset(x, 0, sizeof x);
    assert_int_equal(pf_key_meter_measure(t, x, N, 440.0, &c, &h, NULL), 0);
    assert_int_equal(h, 0);
    pf_key_meter_free(t);
}

static void test_failures(void **state)
{
    (void)state;
    pf_error err = {0};
    assert_null(pf_key_meter_new(8, RATE, &err));
    assert_int_equal(err.code, PF_EINVAL);
    assert_null(pf_key_meter_new(N, 0, &err));
    pf_key_meter *t = pf_key_meter_new(N, RATE, NULL);
    float x[64] = {0};
    double c = 0;
    assert_int_equal(pf_key_meter_measure(t, x, 64, 440.0, &c, NULL, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    assert_int_equal(pf_key_meter_measure(t, x, N, 0.0, &c, NULL, &err), -1);
    pf_key_meter_free(t);
    pf_key_meter_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pure_tones),    cmocka_unit_test(test_decay_noise_vibrato),
        cmocka_unit_test(test_no_clear_peak), cmocka_unit_test(test_harmonics),
        cmocka_unit_test(test_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
