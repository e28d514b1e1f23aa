/* The trainer's gradient exchange alone: pf_dist_sum_f32 (the fixed-order sum) of N floats
 * across the ranks, each timed from a barrier, so no rank's compute is in it.
 * usage: mpirun -n 2 bench_dist [floats (11043762: the seed preset's parameters)] [reps (10)]
 * Rank 0 prints the median, min and max seconds and the bytes each rank sent per sum. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pitchforge/dist.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 11043762;
    int reps = argc > 2 ? atoi(argv[2]) : 10;
    pf_error err = {0};
    pf_dist *d = pf_dist_init(&err);
    if (!d || reps < 1 || n < 1) {
        fprintf(stderr, "bench_dist: %s\n", d ? "usage: bench_dist [floats] [reps]" : err.msg);
        return 2;
    }
    float *g = malloc(n * sizeof *g);
    double *t = calloc((size_t)reps, sizeof *t);
    for (int r = 0; r < reps; r++) {
        for (size_t i = 0; i < n; i++)
            g[i] = (float)((i + (size_t)pf_dist_rank(d)) % 1000) * 1e-3f;
        if (pf_dist_barrier(d, &err)) break;
        double t0 = now_s();
        if (pf_dist_sum_f32(d, g, n, &err)) break;
        t[r] = now_s() - t0;
    }
    int p = pf_dist_size(d);
    if (err.code)
        fprintf(stderr, "bench_dist: %s\n", err.msg);
    else if (pf_dist_rank(d) == 0) {
        qsort(t, (size_t)reps, sizeof *t, cmp);
        double sent = 2.0 * (double)n * 4 * (p - 1) / p;
        printf("sum of %zu floats (%.1f MB) on %d ranks: median %.4f s (min %.4f, max %.4f) over "
               "%d; %.1f MB sent per rank, %.2f GB/s\n", n, n * 4e-6, p, t[reps / 2], t[0],
               t[reps - 1], reps, sent * 1e-6, sent / t[reps / 2] * 1e-9);
    }
    free(g), free(t);
    int rc = err.code ? 1 : 0;
    pf_dist_free(d);
    return rc;
}
