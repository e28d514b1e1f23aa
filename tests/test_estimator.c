/*
 * Tests for src/decode/estimator.c and the ensemble files of src/nn/modelfile.c: members are stored
 * unchanged, an ensemble of one model with itself answers as the model does, two different
 * members answer with the decoding of their mean probability (recomputed here in double
 * precision from each member's own file), and what an ensemble refuses; examples/pitch_model.py
 * (the PyTorch loader, run by tests/ref/torch_check.py) on models/pitch.h5 against the members'
 * forward passes and the estimator's decoding, on spectrograms of a tiny dataset.
 */
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

#include "io/h5.h"
#include "pitchforge/nn.h"
#include "pitchforge/predict.h"
#include "pitchforge/rng.h"
#include "pitchforge/error.h"
#include "pitchforge/estimator.h"

#define IN_H 8
#define IN_W 6
#define N_BINS 24
#define ROWS 5

static char paths[4][512]; /* a, b, other bins, the ensemble */

static const char *tmp_dir(void)
{
    return getenv("PF_TEST_TMP") ? getenv("PF_TEST_TMP") : "/tmp";
}

/* A small model (conv, relu, dense to @p n_bins logits) with weights from @p seed, saved. */
static void save_model(const char *path, uint64_t seed, int n_bins, float norm_shift)
{
    pf_error err = {0};
    pf_layer_spec L[] = {{.kind = PF_LAYER_CONV, .out = 3, .kernel = 3},
                         {.kind = PF_LAYER_RELU},
                         {.kind = PF_LAYER_DENSE, .out = n_bins}};
    pf_model_spec spec = {1, IN_H, IN_W, L, 3};
    pf_model *m = pf_model_new(&spec, 2, 1, &err);
    assert_non_null(m);
    pf_model_init_params(m, seed);
    float *p = pf_model_params(m);
    for (size_t i = 0; i < pf_model_n_params(m); i++)
        p[i] *= 4; /* sharper outputs: a clear peak bin */
    float mean[IN_H], sd[IN_H];
    for (int b = 0; b < IN_H; b++)
        mean[b] = -1.0f + norm_shift * (float)b, sd[b] = 0.5f + 0.1f * (float)b;
    pf_model_meta meta = {.target = "bins",
                          .bins_lo_midi = 48,
                          .bins_step = 0.2,
                          .n_bins = n_bins,
                          .input = "log",
                          .norm_mean = mean,
                          .norm_std = sd,
                          .norm_len = IN_H,
                          .sample_rate = 16000,
                          .segment_len = 5280,
                          .stft_length = 256,
                          .stft_overlap = 200,
                          .stft_nfft = 1024,
                          .spec_mode = "magnitude",
                          .spec_scaling = "spectrum"};
    assert_int_equal(pf_model_save(path, m, &spec, &meta, &err), 0);
    pf_model_free(m);
}

static int setup(void **state)
{
    (void)state;
    const char *names[4] = {"a", "b", "c", "ens"};
    for (int i = 0; i < 4; i++)
        snprintf(paths[i], sizeof paths[i], "%s/est_%s_%d.h5", tmp_dir(), names[i], (int)getpid());
    save_model(paths[0], 11, N_BINS, 0.1f);
    save_model(paths[1], 12, N_BINS, -0.05f);
    save_model(paths[2], 13, N_BINS + 1, 0.1f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++)
        unlink(paths[i]);
    return 0;
}

/* Positive "spectrogram" values, as a dataset stores them. */
static void fill_spec(float *x, size_t n, uint64_t seed)
{
    pf_rng r;
    pf_rng_init(&r, seed, 1, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)exp(2.0 * pf_rng_normal(&r));
}

