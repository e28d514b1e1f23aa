/* The model: a layer sequence, shape inference, one parameter and one gradient allocation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "nn/layers.h"
#include "pitchforge/nn.h"
#include "pitchforge/rng.h"
#include "pitchforge/error.h"

const char *const pf_layer_names[PF_LAYER_COUNT] = {
    "conv", "maxpool", "relu", "dropout", "dense", "timestats", "timestats_map", "harmonics"};

typedef struct layer {
    pf_layer_spec s;
    uint32_t index;
    int in_c;        /* input channels */
    int c, h, w;     /* output shape of one example */
    const struct layer_ops *ops; /* how it runs (by kind, or fused with its neighbours) */
    pf_param_view v; /* where the parameters sit */
    pf_nn_op *op;    /* conv, maxpool, relu, dense (NULL: a ReLU folded into conv and pool) */
    pf_nn_op *relu;  /* maxpool after conv + ReLU: the ReLU's backward on the pooled gradient */
    pf_nn_act *in;   /* the input of the last forward */
    pf_nn_act *dst;  /* dropout, timestats: output [batch][c][h][w] */
    pf_nn_act *dsrc; /* timestats: input gradient */
    uint8_t *mask;   /* dropout: [batch][in c][h][w] keep flags */
    double *state;   /* timestats: [batch][h][2 + 2k] */
    float *flat;     /* timestats_map: the statistics [batch][bins][2 + k] before the transpose */
    uint8_t *arg;    /* conv + relu + pool fused: [batch][out][h][w] max positions */
    int32_t *hidx;   /* harmonics: sampling table [k][out] (pf_nn_harmonics_table) */
    float *hfrac;    /* harmonics: its interpolation weights */
    double t_fwd, t_bwd; /* seconds spent (PF_NN_PROFILE set: printed by pf_model_free) */
} layer;

struct pf_model {
    pf_model_spec spec; /* layers owned (a copy) */
    int batch, threads;
    pf_nn_ctx *ctx;
    layer *L;           /* [spec.n_layers] */
    pf_nn_act *x;       /* [batch][in_c][in_h][in_w] plain */
    pf_nn_act *dy;      /* [batch][out] in the last layer's output layout */
    float *params;      /* [n_params] */
    float *grads;       /* [n_params] */
    size_t n_params;
    size_t first_param; /* the first layer with parameters (layers before need no dsrc) */
    int trained;        /* the last forward was a training one */
    int profile;        /* PF_NN_PROFILE is set */
    uint64_t step_seed; /* of the last training forward */
};

/* ---- shape inference ---- */

static int bad(pf_error *err, size_t i, const pf_layer_spec *s, const char *what)
{
    return PF_FAIL(err, PF_EINVAL, "layer %zu (%s): %s", i, pf_layer_names[s->kind], what);
}

/* A conv kernel's height on an input of height @p h: 1 along W only when @p h is 1. */
static int kernel_h(int h, int kernel)
{
    return h == 1 ? 1 : kernel;
}

