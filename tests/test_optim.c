/* Tests for src/train/optim.c: Adam and SGD steps against hand-computed values and against
 * torch.optim (values computed once with PyTorch 1.13, script in the comment below), and the
 * threaded step against the one-thread step, bit for bit. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "train/optim.h"
#include "pitchforge/train.h"

static pf_train_config config(pf_optim kind, double lr, double mu, double wd)
{
    return (pf_train_config){.optimizer = kind, .lr = lr, .momentum = mu, .beta1 = 0.9,
                             .beta2 = 0.999, .eps = 1e-8, .weight_decay = wd};
}

/* One parameter p = 1, lr 0.1: step 1 with g = 0.5, step 2 with g = -0.25. By hand:
 *   m1 = 0.05, v1 = 0.00025, p1 = 1 - (0.1/0.1) * 0.05 / (sqrt(0.00025)/sqrt(0.001)) = 0.9
 *   m2 = 0.02, v2 = 0.00031225, p2 = 0.9 - (0.1/0.19) * 0.02 / (sqrt(v2)/sqrt(0.001999))
 *      = 0.9 - 0.0266339 = 0.8733661 */
static void adam_by_hand(void **state)
{
    (void)state;
    pf_train_config c = config(PF_OPTIM_ADAM, 0.1, 0, 0);
    pf_optimizer o;
    float p = 1, g = 0.5f;
    pf_optimizer_init(&o, &c, 1);
    pf_optimizer_step(&o, &p, &g);
    assert_float_equal(o.m[0], 0.05, 1e-7);
    assert_float_equal(o.v[0], 0.00025, 1e-9);
    assert_float_equal(p, 0.9, 1e-6);
    g = -0.25f;
    pf_optimizer_step(&o, &p, &g);
    assert_float_equal(o.m[0], 0.02, 1e-7);
    assert_float_equal(o.v[0], 0.00031225, 1e-9);
    assert_float_equal(p, 0.8733661, 1e-6);
    assert_int_equal(o.step, 2);
    pf_optimizer_release(&o);
}

/* p = 1, lr 0.1, momentum 0.9: buf = 0.5, p = 0.95; buf = 0.95, p = 0.855 (g = 0.5 twice).
 * With weight decay 0.1 the first gradient is 0.5 + 0.1 * 1 = 0.6: p = 0.94. */
static void sgd_by_hand(void **state)
{
    (void)state;
    pf_train_config c = config(PF_OPTIM_SGD, 0.1, 0.9, 0);
    pf_optimizer o;
    float p = 1, g = 0.5f;
    pf_optimizer_init(&o, &c, 1);
    pf_optimizer_step(&o, &p, &g);
    assert_float_equal(p, 0.95, 1e-7);
    pf_optimizer_step(&o, &p, &g);
    assert_float_equal(p, 0.855, 1e-7);
    pf_optimizer_release(&o);
    c = config(PF_OPTIM_SGD, 0.1, 0.9, 0.1);
    p = 1;
    pf_optimizer_init(&o, &c, 1);
    pf_optimizer_step(&o, &p, &g);
    assert_float_equal(p, 0.94, 1e-7);
    pf_optimizer_release(&o);
}

/*
 * import torch
 * p = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
 * o = torch.optim.Adam([p], lr=0.1, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
 *   (or torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01))
 * for g in G: p.grad = torch.tensor(g); o.step(); print(p.tolist())
 */
static const float G[3][3] = {{0.5f, -1.0f, 0.0f}, {-0.25f, 0.3f, 2.0f}, {0.1f, 0.1f, 0.1f}};
static const double torch_adam[3][3] = {{0.9000000357627869, -1.899999976158142, 0.4000002145767212},
                                        {0.8712294101715088, -1.8551760911941528, 0.32541966438293457},
                                        {0.8372924327850342, -1.8255375623703003, 0.2645564377307892}};
static const double torch_sgd[3][3] = {{0.9490000009536743, -1.8980000019073486, 0.49950000643730164},
                                       {0.9271510243415833, -1.8343019485473633, 0.29855048656463623},
                                       {0.8965597748756409, -1.7851394414901733, 0.10739738494157791}};

