/* A frame-level model's answer for a whole recording, one rule for predict (a file) and eval (an
 * example): the loudness-weighted median of the voiced columns' pitch, so a long quiet tail
 * cannot outvote the note. */
#include <math.h>
#include <stdlib.h>

#include "core/mem.h"
#include "pitchforge/estimator.h"
#include "pitchforge/level.h"

void pf_columns_rms(const float *s, size_t n, const pf_spec_config *cfg, size_t columns,
                    double *rms)
{
    size_t hop = (size_t)(cfg->length - cfg->overlap), len = (size_t)cfg->length;
    for (size_t m = 0; m < columns; m++) {
        size_t a = m * hop, k = a >= n ? 0 : a + len <= n ? len : n - a;
        rms[m] = k ? pow(10.0, pf_rms_dbfs(s + a, k) / 20) : 0;
    }
}

typedef struct weighted {
    double f0, w;
} weighted;

static int cmp_weighted(const void *a, const void *b)
{
    double x = ((const weighted *)a)->f0, y = ((const weighted *)b)->f0;
    return (x > y) - (x < y);
}

void pf_columns_pitch(const double *f0, const double *conf, const double *weight, size_t n,
                      double voicing, double *f0_hz, double *confidence)
{
    weighted *v = pf_calloc(n + 1, sizeof *v);
    size_t k = 0;
    double total = 0, c = 0;
    for (size_t m = 0; m < n; m++)
        if (conf[m] >= voicing && f0[m] > 0) {
            double w = weight ? weight[m] : 1.0;
            v[k++] = (weighted){f0[m], w};
            total += w, c += w * conf[m];
        }
    qsort(v, k, sizeof *v, cmp_weighted);
    double acc = 0;
    *f0_hz = 0;
    for (size_t i = 0; i < k && total > 0; i++)
        if ((acc += v[i].w) >= total / 2) {
            *f0_hz = v[i].f0;
            break;
        }
    *confidence = total > 0 ? c / total : 0;
    free(v);
}