/* Logits of the model file @p path on @p x (copied, prepared as the model's meta says). */
static float *member_logits(const char *path, const float *x, size_t rows)
{
    pf_error err = {0};
    pf_model_spec spec;
    pf_model_meta meta;
    pf_model *m = pf_model_load(path, ROWS, 1, &spec, &meta, &err);
    assert_non_null(m);
    size_t in = pf_model_in_size(m), out = pf_model_out_size(m);
    float *xi = calloc(ROWS * in, sizeof *xi), *y = calloc(ROWS * out, sizeof *y);
    memcpy(xi, x, rows * in * sizeof *xi);
    for (size_t r = 0; r < rows; r++)
        pf_model_prepare_input(&meta, xi + r * in, in);
    assert_int_equal(pf_model_forward(m, xi, y, 0, 0, &err), 0);
    free(xi);
    pf_model_free(m);
    pf_model_spec_release(&spec);
    pf_model_meta_release(&meta);
    return y;
}

/* The bins decoding, in double: the peak moved to the vertex of the parabola through the
 * log probabilities of it and its neighbours. */
static double decode(const double *p, int n)
{
    int k = 0;
    for (int i = 1; i < n; i++)
        k = p[i] > p[k] ? i : k;
    double bin = k;
    if (k > 0 && k + 1 < n) {
        double y0 = log(p[k - 1]), y1 = log(p[k]), y2 = log(p[k + 1]), den = y0 - 2 * y1 + y2;
        if (den < 0) bin += fmin(fmax(0.5 * (y0 - y2) / den, -1), 1);
    }
    return 440.0 * pow(2.0, (48 + 0.2 * bin - 69) / 12.0);
}

static void members_stored_unchanged(void **state)
{
    (void)state;
    pf_error err = {0};
    const char *members[] = {paths[0], paths[1]};
    assert_int_equal(pf_ensemble_save(paths[3], members, 2, &err), 0);
    size_t n = 0;
    assert_int_equal(pf_model_file_count(paths[3], &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(pf_model_file_count(paths[0], &n, &err), 0);
    assert_int_equal(n, 1);
    for (size_t i = 0; i < 2; i++) {
        pf_model_spec s1, s2;
        pf_model_meta m1, m2;
        pf_model *a = pf_model_load(members[i], 1, 1, &s1, &m1, &err);
        pf_model *b = pf_model_load_member(paths[3], i, 1, 1, &s2, &m2, &err);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(pf_model_n_params(a), pf_model_n_params(b));
        assert_memory_equal(pf_model_params(a), pf_model_params(b), pf_model_n_params(a) * 4);
        assert_memory_equal(m1.norm_mean, m2.norm_mean, IN_H * sizeof(float));
        assert_memory_equal(m1.norm_std, m2.norm_std, IN_H * sizeof(float));
        assert_string_equal(m1.target, m2.target);
        pf_model_free(a);
        pf_model_free(b);
        pf_model_spec_release(&s1);
        pf_model_spec_release(&s2);
        pf_model_meta_release(&m1);
        pf_model_meta_release(&m2);
    }
    /* member 2 does not exist; a model file has member 0 only */
    pf_model_spec s;
    assert_null(pf_model_load_member(paths[3], 2, 1, 1, &s, NULL, &err));
    assert_int_equal(err.code, PF_EINVAL);
    assert_null(pf_model_load_member(paths[0], 1, 1, 1, &s, NULL, &err));
    assert_int_equal(err.code, PF_EINVAL);
    /* one model is asked for (train): an ensemble is refused, saying what it is */
    assert_null(pf_model_load(paths[3], 1, 1, &s, NULL, &err));
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, "ensemble"));
    printf("load of an ensemble: %s\n", err.msg);
}

