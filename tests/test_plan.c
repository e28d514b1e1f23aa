/* Tests for src/config/plan.c: ids, seeded detunes, held-out splits, mixed shards, determinism. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pitchforge/plan.h"
#include "pitchforge/error.h"
#include "pitchforge/manifest.h"
#include "pitchforge/pitch.h"
#include "pitchforge/synth.h"

#define SF "/usr/share/sounds/sf2/TimGM6mb.sf2"

static pf_preset presets[8];
static pf_preset_list lists[1] = {{presets, 8}};

static void fill_presets(void)
{
    for (int i = 0; i < 8; i++) {
        presets[i] = (pf_preset){.bank = 0, .program = i * 8};
        snprintf(presets[i].name, sizeof presets[i].name, "P%d", i * 8);
    }
}

static void load(pf_manifest *m, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text,
             "soundfonts: [{id: t, path: " SF "}]\n"
             "instruments:\n  - {program: 0}\n  - {program: 8}\n  - {program: 16}\n"
             "  - {program: 24, range: [C4, B4]}\n  - {program: 32}\n  - {program: 40}\n"
             "notes: {octaves: [3, 5], velocities: [64, 100]}\n"
             "detune: {cents: [-30, 30], copies: 2, include_exact: true}\n"
             "shards: {examples: 30}\nsplit: {by: instrument, val: 0.2, test: 0.2}\n%s",
             extra);
    pf_error err = {0};
    if (pf_manifest_parse(m, "p.yaml", text, strlen(text), &err))
        fail_msg("%s", err.msg);
}

static void counts_ids_and_detunes(void **state)
{
    (void)state;
    pf_manifest m;
    pf_plan p;
    pf_error err = {0};
    load(&m, "");
    assert_int_equal(pf_plan_build(&m, lists, NULL, &p, &err), 0);
    /* 5 instruments x 36 keys + one with 12 keys, x 2 velocities x 3 copies */
    assert_int_equal(p.n_instruments, 6);
    assert_int_equal(p.n_notes, (5 * 36 + 12) * 2 * 3);
    size_t nonzero = 0;
    for (size_t i = 0; i < p.n_notes; i++) {
        assert_int_equal(p.notes[i].note_id, i);
        assert_true(p.notes[i].cents >= -30 && p.notes[i].cents <= 30);
        assert_true(p.notes[i].cents == roundf(p.notes[i].cents)); /* whole cents */
        if (i % 3 == 0)
            assert_true(p.notes[i].cents == 0.0f); /* the exact copy */
        else
            nonzero += p.notes[i].cents != 0.0f;
    }
    assert_true(nonzero > p.n_notes * 2 / 3 * 9 / 10);
    assert_string_equal(p.instruments[3].label, "t/000/024 P24");
    assert_true(fabs(pf_midi_to_hz(69, 0) - 440.0) < 1e-12);
    assert_true(fabs(pf_midi_to_hz(60, 50) - 440.0 * pow(2, -8.5 / 12)) < 1e-9);
    pf_plan_release(&p);
    pf_manifest_release(&m);
}

static void instruments_never_cross_splits(void **state)
{
    (void)state;
    pf_manifest m;
    pf_plan p;
    pf_error err = {0};
    load(&m, "");
    assert_int_equal(pf_plan_build(&m, lists, NULL, &p, &err), 0);
    int seen[PF_SPLIT_COUNT] = {0};
    for (size_t i = 0; i < p.n_notes; i++) {
        assert_int_equal(p.notes[i].split, p.instruments[p.notes[i].instrument].split);
        seen[p.notes[i].split] = 1;
    }
    assert_true(seen[PF_TRAIN] && seen[PF_VAL] && seen[PF_TEST]);
    pf_plan_release(&p);
    pf_manifest_release(&m);
}

static void shards_cover_all_and_mix_instruments(void **state)
{
    (void)state;
    pf_manifest m;
    pf_plan p;
    pf_error err = {0};
    load(&m, "");
    assert_int_equal(pf_plan_build(&m, lists, NULL, &p, &err), 0);
    int *hit = calloc(p.n_notes, sizeof *hit);
    for (size_t s = 0; s < p.n_shards; s++) {
        const pf_shard_job *j = &p.shards[s];
        assert_true(j->n <= 10 && j->n >= 1); /* 30 examples / 3 kinds */
        int mixed = 0;
        for (size_t k = j->first; k < j->first + j->n; k++) {
            const pf_note_job *nj = &p.notes[p.order[k]];
            assert_int_equal(nj->split, j->split);
            hit[p.order[k]]++;
            mixed |= nj->instrument != p.notes[p.order[j->first]].instrument;
        }
        size_t in_split = 0;
        for (size_t i = 0; i < p.n_instruments; i++)
            in_split += p.instruments[i].split == j->split;
        if (in_split > 1)
            assert_true(mixed);
    }
    for (size_t i = 0; i < p.n_notes; i++)
        assert_int_equal(hit[i], 1);
    char name[64];
    pf_shard_name(&p.shards[0], name, sizeof name);
    char want[64];
    snprintf(want, sizeof want, "train-00000-of-%05zu.h5", (p.notes_per_split[PF_TRAIN] + 9) / 10);
    assert_string_equal(name, want);
    free(hit);
    pf_plan_release(&p);
    pf_manifest_release(&m);
}

