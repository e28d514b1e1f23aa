/*
 * Tests for src/train/loader.c, checkpoint.c and trainer.c on a real tiny dataset (made once
 * by `./pitchforge generate manifests/tiny.yaml`): the loader's order and normalization,
 * checkpoints, an overfit run (loss falls 10x), identical weights from identical runs, resume
 * equal to an uninterrupted run bit for bit, and bad datasets named in the errors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "io/h5.h"
#include "pitchforge/rng.h"
#include "pitchforge/dataset.h"
#include "pitchforge/shard.h"
#include "pitchforge/train.h"
#include "train/checkpoint.h"
#include "train/loader.h"
#include "train/tuning.h"
#include "pitchforge/error.h"
#include "pitchforge/nn.h"

static char *tmp;     /* this run's folder */
static char data[1024]; /* tmp/data/dataset.h5 */

static const char *path(const char *name)
{
    static char ring[8][1024];
    static int at;
    char *p = ring[at++ % 8];
    snprintf(p, sizeof ring[0], "%s/%s", tmp, name);
    return p;
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("PF_TEST_TMP");
    char t[512];
    snprintf(t, sizeof t, "%s/train.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(t))
        return -1;
    tmp = strdup(t);
    snprintf(data, sizeof data, "%s/data/dataset.h5", tmp);
    return sh("./pitchforge generate manifests/tiny.yaml -o %s/data -q", tmp) ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    if (!getenv("PF_KEEP_TMP"))
        sh("rm -rf '%s'", tmp);
    free(tmp);
    return 0;
}

/* A config on @p dataset writing to tmp/@p out, on @p threads threads; @p extra appended. */
static void config_threads(pf_train_config *c, const char *dataset, const char *out, int threads,
                           const char *extra)
{
    char text[4096];
    pf_error err = {0};
    snprintf(text, sizeof text,
             "dataset: %s\noutput: %s\nthreads: %d\nseed: 3\nbatch: 16\n"
             "limit: {train: 64, val: 16}\n%s",
             dataset, path(out), threads, extra);
    if (pf_train_config_parse(c, "test.yaml", text, strlen(text), &err))
        fail_msg("config: %s", err.msg);
}

/* A config on @p dataset writing to tmp/@p out (one thread); @p extra appended (YAML lines). */
static void config(pf_train_config *c, const char *dataset, const char *out, const char *extra)
{
    config_threads(c, dataset, out, 1, extra);
}

#define SMALL_MODEL "model:\n  layers:\n    - {kind: timestats, k: 4}\n" \
                    "    - {kind: dense, out: 32}\n    - relu\n    - {kind: dropout, p: 0.1}\n"

/* ---- loader ---- */

static void loader_order_and_normalization(void **state)
{
    (void)state;
    pf_error err = {0};
    pf_loader *l = pf_loader_open(data, "train", 0, 32, 1, &err);
    if (!l)
        fail_msg("%s", err.msg);
    size_t n = pf_loader_size(l);
    int c, h, w;
    pf_loader_shape(l, &c, &h, &w);
    assert_true(c == 1 && h == 513 && w == 90);
    assert_int_equal(pf_loader_batches(l), (n + 31) / 32);
    size_t *order[2];
    for (int pass = 0; pass < 2; pass++) {
        const float *x;
        const size_t *idx;
        size_t rows, k = 0;
        order[pass] = calloc(n, sizeof(size_t));
        pf_loader_start(l, 9, 1, 1);
        while (pf_loader_next(l, &x, &idx, &rows, &err) == 1)
            for (size_t i = 0; i < rows; i++)
                order[pass][k++] = idx[i];
        assert_int_equal(k, n);
    }
    assert_memory_equal(order[0], order[1], n * sizeof(size_t)); /* same (seed, epoch) */
    char *seen = calloc(n, 1);
    for (size_t i = 0; i < n; i++)
        seen[order[0][i]]++;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seen[i], 1); /* a permutation */
    /* the first example of an unshuffled pass: ln(x + 1e-6), then (x - log_mean) / log_std */
    const float *x;
    const size_t *idx;
    size_t rows;
    pf_loader_start(l, 9, 2, 1);
    assert_int_equal(pf_loader_next(l, &x, &idx, &rows, &err), 1);
    assert_memory_not_equal(idx, order[0], 32 * sizeof(size_t)); /* another epoch */
    pf_loader_start(l, 0, 0, 0);
    assert_int_equal(pf_loader_next(l, &x, &idx, &rows, &err), 1);
    assert_int_equal(idx[0], 0);
    float *raw = malloc(513 * 90 * sizeof *raw);
    assert_int_equal(pf_shard_read_spectrogram(path("data/train-00000-of-00004.h5"), 0, raw,
                                               513 * 90, &err), 0);
    const float *mean = pf_loader_norm_mean(l), *sd = pf_loader_norm_std(l);
    for (int b = 0; b < 513; b += 37)
        for (int f = 0; f < 90; f += 11) {
            double v = (log(raw[b * 90 + f] + 1e-6) - mean[b]) / sd[b];
            assert_float_equal(x[b * 90 + f], v, 1e-4 * (1 + fabs(v)));
        }
    free(raw), free(seen), free(order[0]), free(order[1]);
    pf_loader_free(l);
}

/* Data-parallel parts (pf_loader_set_part): part k of 3 of every batch holds rows
 * [lo, lo + rows) of the whole batch, the same examples with the same values; every row is in
 * one part; pf_loader_batch_all gives the whole batch's indexes; rows past a part's are zero. */