static void self_ensemble_is_the_model(void **state)
{
    (void)state;
    pf_error err = {0};
    const char *members[] = {paths[0], paths[0], paths[0]};
    assert_int_equal(pf_ensemble_save(paths[3], members, 3, &err), 0);
    pf_estimator *one = pf_estimator_new(paths[0], ROWS, 1, &err);
    pf_estimator *three = pf_estimator_new(paths[3], ROWS, 2, &err);
    assert_non_null(one);
    assert_non_null(three);
    pf_estimator_set_refine(one, 0), pf_estimator_set_refine(three, 0);
    assert_int_equal(pf_estimator_members(one), 1);
    assert_int_equal(pf_estimator_members(three), 3);
    size_t in = pf_estimator_in_size(one);
    assert_int_equal(in, IN_H * IN_W);
    float *x = calloc(ROWS * in, sizeof *x), *keep = calloc(ROWS * in, sizeof *keep);
    fill_spec(x, ROWS * in, 5);
    memcpy(keep, x, ROWS * in * sizeof *x);
    double f1[ROWS], c1[ROWS], f3[ROWS], c3[ROWS];
    assert_int_equal(pf_estimator_run(one, x, ROWS, f1, c1, &err), 0);
    assert_int_equal(pf_estimator_run(three, x, ROWS, f3, c3, &err), 0);
    assert_memory_equal(x, keep, ROWS * in * sizeof *x); /* the input is left as it was */
    for (int r = 0; r < ROWS; r++) {
        assert_true(f1[r] > 0);
        assert_true(fabs(1200 * log2(f3[r] / f1[r])) < 1e-3);
        assert_true(fabs(c3[r] - c1[r]) < 1e-6);
        assert_true(c1[r] > 0 && c1[r] <= 1);
    }
    /* more rows than the batch: refused */
    assert_int_not_equal(pf_estimator_run(one, x, ROWS + 1, f1, c1, &err), 0);
    assert_int_equal(err.code, PF_EINVAL);
    pf_estimator_free(one);
    pf_estimator_free(three);
    free(x);
    free(keep);
}

static void ensemble_averages_probabilities(void **state)
{
    (void)state;
    pf_error err = {0};
    const char *members[] = {paths[0], paths[1]};
    assert_int_equal(pf_ensemble_save(paths[3], members, 2, &err), 0);
    pf_estimator *e = pf_estimator_new(paths[3], ROWS, 1, &err);
    assert_non_null(e);
    pf_estimator_set_refine(e, 0); /* the averaging alone (e2e_model.sh checks the refinement) */
    size_t in = pf_estimator_in_size(e);
    float *x = calloc(ROWS * in, sizeof *x);
    fill_spec(x, ROWS * in, 9);
    double f[ROWS], c[ROWS];
    assert_int_equal(pf_estimator_run(e, x, ROWS, f, c, &err), 0);
    float *ya = member_logits(paths[0], x, ROWS), *yb = member_logits(paths[1], x, ROWS);
    int differ = 0;
    for (int r = 0; r < ROWS; r++) {
        double p[N_BINS], best = 0, pa[N_BINS];
        for (int i = 0; i < N_BINS; i++) {
            pa[i] = 1 / (1 + exp(-(double)ya[r * N_BINS + i]));
            p[i] = 0.5 * (pa[i] + 1 / (1 + exp(-(double)yb[r * N_BINS + i])));
            best = fmax(best, p[i]);
        }
        double want = decode(p, N_BINS);
        printf("row %d: ensemble %.4f Hz (want %.4f), member a alone %.4f, confidence %.4f\n", r,
               f[r], want, decode(pa, N_BINS), c[r]);
        assert_true(fabs(1200 * log2(f[r] / want)) < 0.01);
        assert_true(fabs(c[r] - best) < 1e-5);
        differ += fabs(1200 * log2(decode(pa, N_BINS) / want)) > 1;
    }
    assert_true(differ > 0); /* the second member changed some answers */
    free(ya);
    free(yb);
    free(x);
    pf_estimator_free(e);
}

