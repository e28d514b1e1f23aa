/* Tests for src/nn/onednn_layers.c and plain_layers.c: finite-difference gradients of every layer, layouts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "nn/layers.h"
#include "pitchforge/rng.h"
#include "pitchforge/error.h"

/* A layer under test: x [n][c][h][w] (plain), params w, b; forward gives y, backward dx, dw, db. */
typedef struct lut {
    int n, c, h, w;
    size_t nx, ny, nw, nb;
    float *x, *wt, *b, *r; /* r: the loss weights, loss = sum(r * y) */
    /* ops: */
    pf_nn_ctx *ctx;
    pf_nn_op *op;
    pf_nn_act *src, *ddst;
    /* plain C layers: */
    int kind; /* 0 op, 1 dropout, 2 timestats */
    uint8_t *mask;
    float p;
    int k;
    double *state;
} lut;

static void fill(pf_rng *r, float *v, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)pf_rng_range(r, lo, hi);
}

static pf_nn_layout plain(int n, int c, int h, int w)
{
    return (pf_nn_layout){n, c, h, w, (int64_t)c * h * w, (int64_t)h * w, w, 1, 1,
                          (size_t)n * c * h * w};
}

static void forward(lut *t, float *y)
{
    pf_error err;
    if (t->kind == 0) {
        pf_nn_act_import(t->src, t->x);
        assert_int_equal(pf_nn_op_forward(t->op, t->src, t->wt, t->b, &err), 0);
        pf_nn_act_export(pf_nn_op_dst(t->op), y);
    } else if (t->kind == 1) {
        pf_nn_layout l = plain(t->n, t->c, t->h, t->w);
        pf_nn_dropout_apply(&l, t->mask, t->p, t->x, y, 1);
    } else {
        pf_nn_layout l = plain(t->n, t->c, t->h, t->w);
        pf_nn_timestats_forward(&l, t->k, t->x, y, t->state, 1);
    }
}

static double loss(lut *t, float *y)
{
    forward(t, y);
    double s = 0;
    for (size_t i = 0; i < t->ny; i++)
        s += (double)t->r[i] * y[i];
    return s;
}

static void backward(lut *t, float *y, float *dx, float *dw, float *db)
{
    pf_error err;
    forward(t, y);
    if (t->kind == 0) {
        pf_nn_act_import(t->ddst, t->r);
        assert_int_equal(
            pf_nn_op_backward(t->op, t->src, t->ddst, t->wt, dw, db, 1, &err), 0);
        pf_nn_act_export(pf_nn_op_dsrc(t->op), dx);
    } else if (t->kind == 1) {
        pf_nn_layout l = plain(t->n, t->c, t->h, t->w);
        pf_nn_dropout_apply(&l, t->mask, t->p, t->r, dx, 2);
    } else {
        pf_nn_layout l = plain(t->n, t->c, t->h, t->w);
        pf_nn_timestats_backward(&l, t->k, t->x, t->state, t->r, dx);
    }
}

/* Worst error of the analytic gradient @p g of @p v[n] against central differences. */
static double check(lut *t, float *v, size_t n, const float *g, double eps, float *y)
{
    double scale = 0, worst = 0;
    for (size_t i = 0; i < n; i++)
        scale = fmax(scale, fabs(g[i]));
    for (size_t i = 0; i < n; i++) {
        float keep = v[i];
        v[i] = (float)(keep + eps);
        double lp = loss(t, y);
        v[i] = (float)(keep - eps);
        double lm = loss(t, y);
        v[i] = keep;
        double num = (lp - lm) / (2 * eps);
        double e = fabs(num - g[i]) / fmax(fmax(fabs(num), fabs(g[i])), 0.1 * scale + 1e-12);
        worst = fmax(worst, e);
    }
    return worst;
}

static void gradcheck(lut *t, const char *name, double eps)
{
    float *y = calloc(t->ny, sizeof *y), *dx = calloc(t->nx, sizeof *dx);
    float *dw = calloc(t->nw + 1, sizeof *dw), *db = calloc(t->nb + 1, sizeof *db);
    backward(t, y, dx, dw, db);
    double ex = check(t, t->x, t->nx, dx, eps, y);
    double ew = t->nw ? check(t, t->wt, t->nw, dw, eps, y) : 0;
    double eb = t->nb ? check(t, t->b, t->nb, db, eps, y) : 0;
    printf("gradcheck %-28s worst rel error: dx %.2e  dw %.2e  db %.2e%s%s\n", name, ex, ew, eb,
           t->op ? "  format " : "", t->op ? pf_nn_act_format(pf_nn_op_dst(t->op)) : "");
    assert_true(ex < 1e-2 && ew < 1e-2 && eb < 1e-2);
    free(y), free(dx), free(dw), free(db);
}

