/*
 * Tests for src/nn/model.c and modelfile.c: PyTorch parity (tests/fixtures/nn_parity.h5, made
 * by tests/ref/make_nn_fixture.py), a numpy forward over a saved model file
 * (tests/ref/model_forward.py, run with $PY or /usr/bin/python3), the whole model's input
 * gradient against finite differences (dropout, fused conv + ReLU), failure paths, determinism.
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
#include "pitchforge/rng.h"
#include "pitchforge/error.h"

#define FIXTURE "tests/fixtures/nn_parity.h5"

#define CONV(n, k) {.kind = PF_LAYER_CONV, .out = (n), .kernel = (k)}
#define POOL(p) {.kind = PF_LAYER_MAXPOOL, .pool = (p)}
#define DROP(q) {.kind = PF_LAYER_DROPOUT, .p = (q)}
#define RELU {.kind = PF_LAYER_RELU}
#define DENSE(n) {.kind = PF_LAYER_DENSE, .out = (n)}
#define TSTATS(K) {.kind = PF_LAYER_TIMESTATS, .k = (K)}
#define TSMAP(K)                                                                                   \
    {                                                                                              \
        .kind = PF_LAYER_TIMESTATS_MAP, .k = (K)                                                   \
    }
#define HARM(K, N, LO, STEP, HZ)                                                                   \
    {                                                                                              \
        .kind = PF_LAYER_HARMONICS, .k = (K), .out = (N), .lo = (LO), .step = (STEP), .hz = (HZ)   \
    }

static const char *tmp_dir(void)
{
    return getenv("PF_TEST_TMP") ? getenv("PF_TEST_TMP") : "/tmp";
}

static void fill_normal(float *v, size_t n, uint64_t seed)
{
    pf_rng r;
    pf_rng_init(&r, seed, 1, 0);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)pf_rng_normal(&r);
}

/* max |a - b| / max |b| */
static double rel_err(const float *a, const float *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, fabs((double)a[i] - b[i]));
        s = fmax(s, fabs((double)b[i]));
    }
    return d / (s > 0 ? s : 1);
}

/* ---- PyTorch parity ---- */

static float *read_fixture(pf_h5id g, const char *name, size_t n)
{
    pf_error err;
    int rank;
    uint64_t dims[PF_H5_MAX_RANK], total = 1;
    pf_h5id d = pf_h5_dset_open(g, name, &err);
    assert_true(d >= 0);
    assert_int_equal(pf_h5_dset_shape(d, &rank, dims, &err), 0);
    for (int i = 0; i < rank; i++)
        total *= dims[i];
    assert_int_equal(total, n);
    float *v = malloc(n * sizeof *v);
    pf_h5id t = pf_h5_type(PF_H5_F32);
    assert_int_equal(pf_h5_dset_read(d, t, v, &err), 0);
    pf_h5_close(t);
    pf_h5_close(d);
    return v;
}

