/* The plain-C layers (no oneDNN): dropout and timestats on any activation layout, harmonics
 * (layers.h). The oneDNN layers are in onednn_layers.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "dsp/fft.h"

#include "nn/layers.h"
#include "pitchforge/rng.h"
#include "pitchforge/nn.h"

/* Run fn(arg, t, nt) for t = 0..nt-1 on nt threads (the caller runs t = 0), at most 16. */
void pf_nn_parallel(int nt, void (*fn)(void *arg, int t, int nt), void *arg)
{
    pf_parallel_run(nt > 16 ? 16 : nt, fn, arg);
}

/* m[i] = (16-bit half i of the stream {block, ctr[0..2]} keyed by key) >= cut, i < n: the low
 * half of each word first. */
static void keep_flags(uint8_t *m, size_t n, const uint32_t ctr[3], const uint32_t key[2],
                       uint32_t cut)
{
    uint32_t o[4][PF_PHILOX_LANES];
    uint8_t tail[8 * PF_PHILOX_LANES];
    for (size_t i = 0, blk = 0; i < n; i += 8 * PF_PHILOX_LANES, blk += PF_PHILOX_LANES) {
        uint8_t *d = i + 8 * PF_PHILOX_LANES <= n ? m + i : tail;
        pf_philox4x32_10_lanes((uint32_t)blk, ctr, key, o);
        for (int lane = 0; lane < PF_PHILOX_LANES; lane++)
            for (int w = 0; w < 4; w++) {
                uint32_t word = o[w][lane];
                d[(lane * 4 + w) * 2] = (word & 0xffffu) >= cut;
                d[(lane * 4 + w) * 2 + 1] = (word >> 16) >= cut;
            }
        if (d == tail) memcpy(m + i, tail, n - i);
    }
}

typedef struct drop_job {
    const pf_nn_layout *l;
    float p;
    uint64_t seed;
    uint32_t layer;
    uint8_t *mask;
    const float *x;
    float *y;
} drop_job;

/* Examples t, t + nt, ...: the mask (when seed is used) then y = x * mask / (1 - p). */
static void drop_examples(void *arg, int t, int nt, int draw)
{
    const drop_job *j = arg;
    const pf_nn_layout *l = j->l;
    const float scale[2] = {0.0f, 1.0f / (1.0f - j->p)};
    uint32_t cut = (uint32_t)lrint(ldexp((double)j->p, 16)), key[2] = {(uint32_t)j->seed,
                                                                  (uint32_t)(j->seed >> 32)};
    size_t per = (size_t)(l->c * l->h * l->w);
    for (int64_t n = t; n < l->n; n += nt) {
        uint8_t *m = j->mask + (size_t)n * per;
        if (draw) {
            uint64_t id = (uint64_t)j->layer << 32 | (uint64_t)n;
            uint32_t ctr[3] = {PF_NN_STREAM_DROPOUT, (uint32_t)id, (uint32_t)(id >> 32)};
            keep_flags(m, per, ctr, key, cut);
        }
        if (!j->x) continue;
        for (int64_t c = 0; c < l->c; c++)
            for (int64_t h = 0; h < l->h; h++) {
                int64_t o = pf_nn_at(l, n, c, h, 0);
                for (int64_t w = 0; w < l->w; w++, o += l->sw)
                    j->y[o] = j->x[o] * scale[*m++];
            }
    }
}

static void drop_draw(void *arg, int t, int nt)
{
    drop_examples(arg, t, nt, 1);
}

static void drop_apply(void *arg, int t, int nt)
{
    drop_examples(arg, t, nt, 0);
}

void pf_nn_dropout_forward(const pf_nn_layout *l, float p, uint64_t step_seed, uint32_t layer,
                           uint8_t *mask, const float *x, float *y, int threads)
{
    drop_job j = {l, p, step_seed, layer, mask, x, y};
    pf_nn_parallel(threads, drop_draw, &j);
}

void pf_nn_dropout_mask(const pf_nn_layout *l, float p, uint64_t step_seed, uint32_t layer,
                        uint8_t *mask)
{
    pf_nn_dropout_forward(l, p, step_seed, layer, mask, NULL, NULL, 1);
}

void pf_nn_dropout_apply(const pf_nn_layout *l, const uint8_t *mask, float p, const float *x,
                         float *y, int threads)
{
    drop_job j = {l, p, 0, 0, (uint8_t *)mask, x, y};
    pf_nn_parallel(threads, drop_apply, &j);
}

size_t pf_nn_timestats_state_len(const pf_nn_layout *src, int k)
{
    return (size_t)(src->n * src->h) * (size_t)(2 + 2 * k);
}