static void refusals(void **state)
{
    (void)state;
    pf_error err = {0};
    unlink(paths[3]);
    /* members with other bins */
    const char *mixed[] = {paths[0], paths[2]};
    assert_int_not_equal(pf_ensemble_save(paths[3], mixed, 2, &err), 0);
    assert_int_equal(err.code, PF_EINVAL);
    assert_non_null(strstr(err.msg, paths[2]));
    assert_non_null(strstr(err.msg, "target"));
    printf("mixed targets: %s\n", err.msg);
    assert_int_not_equal(access(paths[3], F_OK), 0);
    /* counts */
    assert_int_not_equal(pf_ensemble_save(paths[3], mixed, 0, &err), 0);
    assert_int_equal(err.code, PF_EINVAL);
    const char *many[PF_ENSEMBLE_MAX + 1];
    for (int i = 0; i <= PF_ENSEMBLE_MAX; i++)
        many[i] = paths[0];
    assert_int_not_equal(pf_ensemble_save(paths[3], many, PF_ENSEMBLE_MAX + 1, &err), 0);
    /* an ensemble is not a member */
    const char *pair[] = {paths[0], paths[1]};
    assert_int_equal(pf_ensemble_save(paths[3], pair, 2, &err), 0);
    char nested[600];
    snprintf(nested, sizeof nested, "%s.nested", paths[3]);
    const char *inner[] = {paths[0], paths[3]};
    assert_int_not_equal(pf_ensemble_save(nested, inner, 2, &err), 0);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_int_not_equal(access(nested, F_OK), 0);
    /* a file edited by hand so that member 01 reads its bins differently: the estimator
     * refuses it rather than average two different pitch axes */
    pf_h5id f = pf_h5_open(paths[3], 1, &err);
    assert_true(f >= 0);
    pf_h5id g = pf_h5_group_open(f, "members/01/meta", &err);
    assert_int_equal(pf_h5_attr_f64(g, "bins_step", 0.1, &err), 0);
    pf_h5_close(g);
    pf_h5_close_file(f, NULL);
    assert_null(pf_estimator_new(paths[3], 2, 1, &err));
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, "member 1"));
    printf("edited member: %s\n", err.msg);
    /* a member that is missing; an output folder that does not exist */
    const char *gone[] = {paths[0], "/nonexistent/model.h5"};
    assert_int_not_equal(pf_ensemble_save(nested, gone, 2, &err), 0);
    assert_int_equal(err.code, PF_EIO);
    assert_int_not_equal(pf_ensemble_save("/nonexistent/dir/ens.h5", pair, 2, &err), 0);
    printf("unwritable: %s\n", err.msg);
}

/* ---- examples/pitch_model.py, the PyTorch loader, on the shipped ensemble ---- */

#define SHIPPED "models/pitch.h5"
#define REAL_ROWS 8

