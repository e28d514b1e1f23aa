/*
 * Layers on oneDNN (STYLE rule 2: onednn_layers.c is the only file that includes dnnl.h).
 *
 * An activation (pf_nn_act) is a logical [n][c][h][w] float32 tensor in whatever memory layout
 * the primitive that wrote it chose (plain NCHW, or blocked such as nChw16c, whose channels are
 * padded to the block with zeros). pf_nn_layout says where element (n, c, h, w) sits, so plain C
 * layers (dropout, timestats) can work on any layout.
 *
 * An operation (pf_nn_op) is one layer's forward and backward primitives, made once for one
 * batch size and one input layout, with its output (dst) and input-gradient (dsrc) activations.
 * Parameters stay in PyTorch layout in the caller's arrays (conv [out][in][kh][kw], dense
 * [out][in], bias [out]); an op reorders them to the layout its primitive prefers (conv: blocked)
 * on every forward, and reorders weight gradients back into PyTorch layout.
 */
#ifndef PF_NN_LAYERS_H
#define PF_NN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"
#include "pitchforge/nn.h"

/** The oneDNN CPU engine, a stream and the thread count. */
typedef struct pf_nn_ctx pf_nn_ctx;
/** An activation tensor (owned buffer, layout chosen by oneDNN). */
typedef struct pf_nn_act pf_nn_act;
/** One layer's primitives and buffers. */
typedef struct pf_nn_op pf_nn_op;

/** Where element (n, c, h, w) sits: n*sn + (c/blk)*sc + h*sh + w*sw + c%blk. */
typedef struct pf_nn_layout {
    int64_t n, c, h, w;     /**< logical dims */
    int64_t sn, sc, sh, sw; /**< strides in floats (sc: between channel blocks) */
    int64_t blk;            /**< channel block (1: plain) */
    size_t len;             /**< floats in the buffer, padding included */
} pf_nn_layout;

/** Offset of element (n, c, h, w) in an activation of layout @p l. */
static inline int64_t pf_nn_at(const pf_nn_layout *l, int64_t n, int64_t c, int64_t h, int64_t w)
{
    return n * l->sn + (c / l->blk) * l->sc + h * l->sh + w * l->sw + c % l->blk;
}

/**
 * Make the engine and stream for @p threads threads (OpenMP, set with omp_set_num_threads on
 * every pf_nn_ctx_enter). @return the context or NULL with @p err filled.
 */
pf_nn_ctx *pf_nn_ctx_new(int threads, pf_error *err);
/** Free the context; NULL is accepted. */
void pf_nn_ctx_free(pf_nn_ctx *ctx);
/** Set the calling thread's OpenMP thread count to the context's (call before executing). */
void pf_nn_ctx_enter(const pf_nn_ctx *ctx);

/** A zeroed plain NCHW activation [n][c][h][w]. @return it or NULL with @p err filled. */
pf_nn_act *pf_nn_act_new(pf_nn_ctx *ctx, int n, int c, int h, int w, pf_error *err);
/** A zeroed activation with the dims and layout of @p a. */
pf_nn_act *pf_nn_act_new_like(const pf_nn_act *a, pf_error *err);
/** Free an activation; NULL is accepted. */
void pf_nn_act_free(pf_nn_act *a);
/** The buffer (pf_nn_act_layout(a)->len floats). */
float *pf_nn_act_data(const pf_nn_act *a);
/** The layout of @p a. */
const pf_nn_layout *pf_nn_act_layout(const pf_nn_act *a);
/** 1 when @p a is plain NCHW (dense, no padding). */
int pf_nn_act_is_plain(const pf_nn_act *a);
/** Copy plain NCHW @p src [n][c][h][w] into @p a (any layout). */
void pf_nn_act_import(pf_nn_act *a, const float *src);
/** Copy @p a (any layout) out to plain NCHW @p dst [n][c][h][w]. */
void pf_nn_act_export(const pf_nn_act *a, float *dst);
/** A zeroed activation [n][c][h][w] in the layout oneDNN prefers for a 3x3 conv's input. */
pf_nn_act *pf_nn_act_new_for_conv(pf_nn_ctx *ctx, int n, int c, int h, int w, pf_error *err);
/** A short name of @p a's memory format ("nchw", "nChw16c", ...), for logs and tests. */
const char *pf_nn_act_format(const pf_nn_act *a);

