/* Tests for src/generate/ (example.c, audit.c): the quality gate, the label audit's drop and
 * drop-preset policies, counts that add up, and failures that leave nothing behind. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "pitchforge/generate.h"
#include "shard_fixture.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/manifest.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"
#include "pitchforge/spectrogram.h"

#define SF "/usr/share/sounds/sf2/TimGM6mb.sf2"

/* Run a small manifest (TimGM6mb piano and trumpet, C4 and G4, exact + 1 detuned) into a fresh
 * folder with @p extra keys; returns the status and fills rep, dir. */
static int run_with(const char *instruments, const char *extra, pf_generate_report *rep,
                    char **dir, pf_error *err)
{
    char text[2048];
    *dir = fx_tmpdir("gen");
    snprintf(text, sizeof text,
             "soundfonts: [{id: t, path: " SF "}]\n"
             "instruments: %s\n"
             "notes: {octaves: [4, 4], pitch_classes: [C, G], velocities: [100]}\n"
             "detune: {copies: 1}\nsplit: {val: 0, test: 0}\noutput: %s\n%s",
             instruments, *dir, extra);
    pf_manifest m;
    if (pf_manifest_parse(&m, "g.yaml", text, strlen(text), err))
        fail_msg("%s", err->msg);
    pf_generate_opts o = {.jobs = 1, .command = "test"};
    int rc = pf_generate(&m, &o, rep, err);
    pf_manifest_release(&m);
    return rc;
}

static int run(const char *extra, pf_generate_report *rep, char **dir, pf_error *err)
{
    return run_with("[{program: 0}, {program: 56}]", extra, rep, dir, err);
}

/* All labels of the (single) train split, through dataset.h5. */
static pf_label *labels(const char *dir, size_t *n)
{
    pf_label *rows;
    pf_error err = {0};
    if (pf_dataset_read_labels(fx_path(dir, "dataset.h5"), "train", &rows, n, &err))
        fail_msg("%s", err.msg);
    return rows;
}

static uint64_t rejected(const pf_generate_report *r)
{
    uint64_t s = 0;
    for (int i = 0; i < PF_REJECT_COUNT; i++)
        s += r->rejected[i];
    return s;
}

static void flag_keeps_all_and_labels_hold(void **state)
{
    (void)state;
    pf_generate_report rep;
    pf_error err = {0};
    char *dir;
    assert_int_equal(run("", &rep, &dir, &err), 0);
    size_t n;
    pf_label *l = labels(dir, &n);
    assert_int_equal(rep.notes, 8);
    assert_int_equal(n + rejected(&rep), 8 * 3);
    for (size_t i = 0; i < n; i++) {
        assert_true(fabs(l[i].f0_hz - 440.0 * pow(2, (l[i].midi - 69 + l[i].cents / 100.0) / 12)) <
                    1e-9);
        assert_true(l[i].pitch_check != PF_PITCH_SKIPPED);
        assert_true(l[i].rms_dbfs >= -60);
        if (l[i].pitch_check == PF_PITCH_OK)
            assert_true(fabs(l[i].pitch_error_cents) <= 50);
        assert_true(l[i].volume >= 0.2f && l[i].volume <= 1.0f);
    }
    /* the stored audio, read back as the signal, gives exactly the stored spectrogram */
    float audio[5280], *spec = malloc(513 * 90 * sizeof *spec), *ref = malloc(513 * 90 * sizeof *ref);
    pf_spec_config sc = {256, 200, 1024, 16000, PF_SPEC_MAGNITUDE, PF_SCALE_DENSITY};
    pf_spectrogram *sp = pf_spectrogram_new(&sc, 5280, &err);
    char **names;
    size_t n_names;
    assert_int_equal(pf_shard_list(dir, &names, &n_names, &err), 0);
    assert_int_equal(pf_dataset_read_audio(fx_path(dir, "dataset.h5"), "train", 0, 1, audio, 5280, &err),
                     0);
    assert_int_equal(pf_spectrogram_compute(sp, audio, 5280, spec, &err), 0);
    assert_int_equal(pf_shard_read_spectrogram(fx_path(dir, names[0]), 0, ref, 513 * 90, &err), 0);
    assert_memory_equal(spec, ref, 513 * 90 * sizeof *spec);
    pf_names_free(names, n_names);
    pf_spectrogram_free(sp);
    free(spec);
    free(ref);
    assert_non_null(strstr(fx_path(dir, "README.md"), "README.md"));
    assert_int_equal(access(fx_path(dir, "README.md"), R_OK), 0);
    pf_labels_free(l, n);
    free(dir);
}

