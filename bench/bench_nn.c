/*
 * bench_nn: training speed of the seed network (the blog's CNN on [1][513][90]): one forward
 * and one backward per batch, as the trainer runs them, in examples per second.
 *
 *   build/bench/bench_nn [threads (2)] [batch (32)] [steps (6)] [preset (seed) | fast]
 *
 * "fast" is the trainer's fast preset (src/train/presets.c) with 370 bin outputs.
 *
 * Per-primitive times: DNNL_VERBOSE=1 build/bench/bench_nn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pitchforge/nn.h"
#include "pitchforge/rng.h"
#include "pitchforge/train.h"
#include "pitchforge/error.h"
#include <string.h>

#define CONV(n) {.kind = PF_LAYER_CONV, .out = (n), .kernel = 3}
#define POOL {.kind = PF_LAYER_MAXPOOL, .pool = 2}
#define DROP(q) {.kind = PF_LAYER_DROPOUT, .p = (q)}
#define RELU {.kind = PF_LAYER_RELU}
#define DENSE(n) {.kind = PF_LAYER_DENSE, .out = (n)}

/* As the "seed" preset (src/train/presets.c) with one output (hz). */
static pf_layer_spec seed[] = {
    DROP(0.25f), CONV(64),  RELU,       POOL, DROP(0.25f), CONV(128), RELU, POOL,
    DROP(0.25f), CONV(128), RELU,       POOL, DROP(0.25f), CONV(256), RELU, POOL,
    DROP(0.25f), DENSE(256), RELU, DROP(0.5f), DENSE(64), RELU,      DENSE(1),
};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2, batch = argc > 2 ? atoi(argv[2]) : 32;
    int steps = argc > 3 ? atoi(argv[3]) : 6;
    const char *preset = argc > 4 ? argv[4] : "seed";
    pf_model_spec spec = {1, 513, 90, seed, sizeof seed / sizeof seed[0]};
    pf_error err = {0};
    if (strcmp(preset, "seed") && pf_model_preset(preset, 370, &spec, &err)) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        return 1;
    }
    spec.in_c = 1, spec.in_h = 513, spec.in_w = 90;
    double t0 = now();
    pf_model *m = pf_model_new(&spec, batch, threads, &err);
    if (!m) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        return 1;
    }
    double t_make = now() - t0;
    pf_model_init_params(m, 1);
    size_t nx = (size_t)batch * pf_model_in_size(m), ny = (size_t)batch * pf_model_out_size(m);
    float *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *dy = malloc(ny * sizeof *dy);
    pf_rng r;
    pf_rng_init(&r, 5, 1, 0);
    for (size_t i = 0; i < nx; i++)
        x[i] = (float)pf_rng_normal(&r);
    for (size_t i = 0; i < ny; i++)
        dy[i] = 1.0f / (float)batch;
    double tf = 0, tb = 0;
    for (int s = -1; s < steps; s++) { /* step -1 warms up */
        double a = now();
        if (pf_model_forward(m, x, y, 1, (uint64_t)s + 10, &err)) break;
        double b = now();
        if (pf_model_backward(m, dy, &err)) break;
        double c = now();
        if (s >= 0) tf += b - a, tb += c - b;
    }
    if (err.code) {
        fprintf(stderr, "bench_nn: %s\n", err.msg);
        return 1;
    }
    double per = (tf + tb) / steps;
    printf("%s network, %zu parameters, batch %d, %d threads (model made in %.2f s)\n", preset,
           pf_model_n_params(m), batch, threads, t_make);
    printf("forward %.3f s  backward %.3f s  per step; %.1f examples/s (fwd+bwd)\n", tf / steps,
           tb / steps, batch / per);
    pf_model_free(m);
    free(x), free(y), free(dy);
    return 0;
}