/**
 * Convolution, @p out filters of @p kernel x @p kernel (odd), stride 1, zero padding kernel/2,
 * with bias, on input @p src ([n][c][h][w], its layout fixes the op's input layout). On an
 * input of height 1 the kernel is 1 x @p kernel (padding kernel/2 along w only).
 * @param relu  1: ReLU fused as a post-op (dst holds relu(conv)); pair with pf_nn_relu_new(dst, 1)
 * Params: weight [out][c][kernel or 1][kernel], bias [out].
 */
pf_nn_op *pf_nn_conv_new(pf_nn_ctx *ctx, const pf_nn_act *src, int out, int kernel, int relu,
                         pf_error *err);
/**
 * Max pooling @p pool x @p pool, stride @p pool, output floor(h/pool) x floor(w/pool); on an
 * input of height 1, 1 x @p pool.
 */
pf_nn_op *pf_nn_pool_new(pf_nn_ctx *ctx, const pf_nn_act *src, int pool, pf_error *err);
/**
 * ReLU. @p fused 1: the previous conv applied it already; forward is a no-op whose dst is
 * @p src itself and backward masks by dst > 0.
 */
pf_nn_op *pf_nn_relu_new(pf_nn_ctx *ctx, const pf_nn_act *src, int fused, pf_error *err);
/**
 * ddst *= (dst > 0) in place, dst being the fused ReLU op's activation: ReLU's backward moved
 * past a max-pool (max and ReLU commute, and a pooled max is > 0 exactly when the element it
 * came from passed the ReLU), on the 4x smaller pooled gradient.
 */
int pf_nn_relu_mask(pf_nn_op *op, pf_nn_act *ddst, pf_error *err);
/**
 * Inner product to @p out units with bias; the input is flattened in NCHW order (c*h*w, as
 * torch.flatten). Output [n][out][1][1] plain. Params: weight [out][c*h*w], bias [out].
 */
pf_nn_op *pf_nn_dense_new(pf_nn_ctx *ctx, const pf_nn_act *src, int out, pf_error *err);
/** Free an op and its buffers; NULL is accepted. */
void pf_nn_op_free(pf_nn_op *op);

/** The op's output activation (owned by the op, or its input for a fused ReLU). */
pf_nn_act *pf_nn_op_dst(const pf_nn_op *op);
/** The op's input gradient (owned by the op), in the layout of the op's input. */
pf_nn_act *pf_nn_op_dsrc(const pf_nn_op *op);
/** The oneDNN implementation chosen for the forward primitive ("jit:avx512_core", ...). */
const char *pf_nn_op_impl(const pf_nn_op *op);

/**
 * Forward: dst = op(src). @p src must have the dims and layout the op was made for.
 * @param w, b  PyTorch-layout weight and bias (NULL for parameter-free ops)
 */
int pf_nn_op_forward(pf_nn_op *op, const pf_nn_act *src, const float *w, const float *b,
                     pf_error *err);
/**
 * Backward of the last forward (made with the same @p src and @p w): from @p ddst (layout of
 * dst) write dsrc (when @p want_dsrc) and the parameter gradients @p dw, @p db (PyTorch layout,
 * overwritten; NULL for parameter-free ops). Conv: the bits do not depend on the thread count
 * (one example per worker on one-thread primitives, weight gradients added in example order).
 */
int pf_nn_op_backward(pf_nn_op *op, const pf_nn_act *src, const pf_nn_act *ddst, const float *w,
                      float *dw, float *db, int want_dsrc, pf_error *err);

/* ---- plain C layers (ops.c, convpool.c), on any layout ---- */

/** Run fn(arg, t, nt) for t = 0..nt-1 on @p nt threads, at most 16 (pf_parallel_run). */
void pf_nn_parallel(int nt, void (*fn)(void *arg, int t, int nt), void *arg);

/** Stream of the dropout masks in the counter-based generator (id = layer << 32 | example). */
#define PF_NN_STREAM_DROPOUT 0x6e6e01u
/** Stream of parameter initialization (id = layer). */
#define PF_NN_STREAM_INIT 0x6e6e02u

/**
 * Dropout forward: draw the keep-mask of layer @p layer for @p step_seed and apply it,
 * y = x * mask / (1 - p) at every logical element of layout @p l (padding left alone).
 * mask[(n*c + ci)*h*w + hi*w + wi] is 1 when its 16-bit draw is >= round(p * 65536) (p is
 * quantized to 1/65536); example n uses generator (step_seed, PF_NN_STREAM_DROPOUT,
 * layer << 32 | n), each 32-bit word giving two draws (low half first), in NCHW order within the
 * example, so masks depend neither on the layout nor on the thread count.
 * @param mask  out: n*c*h*w bytes (@p l's logical dims)
 * @param x, y  NULL: only draw the mask
 */