static void parity(const char *group, pf_layer_spec *layers, size_t n_layers, int c, int h, int w,
                   const char *layer_names, int threads)
{
    pf_error err;
    pf_h5id f = pf_h5_open(FIXTURE, 0, &err);
    assert_true(f >= 0);
    pf_h5id g = pf_h5_group_open(f, group, &err);
    assert_true(g >= 0);
    char *names = pf_h5_attr_text(g, "layers", &err);
    assert_string_equal(names, layer_names); /* the fixture is the network below */
    free(names);
    pf_model_spec spec = {c, h, w, layers, n_layers};
    pf_model *m = pf_model_new(&spec, 2, threads, &err);
    assert_non_null(m);
    size_t nx = 2 * pf_model_in_size(m), ny = 2 * pf_model_out_size(m);
    float *x = read_fixture(g, "x", nx), *dy = read_fixture(g, "dy", ny);
    float *y_ref = read_fixture(g, "y", ny), *dx_ref = read_fixture(g, "dx", nx);
    float *y = calloc(ny, sizeof *y), *dx = calloc(nx, sizeof *dx);
    for (size_t i = 0; i < n_layers; i++) {
        pf_param_view v;
        char name[64];
        pf_model_param_view(m, i, &v);
        if (!v.weight_len) continue;
        snprintf(name, sizeof name, "param_%zu_weight", i);
        float *p = read_fixture(g, name, v.weight_len);
        memcpy(pf_model_params(m) + v.weight_off, p, v.weight_len * sizeof *p);
        free(p);
        snprintf(name, sizeof name, "param_%zu_bias", i);
        p = read_fixture(g, name, v.bias_len);
        memcpy(pf_model_params(m) + v.bias_off, p, v.bias_len * sizeof *p);
        free(p);
    }
    assert_int_equal(pf_model_forward(m, x, y, 1, 1, &err), 0);
    assert_int_equal(pf_model_backward_dx(m, dy, dx, &err), 0);
    double ey = rel_err(y, y_ref, ny), edx = rel_err(dx, dx_ref, nx), eg = 0;
    for (size_t i = 0; i < n_layers; i++) {
        pf_param_view v;
        char name[64];
        pf_model_param_view(m, i, &v);
        if (!v.weight_len) continue;
        snprintf(name, sizeof name, "grad_%zu_weight", i);
        float *gw = read_fixture(g, name, v.weight_len);
        snprintf(name, sizeof name, "grad_%zu_bias", i);
        float *gb = read_fixture(g, name, v.bias_len);
        double ew = rel_err(pf_model_grads(m) + v.weight_off, gw, v.weight_len);
        double eb = rel_err(pf_model_grads(m) + v.bias_off, gb, v.bias_len);
        printf("parity %s (%d threads) layer %zu: dW %.2e  db %.2e\n", group, threads, i, ew, eb);
        eg = fmax(eg, fmax(ew, eb));
        free(gw), free(gb);
    }
    printf("parity %s (%d threads): y %.2e  dx %.2e  grads %.2e (max error / max |ref|)\n", group,
           threads, ey, edx, eg);
    assert_true(ey < 1e-4 && edx < 1e-4 && eg < 1e-4);
    free(x), free(dy), free(y_ref), free(dx_ref), free(y), free(dx);
    pf_model_free(m);
    pf_h5_close(g);
    pf_h5_close_file(f, NULL);
}

static void parity_cnn(void **state)
{
    (void)state;
    pf_layer_spec L[] = {CONV(16, 3), RELU, POOL(2), CONV(16, 3), RELU, POOL(2),
                         DENSE(8),    RELU, DENSE(3)};
    const char *names = "conv, relu, maxpool, conv, relu, maxpool, dense, relu, dense";
    parity("cnn", L, 9, 1, 12, 10, names, 1);
    parity("cnn", L, 9, 1, 12, 10, names, 2);
}

static void parity_timestats(void **state)
{
    (void)state;
    pf_layer_spec L[] = {TSTATS(3), DENSE(5), RELU, DENSE(2)};
    parity("tstats", L, 4, 1, 6, 16, "timestats, dense, relu, dense", 1);
}

static void parity_timestats_map(void **state)
{
    (void)state;
    pf_layer_spec L[] = {TSMAP(3),
                         CONV(4, 3),
                         RELU,
                         CONV(4, 5),
                         RELU,
                         POOL(2),
                         DENSE(3)};
    const char *names = "timestats_map, conv, relu, conv, relu, maxpool, dense";
    parity("tsmap", L, 7, 1, 6, 16, names, 1);
    parity("tsmap", L, 7, 1, 6, 16, names, 2);
}

/* harmonics between convs along linear and log frequency (in whatever layout the conv before
 * it leaves) */
static void parity_harmonics(void **state)
{
    (void)state;
    pf_layer_spec L[] = {TSMAP(3),   CONV(3, 3), HARM(4, 10, 45, 300, 50),
                         CONV(4, 3), RELU,       DENSE(3)};
    const char *names = "timestats_map, conv, harmonics, conv, relu, dense";
    parity("harm", L, 6, 1, 24, 16, names, 1);
    parity("harm", L, 6, 1, 24, 16, names, 2);
}

/* ---- the whole model against finite differences ---- */

