/* The first conv block on a one-channel input, fused: conv -> ReLU -> max-pool (layers.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "nn/layers.h"

#define CB 32 /* output channels per vector block */

typedef struct cp_job {
    const pf_nn_convpool *c;
    const float *x, *y, *dy, *wt;
    const uint8_t *arg_in;
    float *yout, *dx;
    uint8_t *arg;
    float *wT;     /* [k*k][outp]: weights transposed, zero-padded to a multiple of CB */
    float *bias;   /* [outp] */
    double *parts; /* [n][out * (k*k + 1)]: each example's weight and bias gradients */
    int64_t outp;
    int64_t *coff; /* [out]: channel o's offset in y, (o / blk) * sc + o % blk */
} cp_job;

static int64_t *channel_offsets(const pf_nn_layout *l)
{
    int64_t *o = pf_calloc((size_t)l->c, sizeof *o);
    for (int64_t c = 0; c < l->c; c++)
        o[c] = (c / l->blk) * l->sc + c % l->blk;
    return o;
}

/* Example n's input with a zero border of r: [h + 2r][w + 2r]. */
static void pad_input(const pf_nn_layout *l, const float *x, int64_t n, int r, float *xp)
{
    int64_t W = l->w + 2 * r;
    memset(xp, 0, sizeof(float) * (size_t)((l->h + 2 * r) * W));
    for (int64_t h = 0; h < l->h; h++)
        for (int64_t w = 0; w < l->w; w++)
            xp[(h + r) * W + w + r] = x[pf_nn_at(l, n, 0, h, w)];
}

/* Where the max positions of (n, ph, pw) start: arg is [n][h/p][w/p][out]. */
static size_t arg_at(const pf_nn_convpool *c, int64_t n, int64_t ph, int64_t pw)
{
    return (size_t)(((n * c->y->h + ph) * c->y->w + pw) * c->out);
}

typedef float v16f __attribute__((vector_size(64)));
typedef int32_t v16i __attribute__((vector_size(64)));
#define NV (CB / 16) /* vectors per channel block */

#define LOAD16(v, p) memcpy(&(v), (p), sizeof(v16f))

/*
 * The kernels' targets: clones for AVX-512, FMA (AVX) and baseline x86-64, picked at run time
 * by the CPU. The Makefile builds this file with -ffp-contract=off, so no clone fuses a * b + c
 * into one FMA (one rounding instead of two): every clone gives the same bits.
 * tests/test_convpool.c builds copies for one target each (this macro set, the public
 * functions renamed) and compares them.
 */
#ifndef PF_CONVPOOL_TARGET
#define PF_CONVPOOL_TARGET target_clones("avx512f", "fma", "default")
#endif

/*
 * One pooled position, channels ob..ob+CB-1: the max over the window of conv + bias, and where
 * it is (the first on ties). Up to four window positions run side by side (independent
 * accumulators) in GCC vector types, one clone per target (PF_CONVPOOL_TARGET).
 */
__attribute__((PF_CONVPOOL_TARGET)) static void
window_max(const cp_job *j, const float *xp, int64_t W, int64_t ph, int64_t pw, int64_t ob,
           float *best_out, float *arg_out)
{
    const int k = j->c->k, p = j->c->p, pp = p * p;
    v16f best[NV], arg[NV];
    for (int v = 0; v < NV; v++)
        best[v] = (v16f){0} - INFINITY, arg[v] = (v16f){0};
    for (int q0 = 0; q0 < pp; q0 += 4) {
        const int nq = pp - q0 < 4 ? pp - q0 : 4;
        const float *xo[4];
        v16f acc[4][NV];
        for (int q = 0; q < 4; q++) {
            int qq = q0 + (q < nq ? q : 0);
            xo[q] = xp + (ph * p + qq / p) * W + pw * p + qq % p;
            for (int v = 0; v < NV; v++)
                LOAD16(acc[q][v], j->bias + ob + 16 * v);
        }
        for (int kh = 0; kh < k; kh++)
            for (int kw = 0; kw < k; kw++) {
                const float *wv = j->wT + (kh * k + kw) * j->outp + ob;
                const int64_t t = kh * W + kw;
                for (int v = 0; v < NV; v++) {
                    v16f w;
                    LOAD16(w, wv + 16 * v);
                    acc[0][v] += w * xo[0][t];
                    acc[1][v] += w * xo[1][t];
                    acc[2][v] += w * xo[2][t];
                    acc[3][v] += w * xo[3][t];
                }
            }
        for (int q = 0; q < nq; q++)
            for (int v = 0; v < NV; v++) {
                v16i gt = acc[q][v] > best[v];
                v16f at = (v16f){0} + (float)(q0 + q);
                best[v] = (v16f)(((v16i)acc[q][v] & gt) | ((v16i)best[v] & ~gt));
                arg[v] = (v16f)(((v16i)at & gt) | ((v16i)arg[v] & ~gt));
            }
    }
    memcpy(best_out, best, sizeof best);
    memcpy(arg_out, arg, sizeof arg);
}