/* Output shape of layer @p i from input (*c, *h, *w), and its parameter count. */
static int infer(size_t i, const pf_layer_spec *s, int *c, int *h, int *w, size_t *wl, size_t *bl,
                 pf_error *err)
{
    *wl = *bl = 0;
    switch (s->kind) {
    case PF_LAYER_CONV:
        if (s->out < 1) return bad(err, i, s, "needs at least 1 filter (out)");
        if (s->kernel < 1 || s->kernel % 2 == 0) return bad(err, i, s, "kernel must be odd");
        if (s->kernel > 2 * *w + 1 || (*h > 1 && s->kernel > 2 * *h + 1))
            return bad(err, i, s, "kernel larger than the input");
        *wl = (size_t)s->out * (size_t)*c * (size_t)kernel_h(*h, s->kernel) * (size_t)s->kernel;
        *bl = (size_t)s->out;
        *c = s->out;
        return 0;
    case PF_LAYER_MAXPOOL:
        if (s->pool < 1) return bad(err, i, s, "pool must be >= 1");
        if (s->pool > *w || (*h > 1 && s->pool > *h))
            return bad(err, i, s, "pool larger than the input");
        if (*h > 1) *h /= s->pool; /* height 1: pool along W only */
        *w /= s->pool;
        return 0;
    case PF_LAYER_RELU: return 0;
    case PF_LAYER_DROPOUT:
        if (!(s->p >= 0.0f && s->p < 1.0f)) return bad(err, i, s, "p must be in [0, 1)");
        return 0;
    case PF_LAYER_DENSE:
        if (s->out < 1) return bad(err, i, s, "needs at least 1 unit (out)");
        *wl = (size_t)s->out * (size_t)*c * (size_t)*h * (size_t)*w;
        *bl = (size_t)s->out;
        *c = s->out;
        *h = *w = 1;
        return 0;
    case PF_LAYER_TIMESTATS:
    case PF_LAYER_TIMESTATS_MAP:
        if (*c != 1) return bad(err, i, s, "needs a single-channel input");
        if (s->k < 1 || s->k > *w / 2) return bad(err, i, s, "k must be in 1 .. frames/2");
        if (s->kind == PF_LAYER_TIMESTATS_MAP)
            *c = 2 + s->k, *w = *h; /* [2+k][1][h] */
        else
            *w = *h * (2 + s->k);
        *h = 1;
        return 0;
    case PF_LAYER_HARMONICS:
        if (s->out < 1 || s->k < 2 || s->k > 64)
            return bad(err, i, s, "needs out >= 1 bins and k in 2 .. 64 channel groups");
        if (!(s->lo >= 0 && s->lo <= 127 && s->step > 0 && s->step <= 1200 && s->hz > 0))
            return bad(err, i, s, "needs lo in 0 .. 127 (MIDI), step in (0, 1200] cents, hz > 0");
        *c *= s->k;
        if (*h == 1) /* a map along frequency: [c][1][freq] -> [c k][1][out] */
            *w = s->out;
        else /* frequency along H, time along W: [c][freq][time] -> [c k][out][time] */
            *h = s->out;
        return 0;
    case PF_LAYER_COUNT: break;
    }
    return PF_FAIL(err, PF_EINVAL, "layer %zu: unknown kind %d", i, (int)s->kind);
}

int pf_model_spec_shapes(const pf_model_spec *sp, pf_layer_shape *shapes, pf_error *err)
{
    int c = sp->in_c, h = sp->in_h, w = sp->in_w;
    if (c < 1 || h < 1 || w < 1 || (size_t)c * (size_t)h * (size_t)w > (1u << 30))
        return PF_FAIL(err, PF_EINVAL, "model input %d x %d x %d: bad size", c, h, w);
    for (size_t i = 0; i < sp->n_layers; i++) {
        size_t wl, bl;
        if (infer(i, &sp->layers[i], &c, &h, &w, &wl, &bl, err)) return -1;
        if ((size_t)c * (size_t)h * (size_t)w > (1u << 30) || wl > (1u << 30))
            return bad(err, i, &sp->layers[i], "too large");
        shapes[i] = (pf_layer_shape){.c = c, .h = h, .w = w, .n_params = wl + bl};
    }
    return 0;
}

static int infer_all(pf_model *m, pf_error *err)
{
    const pf_model_spec *sp = &m->spec;
    int c = sp->in_c, h = sp->in_h, w = sp->in_w;
    if (c < 1 || h < 1 || w < 1 || (size_t)c * (size_t)h * (size_t)w > (1u << 30))
        return PF_FAIL(err, PF_EINVAL, "model input %d x %d x %d: bad size", c, h, w);
    if (sp->n_layers < 1) return PF_FAIL(err, PF_EINVAL, "model has no layers");
    for (size_t i = 0; i < sp->n_layers; i++) {
        layer *l = &m->L[i];
        size_t wl, bl;
        l->s = sp->layers[i];
        l->index = (uint32_t)i;
        l->in_c = c;
        if (infer(i, &l->s, &c, &h, &w, &wl, &bl, err)) return -1;
        if ((size_t)c * (size_t)h * (size_t)w > (1u << 30) || wl > (1u << 30))
            return bad(err, i, &l->s, "too large");
        l->c = c, l->h = h, l->w = w;
        l->v = (pf_param_view){.weight_off = m->n_params, .weight_len = wl,
                               .bias_off = m->n_params + wl, .bias_len = bl};
        if (wl && !m->n_params) m->first_param = i;
        m->n_params += wl + bl;
    }
    return 0;
}