static void loader_parts(void **state)
{
    (void)state;
    pf_error err = {0};
    pf_loader *whole = pf_loader_open(data, "val", 50, 16, 1, &err), *l[3];
    assert_non_null(whole);
    size_t ex = 513 * 90, covered = 0;
    for (int k = 0; k < 3; k++) {
        assert_non_null(l[k] = pf_loader_open(data, "val", 50, 16, 1, &err));
        pf_loader_set_part(l[k], k, 3);
        assert_int_equal(pf_loader_part_cap(l[k]), 6);
        pf_loader_start(l[k], 5, 1, 1);
    }
    assert_int_equal(pf_loader_part_cap(whole), 16);
    pf_loader_start(whole, 5, 1, 1);
    const float *x, *xk;
    const size_t *idx, *idxk, *all;
    size_t rows, rk, n_all, lo, want;
    while (pf_loader_next(whole, &x, &idx, &rows, &err) == 1)
        for (int k = 0; k < 3; k++) {
            assert_int_equal(pf_loader_next(l[k], &xk, &idxk, &rk, &err), 1);
            pf_loader_batch_all(l[k], &all, &n_all);
            assert_int_equal(n_all, rows);
            assert_memory_equal(all, idx, rows * sizeof *idx);
            pf_loader_part_rows(rows, k, 3, &lo, &want);
            assert_int_equal(rk, want);
            assert_true(idxk == all + lo);
            assert_memory_equal(xk, x + lo * ex, rk * ex * sizeof *x);
            for (size_t i = rk * ex; i < 6 * ex; i += 997)
                assert_true(xk[i] == 0.0f);
            covered += rk;
        }
    assert_int_equal(covered, 50); /* batches of 16, 16, 16, 2: the last split 0 + 1 + 1 */
    for (int k = 0; k < 3; k++) {
        assert_int_equal(pf_loader_next(l[k], &xk, &idxk, &rk, &err), 0);
        pf_loader_free(l[k]);
    }
    pf_loader_free(whole);
}

/* The documented random EQ curve recomputed here from the RNG, in dB (the loader's in nepers). */
static void eq_reference_db(uint64_t seed, uint64_t epoch, uint64_t idx, double eq_db, double *g)
{
    pf_rng r;
    pf_rng_init(&r, seed, PF_STREAM_TRAIN_EQ, epoch << 40 | idx);
    double level = pf_rng_range(&r, 0, eq_db), u[PF_EQ_TERMS], ph[PF_EQ_TERMS], peak = 0;
    for (int k = 0; k < PF_EQ_TERMS; k++)
        u[k] = pf_rng_range(&r, -1, 1), ph[k] = pf_rng_range(&r, 0, 2 * M_PI);
    for (int b = 0; b < 513; b++) {
        g[b] = 0;
        for (int k = 1; k <= PF_EQ_TERMS; k++)
            g[b] += u[k - 1] / k * cos(M_PI * k * b / 512.0 + ph[k - 1]);
        peak = fmax(peak, fabs(g[b]));
    }
    for (int b = 0; b < 513; b++)
        g[b] *= level / peak;
}

/* The first batch of pass (9, 3) in split order, copied. */
static float *first_batch(pf_loader *l)
{
    const float *x;
    const size_t *idx;
    size_t rows;
    pf_error err = {0};
    pf_loader_start(l, 9, 3, 0);
    assert_int_equal(pf_loader_next(l, &x, &idx, &rows, &err), 1);
    float *copy = malloc(4 * 513 * 90 * sizeof *copy);
    memcpy(copy, x, 4 * 513 * 90 * sizeof *copy);
    return copy;
}

/* Random EQ: each example moved by its own smooth curve, constant over time, within eq_db. */
static void loader_random_eq(void **state)
{
    (void)state;
    pf_error err = {0};
    pf_loader *l = pf_loader_open(data, "train", 0, 4, 1, &err);
    if (!l) fail_msg("%s", err.msg);
    float *plain = first_batch(l);
    pf_loader_set_eq(l, 12);
    float *eq = first_batch(l), *again = first_batch(l);
    assert_memory_equal(eq, again, 4 * 513 * 90 * sizeof *eq); /* the same pass, the same */
    const float *sd = pf_loader_norm_std(l);
    double g[513], levels[4];
    for (int e = 0; e < 4; e++) {
        eq_reference_db(9, 3, (uint64_t)e, 12, g);
        levels[e] = 0;
        for (int b = 0; b < 513; b++) {
            levels[e] = fmax(levels[e], fabs(g[b]));
            for (int f = 0; f < 90; f += 7) {
                size_t i = ((size_t)e * 513 + (size_t)b) * 90 + (size_t)f;
                double db = (eq[i] - plain[i]) * sd[b] * 20 / M_LN10;
                assert_float_equal(db, g[b], 1e-3 * (1 + fabs(g[b])));
            }
        }
        assert_true(levels[e] <= 12);
    }
    assert_true(levels[0] != levels[1]);
    pf_loader_set_eq(l, 0);
    float *off = first_batch(l);
    assert_memory_equal(off, plain, 4 * 513 * 90 * sizeof *off);
    free(plain), free(eq), free(again), free(off);
    pf_loader_free(l);
}

/* Generate tiny.yaml with store.spectrogram @p kind into tmp/@p kind; its dataset.h5 path. */
static const char *tiny_stored_as(const char *kind)
{
    static char out[3][600];
    static int at;
    char *p = out[at++ % 3];
    if (sh("sed 's/^store: {audio: int16, compression: none}$/store: {audio: int16, compression: "
           "none, spectrogram: %s}/' manifests/tiny.yaml > %s/tiny-%s.yaml && grep -q 'spectrogram: "
           "%s' %s/tiny-%s.yaml && ./pitchforge generate %s/tiny-%s.yaml -o %s/%s -q",
           kind, tmp, kind, kind, tmp, kind, tmp, kind, tmp, kind))
        fail_msg("generate tiny with store.spectrogram %s", kind);
    snprintf(p, sizeof out[0], "%s/%s/dataset.h5", tmp, kind);
    return p;
}