static void forward_example(const cp_job *j, int64_t n, float *xp)
{
    const pf_nn_convpool *c = j->c;
    const pf_nn_layout *yl = c->y;
    const int64_t W = c->x->w + 2 * (c->k / 2);
    pad_input(c->x, j->x, n, c->k / 2, xp);
    for (int64_t ph = 0; ph < yl->h; ph++)
        for (int64_t pw = 0; pw < yl->w; pw++) {
            float *y = j->yout + n * yl->sn + ph * yl->sh + pw * yl->sw;
            uint8_t *arg = j->arg + arg_at(c, n, ph, pw);
            for (int64_t ob = 0; ob < j->outp; ob += CB) {
                float best[CB], where[CB];
                window_max(j, xp, W, ph, pw, ob, best, where);
                for (int64_t i = 0; i < CB && ob + i < c->out; i++) {
                    y[j->coff[ob + i]] = best[i] > 0 ? best[i] : 0.0f;
                    arg[ob + i] = (uint8_t)where[i];
                }
            }
        }
}

static void forward_part(void *arg, int t, int nt)
{
    const cp_job *j = arg;
    const pf_nn_layout *x = j->c->x;
    int r = j->c->k / 2;
    float *xp = pf_malloc(sizeof(float) * (size_t)((x->h + 2 * r) * (x->w + 2 * r)));
    for (int64_t n = t; n < x->n; n += nt)
        forward_example(j, n, xp);
    free(xp);
}

void pf_nn_convpool_forward(const pf_nn_convpool *c, const float *x, const float *wt,
                            const float *b, float *y, uint8_t *arg)
{
    int kk = c->k * c->k;
    cp_job j = {.c = c, .x = x, .yout = y, .arg = arg, .outp = (c->out + CB - 1) / CB * CB};
    j.wT = pf_calloc((size_t)(kk * j.outp), sizeof(float));
    j.bias = pf_calloc((size_t)j.outp, sizeof(float));
    for (int o = 0; o < c->out; o++) {
        j.bias[o] = b[o];
        for (int i = 0; i < kk; i++)
            j.wT[i * j.outp + o] = wt[o * kk + i];
    }
    j.coff = channel_offsets(c->y);
    pf_nn_parallel(c->threads, forward_part, &j);
    free(j.coff);
    free(j.wT);
    free(j.bias);
}

/*
 * One pooled position's weight and bias gradients, added to accw [k*k][outp] and accb
 * [outp]: g [outp] (zero where the ReLU passed nothing), a [outp] the max positions.
 */
__attribute__((PF_CONVPOOL_TARGET)) static void
position_grads(const cp_job *j, const float *xp, int64_t W, int64_t ph, int64_t pw,
               const float *g, const float *a, float *accw, float *accb)
{
    const int k = j->c->k, p = j->c->p, pp = p * p;
    for (int64_t ob = 0; ob < j->outp; ob += CB)
        for (int q0 = 0; q0 < pp; q0 += 4) {
            const int nq = pp - q0 < 4 ? pp - q0 : 4;
            const float *xo[4];
            v16f gq[4][NV];
            for (int q = 0; q < 4; q++) {
                int qq = q0 + (q < nq ? q : 0);
                xo[q] = xp + (ph * p + qq / p) * W + pw * p + qq % p;
                for (int v = 0; v < NV; v++) {
                    v16f gv, av, at = (v16f){0} + (float)(q0 + q);
                    LOAD16(gv, g + ob + 16 * v);
                    LOAD16(av, a + ob + 16 * v);
                    gq[q][v] = q < nq ? (v16f)((v16i)gv & (av == at)) : (v16f){0};
                }
            }
            for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++) {
                    const int64_t t = kh * W + kw;
                    float *acc = accw + (kh * k + kw) * j->outp + ob;
                    for (int v = 0; v < NV; v++) {
                        v16f s;
                        LOAD16(s, acc + 16 * v);
                        s += gq[0][v] * xo[0][t] + gq[1][v] * xo[1][t] + gq[2][v] * xo[2][t] +
                             gq[3][v] * xo[3][t];
                        memcpy(acc + 16 * v, &s, sizeof s);
                    }
                }
        }
    for (int64_t o = 0; o < j->outp; o++)
        accb[o] += g[o];
}