static void param_shapes(pf_model *m)
{
    int c = m->spec.in_c, h = m->spec.in_h, w = m->spec.in_w;
    for (size_t i = 0; i < m->spec.n_layers; i++) {
        layer *l = &m->L[i];
        if (l->s.kind == PF_LAYER_CONV) {
            l->v.weight_rank = 4;
            memcpy(l->v.weight_shape,
                   (int64_t[]){l->s.out, c, kernel_h(h, l->s.kernel), l->s.kernel},
                   sizeof l->v.weight_shape);
        } else if (l->s.kind == PF_LAYER_DENSE) {
            l->v.weight_rank = 2;
            l->v.weight_shape[0] = l->s.out;
            l->v.weight_shape[1] = (int64_t)c * h * w;
        }
        c = l->c, h = l->h, w = l->w;
    }
}

/* ---- layers: build, forward, backward ---- */

typedef struct layer_ops {
    int (*build)(pf_model *m, layer *l, pf_nn_act *src, pf_error *err);
    /* *out: the output activation */
    int (*forward)(pf_model *m, layer *l, int training, pf_nn_act **out, pf_error *err);
    /* *dsrc: the input gradient (when want) */
    int (*backward)(pf_model *m, layer *l, pf_nn_act *ddst, int want, pf_nn_act **dsrc,
                    pf_error *err);
} layer_ops;

static int fuse_relu(const pf_model *m, const layer *l)
{
    return l->s.kind == PF_LAYER_CONV && l->index + 1 < m->spec.n_layers &&
           m->L[l->index + 1].s.kind == PF_LAYER_RELU;
}

/* conv, relu, maxpool: the ReLU runs as the conv's post-op, its backward after the pool's. */
static int fold_relu(const pf_model *m, const layer *l)
{
    return l->s.kind == PF_LAYER_RELU && l->index > 0 && fuse_relu(m, l - 1) &&
           l->index + 1 < m->spec.n_layers && m->L[l->index + 1].s.kind == PF_LAYER_MAXPOOL;
}

static int op_build(pf_model *m, layer *l, pf_nn_act *src, pf_error *err)
{
    if (fold_relu(m, l)) return 0;
    if (l->s.kind == PF_LAYER_MAXPOOL && l->index > 0 && fold_relu(m, l - 1)) {
        l->op = pf_nn_pool_new(m->ctx, src, l->s.pool, err);
        l->relu = l->op ? pf_nn_relu_new(m->ctx, pf_nn_op_dst(l->op), 1, err) : NULL;
        return l->relu ? 0 : -1;
    }
    switch (l->s.kind) {
    case PF_LAYER_CONV:
        l->op = pf_nn_conv_new(m->ctx, src, l->s.out, l->s.kernel, fuse_relu(m, l), err);
        break;
    case PF_LAYER_MAXPOOL: l->op = pf_nn_pool_new(m->ctx, src, l->s.pool, err); break;
    case PF_LAYER_RELU:
        l->op = pf_nn_relu_new(m->ctx, src, l->index > 0 && fuse_relu(m, l - 1), err);
        break;
    default: l->op = pf_nn_dense_new(m->ctx, src, l->s.out, err); break;
    }
    return l->op ? 0 : -1;
}

static int op_forward(pf_model *m, layer *l, int training, pf_nn_act **out, pf_error *err)
{
    (void)training;
    *out = l->op ? pf_nn_op_dst(l->op) : l->in;
    if (!l->op) return 0;
    return pf_nn_op_forward(l->op, l->in, m->params + l->v.weight_off,
                            m->params + l->v.bias_off, err);
}