static double model_loss(pf_model *m, const float *x, float *y, const float *r, size_t ny)
{
    pf_error err;
    assert_int_equal(pf_model_forward(m, x, y, 1, 77, &err), 0); /* same seed: same masks */
    double s = 0;
    for (size_t i = 0; i < ny; i++)
        s += (double)r[i] * y[i];
    return s;
}

/* dx of the whole model @p L on [1][h][w] against central differences: the worst relative error */
static double gradcheck(pf_layer_spec *L, size_t n_layers, int h, int w)
{
    pf_model_spec spec = {1, h, w, L, n_layers};
    pf_error err;
    pf_model *m = pf_model_new(&spec, 2, 1, &err);
    assert_non_null(m);
    pf_model_init_params(m, 3);
    size_t nx = 2 * pf_model_in_size(m), ny = 2 * pf_model_out_size(m);
    float *x = malloc(nx * 4), *y = malloc(ny * 4), *r = malloc(ny * 4), *dx = malloc(nx * 4);
    fill_normal(x, nx, 1);
    fill_normal(r, ny, 2);
    model_loss(m, x, y, r, ny);
    assert_int_equal(pf_model_backward_dx(m, r, dx, &err), 0);
    double worst = 0, scale = 0, eps = 1e-3;
    for (size_t i = 0; i < nx; i++)
        scale = fmax(scale, fabs(dx[i]));
    for (size_t i = 0; i < nx; i++) {
        float keep = x[i];
        x[i] = keep + (float)eps;
        double lp = model_loss(m, x, y, r, ny);
        x[i] = keep - (float)eps;
        double lm = model_loss(m, x, y, r, ny);
        x[i] = keep;
        double num = (lp - lm) / (2 * eps);
        worst = fmax(worst, fabs(num - dx[i]) / fmax(fmax(fabs(num), fabs(dx[i])), 0.1 * scale));
    }
    free(x), free(y), free(r), free(dx);
    pf_model_free(m);
    return worst;
}

static void model_gradcheck(void **state)
{
    (void)state;
    pf_layer_spec L[] = {CONV(4, 3), RELU, DROP(0.5f), POOL(2), CONV(16, 3), RELU, DENSE(3)};
    double worst = gradcheck(L, 7, 8, 6);
    printf("model gradcheck (conv+relu fused, dropout, pool, conv, dense): dx worst %.2e\n", worst);
    assert_true(worst < 1e-2);
    /* harmonics keeping the time axis: [c][freq][time] -> [c k][bins][time] */
    pf_layer_spec H[] = {CONV(3, 3), RELU, HARM(3, 10, 45, 300, 50), CONV(2, 3), DENSE(3)};
    worst = gradcheck(H, 5, 24, 6);
    printf("model gradcheck (conv, harmonics over time, conv, dense): dx worst %.2e\n", worst);
    assert_true(worst < 1e-2);
}

/* ---- numpy and PyTorch forward over a saved model ---- */

/* Run `@p script MODEL X 3 OUT` and read its [ny] float32 outputs into @p yr. */
static void run_ref(const char *script, const char *model, const char *xin, const char *yout,
                    float *yr, size_t ny)
{
    char cmd[2048];
    const char *py = getenv("PY") ? getenv("PY") : "/usr/bin/python3";
    snprintf(cmd, sizeof cmd, "%s %s %s %s 3 %s", py, script, model, xin, yout);
    assert_int_equal(system(cmd), 0);
    FILE *fy = fopen(yout, "rb");
    assert_non_null(fy);
    assert_int_equal(fread(yr, 4, ny, fy), ny);
    fclose(fy);
    unlink(yout);
}

/* pf_model_forward of a saved model with random weights against tests/ref/model_forward.py
 * (numpy) and against examples/pitch_model.py's torch modules (tests/ref/torch_check.py), on
 * the same 3 inputs; the torch network then takes one fine-tuning step. */