static void against_torch(pf_optim kind, const double want[3][3])
{
    pf_train_config c = config(kind, 0.1, 0.9, 0.01);
    pf_optimizer o;
    float p[3] = {1.0f, -2.0f, 0.5f};
    pf_optimizer_init(&o, &c, 3);
    for (int s = 0; s < 3; s++) {
        pf_optimizer_step(&o, p, G[s]);
        for (int i = 0; i < 3; i++)
            assert_float_equal(p[i], want[s][i], 2e-7);
    }
    pf_optimizer_release(&o);
}

static void adam_torch(void **state)
{
    (void)state;
    against_torch(PF_OPTIM_ADAM, torch_adam);
}

static void sgd_torch(void **state)
{
    (void)state;
    against_torch(PF_OPTIM_SGD, torch_sgd);
}

/* Minimizing sum (p - 3)^2 from 0 converges, and two runs give the same bits. */
static void converges_deterministically(void **state)
{
    (void)state;
    for (int kind = 0; kind < 2; kind++) {
        pf_train_config c = config((pf_optim)kind, kind ? 0.05 : 0.1, 0.9, 0);
        float p[2][64], g[64];
        for (int run = 0; run < 2; run++) {
            pf_optimizer o;
            pf_optimizer_init(&o, &c, 64);
            for (int i = 0; i < 64; i++)
                p[run][i] = (float)i / 64;
            for (int s = 0; s < 500; s++) {
                for (int i = 0; i < 64; i++)
                    g[i] = 2 * (p[run][i] - 3);
                pf_optimizer_step(&o, p[run], g);
            }
            pf_optimizer_release(&o);
        }
        assert_memory_equal(p[0], p[1], sizeof p[0]);
        for (int i = 0; i < 64; i++)
            assert_float_equal(p[0][i], 3, 1e-2);
    }
    pf_optimizer_release(NULL);
}

/* Steps of @p kind on @p n parameters with @p threads threads: params, m and v after 3 steps
 * of gradients that vary per element (caller frees the [3][n] result). */
static float *run_threads(pf_optim kind, size_t n, int threads)
{
    pf_train_config c = config(kind, 0.01, 0.9, 0.01);
    pf_optimizer o;
    float *out = malloc(3 * n * sizeof *out), *g = malloc(n * sizeof *g);
    pf_optimizer_init(&o, &c, n);
    o.threads = threads;
    for (size_t i = 0; i < n; i++)
        out[i] = sinf((float)i * 0.37f);
    for (int s = 0; s < 3; s++) {
        for (size_t i = 0; i < n; i++)
            g[i] = cosf((float)(i * (size_t)(s + 1)) * 0.11f) * (float)(1 + i % 7);
        pf_optimizer_step(&o, out, g);
    }
    memcpy(out + n, o.m, n * sizeof *out);
    memcpy(out + 2 * n, o.v, n * sizeof *out);
    pf_optimizer_release(&o);
    free(g);
    return out;
}

/* Threads split the parameters into chunks (at least 2^16 each): 2, 3 and 4 threads on 4.4
 * chunks' worth (the last one ragged) give the bits of one thread, for Adam and SGD. */
static void threads_same_bits(void **state)
{
    (void)state;
    size_t n = 4 * ((size_t)1 << 16) + 12345;
    for (int kind = 0; kind < 2; kind++) {
        float *one = run_threads((pf_optim)kind, n, 1);
        for (int nt = 2; nt <= 4; nt++) {
            float *many = run_threads((pf_optim)kind, n, nt);
            assert_memory_equal(one, many, 3 * n * sizeof *one);
            free(many);
        }
        free(one);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adam_by_hand), cmocka_unit_test(sgd_by_hand),
        cmocka_unit_test(adam_torch),   cmocka_unit_test(sgd_torch),
        cmocka_unit_test(converges_deterministically), cmocka_unit_test(threads_same_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
