/* Tests for src/synth/render.c: detune accuracy (independent f0 estimate), steady_pitch, determinism,
 * errors. */
#include <complex.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pitchforge/synth.h"
#include "pitchforge/error.h"

#define RATE 44100.0
#define SINE_BANK 8 /* FluidR3_GM "Sine Wave": one sine cycle, no vibrato */
#define SINE_PROG 80

static const char *const fluidr3_paths[] = {"soundfonts/FluidR3_GM.sf2",
                                            "/usr/share/sounds/sf2/FluidR3_GM.sf2"};
static const char *const timgm_paths[] = {"soundfonts/TimGM6mb.sf2",
                                          "/usr/share/sounds/sf2/TimGM6mb.sf2"};

/* The first readable path of two. */
static const char *first_existing(const char *const paths[2])
{
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (f) {
            fclose(f);
            return paths[i];
        }
    }
    return paths[1];
}

/* A synth with FluidR3_GM loaded in slot 0; fails the test on error. */
static pf_synth *make_synth(int reverb, int chorus)
{
    pf_error err = {0};
    pf_synth_config cfg = {.rate_hz = RATE, .gain = 0.5, .reverb = reverb, .chorus = chorus};
    pf_synth *s = pf_synth_new(&cfg, &err);
    assert_non_null(s);
    int slot = -1;
    if (pf_synth_load(s, first_existing(fluidr3_paths), &slot, &err) < 0)
        fail_msg("%s", err.msg);
    assert_int_equal(slot, 0);
    return s;
}

/* Render @p note into a new array of hold + release floats; fails the test on error. */
static float *render(pf_synth *s, const pf_note *note)
{
    size_t n = note->hold_frames + note->release_frames;
    float *out = malloc(n * sizeof *out);
    assert_non_null(out);
    pf_error err = {0};
    if (pf_synth_render(s, note, out, n, &err) < 0)
        fail_msg("render key %d: %s", note->midi, err.msg);
    return out;
}

/* ---- independent f0 estimate: peak of the Hann-windowed DTFT, refined by golden section ---- */

/* |sum_n xw[n] exp(-2 pi i f n / RATE)|, with the phasor advanced by complex multiplication. */
static double dtft_mag(const double *xw, size_t n, double f_hz)
{
    double complex step = cexp(-2.0 * M_PI * I * f_hz / RATE), ph = 1.0, acc = 0.0;
    for (size_t i = 0; i < n; i++) {
        acc += xw[i] * ph;
        ph *= step;
        if ((i & 1023) == 1023)
            ph = cexp(-2.0 * M_PI * I * f_hz * (double)(i + 1) / RATE); /* no drift */
    }
    return cabs(acc);
}

/* Golden-section search for the maximum of dtft_mag on [lo, hi]. */
static double dtft_peak(const double *xw, size_t n, double lo, double hi)
{
    const double g = (sqrt(5.0) - 1.0) / 2.0;
    double a = hi - g * (hi - lo), b = lo + g * (hi - lo);
    double fa = dtft_mag(xw, n, a), fb = dtft_mag(xw, n, b);
    while (hi - lo > 1e-7) {
        if (fa > fb) {
            hi = b, b = a, fb = fa;
            a = hi - g * (hi - lo), fa = dtft_mag(xw, n, a);
        } else {
            lo = a, a = b, fa = fb;
            b = lo + g * (hi - lo), fb = dtft_mag(xw, n, b);
        }
    }
    return 0.5 * (lo + hi);
}

/* f0 in Hz of x[0..n) searched within +-150 cents of @p guess_hz. */
static double measure_f0(const float *x, size_t n, double guess_hz)
{
    double *xw = malloc(n * sizeof *xw);
    assert_non_null(xw);
    for (size_t i = 0; i < n; i++)
        xw[i] = x[i] * (0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)(n - 1)));
    double lo = guess_hz * pow(2.0, -150.0 / 1200), hi = guess_hz * pow(2.0, 150.0 / 1200);
    double step = RATE / (double)n / 4.0, best = lo, best_mag = -1;
    for (double f = lo; f <= hi; f += step) {
        double m = dtft_mag(xw, n, f);
        if (m > best_mag)
            best_mag = m, best = f;
    }
    double f0 = dtft_peak(xw, n, best - step, best + step);
    free(xw);
    return f0;
}

