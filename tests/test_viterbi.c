/* Tests for src/decode/viterbi.c: hand-computed paths, a noisy ridge and an octave jump that a
 * frame's argmax takes and the path does not, random cases against tests/ref/viterbi_ref.py
 * (CREPE's dense transition decoded as librosa.sequence.viterbi, in numpy), the width, and the
 * failure paths. Run from the repository root; PY names the Python with numpy (default
 * /usr/bin/python3). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pitchforge/rng.h"
#include "pitchforge/viterbi.h"
#include "tmp_path.h"

/* W 1: the path cannot move, so it is the bin of the largest product over the frames: bin 1
 * (0.1 * 0.8 * 0.7 = 0.056 against 0.9 * 0.2 * 0.3 = 0.054), though frame 0's argmax is bin 0. */
static void stays_put(void **state)
{
    (void)state;
    const float s[] = {0.9f, 0.1f, 0.2f, 0.8f, 0.3f, 0.7f};
    int path[3];
    assert_int_equal(pf_viterbi_path(s, 3, 2, 1, path, NULL), 0);
    for (int t = 0; t < 3; t++) assert_int_equal(path[t], 1);
}

/* W 2 over 3 bins: rows [2 1 0] / 3, [1 2 1] / 4, [0 1 2] / 3. Frames (0.5 0.3 0.2) and
 * (0.1 0.2 0.7): ending in bin 2 is best from bin 2 (0.2 * 2/3 = 0.133 > 0.3 * 1/4 = 0.075), worth
 * 0.133 * 0.7 = 0.093; in bin 1 from bin 0, 0.5 / 3 * 0.2 = 0.033; in bin 0, 0.5 * 2/3 * 0.1 =
 * 0.033. So the path is 2, 2, where the frames' argmaxes are 0, 2. */
static void two_frames(void **state)
{
    (void)state;
    const float s[] = {0.5f, 0.3f, 0.2f, 0.1f, 0.2f, 0.7f};
    int path[2];
    assert_int_equal(pf_viterbi_path(s, 2, 3, 2, path, NULL), 0);
    assert_int_equal(path[0], 2);
    assert_int_equal(path[1], 2);
}

/* A ridge that drifts a bin every few frames under noise, and an octave (60 bins of 20 cents)
 * above it that wins frames 20-22 by a little: the frames' argmax jumps there, the path stays
 * on the ridge (a jump of 60 bins takes 6 frames each way at W 12). */
static void ridge_and_octave(void **state)
{
    (void)state;
    enum { F = 40, B = 200 };
    float *s = calloc(F * B, sizeof *s);
    int path[F], ridge[F];
    pf_rng rng;
    pf_rng_init(&rng, 7, 0, 0);
    for (int t = 0; t < F; t++) {
        ridge[t] = 50 + t / 4;
        for (int j = 0; j < B; j++) s[t * B + j] = (float)(0.05 * pf_rng_uniform(&rng));
        s[t * B + ridge[t]] = 0.8f, s[t * B + ridge[t] - 1] = 0.5f, s[t * B + ridge[t] + 1] = 0.5f;
        if (t >= 20 && t <= 22) s[t * B + ridge[t] + 60] = 0.85f;
    }
    assert_int_equal(pf_viterbi_path(s, F, B, 12, path, NULL), 0);
    for (int t = 0; t < F; t++) {
        int top = 0;
        for (int j = 1; j < B; j++) top = s[t * B + j] > s[t * B + top] ? j : top;
        assert_int_equal(top, t >= 20 && t <= 22 ? ridge[t] + 60 : ridge[t]);
        assert_int_equal(path[t], ridge[t]);
    }
    free(s);
}

typedef struct vcase {
    size_t frames, bins;
    int width;
    float *s;
} vcase;

static void put(FILE *f, double v)
{
    assert_int_equal(fwrite(&v, sizeof v, 1, f), 1);
}

/* Write the cases, run the reference on them, return its paths (malloc'd, @p total values). */
static double *reference(const vcase *c, size_t n, size_t total)
{
    char in[512], out[512], cmd[1400], line[64] = "";
    temp_path(in, sizeof in, "viterbi-in");
    temp_path(out, sizeof out, "viterbi-out");
    FILE *f = fopen(in, "wb");
    assert_non_null(f);
    put(f, (double)n);
    for (size_t k = 0; k < n; k++) {
        put(f, (double)c[k].frames), put(f, (double)c[k].bins), put(f, c[k].width);
        for (size_t i = 0; i < c[k].frames * c[k].bins; i++) put(f, c[k].s[i]);
    }
    assert_int_equal(fclose(f), 0);
    const char *py = getenv("PY");
    snprintf(cmd, sizeof cmd, "'%s' tests/ref/viterbi_ref.py '%s' '%s'",
             py && *py ? py : "/usr/bin/python3", in, out);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(line, sizeof line, p)) line[0] = 0;
    if (pclose(p) != 0 || strncmp(line, "ok", 2) != 0) fail_msg("reference failed: %s", cmd);
    double *y = calloc(total + 1, sizeof *y);
    f = fopen(out, "rb");
    assert_non_null(f);
    assert_int_equal(fread(y, sizeof *y, total + 1, f), total);
    fclose(f);
    remove(in), remove(out);
    return y;
}