static int op_backward(pf_model *m, layer *l, pf_nn_act *ddst, int want, pf_nn_act **dsrc,
                       pf_error *err)
{
    *dsrc = l->op ? pf_nn_op_dsrc(l->op) : ddst;
    if (!l->op) return 0;
    if (l->relu && want && pf_nn_relu_mask(l->relu, ddst, err)) return -1;
    return pf_nn_op_backward(l->op, l->in, ddst, m->params + l->v.weight_off,
                             m->grads + l->v.weight_off, m->grads + l->v.bias_off, want, err);
}

static int dropout_build(pf_model *m, layer *l, pf_nn_act *src, pf_error *err)
{
    (void)m;
    const pf_nn_layout *s = pf_nn_act_layout(src);
    l->dst = pf_nn_act_new_like(src, err);
    if (l->dst) l->mask = pf_malloc((size_t)(s->n * s->c * s->h * s->w));
    return l->dst ? 0 : -1;
}

static int dropout_forward(pf_model *m, layer *l, int training, pf_nn_act **out, pf_error *err)
{
    (void)err;
    *out = l->in;
    if (!training) return 0;
    const pf_nn_layout *s = pf_nn_act_layout(l->in);
    pf_nn_dropout_forward(s, l->s.p, m->step_seed, l->index, l->mask, pf_nn_act_data(l->in),
                          pf_nn_act_data(l->dst), m->threads);
    *out = l->dst;
    return 0;
}

/* In place: the gradient arriving is not needed after this layer. */
static int dropout_backward(pf_model *m, layer *l, pf_nn_act *ddst, int want, pf_nn_act **dsrc,
                            pf_error *err)
{
    (void)m, (void)err;
    *dsrc = ddst;
    if (want)
        pf_nn_dropout_apply(pf_nn_act_layout(ddst), l->mask, l->s.p, pf_nn_act_data(ddst),
                            pf_nn_act_data(ddst), m->threads);
    return 0;
}

static int timestats_build(pf_model *m, layer *l, pf_nn_act *src, pf_error *err)
{
    l->dst = pf_nn_act_new(m->ctx, m->batch, 1, 1, l->w, err);
    l->dsrc = l->dst ? pf_nn_act_new_like(src, err) : NULL;
    if (!l->dsrc) return -1;
    l->state = pf_calloc(pf_nn_timestats_state_len(pf_nn_act_layout(src), l->s.k), sizeof(double));
    return 0;
}

static int timestats_forward(pf_model *m, layer *l, int training, pf_nn_act **out, pf_error *err)
{
    (void)training, (void)err;
    pf_nn_timestats_forward(pf_nn_act_layout(l->in), l->s.k, pf_nn_act_data(l->in),
                            pf_nn_act_data(l->dst), l->state, m->threads);
    *out = l->dst;
    return 0;
}

static int timestats_backward(pf_model *m, layer *l, pf_nn_act *ddst, int want, pf_nn_act **dsrc,
                              pf_error *err)
{
    (void)m, (void)err;
    *dsrc = l->dsrc;
    if (want)
        pf_nn_timestats_backward(pf_nn_act_layout(l->in), l->s.k, pf_nn_act_data(l->in),
                                 l->state, pf_nn_act_data(ddst), pf_nn_act_data(l->dsrc));
    return 0;
}

/* timestats_map: timestats into l->flat [n][bins][2+k], transposed to dst [n][2+k][1][bins]. */
static int tsmap_build(pf_model *m, layer *l, pf_nn_act *src, pf_error *err)
{
    l->dst = pf_nn_act_new(m->ctx, m->batch, l->c, 1, l->w, err);
    l->dsrc = l->dst ? pf_nn_act_new_like(src, err) : NULL;
    if (!l->dsrc) return -1;
    l->state = pf_calloc(pf_nn_timestats_state_len(pf_nn_act_layout(src), l->s.k), sizeof(double));
    l->flat = pf_calloc((size_t)m->batch * (size_t)l->c * (size_t)l->w, sizeof(float));
    return 0;
}

/* Each of the @p n matrices [a][b] of @p src transposed into [b][a] in @p dst. */
static void transpose_each(float *dst, const float *src, int n, int a, int b)
{
    for (int e = 0; e < n; e++) {
        const float *s = src + (size_t)e * a * b;
        float *d = dst + (size_t)e * a * b;
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                d[(size_t)j * a + i] = s[(size_t)i * b + j];
    }
}