static void numpy_case(pf_layer_spec *L, size_t n, int c, int h, int w, const char *tag)
{
    pf_error err;
    char model[400], xin[512], yout[512], cmd[2048];
    snprintf(model, sizeof model, "%s/nn_%s_%d.h5", tmp_dir(), tag, (int)getpid());
    snprintf(xin, sizeof xin, "%s.x", model);
    snprintf(yout, sizeof yout, "%s.y", model);
    pf_model_spec spec = {c, h, w, L, n};
    pf_model *m = pf_model_new(&spec, 3, 2, &err);
    assert_non_null(m);
    pf_model_init_params(m, 11);
    float mean[64] = {0}, sd[64] = {0};
    pf_model_meta meta = {.target = "hz", .input = "log", .norm_mean = mean, .norm_std = sd,
                          .norm_len = (size_t)h, .config_text = "preset: test\n"};
    assert_int_equal(pf_model_save(model, m, &spec, &meta, &err), 0);
    size_t nx = 3 * pf_model_in_size(m), ny = 3 * pf_model_out_size(m);
    float *x = malloc(nx * 4), *y = malloc(ny * 4), *yr = calloc(ny, 4), *yt = calloc(ny, 4);
    fill_normal(x, nx, 5);
    FILE *fx = fopen(xin, "wb");
    assert_int_equal(fwrite(x, 4, nx, fx), nx);
    fclose(fx);
    run_ref("tests/ref/model_forward.py", model, xin, yout, yr, ny);
    run_ref("tests/ref/torch_check.py forward", model, xin, yout, yt, ny);
    assert_int_equal(pf_model_forward(m, x, y, 0, 0, &err), 0);
    double e = rel_err(y, yr, ny), et = rel_err(yt, y, ny);
    printf("numpy forward (%s) vs pf_model_forward: %.2e\n", tag, e);
    printf("torch loader (%s) vs pf_model_forward: %.2e (max error / max |C output|)\n", tag, et);
    assert_true(e < 1e-4);
    assert_true(et < 1e-4);
    const char *py = getenv("PY") ? getenv("PY") : "/usr/bin/python3";
    snprintf(cmd, sizeof cmd, "%s tests/ref/torch_check.py finetune %s", py, model);
    assert_int_equal(system(cmd), 0);
    unlink(model), unlink(xin);
    free(x), free(y), free(yr), free(yt);
    pf_model_free(m);
}

static void numpy_forward(void **state)
{
    (void)state;
    pf_layer_spec A[] = {CONV(16, 3), RELU,     POOL(2), DROP(0.3f), CONV(32, 5),
                         RELU,        POOL(2),  DENSE(6), RELU,      DENSE(3)};
    numpy_case(A, 10, 1, 16, 12, "cnn");
    pf_layer_spec B[] = {TSTATS(4), DENSE(7), RELU, DENSE(2)};
    numpy_case(B, 4, 1, 8, 16, "tstats");
    pf_layer_spec C[] = {TSMAP(5),
                         CONV(6, 5),
                         RELU,
                         POOL(2),
                         DROP(0.2f),
                         CONV(4, 3),
                         RELU,
                         DENSE(3)};
    numpy_case(C, 8, 1, 9, 16, "tsmap"); /* convs and pool along the 9 bins */
    pf_layer_spec D[] = {TSMAP(3),   CONV(5, 3), RELU,    HARM(6, 12, 40.5f, 170, 62.5f),
                         CONV(4, 5), RELU,       DENSE(3)};
    numpy_case(D, 7, 1, 32, 16, "harmonics"); /* lo, step, hz through the file */
    pf_layer_spec T[] = {CONV(3, 3), RELU, HARM(4, 10, 45, 300, 50), CONV(2, 3), RELU, DENSE(3)};
    numpy_case(T, 6, 1, 24, 6, "harmonics_time"); /* frequency along H, time kept along W */
    /* every kind in one network, each custom layer with parameters before it (the fine-tuning
     * step needs gradients through all three): 2-D conv, pool, dropout, a conv to one channel,
     * timestats_map, harmonics (its upper bins past the input: zeros), convs along the bins,
     * timestats of the one-row map, dense */
    pf_layer_spec E[] = {CONV(3, 3),  RELU,       POOL(2),   DROP(0.2f),
                         CONV(1, 3),  TSMAP(2),   HARM(3, 10, 40, 250, 50),
                         CONV(4, 3),  RELU,       CONV(1, 3), TSTATS(2),
                         DENSE(5),    RELU,       DENSE(3)};
    numpy_case(E, 14, 1, 20, 12, "every_kind");
}

