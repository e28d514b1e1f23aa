/*
 * bench_resample: cost and quality of each converter (libsamplerate and libsoxr kinds) for
 * 44.1 kHz -> 16 kHz.
 * Prints a Markdown table on stdout: ms per 1.5 s note (66150 samples), alias rejection for
 * tones at 9, 12, 16 and 20 kHz and the worst over 8.1 .. 20 kHz (100 Hz steps), passband flatness
 * (worst gain error, 100 Hz .. 7 kHz) and the frequencies where the gain first leaves +-0.1 dB and
 * falls below -3 dB (50 Hz steps).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "pitchforge/synth.h"
#include "pitchforge/error.h"
#include "pitchforge/resample.h"

#define IN_HZ 44100.0
#define OUT_HZ 16000.0
#define NOTE_IN 66150 /* 1.5 s at 44.1 kHz */
#define TONE_IN 44100 /* 1 s test tones */
#define EDGE 800      /* output samples ignored at each end */

static const double alias_hz[] = {9000, 12000, 16000, 20000};
#define N_ALIAS (sizeof alias_hz / sizeof alias_hz[0])

/* One converter's results. */
typedef struct bench_row {
    double ms_per_note;
    double rejection_db[N_ALIAS];
    double worst_db;  /* least rejection over 8.1 .. 20 kHz, 100 Hz steps */
    double worst_hz;  /* where it occurs */
    double flat_db;   /* worst |gain| in dB, 100 Hz .. 7 kHz */
    double edge01_hz; /* first frequency whose |gain| exceeds 0.1 dB */
    double edge3_hz;  /* first frequency whose gain is below -3 dB */
} bench_row;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* x[i] = amp * sin(2 pi hz i / IN_HZ), n samples. */
static void fill_sine(float *x, size_t n, double hz, double amp)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * M_PI * hz * (double)i / IN_HZ));
}

/* Resample x (n_in samples) into a new buffer of *n_out samples; exits on error (a tool). */
static float *run(pf_resampler *r, const float *x, size_t n_in, size_t *n_out)
{
    pf_error err = {0};
    *n_out = pf_resampler_out_len(r, n_in);
    float *y = malloc(*n_out * sizeof *y);
    if (!y || pf_resampler_process(r, x, n_in, y, *n_out, &err) < 0) {
        fprintf(stderr, "bench_resample: %s\n", err.msg);
        exit(1);
    }
    return y;
}

/* Amplitude of the OUT_HZ-rate sinusoid at @p hz in y[EDGE .. n-EDGE), by least squares. */
static double fit_amplitude(const float *y, size_t n, double hz)
{
    double ss = 0, sc = 0, cc = 0, ys = 0, yc = 0;
    for (size_t i = EDGE; i < n - EDGE; i++) {
        double w = 2.0 * M_PI * hz * (double)i / OUT_HZ, s = sin(w), c = cos(w);
        ss += s * s, sc += s * c, cc += c * c, ys += y[i] * s, yc += y[i] * c;
    }
    double det = ss * cc - sc * sc;
    double a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
    return sqrt(a * a + b * b);
}

/* RMS of y[EDGE .. n-EDGE). */
static double interior_rms(const float *y, size_t n)
{
    double e = 0;
    for (size_t i = EDGE; i < n - EDGE; i++)
        e += (double)y[i] * y[i];
    return sqrt(e / (double)(n - 2 * EDGE));
}

/* Milliseconds per 1.5 s note: a harmonic tone, best of several timed batches. */
static double time_note(pf_resampler *r)
{
    float *x = malloc(NOTE_IN * sizeof *x);
    for (size_t i = 0; i < NOTE_IN; i++)
        x[i] =
            (float)(0.3 * sin(2 * M_PI * 220 * i / IN_HZ) + 0.1 * sin(2 * M_PI * 1100 * i / IN_HZ) +
                    0.05 * sin(2 * M_PI * 5500 * i / IN_HZ));
    double best = 1e30;
    for (int batch = 0; batch < 5; batch++) {
        int reps = 0;
        double t0 = now_s(), t;
        do {
            size_t n;
            free(run(r, x, NOTE_IN, &n));
            reps++;
        } while ((t = now_s() - t0) < 0.1);
        if (t / reps < best) best = t / reps;
    }
    free(x);
    return 1e3 * best;
}