static void quality_gate_drops_quiet_segments(void **state)
{
    (void)state;
    pf_generate_report rep;
    pf_error err = {0};
    char *dir;
    assert_int_equal(run("segments: {min_rms_dbfs: -14}\n", &rep, &dir, &err), 0);
    size_t n;
    pf_label *l = labels(dir, &n);
    assert_true(rep.rejected[PF_REJECT_SILENT] > 0);
    assert_int_equal(n + rejected(&rep), 8 * 3);
    for (size_t i = 0; i < n; i++)
        assert_true(l[i].rms_dbfs >= -14);
    pf_labels_free(l, n);
    free(dir);
}

static void drop_policy_keeps_only_confirmed_pitches(void **state)
{
    (void)state;
    pf_generate_report rep;
    pf_error err = {0};
    char *dir;
    /* TimGM6mb's piano sounds ~+3.5 cents sharp: a 2-cent tolerance drops most of it */
    assert_int_equal(run("quality: {pitch_check: drop, max_cents: 2}\n", &rep, &dir, &err), 0);
    size_t n;
    pf_label *l = labels(dir, &n);
    assert_true(rep.rejected[PF_REJECT_PITCH] > 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(l[i].pitch_check, PF_PITCH_OK);
        assert_true(fabs(l[i].pitch_error_cents) <= 2);
    }
    pf_labels_free(l, n);
    free(dir);
}

static void drop_preset_leaves_out_an_octave_off_preset(void **state)
{
    (void)state;
    pf_generate_report rep;
    pf_error err = {0};
    char *dir;
    /* TimGM6mb's Guitar Harmonics sound an octave above the written key (measured: every probe) */
    assert_int_equal(run_with("[{program: 31}, {program: 56}]",
                              "quality: {pitch_check: drop-preset}\n", &rep, &dir, &err),
                     0);
    size_t n;
    pf_label *l = labels(dir, &n);
    assert_int_equal(rep.excluded_presets, 1);
    assert_int_equal(rep.notes, 4);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(l[i].program, 56); /* the octave-off preset is gone */
    pf_labels_free(l, n);
    free(dir);
}

static void unwritable_output_fails_cleanly(void **state)
{
    (void)state;
    pf_generate_report rep;
    pf_error err = {0};
    char text[1024];
    const char *base = getenv("PF_TEST_TMP") ? getenv("PF_TEST_TMP") : "/tmp";
    snprintf(text, sizeof text, "%s/pf-gen-file", base);
    FILE *f = fopen(text, "w");
    fclose(f);
    char extra[1200];
    snprintf(extra, sizeof extra, "output: %s/sub\n", text);
    /* run() sets output itself, so this manifest is built here */
    char m_text[2048];
    snprintf(m_text, sizeof m_text,
             "soundfonts: [{id: t, path: " SF "}]\ninstruments: [{program: 0}]\n"
             "notes: {octaves: [4, 4], pitch_classes: [C], velocities: [100]}\n%s",
             extra);
    pf_manifest m;
    assert_int_equal(pf_manifest_parse(&m, "g.yaml", m_text, strlen(m_text), &err), 0);
    pf_generate_opts o = {.jobs = 1};
    assert_int_equal(pf_generate(&m, &o, &rep, &err), -1);
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, "pf-gen-file"));
    pf_manifest_release(&m);
    unlink(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(flag_keeps_all_and_labels_hold),
        cmocka_unit_test(quality_gate_drops_quiet_segments),
        cmocka_unit_test(drop_policy_keeps_only_confirmed_pitches),
        cmocka_unit_test(drop_preset_leaves_out_an_octave_off_preset),
        cmocka_unit_test(unwritable_output_fails_cleanly)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