static int tsmap_forward(pf_model *m, layer *l, int training, pf_nn_act **out, pf_error *err)
{
    (void)training, (void)err;
    pf_nn_timestats_forward(pf_nn_act_layout(l->in), l->s.k, pf_nn_act_data(l->in), l->flat,
                            l->state, m->threads);
    transpose_each(pf_nn_act_data(l->dst), l->flat, m->batch, l->w, l->c);
    *out = l->dst;
    return 0;
}

static int tsmap_backward(pf_model *m, layer *l, pf_nn_act *ddst, int want, pf_nn_act **dsrc,
                          pf_error *err)
{
    (void)err;
    *dsrc = l->dsrc;
    if (!want) return 0;
    transpose_each(l->flat, pf_nn_act_data(ddst), m->batch, l->c, l->w);
    pf_nn_timestats_backward(pf_nn_act_layout(l->in), l->s.k, pf_nn_act_data(l->in), l->state,
                             l->flat, pf_nn_act_data(l->dsrc));
    return 0;
}

/* harmonics' input: frequency bins (W of a height-1 map, else H) and time steps (1, else W). */
static int harm_freq(const pf_nn_layout *s)
{
    return s->h == 1 ? (int)s->w : (int)s->h;
}

static int harm_time(const pf_nn_layout *s)
{
    return s->h == 1 ? 1 : (int)s->w;
}

/* harmonics: plain output; the input (and its gradient) goes through plain l->flat when the
 * layer before left it blocked. */
static int harm_build(pf_model *m, layer *l, pf_nn_act *src, pf_error *err)
{
    const pf_nn_layout *s = pf_nn_act_layout(src);
    l->dst = pf_nn_act_new(m->ctx, m->batch, l->c, l->h, l->w, err);
    l->dsrc = l->dst ? pf_nn_act_new_like(src, err) : NULL;
    if (!l->dsrc) return -1;
    l->flat = pf_calloc((size_t)m->batch * (size_t)l->in_c * (size_t)s->h * (size_t)s->w,
                        sizeof(float));
    l->hidx = pf_calloc((size_t)l->s.k * (size_t)l->s.out, sizeof *l->hidx);
    l->hfrac = pf_calloc((size_t)l->s.k * (size_t)l->s.out, sizeof *l->hfrac);
    pf_nn_harmonics_table(&l->s, harm_freq(s), l->hidx, l->hfrac);
    return 0;
}

static int harm_forward(pf_model *m, layer *l, int training, pf_nn_act **out, pf_error *err)
{
    (void)training, (void)err;
    const float *x = pf_nn_act_data(l->in);
    if (!pf_nn_act_is_plain(l->in)) {
        pf_nn_act_export(l->in, l->flat);
        x = l->flat;
    }
    const pf_nn_layout *s = pf_nn_act_layout(l->in);
    pf_nn_harmonics_forward(&l->s, m->batch, l->in_c, harm_freq(s), harm_time(s), l->hidx,
                            l->hfrac, x, pf_nn_act_data(l->dst), m->threads);
    *out = l->dst;
    return 0;
}

static int harm_backward(pf_model *m, layer *l, pf_nn_act *ddst, int want, pf_nn_act **dsrc,
                         pf_error *err)
{
    (void)err;
    *dsrc = l->dsrc;
    if (!want) return 0;
    const float *dy = pf_nn_act_data(ddst);
    if (!pf_nn_act_is_plain(ddst)) {
        pf_nn_act_export(ddst, pf_nn_act_data(l->dst)); /* dst's values are no longer needed */
        dy = pf_nn_act_data(l->dst);
    }
    int plain = pf_nn_act_is_plain(l->dsrc);
    const pf_nn_layout *s = pf_nn_act_layout(l->in);
    pf_nn_harmonics_backward(&l->s, m->batch, l->in_c, harm_freq(s), harm_time(s), l->hidx,
                             l->hfrac, dy, plain ? pf_nn_act_data(l->dsrc) : l->flat, m->threads);
    if (!plain) pf_nn_act_import(l->dsrc, l->flat);
    return 0;
}