void pf_nn_dropout_forward(const pf_nn_layout *l, float p, uint64_t step_seed, uint32_t layer,
                           uint8_t *mask, const float *x, float *y, int threads);
/** Only the mask of pf_nn_dropout_forward, on one thread. */
void pf_nn_dropout_mask(const pf_nn_layout *l, float p, uint64_t step_seed, uint32_t layer,
                        uint8_t *mask);
/** y = x * mask / (1 - p) (@p y may be @p x): the backward, or a forward with a given mask. */
void pf_nn_dropout_apply(const pf_nn_layout *l, const uint8_t *mask, float p, const float *x,
                         float *y, int threads);

/*
 * The first conv block on a one-channel input, fused: conv (k x k, 'same', bias) -> ReLU ->
 * p x p max-pool, without the full-size conv output (on [1][513][90] it would be 64 x 513 x 90
 * floats an example, written and read five times a step). Same results as the three layers
 * (ReLU and max commute; ties go to the first position in the window, as PyTorch).
 */
typedef struct pf_nn_convpool {
    int out, k, p;
    const pf_nn_layout *x; /**< input [n][1][h][w] */
    const pf_nn_layout *y; /**< output [n][out][h/p][w/p] (any layout) */
    int threads;
} pf_nn_convpool;

/** Forward: y = maxpool(relu(conv(x))); @p arg [n][out][h/p][w/p] gets each max's position. */
void pf_nn_convpool_forward(const pf_nn_convpool *c, const float *x, const float *wt,
                            const float *b, float *y, uint8_t *arg);
/** Backward: dw [out][k][k], db [out] (overwritten) and, when @p dx is not NULL, dx (layout of
 *  x, padding zeroed) from dy (layout of y). One partial sum per example, added in example
 *  order: the bits do not depend on the thread count. */
void pf_nn_convpool_backward(const pf_nn_convpool *c, const float *x, const float *wt,
                             const float *y, const float *dy, const uint8_t *arg, float *dw,
                             float *db, float *dx);

/**
 * The harmonics layer's sampling table for input width @p in_w: for group g and output bin i,
 * idx[g * out + i] is the input bin left of the sampled frequency (-1: beyond the input) and
 * frac[...] the weight of the bin right of it.
 */
void pf_nn_harmonics_table(const pf_layer_spec *s, int in_w, int32_t *idx, float *frac);
/**
 * Harmonics forward on plain @p x [n][c][in_w][t] (frequency then time; t 1 for a height-1 map
 * [n][c][1][in_w]) into plain @p y [n][c*k][out][t]: every time step sampled alike. The
 * examples are shared among @p threads threads; the bits do not depend on their number.
 */
void pf_nn_harmonics_forward(const pf_layer_spec *s, int n, int c, int in_w, int t,
                             const int32_t *idx, const float *frac, const float *x, float *y,
                             int threads);
/** Its backward: plain @p dy [n][c*k][out][t] into plain @p dx [n][c][in_w][t] (overwritten). */
void pf_nn_harmonics_backward(const pf_layer_spec *s, int n, int c, int in_w, int t,
                              const int32_t *idx, const float *frac, const float *dy, float *dx,
                              int threads);

/** Per-example state timestats keeps between forward and backward: [n][h][2 + 2k] doubles. */
size_t pf_nn_timestats_state_len(const pf_nn_layout *src, int k);
/**
 * Timestats forward: src [n][1][h][w] (layout @p l) -> y plain [n][h][2 + k]: per bin the mean,
 * the population std over time, and |DFT_j| / w for j = 1..k.
 * @param state  out: [n][h][2 + 2k] (mean, std, re_j, im_j) for the backward
 * @param threads rows are shared out over this many threads (the bits do not depend on it)
 */
void pf_nn_timestats_forward(const pf_nn_layout *l, int k, const float *x, float *y,
                             double *state, int threads);
/** Timestats backward: dx (layout @p l, padding zeroed) from dy plain [n][h][2 + k]. */
void pf_nn_timestats_backward(const pf_nn_layout *l, int k, const float *x, const double *state,
                              const float *dy, float *dx);

#endif