/* cos and sin of 2 pi j / w for j = 0..w-1 (indexed by (j * t) mod w): cs[w], then sn[w]. */
static double *twiddles(int64_t w)
{
    double *cs = pf_calloc((size_t)w * 2, sizeof *cs), *sn = cs + w;
    for (int64_t j = 0; j < w; j++) {
        cs[j] = cos(2.0 * M_PI * (double)j / (double)w);
        sn[j] = sin(2.0 * M_PI * (double)j / (double)w);
    }
    return cs;
}

/* One thread's FFT of one row: w floats in, w/2 + 1 bins out (single-precision FFTW). */
typedef struct ts_fft {
    float *in;
    pf_cfloat *out;
    pf_fft_plan *plan;
} ts_fft;

/* One row: x[t] at stride @p s, w frames -> mean, std, |X_j|/w for j = 1..k; state (mean, std,
 * re_j, im_j). Mean and std in double; X_j is the FFT of the mean-removed row (X_j for j >= 1
 * does not depend on the mean, and removing it keeps the float transform's rounding small). */
static void row_forward(const float *x, int64_t s, int64_t w, int k, const ts_fft *f, float *y,
                        double *st)
{
    double sum = 0, var = 0;
    for (int64_t t = 0; t < w; t++)
        sum += x[t * s];
    double mean = sum / (double)w;
    for (int64_t t = 0; t < w; t++) {
        double d = x[t * s] - mean;
        var += d * d;
        f->in[t] = (float)d;
    }
    double sd = sqrt(var / (double)w);
    y[0] = (float)mean;
    y[1] = (float)sd;
    st[0] = mean;
    st[1] = sd;
    if (k < 1)
        return;
    pf_fft_execute(f->plan);
    for (int j = 1; j <= k; j++) {
        double re = f->out[j][0], im = f->out[j][1];
        y[1 + j] = (float)(sqrt(re * re + im * im) / (double)w);
        st[2 * j] = re;
        st[2 * j + 1] = im;
    }
}

typedef struct ts_job {
    const pf_nn_layout *l;
    int k;
    const float *x;
    float *y;
    double *state;
} ts_job;

/* Rows t, t + nt, ... of the batch (rows are independent: any split gives the same bits). */
static void ts_rows(void *arg, int t, int nt)
{
    const ts_job *j = arg;
    const pf_nn_layout *l = j->l;
    pf_fft_batch b = pf_fft_batch_contiguous((int)l->w, 1);
    ts_fft f = {pf_fft_alloc_real((size_t)l->w), pf_fft_alloc_complex((size_t)l->w / 2 + 1), NULL};
    f.plan = pf_fft_plan_r2c(&b, f.in, f.out, NULL);
    if (!f.plan) /* FFTW plans any size of real transform; only memory could stop it */
        abort();
    for (int64_t r = t; r < l->n * l->h; r += nt) {
        int64_t n = r / l->h, h = r % l->h;
        row_forward(j->x + pf_nn_at(l, n, 0, h, 0), l->sw, l->w, j->k, &f,
                    j->y + (size_t)r * (size_t)(2 + j->k),
                    j->state + (size_t)r * (size_t)(2 + 2 * j->k));
    }
    pf_fft_plan_free(f.plan);
    pf_fft_free(f.in);
    pf_fft_free(f.out);
}

void pf_nn_timestats_forward(const pf_nn_layout *l, int k, const float *x, float *y,
                             double *state, int threads)
{
    ts_job j = {l, k, x, y, state};
    pf_nn_parallel(threads, ts_rows, &j);
}

static void row_backward(const float *x, int64_t s, int64_t w, int k, const double *cs,
                         const double *sn, const double *st, const float *dy, float *dx)
{
    double mean = st[0], sd = st[1];
    for (int64_t t = 0; t < w; t++) {
        double g = dy[0] / (double)w;
        if (sd > 0) g += dy[1] * (x[t * s] - mean) / ((double)w * sd);
        for (int j = 1; j <= k; j++) {
            double re = st[2 * j], im = st[2 * j + 1], mag = sqrt(re * re + im * im);
            int64_t a = (int64_t)j * t % w;
            if (mag > 0) g += dy[1 + j] * (re * cs[a] - im * sn[a]) / (mag * (double)w);
        }
        dx[t * s] = (float)g;
    }
}

void pf_nn_timestats_backward(const pf_nn_layout *l, int k, const float *x, const double *state,
                              const float *dy, float *dx)
{
    double *cs = twiddles(l->w), *sn = cs + l->w;
    memset(dx, 0, l->len * sizeof *dx);
    for (int64_t n = 0; n < l->n; n++)
        for (int64_t h = 0; h < l->h; h++) {
            size_t row = (size_t)(n * l->h + h);
            int64_t o = pf_nn_at(l, n, 0, h, 0);
            row_backward(x + o, l->sw, l->w, k, cs, sn, state + row * (size_t)(2 + 2 * k),
                         dy + row * (size_t)(2 + k), dx + o);
        }
    free(cs);
}