/* conv on one channel, relu, maxpool: one fused kernel (convpool.c), the next two pass. */
static int convpool_at(const pf_model *m, size_t i)
{
    const char *e = getenv("PF_NN_CONVPOOL");
    const layer *l = &m->L[i];
    return !(e && !strcmp(e, "0")) && l->s.kind == PF_LAYER_CONV && l->in_c == 1 &&
           i + 2 < m->spec.n_layers && m->L[i + 1].s.kind == PF_LAYER_RELU &&
           m->L[i + 2].s.kind == PF_LAYER_MAXPOOL && m->L[i + 2].s.pool <= 15;
}

static pf_nn_convpool convpool_of(const pf_model *m, const layer *l)
{
    return (pf_nn_convpool){l->s.out, l->s.kernel, m->L[l->index + 2].s.pool,
                            pf_nn_act_layout(l->in), pf_nn_act_layout(l->dst), m->threads};
}

static int convpool_build(pf_model *m, layer *l, pf_nn_act *src, pf_error *err)
{
    const layer *pool = &m->L[l->index + 2];
    l->dst = pf_nn_act_new_for_conv(m->ctx, m->batch, l->s.out, pool->h, pool->w, err);
    l->dsrc = l->dst ? pf_nn_act_new_like(src, err) : NULL;
    if (!l->dsrc) return -1;
    l->arg = pf_malloc((size_t)m->batch * (size_t)l->s.out * (size_t)pool->h * (size_t)pool->w);
    return 0;
}

static int convpool_forward(pf_model *m, layer *l, int training, pf_nn_act **out, pf_error *err)
{
    (void)training, (void)err;
    pf_nn_convpool c = convpool_of(m, l);
    pf_nn_convpool_forward(&c, pf_nn_act_data(l->in), m->params + l->v.weight_off,
                           m->params + l->v.bias_off, pf_nn_act_data(l->dst), l->arg);
    *out = l->dst;
    return 0;
}

static int convpool_backward(pf_model *m, layer *l, pf_nn_act *ddst, int want, pf_nn_act **dsrc,
                             pf_error *err)
{
    (void)err;
    pf_nn_convpool c = convpool_of(m, l);
    pf_nn_convpool_backward(&c, pf_nn_act_data(l->in), m->params + l->v.weight_off,
                            pf_nn_act_data(l->dst), pf_nn_act_data(ddst), l->arg,
                            m->grads + l->v.weight_off, m->grads + l->v.bias_off,
                            want ? pf_nn_act_data(l->dsrc) : NULL);
    *dsrc = l->dsrc;
    return 0;
}

static int pass_build(pf_model *m, layer *l, pf_nn_act *src, pf_error *err)
{
    (void)m, (void)l, (void)src, (void)err;
    return 0;
}

static int pass_forward(pf_model *m, layer *l, int training, pf_nn_act **out, pf_error *err)
{
    (void)m, (void)training, (void)err;
    *out = l->in;
    return 0;
}

static int pass_backward(pf_model *m, layer *l, pf_nn_act *ddst, int want, pf_nn_act **dsrc,
                         pf_error *err)
{
    (void)m, (void)l, (void)want, (void)err;
    *dsrc = ddst;
    return 0;
}

static const layer_ops convpool_ops = {convpool_build, convpool_forward, convpool_backward};
static const layer_ops pass_ops = {pass_build, pass_forward, pass_backward};

static const layer_ops ops[PF_LAYER_COUNT] = {
    [PF_LAYER_CONV] = {op_build, op_forward, op_backward},
    [PF_LAYER_MAXPOOL] = {op_build, op_forward, op_backward},
    [PF_LAYER_RELU] = {op_build, op_forward, op_backward},
    [PF_LAYER_DROPOUT] = {dropout_build, dropout_forward, dropout_backward},
    [PF_LAYER_DENSE] = {op_build, op_forward, op_backward},
    [PF_LAYER_TIMESTATS] = {timestats_build, timestats_forward, timestats_backward},
    [PF_LAYER_TIMESTATS_MAP] = {tsmap_build, tsmap_forward, tsmap_backward},
    [PF_LAYER_HARMONICS] = {harm_build, harm_forward, harm_backward},
};