/* Nominal frequency of MIDI key @p midi (A4 = 440 Hz). */
static double midi_hz(double midi)
{
    return 440.0 * pow(2.0, (midi - 69.0) / 12.0);
}

/* Render key @p midi detuned by @p cents on the sine preset; measured pitch in cents vs nominal. */
static double sine_cents(pf_synth *s, int midi, double cents)
{
    pf_note note = {.bank = SINE_BANK, .program = SINE_PROG, .midi = midi, .velocity = 100,
                    .cents = cents, .hold_frames = (size_t)(1.5 * RATE), .release_frames = 0};
    float *x = render(s, &note);
    size_t skip = (size_t)(0.25 * RATE), len = (size_t)(1.0 * RATE); /* the sustained second */
    double f = measure_f0(x + skip, len, midi_hz(midi));
    free(x);
    return 1200.0 * log2(f / midi_hz(midi));
}

/* (a) detune accuracy: detuned minus exact equals the applied detune within 1 cent. */
static void test_detune_accuracy(void **state)
{
    pf_synth *s = *state;
    static const int keys[] = {48, 60, 69, 72, 84};
    double worst = 0;
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        double c0 = sine_cents(s, keys[k], 0.0);
        printf("key %d: exact note measures %+.4f cents from nominal\n", keys[k], c0);
        assert_true(fabs(c0) < 50.0);
        for (int j = 0; j < 15; j++) {
            double want = -50.0 + 100.0 * j / 14.0, applied = pf_synth_applied_cents(want);
            assert_true(fabs(applied - want) <= 0.5);
            double e = sine_cents(s, keys[k], want) - c0 - applied;
            if (fabs(e) > fabs(worst))
                worst = e;
            if (fabs(e) > 1.0)
                fail_msg("key %d detune %.3f (applied %.0f): off by %.4f cents", keys[k], want,
                         applied, e);
        }
    }
    printf("detune: worst error %+.5f cents (Sine Wave, bank %d program %d)\n", worst, SINE_BANK,
           SINE_PROG);
}

/* Sub-cent requests play the rounded whole cent: 0.4 renders as 0, 0.6 as 1 (bit-identical). */
static void test_detune_quantization(void **state)
{
    pf_synth *s = *state;
    pf_note a = {.bank = SINE_BANK, .program = SINE_PROG, .midi = 69, .velocity = 90,
                 .hold_frames = 8000, .release_frames = 100};
    pf_note b = a, c = a, d = a;
    b.cents = 0.4, c.cents = 0.6, d.cents = 1.0;
    float *xa = render(s, &a), *xb = render(s, &b), *xc = render(s, &c), *xd = render(s, &d);
    size_t bytes = 8100 * sizeof(float);
    assert_memory_equal(xa, xb, bytes);
    assert_memory_equal(xc, xd, bytes);
    assert_memory_not_equal(xa, xd, bytes);
    assert_true(pf_synth_applied_cents(-0.5) == -1.0 && pf_synth_applied_cents(0.49) == 0.0);
    free(xa), free(xb), free(xc), free(xd);
}

/* ---- steady_pitch: the preset's own vibrato off, its sustained pitch kept ---- */

#define VIB_BANK 0 /* TimGM6mb "Violin": modLfoToPitch 10 cents, 5.2 Hz, after 0.38 s */
#define VIB_PROG 40
#define VIB_DEPTH 10.0
#define BLOCK 882 /* 20 ms */

/* Pitch in cents vs nominal of each 20 ms block of x[from..to); min, max and mean out. */
static void block_pitch(const float *x, size_t from, size_t to, int midi, double *lo, double *hi,
                        double *mean)
{
    *lo = INFINITY, *hi = -INFINITY, *mean = 0;
    size_t nb = 0;
    for (size_t i = from; i + BLOCK <= to; i += BLOCK, nb++) {
        double c = 1200.0 * log2(measure_f0(x + i, BLOCK, midi_hz(midi)) / midi_hz(midi));
        *lo = fmin(*lo, c), *hi = fmax(*hi, c), *mean += c;
    }
    *mean /= (double)nb;
}

