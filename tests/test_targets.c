/* Tests for src/train/targets.c and src/train/metrics.c: encode/decode round trips, CREPE's
 * decoding, the losses and their gradients (by hand and by finite differences), the metrics
 * against hand-computed values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pitchforge/train.h"
#include "pitchforge/nn.h"

static pf_train_config config(pf_target t)
{
    return (pf_train_config){.target = t, .bins_lo_midi = 35, .bins_step = 0.2, .n_bins = 370,
                             .blur_cents = 25, .input = "log"};
}

static double cents(double a, double b)
{
    return 1200 * log2(a / b);
}

static void regression_round_trip(void **state)
{
    (void)state;
    for (int t = PF_TARGET_HZ; t <= PF_TARGET_MIDI; t++) {
        pf_train_config c = config((pf_target)t);
        pf_model_meta meta = {0};
        float y;
        pf_target_meta(&c, &meta);
        assert_string_equal(meta.target, t == PF_TARGET_HZ ? "hz" : "midi");
        assert_int_equal(pf_target_n_out(&c), 1);
        for (double f = 60; f < 4200; f *= 1.37) {
            pf_target_encode(&c, f, &y);
            assert_float_equal(pf_target_decode(&meta, &y, 1), f, f * 1e-6);
        }
    }
    pf_train_config c = config(PF_TARGET_HZ);
    float y;
    pf_target_encode(&c, 440, &y);
    assert_float_equal(y, 0.44, 1e-7); /* kHz */
    c = config(PF_TARGET_MIDI);
    pf_target_encode(&c, 880, &y);
    assert_float_equal(y, 1.0, 1e-7); /* octaves from A4 */
    pf_target_encode(&c, 220, &y);
    assert_float_equal(y, -1.0, 1e-7);
}

/* At a bin centre the target is 1 there and exp(-0.5 (20/25)^2) = 0.726149 one bin away. */
static void bins_encode(void **state)
{
    (void)state;
    pf_train_config c = config(PF_TARGET_BINS);
    float *y = calloc(370, sizeof *y);
    pf_target_encode(&c, 440.0 * exp2((45.0 - 69) / 12), y); /* MIDI 45 = bin 50 */
    assert_float_equal(y[50], 1.0, 1e-6);
    assert_float_equal(y[49], 0.7261490, 1e-6);
    assert_float_equal(y[51], 0.7261490, 1e-6);
    assert_true(y[60] < 1e-6);
    assert_int_equal(pf_target_n_out(&c), 370);
    free(y);
}

/* Gaussian interpolation of the peak: logits 0 at bins 10 and 11 (the others -30) put the
 * vertex of the parabola through log sigmoid at bins 9, 10, 11 at 10.5 = MIDI 37.1 = 69.697083
 * Hz; a high bin farther away is ignored. Log sigmoids -3, -1, -2 (an asymmetric peak): vertex
 * 0.5 * (-3 + 2) / (-3 + 2 - 2) = +1/6 bin from bin 20 = MIDI 39.0333 = 78.13958 Hz. */