static const layer_ops *ops_for(const pf_model *m, size_t i)
{
    if (convpool_at(m, i)) return &convpool_ops;
    if ((i >= 1 && convpool_at(m, i - 1)) || (i >= 2 && convpool_at(m, i - 2))) return &pass_ops;
    return &ops[m->L[i].s.kind];
}

/* The output activation of layer @p l in a training forward (its build made it). */
static pf_nn_act *layer_out(layer *l, pf_nn_act *src)
{
    if (l->op) return pf_nn_op_dst(l->op);
    return l->dst ? l->dst : src;
}

static int build_all(pf_model *m, pf_error *err)
{
    const pf_model_spec *s = &m->spec;
    m->x = pf_nn_act_new(m->ctx, m->batch, s->in_c, s->in_h, s->in_w, err);
    if (!m->x) return -1;
    pf_nn_act *cur = m->x;
    for (size_t i = 0; i < s->n_layers; i++) {
        layer *l = &m->L[i];
        l->ops = ops_for(m, i);
        if (l->ops->build(m, l, cur, err))
            return pf_error_prefix(err, "layer %zu (%s)", i, pf_layer_names[l->s.kind]);
        cur = layer_out(l, cur);
    }
    m->dy = pf_nn_act_new_like(cur, err);
    return m->dy ? 0 : -1;
}

/* ---- profile ---- */

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void profile_print(const pf_model *m)
{
    double f = 0, b = 0;
    for (size_t i = 0; i < m->spec.n_layers; i++) {
        const layer *l = &m->L[i];
        fprintf(stderr, "layer %2zu %-9s %4d x %3d x %3d  fwd %8.3f s  bwd %8.3f s\n", i,
                pf_layer_names[l->s.kind], l->c, l->h, l->w, l->t_fwd, l->t_bwd);
        f += l->t_fwd, b += l->t_bwd;
    }
    fprintf(stderr, "total                           fwd %8.3f s  bwd %8.3f s\n", f, b);
}

/* ---- public ---- */

pf_model *pf_model_new(const pf_model_spec *spec, int batch, int threads, pf_error *err)
{
    if (!spec || batch < 1 || threads < 1) {
        PF_FAIL(err, PF_EINVAL, "pf_model_new: batch %d, threads %d: need a spec, >= 1 each",
                batch, threads);
        return NULL;
    }
    pf_model *m = pf_calloc(1, sizeof *m);
    m->spec = *spec;
    m->spec.layers = pf_calloc(spec->n_layers ? spec->n_layers : 1, sizeof *spec->layers);
    if (spec->n_layers) memcpy(m->spec.layers, spec->layers, spec->n_layers * sizeof *spec->layers);
    m->L = pf_calloc(spec->n_layers ? spec->n_layers : 1, sizeof *m->L);
    m->batch = batch;
    m->threads = threads;
    m->profile = getenv("PF_NN_PROFILE") != NULL;
    for (size_t i = 0; i < spec->n_layers; i++)
        if ((unsigned)spec->layers[i].kind >= PF_LAYER_COUNT) {
            PF_FAIL(err, PF_EINVAL, "layer %zu: unknown kind %d", i, (int)spec->layers[i].kind);
            goto fail;
        }
    if (infer_all(m, err)) goto fail;
    param_shapes(m);
    m->params = pf_calloc(m->n_params ? m->n_params : 1, sizeof(float));
    m->grads = pf_calloc(m->n_params ? m->n_params : 1, sizeof(float));
    m->ctx = pf_nn_ctx_new(threads, err);
    if (!m->ctx || build_all(m, err)) goto fail;
    return m;
fail:
    pf_model_free(m);
    return NULL;
}