/* The violin's vibrato shows with steady_pitch off and is gone with it on, at the same mean. */
static void test_steady_pitch_vibrato(void **state)
{
    pf_synth *s = *state;
    pf_error err = {0};
    int slot = -1;
    if (pf_synth_load(s, first_existing(timgm_paths), &slot, &err) < 0)
        fail_msg("%s", err.msg);
    double spread[2], mean[2];
    for (int steady = 0; steady < 2; steady++) {
        pf_note n = {.sf_slot = slot, .bank = VIB_BANK, .program = VIB_PROG, .midi = 69,
                     .velocity = 100, .hold_frames = (size_t)(2.5 * RATE),
                     .steady_pitch = steady};
        float *x = render(s, &n);
        double lo, hi;
        block_pitch(x, (size_t)(0.5 * RATE), n.hold_frames, n.midi, &lo, &hi, &mean[steady]);
        spread[steady] = hi - lo;
        printf("violin A4 steady_pitch %d: 20 ms pitch %+.3f..%+.3f cents (spread %.3f, mean "
               "%+.3f)\n", steady, lo, hi, spread[steady], mean[steady]);
        free(x);
    }
    /* off: +-VIB_DEPTH triangle, a little less after 20 ms averaging; on: flat */
    assert_true(spread[0] > 1.6 * VIB_DEPTH && spread[0] < 2.2 * VIB_DEPTH);
    assert_true(spread[1] < 1.0);
    assert_true(fabs(mean[1] - mean[0]) < 1.0);
}

/* The sine's modulation envelope holds it 600 cents down (its sample is tuned for that):
 * steady_pitch keeps that offset, so the note plays the same pitch with the flag on. */
static void test_steady_pitch_keeps_envelope_offset(void **state)
{
    pf_synth *s = *state;
    double c[2];
    for (int steady = 0; steady < 2; steady++) {
        pf_note n = {.bank = SINE_BANK, .program = SINE_PROG, .midi = 69, .velocity = 100,
                     .hold_frames = (size_t)(1.5 * RATE), .steady_pitch = steady};
        float *x = render(s, &n);
        c[steady] = 1200.0 * log2(measure_f0(x + (size_t)(0.25 * RATE), (size_t)RATE, 440.0) /
                                  440.0);
        free(x);
    }
    printf("sine A4: %+.4f cents with steady_pitch off, %+.4f on\n", c[0], c[1]);
    assert_true(fabs(c[1] - c[0]) < 0.01);
}

/* Note B after note A (odd lengths, a long piano release) equals B rendered by a fresh synth. */
static void check_determinism(int reverb, int chorus)
{
    pf_note a = {.program = 0, .midi = 40, .velocity = 127, .hold_frames = 10001,
                 .release_frames = 777};
    pf_note b = {.program = 73, .midi = 72, .velocity = 64, .cents = -17,
                 .hold_frames = 22050, .release_frames = 11025};
    /* Other histories: a stereo piano cut short, a drum, a panned pad with no release rendered. */
    pf_note others[] = {
        {.program = 0, .midi = 72, .velocity = 127, .hold_frames = 64, .release_frames = 0},
        {.bank = 128, .program = 0, .midi = 38, .velocity = 100, .hold_frames = 3001,
         .release_frames = 5},
        {.program = 89, .midi = 72, .velocity = 30, .cents = 40, .hold_frames = 4096},
        b,
    };
    pf_synth *fresh = make_synth(reverb, chorus), *used = make_synth(reverb, chorus);
    float *want = render(fresh, &b);
    free(render(used, &a));
    float *got = render(used, &b);
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        free(render(used, &others[i]));
        float *x = render(used, &b);
        if (memcmp(want, x, (b.hold_frames + b.release_frames) * sizeof(float)))
            printf("reverb %d chorus %d: B after history %zu differs\n", reverb, chorus, i);
        assert_memory_equal(want, x, (b.hold_frames + b.release_frames) * sizeof(float));
        free(x);
    }
    float *again = render(used, &b);
    size_t bytes = (b.hold_frames + b.release_frames) * sizeof(float);
    assert_memory_equal(want, got, bytes);
    assert_memory_equal(want, again, bytes);
    free(want), free(got), free(again);
    pf_synth_free(fresh);
    pf_synth_free(used);
}