/* ---- harmonics ---- */

void pf_nn_harmonics_table(const pf_layer_spec *s, int in_w, int32_t *idx, float *frac)
{
    for (int g = 0; g < s->k; g++)
        for (int i = 0; i < s->out; i++) {
            double midi = s->lo + i * s->step / 100.0;
            double pos = (g ? g : 0.5) * 440.0 * exp2((midi - 69.0) / 12.0) / s->hz;
            double j = floor(pos);
            size_t at = (size_t)g * (size_t)s->out + (size_t)i;
            idx[at] = j + 1 < in_w ? (int32_t)j : -1;
            frac[at] = j + 1 < in_w ? (float)(pos - j) : 0;
        }
}

/* The gather's rows (a column's time steps) are short, and -O2's cost model leaves them scalar:
 * vectorised, the same element-wise operations in the same order give the same bits, about 18%
 * less CPU for predict with models/track.h5. */
#define HARM_VECTORIZE __attribute__((optimize("tree-vectorize", "vect-cost-model=dynamic")))

/* One harmonics call: the examples are split among the threads (each example's output is its
 * own, so the bits do not depend on the thread count). */
typedef struct harm_job {
    const pf_layer_spec *s;
    int n, c, in_w, t;
    const int32_t *idx;
    const float *frac, *x; /* forward: x; backward: dy */
    float *y;              /* forward: y; backward: dx */
} harm_job;

/* Examples [*a, *b) of thread @p t of @p nt. */
static void harm_range(int n, int t, int nt, int *a, int *b)
{
    *a = (int)((int64_t)n * t / nt), *b = (int)((int64_t)n * (t + 1) / nt);
}

HARM_VECTORIZE
static void harm_forward_job(void *arg, int t, int nt)
{
    const harm_job *j = arg;
    size_t out = (size_t)j->s->out, T = (size_t)j->t;
    int e0, e1;
    harm_range(j->n, t, nt, &e0, &e1);
    for (int e = e0; e < e1; e++)
        for (int g = 0; g < j->s->k; g++)
            for (int ch = 0; ch < j->c; ch++) {
                const float *xr = j->x + ((size_t)e * j->c + ch) * j->in_w * T;
                float *yr = j->y + (((size_t)e * j->s->k + g) * j->c + ch) * out * T;
                const int32_t *ix = j->idx + g * out;
                const float *fr = j->frac + g * out;
                for (size_t i = 0; i < out; i++) {
                    float *yo = yr + i * T;
                    if (ix[i] < 0) {
                        memset(yo, 0, T * sizeof *yo);
                        continue;
                    }
                    const float *a = xr + (size_t)ix[i] * T;
                    for (size_t k = 0; k < T; k++)
                        yo[k] = a[k] + fr[i] * (a[T + k] - a[k]);
                }
            }
}

void pf_nn_harmonics_forward(const pf_layer_spec *s, int n, int c, int in_w, int t,
                             const int32_t *idx, const float *frac, const float *x, float *y,
                             int threads)
{
    harm_job j = {s, n, c, in_w, t, idx, frac, x, y};
    pf_nn_parallel(threads, harm_forward_job, &j);
}

HARM_VECTORIZE
static void harm_backward_job(void *arg, int t, int nt)
{
    const harm_job *j = arg;
    size_t out = (size_t)j->s->out, T = (size_t)j->t;
    int e0, e1;
    harm_range(j->n, t, nt, &e0, &e1);
    memset(j->y + (size_t)e0 * j->c * j->in_w * T, 0,
           (size_t)(e1 - e0) * j->c * j->in_w * T * sizeof *j->y);
    for (int e = e0; e < e1; e++)
        for (int g = 0; g < j->s->k; g++)
            for (int ch = 0; ch < j->c; ch++) {
                float *dxr = j->y + ((size_t)e * j->c + ch) * j->in_w * T;
                const float *dyr = j->x + (((size_t)e * j->s->k + g) * j->c + ch) * out * T;
                const int32_t *ix = j->idx + g * out;
                const float *fr = j->frac + g * out;
                for (size_t i = 0; i < out; i++) {
                    if (ix[i] < 0) continue;
                    float *a = dxr + (size_t)ix[i] * T;
                    for (size_t k = 0; k < T; k++) {
                        a[k] += (1 - fr[i]) * dyr[i * T + k];
                        a[T + k] += fr[i] * dyr[i * T + k];
                    }
                }
            }
}

void pf_nn_harmonics_backward(const pf_layer_spec *s, int n, int c, int in_w, int t,
                              const int32_t *idx, const float *frac, const float *dy, float *dx,
                              int threads)
{
    harm_job j = {s, n, c, in_w, t, idx, frac, dy, dx};
    pf_nn_parallel(threads, harm_backward_job, &j);
}