/* ---- model files ---- */

static void save_load(void **state)
{
    (void)state;
    pf_error err;
    char path[512];
    snprintf(path, sizeof path, "%s/nn_roundtrip_%d.h5", tmp_dir(), (int)getpid());
    pf_layer_spec L[] = {CONV(4, 3), RELU, POOL(2), DROP(0.25f), DENSE(5)};
    pf_model_spec spec = {1, 8, 6, L, 5};
    pf_model *m = pf_model_new(&spec, 2, 1, &err);
    pf_model_init_params(m, 9);
    float mean[8] = {1, 2, 3, 4, 5, 6, 7, 8}, sd[8] = {1, 1, 1, 1, 2, 2, 2, 2};
    pf_model_meta meta = {.target = "bins", .bins_lo_midi = 21, .bins_step = 0.2, .n_bins = 440,
                          .input = "log", .norm_mean = mean, .norm_std = sd, .norm_len = 8,
                          .config_text = "model:\n  preset: seed\n"};
    assert_int_equal(pf_model_save(path, m, &spec, &meta, &err), 0);
    pf_model_spec s2;
    pf_model_meta m2;
    pf_model *l = pf_model_load(path, 4, 1, &s2, &m2, &err);
    assert_non_null(l);
    assert_int_equal(s2.n_layers, 5);
    assert_memory_equal(s2.layers, L, sizeof L);
    assert_int_equal(pf_model_batch(l), 4);
    assert_int_equal(pf_model_n_params(l), pf_model_n_params(m));
    assert_memory_equal(pf_model_params(l), pf_model_params(m), pf_model_n_params(m) * 4);
    assert_string_equal(m2.target, "bins");
    assert_string_equal(m2.input, "log");
    assert_int_equal(m2.n_bins, 440);
    assert_float_equal(m2.bins_step, 0.2, 1e-12);
    assert_int_equal(m2.norm_len, 8);
    assert_memory_equal(m2.norm_std, sd, sizeof sd);
    assert_string_equal(m2.config_text, meta.config_text);
    pf_model_spec_release(&s2);
    pf_model_meta_release(&m2);
    pf_model_free(l);

    /* another schema version: refused, naming it */
    pf_h5id f = pf_h5_open(path, 1, &err);
    assert_int_equal(pf_h5_attr_str(f, "schema", "pitchforge-model/2", &err), 0);
    pf_h5_close_file(f, NULL);
    assert_null(pf_model_load(path, 1, 1, &s2, &m2, &err));
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, "pitchforge-model/2"));
    printf("other schema: %s\n", err.msg);
    /* not a model at all */
    f = pf_h5_create(path, &err);
    pf_h5_close_file(f, NULL);
    assert_null(pf_model_load(path, 1, 1, &s2, &m2, &err));
    assert_int_equal(err.code, PF_ESCHEMA);
    unlink(path);
    /* missing file */
    assert_null(pf_model_load(path, 1, 1, &s2, &m2, &err));
    assert_int_equal(err.code, PF_EIO);
    printf("missing: %s\n", err.msg);
    pf_model_free(m);
}

/* A saved model with /meta (no config) at @p path, for crafting. */
static void save_plain(const char *path)
{
    pf_error err;
    pf_layer_spec L[] = {DENSE(3)};
    pf_model_spec spec = {1, 4, 1, L, 1};
    pf_model *m = pf_model_new(&spec, 1, 1, &err);
    pf_model_meta meta = {.target = "hz", .input = "log"};
    assert_int_equal(pf_model_save(path, m, &spec, &meta, &err), 0);
    pf_model_free(m);
}

/* Load @p path: refused with PF_ESCHEMA naming the file and @p what. */
static void expect_refused(const char *path, const char *what)
{
    pf_error err = {0};
    pf_model_spec s;
    pf_model_meta mm;
    assert_null(pf_model_load(path, 1, 1, &s, &mm, &err));
    printf("refused: %s\n", err.msg);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, what));
}