/* (b) determinism, dry and with reverb and chorus on. */
static void test_determinism(void **state)
{
    (void)state;
    check_determinism(0, 0);
    check_determinism(1, 0);
    check_determinism(1, 1);
}

/* (c) unknown preset and bad notes are errors naming what was asked. */
static void test_unknown_preset(void **state)
{
    pf_synth *s = *state;
    pf_error err = {0};
    float out[100];
    pf_note n = {.bank = 77, .program = 99, .midi = 60, .velocity = 100, .hold_frames = 100};
    assert_int_equal(pf_synth_render(s, &n, out, 100, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    assert_non_null(strstr(err.msg, "bank 77 program 99"));
    n.bank = 0, n.sf_slot = 3;
    assert_int_equal(pf_synth_render(s, &n, out, 100, &err), -1);
    n.sf_slot = 0, n.midi = 128;
    assert_int_equal(pf_synth_render(s, &n, out, 100, &err), -1);
    n.midi = 60, n.cents = NAN;
    assert_int_equal(pf_synth_render(s, &n, out, 100, &err), -1);
    n.cents = 0;
    assert_int_equal(pf_synth_render(s, &n, out, 99, &err), -1); /* wrong length */
    assert_int_equal(pf_synth_render(s, &n, out, 100, &err), 0);
}

/* A path under $PF_TEST_TMP (or /tmp). */
static void tmp_path(char *buf, size_t size, const char *name)
{
    const char *dir = getenv("PF_TEST_TMP");
    snprintf(buf, size, "%s/%s", dir && *dir ? dir : "/tmp", name);
}

/* (c) a missing soundfont is PF_EIO naming the path; a non-soundfont file is PF_EINVAL. */
static void test_bad_soundfont(void **state)
{
    pf_synth *s = *state;
    pf_error err = {0};
    pf_preset *p = NULL;
    size_t n = 0;
    const char *missing = "/nonexistent/dir/missing.sf2";
    assert_int_equal(pf_soundfont_presets(missing, &p, &n, &err), -1);
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, missing));
    int slot = -1;
    assert_int_equal(pf_synth_load(s, missing, &slot, &err), -1);
    assert_non_null(strstr(err.msg, missing));
    char junk[512];
    tmp_path(junk, sizeof junk, "pf_test_render_junk.sf2");
    FILE *f = fopen(junk, "wb");
    assert_non_null(f);
    fputs("RIFF this is not a soundfont", f);
    fclose(f);
    assert_int_equal(pf_soundfont_presets(junk, &p, &n, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    assert_non_null(strstr(err.msg, junk));
    assert_int_equal(pf_synth_load(s, junk, &slot, &err), -1);
    remove(junk);
}

/* (c) the preset list of FluidR3_GM is sorted and holds the piano and the sine wave. */
static void test_presets(void **state)
{
    (void)state;
    pf_preset *p = NULL;
    size_t n = 0;
    pf_error err = {0};
    if (pf_soundfont_presets(first_existing(fluidr3_paths), &p, &n, &err) < 0)
        fail_msg("%s", err.msg);
    assert_true(n > 128);
    int piano = 0, sine = 0;
    for (size_t i = 0; i < n; i++) {
        piano |= p[i].bank == 0 && p[i].program == 0;
        sine |= p[i].bank == SINE_BANK && p[i].program == SINE_PROG &&
                strcmp(p[i].name, "Sine Wave") == 0;
        if (i)
            assert_true(p[i - 1].bank < p[i].bank ||
                        (p[i - 1].bank == p[i].bank && p[i - 1].program < p[i].program));
    }
    assert_true(piano && sine);
    free(p);
}

/* (d) normal notes from both soundfonts are finite and audible. */
static void test_not_silent(void **state)
{
    pf_synth *s = *state;
    pf_error err = {0};
    int slot = -1;
    if (pf_synth_load(s, first_existing(timgm_paths), &slot, &err) < 0)
        fail_msg("%s", err.msg);
    for (int sf = 0; sf <= slot; sf++) {
        pf_note n = {.sf_slot = sf, .program = 0, .midi = 60, .velocity = 100,
                     .hold_frames = 22050, .release_frames = 11025};
        float *x = render(s, &n);
        double e = 0;
        for (size_t i = 0; i < 33075; i++) {
            assert_true(isfinite(x[i]));
            e += (double)x[i] * x[i];
        }
        double rms_db = 10 * log10(e / 33075 + 1e-30);
        printf("soundfont %d piano C4: rms %.1f dBFS\n", sf, rms_db);
        assert_true(rms_db > -40.0);
        free(x);
    }
}

/* Version string and a NULL free. */
/* Resident memory of this process in MB (VmRSS). */
static double rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) sscanf(line + 6, "%ld", &kb);
    if (f) fclose(f);
    return kb / 1024.0;
}