/* One in-order pass of the split's loader on @p dataset into a new [n][ex] array. */
static float *loader_pass(const char *dataset, const char *split, int log_input, size_t *n)
{
    pf_error err = {0};
    pf_loader *l = pf_loader_open(dataset, split, 0, 16, log_input, &err);
    if (!l) fail_msg("%s", err.msg);
    int c, h, w;
    pf_loader_shape(l, &c, &h, &w);
    size_t ex = (size_t)(c * h * w), rows;
    *n = pf_loader_size(l);
    float *all = calloc(*n * ex, sizeof *all);
    const float *x;
    const size_t *idx;
    pf_loader_start(l, 0, 0, 0);
    while (pf_loader_next(l, &x, &idx, &rows, &err) == 1)
        for (size_t r = 0; r < rows; r++)
            memcpy(all + idx[r] * ex, x + r * ex, ex * sizeof *x);
    pf_loader_free(l);
    return all;
}

/* The same manifest stored as float32, none and float16: the loader (and so the trainer) gets the
 * same bits from none as from float32 (the STFT of the stored audio, the same /stats), on both
 * inputs and every split; float16 stays within its rounding (log input: at most ~2^-25 / 1e-6
 * nepers before normalization). */
static void loader_spectrogram_stores(void **state)
{
    (void)state;
    const char *none = tiny_stored_as("none"), *half = tiny_stored_as("float16");
    static const char *const splits[] = {"train", "val"};
    for (int s = 0; s < 2; s++)
        for (int log_input = 0; log_input < 2; log_input++) {
            size_t n32, n0, n16;
            float *a = loader_pass(data, splits[s], log_input, &n32);
            float *b = loader_pass(none, splits[s], log_input, &n0);
            float *c = loader_pass(half, splits[s], log_input, &n16);
            assert_int_equal(n32, n0);
            assert_int_equal(n32, n16);
            assert_memory_equal(a, b, n32 * 513 * 90 * sizeof *a);
            double worst = 0;
            for (size_t i = 0; i < n32 * 513 * 90; i++)
                worst = fmax(worst, fabs((double)a[i] - c[i]));
            print_message("    %s, %s input: none bit-identical; float16 off by at most %.3g "
                          "(normalized units)\n", splits[s], log_input ? "log" : "linear", worst);
            assert_true(worst < 0.05);
            free(a), free(b), free(c);
        }
}

static void loader_limit_and_partial_batch(void **state)
{
    (void)state;
    pf_error err = {0};
    pf_loader *l = pf_loader_open(data, "val", 50, 16, 0, &err);
    assert_non_null(l);
    assert_int_equal(pf_loader_size(l), 50);
    assert_int_equal(pf_loader_batches(l), 4);
    const float *x;
    const size_t *idx;
    size_t rows, total = 0;
    pf_loader_start(l, 1, 1, 0);
    int got;
    while ((got = pf_loader_next(l, &x, &idx, &rows, &err)) == 1) {
        total += rows;
        if (rows < 16) {
            assert_int_equal(rows, 2);
            for (size_t i = 2 * 513 * 90; i < 16 * 513 * 90; i += 997)
                assert_true(x[i] == 0); /* padding rows are zero */
        }
    }
    assert_int_equal(got, 0);
    assert_int_equal(total, 50);
    /* stopping a pass half way and starting again is fine */
    pf_loader_start(l, 1, 1, 1);
    assert_int_equal(pf_loader_next(l, &x, &idx, &rows, &err), 1);
    pf_loader_start(l, 1, 2, 1);
    assert_int_equal(pf_loader_next(l, &x, &idx, &rows, &err), 1);
    /* a pass started at batch 2 (a checkpoint inside an epoch) hands out the full pass's
     * batches 2 and 3, the same examples and the same values */
    size_t want_idx[32];
    float *want_x = malloc(32 * 513 * 90 * sizeof *want_x);
    pf_loader_start(l, 1, 3, 1);
    for (int b = 0; b < 4 && pf_loader_next(l, &x, &idx, &rows, &err) == 1; b++)
        if (b >= 2) {
            memcpy(want_idx + (b - 2) * 16, idx, rows * sizeof *idx);
            memcpy(want_x + (size_t)(b - 2) * 16 * 513 * 90, x, rows * 513 * 90 * sizeof *x);
        }
    pf_loader_start_at(l, 1, 3, 1, 2);
    for (int b = 0; b < 2; b++) {
        assert_int_equal(pf_loader_next(l, &x, &idx, &rows, &err), 1);
        assert_int_equal(rows, b ? 2 : 16);
        assert_memory_equal(idx, want_idx + b * 16, rows * sizeof *idx);
        assert_memory_equal(x, want_x + (size_t)b * 16 * 513 * 90, rows * 513 * 90 * sizeof *x);
    }
    assert_int_equal(pf_loader_next(l, &x, &idx, &rows, &err), 0);
    free(want_x);
    pf_loader_free(l);
    pf_loader_free(NULL);
}

/* ---- bad datasets ---- */

static void expect_open_error(const char *dataset, const char *what1, const char *what2)
{
    pf_error err = {0};
    pf_loader *l = pf_loader_open(dataset, "train", 0, 8, 1, &err);
    assert_null(l);
    if (!strstr(err.msg, what1) || !strstr(err.msg, what2))
        fail_msg("expected '%s' and '%s' in '%s'", what1, what2, err.msg);
}

