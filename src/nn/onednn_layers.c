/* The oneDNN layers (this is the only file that calls oneDNN): conv, max-pool, ReLU and inner
 * product, forward and backward (layers.h). The plain-C layers are in plain_layers.c. */
#include "nn/layers.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>
#include <oneapi/dnnl/dnnl_debug.h>

#include "core/mem.h"
#include "pitchforge/error.h"

/* Workers of the conv backward (pf_nn_parallel's most threads). */
#define SLOTS_MAX 16

struct pf_nn_ctx {
    dnnl_engine_t eng;
    dnnl_stream_t stream;
    dnnl_stream_t wstream[SLOTS_MAX]; /* one per worker of the conv backward */
    int threads;
};

struct pf_nn_act {
    pf_nn_ctx *ctx;
    dnnl_memory_desc_t md; /* 4-D [n][c][h][w] (2-D views are made by the ops that need them) */
    dnnl_memory_t mem;
    float *data;
    pf_nn_layout lay;
    char fmt[32];
};

/* Weights in the layout a primitive wants, reordered from (or to) PyTorch layout. */
typedef struct wbuf {
    dnnl_memory_t plain;  /* wraps the caller's PyTorch-layout array (handle set per call) */
    dnnl_memory_t prim;   /* the primitive's layout (NULL: the plain array is used as is) */
    void *prim_data;
    dnnl_primitive_t reorder; /* plain -> prim (forward weights) or prim -> plain (gradients) */
} wbuf;

typedef enum op_kind { OP_CONV, OP_POOL, OP_RELU, OP_DENSE } op_kind;

struct pf_nn_op {
    pf_nn_ctx *ctx;
    op_kind kind;
    int fused; /* relu: applied by the conv before */
    dnnl_primitive_desc_t fwd_pd;
    dnnl_primitive_t fwd, bwd_data, bwd_w;
    /* input in the primitive's layout when it differs from the given one */
    pf_nn_act *src_r, *dsrc_r;
    dnnl_primitive_t src_reorder, dsrc_reorder;
    pf_nn_act *dst, *dsrc;
    dnnl_memory_t ws; /* pooling workspace */
    void *ws_data;
    /* 2-D views for the inner product: src/dsrc [n][c*h*w], dst [n][out] */
    dnnl_memory_t src2, dsrc2, dst2, ddst2;
    wbuf w_fwd, w_bwd, dw;
    int w_shared; /* conv: backward data reads the forward's weight layout */
    dnnl_alg_kind_t alg; /* conv: direct or Winograd */
    dnnl_memory_t b, db;
    /* conv backward: one-thread primitives run on single examples by the workers (slots);
     * example e > 0's weight gradients go to the parts, then are added in example order */
    struct slot *slots;
    int n_slots;
    float *dw_part, *db_part; /* [batch - 1][dw_len], [batch - 1][out] */
    size_t dw_len;
};

/* One worker's views of one example (handles set per example) and its scratchpad. */
typedef struct slot {
    dnnl_memory_t src, ddst, dsrc, wei, dw, db, pad;
    void *pad_data;
} slot;

/* ---- errors, threads ---- */

static int dn_fail(pf_error *err, dnnl_status_t st, const char *what)
{
    return PF_FAIL(err, PF_ELIB, "oneDNN: %s: %s", what, dnnl_status2str(st));
}

#define DN(call, what)                                                                             \
    do {                                                                                           \
        dnnl_status_t st_ = (call);                                                                \
        if (st_ != dnnl_success) return dn_fail(err, st_, what);                                  \
    } while (0)

/* libgomp comes with libdnnl; find its functions there without linking -lgomp. */
typedef struct omp_api {
    void (*set_num_threads)(int), (*set_dynamic)(int);
    int (*get_thread_limit)(void);
} omp_api;

static const omp_api *omp(void)
{
    static omp_api api;
    static int looked;
    if (!looked) {
        *(void **)&api.set_num_threads = dlsym(RTLD_DEFAULT, "omp_set_num_threads");
        *(void **)&api.set_dynamic = dlsym(RTLD_DEFAULT, "omp_set_dynamic");
        *(void **)&api.get_thread_limit = dlsym(RTLD_DEFAULT, "omp_get_thread_limit");
        looked = 1;
    }
    return &api;
}

/* n threads for oneDNN's next primitives, and exactly n: with OMP_DYNAMIC the runtime would
 * give a loaded machine's primitives fewer threads than they were planned for, and some
 * kernels then leave work undone (other gradients, other answers). */
static void set_omp_threads(int n)
{
    const omp_api *o = omp();
    if (o->set_dynamic) o->set_dynamic(0);
    if (o->set_num_threads) o->set_num_threads(n);
}

int pf_nn_threads_allowed(int threads)
{
    const omp_api *o = omp();
    int limit = o->get_thread_limit ? o->get_thread_limit() : threads;
    return threads < limit ? threads : limit > 0 ? limit : 1;
}

pf_nn_ctx *pf_nn_ctx_new(int threads, pf_error *err)
{
    if (threads < 1) {
        PF_FAIL(err, PF_EINVAL, "threads %d: need at least 1", threads);
        return NULL;
    }
    pf_nn_ctx *c = pf_calloc(1, sizeof *c);
    c->threads = pf_nn_threads_allowed(threads); /* OMP_THREAD_LIMIT caps the team */
    dnnl_status_t st = dnnl_engine_create(&c->eng, dnnl_cpu, 0);
    if (st == dnnl_success) st = dnnl_stream_create(&c->stream, c->eng, dnnl_stream_default_flags);
    for (int t = 0; t < SLOTS_MAX && t < threads && st == dnnl_success; t++)
        st = dnnl_stream_create(&c->wstream[t], c->eng, dnnl_stream_default_flags);
    if (st != dnnl_success) {
        dn_fail(err, st, "CPU engine");
        pf_nn_ctx_free(c);
        return NULL;
    }
    return c;
}

void pf_nn_ctx_free(pf_nn_ctx *c)
{
    if (!c) return;
    if (c->stream) dnnl_stream_destroy(c->stream);
    for (int t = 0; t < SLOTS_MAX; t++)
        if (c->wstream[t]) dnnl_stream_destroy(c->wstream[t]);
    if (c->eng) dnnl_engine_destroy(c->eng);
    free(c);
}

void pf_nn_ctx_enter(const pf_nn_ctx *c)
{
    set_omp_threads(c->threads);
}

static dnnl_alg_kind_t conv_alg(int64_t ic, int64_t oc, int k);
static int query_md(const_dnnl_op_desc_t desc, pf_nn_ctx *ctx, const_dnnl_primitive_desc_t hint,
                    dnnl_query_t what, dnnl_memory_desc_t *md, pf_error *err);

