/* The per-bin sums of /stats, in one order shared by the shard writer and verify: a sum of
 * floats in double is not always exact (a row whose values span more than ~2^29), so verify must
 * add in the writer's order to match /stats/sum bit for bit. */
#ifndef PF_DATA_ROWSUM_H
#define PF_DATA_ROWSUM_H

#include <stddef.h>

typedef double pf_v2d __attribute__((vector_size(16)));

/* Add the sum and the sum of squares of v[0..n), in double, to *s and *ss: even and odd elements
 * in the two lanes of one register (two independent chains, so the adds overlap), then the lanes
 * added, then the last element of an odd n. */
static inline void pf_sum2(const float *v, size_t n, double *s, double *ss)
{
    pf_v2d a = {0, 0}, q = {0, 0};
    size_t f = 0;
    for (; f + 2 <= n; f += 2) {
        pf_v2d x = {v[f], v[f + 1]};
        a += x;
        q += x * x;
    }
    double s1 = a[0] + a[1], q1 = q[0] + q[1];
    if (f < n) {
        s1 += v[f];
        q1 += (double)v[f] * v[f];
    }
    *s += s1;
    *ss += q1;
}

#endif
