/*
 * bench_nn: training speed of a preset network through the trainer's own step (pf_train_step:
 * forward, loss and its gradient, backward, optimizer step), in examples per second; then the
 * optimizer's step alone on one thread and on all of them, interleaved.
 *
 *   build/bench/bench_nn [threads (2)] [batch (32)] [steps (6)] [preset (seed) | fast] [serve]
 *
 * The config is the trainer's defaults (a train config with no keys but the preset, batch and
 * threads): bins target, 370 bins of 20 cents from MIDI 35 with a Gaussian blur of 25 cents,
 * BCE on logits, Adam lr 1e-3, seed 1. Input: random normal [batch][1][513][90] (the loader's
 * normalized log spectrogram); labels: random f0 between C2 and C7, encoded every step as the
 * trainer's encode_batch does (inside the timed step). One warm-up step, then @p steps timed;
 * with `serve`, after the warm-up, as many steps as each line of stdin asks for, a report each.
 * bench/train/bench_torch.py times the same step in PyTorch; bench/train/compare.py
 * (make bench-train) interleaves the two.
 *
 * stdout: one JSON line a report (median, min and max step time, examples/s at the median,
 * optimizer medians, peak RSS); stderr: the same for people (not when serving). Per-primitive
 * times: DNNL_VERBOSE=1.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "core/util.h"
#include "pitchforge/nn.h"
#include "pitchforge/rng.h"
#include "pitchforge/error.h"
#include "pitchforge/train.h"
#include "train/optim.h"
#include "train/trainer.h"

#define OPTIM_REPS 9 /* optimizer steps per thread count (interleaved) */

/* What a training step needs besides the model; buffers [batch][n_out]. */
typedef struct bench {
    pf_train_config c;
    pf_model *m;
    pf_optimizer o;
    float *x, *t, *y, *dy;
    double *f0; /* [batch] labels of the step */
    size_t batch, n_out;
    pf_rng r;
    int serving; /* reports on stdout only */
} bench;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts @p v [n]; returns its median. */
static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int setup(bench *b, const char *preset, int threads, int batch, pf_error *err)
{
    char text[256];
    int len = snprintf(text, sizeof text, "dataset: none\nmodel: {preset: %s}\nbatch: %d\n"
                       "threads: %d\n", preset, batch, threads);
    if (pf_train_config_parse(&b->c, "bench_nn", text, (size_t)len, err) ||
        !(b->m = pf_model_new(&b->c.model, batch, threads, err)))
        return -1;
    pf_model_init_params(b->m, b->c.seed);
    pf_optimizer_init(&b->o, &b->c, pf_model_n_params(b->m));
    b->o.threads = threads;
    b->batch = (size_t)batch, b->n_out = pf_model_out_size(b->m);
    size_t nx = b->batch * pf_model_in_size(b->m), ny = b->batch * b->n_out;
    b->x = malloc(nx * sizeof *b->x), b->f0 = malloc(b->batch * sizeof *b->f0);
    b->t = malloc(ny * sizeof *b->t), b->y = malloc(ny * sizeof *b->y);
    b->dy = malloc(ny * sizeof *b->dy);
    pf_rng_init(&b->r, 5, 1, 0);
    for (size_t i = 0; i < nx; i++)
        b->x[i] = (float)pf_rng_normal(&b->r);
    return 0;
}

static void release(bench *b)
{
    pf_model_free(b->m);
    pf_optimizer_release(&b->o);
    pf_train_config_release(&b->c);
    free(b->x), free(b->t), free(b->y), free(b->dy), free(b->f0);
}

/* One training step as the trainer's loop takes it (targets encoded, then pf_train_step). */
static int step(bench *b, double *loss, pf_error *err)
{
    for (size_t i = 0; i < b->batch; i++)
        pf_target_encode(&b->c, b->f0[i], b->t + i * b->n_out);
    return pf_train_step(b->m, &b->o, &b->c, b->x, b->batch, b->t, b->y, b->dy, loss, err);
}

/* @p steps timed steps (after one warm-up when @p warm); their times in @p s [steps]. */
static int time_steps(bench *b, int steps, int warm, double *s, pf_error *err)
{
    double loss = 0;
    for (int k = warm ? -1 : 0; k < steps; k++) {
        for (size_t i = 0; i < b->batch; i++) /* labels C2..C7, as the loader hands them */
            b->f0[i] = 440.0 * exp2((36.0 + 60.0 * pf_rng_uniform(&b->r) - 69.0) / 12.0);
        double t0 = pf_now_s();
        if (step(b, &loss, err))
            return -1;
        if (k >= 0)
            s[k] = pf_now_s() - t0;
        if (!isfinite(loss))
            return PF_FAIL(err, PF_EINVAL, "the loss is not finite at step %d", k + 1);
    }
    return 0;
}