/* ---- memory ---- */

static void *zalloc(size_t bytes)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64)) abort();
    memset(p, 0, bytes);
    return p;
}

static dnnl_memory_desc_t md_tag(int nd, const int64_t *dims, dnnl_format_tag_t tag)
{
    dnnl_memory_desc_t md;
    dnnl_dims_t d = {0};
    memcpy(d, dims, sizeof(int64_t) * (size_t)nd);
    dnnl_memory_desc_init_by_tag(&md, nd, d, dnnl_f32, tag);
    return md;
}

static dnnl_memory_desc_t md4(int64_t n, int64_t c, int64_t h, int64_t w, dnnl_format_tag_t tag)
{
    return md_tag(4, (int64_t[]){n, c, h, w}, tag);
}

/* The layout of a blocked 4-D md, or -1 when it is not of the form pf_nn_at handles. */
static int layout_of(const dnnl_memory_desc_t *md, pf_nn_layout *l)
{
    const dnnl_blocking_desc_t *b = &md->format_desc.blocking;
    if (md->format_kind != dnnl_blocked || md->ndims != 4 || md->offset0) return -1;
    if (b->inner_nblks > 1 || (b->inner_nblks == 1 && b->inner_idxs[0] != 1)) return -1;
    *l = (pf_nn_layout){md->dims[0], md->dims[1], md->dims[2], md->dims[3], b->strides[0],
                        b->strides[1], b->strides[2], b->strides[3],
                        b->inner_nblks ? b->inner_blks[0] : 1,
                        dnnl_memory_desc_get_size(md) / sizeof(float)};
    return 0;
}

static void md_name(const dnnl_memory_desc_t *md, char *buf, size_t n)
{
    static const struct { dnnl_format_tag_t tag; const char *name; } tags[] = {
        {dnnl_nchw, "nchw"},       {dnnl_nhwc, "nhwc"},         {dnnl_nChw16c, "nChw16c"},
        {dnnl_nChw8c, "nChw8c"},   {dnnl_nChw4c, "nChw4c"},     {dnnl_chwn, "chwn"}};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++) {
        dnnl_memory_desc_t t = md4(md->dims[0], md->dims[1], md->dims[2], md->dims[3], tags[i].tag);
        if (dnnl_memory_desc_equal(&t, md)) {
            snprintf(buf, n, "%s", tags[i].name);
            return;
        }
    }
    snprintf(buf, n, "other");
}

static pf_nn_act *act_of_md(pf_nn_ctx *ctx, const dnnl_memory_desc_t *md, pf_error *err)
{
    pf_nn_act *a = pf_calloc(1, sizeof *a);
    a->ctx = ctx;
    a->md = *md;
    if (layout_of(md, &a->lay)) {
        PF_FAIL(err, PF_EINTERNAL, "oneDNN chose a memory layout pitchforge cannot address");
        free(a);
        return NULL;
    }
    a->data = zalloc(a->lay.len * sizeof(float));
    md_name(md, a->fmt, sizeof a->fmt);
    dnnl_status_t st = dnnl_memory_create(&a->mem, &a->md, ctx->eng, a->data);
    if (st != dnnl_success) {
        dn_fail(err, st, "activation memory");
        pf_nn_act_free(a);
        return NULL;
    }
    return a;
}

pf_nn_act *pf_nn_act_new(pf_nn_ctx *ctx, int n, int c, int h, int w, pf_error *err)
{
    if (n < 1 || c < 1 || h < 1 || w < 1) {
        PF_FAIL(err, PF_EINVAL, "activation [%d][%d][%d][%d]: dims must be positive", n, c, h, w);
        return NULL;
    }
    dnnl_memory_desc_t md = md4(n, c, h, w, dnnl_nchw);
    return act_of_md(ctx, &md, err);
}

pf_nn_act *pf_nn_act_new_like(const pf_nn_act *a, pf_error *err)
{
    return act_of_md(a->ctx, &a->md, err);
}

pf_nn_act *pf_nn_act_new_for_conv(pf_nn_ctx *ctx, int n, int c, int h, int w, pf_error *err)
{
    dnnl_memory_desc_t s = md4(n, c, h, w, dnnl_format_tag_any), y = s;
    dnnl_memory_desc_t wt = md4(c, c, 3, 3, dnnl_format_tag_any), md;
    dnnl_dims_t one = {1, 1}, pad = {1, 1};
    dnnl_convolution_desc_t cd;
    pf_nn_ctx_enter(ctx);
    dnnl_status_t st = dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training,
                                                          conv_alg(c, c, 3), &s, &wt, NULL, &y,
                                                          one, pad, pad);
    if (st != dnnl_success || query_md(&cd, ctx, NULL, dnnl_query_src_md, &md, err)) {
        md = md4(n, c, h, w, dnnl_nchw); /* no preference: plain */
        pf_error_clear(err);
    }
    return act_of_md(ctx, &md, err);
}

void pf_nn_act_free(pf_nn_act *a)
{
    if (!a) return;
    if (a->mem) dnnl_memory_destroy(a->mem);
    free(a->data);
    free(a);
}

float *pf_nn_act_data(const pf_nn_act *a)
{
    return a->data;
}

const pf_nn_layout *pf_nn_act_layout(const pf_nn_act *a)
{
    return &a->lay;
}

int pf_nn_act_is_plain(const pf_nn_act *a)
{
    const pf_nn_layout *l = &a->lay;
    return l->blk == 1 && l->sw == 1 && l->sh == l->w && l->sc == l->h * l->w &&
           l->sn == l->c * l->sc;
}

const char *pf_nn_act_format(const pf_nn_act *a)
{
    return a->fmt;
}

/* Copy between a blocked activation @p blocked and the plain [n][c][h][w] @p plain (@p
 * to_plain: the direction), walking the blocked buffer in memory order: a block's channels are
 * adjacent there and one plane apart in the plain one. */
static void copy_blocked(const pf_nn_layout *l, float *blocked, float *plain, int to_plain)
{
    int64_t plane = l->h * l->w;
    for (int64_t n = 0; n < l->n; n++)
        for (int64_t c0 = 0; c0 < l->c; c0 += l->blk) {
            int64_t nb = l->c - c0 < l->blk ? l->c - c0 : l->blk;
            float *p0 = plain + (n * l->c + c0) * plane;
            const float *bstart = blocked + n * l->sn + (c0 / l->blk) * l->sc;
            for (int64_t h = 0; h < l->h; h++)
                for (int64_t w = 0; w < l->w; w++) {
                    float *b = (float *)bstart + h * l->sh + w * l->sw, *p = p0 + h * l->w + w;
                    if (to_plain)
                        for (int64_t i = 0; i < nb; i++) p[i * plane] = b[i];
                    else
                        for (int64_t i = 0; i < nb; i++) b[i] = p[i * plane];
                }
        }
}

