/* The trainer's loader, examples per second: in-order passes over one split of a dataset.h5
 * (whatever its store.spectrogram: float32 read, float16 widened, none computed from /audio),
 * with the trainer's log input and normalization, batch 32, one prefetch thread.
 * usage: bench_loader DATASET [split (train)] [passes (3)]
 * Prints one line per pass and the median. Page cache as it is: run a pass first to warm it. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pitchforge/error.h"
#include "train/loader.h"

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
    if (argc < 2) {
        fprintf(stderr, "usage: bench_loader DATASET [split] [passes]\n");
        return 2;
    }
    const char *split = argc > 2 ? argv[2] : "train";
    int passes = argc > 3 ? atoi(argv[3]) : 3;
    double rates[64];
    pf_error err = {0};
    pf_loader *l = pf_loader_open(argv[1], split, 0, 32, 1, &err);
    if (!l) return fprintf(stderr, "bench_loader: %s\n", err.msg), 1;
    passes = passes < 1 ? 1 : passes > 64 ? 64 : passes;
    for (int p = 0; p < passes; p++) {
        const float *x;
        const size_t *idx;
        size_t rows, n = 0;
        double t0 = now_s();
        pf_loader_start(l, 1, (uint64_t)p, 0);
        int rc;
        while ((rc = pf_loader_next(l, &x, &idx, &rows, &err)) == 1)
            n += rows;
        if (rc < 0) return fprintf(stderr, "bench_loader: %s\n", err.msg), 1;
        rates[p] = (double)n / (now_s() - t0);
        printf("pass %d: %zu examples, %.0f examples/s\n", p, n, rates[p]);
    }
    qsort(rates, (size_t)passes, sizeof *rates, cmp);
    printf("median %.0f examples/s\n", rates[passes / 2]);
    pf_loader_free(l);
    return 0;
}
