/* Tests for src/core/rng.c: Philox4x32-10 known answers (Random123's kat_vectors), streams. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pitchforge/rng.h"

static void philox_known_answers(void **state)
{
    (void)state;
    static const uint32_t cases[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1}};
    for (int c = 0; c < 3; c++) {
        uint32_t out[4];
        pf_philox4x32_10(cases[c], cases[c] + 4, out);
        for (int i = 0; i < 4; i++)
            assert_int_equal(out[i], cases[c][6 + i]);
    }
}

/* The lanes form (dropout masks) is the one-block form on consecutive counters, word for word. */
static void philox_lanes_match_blocks(void **state)
{
    (void)state;
    const uint32_t ctr[3] = {7, 0xdeadbeefu, 3}, key[2] = {0x12345678u, 0x9abcdef0u};
    uint32_t o[4][PF_PHILOX_LANES], one[4];
    for (uint32_t first = 0; first < 3 * PF_PHILOX_LANES; first += PF_PHILOX_LANES) {
        pf_philox4x32_10_lanes(first, ctr, key, o);
        for (int i = 0; i < PF_PHILOX_LANES; i++) {
            pf_philox4x32_10((uint32_t[4]){first + (uint32_t)i, ctr[0], ctr[1], ctr[2]}, key, one);
            for (int w = 0; w < 4; w++)
                assert_int_equal(o[w][i], one[w]);
        }
    }
}

static void same_key_same_stream(void **state)
{
    (void)state;
    pf_rng a, b, c;
    pf_rng_init(&a, 42, 1, 7);
    pf_rng_init(&b, 42, 1, 7);
    pf_rng_init(&c, 42, 1, 8);
    int differ = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = pf_rng_u64(&a), y = pf_rng_u64(&b), z = pf_rng_u64(&c);
        assert_true(x == y);
        differ += x != z;
    }
    assert_int_equal(differ, 100);
}

static void uniform_and_normal_moments(void **state)
{
    (void)state;
    pf_rng r;
    pf_rng_init(&r, 1, 2, 3);
    double s = 0, s2 = 0, n1 = 0, n2 = 0;
    const int N = 200000;
    for (int i = 0; i < N; i++) {
        double u = pf_rng_uniform(&r);
        assert_true(u >= 0 && u < 1);
        s += u;
        s2 += u * u;
        double g = pf_rng_normal(&r);
        n1 += g;
        n2 += g * g;
    }
    /* mean 1/2 and variance 1/12 within ~5 standard errors */
    assert_true(fabs(s / N - 0.5) < 5 * sqrt(1.0 / 12 / N));
    assert_true(fabs(s2 / N - s / N * s / N - 1.0 / 12) < 0.002);
    assert_true(fabs(n1 / N) < 5 / sqrt(N));
    assert_true(fabs(n2 / N - 1) < 0.02);
}

static void below_is_uniform(void **state)
{
    (void)state;
    pf_rng r;
    pf_rng_init(&r, 9, 9, 9);
    int count[7] = {0};
    const int N = 70000;
    for (int i = 0; i < N; i++) {
        uint64_t v = pf_rng_below(&r, 7);
        assert_true(v < 7);
        count[v]++;
    }
    double chi2 = 0;
    for (int k = 0; k < 7; k++)
        chi2 += (count[k] - N / 7.0) * (count[k] - N / 7.0) / (N / 7.0);
    assert_true(chi2 < 22.5); /* p = 0.001 for 6 degrees of freedom */
}

static void hash_depends_on_seed_and_data(void **state)
{
    (void)state;
    assert_true(pf_hash64(1, "abc", 3) == pf_hash64(1, "abc", 3));
    assert_true(pf_hash64(1, "abc", 3) != pf_hash64(2, "abc", 3));
    assert_true(pf_hash64(1, "abc", 3) != pf_hash64(1, "abd", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(philox_known_answers), cmocka_unit_test(philox_lanes_match_blocks), cmocka_unit_test(same_key_same_stream),
        cmocka_unit_test(uniform_and_normal_moments), cmocka_unit_test(below_is_uniform),
        cmocka_unit_test(hash_depends_on_seed_and_data)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
