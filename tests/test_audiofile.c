/* Tests for src/io/audiofile.c: formats, rates and channels read back; bad files refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pitchforge/audiofile.h"
#include "pitchforge/error.h"

static char dir[256];

static const char *path(const char *name)
{
    static char buf[4][512];
    static int at;
    char *p = buf[at++ % 4];
    snprintf(p, sizeof buf[0], "%s/%s", dir, name);
    return p;
}

static void tone(float *x, size_t n, int ch, double rate, double hz)
{
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < ch; c++)
            x[i * (size_t)ch + (size_t)c] = (float)((c ? -0.25 : 0.5) * sin(2 * M_PI * hz * (double)i / rate));
}

static void float_wav_mono_exact(void **state)
{
    (void)state;
    float x[1000];
    pf_error err = {0};
    pf_audio a;
    tone(x, 1000, 1, 44100, 440);
    assert_int_equal(pf_audio_write(path("m.wav"), x, 1000, 1, 44100, 0, &err), 0);
    assert_int_equal(pf_audio_read(path("m.wav"), &a, &err), 0);
    assert_int_equal(a.n, 1000);
    assert_true(a.rate_hz == 44100);
    assert_int_equal(a.channels, 1);
    assert_memory_equal(a.samples, x, sizeof x);
    pf_audio_release(&a);
}

static void pcm16_stereo_is_mixed_down(void **state)
{
    (void)state;
    float x[2 * 4800], want[4800];
    pf_error err = {0};
    pf_audio a;
    tone(x, 4800, 2, 48000, 1000);
    for (size_t i = 0; i < 4800; i++)
        want[i] = 0.5f * (x[2 * i] + x[2 * i + 1]);
    assert_int_equal(pf_audio_write(path("s.wav"), x, 4800, 2, 48000, 1, &err), 0);
    assert_int_equal(pf_audio_read(path("s.wav"), &a, &err), 0);
    assert_int_equal(a.n, 4800);
    assert_int_equal(a.channels, 2);
    assert_true(a.rate_hz == 48000);
    for (size_t i = 0; i < a.n; i++)
        assert_true(fabsf(a.samples[i] - want[i]) <= 1.0f / 32768);
    pf_audio_release(&a);
}

static void flac_round_trip(void **state)
{
    (void)state;
    float x[2205];
    pf_error err = {0};
    pf_audio a;
    tone(x, 2205, 1, 22050, 220);
    assert_int_equal(pf_audio_write(path("t.flac"), x, 2205, 1, 22050, 1, &err), 0);
    assert_int_equal(pf_audio_read(path("t.flac"), &a, &err), 0);
    assert_int_equal(a.n, 2205);
    assert_true(a.rate_hz == 22050);
    assert_non_null(strstr(a.format, "FLAC"));
    for (size_t i = 0; i < a.n; i++)
        assert_true(fabsf(a.samples[i] - x[i]) <= 1.0f / 32768);
    pf_audio_release(&a);
}

/* An 8-bit unsigned PCM WAV written by hand (RIFF header + bytes), read by libsndfile. */
static void u8_wav_by_hand(void **state)
{
    (void)state;
    const uint32_t n = 800, rate = 8000;
    FILE *f = fopen(path("u8.wav"), "wb");
    uint32_t v32;
    uint16_t v16;
    fwrite("RIFF", 1, 4, f), v32 = 36 + n, fwrite(&v32, 4, 1, f), fwrite("WAVEfmt ", 1, 8, f);
    v32 = 16, fwrite(&v32, 4, 1, f), v16 = 1, fwrite(&v16, 2, 1, f), fwrite(&v16, 2, 1, f);
    fwrite(&rate, 4, 1, f), fwrite(&rate, 4, 1, f), v16 = 1, fwrite(&v16, 2, 1, f);
    v16 = 8, fwrite(&v16, 2, 1, f), fwrite("data", 1, 4, f), fwrite(&n, 4, 1, f);
    for (uint32_t i = 0; i < n; i++)
        fputc(128 + (int)lround(100 * sin(2 * M_PI * 200 * i / (double)rate)), f);
    fclose(f);
    pf_error err = {0};
    pf_audio a;
    assert_int_equal(pf_audio_read(path("u8.wav"), &a, &err), 0);
    assert_int_equal(a.n, n);
    assert_true(a.rate_hz == rate);
    for (uint32_t i = 0; i < n; i++)
        assert_true(fabs(a.samples[i] - lround(100 * sin(2 * M_PI * 200 * i / (double)rate)) / 128.0) < 1e-6);
    pf_audio_release(&a);
}

static void bad_files_are_refused(void **state)
{
    (void)state;
    pf_error err = {0};
    pf_audio a;
    FILE *f = fopen(path("notes.txt"), "w");
    fputs("not audio at all, just some text that is long enough to be read\n", f);
    fclose(f);
    assert_int_equal(pf_audio_read(path("notes.txt"), &a, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    assert_non_null(strstr(err.msg, "notes.txt: not a readable audio file"));
    assert_int_equal(pf_audio_read(path("missing.wav"), &a, &err), -1);
    assert_non_null(strstr(err.msg, "missing.wav"));
    float none[1] = {0};
    assert_int_equal(pf_audio_write(path("empty.wav"), none, 0, 1, 16000, 1, &err), 0);
    assert_int_equal(pf_audio_read(path("empty.wav"), &a, &err), -1);
    assert_non_null(strstr(err.msg, "holds no audio"));
    assert_null(a.samples);
}

/** A float WAV holding NaN or Inf is refused, naming the file and the sample (predict and the
 *  track eval would otherwise call it unvoiced). */
static void nonfinite_samples_are_refused(void **state)
{
    (void)state;
    float x[800];
    pf_error err = {0};
    pf_audio a;
    tone(x, 800, 1, 16000, 440);
    x[400] = NAN;
    assert_int_equal(pf_audio_write(path("nan.wav"), x, 800, 1, 16000, 0, &err), 0);
    assert_int_equal(pf_audio_read(path("nan.wav"), &a, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    assert_non_null(strstr(err.msg, "nan.wav: sample 400 (0.025 s in) is NaN"));
    assert_null(a.samples);
    x[400] = 0, x[10] = -INFINITY;
    assert_int_equal(pf_audio_write(path("inf.wav"), x, 800, 1, 16000, 0, &err), 0);
    assert_int_equal(pf_audio_read(path("inf.wav"), &a, &err), -1);
    assert_non_null(strstr(err.msg, "inf.wav: sample 10 "));
    assert_non_null(strstr(err.msg, "infinite"));
}

int main(void)
{
    const char *base = getenv("PF_TEST_TMP") ? getenv("PF_TEST_TMP") : "/tmp";
    snprintf(dir, sizeof dir, "%s/audiofile.XXXXXX", base);
    if (!mkdtemp(dir))
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(float_wav_mono_exact), cmocka_unit_test(pcm16_stereo_is_mixed_down),
        cmocka_unit_test(flac_round_trip), cmocka_unit_test(u8_wav_by_hand),
        cmocka_unit_test(bad_files_are_refused), cmocka_unit_test(nonfinite_samples_are_refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