/* REAL_ROWS val spectrograms, spread over the split, of a tiny dataset made in @p dir. */
static float *real_spectrograms(const char *dir, size_t in)
{
    char cmd[1200], path[1100];
    snprintf(cmd, sizeof cmd, "./pitchforge generate manifests/tiny.yaml -o '%s' -q", dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/dataset.h5", dir);
    pf_error err = {0};
    pf_h5id f = pf_h5_open(path, 0, &err), d = pf_h5_dset_open(f, "val/spectrogram", &err);
    assert_true(f >= 0 && d >= 0);
    int rank;
    uint64_t dims[PF_H5_MAX_RANK];
    assert_int_equal(pf_h5_dset_shape(d, &rank, dims, &err), 0);
    assert_true(dims[0] >= REAL_ROWS && dims[1] * dims[2] == in);
    float *s = calloc(REAL_ROWS * in, sizeof *s);
    pf_h5id t = pf_h5_type(PF_H5_F32);
    for (uint64_t r = 0; r < REAL_ROWS; r++)
        assert_int_equal(pf_h5_dset_read_rows(d, t, r * dims[0] / REAL_ROWS, 1, s + r * in, &err), 0);
    pf_h5_close(t);
    pf_h5_close(d);
    pf_h5_close_file(f, NULL);
    return s;
}

/* The mean over the shipped file's members of sigmoid(logits) on @p s, in double, each member
 * preparing its own copy (the sum ensemble_averages_probabilities checks the estimator makes). */
static double *shipped_probabilities(const float *s, size_t in, size_t *n_out)
{
    pf_error err = {0};
    size_t n = 0;
    assert_int_equal(pf_model_file_count(SHIPPED, &n, &err), 0);
    assert_int_equal(n, 2);
    double *p = NULL;
    for (size_t k = 0; k < n; k++) {
        pf_model_spec spec;
        pf_model_meta meta;
        pf_model *m = pf_model_load_member(SHIPPED, k, REAL_ROWS, 2, &spec, &meta, &err);
        assert_non_null(m);
        assert_int_equal(pf_model_in_size(m), in);
        *n_out = pf_model_out_size(m);
        p = p ? p : calloc(REAL_ROWS * *n_out, sizeof *p);
        float *x = malloc(REAL_ROWS * in * sizeof *x), *y = malloc(REAL_ROWS * *n_out * sizeof *y);
        memcpy(x, s, REAL_ROWS * in * sizeof *x);
        for (size_t r = 0; r < REAL_ROWS; r++)
            pf_model_prepare_input(&meta, x + r * in, in);
        assert_int_equal(pf_model_forward(m, x, y, 0, 0, &err), 0);
        for (size_t i = 0; i < REAL_ROWS * *n_out; i++)
            p[i] += 1 / (1 + exp(-(double)y[i])) / (double)n;
        free(x), free(y);
        pf_model_free(m);
        pf_model_spec_release(&spec);
        pf_model_meta_release(&meta);
    }
    return p;
}

/* models/pitch.h5 loaded by the torch loader, on real spectrograms: its mean probabilities
 * against the members' C forward passes, its decoding against pf_estimator_run's (the networks'
 * estimate, refinement off); then one fine-tuning step of network 0 on the dataset's train
 * split must lower the loss, with a gradient for every parameter. */
static void torch_loader_on_shipped_ensemble(void **state)
{
    (void)state;
    pf_error err = {0};
    char dir[600], spath[700], opath[700], cmd[2400];
    snprintf(dir, sizeof dir, "%s/est_torch_%d", tmp_dir(), (int)getpid());
    snprintf(spath, sizeof spath, "%s/spec.f32", dir);
    snprintf(opath, sizeof opath, "%s/torch.f64", dir);
    pf_estimator *e = pf_estimator_new(SHIPPED, REAL_ROWS, 2, &err);
    assert_non_null(e);
    pf_estimator_set_refine(e, 0);
    size_t in = pf_estimator_in_size(e), n_out = 0;
    float *s = real_spectrograms(dir, in);
    FILE *fs = fopen(spath, "wb");
    assert_int_equal(fwrite(s, sizeof *s, REAL_ROWS * in, fs), REAL_ROWS * in);
    fclose(fs);
    const char *py = getenv("PY") ? getenv("PY") : "/usr/bin/python3";
    snprintf(cmd, sizeof cmd, "%s tests/ref/torch_check.py ensemble %s '%s' %d '%s'", py, SHIPPED,
             spath, REAL_ROWS, opath);
    assert_int_equal(system(cmd), 0);
    double *p = shipped_probabilities(s, in, &n_out), f[REAL_ROWS], c[REAL_ROWS];
    assert_int_equal(pf_estimator_run(e, s, REAL_ROWS, f, c, &err), 0);
    size_t nt = REAL_ROWS * (n_out + 2);
    double *t = malloc(nt * sizeof *t), d = 0, top = 0, cents = 0, conf = 0;
    FILE *ft = fopen(opath, "rb");
    assert_non_null(ft);
    assert_int_equal(fread(t, sizeof *t, nt, ft), nt);
    fclose(ft);
    for (size_t i = 0; i < REAL_ROWS * n_out; i++)
        d = fmax(d, fabs(t[i] - p[i])), top = fmax(top, fabs(p[i]));
    const double *tf = t + REAL_ROWS * n_out, *tc = tf + REAL_ROWS;
    for (int r = 0; r < REAL_ROWS; r++) {
        printf("row %d: torch %.3f Hz (confidence %.4f), pf_estimator_run %.3f Hz (%.4f)\n", r,
               tf[r], tc[r], f[r], c[r]);
        assert_true(f[r] > 0 && tf[r] > 0);
        cents = fmax(cents, fabs(1200 * log2(tf[r] / f[r])));
        conf = fmax(conf, fabs(tc[r] - c[r]) / c[r]);
    }
    printf("torch loader on %s, %d real spectrograms: mean probabilities %.2e (max error / max p), "
           "decoded %.2e cents, confidence %.2e (relative)\n",
           SHIPPED, REAL_ROWS, d / top, cents, conf);
    assert_true(d / top < 1e-4 && cents < 0.01 && conf < 1e-4);
    snprintf(cmd, sizeof cmd, "%s tests/ref/torch_check.py finetune %s '%s/dataset.h5'", py,
             SHIPPED, dir);
    assert_int_equal(system(cmd), 0);
    if (!getenv("PF_KEEP_TMP")) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        assert_int_equal(system(cmd), 0);
    }
    free(s), free(p), free(t);
    pf_estimator_free(e);
}

