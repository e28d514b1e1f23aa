/* Spectrogram parity with scipy.signal.spectrogram (float64 reference via tests/ref), plus
 * failure paths. Run from the repository root; PY names the Python with scipy (default
 * /usr/bin/python3), PF_TEST_TMP a scratch folder (default: mkstemp in /tmp). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmp_path.h"

#include "pitchforge/rng.h"
#include "pitchforge/error.h"
#include "pitchforge/spectrogram.h"

enum { N = 5280, LEN = 256, OVERLAP = 200, NFFT = 1024, NSIG = 8, NMODE = 4, NSCALE = 2 };
#define RATE 16000.0
#define TOL 1e-5

static const char *sig_names[NSIG] = {"sine",  "harmonics", "chirp", "white-noise",
                                      "int16", "silence",   "dc",    "dc+sine"};
static const char *mode_names[NMODE] = {"magnitude", "psd", "complex", "log-magnitude"};
static const char *scale_names[NSCALE] = {"density", "spectrum"};

/* ---- test signals: [NSIG][N] ---- */

static void make_signals(float *x)
{
    const double pi = 3.14159265358979323846;
    pf_rng r;
    pf_rng_init(&r, 7, 0, 1);
    for (int i = 0; i < N; i++) {
        double t = i / RATE, h = 0;
        for (int k = 1; k <= 10; k++)
            h += sin(2 * pi * 220 * k * t + 0.1 * k) / k;
        float *row = x;
        row[0 * N + i] = (float)(0.5 * sin(2 * pi * 440.0 * t + 0.3));
        row[1 * N + i] = (float)(0.3 * h);
        row[2 * N + i] = (float)(0.8 * sin(2 * pi * (100 * t + 0.5 * (5900 / 0.33) * t * t)));
        row[3 * N + i] = (float)(0.3 * pf_rng_normal(&r));
        double q = 0.6 * sin(2 * pi * 1000.3 * t) + 0.01 * pf_rng_normal(&r);
        row[4 * N + i] = (float)(lrint(q * 32767) / 32768.0);
        row[5 * N + i] = 0.0f;
        row[6 * N + i] = 0.25f;
        row[7 * N + i] = (float)(0.9 + 0.05 * sin(2 * pi * 3000.0 * t));
    }
}

/* ---- scratch files and the Python reference ---- */