static void bad_datasets(void **state)
{
    (void)state;
    expect_open_error(path("nowhere/dataset.h5"), "nowhere/dataset.h5", "no such dataset");
    /* a shard missing */
    sh("cp -r %s/data %s/gone && rm %s/gone/train-00002-of-00004.h5", tmp, tmp, tmp);
    expect_open_error(path("gone/dataset.h5"), "train-00002-of-00004.h5", "missing");
    /* a truncated shard */
    sh("cp -r %s/data %s/cut && truncate -s 5000 %s/cut/train-00001-of-00004.h5", tmp, tmp, tmp);
    expect_open_error(path("cut/dataset.h5"), "train-00001-of-00004.h5", "");
    /* not HDF5 at all */
    sh("mkdir -p %s/junk && echo hello > %s/junk/dataset.h5", tmp, tmp);
    expect_open_error(path("junk/dataset.h5"), "junk/dataset.h5", "HDF5");
    /* the previous schema (pitchforge-dataset/1): refused, saying what to do */
    sh("cp -r %s/data %s/v1", tmp, tmp);
    pf_error err = {0};
    pf_h5id f = pf_h5_open(path("v1/dataset.h5"), 1, &err);
    assert_true(f >= 0);
    assert_int_equal(pf_h5_attr_str(f, "schema", "pitchforge-dataset/1", &err), 0);
    pf_h5_close(f);
    expect_open_error(path("v1/dataset.h5"), "v1/dataset.h5", "'pitchforge-dataset/1'");
    expect_open_error(path("v1/dataset.h5"), "'" PF_DATASET_SCHEMA "'", "regenerate");
    /* a shard of the previous schema beside a current index */
    sh("cp -r %s/data %s/s1", tmp, tmp);
    f = pf_h5_open(path("s1/train-00001-of-00004.h5"), 1, &err);
    assert_true(f >= 0);
    assert_int_equal(pf_h5_attr_str(f, "schema", "pitchforge-shard/1", &err), 0);
    pf_h5_close(f);
    expect_open_error(path("s1/dataset.h5"), "train-00001-of-00004.h5", "'pitchforge-shard/1'");
    /* a shard given as the dataset */
    expect_open_error(path("data/train-00000-of-00004.h5"), "train-00000-of-00004.h5",
                      PF_SHARD_SCHEMA);
}

/* Bytes of NaN in the middle of a shard's spectrograms: the pass fails naming the shard. */
static void corrupt_values(void **state)
{
    (void)state;
    sh("cp -r %s/data %s/bad", tmp, tmp);
    FILE *f = fopen(path("bad/train-00000-of-00004.h5"), "r+b");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, size / 2, SEEK_SET);
    for (int i = 0; i < 4096; i++)
        fputc(0xff, f);
    fclose(f);
    pf_error err = {0};
    pf_loader *l = pf_loader_open(path("bad/dataset.h5"), "train", 0, 8, 1, &err);
    assert_non_null(l);
    const float *x;
    const size_t *idx;
    size_t rows;
    int got;
    pf_loader_start(l, 1, 1, 0);
    while ((got = pf_loader_next(l, &x, &idx, &rows, &err)) == 1)
        ;
    assert_int_equal(got, -1);
    assert_non_null(strstr(err.msg, "train-00000-of-00004.h5"));
    assert_non_null(strstr(err.msg, "not finite"));
    pf_loader_free(l);
}

/* ---- checkpoints ---- */

static void checkpoint_round_trip(void **state)
{
    (void)state;
    float p[5] = {1, 2, 3, 4, 5}, m[5] = {.1f, .2f, .3f, .4f, .5f}, v[5] = {9, 8, 7, 6, 5};
    pf_checkpoint ck = {.epoch = 3, .step = 77, .seed = 5, .n_params = 5, .params = p, .m = m,
                        .v = v, .config_text = "dataset: x\n", .batch = 12, .loss_sum = 0.1,
                        .loss_examples = 48}, in;
    pf_error err = {0};
    assert_int_equal(pf_checkpoint_save(path("ck.h5"), &ck, &err), 0);
    assert_int_equal(access(path("ck.h5.tmp"), F_OK), -1);
    assert_int_equal(pf_checkpoint_load(path("ck.h5"), &in, &err), 0);
    assert_int_equal(in.epoch, 3);
    assert_int_equal(in.step, 77);
    assert_int_equal(in.batch, 12);
    assert_true(in.loss_sum == 0.1);
    assert_int_equal(in.loss_examples, 48);
    assert_int_equal(in.seed, 5);
    assert_int_equal(in.n_params, 5);
    assert_memory_equal(in.params, p, sizeof p);
    assert_memory_equal(in.m, m, sizeof m);
    assert_memory_equal(in.v, v, sizeof v);
    assert_string_equal(in.config_text, "dataset: x\n");
    pf_checkpoint_release(&in);
    pf_h5id f = pf_h5_open(path("ck.h5"), 1, &err);
    pf_h5_attr_str(f, "schema", "pitchforge-checkpoint/1", &err); /* epoch ends only */
    pf_h5_close(f);
    assert_int_equal(pf_checkpoint_load(path("ck.h5"), &in, &err), 0);
    assert_int_equal(in.epoch, 3);
    assert_int_equal(in.batch, 0);
    pf_checkpoint_release(&in);
    f = pf_h5_open(path("ck.h5"), 1, &err);
    pf_h5_attr_str(f, "schema", "pitchforge-checkpoint/9", &err);
    pf_h5_close(f);
    assert_int_equal(pf_checkpoint_load(path("ck.h5"), &in, &err), -1);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, "pitchforge-checkpoint/9"));
    pf_checkpoint_release(&in);
    assert_int_equal(pf_checkpoint_load(path("none.h5"), &in, &err), -1);
    assert_non_null(strstr(err.msg, "none.h5"));
    pf_checkpoint_release(&in);
}

/* ---- training ---- */

static void train_ok(const pf_train_config *c, int resume, pf_epoch_metrics *m)
{
    pf_train_opts o = {.resume = resume};
    pf_error err = {0};
    if (pf_train(c, &o, m, &err))
        fail_msg("pf_train: %s", err.msg);
}

/* Parameters of OUTPUT/checkpoint.h5. */
static float *weights(const char *out, size_t *n)
{
    pf_checkpoint ck;
    pf_error err = {0};
    if (pf_checkpoint_load(path(out), &ck, &err))
        fail_msg("%s", err.msg);
    float *p = ck.params;
    *n = ck.n_params;
    ck.params = NULL;
    pf_checkpoint_release(&ck);
    return p;
}

