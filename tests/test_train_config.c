/* Tests for src/train/config.c and src/train/presets.c: defaults, values, presets, and bad
 * configs refused with FILE:LINE:COL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pitchforge/train.h"
#include "pitchforge/error.h"
#include "pitchforge/nn.h"

static int parse(const char *text, pf_train_config *c, pf_error *err)
{
    return pf_train_config_parse(c, "t.yaml", text, strlen(text), err);
}

/* Parse @p text, expect failure whose message starts with @p where and contains @p what. */
static void expect_error(const char *text, const char *where, const char *what)
{
    pf_train_config c;
    pf_error err = {0};
    int rc = parse(text, &c, &err);
    pf_train_config_release(&c);
    if (rc != -1 || strncmp(err.msg, where, strlen(where)) || !strstr(err.msg, what))
        fail_msg("expected '%s ... %s', got rc=%d '%s'", where, what, rc, err.msg);
    assert_int_equal(err.code, PF_ECONFIG);
}

static void defaults(void **state)
{
    (void)state;
    pf_train_config c;
    pf_error err = {0};
    assert_int_equal(parse("dataset: d/dataset.h5\n", &c, &err), 0);
    assert_string_equal(c.dataset, "d/dataset.h5");
    assert_string_equal(c.output, "out/t");
    assert_string_equal(c.preset, "fast");
    assert_int_equal(c.target, PF_TARGET_BINS);
    assert_int_equal(c.loss, PF_LOSS_BCE);
    assert_int_equal(c.n_bins, 370);
    assert_true(c.bins_step == 0.2);
    assert_true(c.blur_cents == 25);
    assert_string_equal(c.input, "log");
    assert_int_equal(c.optimizer, PF_OPTIM_ADAM);
    assert_true(c.lr == 1e-3 && c.beta1 == 0.9 && c.beta2 == 0.999 && c.eps == 1e-8);
    assert_int_equal(c.batch, 32);
    assert_int_equal(c.limit_train, 0);
    assert_int_equal(strlen(c.sha256), 64);
    assert_string_equal(c.text, "dataset: d/dataset.h5\n");
    /* fast: timestats k=45, dense 512, relu, dropout, dense 256, relu, dense n_bins */
    assert_int_equal(c.model.n_layers, 7);
    assert_int_equal(c.model.layers[0].kind, PF_LAYER_TIMESTATS);
    assert_int_equal(c.model.layers[0].k, 45);
    assert_int_equal(c.model.layers[3].kind, PF_LAYER_DROPOUT);
    assert_int_equal(c.model.layers[6].kind, PF_LAYER_DENSE);
    assert_int_equal(c.model.layers[6].out, 370);
    assert_int_equal(c.model.in_h, 513);
    pf_train_config_release(&c);
}

static void values(void **state)
{
    (void)state;
    pf_train_config c;
    pf_error err = {0};
    const char *t =
        "dataset: x.h5\noutput: o\nmodel: {preset: seed}\n"
        "target: {kind: midi, tuning: measured}\ninput: linear\n"
        "optimizer: {kind: sgd, lr: 0.05, momentum: 0.5, weight_decay: 0.01, lr_decay: 0.5}\n"
        "batch: 8\nepochs: 3\nseed: 42\nthreads: 2\nlimit: {train: 64, val: 16}\n"
        "augment: {eq_db: 6.5}\n";
    assert_int_equal(parse(t, &c, &err), 0);
    assert_true(c.eq_db == 6.5);
    assert_string_equal(c.output, "o");
    assert_string_equal(c.preset, "seed");
    assert_int_equal(c.target, PF_TARGET_MIDI);
    assert_int_equal(c.tuning_measured, 1);
    assert_int_equal(c.loss, PF_LOSS_MSE);
    assert_string_equal(c.input, "linear");
    assert_int_equal(c.optimizer, PF_OPTIM_SGD);
    assert_true(c.lr == 0.05 && c.momentum == 0.5 && c.weight_decay == 0.01 && c.lr_decay == 0.5);
    assert_int_equal(c.batch, 8);
    assert_int_equal(c.epochs, 3);
    assert_int_equal(c.seed, 42);
    assert_int_equal(c.threads, 2);
    assert_int_equal(c.limit_train, 64);
    assert_int_equal(c.limit_val, 16);
    assert_int_equal(c.model.layers[c.model.n_layers - 1].out, 1);
    pf_train_config_release(&c);

    t = "dataset: x.h5\ntarget: {kind: bins, bins_lo: C2, step_cents: 10, n_bins: 100, "
        "blur_cents: 0}\noptimizer: {betas: [0.8, 0.99], eps: 1e-6}\n";
    assert_int_equal(parse(t, &c, &err), 0);
    assert_true(c.bins_lo_midi == 36 && c.bins_step == 0.1 && c.n_bins == 100);
    assert_true(c.blur_cents == 0 && c.beta1 == 0.8 && c.beta2 == 0.99 && c.eps == 1e-6);
    pf_train_config_release(&c);
}

