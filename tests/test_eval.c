/* Tests for src/eval/eval.c: scores against values worked out by hand on a small fixed set. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pitchforge/eval.h"

/* est = ref * 2^(c/1200) for the cents offsets below; 0 is unvoiced. */
static void scores_by_hand(void **state)
{
    (void)state;
    const double cents[8] = {0, 5, -20, 30, -60, 1200, -2405, NAN};
    double ref[8], est[8];
    for (int i = 0; i < 8; i++) {
        ref[i] = 220.0 * (i + 1);
        est[i] = isnan(cents[i]) ? 0 : ref[i] * pow(2, cents[i] / 1200);
    }
    pf_scores s;
    pf_scores_compute(est, ref, 8, &s);
    assert_int_equal(s.n, 8);
    /* |errors| sorted: 0, 5, 20, 30, 60, 1200, 2405, inf */
    assert_true(fabs(s.rpa[0] - 4 / 8.0) < 1e-12); /* <= 50: 0, 5, 20, 30 */
    assert_true(fabs(s.rpa[1] - 3 / 8.0) < 1e-12); /* <= 25: 0, 5, 20 */
    assert_true(fabs(s.rpa[2] - 2 / 8.0) < 1e-12); /* <= 10: 0, 5 */
    /* chroma: 1200 -> 0, -2405 -> -5 (folded); -60 stays 60 */
    assert_true(fabs(s.rca[0] - 6 / 8.0) < 1e-12);
    assert_true(fabs(s.rca[2] - 4 / 8.0) < 1e-12);
    assert_true(fabs(s.octave_rate - 2 / 8.0) < 1e-12);
    assert_true(fabs(s.unvoiced_rate - 1 / 8.0) < 1e-12);
    assert_true(fabs(s.cents_median - 30) < 1e-6); /* 4th of 8 sorted (ceil(0.5*8)-1 = 3) */
    assert_true(isinf(s.cents_p90)); /* nearest rank ceil(0.9*8) = 8th: the unvoiced one */
    double mae = 0;
    for (int i = 0; i < 7; i++)
        mae += fabs(est[i] - ref[i]);
    assert_true(fabs(s.mae_hz - mae / 7) < 1e-9);
}

static void empty_set(void **state)
{
    (void)state;
    pf_scores s;
    pf_scores_compute(NULL, NULL, 0, &s);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.cents_median));
    assert_true(s.rpa[0] == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(scores_by_hand), cmocka_unit_test(empty_set)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