/* The optimizer's step alone, on 1 thread and on @p threads in turn: medians in @p ms [2]. */
static void time_optim(bench *b, int threads, double ms[2])
{
    double t[2][OPTIM_REPS];
    for (int k = 0; k < OPTIM_REPS; k++)
        for (int j = 0; j < 2; j++) {
            b->o.threads = j ? threads : 1;
            double t0 = pf_now_s();
            pf_optimizer_step(&b->o, pf_model_params(b->m), pf_model_grads(b->m));
            t[j][k] = 1e3 * (pf_now_s() - t0);
        }
    ms[0] = median(t[0], OPTIM_REPS), ms[1] = median(t[1], OPTIM_REPS);
}

static void report(const bench *b, const char *preset, int threads, double *s, int steps,
                   const double ms[2])
{
    double lo = s[0], hi = s[0];
    for (int k = 1; k < steps; k++)
        lo = fmin(lo, s[k]), hi = fmax(hi, s[k]);
    double med = median(s, (size_t)steps);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"side\": \"pitchforge\", \"net\": \"%s\", \"params\": %zu, \"batch\": %zu, "
           "\"threads\": %d, \"steps\": %d, \"median_step_s\": %.5f, \"min_step_s\": %.5f, "
           "\"max_step_s\": %.5f, \"examples_per_s\": %.2f, \"optim_ms_1_thread\": %.2f, "
           "\"optim_ms_threads\": %.2f, \"peak_rss_mb\": %.1f}\n",
           preset, pf_model_n_params(b->m), b->batch, threads, steps, med, lo, hi,
           (double)b->batch / med, ms[0], ms[1], (double)ru.ru_maxrss / 1024);
    if (b->serving)
        return;
    fprintf(stderr, "%s network, %zu parameters, batch %zu, %d threads: training step (forward "
            "+ loss + backward + Adam) median %.3f s (%.3f-%.3f) over %d steps = %.1f "
            "examples/s; Adam alone %.2f ms on 1 thread, %.2f ms on %d\n",
            preset, pf_model_n_params(b->m), b->batch, threads, med, lo, hi, steps,
            (double)b->batch / med, ms[0], ms[1], threads);
}

/* Timed steps and the optimizer's, then their report; @p warm: one warm-up step first. */
static int measure(bench *b, const char *preset, int threads, int steps, int warm, pf_error *err)
{
    double *s = calloc((size_t)steps, sizeof *s), ms[2];
    int rc = time_steps(b, steps, warm, s, err);
    if (!rc) {
        time_optim(b, threads, ms);
        report(b, preset, threads, s, steps, ms);
        fflush(stdout);
    }
    free(s);
    return rc;
}

/* serve: one warm-up step, {"ready": ...}, then per line of stdin N a report of N steps, until
 * EOF or 0 (bench/train/compare.py interleaves its turns with PyTorch's). */
static int serve(bench *b, const char *preset, int threads, pf_error *err)
{
    int n;
    if (time_steps(b, 0, 1, NULL, err))
        return -1;
    printf("{\"ready\": \"pitchforge %s\"}\n", preset);
    fflush(stdout);
    while (scanf("%d", &n) == 1 && n > 0)
        if (measure(b, preset, threads, n, 0, err))
            return -1;
    return 0;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2, batch = argc > 2 ? atoi(argv[2]) : 32;
    int steps = argc > 3 ? atoi(argv[3]) : 6, serving = argc > 5 && !strcmp(argv[5], "serve");
    const char *preset = argc > 4 ? argv[4] : "seed";
    if (threads < 1 || batch < 1 || steps < 1 || (argc > 5 && !serving)) {
        fprintf(stderr, "usage: bench_nn [threads] [batch] [steps] [seed | fast] [serve]\n");
        return 2;
    }
    bench b = {.serving = serving};
    pf_error err = {0};
    int rc = setup(&b, preset, threads, batch, &err) ||
             (serving ? serve(&b, preset, threads, &err)
                      : measure(&b, preset, threads, steps, 1, &err));
    if (rc)
        fprintf(stderr, "bench_nn: %s\n", err.msg);
    release(&b);
    return rc;
}