static void layers(void **state)
{
    (void)state;
    pf_train_config c;
    pf_error err = {0};
    const char *t = "dataset: x.h5\ntarget: {kind: hz}\nmodel:\n  layers:\n"
                    "    - {kind: conv, out: 4, kernel: 5}\n    - relu\n"
                    "    - {kind: maxpool, pool: 3}\n    - {kind: dropout, p: 0.1}\n"
                    "    - {kind: timestats, k: 4}\n    - {kind: dense, out: 7}\n"
                    "    - {kind: timestats_map, k: 3}\n"
                    "    - {kind: harmonics, k: 6, out: 370, lo: 35, step: 20, hz: 15.625}\n";
    assert_int_equal(parse(t, &c, &err), 0);
    assert_null(c.preset);
    assert_int_equal(c.model.n_layers, 9);
    const pf_layer_spec *l = c.model.layers;
    assert_true(l[0].kind == PF_LAYER_CONV && l[0].out == 4 && l[0].kernel == 5);
    assert_true(l[1].kind == PF_LAYER_RELU);
    assert_true(l[2].kind == PF_LAYER_MAXPOOL && l[2].pool == 3);
    assert_true(l[3].kind == PF_LAYER_DROPOUT && l[3].p == 0.1f);
    assert_true(l[4].kind == PF_LAYER_TIMESTATS && l[4].k == 4);
    assert_true(l[5].kind == PF_LAYER_DENSE && l[5].out == 7);
    assert_true(l[6].kind == PF_LAYER_TIMESTATS_MAP && l[6].k == 3);
    assert_true(l[7].kind == PF_LAYER_HARMONICS && l[7].k == 6 && l[7].out == 370);
    assert_true(l[7].lo == 35.0f && l[7].step == 20.0f && l[7].hz == 15.625f);
    assert_true(l[8].kind == PF_LAYER_DENSE && l[8].out == 1); /* appended output layer */
    pf_train_config_release(&c);
}

static void presets(void **state)
{
    (void)state;
    pf_model_spec s;
    pf_error err = {0};
    assert_int_equal(pf_model_preset("seed", 1, &s, &err), 0);
    int conv[4], nc = 0;
    size_t n_params = 0;
    int c = s.in_c, h = s.in_h, w = s.in_w;
    for (size_t i = 0; i < s.n_layers; i++) {
        const pf_layer_spec *l = &s.layers[i];
        if (l->kind == PF_LAYER_CONV) {
            conv[nc++] = l->out;
            n_params += (size_t)l->out * c * 9 + l->out, c = l->out;
        } else if (l->kind == PF_LAYER_MAXPOOL)
            h /= l->pool, w /= l->pool;
        else if (l->kind == PF_LAYER_DENSE) {
            n_params += (size_t)l->out * c * h * w + l->out;
            c = l->out, h = w = 1;
        }
    }
    assert_int_equal(nc, 4);
    assert_true(conv[0] == 64 && conv[1] == 128 && conv[2] == 128 && conv[3] == 256);
    assert_true(n_params > 10500000 && n_params < 11500000); /* "about 11 M" */
    assert_int_equal(s.layers[s.n_layers - 1].out, 1);
    free(s.layers);
    assert_int_equal(pf_model_preset("fast", 370, &s, &err), 0);
    assert_int_equal(s.layers[0].kind, PF_LAYER_TIMESTATS);
    free(s.layers);
    assert_int_equal(pf_model_preset("huge", 1, &s, &err), -1);
    assert_non_null(strstr(err.msg, "huge"));
}

