/* Spectrograms per second, one thread, 5280-sample inputs (513 x 90 output), per mode.
 * usage: bench_stft [seconds per mode (default 1)] [mode name or "all"] [rounds (default 1)]
 * With several rounds the seconds are split between them and the median rate is printed with
 * the range (the machine is shared: a median of rounds is steadier than one long run). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pitchforge/rng.h"
#include "pitchforge/error.h"
#include "pitchforge/spectrogram.h"

enum { N = 5280 };

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Spectrograms per second of @p s on @p x over about @p secs. */
static double rate(pf_spectrogram *s, const float *x, float *out, double secs)
{
    double t0 = now_s(), t = t0, sink = 0;
    long count = 0;
    while (t - t0 < secs) {
        for (int i = 0; i < 50; i++, count++)
            pf_spectrogram_compute(s, x, N, out, NULL);
        sink += out[count % 1000];
        t = now_s();
    }
    return count / (t - t0) + (sink == 12345 ? 1e-9 : 0);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Run @p mode for about @p secs in @p rounds and print its median rate; returns 0 or 1. */
static int bench_mode(pf_spec_mode mode, const char *name, const float *x, double secs, int rounds)
{
    pf_spec_config c = {256, 200, 1024, 16000.0, mode, PF_SCALE_DENSITY};
    pf_error e;
    pf_spectrogram *s = pf_spectrogram_new(&c, N, &e);
    if (!s) return fprintf(stderr, "bench_stft: %s\n", e.msg), 1;
    float *out = malloc(pf_spectrogram_size(s) * sizeof *out);
    double r[64];
    for (int i = 0; i < rounds; i++)
        r[i] = rate(s, x, out, secs / rounds);
    qsort(r, (size_t)rounds, sizeof *r, cmp_double);
    double med = rounds % 2 ? r[rounds / 2] : 0.5 * (r[rounds / 2 - 1] + r[rounds / 2]);
    printf("stft %s: %.0f spectrograms/s (%.1f us each)", name, med, 1e6 / med);
    if (rounds > 1) printf(", median of %d rounds, range %.0f-%.0f", rounds, r[0], r[rounds - 1]);
    printf("\n");
    free(out);
    pf_spectrogram_free(s);
    return 0;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 1.0;
    int rounds = argc > 3 ? atoi(argv[3]) : 1;
    if (rounds < 1 || rounds > 64) rounds = 1;
    float *x = malloc(N * sizeof *x);
    pf_rng r;
    pf_rng_init(&r, 1, 0, 0);
    for (int i = 0; i < N; i++)
        x[i] = (float)(0.3 * pf_rng_normal(&r));
    static const char *names[] = {"magnitude", "psd", "complex", "log-magnitude"};
    int rc = 0;
    for (int m = 0; m <= PF_SPEC_LOGMAG; m++)
        if (argc < 3 || strcmp(argv[2], "all") == 0 || strcmp(argv[2], names[m]) == 0)
            rc |= bench_mode((pf_spec_mode)m, names[m], x, secs, rounds);
    printf("fft: %s\n", pf_fft_version());
    free(x);
    return rc;
}