static void bins_decode_peak(void **state)
{
    (void)state;
    pf_train_config c = config(PF_TARGET_BINS);
    pf_model_meta meta = {0};
    pf_target_meta(&c, &meta);
    assert_int_equal(meta.n_bins, 370);
    float *y = malloc(370 * sizeof *y);
    for (int i = 0; i < 370; i++)
        y[i] = -30;
    y[10] = y[11] = 0;
    y[30] = -0.1f;
    assert_float_equal(pf_target_decode(&meta, y, 370), 69.69708340578842, 1e-9);
    y[10] = y[11] = y[30] = -30;
    double ls[3] = {-3, -1, -2};
    for (int i = 0; i < 3; i++) /* logit whose log sigmoid is ls[i]: -log(exp(-ls) - 1) */
        y[19 + i] = (float)-log(exp(-ls[i]) - 1);
    assert_float_equal(pf_target_decode(&meta, y, 370),
                       440.0 * exp2((35 + 0.2 * (20 + 1.0 / 6) - 69) / 12), 1e-4);
    /* at a given bin (a Viterbi path's), not the largest: the same vertex around bin 20 while
     * bin 100 is larger; bin 30 between equal neighbours stays at MIDI 41 */
    y[100] = 5, y[30] = -0.1f;
    assert_float_equal(pf_target_decode_at(&meta, y, 370, 20),
                       440.0 * exp2((35 + 0.2 * (20 + 1.0 / 6) - 69) / 12), 1e-4);
    assert_float_equal(pf_target_decode_at(&meta, y, 370, 30), 440.0 * exp2((41.0 - 69) / 12), 1e-9);
    assert_float_equal(pf_target_decode_at(&meta, y, 370, 369), 440.0 * exp2((35 + 73.8 - 69) / 12),
                       1e-6);
    y[100] = y[30] = -30;
    /* at the edge: peak at bin 0 stays at bin 0 */
    for (int i = 0; i < 370; i++)
        y[i] = -30;
    y[0] = 0;
    assert_float_equal(pf_target_decode(&meta, y, 370), 440.0 * exp2((35.0 - 69) / 12), 1e-6);
    free(y);
}

/* Encoded targets (as logits) decode to the label within 0.05 cents over the whole range: the
 * targets are Gaussian, so the parabola through their logs is exact. */
static void bins_round_trip(void **state)
{
    (void)state;
    pf_train_config c = config(PF_TARGET_BINS);
    pf_model_meta meta = {0};
    pf_target_meta(&c, &meta);
    float *y = malloc(370 * sizeof *y);
    for (double m = 36; m < 108; m += 0.37) {
        double f = 440.0 * exp2((m - 69) / 12);
        pf_target_encode(&c, f, y);
        for (int i = 0; i < 370; i++) {
            double t = fmin(fmax(y[i], 1e-6), 1 - 1e-6);
            y[i] = (float)log(t / (1 - t));
        }
        assert_true(fabs(cents(pf_target_decode(&meta, y, 370), f)) < 0.05);
    }
    free(y);
}

/* frames: each column is the bins target of its own label, laid out [bins][frames]; unvoiced
 * and out-of-range columns light no bin (and are counted); decoding every column gives the
 * labels back within 0.05 cents and the confidence of a lit column near 1, of a dark one 0. */
static void frames_round_trip(void **state)
{
    (void)state;
    enum { F = 7, B = 370 };
    pf_train_config c = config(PF_TARGET_FRAMES);
    c.model.in_w = F;
    assert_int_equal(pf_target_n_out(&c), B * F);
    assert_true(pf_target_is_bins(&c));
    pf_model_meta meta = {0};
    pf_target_meta(&c, &meta);
    assert_string_equal(meta.target, "frames");
    const float f0[F] = {440.0f, 0.0f, 261.63f, 110.0f, 20.0f, 3520.0f, 0.0f};
    float *y = malloc(B * F * sizeof *y), one[B];
    assert_int_equal(pf_target_encode_frames(&c, f0, F, y), 1); /* 20 Hz is below bin 0 */
    for (int k = 0; k < F; k++) {
        pf_target_encode(&c, f0[k] > 20 ? f0[k] : 0, one);
        for (int i = 0; i < B; i++)
            assert_float_equal(y[i * F + k], one[i], 0); /* column k = bins of label k */
    }
    for (int i = 0; i < B * F; i++) {
        double t = fmin(fmax(y[i], 1e-6), 1 - 1e-6);
        y[i] = (float)log(t / (1 - t));
    }
    double est[F], conf[F];
    pf_target_decode_frames(&meta, y, F, est, conf);
    for (int k = 0; k < F; k++) {
        if (f0[k] > 20) {
            assert_true(fabs(cents(est[k], f0[k])) < 0.05);
            assert_true(conf[k] > 0.99);
        } else
            assert_true(conf[k] < 1e-5);
    }
    free(y);
}