static void errors(void **state)
{
    (void)state;
    expect_error("output: o\n", "t.yaml:1:1:", "missing key 'dataset'");
    expect_error("dataset: x\nbatchsize: 3\n", "t.yaml:2:1:", "batchsize");
    expect_error("dataset: x\nbatch: 0\n", "t.yaml:2:8:", "out of range");
    expect_error("dataset: x\nmodel: {preset: huge}\n", "t.yaml:2:17:", "huge");
    expect_error("dataset: x\nmodel: {preset: fast, layers: [relu]}\n", "t.yaml:2:8:",
                 "either 'preset' or 'layers'");
    expect_error("dataset: x\nmodel: {layers: [{kind: conv}]}\n", "t.yaml:2:18:", "needs 'out'");
    expect_error("dataset: x\nmodel: {layers: [{kind: conv, out: 2, kernel: 4}]}\n",
                 "t.yaml:2:18:", "odd");
    expect_error("dataset: x\nmodel: {layers: [{kind: dense, units: 3}]}\n", "t.yaml:2:32:",
                 "units");
    expect_error("dataset: x\nmodel: {layers: [softmax]}\n", "t.yaml:2:18:", "softmax");
    expect_error("dataset: x\nmodel: {layers: [{kind: harmonics, k: 6, out: 9, lo: 35}]}\n",
                 "t.yaml:2:18:", "needs out (bins), lo (MIDI), step (cents) and hz");
    expect_error("dataset: x\ntarget: {kind: cents}\n", "t.yaml:2:16:", "cents");
    expect_error("dataset: x\ntarget: {bins_lo: H2}\n", "t.yaml:2:19:", "note name");
    expect_error("dataset: x\ntarget: {n_bins: 4000}\n", "t.yaml:2:9:", "above 140");
    expect_error("dataset: x\ntarget: {kind: hz}\nloss: bce\n", "t.yaml:3:7:", "does not fit");
    expect_error("dataset: x\nloss: mse\n", "t.yaml:2:7:", "does not fit");
    expect_error("dataset: x\noptimizer: {kind: rmsprop}\n", "t.yaml:2:19:", "rmsprop");
    expect_error("dataset: x\noptimizer: {betas: [0.9]}\n", "t.yaml:2:20:", "betas");
    expect_error("dataset: x\noptimizer: {lr: fast}\n", "t.yaml:2:17:", "number");
    expect_error("dataset: x\ninput: db\n", "t.yaml:2:8:", "db");
    expect_error("dataset: x\nseed: 1.5\n", "t.yaml:2:7:", "whole number");
    expect_error("dataset: x\nlimit: {test: 3}\n", "t.yaml:2:9:", "test");
    expect_error("dataset: x\naugment: {eq_db: 50}\n", "t.yaml:2:18:", "out of range");
    expect_error("dataset: x\naugment: {noise: 3}\n", "t.yaml:2:11:", "noise");
    expect_error("dataset: x\ninit: {member: 2}\n", "t.yaml:2:7:", "needs 'model'");
    expect_error("dataset: x\ninit: {model: m.h5, member: 0}\n", "t.yaml:2:29:", "out of range");
    expect_error("dataset: x\ninit: {model: m.h5, layer: 1}\n", "t.yaml:2:21:", "layer");
    expect_error("dataset: x\ninit: {model: ''}\n", "t.yaml:2:15:", "must not be empty");
    expect_error("- a\n", "t.yaml:1:1:", "mapping");
    expect_error("dataset: [x\n", "t.yaml:", "");
}

/* init: off by default; the model path and a member (1 unless given). */
static void init(void **state)
{
    (void)state;
    pf_train_config c;
    pf_error err = {0};
    assert_int_equal(parse("dataset: x\n", &c, &err), 0);
    assert_null(c.init_model);
    pf_train_config_release(&c);
    assert_int_equal(parse("dataset: x\ninit: {model: models/pitch.h5}\n", &c, &err), 0);
    assert_string_equal(c.init_model, "models/pitch.h5");
    assert_int_equal(c.init_member, 1);
    pf_train_config_release(&c);
    assert_int_equal(parse("dataset: x\ninit: {model: e.h5, member: 2}\n", &c, &err), 0);
    assert_string_equal(c.init_model, "e.h5");
    assert_int_equal(c.init_member, 2);
    pf_train_config_release(&c);
}

static void load_file(void **state)
{
    (void)state;
    pf_train_config c;
    pf_error err = {0};
    assert_int_equal(pf_train_config_load(&c, "manifests/train-tiny.yaml", &err), 0);
    assert_string_equal(c.file, "manifests/train-tiny.yaml");
    pf_train_config_release(&c);
    assert_int_equal(pf_train_config_load(&c, "manifests/train-default.yaml", &err), 0);
    assert_string_equal(c.preset, "fast");
    pf_train_config_release(&c);
    assert_int_equal(pf_train_config_load(&c, "/nonexistent/t.yaml", &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/t.yaml"));
    pf_train_config_release(&c);
    pf_train_config_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults), cmocka_unit_test(values), cmocka_unit_test(layers),
        cmocka_unit_test(presets),  cmocka_unit_test(errors), cmocka_unit_test(load_file),
        cmocka_unit_test(init),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