/* A thread's synth with FluidR3_GM loaded, or NULL. */
static void *load_in_thread(void *arg)
{
    (void)arg;
    pf_error err = {0};
    pf_synth_config cfg = {.rate_hz = RATE, .gain = 0.5};
    pf_synth *s = pf_synth_new(&cfg, &err);
    if (s && pf_synth_load(s, first_existing(fluidr3_paths), NULL, &err) < 0) {
        pf_synth_free(s);
        s = NULL;
    }
    return s;
}

/* Two workers loading FluidR3_GM (141 MB of samples) at the same moment keep one copy between
 * them, not two, and both render the same note. */
static void test_concurrent_loads_share_samples(void **state)
{
    (void)state;
    double before = rss_mb();
    pthread_t t[2];
    void *synths[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, load_in_thread, NULL), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], &synths[i]);
    assert_non_null(synths[0]);
    assert_non_null(synths[1]);
    double grown = rss_mb() - before;
    fprintf(stderr, "    two synths: +%.0f MB resident\n", grown);
    assert_true(grown > 100 && grown < 220); /* one copy of the samples, not two (~300) */
    pf_note note = {.sf_slot = 0, .program = 0, .midi = 60, .velocity = 100,
                    .hold_frames = 8192, .release_frames = 4096};
    float *a = render(synths[0], &note), *b = render(synths[1], &note);
    assert_memory_equal(a, b, (8192 + 4096) * sizeof *a);
    free(a), free(b);
    pf_synth_free(synths[0]);
    pf_synth_free(synths[1]);
}

static void test_version(void **state)
{
    (void)state;
    assert_non_null(strchr(pf_synth_version(), '.'));
    pf_synth_free(NULL);
}

static int setup(void **state)
{
    *state = make_synth(0, 0);
    return 0;
}

static int teardown(void **state)
{
    pf_synth_free(*state);
    return 0;
}

int main(void)
{
    /* first, while no synth of this process holds FluidR3_GM (the group below keeps one) */
    const struct CMUnitTest alone[] = {cmocka_unit_test(test_concurrent_loads_share_samples)};
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_bad_soundfont),
        cmocka_unit_test(test_unknown_preset),
        cmocka_unit_test(test_not_silent),
        cmocka_unit_test(test_detune_quantization),
        cmocka_unit_test(test_detune_accuracy),
        cmocka_unit_test(test_steady_pitch_vibrato),
        cmocka_unit_test(test_steady_pitch_keeps_envelope_offset),
        cmocka_unit_test(test_determinism),
    };
    int failed = cmocka_run_group_tests(alone, NULL, NULL);
    return failed + cmocka_run_group_tests(tests, setup, teardown);
}