static void same_seed_same_plan_other_seed_other_plan(void **state)
{
    (void)state;
    pf_manifest m1, m2, m3;
    pf_plan a, b, c;
    pf_error err = {0};
    load(&m1, "seed: 11\n");
    load(&m2, "seed: 11\n");
    load(&m3, "seed: 12\n");
    assert_int_equal(pf_plan_build(&m1, lists, NULL, &a, &err), 0);
    assert_int_equal(pf_plan_build(&m2, lists, NULL, &b, &err), 0);
    assert_int_equal(pf_plan_build(&m3, lists, NULL, &c, &err), 0);
    size_t differ = 0;
    for (size_t i = 0; i < a.n_notes; i++) {
        assert_true(a.notes[i].cents == b.notes[i].cents);
        assert_int_equal(a.notes[i].split, b.notes[i].split);
        assert_int_equal(a.order[i], b.order[i]);
        differ += a.notes[i].cents != c.notes[i].cents;
    }
    assert_true(differ > a.n_notes / 2); /* the detuned copies move with the seed */
    pf_plan_release(&a), pf_plan_release(&b), pf_plan_release(&c);
    pf_manifest_release(&m1), pf_manifest_release(&m2), pf_manifest_release(&m3);
}

static void random_and_octave_splits(void **state)
{
    (void)state;
    pf_manifest m;
    pf_plan p;
    pf_error err = {0};
    load(&m, "");
    m.split.by = PF_SPLIT_OCTAVE;
    assert_int_equal(pf_plan_build(&m, lists, NULL, &p, &err), 0);
    int oct_split[12];
    memset(oct_split, -1, sizeof oct_split);
    for (size_t i = 0; i < p.n_notes; i++) {
        int o = p.notes[i].midi / 12;
        if (oct_split[o] < 0)
            oct_split[o] = p.notes[i].split;
        assert_int_equal(p.notes[i].split, oct_split[o]);
    }
    pf_plan_release(&p);
    m.split.by = PF_SPLIT_RANDOM;
    assert_int_equal(pf_plan_build(&m, lists, NULL, &p, &err), 0);
    size_t val = p.notes_per_split[PF_VAL];
    assert_true(val > p.n_notes / 10 && val < p.n_notes * 3 / 10);
    pf_plan_release(&p);
    m.split.by = PF_SPLIT_INSTRUMENT, m.split.val = 0, m.split.test = 1; /* a held-out set */
    assert_int_equal(pf_plan_build(&m, lists, NULL, &p, &err), 0);
    assert_int_equal(p.notes_per_split[PF_TEST], p.n_notes);
    pf_plan_release(&p);
    pf_manifest_release(&m);
}

static void missing_program_is_refused_with_position(void **state)
{
    (void)state;
    pf_manifest m;
    pf_plan p;
    pf_error err = {0};
    const char *t = "soundfonts: [{id: t, path: " SF "}]\ninstruments:\n  - {program: 0}\n"
                    "  - {program: 3}\n";
    assert_int_equal(pf_manifest_parse(&m, "p.yaml", t, strlen(t), &err), 0);
    assert_int_equal(pf_plan_build(&m, lists, NULL, &p, &err), -1);
    assert_int_equal(err.code, PF_ECONFIG);
    assert_non_null(strstr(err.msg, "p.yaml:4:5: soundfont 't' has no program 3 in bank 0"));
    pf_plan_release(&p);
    pf_manifest_release(&m);
}

static void exclusion_removes_instruments(void **state)
{
    (void)state;
    pf_manifest m;
    pf_plan p;
    pf_error err = {0};
    load(&m, "");
    uint8_t ex[6] = {1, 0, 0, 0, 0, 1};
    pf_audit audit = {.n = 6, .preset_off = ex};
    assert_int_equal(pf_plan_build(&m, lists, &audit, &p, &err), 0);
    assert_int_equal(p.n_instruments, 4);
    assert_int_equal(p.instruments[0].program, 8);
    pf_plan_release(&p);
    pf_manifest_release(&m);
}

