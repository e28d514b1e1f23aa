/* Tests for src/eval/melody.c: frame metrics against mir_eval.melody (python3-mir-eval 0.7,
 * tests/ref/melody_ref.py) on random tracks with voicing flips, octave errors, pitch guesses
 * on unvoiced frames, estimates on other time grids, and mir_eval's edge cases; by hand for
 * the pooled counts, the CSV reader and the failure paths. Run from the repository root; PY
 * names the Python with mir_eval (default /usr/bin/python3). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h> /* after the headers it needs */

#include "tmp_path.h"

#include "pitchforge/melody.h"

#define MAX_CASES 32
#define TOL 1e-9

/* One fixture: a reference and an estimate track (est f0 < 0: unvoiced with a guess). */
typedef struct track_case {
    const char *name;
    size_t nr, ne;
    double *rt, *rf, *et, *ef;
} track_case;

static track_case cases[MAX_CASES];
static size_t n_cases;
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: uniform in [0, 1). */
static double uniform(void)
{
    rng_state ^= rng_state >> 12, rng_state ^= rng_state << 25, rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
    double u = uniform() + 1e-12, v = uniform();
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static track_case *new_case(const char *name, size_t nr, size_t ne)
{
    assert_true(n_cases < MAX_CASES);
    track_case *c = &cases[n_cases++];
    c->name = name, c->nr = nr, c->ne = ne;
    c->rt = calloc(2 * nr, sizeof *c->rt), c->rf = c->rt + nr;
    c->et = calloc(2 * ne, sizeof *c->et), c->ef = c->et + ne;
    return c;
}

/* A reference f0 at time t: a slow glide with vibrato, unvoiced in random gaps. */
static void fill_reference(track_case *c, double t0, double hop, double voiced_share)
{
    double base = 80 + 600 * uniform();
    for (size_t i = 0; i < c->nr; i++) {
        double t = t0 + hop * (double)i;
        c->rt[i] = t;
        c->rf[i] = base * pow(2, (50 * sin(2 * M_PI * 5.5 * t) + 300 * t) / 1200);
        if (uniform() > voiced_share) c->rf[i] = 0;
    }
}

/* The reference's pitch at time t (nearest frame), 0 when unvoiced. */
static double ref_at(const track_case *c, double t)
{
    size_t best = 0;
    for (size_t i = 1; i < c->nr; i++)
        if (fabs(c->rt[i] - t) < fabs(c->rt[best] - t)) best = i;
    return c->rf[best];
}

/* An estimate on its own grid: the reference's pitch off by a few cents, by octaves, or by
 * anything; voicing flipped at random; unvoiced frames keep a guess (negative) or read 0. */
static void fill_estimate(track_case *c, double t0, double hop)
{
    for (size_t i = 0; i < c->ne; i++) {
        double t = t0 + hop * (double)i, r = ref_at(c, t), u = uniform(), cents;
        c->et[i] = t;
        if (u < 0.55)
            cents = 20 * gauss();
        else if (u < 0.75)
            cents = 1200 * (uniform() < 0.5 ? -1 : 1) * (1 + (uniform() < 0.3)) + 15 * gauss();
        else
            cents = 3000 * (uniform() - 0.5);
        double f = (r > 0 ? r : 100 + 400 * uniform()) * pow(2, cents / 1200);
        int voiced = r > 0 ? uniform() < 0.85 : uniform() < 0.2;
        c->ef[i] = voiced ? f : (uniform() < 0.5 ? -f : 0);
    }
}

static void make_cases(void)
{
    n_cases = 0;
    track_case *c = new_case("same 10 ms grid", 400, 400);
    fill_reference(c, 0, 0.01, 0.8), fill_estimate(c, 0, 0.01);
    c = new_case("ref from 5 ms, est on 11.6 ms from 23 ms, ending early", 300, 200);
    fill_reference(c, 0.005, 0.01, 0.7), fill_estimate(c, 0.023, 0.0116);
    c = new_case("est every 110 ms (predict today), longer than ref", 250, 30);
    fill_reference(c, 0.01, 0.01, 0.9), fill_estimate(c, 0.165, 0.11);
    c = new_case("MDB grid (128/44100 s), est on 10 ms", 700, 210);
    fill_reference(c, 128.0 / 44100, 128.0 / 44100, 0.75), fill_estimate(c, 0, 0.01);
    c = new_case("est grid off by 1e-9 s (allclose: not resampled)", 200, 200);
    fill_reference(c, 0.01, 0.01, 0.8), fill_estimate(c, 0.01 + 1e-9, 0.01);
    c = new_case("all-unvoiced reference", 150, 120);
    fill_reference(c, 0, 0.01, 0), fill_estimate(c, 0.004, 0.0125);
    for (size_t i = 0; i < c->ne; i++)
        c->ef[i] = i % 3 ? 220 + (double)i : -300;
    c = new_case("all-unvoiced estimate (guesses)", 150, 150);
    fill_reference(c, 0, 0.01, 0.8), fill_estimate(c, 0, 0.01);
    for (size_t i = 0; i < c->ne; i++)
        c->ef[i] = -fabs(c->ef[i]);
    c = new_case("both all zero", 100, 90);
    fill_reference(c, 0, 0.01, 0), fill_estimate(c, 0.002, 0.011);
    for (size_t i = 0; i < c->ne; i++)
        c->ef[i] = 0;
    c = new_case("one frame each", 1, 1);
    c->rt[0] = 0.5, c->rf[0] = 440, c->et[0] = 0.25, c->ef[0] = 445;
    c = new_case("zeros inside the estimate (held, then masked)", 300, 97);
    fill_reference(c, 0, 0.01, 0.95), fill_estimate(c, 0.003, 0.031);
    for (size_t i = 5; i < c->ne; i += 7)
        c->ef[i] = 0, c->ef[i - 1] = i % 2 ? 0 : c->ef[i - 1];
    for (int k = 0; k < 6; k++) { /* more random grids */
        c = new_case("random grids", 100 + (size_t)(400 * uniform()),
                     20 + (size_t)(300 * uniform()));
        fill_reference(c, 0.02 * uniform(), 0.003 + 0.02 * uniform(), uniform());
        fill_estimate(c, 0.05 * uniform(), 0.003 + 0.05 * uniform());
    }
}

/* ---- the reference ---- */

static void put(FILE *f, const double *x, size_t n)
{
    assert_int_equal(fwrite(x, sizeof *x, n, f), n);
}

/* Run tests/ref/melody_ref.py on every case; returns its malloc'd output and its length. */
static double *run_reference(size_t *len)
{
    char in[512], out[512], cmd[1400], line[64] = "";
    temp_path(in, sizeof in, "melody-in");
    temp_path(out, sizeof out, "melody-out");
    FILE *f = fopen(in, "wb");
    assert_non_null(f);
    double h = (double)n_cases;
    put(f, &h, 1);
    for (size_t i = 0; i < n_cases; i++) {
        double sz[2] = {(double)cases[i].nr, (double)cases[i].ne};
        put(f, sz, 2), put(f, cases[i].rt, 2 * cases[i].nr), put(f, cases[i].et, 2 * cases[i].ne);
    }
    assert_int_equal(fclose(f), 0);
    const char *py = getenv("PY");
    snprintf(cmd, sizeof cmd, "'%s' tests/ref/melody_ref.py '%s' '%s'",
             py && *py ? py : "/usr/bin/python3", in, out);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    if (!fgets(line, sizeof line, p)) line[0] = 0;
    int st = pclose(p);
    if (st != 0 || strncmp(line, "ok", 2) != 0) fail_msg("reference failed: %s", cmd);
    f = fopen(out, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f) / sizeof(double);
    rewind(f);
    double *y = calloc(*len + 1, sizeof *y);
    assert_int_equal(fread(y, sizeof *y, *len, f), *len);
    fclose(f);
    remove(in);
    remove(out);
    return y;
}

static double max_diff(const double *a, const double *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fmax(m, fabs(a[i] - b[i]));
    return m;
}

/* Our scores of case @p c against mir_eval's (@p ref: 3 tolerances x 5 scores). */
static double compare_scores(const track_case *c, const double *ref)
{
    pf_melody_track r = {c->rt, c->rf, c->nr}, e = {c->et, c->ef, c->ne};
    pf_melody_scores s;
    pf_error err;
    assert_int_equal(pf_melody_evaluate(&r, &e, &s, &err), 0);
    double worst = 0;
    for (int k = 0; k < PF_MELODY_TOLS; k++) {
        double ours[5] = {s.vr, s.vfa, s.rpa[k], s.rca[k], s.oa[k]};
        double d = max_diff(ours, ref + 5 * k, 5);
        if (d > TOL)
            fail_msg("%s, %g cents: VR %.12g/%.12g VFA %.12g/%.12g RPA %.12g/%.12g RCA "
                     "%.12g/%.12g OA %.12g/%.12g (ours/mir_eval)",
                     c->name, pf_melody_tolerances[k], ours[0], ref[5 * k], ours[1], ref[5 * k + 1],
                     ours[2], ref[5 * k + 2], ours[3], ref[5 * k + 3], ours[4], ref[5 * k + 4]);
        worst = fmax(worst, d);
    }
    return worst;
}

/* Our to_cent_voicing arrays against mir_eval's (@p ref: four arrays of n). */
static double compare_frames(const track_case *c, size_t n, const double *ref)
{
    pf_melody_track r = {c->rt, c->rf, c->nr}, e = {c->et, c->ef, c->ne};
    pf_melody_frames f;
    pf_error err;
    assert_int_equal(pf_melody_to_cent_voicing(&r, &e, &f, &err), 0);
    if (f.n != n) fail_msg("%s: %zu frames, mir_eval %zu", c->name, f.n, n);
    const double *ours[4] = {f.ref_voicing, f.ref_cent, f.est_voicing, f.est_cent};
    double worst = 0;
    for (int a = 0; a < 4; a++) {
        double d = max_diff(ours[a], ref + a * n, n);
        if (d > TOL) fail_msg("%s: array %d differs from mir_eval's by %g", c->name, a, d);
        worst = fmax(worst, d);
    }
    pf_melody_frames_release(&f);
    return worst;
}

static void against_mir_eval(void **state)
{
    (void)state;
    make_cases();
    size_t len, pos = 0;
    double *ref = run_reference(&len), worst_scores = 0, worst_cents = 0;
    for (size_t i = 0; i < n_cases; i++) {
        assert_true(pos + 16 <= len);
        size_t n = (size_t)ref[pos];
        worst_scores = fmax(worst_scores, compare_scores(&cases[i], ref + pos + 1));
        assert_true(pos + 16 + 4 * n <= len);
        worst_cents = fmax(worst_cents, compare_frames(&cases[i], n, ref + pos + 16));
        pos += 16 + 4 * n;
    }
    assert_int_equal(pos, len);
    printf("melody: %zu cases, max |difference| from mir_eval: scores %.3g, resampled cents %.3g\n",
           n_cases, worst_scores, worst_cents);
    free(ref);
    for (size_t i = 0; i < n_cases; i++)
        free(cases[i].rt), free(cases[i].et);
}

/* ---- pooled frames, CSV, failures ---- */

/* Frames counted on one grid, in chunks, equal the tracks scored whole (case 1's grid starts
 * at 0, so mir_eval adds no frame), and flags equal the sign convention. */
static void pooled_counts(void **state)
{
    (void)state;
    enum { N = 360 };
    double t[N], ref[N], est[N], mag[N];
    unsigned char voiced[N];
    for (int i = 0; i < N; i++) {
        t[i] = 0.01 * i;
        ref[i] = i % 9 == 0 ? 0 : 200 * pow(2, (i % 40) / 12.0);
        mag[i] = ref[i] > 0 ? ref[i] * pow(2, (i % 7 == 0 ? 1200 : 3 * (i % 20)) / 1200.0) : 150;
        voiced[i] = i % 5 != 0;
        est[i] = pf_melody_signed_f0(mag[i], voiced[i]);
    }
    pf_melody_track r = {t, ref, N}, e = {t, est, N};
    pf_melody_scores whole, pooled;
    pf_error err;
    assert_int_equal(pf_melody_evaluate(&r, &e, &whole, &err), 0);
    pf_melody_counts c = {0};
    for (int k = 0; k < N; k += 90)
        pf_melody_count_hz(ref + k, mag + k, voiced + k, 90, &c);
    pf_melody_scores_from(&c, &pooled);
    assert_memory_equal(&whole, &pooled, sizeof whole);
    assert_int_equal(pooled.frames, N);
    assert_int_equal(pooled.voiced, N - 40);
    /* by hand: an unvoiced reference frame counts for OA when the estimate is unvoiced */
    double one_ref = 0, one_est = 0;
    pf_melody_counts z = {0};
    pf_melody_count_hz(&one_ref, &one_est, NULL, 1, &z);
    pf_melody_scores_from(&z, &pooled);
    assert_true(pooled.vr == 1 && pooled.vfa == 0 && pooled.rpa[0] == 0 && pooled.oa[0] == 1);
}

static void csv_reader(void **state)
{
    (void)state;
    char path[512];
    temp_path(path, sizeof path, "melody-csv");
    FILE *f = fopen(path, "w");
    fputs("0.0029024943310657597,0.0\n0.005804988662131519, 220.5\r\n\n0.0087,0\n", f);
    fclose(f);
    double *t, *hz;
    size_t n;
    pf_error err;
    assert_int_equal(pf_melody_read_csv(path, &t, &hz, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_true(t[1] == 0.005804988662131519 && hz[1] == 220.5 && hz[2] == 0);
    free(t), free(hz);
    f = fopen(path, "w");
    fputs("time,f0\n", f); /* a header is not MDB's layout */
    fclose(f);
    assert_int_equal(pf_melody_read_csv(path, &t, &hz, &n, &err), -1);
    assert_non_null(strstr(err.msg, ":1: expected"));
    remove(path);
    assert_int_equal(pf_melody_read_csv(path, &t, &hz, &n, &err), -1);
    assert_int_equal(err.code, PF_EIO);
}

static void bad_tracks(void **state)
{
    (void)state;
    double t[3] = {0, 0.02, 0.01}, f[3] = {100, 100, NAN};
    pf_melody_track ok = {t, f, 2}, back = {t, f, 3}, empty = {t, f, 0};
    pf_melody_scores s;
    pf_error err;
    assert_int_equal(pf_melody_evaluate(&empty, &ok, &s, &err), -1);
    assert_non_null(strstr(err.msg, "reference track is empty"));
    assert_int_equal(pf_melody_evaluate(&ok, &back, &s, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    t[2] = 0.03;
    assert_int_equal(pf_melody_evaluate(&ok, &back, &s, &err), -1);
    assert_non_null(strstr(err.msg, "not finite"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(against_mir_eval),
                                       cmocka_unit_test(pooled_counts),
                                       cmocka_unit_test(csv_reader), cmocka_unit_test(bad_tracks)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