/* train_loss of each line of metrics.jsonl into @p loss; returns the number of lines. */
static int read_losses(const char *file, double *loss, int max)
{
    FILE *f = fopen(path(file), "r");
    char line[4096];
    int n = 0, e;
    while (f && n < max && fgets(line, sizeof line, f)) {
        char *p = strstr(line, "\"train_loss\": ");
        assert_true(sscanf(line, "{\"epoch\": %d", &e) == 1 && e == n + 1 && p);
        loss[n++] = strtod(p + 14, NULL);
    }
    if (f)
        fclose(f);
    return n;
}

/* 64 examples, midi target (MSE): the training loss falls at least 10x. */
static void overfit(void **state)
{
    (void)state;
    pf_train_config c;
    pf_epoch_metrics m;
    config(&c, data, "overfit",
           "model:\n  layers:\n    - {kind: timestats, k: 4}\n    - {kind: dense, out: 64}\n"
           "    - relu\ntarget: {kind: midi}\noptimizer: {lr: 0.003}\nepochs: 15\n");
    train_ok(&c, 0, &m);
    double loss[64];
    int n = read_losses("overfit/metrics.jsonl", loss, 64);
    assert_int_equal(n, 15);
    if (!(loss[n - 1] * 10 <= loss[0]))
        fail_msg("train loss %g -> %g: did not fall 10x", loss[0], loss[n - 1]);
    assert_int_equal(m.epoch, 15);
    /* model.h5: the checkpoint's weights, the target mapping, the norm stats, the config */
    pf_model_spec spec;
    pf_model_meta meta;
    pf_error err = {0};
    size_t np;
    pf_model *model = pf_model_load(path("overfit/model.h5"), 4, 1, &spec, &meta, &err);
    if (!model)
        fail_msg("%s", err.msg);
    float *w = weights("overfit/checkpoint.h5", &np);
    assert_int_equal(pf_model_n_params(model), np);
    assert_memory_equal(pf_model_params(model), w, np * sizeof *w);
    assert_string_equal(meta.target, "midi");
    assert_string_equal(meta.input, "log");
    assert_int_equal(meta.norm_len, 513);
    assert_string_equal(meta.config_text, c.text);
    free(w);
    pf_model_free(model);
    pf_model_spec_release(&spec);
    pf_model_meta_release(&meta);
    pf_train_config_release(&c);
}

/* Same data, seed and threads: the same weights, bit for bit (dropout on). */
static void deterministic(void **state)
{
    (void)state;
    pf_train_config c;
    size_t n1, n2;
    for (int i = 0; i < 2; i++) {
        config(&c, data, i ? "det2" : "det1", SMALL_MODEL "epochs: 2\n");
        train_ok(&c, 0, NULL);
        pf_train_config_release(&c);
    }
    float *a = weights("det1/checkpoint.h5", &n1), *b = weights("det2/checkpoint.h5", &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1 * sizeof *a);
    free(a), free(b);
}

/* Train @p model (YAML) for one epoch on @p threads threads into tmp/@p out; its weights. The
 * model file and the checkpoint record the thread count. */
static float *train_threads(const char *out, int threads, const char *model, size_t *n)
{
    pf_train_config c;
    char file[256];
    config_threads(&c, data, out, threads, model);
    train_ok(&c, 0, NULL);
    pf_train_config_release(&c);
    pf_model_spec spec;
    pf_model_meta meta;
    pf_error err = {0};
    snprintf(file, sizeof file, "%s/model.h5", out);
    pf_model *m = pf_model_load(path(file), 1, 1, &spec, &meta, &err);
    if (!m) fail_msg("%s", err.msg);
    assert_int_equal(meta.train_threads, threads);
    pf_model_free(m);
    pf_model_spec_release(&spec);
    pf_model_meta_release(&meta);
    pf_checkpoint ck;
    snprintf(file, sizeof file, "%s/checkpoint.h5", out);
    if (pf_checkpoint_load(path(file), &ck, &err)) fail_msg("%s", err.msg);
    assert_int_equal(ck.threads, threads);
    pf_checkpoint_release(&ck);
    return weights(file, n);
}

/* The largest |a[i] - b[i]| over @p n floats. */
static double max_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs((double)a[i] - b[i]) > m ? fabs((double)a[i] - b[i]) : m;
    return m;
}

/*
 * 1 and 2 threads (docs/training.md, "Reproducibility"). Bit for bit: conv on one channel +
 * ReLU + pool (the fused convpool), conv on oneDNN (direct 5 x 5 and Winograd 3 x 3: backward
 * on one example per worker), max-pool, ReLU, dropout, timestats, and these dense layers.
 * Not bit for bit: oneDNN's inner product splits its sum by the thread count for some shapes
 * (here the forward of dense 800 -> 370 at batch 16), so thr-map's weights differ in the last
 * bits; the run records its thread count (model.h5, checkpoint.h5).
 */
static void thread_count_independent(void **state)
{
    (void)state;
    static const struct { const char *name, *model; int same; } runs[] = {
        {"thr-conv", "model:\n  layers:\n    - {kind: dropout, p: 0.1}\n"
                     "    - {kind: conv, out: 16, kernel: 3}\n    - relu\n    - {kind: maxpool, pool: 2}\n"
                     "    - {kind: conv, out: 16, kernel: 5}\n    - relu\n    - {kind: maxpool, pool: 2}\n"
                     "    - {kind: conv, out: 16, kernel: 3}\n    - relu\n    - {kind: maxpool, pool: 4}\n"
                     "    - {kind: dense, out: 16}\n    - relu\n", 1},
        {"thr-stats", SMALL_MODEL, 1},
        {"thr-map", "model:\n  layers:\n    - {kind: timestats_map, k: 8}\n"
                    "    - {kind: conv, out: 16, kernel: 3}\n    - relu\n"
                    "    - {kind: harmonics, k: 3, out: 100, lo: 40, step: 50, hz: 15.625}\n"
                    "    - {kind: conv, out: 8, kernel: 5}\n    - relu\n", 0},
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        char out[64];
        size_t n1, n2;
        snprintf(out, sizeof out, "%s-1", runs[i].name);
        float *a = train_threads(out, 1, runs[i].model, &n1);
        snprintf(out, sizeof out, "%s-2", runs[i].name);
        float *b = train_threads(out, 2, runs[i].model, &n2);
        assert_int_equal(n1, n2);
        double d = max_diff(a, b, n1);
        if (runs[i].same && d > 0) fail_msg("%s: 1 and 2 threads differ by %g", runs[i].name, d);
        if (!(d < 1e-6)) fail_msg("%s: 1 and 2 threads differ by %g", runs[i].name, d);
        free(a), free(b);
    }
}