void pf_nn_act_import(pf_nn_act *a, const float *src)
{
    const pf_nn_layout *l = &a->lay;
    if (pf_nn_act_is_plain(a))
        memcpy(a->data, src, sizeof(float) * (size_t)(l->n * l->sn));
    else
        copy_blocked(l, a->data, (float *)src, 0); /* src is only read in this direction */
}

void pf_nn_act_export(const pf_nn_act *a, float *dst)
{
    const pf_nn_layout *l = &a->lay;
    if (pf_nn_act_is_plain(a))
        memcpy(dst, a->data, sizeof(float) * (size_t)(l->n * l->sn));
    else
        copy_blocked(l, a->data, dst, 1);
}

/* ---- primitives ---- */

static int reorder_new(pf_nn_ctx *ctx, const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
                       dnnl_primitive_t *out, pf_error *err)
{
    dnnl_primitive_desc_t pd;
    DN(dnnl_reorder_primitive_desc_create(&pd, from, ctx->eng, to, ctx->eng, NULL), "reorder");
    dnnl_status_t st = dnnl_primitive_create(out, pd);
    dnnl_primitive_desc_destroy(pd);
    DN(st, "reorder");
    return 0;
}

static int exec(pf_nn_ctx *ctx, dnnl_primitive_t p, int n, const dnnl_exec_arg_t *args,
                pf_error *err)
{
    DN(dnnl_primitive_execute(p, ctx->stream, n, args), "execute");
    return 0;
}

static int run_reorder(pf_nn_ctx *ctx, dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to,
                       pf_error *err)
{
    dnnl_exec_arg_t a[] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    return exec(ctx, r, 2, a, err);
}

static int prim_new(const_dnnl_op_desc_t desc, const_dnnl_primitive_attr_t attr, pf_nn_ctx *ctx,
                    const_dnnl_primitive_desc_t hint, dnnl_primitive_desc_t *pd_out,
                    dnnl_primitive_t *out, pf_error *err)
{
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, desc, attr, ctx->eng, hint), "primitive descriptor");
    dnnl_status_t st = out ? dnnl_primitive_create(out, pd) : dnnl_success;
    if (st != dnnl_success || !pd_out) dnnl_primitive_desc_destroy(pd);
    DN(st, "primitive");
    if (pd_out) *pd_out = pd;
    return 0;
}

static const dnnl_memory_desc_t *pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t what)
{
    return dnnl_primitive_desc_query_md(pd, what, 0);
}

/* Query the md a primitive descriptor chose, building it from the op desc first. */
static int query_md(const_dnnl_op_desc_t desc, pf_nn_ctx *ctx, const_dnnl_primitive_desc_t hint,
                    dnnl_query_t what, dnnl_memory_desc_t *md, pf_error *err)
{
    dnnl_primitive_desc_t pd;
    DN(dnnl_primitive_desc_create(&pd, desc, NULL, ctx->eng, hint), "primitive descriptor");
    *md = *pd_md(pd, what);
    dnnl_primitive_desc_destroy(pd);
    return 0;
}

/* A plain array wrapper for @p plain_md and, when @p prim_md differs, a buffer in that layout
 * with a reorder (plain -> prim when @p to_prim, else prim -> plain). */
static int wbuf_init(pf_nn_ctx *ctx, wbuf *w, const dnnl_memory_desc_t *plain_md,
                     const dnnl_memory_desc_t *prim_md, int to_prim, pf_error *err)
{
    DN(dnnl_memory_create(&w->plain, plain_md, ctx->eng, NULL), "weights memory");
    if (dnnl_memory_desc_equal(plain_md, prim_md)) return 0;
    w->prim_data = zalloc(dnnl_memory_desc_get_size(prim_md));
    DN(dnnl_memory_create(&w->prim, prim_md, ctx->eng, w->prim_data), "weights memory");
    return to_prim ? reorder_new(ctx, plain_md, prim_md, &w->reorder, err)
                   : reorder_new(ctx, prim_md, plain_md, &w->reorder, err);
}

static void wbuf_release(wbuf *w)
{
    if (w->plain) dnnl_memory_destroy(w->plain);
    if (w->prim) dnnl_memory_destroy(w->prim);
    if (w->reorder) dnnl_primitive_destroy(w->reorder);
    free(w->prim_data);
}

/* The memory the primitive reads: the reordered weights from @p p (PyTorch layout). */
static int wbuf_in(pf_nn_ctx *ctx, wbuf *w, const float *p, dnnl_memory_t *out, pf_error *err)
{
    DN(dnnl_memory_set_data_handle(w->plain, (void *)p), "weights handle");
    *out = w->plain;
    if (!w->prim) return 0;
    *out = w->prim;
    return run_reorder(ctx, w->reorder, w->plain, w->prim, err);
}

/* The memory the primitive writes gradients into; wbuf_out_done reorders them to @p p. */
static int wbuf_out(wbuf *w, float *p, dnnl_memory_t *out, pf_error *err)
{
    DN(dnnl_memory_set_data_handle(w->plain, p), "gradient handle");
    *out = w->prim ? w->prim : w->plain;
    return 0;
}

static int wbuf_out_done(pf_nn_ctx *ctx, wbuf *w, pf_error *err)
{
    return w->prim ? run_reorder(ctx, w->reorder, w->prim, w->plain, err) : 0;
}

static int handle(dnnl_memory_t m, const float *p, pf_error *err)
{
    DN(dnnl_memory_set_data_handle(m, (void *)p), "handle");
    return 0;
}

/* When the primitive wants its input in @p want and it comes in @p src's layout, add buffers
 * and reorders both ways; the op's dsrc is in the given layout either way. */
static int adapt_src(pf_nn_op *op, const pf_nn_act *src, const dnnl_memory_desc_t *want,
                     pf_error *err)
{
    op->dsrc = pf_nn_act_new_like(src, err);
    if (!op->dsrc) return -1;
    if (dnnl_memory_desc_equal(&src->md, want)) return 0;
    op->src_r = act_of_md(op->ctx, want, err);
    op->dsrc_r = op->src_r ? act_of_md(op->ctx, want, err) : NULL;
    if (!op->dsrc_r) return -1;
    if (reorder_new(op->ctx, &src->md, want, &op->src_reorder, err)) return -1;
    return reorder_new(op->ctx, want, &src->md, &op->dsrc_reorder, err);
}

