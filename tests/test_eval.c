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

/* Frame metrics by group: a note (attack) and a negative (gap), 4 columns each; the counts of
 * the groups add up to the whole, and each group's scores are its own frames'. */
static void frames_by_group(void **state)
{
    (void)state;
    pf_label lab[2] = {{.segment = PF_SEG_ATTACK, .source = PF_SOURCE_NOTE},
                       {.segment = PF_SEG_GAP, .source = PF_SOURCE_PINK}};
    const float ref[8] = {220, 220, 0, 440, 0, 0, 0, 0};
    /* note: right, octave off, false alarm, unvoiced with the right guess; negative: one alarm */
    const double est[8] = {221, 440, 300, 440, 0, 0, 100, 0};
    const unsigned char voiced[8] = {1, 1, 1, 0, 0, 0, 1, 0};
    pf_eval_frames f = {0};
    pf_eval_frames_add(&f, lab, ref, est, voiced, 2, 4);
    pf_eval_frames_finish(&f);
    assert_int_equal(f.all.frames, 8);
    assert_int_equal(f.all.voiced, 3);
    assert_true(fabs(f.source[0].vr - 2 / 3.0) < 1e-12);   /* 2 of 3 voiced frames voiced */
    assert_true(fabs(f.source[0].rpa[0] - 2 / 3.0) < 1e-12); /* 221 and the unvoiced guess */
    assert_true(fabs(f.source[0].rca[0] - 1.0) < 1e-12);     /* the octave folds */
    assert_true(fabs(f.source[0].oa[0] - 1 / 4.0) < 1e-12);  /* only 221 counts */
    assert_true(f.source[1].vr == 1 && fabs(f.source[1].vfa - 1 / 4.0) < 1e-12);
    assert_true(fabs(f.all.vfa - 2 / 5.0) < 1e-12);
    assert_memory_equal(&f.segment[PF_SEG_ATTACK], &f.source[0], sizeof f.all);
    assert_memory_equal(&f.segment[PF_SEG_GAP], &f.source[1], sizeof f.all);
    assert_int_equal(f.segment[PF_SEG_SUSTAIN].frames, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(scores_by_hand), cmocka_unit_test(empty_set),
                                       cmocka_unit_test(frames_by_group)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