/* Salience like a network's: a random walk of a peak (jumps up to 15 bins, so some exceed W)
 * with a Gaussian of 1-2 bins around it, a random octave ghost, and noise; frame 3 all zero. */
static float *random_salience(pf_rng *rng, size_t frames, size_t bins)
{
    float *s = calloc(frames * bins + 1, sizeof *s);
    double at = (double)bins / 2;
    for (size_t t = 0; t < frames; t++) {
        at = fmin(fmax(at + 30 * (pf_rng_uniform(rng) - 0.5), 0), (double)bins - 1);
        double ghost = fmod(at + 60, (double)bins), w = 1 + pf_rng_uniform(rng);
        for (size_t j = 0; j < bins && t != 3; j++) {
            double d = ((double)j - at) / w, g = ((double)j - ghost) / w;
            s[t * bins + j] = (float)(exp(-0.5 * d * d) + 0.9 * pf_rng_uniform(rng) *
                                      exp(-0.5 * g * g) + 0.2 * pf_rng_uniform(rng));
        }
    }
    return s;
}

/* Random cases (CREPE's grid, W past the bins, W 1, one bin, one frame) against the numpy
 * reference: every path the same, bin for bin. */
static void against_reference(void **state)
{
    (void)state;
    vcase c[] = {{60, 470, 12, NULL}, {50, 120, 23, NULL}, {30, 40, 60, NULL},
                 {25, 30, 1, NULL},   {20, 1, 12, NULL},   {1, 50, 12, NULL},
                 {40, 90, 2, NULL}};
    size_t n = sizeof c / sizeof *c, total = 0;
    pf_rng rng;
    pf_rng_init(&rng, 2024, 0, 0);
    for (size_t k = 0; k < n; k++)
        c[k].s = random_salience(&rng, c[k].frames, c[k].bins), total += c[k].frames;
    double *ref = reference(c, n, total);
    size_t at = 0, moved = 0;
    for (size_t k = 0; k < n; k++) {
        int *path = calloc(c[k].frames, sizeof *path);
        assert_int_equal(pf_viterbi_path(c[k].s, c[k].frames, c[k].bins, c[k].width, path, NULL), 0);
        for (size_t t = 0; t < c[k].frames; t++, at++) {
            if (path[t] != (int)ref[at])
                fail_msg("case %zu frame %zu: bin %d, reference %d", k, t, path[t], (int)ref[at]);
            moved += t && path[t] != path[t - 1];
        }
        free(path), free(c[k].s);
    }
    assert_true(moved > 50); /* the paths do move: not a test of constant paths */
    free(ref);
}

/* CREPE's 12 at 20-cent bins and 10 ms; the reach scales with the hop and the bins. */
static void width(void **state)
{
    (void)state;
    assert_int_equal(pf_viterbi_width(0.010, 20), 12);
    assert_int_equal(pf_viterbi_width(0.020, 20), 23);
    assert_int_equal(pf_viterbi_width(0.010, 10), 23);
    assert_int_equal(pf_viterbi_width(0.005, 20), 7); /* 1 + round(5.5) */
    assert_int_equal(pf_viterbi_width(0.001, 20), 2);
    assert_int_equal(pf_viterbi_width(0.0001, 20), 2);
}

static void failures(void **state)
{
    (void)state;
    float s[4] = {1, 2, 3, 4};
    int path[4];
    pf_error err = {0};
    assert_int_equal(pf_viterbi_path(s, 1, 0, 12, path, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    assert_non_null(strstr(err.msg, "0 bins"));
    assert_int_equal(pf_viterbi_path(s, 1, 4, 0, path, &err), -1);
    assert_non_null(strstr(err.msg, "width 0"));
    assert_int_equal(pf_viterbi_path(s, 0, 70000, 12, path, &err), -1);
    assert_int_equal(pf_viterbi_path(s, 0, 4, 12, path, &err), 0); /* no frames: nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stays_put),  cmocka_unit_test(two_frames),
        cmocka_unit_test(ridge_and_octave), cmocka_unit_test(against_reference),
        cmocka_unit_test(width),      cmocka_unit_test(failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