/* The input the primitive reads: @p src, or its reordered copy. */
static int src_in(pf_nn_op *op, const pf_nn_act *src, dnnl_memory_t *out, pf_error *err)
{
    *out = src->mem;
    if (!op->src_r) return 0;
    *out = op->src_r->mem;
    return run_reorder(op->ctx, op->src_reorder, src->mem, op->src_r->mem, err);
}

static int dst_new(pf_nn_op *op, pf_error *err)
{
    op->dst = act_of_md(op->ctx, pd_md(op->fwd_pd, dnnl_query_dst_md), err);
    return op->dst ? 0 : -1;
}

static pf_nn_op *op_alloc(pf_nn_ctx *ctx, op_kind kind)
{
    pf_nn_op *op = pf_calloc(1, sizeof *op);
    pf_nn_ctx_enter(ctx); /* oneDNN splits the work for the thread count at creation */
    op->ctx = ctx;
    op->kind = kind;
    return op;
}

static pf_nn_op *op_done(pf_nn_op *op, int rc)
{
    if (!rc) return op;
    pf_nn_op_free(op);
    return NULL;
}

void pf_nn_op_free(pf_nn_op *op)
{
    if (!op) return;
    dnnl_primitive_t prims[] = {op->fwd, op->bwd_data, op->bwd_w, op->src_reorder,
                                op->dsrc_reorder};
    for (size_t i = 0; i < sizeof prims / sizeof *prims; i++)
        if (prims[i]) dnnl_primitive_destroy(prims[i]);
    dnnl_memory_t mems[] = {op->ws, op->src2, op->dsrc2, op->dst2, op->ddst2, op->b, op->db};
    for (size_t i = 0; i < sizeof mems / sizeof *mems; i++)
        if (mems[i]) dnnl_memory_destroy(mems[i]);
    if (op->fwd_pd) dnnl_primitive_desc_destroy(op->fwd_pd);
    wbuf_release(&op->w_fwd);
    wbuf_release(&op->w_bwd);
    wbuf_release(&op->dw);
    pf_nn_act_free(op->src_r);
    pf_nn_act_free(op->dsrc_r);
    if (!op->fused) pf_nn_act_free(op->dst);
    pf_nn_act_free(op->dsrc);
    free(op->ws_data);
    for (int t = 0; t < op->n_slots; t++) {
        slot *sl = &op->slots[t];
        dnnl_memory_t sm[] = {sl->src, sl->ddst, sl->dsrc, sl->wei, sl->dw, sl->db, sl->pad};
        for (size_t i = 0; i < sizeof sm / sizeof *sm; i++)
            if (sm[i]) dnnl_memory_destroy(sm[i]);
        free(sl->pad_data);
    }
    free(op->slots);
    free(op->dw_part);
    free(op->db_part);
    free(op);
}

pf_nn_act *pf_nn_op_dst(const pf_nn_op *op)
{
    return op->dst;
}

pf_nn_act *pf_nn_op_dsrc(const pf_nn_op *op)
{
    return op->dsrc;
}

const char *pf_nn_op_impl(const pf_nn_op *op)
{
    const char *s = "none";
    if (op->fwd_pd) dnnl_primitive_desc_query(op->fwd_pd, dnnl_query_impl_info_str, 0, &s);
    return s;
}

/* ---- convolution ---- */

/*
 * Winograd F(4x4, 3x3) where oneDNN has it (3x3, channels in blocks of 16): about 1.8x faster
 * than direct on the seed network's inner convs; direct elsewhere (a 1-channel input runs much
 * slower through Winograd). PF_NN_CONV_ALG=direct turns Winograd off.
 */
static dnnl_alg_kind_t conv_alg(int64_t ic, int64_t oc, int k)
{
    const char *e = getenv("PF_NN_CONV_ALG");
    if ((e && !strcmp(e, "direct")) || k != 3 || ic % 16 || oc % 16) return dnnl_convolution_direct;
    return dnnl_convolution_winograd;
}

/* The kernel's height: @p k, or 1 on an input of height 1 (a convolution along W only). */
static int conv_kh(const dnnl_memory_desc_t *src, int k)
{
    return src->dims[2] == 1 ? 1 : k;
}

/* Forward primitive with src/weights/dst any, bias plain, ReLU post-op when asked. */
static int conv_fwd_new(pf_nn_op *op, const dnnl_memory_desc_t *src, int out, int k, int relu,
                        pf_error *err)
{
    const dnnl_dims_t *d = &src->dims;
    int kh = conv_kh(src, k);
    dnnl_memory_desc_t s = md4((*d)[0], (*d)[1], (*d)[2], (*d)[3], dnnl_format_tag_any);
    dnnl_memory_desc_t w = md4(out, (*d)[1], kh, k, dnnl_format_tag_any);
    dnnl_memory_desc_t b = md_tag(1, (int64_t[]){out}, dnnl_a);
    dnnl_memory_desc_t y = md4((*d)[0], out, (*d)[2], (*d)[3], dnnl_format_tag_any);
    dnnl_dims_t one = {1, 1}, pad = {kh / 2, k / 2};
    dnnl_convolution_desc_t cd;
    op->alg = kh == k ? conv_alg((*d)[1], out, k) : dnnl_convolution_direct;
    DN(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, op->alg, &s, &w, &b, &y, one,
                                          pad, pad),
       "convolution");
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    if (relu) {
        DN(dnnl_primitive_attr_create(&attr), "attributes");
        DN(dnnl_post_ops_create(&po), "post-ops");
        DN(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f), "post-ops");
        DN(dnnl_primitive_attr_set_post_ops(attr, po), "post-ops");
    }
    int rc = prim_new(&cd, attr, op->ctx, NULL, &op->fwd_pd, &op->fwd, err);
    if (rc && op->alg != dnnl_convolution_direct) { /* no Winograd for this shape */
        op->alg = cd.alg_kind = dnnl_convolution_direct;
        rc = prim_new(&cd, attr, op->ctx, NULL, &op->fwd_pd, &op->fwd, err);
    }
    if (po) dnnl_post_ops_destroy(po);
    if (attr) dnnl_primitive_attr_destroy(attr);
    return rc;
}

/*
 * The conv backward runs on single examples, each on one thread: oneDNN splits a batch's (and
 * even one example's) weight-gradient sum by the thread count, and Winograd's data gradient
 * differs in the last bits too, so these primitives are made for one thread (their work is
 * then one fixed sequence) and pitchforge's workers share out the examples; the weight
 * gradients of the examples are added in example order. The results do not depend on the
 * thread count.
 */