/* dx of one pooled position (only when the input gradient is asked for). */
static void position_dx(const cp_job *j, int64_t W, int64_t ph, int64_t pw, const float *g,
                        const float *a, float *dxp)
{
    const int k = j->c->k, kk = k * k, p = j->c->p;
    for (int64_t o = 0; o < j->c->out; o++) {
        if (g[o] == 0) continue;
        int q = (int)a[o];
        float *d = dxp + (ph * p + q / p) * W + pw * p + q % p;
        for (int kh = 0; kh < k; kh++)
            for (int kw = 0; kw < k; kw++)
                d[kh * W + kw] += g[o] * j->wt[o * kk + kh * k + kw];
    }
}

/* Gradients of example n into part ([out][k*k] weights, then [out] biases) and dxp; sums of
 * one pooled row in float (acc*), then added to the double sums. */
static void backward_example(const cp_job *j, int64_t n, const float *xp, float *dxp,
                             double *part, float *accw, float *accb, float *g, float *a)
{
    const pf_nn_convpool *c = j->c;
    const pf_nn_layout *yl = c->y;
    const int kk = c->k * c->k;
    const int64_t W = c->x->w + 2 * (c->k / 2);
    for (int64_t ph = 0; ph < yl->h; ph++) {
        memset(accw, 0, sizeof(float) * (size_t)(kk * j->outp));
        memset(accb, 0, sizeof(float) * (size_t)j->outp);
        for (int64_t pw = 0; pw < yl->w; pw++) {
            int64_t at = n * yl->sn + ph * yl->sh + pw * yl->sw;
            const uint8_t *ar = j->arg_in + arg_at(c, n, ph, pw);
            for (int64_t o = 0; o < c->out; o++) { /* ReLU: a max <= 0 passes nothing */
                g[o] = j->y[at + j->coff[o]] > 0 ? j->dy[at + j->coff[o]] : 0.0f;
                a[o] = ar[o];
            }
            position_grads(j, xp, W, ph, pw, g, a, accw, accb);
            if (dxp) position_dx(j, W, ph, pw, g, a, dxp);
        }
        for (int64_t o = 0; o < c->out; o++) {
            for (int t = 0; t < kk; t++)
                part[o * kk + t] += accw[t * j->outp + o];
            part[c->out * kk + o] += accb[o];
        }
    }
}

static void backward_part(void *arg, int t, int nt)
{
    const cp_job *j = arg;
    const pf_nn_layout *x = j->c->x;
    const int r = j->c->k / 2;
    const int64_t W = x->w + 2 * r;
    size_t len = (size_t)((x->h + 2 * r) * W);
    float *xp = pf_malloc(sizeof(float) * len), *dxp = j->dx ? pf_malloc(sizeof(float) * len) : NULL;
    const size_t per = (size_t)(j->c->out * (j->c->k * j->c->k + 1));
    size_t o16 = (size_t)j->outp;
    float *accw = pf_calloc(o16 * (size_t)(j->c->k * j->c->k + 3), sizeof(float));
    float *accb = accw + o16 * (size_t)(j->c->k * j->c->k), *g = accb + o16, *a = g + o16;
    for (int64_t n = t; n < x->n; n += nt) {
        pad_input(x, j->x, n, r, xp);
        if (dxp) memset(dxp, 0, sizeof(float) * len);
        backward_example(j, n, xp, dxp, j->parts + (size_t)n * per, accw, accb, g, a);
        if (!dxp) continue;
        for (int64_t h = 0; h < x->h; h++)
            for (int64_t w = 0; w < x->w; w++)
                j->dx[pf_nn_at(x, n, 0, h, w)] = dxp[(h + r) * W + w + r];
    }
    free(xp);
    free(dxp);
    free(accw);
}

void pf_nn_convpool_backward(const pf_nn_convpool *c, const float *x, const float *wt,
                             const float *y, const float *dy, const uint8_t *arg, float *dw,
                             float *db, float *dx)
{
    const int kk = c->k * c->k, nt = c->threads;
    const size_t per = (size_t)(c->out * (kk + 1));
    cp_job j = {.c = c, .x = x, .y = y, .dy = dy, .wt = wt, .arg_in = arg, .dx = dx,
                .outp = (c->out + CB - 1) / CB * CB};
    j.parts = pf_calloc(per * (size_t)c->x->n, sizeof(double));
    if (dx) memset(dx, 0, c->x->len * sizeof *dx);
    j.coff = channel_offsets(c->y);
    pf_nn_parallel(nt, backward_part, &j);
    free(j.coff);
    for (size_t i = 0; i < per; i++) { /* example order: the same sums on any thread count */
        double s = 0;
        for (int64_t n = 0; n < c->x->n; n++)
            s += j.parts[(size_t)n * per + i];
        if (i < (size_t)(c->out * kk))
            dw[i] = (float)s;
        else
            db[i - (size_t)(c->out * kk)] = (float)s;
    }
    free(j.parts);
}