/* labels/@p name of the tiny train split as doubles (via dataset.h5). */
static double *train_label(const char *name, size_t *n)
{
    pf_error err = {0};
    char p[128];
    int rank;
    uint64_t dims[PF_H5_MAX_RANK];
    snprintf(p, sizeof p, "train/labels/%s", name);
    pf_h5id f = pf_h5_open(data, 0, &err), d = pf_h5_dset_open(f, p, &err);
    assert_int_equal(pf_h5_dset_shape(d, &rank, dims, &err), 0);
    double *v = calloc(dims[0], sizeof *v);
    pf_h5id t = pf_h5_type(PF_H5_F64);
    assert_int_equal(pf_h5_dset_read(d, t, v, &err), 0);
    pf_h5_close(t), pf_h5_close(d), pf_h5_close_file(f, NULL);
    *n = dims[0];
    return v;
}

/* target.tuning measured: each example's shift is the median audit offset of the ok examples
 * of its (preset, key), recomputed here the slow way (every pair); labels move by 2^(s/1200). */
static void measured_tuning(void **state)
{
    (void)state;
    pf_error err = {0};
    size_t n;
    const char *keys[] = {"soundfont", "bank", "program", "midi"};
    double *lab[4], *cents = train_label("pitch_error_cents", &n), *check;
    for (int k = 0; k < 4; k++)
        lab[k] = train_label(keys[k], &n);
    check = train_label("pitch_check", &n);
    pf_tuning t;
    assert_int_equal(pf_tuning_measure(data, "nosuch", 0, &t, &err), -1); /* a split it lacks */
    assert_non_null(strstr(err.msg, "no nosuch/labels/f0_hz"));
    pf_tuning_free(&t);
    assert_int_equal(pf_tuning_measure(data, "train", 0, &t, &err), 0);
    assert_int_equal(t.n, n);
    double *v = calloc(n, sizeof *v);
    size_t moved = 0, nonzero = 0;
    for (size_t i = 0; i < n; i++) {
        size_t m = 0;
        for (size_t j = 0; j < n; j++) {
            int same = check[j] == 0;
            for (int k = 0; k < 4; k++)
                same = same && lab[k][j] == lab[k][i];
            if (same) /* insertion sort: the group's ok offsets in order */
                for (size_t a = m++; ; a--) {
                    if (a == 0 || v[a - 1] <= (float)cents[j]) {
                        v[a] = (float)cents[j];
                        break;
                    }
                    v[a] = v[a - 1];
                }
        }
        if (!m) {
            assert_true(isnan(t.shift_cents[i]));
            continue;
        }
        double med = m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
        if (t.shift_cents[i] != med)
            fail_msg("example %zu: shift %.9g, expected %.9g", i, t.shift_cents[i], med);
        moved++, nonzero += med != 0;
    }
    assert_int_equal(t.report.moved, moved);
    assert_true(moved > n / 2 && nonzero > n / 2);
    /* apply: the same labels move by 2^(shift/1200); other labels are refused */
    double *f0 = train_label("f0_hz", &n), *want = calloc(n, sizeof *want);
    for (size_t i = 0; i < n; i++)
        want[i] = isnan(t.shift_cents[i]) ? f0[i] : f0[i] * pow(2.0, t.shift_cents[i] / 1200.0);
    assert_int_equal(pf_tuning_apply(&t, n, f0, &err), 0);
    assert_memory_equal(f0, want, n * sizeof *f0);
    assert_int_equal(pf_tuning_apply(&t, n, f0, &err), -1); /* f0 moved: not the split's */
    assert_non_null(strstr(err.msg, "stale index"));
    pf_tuning_free(&t);
    for (int k = 0; k < 4; k++)
        free(lab[k]);
    free(cents), free(check), free(v), free(f0), free(want);
}

/* The lr of each epoch as metrics.jsonl reports it (at most @p max epochs). */
static int read_lrs(const char *file, double *lr, int max)
{
    FILE *f = fopen(path(file), "r");
    char line[4096];
    int n = 0;
    while (f && n < max && fgets(line, sizeof line, f)) {
        char *p = strstr(line, "\"lr\": ");
        assert_non_null(p);
        lr[n++] = strtod(p + 6, NULL);
    }
    if (f)
        fclose(f);
    return n;
}

/* 1 epoch, then --resume with epochs: 2 equals 2 epochs straight, bit for bit (with an lr that
 * decays per epoch: the resumed epoch runs at lr x decay, as the straight run's second). */