/* @p md with a batch of one (the same layout: one example's slice of the batch). */
static dnnl_memory_desc_t md_one(const dnnl_memory_desc_t *md)
{
    dnnl_memory_desc_t one = *md;
    one.dims[0] = one.padded_dims[0] = 1;
    return one;
}

/* Scratchpad bytes of @p pd (user-managed: one scratchpad per worker). */
static size_t pad_size(const_dnnl_primitive_desc_t pd)
{
    return dnnl_memory_desc_get_size(pd_md(pd, dnnl_query_scratchpad_md));
}

/* One example's backward data and weights primitives with algorithm @p alg, for one thread
 * (the caller set it); their weight layouts in *@p wd, *@p wg, the larger scratchpad in *@p pad. */
static int conv_bwd_prims(pf_nn_op *op, dnnl_alg_kind_t alg, const dnnl_memory_desc_t *s,
                          const dnnl_memory_desc_t *y, const dnnl_memory_desc_t *wany,
                          const dnnl_memory_desc_t *b, dnnl_memory_desc_t *wd,
                          dnnl_memory_desc_t *wg, size_t *pad, pf_error *err)
{
    dnnl_dims_t one = {1, 1}, pd_ = {wany->dims[2] / 2, wany->dims[3] / 2};
    dnnl_convolution_desc_t fd, bd, gd;
    dnnl_primitive_desc_t hint = NULL, pbd = NULL, pgd = NULL;
    dnnl_primitive_attr_t attr = NULL;
    DN(dnnl_primitive_attr_create(&attr), "attributes");
    int rc = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) ||
             dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, alg, s, wany, b, y,
                                                one, pd_, pd_) ||
             dnnl_convolution_backward_data_desc_init(&bd, alg, s, wany, y, one, pd_, pd_) ||
             dnnl_convolution_backward_weights_desc_init(&gd, alg, s, wany, b, y, one, pd_, pd_)
                 ? PF_FAIL(err, PF_ELIB, "oneDNN: convolution backward (one example)")
                 : 0;
    if (!rc)
        rc = prim_new(&fd, NULL, op->ctx, NULL, &hint, NULL, err) ||
                     prim_new(&bd, attr, op->ctx, hint, &pbd, &op->bwd_data, err) ||
                     prim_new(&gd, attr, op->ctx, hint, &pgd, &op->bwd_w, err)
                 ? -1
                 : 0;
    if (!rc) {
        *wd = *pd_md(pbd, dnnl_query_weights_md);
        *wg = *pd_md(pgd, dnnl_query_diff_weights_md);
        *pad = pad_size(pbd) > pad_size(pgd) ? pad_size(pbd) : pad_size(pgd);
    }
    dnnl_primitive_desc_t pds[] = {hint, pbd, pgd};
    for (size_t i = 0; i < 3; i++)
        if (pds[i]) dnnl_primitive_desc_destroy(pds[i]);
    dnnl_primitive_attr_destroy(attr);
    return rc;
}

/* The workers' views (mds of one example) and scratchpads. */
static int slots_new(pf_nn_op *op, const dnnl_memory_desc_t *mds[6], size_t pad, pf_error *err)
{
    op->n_slots = op->ctx->threads < SLOTS_MAX ? op->ctx->threads : SLOTS_MAX;
    op->slots = pf_calloc((size_t)op->n_slots, sizeof *op->slots);
    dnnl_memory_desc_t pmd = md_tag(1, (int64_t[]){(int64_t)(pad ? pad : 1)}, dnnl_a);
    pmd.data_type = dnnl_u8;
    for (int t = 0; t < op->n_slots; t++) {
        slot *sl = &op->slots[t];
        dnnl_memory_t *m[] = {&sl->src, &sl->ddst, &sl->dsrc, &sl->wei, &sl->dw, &sl->db};
        for (int i = 0; i < 6; i++)
            DN(dnnl_memory_create(m[i], mds[i], op->ctx->eng, NULL), "example memory");
        sl->pad_data = zalloc(pad);
        DN(dnnl_memory_create(&sl->pad, &pmd, op->ctx->eng, sl->pad_data), "scratchpad");
    }
    return 0;
}

static int conv_bwd_new(pf_nn_op *op, int out, int k, pf_error *err)
{
    const dnnl_memory_desc_t *sf = pd_md(op->fwd_pd, dnnl_query_src_md);
    dnnl_memory_desc_t s = md_one(sf), y = md_one(pd_md(op->fwd_pd, dnnl_query_dst_md));
    int kh = conv_kh(sf, k);
    dnnl_memory_desc_t wany = md4(out, sf->dims[1], kh, k, dnnl_format_tag_any);
    dnnl_memory_desc_t wplain = md4(out, sf->dims[1], kh, k, dnnl_oihw);
    dnnl_memory_desc_t b = md_tag(1, (int64_t[]){out}, dnnl_a), wd, wg;
    size_t pad = 0;
    set_omp_threads(1);
    int rc = conv_bwd_prims(op, op->alg, &s, &y, &wany, &b, &wd, &wg, &pad, err);
    if (rc && op->alg != dnnl_convolution_direct) { /* no one-example Winograd for this shape */
        pf_error_clear(err);
        rc = conv_bwd_prims(op, dnnl_convolution_direct, &s, &y, &wany, &b, &wd, &wg, &pad, err);
    }
    pf_nn_ctx_enter(op->ctx);
    if (rc) return -1;
    op->w_shared = dnnl_memory_desc_equal(&wd, pd_md(op->fwd_pd, dnnl_query_weights_md));
    if (wbuf_init(op->ctx, &op->w_bwd, &wplain, &wd, 1, err) ||
        wbuf_init(op->ctx, &op->dw, &wplain, &wg, 0, err))
        return -1;
    op->dw_len = dnnl_memory_desc_get_size(&wg) / sizeof(float);
    size_t n = (size_t)sf->dims[0] - 1;
    op->dw_part = zalloc(n * op->dw_len * sizeof(float));
    op->db_part = zalloc(n * (size_t)out * sizeof(float));
    const dnnl_memory_desc_t *mds[6] = {&s, &y, &s, &wd, &wg, &b};
    return slots_new(op, mds, pad, err);
}

static int conv_build(pf_nn_op *op, const pf_nn_act *src, int out, int k, int relu, pf_error *err)
{
    if (conv_fwd_new(op, &src->md, out, k, relu, err)) return -1;
    if (adapt_src(op, src, pd_md(op->fwd_pd, dnnl_query_src_md), err)) return -1;
    if (dst_new(op, err)) return -1;
    const dnnl_memory_desc_t *d = &src->md;
    dnnl_memory_desc_t wplain = md4(out, d->dims[1], conv_kh(d, k), k, dnnl_oihw);
    dnnl_memory_desc_t b = md_tag(1, (int64_t[]){out}, dnnl_a);
    if (wbuf_init(op->ctx, &op->w_fwd, &wplain, pd_md(op->fwd_pd, dnnl_query_weights_md), 1, err))
        return -1;
    DN(dnnl_memory_create(&op->b, &b, op->ctx->eng, NULL), "bias memory");
    return conv_bwd_new(op, out, k, err);
}