/* Keys left out by the key audit: those notes only, by (instrument, key), even when the
 * instrument list is also thinned by the preset audit; pf_plan_keys gives the planned keys. */
static void key_exclusion_removes_notes(void **state)
{
    (void)state;
    pf_manifest m;
    pf_plan p;
    pf_error err = {0};
    load(&m, "");
    int keys[128];
    pf_instrument piano = {.range_lo = 0, .range_hi = 127},
                  narrow = {.range_lo = 60, .range_hi = 71};
    assert_int_equal(pf_plan_keys(&m, &piano, keys), 36);
    assert_int_equal(keys[0], 48);
    assert_int_equal(keys[35], 83);
    assert_int_equal(pf_plan_keys(&m, &narrow, keys), 12);
    uint8_t off[6] = {1, 0, 0, 0, 0, 0};
    pf_excluded_key ko[3] = {{.instrument = 1, .midi = 60},
                        {.instrument = 1, .midi = 83},
                        {.instrument = 3, .midi = 64}};
    pf_audit audit = {.n = 6, .preset_off = off, .keys = ko, .n_keys = 3};
    assert_int_equal(pf_plan_build(&m, lists, &audit, &p, &err), 0);
    assert_int_equal(p.n_instruments, 5);
    assert_int_equal(p.n_notes, (4 * 36 + 12 - 3) * 2 * 3);
    size_t seen[128] = {0};
    for (size_t i = 0; i < p.n_notes; i++) {
        const pf_note_job *nj = &p.notes[i];
        int prog = p.instruments[nj->instrument].program;
        assert_false(prog == 8 && (nj->midi == 60 || nj->midi == 83));
        assert_false(prog == 24 && nj->midi == 64);
        if (prog == 8) seen[nj->midi]++;
    }
    assert_int_equal(seen[61], 6);
    assert_int_equal(seen[82], 6);
    pf_plan_release(&p);
    pf_manifest_release(&m);
}

/* Names hold five-digit shard counts: a split needing more than PF_SHARDS_MAX shards is refused
 * (100,000 shards got names pf_shard_name_parse rejects), one just under is planned and its
 * last name parses. */
static void shard_count_limit(void **state)
{
    (void)state;
    fill_presets();
    static const int copies[2] = {49, 47}; /* x 2048 keys and velocities: 102,400 and 98,304 */
    for (int k = 0; k < 2; k++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "soundfonts: [{id: t, path: " SF "}]\ninstruments: [{program: 0}]\n"
                 "notes: {octaves: [-1, 9], velocities: [1, 9, 17, 25, 33, 41, 49, 57, 65, 73, "
                 "81, 89, 97, 105, 113, 121]}\n"
                 "detune: {cents: [-30, 30], copies: %d, include_exact: true}\n"
                 "shards: {examples: 3}\nsplit: {by: random, val: 0, test: 0}\n",
                 copies[k]);
        pf_manifest m;
        pf_plan p;
        pf_error err = {0};
        if (pf_manifest_parse(&m, "p.yaml", text, strlen(text), &err)) fail_msg("%s", err.msg);
        int rc = pf_plan_build(&m, lists, NULL, &p, &err);
        if (k == 0) {
            assert_int_equal(rc, -1);
            assert_int_equal(err.code, PF_ECONFIG);
            assert_non_null(strstr(err.msg, "102400 shards"));
            assert_non_null(strstr(err.msg, "shards.examples"));
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(p.n_shards, 98304);
            char name[64];
            pf_shard_job job;
            pf_shard_name(&p.shards[p.n_shards - 1], name, sizeof name);
            assert_string_equal(name, "train-98303-of-98304.h5");
            assert_int_equal(pf_shard_name_parse(name, &job), 0);
            assert_int_equal(job.index, 98303);
        }
        pf_plan_release(&p);
        pf_manifest_release(&m);
    }
}

int main(void)
{
    fill_presets();
    const struct CMUnitTest tests[] = {cmocka_unit_test(counts_ids_and_detunes),
                                       cmocka_unit_test(instruments_never_cross_splits),
                                       cmocka_unit_test(shards_cover_all_and_mix_instruments),
                                       cmocka_unit_test(same_seed_same_plan_other_seed_other_plan),
                                       cmocka_unit_test(random_and_octave_splits),
                                       cmocka_unit_test(missing_program_is_refused_with_position),
                                       cmocka_unit_test(exclusion_removes_instruments),
                                       cmocka_unit_test(key_exclusion_removes_notes),
                                       cmocka_unit_test(shard_count_limit)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