static void resume_equals_uninterrupted(void **state)
{
    (void)state;
    pf_train_config c;
    size_t n1, n2;
#define DECAY "optimizer: {lr: 0.002, lr_decay: 0.25}\n"
    config(&c, data, "whole", SMALL_MODEL DECAY "epochs: 2\n");
    train_ok(&c, 0, NULL);
    pf_train_config_release(&c);
    config(&c, data, "split", SMALL_MODEL DECAY "epochs: 1\n");
    train_ok(&c, 0, NULL);
    pf_train_config_release(&c);
    config(&c, data, "split", SMALL_MODEL DECAY "epochs: 2\n");
    train_ok(&c, 1, NULL);
    pf_train_config_release(&c);
    float *a = weights("whole/checkpoint.h5", &n1), *b = weights("split/checkpoint.h5", &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1 * sizeof *a);
    free(a), free(b);
    double la[4], lb[4];
    assert_int_equal(read_losses("whole/metrics.jsonl", la, 4), 2);
    assert_int_equal(read_losses("split/metrics.jsonl", lb, 4), 2);
    assert_true(la[1] == lb[1]);
    double lr[4];
    assert_int_equal(read_lrs("split/metrics.jsonl", lr, 4), 2);
    assert_true(lr[0] == 0.002 && lr[1] == 0.0005);
    /* changed settings are refused */
    pf_error err = {0};
    config(&c, data, "split", SMALL_MODEL "epochs: 3\noptimizer: {lr: 0.002}\n");
    pf_train_opts o = {.resume = 1};
    assert_int_equal(pf_train(&c, &o, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "differ"));
    pf_train_config_release(&c);
    config(&c, data, "nothing", SMALL_MODEL);
    assert_int_equal(pf_train(&c, &o, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "checkpoint"));
    pf_train_config_release(&c);
}

/* An epoch's metrics.jsonl line is written before its checkpoint is put in place (a crash
 * between the two must not lose the line for good): a checkpoint that cannot be written still
 * leaves the line; --resume drops lines past the checkpoint's epoch, so a re-run epoch is not
 * duplicated. */
static void metrics_before_checkpoint(void **state)
{
    (void)state;
    pf_train_config c;
    pf_error err = {0};
    double loss[8];
    assert_int_equal(sh("mkdir -p '%s'", path("order/checkpoint.h5.tmp")), 0);
    config(&c, data, "order", SMALL_MODEL "epochs: 1\n");
    pf_train_opts o = {0};
    assert_int_equal(pf_train(&c, &o, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "checkpoint"));
    assert_int_equal(read_losses("order/metrics.jsonl", loss, 8), 1);
    assert_int_equal(sh("rmdir '%s'", path("order/checkpoint.h5.tmp")), 0);
    /* the failed run's line is an earlier run's: refused, unless forced */
    assert_int_equal(pf_train(&c, &o, NULL, &err), -1);
    assert_int_equal(err.code, PF_EEXIST);
    assert_non_null(strstr(err.msg, "metrics.jsonl"));
    o.force = 1;
    if (pf_train(&c, &o, NULL, &err)) fail_msg("%s", err.msg);
    pf_train_config_release(&c);
    /* a run killed after epoch 2's line, before its checkpoint; a stray later line too */
    FILE *f = fopen(path("order/metrics.jsonl"), "a");
    assert_non_null(f);
    fputs("{\"epoch\": 2, \"train_loss\": 99}\n{\"epoch\": 5, \"train_loss\": 99}\n", f);
    fclose(f);
    config(&c, data, "order", SMALL_MODEL "epochs: 2\n");
    train_ok(&c, 1, NULL);
    pf_train_config_release(&c);
    assert_int_equal(read_losses("order/metrics.jsonl", loss, 8), 2); /* epochs 1, 2 once each */
    assert_true(loss[1] != 99);
}

/* ---- init ---- */

/* tmp/@p out: model @p from with every normalization mean moved by @p shift. */
static void shifted_model(const char *from, const char *out, float shift)
{
    pf_model_spec spec;
    pf_model_meta meta;
    pf_error err = {0};
    pf_model *m = pf_model_load(path(from), 4, 1, &spec, &meta, &err);
    if (!m) fail_msg("%s", err.msg);
    for (size_t i = 0; i < meta.norm_len; i++)
        meta.norm_mean[i] += shift;
    if (pf_model_save(path(out), m, &spec, &meta, &err)) fail_msg("%s", err.msg);
    pf_model_free(m);
    pf_model_spec_release(&spec);
    pf_model_meta_release(&meta);
}

/* Weights (@p n of them) and normalization means of network @p member (from 0) of tmp/@p file. */
static float *net_params(const char *file, size_t member, size_t *n, float **mean)
{
    pf_model_spec spec;
    pf_model_meta meta;
    pf_error err = {0};
    pf_model *m = pf_model_load_member(path(file), member, 4, 1, &spec, &meta, &err);
    if (!m) fail_msg("%s", err.msg);
    *n = pf_model_n_params(m);
    float *p = malloc(*n * sizeof *p);
    memcpy(p, pf_model_params(m), *n * sizeof *p);
    *mean = malloc(meta.norm_len * sizeof **mean);
    memcpy(*mean, meta.norm_mean, meta.norm_len * sizeof **mean);
    pf_model_free(m);
    pf_model_spec_release(&spec);
    pf_model_meta_release(&meta);
    return p;
}

/* Train tmp/@p out from network @p member of tmp/@p model with @p extra settings. */
static int train_from(const char *out, const char *model, int member, const char *extra, int resume,
                      pf_epoch_metrics *m, pf_error *err)
{
    pf_train_config c;
    char text[1024];
    snprintf(text, sizeof text, SMALL_MODEL "init: {model: %s, member: %d}\n%s", path(model),
             member, extra);
    config(&c, data, out, text);
    pf_train_opts o = {.resume = resume};
    int rc = pf_train(&c, &o, m, err);
    pf_train_config_release(&c);
    return rc;
}

/* init starts from a network's weights and keeps its normalization (not the dataset's): at
 * lr 0 the result is that network; from an ensemble, the member asked for. */
