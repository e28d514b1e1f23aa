/*
 * The fused conv -> ReLU -> max-pool kernel (src/nn/convpool.c) gives the same bits on every
 * CPU: copies of convpool.c built for one target each (AVX-512, FMA, baseline x86-64; the
 * Makefile's test_convpool rule, with convpool.o's flags) agree bit for bit, forward and
 * backward. With contraction on (gcc's GNU C default), the FMA and AVX-512 copies fuse
 * a * b + c and these inputs make them differ (checked: this test then fails).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "nn/layers.h"
#include "pitchforge/rng.h"

/* The copies' entry points (convpool.c's public functions, renamed per target). */
#define COPY(t)                                                                                    \
    void pf_nn_convpool_forward_##t(const pf_nn_convpool *c, const float *x, const float *wt,     \
                                    const float *b, float *y, uint8_t *arg);                       \
    void pf_nn_convpool_backward_##t(const pf_nn_convpool *c, const float *x, const float *wt,    \
                                     const float *y, const float *dy, const uint8_t *arg,          \
                                     float *dw, float *db, float *dx);
COPY(base)
COPY(fma)
COPY(avx512f)

enum { N = 3, OUT = 40, K = 5, P = 2, H = 24, W = 20 };

typedef struct result {
    float y[N * OUT * (H / P) * (W / P)], dw[OUT * K * K], db[OUT], dx[N * H * W];
    uint8_t arg[N * OUT * (H / P) * (W / P)];
} result;

typedef void (*fwd_fn)(const pf_nn_convpool *, const float *, const float *, const float *,
                       float *, uint8_t *);
typedef void (*bwd_fn)(const pf_nn_convpool *, const float *, const float *, const float *,
                       const float *, const uint8_t *, float *, float *, float *);

static pf_nn_layout plain(int64_t n, int64_t c, int64_t h, int64_t w)
{
    return (pf_nn_layout){n, c, h, w, c * h * w, h * w, w, 1, 1, (size_t)(n * c * h * w)};
}

/* Inputs with many significant bits (products whose low bits an FMA keeps), one example's
 * worth of weights; dy normal. */
static void inputs(float *x, float *wt, float *b, float *dy)
{
    pf_rng r;
    pf_rng_init(&r, 25, 6, 0);
    for (int i = 0; i < N * H * W; i++)
        x[i] = (float)pf_rng_normal(&r) * 3.7f;
    for (int i = 0; i < OUT * K * K; i++)
        wt[i] = (float)pf_rng_normal(&r) * 0.31f;
    for (int i = 0; i < OUT; i++)
        b[i] = (float)pf_rng_normal(&r) * 0.1f;
    for (int i = 0; i < N * OUT * (H / P) * (W / P); i++)
        dy[i] = (float)pf_rng_normal(&r);
}

static void run(fwd_fn f, bwd_fn g, int threads, result *res)
{
    static float x[N * H * W], wt[OUT * K * K], b[OUT], dy[N * OUT * (H / P) * (W / P)];
    pf_nn_layout xl = plain(N, 1, H, W), yl = plain(N, OUT, H / P, W / P);
    pf_nn_convpool c = {OUT, K, P, &xl, &yl, threads};
    inputs(x, wt, b, dy);
    memset(res, 0, sizeof *res);
    f(&c, x, wt, b, res->y, res->arg);
    g(&c, x, wt, res->y, dy, res->arg, res->dw, res->db, res->dx);
}

static void same_bits(const result *a, const result *b)
{
    assert_memory_equal(a->y, b->y, sizeof a->y);
    assert_memory_equal(a->arg, b->arg, sizeof a->arg);
    assert_memory_equal(a->dw, b->dw, sizeof a->dw);
    assert_memory_equal(a->db, b->db, sizeof a->db);
    assert_memory_equal(a->dx, b->dx, sizeof a->dx);
}

/* The FMA copy gives the baseline copy's bits (run only on a CPU with FMA). */
static void fma_matches_baseline(void **state)
{
    (void)state;
    static result base, fma;
    if (!__builtin_cpu_supports("fma")) skip();
    run(pf_nn_convpool_forward_base, pf_nn_convpool_backward_base, 1, &base);
    run(pf_nn_convpool_forward_fma, pf_nn_convpool_backward_fma, 1, &fma);
    same_bits(&base, &fma);
}

/* The AVX-512 copy gives the baseline copy's bits (run only on a CPU with AVX-512F). */
static void avx512_matches_baseline(void **state)
{
    (void)state;
    static result base, avx;
    if (!__builtin_cpu_supports("avx512f")) skip();
    run(pf_nn_convpool_forward_base, pf_nn_convpool_backward_base, 1, &base);
    run(pf_nn_convpool_forward_avx512f, pf_nn_convpool_backward_avx512f, 1, &avx);
    same_bits(&base, &avx);
}

/* The library's own (run-time picked) clone gives the baseline copy's bits. */
static void library_matches_baseline(void **state)
{
    (void)state;
    static result base, lib;
    run(pf_nn_convpool_forward_base, pf_nn_convpool_backward_base, 1, &base);
    run(pf_nn_convpool_forward, pf_nn_convpool_backward, 1, &lib);
    same_bits(&base, &lib);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fma_matches_baseline),
        cmocka_unit_test(avx512_matches_baseline),
        cmocka_unit_test(library_matches_baseline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