/* src/decode/summary.c: a frame-level model's one pitch is the loudness-weighted median of the
 * voiced columns: 20 loud columns of a note outweigh 60 quiet columns of a tail at another
 * pitch (the plain median would take the tail), unvoiced columns count for nothing, the
 * confidence is the weighted mean; the weights are the columns' RMS over their windows. */
static void columns_pitch_weighted_by_loudness(void **state)
{
    (void)state;
    enum { N = 100 };
    double f0[N], conf[N], w[N], hz, c;
    for (int m = 0; m < N; m++) {
        int note = m < 20, tail = m >= 20 && m < 80;
        f0[m] = note ? 440.0 + m * 0.01 : tail ? 220.0 : 0.0;
        conf[m] = note ? 0.9 : tail ? 0.6 : 0.2;
        w[m] = note ? 1.0 : tail ? 0.05 : 0.5;
    }
    pf_columns_pitch(f0, conf, w, N, 0.5, &hz, &c);
    assert_true(hz >= 440.0 && hz <= 440.2);           /* 20 x 1.0 against 60 x 0.05 */
    assert_float_equal(c, (20 * 0.9 + 3.0 * 0.6) / 23.0, 1e-12);
    pf_columns_pitch(f0, conf, NULL, N, 0.5, &hz, &c);       /* unweighted: the tail's 60 win */
    assert_float_equal(hz, 220.0, 0);
    pf_columns_pitch(f0, conf, w, N, 0.7, &hz, &c); /* a higher threshold: the tail is out */
    assert_true(hz >= 440.0 && hz <= 440.2);
    assert_float_equal(c, 0.9, 1e-12);
    pf_columns_pitch(f0, conf, NULL, N, 0.7, &hz, &c);
    assert_true(hz >= 440.0 && hz <= 440.2);
    for (int m = 0; m < N; m++) conf[m] = 0.49;
    pf_columns_pitch(f0, conf, w, N, 0.5, &hz, &c);
    assert_float_equal(hz, 0, 0);
    assert_float_equal(c, 0, 0);
    /* the weights: a 0.5-amplitude square wave has RMS 0.5 over any whole window, a window
     * cut by the end of the audio is measured over what is left, and past the end it is 0 */
    pf_spec_config cfg = {.rate_hz = 16000, .length = 256, .overlap = 200, .nfft = 1024};
    float s[1000];
    for (int i = 0; i < 1000; i++) s[i] = (i / 8) % 2 ? 0.5f : -0.5f;
    double rms[20];
    pf_columns_rms(s, 1000, &cfg, 20, rms);
    assert_float_equal(rms[0], 0.5, 1e-9);
    assert_float_equal(rms[13], 0.5, 1e-9); /* 728 .. 984: whole */
    assert_float_equal(rms[16], 0.5, 1e-9); /* 896 .. 1000: cut */
    assert_float_equal(rms[18], 0, 0);      /* 1008: past the end */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(members_stored_unchanged),
        cmocka_unit_test(self_ensemble_is_the_model),
        cmocka_unit_test(ensemble_averages_probabilities),
        cmocka_unit_test(refusals),
        cmocka_unit_test(torch_loader_on_shipped_ensemble),
        cmocka_unit_test(columns_pitch_weighted_by_loudness),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