static void write_floats(const char *path, const float *x, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(x, sizeof *x, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void read_doubles(const char *path, double *y, size_t n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(y, sizeof *y, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Run tests/ref/spectrogram_ref.py on the signals with STFT @p c; fills
 * ref[NSIG][NSCALE][5 arrays of bins x frames]. */
static void run_reference(const float *x, const pf_spec_config *c, double *ref, size_t ref_n)
{
    char in[512], out[512], cmd[1400], line[64] = "";
    temp_path(in, sizeof in, "spec-in");
    temp_path(out, sizeof out, "spec-out");
    write_floats(in, x, (size_t)NSIG * N);
    const char *py = getenv("PY");
    snprintf(cmd, sizeof cmd, "'%s' tests/ref/spectrogram_ref.py '%s' '%s' %d %d %d %d %d %g",
             py && *py ? py : "/usr/bin/python3", in, out, N, NSIG, c->length, c->overlap, c->nfft,
             c->rate_hz);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(line, sizeof line, p)) line[0] = 0;
    int st = pclose(p);
    if (st != 0 || strncmp(line, "ok", 2) != 0) fail_msg("reference failed: %s", cmd);
    read_doubles(out, ref, ref_n);
    remove(in);
    remove(out);
}

/* ---- comparison ---- */

/* max|a - ref| / max|ref|; when ref is all zero, max|a| itself (must then be 0). With
 * @p unlog set, both sides are first mapped from ln(m + eps) back to the magnitude m, and
 * the scale is at least eps (below it the log cannot tell magnitudes apart). */
static double rel_err(const float *a, const double *ref, size_t n, int unlog)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double u = a[i], v = ref[i];
        if (unlog) u = exp(u) - PF_LOG_EPS, v = exp(v) - PF_LOG_EPS;
        num = fmax(num, fabs(u - v));
        den = fmax(den, fabs(v));
    }
    if (unlog) den = fmax(den, PF_LOG_EPS);
    return den > 0 ? num / den : num;
}

/* Worst log-domain relative error, reported (not asserted) for log-magnitude: see docs/dsp.md. */
static double log_domain_worst;

static double compare_one(const float *x, pf_spec_config c, const double *ref, int sig)
{
    int mode = (int)c.mode, scale = (int)c.scaling;
    pf_error e;
    pf_spectrogram *s = pf_spectrogram_new(&c, N, &e);
    assert_non_null(s);
    size_t sz = pf_spectrogram_size(s);
    float *y = malloc(sz * sizeof *y);
    assert_int_equal(pf_spectrogram_compute(s, x, N, y, &e), 0);
    const size_t plane = pf_spectrogram_bins(s) * pf_spectrogram_frames(s);
    static const int first[NMODE] = {0, 1, 2, 4}; /* reference array of each mode */
    const double *r = ref + first[mode] * plane;
    double err = rel_err(y, r, sz, mode == PF_SPEC_LOGMAG);
    if (mode == PF_SPEC_LOGMAG) log_domain_worst = fmax(log_domain_worst, rel_err(y, r, sz, 0));
    if (err > TOL)
        print_message("  %-12s %-13s %-8s rel err %.3g\n", sig_names[sig], mode_names[mode],
                      scale_names[scale], err);
    free(y);
    pf_spectrogram_free(s);
    return err;
}

/* Worst parity error over all signals, modes and scalings for STFT shape @p c. */
static double parity(pf_spec_config c, int verbose)
{
    const size_t bins = (size_t)c.nfft / 2 + 1;
    const size_t frames = (N - (size_t)c.length) / (size_t)(c.length - c.overlap) + 1;
    const size_t per_scale = 5 * bins * frames;
    float *x = malloc((size_t)NSIG * N * sizeof *x);
    double *ref = malloc((size_t)NSIG * NSCALE * per_scale * sizeof *ref);
    make_signals(x);
    run_reference(x, &c, ref, (size_t)NSIG * NSCALE * per_scale);
    double worst_all = 0;
    for (int m = 0; m < NMODE; m++)
        for (int sc = 0; sc < NSCALE; sc++) {
            double worst = 0;
            c.mode = (pf_spec_mode)m, c.scaling = (pf_spec_scaling)sc;
            for (int g = 0; g < NSIG; g++) {
                const double *r = ref + ((size_t)g * NSCALE + (size_t)sc) * per_scale;
                worst = fmax(worst, compare_one(x + (size_t)g * N, c, r, g));
            }
            if (verbose)
                print_message("parity %-13s %-8s max rel err %.3g\n", mode_names[m],
                              scale_names[sc], worst);
            worst_all = fmax(worst_all, worst);
        }
    free(x);
    free(ref);
    return worst_all;
}

/* Other shapes exercise the general pruning (M = nfft / P ways), odd nfft and SIMD tails. */
static void test_parity_other_shapes(void **state)
{
    (void)state;
    static const int shapes[][3] = {{255, 100, 1000}, {256, 0, 256},   {100, 37, 301},
                                    {64, 48, 1024},   {250, 125, 750}, {7, 3, 8}};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        pf_spec_config c = {shapes[i][0], shapes[i][1], shapes[i][2], RATE, 0, 0};
        double w = parity(c, 0);
        print_message("parity length %3d overlap %3d nfft %4d: max rel err %.3g\n", c.length,
                      c.overlap, c.nfft, w);
        assert_true(w <= TOL);
    }
}

static void test_parity_with_scipy(void **state)
{
    (void)state;
    pf_spec_config c = {LEN, OVERLAP, NFFT, RATE, 0, 0};
    double worst_all = parity(c, 1);
    print_message("log-magnitude, compared as ln values: max rel err %.3g (float32 FFT "
                  "round-off near eps, not asserted)\n",
                  log_domain_worst);
    assert_true(worst_all <= TOL);
}

/* ---- shapes, repeatability, failure paths ---- */

static void test_shape(void **state)
{
    (void)state;
    pf_spec_config c = {LEN, OVERLAP, NFFT, RATE, PF_SPEC_COMPLEX, PF_SCALE_DENSITY};
    pf_spectrogram *s = pf_spectrogram_new(&c, N, NULL);
    assert_non_null(s);
    assert_int_equal(pf_spectrogram_bins(s), 513);
    assert_int_equal(pf_spectrogram_frames(s), 90);
    assert_int_equal(pf_spectrogram_size(s), 2 * 513 * 90);
    pf_spectrogram_free(s);
    c.mode = PF_SPEC_MAGNITUDE;
    s = pf_spectrogram_new(&c, N + 15, NULL); /* (5295 - 256) / 56 + 1: still 90 frames */
    assert_int_equal(pf_spectrogram_frames(s), 90);
    pf_spectrogram_free(s);
    s = pf_spectrogram_new(&c, N + 16, NULL);
    assert_int_equal(pf_spectrogram_frames(s), 91);
    pf_spectrogram_free(s);
    pf_spectrogram_free(NULL);
    assert_non_null(pf_fft_version());
    assert_non_null(strstr(pf_fft_version(), "fftw"));
}

static void test_repeatable(void **state)
{
    (void)state;
    pf_spec_config c = {LEN, OVERLAP, NFFT, RATE, PF_SPEC_MAGNITUDE, PF_SCALE_DENSITY};
    float *x = malloc((size_t)NSIG * N * sizeof *x), a[513 * 90], b[513 * 90];
    make_signals(x);
    pf_spectrogram *s1 = pf_spectrogram_new(&c, N, NULL), *s2 = pf_spectrogram_new(&c, N, NULL);
    assert_int_equal(pf_spectrogram_compute(s1, x + 3 * N, N, a, NULL), 0);
    assert_int_equal(pf_spectrogram_compute(s1, x + 2 * N, N, b, NULL), 0);
    assert_int_equal(pf_spectrogram_compute(s2, x + 3 * N, N, b, NULL), 0);
    assert_memory_equal(a, b, sizeof a);
    pf_spectrogram_free(s1);
    pf_spectrogram_free(s2);
    free(x);
}

