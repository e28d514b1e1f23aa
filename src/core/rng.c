/* Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC11). */
#include "pitchforge/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static void philox_round(uint32_t c[4], const uint32_t k[2])
{
    uint64_t p0 = (uint64_t)PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)PHILOX_M1 * c[2];
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k[0];
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k[1];
    c[0] = n0;
    c[1] = (uint32_t)p1;
    c[2] = n2;
    c[3] = (uint32_t)p0;
}

void pf_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int i = 0; i < 10; i++) {
        if (i) {
            k[0] += PHILOX_W0;
            k[1] += PHILOX_W1;
        }
        philox_round(c, k);
    }
    for (int i = 0; i < 4; i++)
        out[i] = c[i];
}

/* The rounds of PF_PHILOX_LANES independent blocks interleave: about 4x the throughput of one
 * block at a time (a dependency chain). */
void pf_philox4x32_10_lanes(uint32_t first, const uint32_t ctr[3], const uint32_t key[2],
                         uint32_t out[4][PF_PHILOX_LANES])
{
    uint32_t c0[PF_PHILOX_LANES], c1[PF_PHILOX_LANES], c2[PF_PHILOX_LANES], c3[PF_PHILOX_LANES], k0 = key[0], k1 = key[1];
    for (int i = 0; i < PF_PHILOX_LANES; i++)
        c0[i] = first + (uint32_t)i, c1[i] = ctr[0], c2[i] = ctr[1], c3[i] = ctr[2];
    for (int r = 0; r < 10; r++) {
        for (int i = 0; i < PF_PHILOX_LANES; i++) {
            uint64_t p0 = (uint64_t)PHILOX_M0 * c0[i], p1 = (uint64_t)PHILOX_M1 * c2[i];
            uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1[i] ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3[i] ^ k1;
            c0[i] = n0, c1[i] = (uint32_t)p1, c2[i] = n2, c3[i] = (uint32_t)p0;
        }
        k0 += PHILOX_W0, k1 += PHILOX_W1;
    }
    for (int i = 0; i < PF_PHILOX_LANES; i++)
        out[0][i] = c0[i], out[1][i] = c1[i], out[2][i] = c2[i], out[3][i] = c3[i];
}

void pf_rng_init(pf_rng *r, uint64_t seed, uint32_t stream, uint64_t id)
{
    r->key[0] = (uint32_t)seed;
    r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = 0;
    r->ctr[1] = stream;
    r->ctr[2] = (uint32_t)id;
    r->ctr[3] = (uint32_t)(id >> 32);
    r->used = 4;
    r->has_spare = 0;
    r->spare = 0;
}

uint32_t pf_rng_u32(pf_rng *r)
{
    if (r->used == 4) {
        pf_philox4x32_10(r->ctr, r->key, r->out);
        r->ctr[0]++;
        r->used = 0;
    }
    return r->out[r->used++];
}

uint64_t pf_rng_u64(pf_rng *r)
{
    uint64_t hi = pf_rng_u32(r);
    return (hi << 32) | pf_rng_u32(r);
}

double pf_rng_uniform(pf_rng *r)
{
    return (double)(pf_rng_u64(r) >> 11) * 0x1.0p-53;
}

double pf_rng_range(pf_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * pf_rng_uniform(r);
}

double pf_rng_normal(pf_rng *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    double u1 = 1.0 - pf_rng_uniform(r); /* (0, 1] */
    double u2 = pf_rng_uniform(r);
    double radius = sqrt(-2.0 * log(u1)), angle = 2.0 * M_PI * u2;
    r->spare = radius * sin(angle);
    r->has_spare = 1;
    return radius * cos(angle);
}

uint64_t pf_rng_below(pf_rng *r, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t v;
    do
        v = pf_rng_u64(r);
    while (v >= limit);
    return v % n;
}

uint64_t pf_hash64(uint64_t seed, const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}