static void init_starts_from_network(void **state)
{
    (void)state;
    pf_train_config c;
    pf_epoch_metrics ma, mb;
    pf_error err = {0};
    config(&c, data, "base", SMALL_MODEL "epochs: 2\n");
    train_ok(&c, 0, &ma);
    pf_train_config_release(&c);
    assert_int_equal(
        train_from("same", "base/model.h5", 1, "optimizer: {lr: 0}\nepochs: 1\n", 0, &mb, &err), 0);
    assert_true(mb.val_loss == ma.val_loss); /* same weights, same inputs */
    shifted_model("base/model.h5", "shifted.h5", 0.5f);
    const char *members[] = {path("base/model.h5"), path("shifted.h5")};
    assert_int_equal(pf_ensemble_save(path("pair.h5"), members, 2, &err), 0);
    assert_int_equal(
        train_from("member2", "pair.h5", 2, "optimizer: {lr: 0}\nepochs: 1\n", 0, &mb, &err), 0);
    assert_true(mb.val_loss != ma.val_loss); /* the shifted inputs are seen */
    size_t n1, n2;
    float *mean1, *mean2;
    float *w1 = net_params("shifted.h5", 0, &n1, &mean1);
    float *w2 = net_params("member2/model.h5", 0, &n2, &mean2);
    assert_int_equal(n1, n2);
    assert_memory_equal(w1, w2, n1 * sizeof *w1);
    assert_memory_equal(mean1, mean2, 513 * sizeof *mean1);
    free(w1), free(w2), free(mean1), free(mean2);
}

/* A run from a network, resumed, equals the uninterrupted one (the normalization is the
 * network's after --resume too); other networks, members and files are refused by name.
 * Starts from shifted.h5, made by init_starts_from_network. */
static void init_resume_and_errors(void **state)
{
    (void)state;
    pf_error err = {0};
    const char *lr = "optimizer: {lr: 0.002}\n";
    char extra[256];
    for (int i = 0; i < 3; i++) {
        snprintf(extra, sizeof extra, "%sepochs: %d\n", lr, i == 1 ? 1 : 2);
        if (train_from(i ? "ft-split" : "ft-whole", "shifted.h5", 1, extra, i == 2, NULL, &err))
            fail_msg("%s", err.msg);
    }
    size_t n1, n2;
    float *a = weights("ft-whole/checkpoint.h5", &n1), *b = weights("ft-split/checkpoint.h5", &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1 * sizeof *a);
    free(a), free(b);
    snprintf(extra, sizeof extra, "%sepochs: 3\n", lr);
    assert_int_equal(train_from("ft-split", "base/model.h5", 1, extra, 1, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "the init settings differ"));
    shifted_model("base/model.h5", "shifted.h5", 0.25f); /* same path, other network */
    assert_int_equal(train_from("ft-split", "shifted.h5", 1, extra, 1, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "is not the file the run of"));
    assert_non_null(strstr(err.msg, "its sha256 differs"));
    assert_int_equal(train_from("bad", "shifted.h5", 2, "", 0, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "init.member is 2, but"));
    assert_non_null(strstr(err.msg, "holds 1 network"));
    assert_int_equal(train_from("bad", "missing.h5", 1, "", 0, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "init.model"));
    pf_train_config c;
    config(&c, data, "bad",
           "model:\n  layers:\n    - {kind: timestats, k: 4}\n"
           "    - {kind: dense, out: 16}\n    - relu\n"
           "init: {model: shifted.h5}\n");
    free(c.init_model);
    c.init_model = strdup(path("shifted.h5"));
    assert_int_equal(pf_train(&c, NULL, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "in its layers (from layer 2; 5 layers there, 4 here)"));
    pf_train_config_release(&c);
}

/* A diverging run stops with a message and leaves the last good checkpoint alone: the one of
 * the step before (checkpoint_every: 1), whose weights are finite. */
static void nan_stops(void **state)
{
    (void)state;
    pf_train_config c;
    pf_error err = {0};
    config(&c, data, "nan", SMALL_MODEL "target: {kind: hz}\nepochs: 3\ncheckpoint_every: 1\n"
                                        "optimizer: {kind: sgd, lr: 1.0e+6}\n");
    pf_train_opts o = {0};
    assert_int_equal(pf_train(&c, &o, NULL, &err), -1);
    if (!strstr(err.msg, "not finite") || !strstr(err.msg, "last good state (step "))
        fail_msg("%s", err.msg);
    pf_train_config_release(&c);
    pf_checkpoint ck;
    if (pf_checkpoint_load(path("nan/checkpoint.h5"), &ck, &err)) fail_msg("%s", err.msg);
    char want[64];
    snprintf(want, sizeof want, "(step %llu)", (unsigned long long)ck.step);
    assert_non_null(strstr(err.msg, want));
    assert_true(ck.step >= 1);
    for (size_t i = 0; i < ck.n_params; i++)
        assert_true(isfinite(ck.params[i]));
    pf_checkpoint_release(&ck);
}

static void train_bad_dataset(void **state)
{
    (void)state;
    pf_train_config c;
    pf_error err = {0};
    config(&c, path("missing/dataset.h5"), "bad", SMALL_MODEL);
    pf_train_opts o = {0};
    assert_int_equal(pf_train(&c, &o, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "missing/dataset.h5"));
    pf_train_config_release(&c);
    /* bins that do not cover the labels */
    config(&c, data, "bad", SMALL_MODEL "target: {kind: bins, bins_lo: 60, n_bins: 20}\n");
    assert_int_equal(pf_train(&c, &o, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "outside the bins"));
    pf_train_config_release(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loader_order_and_normalization),
        cmocka_unit_test(loader_limit_and_partial_batch),
        cmocka_unit_test(loader_spectrogram_stores),
        cmocka_unit_test(loader_random_eq),
        cmocka_unit_test(loader_parts),
        cmocka_unit_test(bad_datasets),
        cmocka_unit_test(corrupt_values),
        cmocka_unit_test(checkpoint_round_trip),
        cmocka_unit_test(overfit),
        cmocka_unit_test(deterministic),
        cmocka_unit_test(thread_count_independent),
        cmocka_unit_test(resume_equals_uninterrupted),
        cmocka_unit_test(metrics_before_checkpoint),
        cmocka_unit_test(measured_tuning),
        cmocka_unit_test(init_starts_from_network),
        cmocka_unit_test(init_resume_and_errors),
        cmocka_unit_test(nan_stops),
        cmocka_unit_test(train_bad_dataset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