void pf_model_free(pf_model *m)
{
    if (!m) return;
    if (m->profile) profile_print(m);
    for (size_t i = 0; i < m->spec.n_layers; i++) {
        layer *l = &m->L[i];
        pf_nn_op_free(l->relu);
        pf_nn_op_free(l->op);
        pf_nn_act_free(l->dst);
        pf_nn_act_free(l->dsrc);
        free(l->mask);
        free(l->state);
        free(l->flat);
        free(l->arg);
        free(l->hidx);
        free(l->hfrac);
    }
    pf_nn_act_free(m->x);
    pf_nn_act_free(m->dy);
    pf_nn_ctx_free(m->ctx);
    free(m->L);
    free(m->spec.layers);
    free(m->params);
    free(m->grads);
    free(m);
}

int pf_model_batch(const pf_model *m)
{
    return m->batch;
}

size_t pf_model_out_size(const pf_model *m)
{
    const layer *l = &m->L[m->spec.n_layers - 1];
    return (size_t)l->c * (size_t)l->h * (size_t)l->w;
}

size_t pf_model_in_size(const pf_model *m)
{
    return (size_t)m->spec.in_c * (size_t)m->spec.in_h * (size_t)m->spec.in_w;
}

size_t pf_model_n_params(const pf_model *m)
{
    return m->n_params;
}

float *pf_model_params(pf_model *m)
{
    return m->params;
}

float *pf_model_grads(pf_model *m)
{
    return m->grads;
}

int pf_model_param_view(const pf_model *m, size_t i, pf_param_view *v)
{
    if (i >= m->spec.n_layers) return -1;
    *v = m->L[i].v;
    return 0;
}

/* Uniform in +-@p bound from @p r. */
static void fill_uniform(pf_rng *r, float *p, size_t n, double bound)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (float)pf_rng_range(r, -bound, bound);
}

void pf_model_init_params(pf_model *m, uint64_t seed)
{
    for (size_t i = 0; i < m->spec.n_layers; i++) {
        const pf_param_view *v = &m->L[i].v;
        if (!v->weight_len) continue;
        /* kaiming_uniform(a = sqrt 5): gain sqrt(1/3) * sqrt(3 / fan_in) = 1 / sqrt(fan_in) */
        double bound = 1.0 / sqrt((double)(v->weight_len / v->bias_len));
        pf_rng r;
        pf_rng_init(&r, seed, PF_NN_STREAM_INIT, i);
        fill_uniform(&r, m->params + v->weight_off, v->weight_len, bound);
        fill_uniform(&r, m->params + v->bias_off, v->bias_len, bound);
    }
}

int pf_model_forward(pf_model *m, const float *x, float *y, int training, uint64_t step_seed,
                     pf_error *err)
{
    pf_nn_act_import(m->x, x);
    m->trained = 0;
    m->step_seed = step_seed;
    pf_nn_act *cur = m->x;
    for (size_t i = 0; i < m->spec.n_layers; i++) {
        layer *l = &m->L[i];
        double t = m->profile ? now_s() : 0;
        l->in = cur;
        if (l->ops->forward(m, l, training, &cur, err))
            return pf_error_prefix(err, "forward: layer %zu (%s)", i, pf_layer_names[l->s.kind]);
        if (m->profile) l->t_fwd += now_s() - t;
    }
    pf_nn_act_export(cur, y);
    m->trained = training != 0;
    return 0;
}

int pf_model_backward_dx(pf_model *m, const float *dy, float *dx, pf_error *err)
{
    if (!m->trained)
        return PF_FAIL(err, PF_EINVAL, "backward: the last forward was not a training one");
    pf_nn_act_import(m->dy, dy);
    pf_nn_act *cur = m->dy;
    for (size_t i = m->spec.n_layers; i-- > 0;) {
        layer *l = &m->L[i];
        double t = m->profile ? now_s() : 0;
        if (l->ops->backward(m, l, cur, i > m->first_param || dx, &cur, err))
            return pf_error_prefix(err, "backward: layer %zu (%s)", i, pf_layer_names[l->s.kind]);
        if (m->profile) l->t_bwd += now_s() - t;
    }
    if (dx) pf_nn_act_export(cur, dx);
    return 0;
}

int pf_model_backward(pf_model *m, const float *dy, pf_error *err)
{
    return pf_model_backward_dx(m, dy, NULL, err);
}