pf_nn_op *pf_nn_conv_new(pf_nn_ctx *ctx, const pf_nn_act *src, int out, int kernel, int relu,
                         pf_error *err)
{
    if (out < 1 || kernel < 1 || kernel % 2 == 0) {
        PF_FAIL(err, PF_EINVAL, "conv: %d filters of %d x %d: need filters >= 1, an odd kernel",
                out, kernel, kernel);
        return NULL;
    }
    pf_nn_op *op = op_alloc(ctx, OP_CONV);
    return op_done(op, conv_build(op, src, out, kernel, relu, err));
}

static int conv_forward(pf_nn_op *op, const pf_nn_act *src, const float *w, const float *b,
                        pf_error *err)
{
    dnnl_memory_t s = NULL, wm = NULL;
    if (src_in(op, src, &s, err) || wbuf_in(op->ctx, &op->w_fwd, w, &wm, err) ||
        handle(op->b, b, err))
        return -1;
    dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, s},
                           {DNNL_ARG_WEIGHTS, wm},
                           {DNNL_ARG_BIAS, op->b},
                           {DNNL_ARG_DST, op->dst->mem}};
    return exec(op->ctx, op->fwd, 4, a, err);
}

typedef struct conv_job {
    pf_nn_op *op;
    const pf_nn_act *src, *ddst, *dsrc; /* dsrc NULL: no data gradient */
    void *wei;                          /* the weights in the data primitive's layout */
    float *dw, *db;                     /* example 0's gradients (then the sums) */
    int rc[SLOTS_MAX];
    pf_error err[SLOTS_MAX];
} conv_job;

static int set_views(const conv_job *j, const slot *sl, int64_t e, pf_error *err)
{
    const pf_nn_op *op = j->op;
    int64_t out = op->dst->lay.c;
    float *dw = e ? op->dw_part + (size_t)(e - 1) * op->dw_len : j->dw;
    float *db = e ? op->db_part + (size_t)((e - 1) * out) : j->db;
    if (handle(sl->src, j->src->data + e * j->src->lay.sn, err) ||
        handle(sl->ddst, j->ddst->data + e * j->ddst->lay.sn, err) || handle(sl->dw, dw, err) ||
        handle(sl->db, db, err) || handle(sl->wei, j->wei, err))
        return -1;
    return j->dsrc ? handle(sl->dsrc, j->dsrc->data + e * j->dsrc->lay.sn, err) : 0;
}

/* Example @p e's data gradient (when asked) and weight gradients on worker @p t. */
static int conv_example(const conv_job *j, int t, int64_t e, pf_error *err)
{
    const slot *sl = &j->op->slots[t];
    dnnl_stream_t st = j->op->ctx->wstream[t];
    if (set_views(j, sl, e, err)) return -1;
    dnnl_exec_arg_t d[] = {{DNNL_ARG_DIFF_DST, sl->ddst},
                           {DNNL_ARG_WEIGHTS, sl->wei},
                           {DNNL_ARG_DIFF_SRC, sl->dsrc},
                           {DNNL_ARG_SCRATCHPAD, sl->pad}};
    if (j->dsrc) DN(dnnl_primitive_execute(j->op->bwd_data, st, 4, d), "backward data");
    dnnl_exec_arg_t g[] = {{DNNL_ARG_SRC, sl->src},
                           {DNNL_ARG_DIFF_DST, sl->ddst},
                           {DNNL_ARG_DIFF_WEIGHTS, sl->dw},
                           {DNNL_ARG_DIFF_BIAS, sl->db},
                           {DNNL_ARG_SCRATCHPAD, sl->pad}};
    DN(dnnl_primitive_execute(j->op->bwd_w, st, 5, g), "backward weights");
    return 0;
}

/* Worker t: examples t, t + nt, ... (any split gives the same bits: each example is alone). */
static void conv_examples(void *arg, int t, int nt)
{
    conv_job *j = arg;
    set_omp_threads(1);
    for (int64_t e = t; e < j->src->lay.n && !j->rc[t]; e += nt)
        j->rc[t] = conv_example(j, t, e, &j->err[t]);
}

/* Add the examples' weight gradients (in the part buffers) to example 0's, in example order. */
static void conv_sum(const pf_nn_op *op, int64_t n, float *dw, float *db)
{
    int64_t out = op->dst->lay.c;
    for (int64_t e = 1; e < n; e++) {
        const float *pw = op->dw_part + (size_t)(e - 1) * op->dw_len;
        const float *pb = op->db_part + (size_t)((e - 1) * out);
        for (size_t i = 0; i < op->dw_len; i++)
            dw[i] += pw[i];
        for (int64_t i = 0; i < out; i++)
            db[i] += pb[i];
    }
}

static int conv_backward(pf_nn_op *op, const pf_nn_act *src, const pf_nn_act *ddst,
                         const float *w, float *dw, float *db, int want_dsrc, pf_error *err)
{
    dnnl_memory_t wm = NULL, dwm = NULL;
    void *wei = NULL, *acc = NULL;
    if (want_dsrc) {
        if (op->w_shared && op->w_fwd.prim)
            wm = op->w_fwd.prim; /* reordered by the forward */
        else if (wbuf_in(op->ctx, &op->w_bwd, w, &wm, err))
            return -1;
        DN(dnnl_memory_get_data_handle(wm, &wei), "weights handle");
    }
    if (wbuf_out(&op->dw, dw, &dwm, err)) return -1;
    DN(dnnl_memory_get_data_handle(dwm, &acc), "gradient handle");
    conv_job j = {.op = op, .src = op->src_r ? op->src_r : src, .ddst = ddst, .wei = wei,
                  .dw = acc, .db = db};
    j.dsrc = want_dsrc ? (op->dsrc_r ? op->dsrc_r : op->dsrc) : NULL;
    pf_nn_parallel(op->n_slots, conv_examples, &j);
    pf_nn_ctx_enter(op->ctx);
    for (int t = 0; t < op->n_slots; t++)
        if (j.rc[t]) {
            *err = j.err[t];
            return -1;
        }
    conv_sum(op, src->lay.n, acc, db);
    if (want_dsrc && op->dsrc_r &&
        run_reorder(op->ctx, op->dsrc_reorder, op->dsrc_r->mem, op->dsrc->mem, err))
        return -1;
    return wbuf_out_done(op->ctx, &op->dw, err);
}