static void losses_by_hand(void **state)
{
    (void)state;
    float y[2] = {1, 2}, t[2] = {0, 4}, dy[2];
    assert_float_equal(pf_loss_eval(PF_LOSS_MSE, y, t, 2, 1, dy), 2.5, 1e-12);
    assert_float_equal(dy[0], 1, 1e-7);
    assert_float_equal(dy[1], -2, 1e-7);
    float z = 0, one = 1, d;
    assert_float_equal(pf_loss_eval(PF_LOSS_BCE, &z, &one, 1, 1, &d), log(2), 1e-12);
    assert_float_equal(d, -0.5, 1e-7);
    float big = 100; /* stable for large logits: loss ~ 0, not NaN */
    assert_float_equal(pf_loss_eval(PF_LOSS_BCE, &big, &one, 1, 1, NULL), 0, 1e-12);
    assert_float_equal(pf_loss_eval(PF_LOSS_MSE, y, t, 0, 1, NULL), 0, 0);
}

/* Gradients against central finite differences in double. */
static void losses_finite_differences(void **state)
{
    (void)state;
    enum { R = 3, N = 5 };
    float y[R * N], t[R * N], dy[R * N];
    for (int i = 0; i < R * N; i++) {
        y[i] = (float)sin(i * 1.3) * 2;
        t[i] = (float)(0.5 + 0.5 * cos(i * 0.7));
    }
    for (int l = PF_LOSS_MSE; l <= PF_LOSS_BCE; l++) {
        pf_loss_eval((pf_loss)l, y, t, R, N, dy);
        for (int i = 0; i < R * N; i++) {
            float keep = y[i], h = 1e-2f;
            y[i] = keep + h;
            double up = pf_loss_eval((pf_loss)l, y, t, R, N, NULL);
            y[i] = keep - h;
            double down = pf_loss_eval((pf_loss)l, y, t, R, N, NULL);
            y[i] = keep;
            assert_float_equal(dy[i], (up - down) / (2 * h), 1e-5);
        }
    }
}

/* est 440, 445, 460, 880, 0 against 440: errors 0, 19.56, 76.96, 1200 cents, unusable. */
static void metrics_by_hand(void **state)
{
    (void)state;
    const double est[5] = {440, 445, 460, 880, 0}, ref[5] = {440, 440, 440, 440, 440};
    assert_float_equal(pf_cents_error(880, 440), 1200, 1e-9);
    assert_float_equal(pf_cents_error(440, 880), -1200, 1e-9);
    assert_float_equal(pf_cents_error(445, 440), 19.562174794920768, 1e-9);
    assert_true(isnan(pf_cents_error(0, 440)));
    assert_true(isnan(pf_cents_error(440, -1)));
    assert_float_equal(pf_rpa(est, ref, 5, 50), 0.4, 1e-12);
    assert_float_equal(pf_rpa(est, ref, 5, 100), 0.6, 1e-12);
    assert_float_equal(pf_rca(est, ref, 5, 50), 0.6, 1e-12); /* 880 folds onto 440 */
    assert_float_equal(pf_mae_hz(est, ref, 5), 181, 1e-9);
    assert_float_equal(pf_median_abs_cents(est, ref, 5), 76.95640490365868, 1e-9);
    assert_float_equal(pf_median_abs_cents(est, ref, 4), (19.562174794920768 + 76.95640490365868) / 2,
                       1e-9);
    assert_true(isnan(pf_rpa(est, ref, 0, 50)));
    assert_true(isnan(pf_median_abs_cents(est, ref, 0)));
    /* chroma: 1190 cents folds to -10, 610 to -590 */
    double e2[2] = {440 * exp2(1190 / 1200.0), 440 * exp2(610 / 1200.0)}, r2[2] = {440, 440};
    assert_float_equal(pf_rca(e2, r2, 2, 50), 0.5, 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(regression_round_trip), cmocka_unit_test(bins_encode),
        cmocka_unit_test(bins_decode_peak),      cmocka_unit_test(bins_round_trip),
        cmocka_unit_test(losses_by_hand),        cmocka_unit_test(losses_finite_differences),
        cmocka_unit_test(metrics_by_hand),       cmocka_unit_test(frames_round_trip),

    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