static lut *lut_new(int n, int c, int h, int w, size_t ny, size_t nw, size_t nb, uint64_t seed)
{
    lut *t = calloc(1, sizeof *t);
    pf_rng r;
    pf_rng_init(&r, seed, 1, 0);
    *t = (lut){.n = n, .c = c, .h = h, .w = w, .nx = (size_t)n * c * h * w, .ny = ny, .nw = nw,
               .nb = nb};
    t->x = calloc(t->nx, sizeof(float));
    t->wt = calloc(nw + 1, sizeof(float));
    t->b = calloc(nb + 1, sizeof(float));
    t->r = calloc(ny, sizeof(float));
    fill(&r, t->x, t->nx, -1, 1);
    fill(&r, t->wt, nw, -0.5, 0.5);
    fill(&r, t->b, nb, -0.5, 0.5);
    fill(&r, t->r, ny, -1, 1);
    return t;
}

static void lut_free(lut *t)
{
    pf_nn_op_free(t->op);
    pf_nn_act_free(t->src);
    pf_nn_act_free(t->ddst);
    pf_nn_ctx_free(t->ctx);
    free(t->x), free(t->wt), free(t->b), free(t->r), free(t->mask), free(t->state);
    free(t);
}

/* Ops: make ctx, src (plain), the op, and ddst in the dst layout. */
static void lut_op(lut *t, pf_nn_op *(*make)(lut *))
{
    pf_error err;
    t->ctx = pf_nn_ctx_new(1, &err);
    assert_non_null(t->ctx);
    t->src = pf_nn_act_new(t->ctx, t->n, t->c, t->h, t->w, &err);
    assert_non_null(t->src);
    t->op = make(t);
    assert_non_null(t->op);
    t->ddst = pf_nn_act_new_like(pf_nn_op_dst(t->op), &err);
}

static int g_out, g_k;
static pf_nn_op *make_conv(lut *t)
{
    pf_error err;
    return pf_nn_conv_new(t->ctx, t->src, g_out, g_k, 0, &err);
}

static void conv_case(int n, int c, int h, int w, int out, int k, const char *name)
{
    g_out = out, g_k = k;
    lut *t = lut_new(n, c, h, w, (size_t)n * out * h * w, (size_t)out * c * k * k, (size_t)out,
                     7);
    lut_op(t, make_conv);
    gradcheck(t, name, 1e-2);
    lut_free(t);
}

static void conv_grads(void **state)
{
    (void)state;
    conv_case(2, 1, 7, 6, 3, 3, "conv 1->3 k3 (7x6)");
    conv_case(2, 3, 5, 4, 4, 5, "conv 3->4 k5 (5x4)");
    conv_case(2, 16, 6, 5, 32, 3, "conv 16->32 k3 (blocked)");
    conv_case(1, 2, 4, 4, 2, 1, "conv 2->2 k1");
}

/* Distinct values spaced 0.05 apart, so +-eps never changes a max or a sign. */
static void spaced(lut *t)
{
    pf_rng r;
    pf_rng_init(&r, 3, 1, 1);
    for (size_t i = 0; i < t->nx; i++)
        t->x[i] = (float)(0.05 * ((double)i - (double)t->nx / 2) + 0.025);
    for (size_t i = t->nx; i > 1; i--) {
        size_t j = (size_t)pf_rng_below(&r, i);
        float s = t->x[i - 1];
        t->x[i - 1] = t->x[j], t->x[j] = s;
    }
}

static pf_nn_op *make_pool(lut *t)
{
    pf_error err;
    return pf_nn_pool_new(t->ctx, t->src, g_k, &err);
}