/* /meta/config of 64 strings and /meta numbers that are arrays overran read_meta's stack slots
 * (predict, eval, ensemble and train's init all load through it): each is refused. */
static void crafted_meta(void **state)
{
    (void)state;
    pf_error err = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/nn_crafted_%d.h5", tmp_dir(), (int)getpid());
    const char *strs[64];
    int32_t ints[1000] = {0};
    for (int i = 0; i < 64; i++)
        strs[i] = "model: {preset: seed}";
    save_plain(path);
    pf_h5id f = pf_h5_open(path, 1, &err), g = pf_h5_group_open(f, "meta", &err);
    pf_h5id t = pf_h5_type_str(0);
    assert_int_equal(pf_h5_write_1d(g, "config", t, 64, strs, &err), 0);
    pf_h5_close(t);
    pf_h5_close(g);
    pf_h5_close_file(f, NULL);
    expect_refused(path, "/meta/config is not one string");
    static const char *const nums[] = {"n_bins", "stft_nfft", "bins_step"};
    for (int k = 0; k < 3; k++) {
        save_plain(path);
        f = pf_h5_open(path, 1, &err), g = pf_h5_group_open(f, "meta", &err);
        t = pf_h5_type(PF_H5_I32);
        assert_int_equal(pf_h5_attr_write(g, nums[k], t, 1000, ints, &err), 0);
        pf_h5_close(t);
        pf_h5_close(g);
        pf_h5_close_file(f, NULL);
        expect_refused(path, nums[k]);
    }
    unlink(path);
}

/* ---- bad specs ---- */

static void expect_bad(pf_layer_spec *L, size_t n, int c, int h, int w, const char *what)
{
    pf_error err;
    pf_model_spec spec = {c, h, w, L, n};
    assert_null(pf_model_new(&spec, 2, 1, &err));
    assert_int_equal(err.code, PF_EINVAL);
    printf("bad spec (%s): %s\n", what, err.msg);
}

static void bad_specs(void **state)
{
    (void)state;
    pf_layer_spec even[] = {CONV(4, 4)};
    expect_bad(even, 1, 1, 8, 8, "even kernel");
    pf_layer_spec pool[] = {CONV(4, 3), POOL(9)};
    expect_bad(pool, 2, 1, 8, 8, "pool larger than input");
    pf_layer_spec dense0[] = {DENSE(0)};
    expect_bad(dense0, 1, 1, 8, 8, "dense with 0 units");
    pf_layer_spec drop1[] = {DROP(1.0f)};
    expect_bad(drop1, 1, 1, 8, 8, "dropout p = 1");
    pf_layer_spec ts[] = {CONV(2, 3), TSTATS(2)};
    expect_bad(ts, 2, 1, 8, 8, "timestats on 2 channels");
    pf_layer_spec tsk[] = {TSTATS(5)};
    expect_bad(tsk, 1, 1, 8, 8, "timestats k > frames / 2");
    pf_layer_spec h0[] = {TSMAP(2), HARM(3, 8, 40, 0, 50)};
    expect_bad(h0, 2, 1, 8, 8, "harmonics with step 0");
    pf_layer_spec h1[] = {TSMAP(2), HARM(1, 8, 40, 100, 50)};
    expect_bad(h1, 2, 1, 8, 8, "harmonics with one group");
    expect_bad(NULL, 0, 1, 8, 8, "no layers");
    pf_error err;
    pf_layer_spec ok[] = {DENSE(2)};
    pf_model_spec spec = {1, 8, 8, ok, 1};
    assert_null(pf_model_new(&spec, 0, 1, &err));
    assert_null(pf_model_new(&spec, 1, 0, &err));
    pf_model *m = pf_model_new(&spec, 1, 1, &err);
    float x[64] = {0}, y[2], dy[2] = {1, 1};
    assert_int_equal(pf_model_forward(m, x, y, 0, 0, &err), 0);
    assert_int_equal(pf_model_backward(m, dy, &err), -1); /* after an inference forward */
    pf_model_free(m);
    pf_model_free(NULL);
}