/* ---- max pooling ---- */

static int pool_build(pf_nn_op *op, const pf_nn_act *src, int p, pf_error *err)
{
    const dnnl_dims_t *d = &src->md.dims;
    int ph = (*d)[2] == 1 ? 1 : p; /* height 1: pool along W only */
    dnnl_memory_desc_t y = md4((*d)[0], (*d)[1], (*d)[2] / ph, (*d)[3] / p, dnnl_format_tag_any);
    dnnl_dims_t st = {ph, p}, ker = {ph, p}, dil = {0, 0}, pad = {0, 0};
    dnnl_pooling_v2_desc_t fd, bd;
    DN(dnnl_pooling_v2_forward_desc_init(&fd, dnnl_forward_training, dnnl_pooling_max, &src->md,
                                         &y, st, ker, dil, pad, pad),
       "max pooling");
    if (prim_new(&fd, NULL, op->ctx, NULL, &op->fwd_pd, &op->fwd, err) || dst_new(op, err))
        return -1;
    const dnnl_memory_desc_t *ws = pd_md(op->fwd_pd, dnnl_query_workspace_md);
    op->ws_data = zalloc(dnnl_memory_desc_get_size(ws));
    DN(dnnl_memory_create(&op->ws, ws, op->ctx->eng, op->ws_data), "workspace");
    op->dsrc = pf_nn_act_new_like(src, err);
    if (!op->dsrc) return -1;
    DN(dnnl_pooling_v2_backward_desc_init(&bd, dnnl_pooling_max, &src->md, &op->dst->md, st, ker,
                                          dil, pad, pad),
       "max pooling backward");
    return prim_new(&bd, NULL, op->ctx, op->fwd_pd, NULL, &op->bwd_data, err);
}

pf_nn_op *pf_nn_pool_new(pf_nn_ctx *ctx, const pf_nn_act *src, int pool, pf_error *err)
{
    const pf_nn_layout *l = &src->lay;
    if (pool < 1 || pool > l->w || (pool > l->h && l->h != 1)) {
        PF_FAIL(err, PF_EINVAL, "maxpool %d: needs 1 <= pool <= the input's %lld x %lld", pool,
                (long long)l->h, (long long)l->w);
        return NULL;
    }
    pf_nn_op *op = op_alloc(ctx, OP_POOL);
    return op_done(op, pool_build(op, src, pool, err));
}

static int pool_forward(pf_nn_op *op, const pf_nn_act *src, pf_error *err)
{
    dnnl_exec_arg_t a[] = {
        {DNNL_ARG_SRC, src->mem}, {DNNL_ARG_DST, op->dst->mem}, {DNNL_ARG_WORKSPACE, op->ws}};
    return exec(op->ctx, op->fwd, 3, a, err);
}

static int pool_backward(pf_nn_op *op, const pf_nn_act *ddst, pf_error *err)
{
    dnnl_exec_arg_t a[] = {{DNNL_ARG_DIFF_DST, ddst->mem},
                           {DNNL_ARG_DIFF_SRC, op->dsrc->mem},
                           {DNNL_ARG_WORKSPACE, op->ws}};
    return exec(op->ctx, op->bwd_data, 3, a, err);
}

/* ---- ReLU ---- */

static int relu_build(pf_nn_op *op, const pf_nn_act *src, int fused, pf_error *err)
{
    dnnl_alg_kind_t alg = fused ? dnnl_eltwise_relu_use_dst_for_bwd : dnnl_eltwise_relu;
    dnnl_eltwise_desc_t fd, bd;
    DN(dnnl_eltwise_forward_desc_init(&fd, dnnl_forward_training, alg, &src->md, 0.0f, 0.0f),
       "relu");
    if (prim_new(&fd, NULL, op->ctx, NULL, &op->fwd_pd, fused ? NULL : &op->fwd, err)) return -1;
    if (fused) {
        op->dst = (pf_nn_act *)src;
    } else if (dst_new(op, err)) {
        return -1;
    }
    op->dsrc = pf_nn_act_new_like(src, err);
    if (!op->dsrc) return -1;
    DN(dnnl_eltwise_backward_desc_init(&bd, alg, &src->md, &src->md, 0.0f, 0.0f),
       "relu backward");
    return prim_new(&bd, NULL, op->ctx, op->fwd_pd, NULL, &op->bwd_data, err);
}

pf_nn_op *pf_nn_relu_new(pf_nn_ctx *ctx, const pf_nn_act *src, int fused, pf_error *err)
{
    pf_nn_op *op = op_alloc(ctx, OP_RELU);
    op->fused = fused;
    return op_done(op, relu_build(op, src, fused, err));
}

static int relu_backward(pf_nn_op *op, const pf_nn_act *src, const pf_nn_act *ddst,
                         pf_error *err)
{
    dnnl_exec_arg_t a[] = {{op->fused ? DNNL_ARG_DST : DNNL_ARG_SRC, src->mem},
                           {DNNL_ARG_DIFF_DST, ddst->mem},
                           {DNNL_ARG_DIFF_SRC, op->dsrc->mem}};
    return exec(op->ctx, op->bwd_data, 3, a, err);
}

int pf_nn_relu_mask(pf_nn_op *op, pf_nn_act *ddst, pf_error *err)
{
    pf_nn_ctx_enter(op->ctx);
    dnnl_exec_arg_t a[] = {{DNNL_ARG_DST, op->dst->mem},
                           {DNNL_ARG_DIFF_DST, ddst->mem},
                           {DNNL_ARG_DIFF_SRC, ddst->mem}};
    return exec(op->ctx, op->bwd_data, 3, a, err);
}

/* ---- inner product (on 2-D plain views) ---- */

static int dense_views(pf_nn_op *op, int64_t n, int64_t in, int64_t out, pf_error *err)
{
    pf_nn_ctx *c = op->ctx;
    dnnl_memory_desc_t x = md_tag(2, (int64_t[]){n, in}, dnnl_ab);
    dnnl_memory_desc_t y = md_tag(2, (int64_t[]){n, out}, dnnl_ab);
    dnnl_memory_desc_t b = md_tag(1, (int64_t[]){out}, dnnl_a);
    DN(dnnl_memory_create(&op->src2, &x, c->eng, NULL), "dense memory");
    DN(dnnl_memory_create(&op->dsrc2, &x, c->eng, NULL), "dense memory");
    DN(dnnl_memory_create(&op->dst2, &y, c->eng, op->dst->data), "dense memory");
    DN(dnnl_memory_create(&op->ddst2, &y, c->eng, NULL), "dense memory");
    DN(dnnl_memory_create(&op->b, &b, c->eng, NULL), "bias memory");
    DN(dnnl_memory_create(&op->db, &b, c->eng, NULL), "bias memory");
    return 0;
}