static void pool_grads(void **state)
{
    (void)state;
    int cases[][5] = {{2, 3, 6, 4, 2}, {1, 16, 7, 5, 2}, {2, 2, 9, 9, 3}};
    for (int i = 0; i < 3; i++) {
        int *c = cases[i];
        g_k = c[4];
        lut *t = lut_new(c[0], c[1], c[2], c[3], (size_t)c[0] * c[1] * (c[2] / c[4]) * (c[3] / c[4]),
                         0, 0, 11);
        spaced(t);
        lut_op(t, make_pool);
        char name[64];
        snprintf(name, sizeof name, "maxpool %d (%dx%dx%d)", c[4], c[1], c[2], c[3]);
        gradcheck(t, name, 1e-3);
        lut_free(t);
    }
}

static pf_nn_op *make_relu(lut *t)
{
    pf_error err;
    return pf_nn_relu_new(t->ctx, t->src, 0, &err);
}

static void relu_grads(void **state)
{
    (void)state;
    lut *t = lut_new(2, 3, 4, 5, 120, 0, 0, 13);
    spaced(t);
    lut_op(t, make_relu);
    gradcheck(t, "relu", 1e-3);
    lut_free(t);
}

static pf_nn_op *make_dense(lut *t)
{
    pf_error err;
    return pf_nn_dense_new(t->ctx, t->src, g_out, &err);
}

static void dense_grads(void **state)
{
    (void)state;
    g_out = 5;
    lut *t = lut_new(3, 2, 3, 4, 15, 5 * 24, 5, 17);
    lut_op(t, make_dense);
    gradcheck(t, "dense 24->5", 1e-2);
    lut_free(t);
}

/* Dense after a blocked conv output: the flatten goes through a reorder to NCHW. */
static void dense_after_blocked(void **state)
{
    (void)state;
    pf_error err;
    pf_nn_ctx *ctx = pf_nn_ctx_new(1, &err);
    pf_nn_act *x = pf_nn_act_new(ctx, 2, 16, 4, 3, &err);
    pf_nn_op *conv = pf_nn_conv_new(ctx, x, 32, 3, 0, &err);
    assert_non_null(conv);
    pf_nn_act *y = pf_nn_op_dst(conv);
    printf("conv 16->32 output format: %s (%s)\n", pf_nn_act_format(y), pf_nn_op_impl(conv));
    pf_nn_op *d = pf_nn_dense_new(ctx, y, 3, &err);
    assert_non_null(d);
    /* a known input: y[n][c][h][w] = n*1000 + c*100 + h*10 + w; weights pick one element each */
    float in[2 * 32 * 12], w[3 * 384] = {0}, b[3] = {0.5f, 0, 0}, out[6];
    for (int i = 0; i < 2 * 384; i++) {
        int n = i / 384, c = i / 12 % 32, h = i / 3 % 4, ww = i % 3;
        in[i] = (float)(n * 1000 + c * 100 + h * 10 + ww);
    }
    pf_nn_act_import(y, in);
    w[0 * 384 + 0] = 1;              /* (c0, h0, w0) */
    w[1 * 384 + 5 * 12 + 2 * 3 + 1] = 1; /* (c5, h2, w1) */
    w[2 * 384 + 31 * 12 + 3 * 3 + 2] = 1;
    assert_int_equal(pf_nn_op_forward(d, y, w, b, &err), 0);
    pf_nn_act_export(pf_nn_op_dst(d), out);
    float want[6] = {0.5f, 521, 3132, 1000.5f, 1521, 4132};
    for (int i = 0; i < 6; i++)
        assert_float_equal(out[i], want[i], 1e-3);
    pf_nn_op_free(d);
    pf_nn_op_free(conv);
    pf_nn_act_free(x);
    pf_nn_ctx_free(ctx);
}