/* ---- determinism ---- */

static void run_once(pf_model_spec *spec, int threads, float *y, float *g, float *dx)
{
    pf_error err;
    pf_model *m = pf_model_new(spec, 4, threads, &err);
    assert_non_null(m);
    pf_model_init_params(m, 21);
    size_t nx = 4 * pf_model_in_size(m), ny = 4 * pf_model_out_size(m);
    float *x = malloc(nx * 4), *dy = malloc(ny * 4);
    fill_normal(x, nx, 8);
    fill_normal(dy, ny, 9);
    assert_int_equal(pf_model_forward(m, x, y, 1, 1234, &err), 0);
    assert_int_equal(pf_model_backward_dx(m, dy, dx, &err), 0);
    memcpy(g, pf_model_grads(m), pf_model_n_params(m) * 4);
    free(x), free(dy);
    pf_model_free(m);
}

static void determinism(void **state)
{
    (void)state;
    pf_layer_spec L[] = {DROP(0.2f), CONV(16, 3), RELU, POOL(2), DROP(0.25f), CONV(32, 3), RELU,
                         POOL(2),    DENSE(16),   RELU, DROP(0.5f), DENSE(3)};
    pf_model_spec spec = {1, 40, 24, L, 12};
    pf_error err;
    pf_model *m = pf_model_new(&spec, 4, 1, &err);
    size_t np = pf_model_n_params(m), ny = 4 * pf_model_out_size(m), nx = 4 * 40 * 24;
    pf_model_free(m);
    for (int threads = 1; threads <= 2; threads++) {
        float *y1 = malloc(ny * 4), *y2 = malloc(ny * 4), *g1 = malloc(np * 4), *g2 = malloc(np * 4);
        float *d1 = malloc(nx * 4), *d2 = malloc(nx * 4);
        run_once(&spec, threads, y1, g1, d1);
        run_once(&spec, threads, y2, g2, d2);
        assert_memory_equal(y1, y2, ny * 4);
        size_t diff = 0;
        for (size_t i = 0; i < np; i++)
            diff += g1[i] != g2[i];
        if (diff) printf("%d threads: %zu of %zu gradients differ\n", threads, diff, np);
        assert_memory_equal(g1, g2, np * 4);
        assert_memory_equal(d1, d2, nx * 4);
        free(y1), free(y2), free(g1), free(g2), free(d1), free(d2);
    }
}

static void init_params(void **state)
{
    (void)state;
    pf_error err;
    pf_layer_spec L[] = {CONV(8, 3), DENSE(4)};
    pf_model_spec spec = {2, 5, 5, L, 2};
    pf_model *m = pf_model_new(&spec, 1, 1, &err);
    pf_param_view v;
    assert_int_equal(pf_model_param_view(m, 0, &v), 0);
    assert_int_equal(v.weight_len, 8 * 2 * 9);
    assert_int_equal(v.weight_rank, 4);
    assert_int_equal(v.weight_shape[1], 2);
    assert_int_equal(pf_model_param_view(m, 1, &v), 0);
    assert_int_equal(v.weight_shape[1], 8 * 25);
    assert_int_equal(pf_model_param_view(m, 2, &v), -1);
    pf_model_init_params(m, 1);
    float lo = 1e9f, hi = -1e9f, bound = 1.0f / sqrtf(18.0f);
    for (size_t i = 0; i < 144; i++)
        lo = fminf(lo, pf_model_params(m)[i]), hi = fmaxf(hi, pf_model_params(m)[i]);
    assert_true(lo >= -bound && hi <= bound && lo < -0.8f * bound && hi > 0.8f * bound);
    pf_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crafted_meta),
        cmocka_unit_test(parity_cnn),
        cmocka_unit_test(parity_timestats),
        cmocka_unit_test(parity_timestats_map),
        cmocka_unit_test(model_gradcheck),
        cmocka_unit_test(parity_harmonics),
        cmocka_unit_test(numpy_forward),
        cmocka_unit_test(save_load),
        cmocka_unit_test(bad_specs),
        cmocka_unit_test(determinism),
        cmocka_unit_test(init_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