static int dense_build(pf_nn_op *op, const pf_nn_act *src, int out, pf_error *err)
{
    const pf_nn_layout *l = &src->lay;
    int64_t n = l->n, in = l->c * l->h * l->w;
    dnnl_memory_desc_t plain = md4(l->n, l->c, l->h, l->w, dnnl_nchw);
    if (adapt_src(op, src, &plain, err)) return -1;
    op->dst = pf_nn_act_new(op->ctx, (int)n, out, 1, 1, err);
    if (!op->dst || dense_views(op, n, in, out, err)) return -1;
    dnnl_memory_desc_t x = md_tag(2, (int64_t[]){n, in}, dnnl_ab);
    dnnl_memory_desc_t w = md_tag(2, (int64_t[]){out, in}, dnnl_ab);
    dnnl_memory_desc_t b = md_tag(1, (int64_t[]){out}, dnnl_a);
    dnnl_memory_desc_t y = md_tag(2, (int64_t[]){n, out}, dnnl_ab);
    dnnl_inner_product_desc_t fd, bd, wd;
    DN(dnnl_inner_product_forward_desc_init(&fd, dnnl_forward_training, &x, &w, &b, &y), "dense");
    if (prim_new(&fd, NULL, op->ctx, NULL, &op->fwd_pd, &op->fwd, err)) return -1;
    DN(dnnl_inner_product_backward_data_desc_init(&bd, &x, &w, &y), "dense backward data");
    if (prim_new(&bd, NULL, op->ctx, op->fwd_pd, NULL, &op->bwd_data, err)) return -1;
    DN(dnnl_inner_product_backward_weights_desc_init(&wd, &x, &w, &b, &y), "dense backward");
    if (prim_new(&wd, NULL, op->ctx, op->fwd_pd, NULL, &op->bwd_w, err)) return -1;
    if (wbuf_init(op->ctx, &op->w_fwd, &w, &w, 1, err)) return -1;
    return wbuf_init(op->ctx, &op->dw, &w, &w, 0, err);
}

pf_nn_op *pf_nn_dense_new(pf_nn_ctx *ctx, const pf_nn_act *src, int out, pf_error *err)
{
    if (out < 1) {
        PF_FAIL(err, PF_EINVAL, "dense: %d units: need at least 1", out);
        return NULL;
    }
    pf_nn_op *op = op_alloc(ctx, OP_DENSE);
    return op_done(op, dense_build(op, src, out, err));
}

static int dense_forward(pf_nn_op *op, const pf_nn_act *src, const float *w, const float *b,
                         pf_error *err)
{
    dnnl_memory_t s = NULL, wm = NULL;
    if (src_in(op, src, &s, err) || wbuf_in(op->ctx, &op->w_fwd, w, &wm, err) ||
        handle(op->b, b, err))
        return -1;
    if (handle(op->src2, op->src_r ? op->src_r->data : src->data, err)) return -1;
    dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, op->src2},
                           {DNNL_ARG_WEIGHTS, wm},
                           {DNNL_ARG_BIAS, op->b},
                           {DNNL_ARG_DST, op->dst2}};
    return exec(op->ctx, op->fwd, 4, a, err);
}

static int dense_backward(pf_nn_op *op, const pf_nn_act *src, const pf_nn_act *ddst,
                          const float *w, float *dw, float *db, int want_dsrc, pf_error *err)
{
    dnnl_memory_t wm = NULL, dwm = NULL;
    if (handle(op->ddst2, ddst->data, err)) return -1;
    if (want_dsrc) {
        pf_nn_act *ds = op->dsrc_r ? op->dsrc_r : op->dsrc;
        if (wbuf_in(op->ctx, &op->w_fwd, w, &wm, err) || handle(op->dsrc2, ds->data, err))
            return -1;
        dnnl_exec_arg_t a[] = {{DNNL_ARG_DIFF_DST, op->ddst2},
                               {DNNL_ARG_WEIGHTS, wm},
                               {DNNL_ARG_DIFF_SRC, op->dsrc2}};
        if (exec(op->ctx, op->bwd_data, 3, a, err)) return -1;
        if (op->dsrc_r &&
            run_reorder(op->ctx, op->dsrc_reorder, op->dsrc_r->mem, op->dsrc->mem, err))
            return -1;
    }
    if (handle(op->src2, op->src_r ? op->src_r->data : src->data, err) ||
        wbuf_out(&op->dw, dw, &dwm, err) || handle(op->db, db, err))
        return -1;
    dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, op->src2},
                           {DNNL_ARG_DIFF_DST, op->ddst2},
                           {DNNL_ARG_DIFF_WEIGHTS, dwm},
                           {DNNL_ARG_DIFF_BIAS, op->db}};
    return exec(op->ctx, op->bwd_w, 4, a, err);
}

/* ---- dispatch ---- */

int pf_nn_op_forward(pf_nn_op *op, const pf_nn_act *src, const float *w, const float *b,
                     pf_error *err)
{
    pf_nn_ctx_enter(op->ctx);
    switch (op->kind) {
    case OP_CONV: return conv_forward(op, src, w, b, err);
    case OP_POOL: return pool_forward(op, src, err);
    case OP_RELU: {
        if (op->fused) return 0;
        dnnl_exec_arg_t a[] = {{DNNL_ARG_SRC, src->mem}, {DNNL_ARG_DST, op->dst->mem}};
        return exec(op->ctx, op->fwd, 2, a, err);
    }
    case OP_DENSE: return dense_forward(op, src, w, b, err);
    }
    return PF_FAIL(err, PF_EINTERNAL, "unknown op kind %d", (int)op->kind);
}

int pf_nn_op_backward(pf_nn_op *op, const pf_nn_act *src, const pf_nn_act *ddst, const float *w,
                      float *dw, float *db, int want_dsrc, pf_error *err)
{
    pf_nn_ctx_enter(op->ctx);
    switch (op->kind) {
    case OP_CONV: return conv_backward(op, src, ddst, w, dw, db, want_dsrc, err);
    case OP_POOL: return want_dsrc ? pool_backward(op, ddst, err) : 0;
    case OP_RELU: return want_dsrc ? relu_backward(op, op->fused ? op->dst : src, ddst, err) : 0;
    case OP_DENSE: return dense_backward(op, src, ddst, w, dw, db, want_dsrc, err);
    }
    return PF_FAIL(err, PF_EINTERNAL, "unknown op kind %d", (int)op->kind);
}