/* Fill @p row for one converter. */
static void bench_kind(pf_resampler_kind kind, bench_row *row)
{
    pf_error err = {0};
    pf_resampler *r = pf_resampler_new(kind, IN_HZ, OUT_HZ, &err);
    if (!r) {
        fprintf(stderr, "bench_resample: %s\n", err.msg);
        exit(1);
    }
    row->ms_per_note = time_note(r);
    float *x = malloc(TONE_IN * sizeof *x);
    const double amp = 0.5;
    for (size_t k = 0; k < N_ALIAS; k++) {
        size_t n;
        fill_sine(x, TONE_IN, alias_hz[k], amp);
        float *y = run(r, x, TONE_IN, &n);
        row->rejection_db[k] = 20 * log10(amp / sqrt(2.0) / (interior_rms(y, n) + 1e-30));
        free(y);
    }
    row->worst_db = INFINITY;
    for (double hz = 8100; hz <= 20000; hz += 100) {
        size_t n;
        fill_sine(x, TONE_IN / 4, hz, amp);
        float *y = run(r, x, TONE_IN / 4, &n);
        double rej = 20 * log10(amp / sqrt(2.0) / (interior_rms(y, n) + 1e-30));
        if (rej < row->worst_db) row->worst_db = rej, row->worst_hz = hz;
        free(y);
    }
    row->flat_db = 0, row->edge01_hz = row->edge3_hz = NAN;
    for (double hz = 100; hz < 8000; hz += 50) {
        size_t n;
        fill_sine(x, TONE_IN / 4, hz, amp);
        float *y = run(r, x, TONE_IN / 4, &n);
        double g = 20 * log10(fit_amplitude(y, n, hz) / amp);
        if (hz <= 7000 && fabs(g) > fabs(row->flat_db)) row->flat_db = g;
        if (isnan(row->edge01_hz) && fabs(g) > 0.1) row->edge01_hz = hz;
        if (isnan(row->edge3_hz) && g < -3) row->edge3_hz = hz;
        free(y);
    }
    free(x);
    pf_resampler_free(r);
}

int main(void)
{
    static const pf_resampler_kind kinds[] = {
        PF_RS_SINC_BEST, PF_RS_SINC_MEDIUM, PF_RS_SINC_FASTEST, PF_RS_LINEAR,
        PF_RS_SOXR_LQ,   PF_RS_SOXR_MQ,     PF_RS_SOXR_HQ,      PF_RS_SOXR_VHQ};
    printf("%s, %s, 44.1 kHz -> 16 kHz, one thread\n\n", pf_resampler_version(),
           pf_resampler_kind_version(PF_RS_SOXR_HQ));
    printf("| converter | ms per 1.5 s note | rejection 9 kHz | 12 kHz | 16 kHz | 20 kHz "
           "| worst 8.1-20 kHz | worst gain 0.1-7 kHz | 0.1 dB edge | -3 dB edge |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        bench_row row;
        bench_kind(kinds[i], &row);
        printf("| %s | %.2f | %.1f dB | %.1f dB | %.1f dB | %.1f dB | %.1f dB (%.1f kHz) "
               "| %+.3f dB | %.0f Hz | %.0f Hz |\n", /* an edge never reached prints "nan Hz" */
               pf_resampler_name(kinds[i]), row.ms_per_note, row.rejection_db[0],
               row.rejection_db[1], row.rejection_db[2], row.rejection_db[3], row.worst_db,
               row.worst_hz / 1000, row.flat_db, row.edge01_hz, row.edge3_hz);
        fflush(stdout);
    }
    return 0;
}