/* Short inputs (1, 2, 3 and 5 frames: a lone frame, a pair, an odd tail) give the same columns
 * as the first frames of a long input, in every mode (frames are computed two per FFT, so the
 * values agree to float round-off, not bit for bit). */
static void test_short_inputs(void **state)
{
    (void)state;
    float *x = malloc((size_t)NSIG * N * sizeof *x);
    make_signals(x);
    static float full[2 * 513 * 90], part[2 * 513 * 5];
    for (int mode = 0; mode < NMODE; mode++) {
        pf_spec_config c = {LEN, OVERLAP, NFFT, RATE, (pf_spec_mode)mode, PF_SCALE_DENSITY};
        pf_spectrogram *s = pf_spectrogram_new(&c, N, NULL);
        assert_int_equal(pf_spectrogram_compute(s, x + 2 * N, N, full, NULL), 0); /* chirp */
        double peak = 0;
        for (size_t i = 0; i < pf_spectrogram_size(s); i++)
            peak = fmax(peak, fabs(mode == PF_SPEC_LOGMAG ? exp(full[i]) : full[i]));
        pf_spectrogram_free(s);
        static const int nframes[] = {1, 2, 3, 5};
        for (size_t t = 0; t < sizeof nframes / sizeof nframes[0]; t++) {
            int f = nframes[t];
            size_t n = (size_t)(LEN + (f - 1) * (LEN - OVERLAP));
            s = pf_spectrogram_new(&c, n, NULL);
            assert_int_equal(pf_spectrogram_frames(s), f);
            assert_int_equal(pf_spectrogram_compute(s, x + 2 * N, n, part, NULL), 0);
            size_t planes = mode == PF_SPEC_COMPLEX ? 2 : 1;
            for (size_t q = 0; q < planes; q++)
                for (size_t k = 0; k < 513; k++)
                    for (int j = 0; j < f; j++) {
                        double a = part[(q * 513 + k) * (size_t)f + (size_t)j];
                        double b = full[(q * 513 + k) * 90 + (size_t)j];
                        if (mode == PF_SPEC_LOGMAG) a = exp(a), b = exp(b);
                        if (fabs(a - b) > 1e-6 * peak)
                            fail_msg("%s, %d frames: bin %zu frame %d: %g vs %g", mode_names[mode],
                                     f, k, j, a, b);
                    }
            pf_spectrogram_free(s);
        }
    }
    free(x);
}

static void expect_einval(pf_spec_config c, size_t n)
{
    pf_error e;
    pf_error_clear(&e);
    assert_null(pf_spectrogram_new(&c, n, &e));
    assert_int_equal(e.code, PF_EINVAL);
    assert_true(strlen(e.msg) > 0);
}

static void test_bad_args(void **state)
{
    (void)state;
    pf_spec_config ok = {LEN, OVERLAP, NFFT, RATE, PF_SPEC_MAGNITUDE, PF_SCALE_DENSITY}, c;
    c = ok, c.overlap = LEN;
    expect_einval(c, N);
    c = ok, c.overlap = -1;
    expect_einval(c, N);
    c = ok, c.nfft = LEN - 1;
    expect_einval(c, N);
    c = ok, c.length = 0;
    expect_einval(c, N);
    c = ok, c.rate_hz = 0;
    expect_einval(c, N);
    c = ok, c.mode = (pf_spec_mode)9;
    expect_einval(c, N);
    c = ok, c.scaling = (pf_spec_scaling)9;
    expect_einval(c, N);
    expect_einval(ok, LEN - 1);
    pf_error e;
    assert_null(pf_spectrogram_new(NULL, N, &e));
    assert_int_equal(e.code, PF_EINVAL);
    /* wrong length at compute time */
    pf_spectrogram *s = pf_spectrogram_new(&ok, N, &e);
    float *x = calloc(N + 1, sizeof *x), *y = malloc(513 * 90 * sizeof *y);
    assert_int_equal(pf_spectrogram_compute(s, x, N + 1, y, &e), -1);
    assert_int_equal(e.code, PF_EINVAL);
    assert_int_equal(pf_spectrogram_compute(s, x, N - 1, y, &e), -1);
    assert_int_equal(pf_spectrogram_compute(s, NULL, N, y, &e), -1);
    assert_int_equal(pf_spectrogram_compute(s, x, N, y, &e), 0);
    pf_spectrogram_free(s);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape),
        cmocka_unit_test(test_repeatable),
        cmocka_unit_test(test_short_inputs),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_parity_with_scipy),
        cmocka_unit_test(test_parity_other_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
