/* Plain C layers on any activation layout: dropout and timestats (layers.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#include "nn/layers.h"
#include "pitchforge/rng.h"

void pf_nn_dropout_mask(const pf_nn_layout *l, float p, uint64_t step_seed, uint32_t layer,
                        uint8_t *mask)
{
    /* keep when the 32-bit draw is >= p * 2^32 (p < 1) */
    uint32_t cut = (uint32_t)ldexp((double)p, 32);
    size_t per = (size_t)(l->c * l->h * l->w);
    for (int64_t n = 0; n < l->n; n++) {
        pf_rng r;
        pf_rng_init(&r, step_seed, PF_NN_STREAM_DROPOUT, (uint64_t)layer << 32 | (uint64_t)n);
        uint8_t *m = mask + (size_t)n * per;
        for (size_t i = 0; i < per; i++)
            m[i] = pf_rng_u32(&r) >= cut;
    }
}

void pf_nn_dropout_apply(const pf_nn_layout *l, const uint8_t *mask, float p, const float *x,
                         float *y)
{
    const float scale[2] = {0.0f, 1.0f / (1.0f - p)};
    for (int64_t n = 0; n < l->n; n++)
        for (int64_t c = 0; c < l->c; c++)
            for (int64_t h = 0; h < l->h; h++) {
                int64_t o = pf_nn_at(l, n, c, h, 0);
                for (int64_t w = 0; w < l->w; w++, o += l->sw)
                    y[o] = x[o] * scale[*mask++];
            }
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

/* One row: x[t] at stride @p s, w frames -> mean, std, |X_j|/w; state (mean, std, re, im). */
static void row_forward(const float *x, int64_t s, int64_t w, int k, const double *cs,
                        const double *sn, float *y, double *st)
{
    double sum = 0, var = 0;
    for (int64_t t = 0; t < w; t++)
        sum += x[t * s];
    double mean = sum / (double)w;
    for (int64_t t = 0; t < w; t++)
        var += (x[t * s] - mean) * (x[t * s] - mean);
    double sd = sqrt(var / (double)w);
    y[0] = (float)mean;
    y[1] = (float)sd;
    st[0] = mean;
    st[1] = sd;
    for (int j = 1; j <= k; j++) {
        double re = 0, im = 0;
        for (int64_t t = 0, a = 0; t < w; t++, a = (a + j) % w) {
            re += x[t * s] * cs[a];
            im -= x[t * s] * sn[a];
        }
        y[1 + j] = (float)(sqrt(re * re + im * im) / (double)w);
        st[2 * j] = re;
        st[2 * j + 1] = im;
    }
}

void pf_nn_timestats_forward(const pf_nn_layout *l, int k, const float *x, float *y,
                             double *state)
{
    double *cs = twiddles(l->w), *sn = cs + l->w;
    for (int64_t n = 0; n < l->n; n++)
        for (int64_t h = 0; h < l->h; h++) {
            size_t row = (size_t)(n * l->h + h);
            row_forward(x + pf_nn_at(l, n, 0, h, 0), l->sw, l->w, k, cs, sn,
                        y + row * (size_t)(2 + k), state + row * (size_t)(2 + 2 * k));
        }
    free(cs);
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