static void dropout_grads(void **state)
{
    (void)state;
    lut *t = lut_new(2, 3, 4, 5, 120, 0, 0, 19);
    t->kind = 1;
    t->p = 0.3f;
    t->mask = calloc(t->nx, 1);
    pf_nn_layout l = plain(2, 3, 4, 5);
    pf_nn_dropout_mask(&l, t->p, 99, 4, t->mask);
    size_t kept = 0;
    for (size_t i = 0; i < t->nx; i++)
        kept += t->mask[i];
    assert_true(kept > 60 && kept < 110);
    gradcheck(t, "dropout p=0.3 (fixed mask)", 1e-2);
    /* same key, same mask; another layer, another mask */
    uint8_t *m2 = calloc(t->nx, 1), *m3 = calloc(t->nx, 1);
    pf_nn_dropout_mask(&l, t->p, 99, 4, m2);
    pf_nn_dropout_mask(&l, t->p, 99, 5, m3);
    assert_memory_equal(t->mask, m2, t->nx);
    for (int n = 0; n < 2; n++) { /* the documented stream: pf_rng (seed, stream, layer<<32|n) */
        pf_rng r;
        pf_rng_init(&r, 99, PF_NN_STREAM_DROPOUT, (uint64_t)4 << 32 | (uint64_t)n);
        for (int i = 0; i < 60; i += 2) {
            uint32_t word = pf_rng_u32(&r), cut = 19661; /* round(0.3 * 65536) */
            assert_int_equal(t->mask[n * 60 + i], (word & 0xffff) >= cut);
            assert_int_equal(t->mask[n * 60 + i + 1], (word >> 16) >= cut);
        }
    }
    assert_true(memcmp(t->mask, m3, t->nx) != 0);
    free(m2), free(m3);
    lut_free(t);
}

static void timestats_grads(void **state)
{
    (void)state;
    int k = 3, h = 4, w = 9;
    lut *t = lut_new(2, 1, h, w, (size_t)2 * h * (2 + k), 0, 0, 23);
    t->kind = 2;
    t->k = k;
    pf_nn_layout l = plain(2, 1, h, w);
    t->state = calloc(pf_nn_timestats_state_len(&l, k), sizeof(double));
    gradcheck(t, "timestats k=3 (4 bins x 9)", 1e-3);
    /* values: a pure modulation at frequency 2 shows only in |X_2| */
    float x[9], y[5];
    for (int i = 0; i < 9; i++)
        x[i] = 1.0f + (float)cos(2 * M_PI * 2 * i / 9.0);
    pf_nn_layout l1 = plain(1, 1, 1, 9);
    pf_nn_timestats_forward(&l1, k, x, y, t->state, 2);
    assert_float_equal(y[0], 1.0f, 1e-6);
    assert_float_equal(y[1], sqrt(0.5), 1e-6);
    assert_float_equal(y[2], 0.0f, 1e-6);
    assert_float_equal(y[3], 0.5f, 1e-6);
    assert_float_equal(y[4], 0.0f, 1e-6);
    /* rows shared over 1 or 3 threads: the same bits */
    float xb[2 * 4 * 9], y1[2 * 4 * 5], y3[2 * 4 * 5];
    for (int i = 0; i < 2 * 4 * 9; i++)
        xb[i] = (float)sin(0.37 * i * i + 1.0);
    size_t ns = pf_nn_timestats_state_len(&l, k);
    double *s1 = calloc(ns, sizeof *s1), *s3 = calloc(ns, sizeof *s3);
    pf_nn_timestats_forward(&l, k, xb, y1, s1, 1);
    pf_nn_timestats_forward(&l, k, xb, y3, s3, 3);
    assert_memory_equal(y1, y3, sizeof y1);
    assert_memory_equal(s1, s3, ns * sizeof *s1);
    free(s1);
    free(s3);
    lut_free(t);
}

static void bad_ops(void **state)
{
    (void)state;
    pf_error err;
    pf_nn_ctx *ctx = pf_nn_ctx_new(1, &err);
    pf_nn_act *x = pf_nn_act_new(ctx, 1, 1, 4, 4, &err);
    assert_null(pf_nn_conv_new(ctx, x, 4, 2, 0, &err));
    assert_int_equal(err.code, PF_EINVAL);
    assert_null(pf_nn_pool_new(ctx, x, 5, &err));
    assert_int_equal(err.code, PF_EINVAL);
    assert_null(pf_nn_dense_new(ctx, x, 0, &err));
    assert_int_equal(err.code, PF_EINVAL);
    assert_null(pf_nn_act_new(ctx, 1, 0, 1, 1, &err));
    assert_null(pf_nn_ctx_new(0, &err));
    pf_nn_act_free(x);
    pf_nn_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_grads),      cmocka_unit_test(pool_grads),
        cmocka_unit_test(relu_grads),      cmocka_unit_test(dense_grads),
        cmocka_unit_test(dense_after_blocked), cmocka_unit_test(dropout_grads),
        cmocka_unit_test(timestats_grads), cmocka_unit_test(bad_ops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
