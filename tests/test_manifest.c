/* Tests for src/config/manifest.c and src/core/yaml.c: defaults, and every kind of bad manifest
 * refused with FILE:LINE:COL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pitchforge/manifest.h"
#include "pitchforge/error.h"
#include "pitchforge/pitch.h"
#include "pitchforge/shard.h"
#include "pitchforge/spectrogram.h"
#include "core/yaml.h"

#define SF "/usr/share/sounds/sf2/TimGM6mb.sf2"
#define HEAD "soundfonts:\n  - {id: t, path: " SF "}\ninstruments:\n  - {soundfont: t, program: 0}\n"

static int parse(const char *text, pf_manifest *m, pf_error *err)
{
    return pf_manifest_parse(m, "m.yaml", text, strlen(text), err);
}

/* Parse @p text, expect failure whose message starts with @p where and contains @p what. */
static void expect_error(const char *text, const char *where, const char *what)
{
    pf_manifest m;
    pf_error err = {0};
    int rc = parse(text, &m, &err);
    pf_manifest_release(&m);
    if (rc != -1 || strncmp(err.msg, where, strlen(where)) || !strstr(err.msg, what))
        fail_msg("expected '%s ... %s', got rc=%d '%s'", where, what, rc, err.msg);
    assert_int_equal(err.code, PF_ECONFIG);
}

/* store.spectrogram: the three kinds read; none without audio refused at the key's position. */
static void store_spectrogram(void **state)
{
    (void)state;
    static const char *const kinds[] = {"float32", "float16", "none"};
    char text[512];
    for (int k = 0; k < 3; k++) {
        pf_manifest m;
        pf_error err = {0};
        snprintf(text, sizeof text, HEAD "store: {spectrogram: %s}\n", kinds[k]);
        assert_int_equal(parse(text, &m, &err), 0);
        assert_int_equal(m.store.spectrogram, k);
        assert_int_equal(m.store.audio, PF_AUDIO_INT16);
        pf_manifest_release(&m);
    }
    expect_error(HEAD "store: {audio: none, spectrogram: none}\n", "m.yaml:5:35:",
                 "store.spectrogram: none needs the audio");
    expect_error(HEAD "store:\n  spectrogram: none\n  audio: none\n", "m.yaml:6:16:",
                 "store.audio is none too (use int16 or float32)");
    expect_error(HEAD "store: {spectrogram: half}\n", "m.yaml:5:22:", "half");
}

static void defaults_are_the_seed_pipeline(void **state)
{
    (void)state;
    pf_manifest m;
    pf_error err = {0};
    assert_int_equal(parse(HEAD, &m, &err), 0);
    assert_int_equal(m.seed, 20200222);
    assert_int_equal(m.notes.octave_lo, 2);
    assert_int_equal(m.notes.octave_hi, 7);
    assert_int_equal(m.notes.n_pitch_classes, 12);
    assert_int_equal(m.spectrogram.length, 256);
    assert_int_equal(m.spectrogram.overlap, 200);
    assert_int_equal(m.spectrogram.nfft, 1024);
    assert_int_equal(m.spectrogram.mode, PF_SPEC_MAGNITUDE);
    assert_int_equal(pf_manifest_segment_len(&m), 5280);
    assert_int_equal(m.segments.n_kinds, 3);
    assert_int_equal(m.store.audio, PF_AUDIO_INT16);
    assert_int_equal(m.store.spectrogram, PF_SPEC_STORE_FLOAT32);
    assert_int_equal(m.split.by, PF_SPLIT_INSTRUMENT);
    assert_string_equal(m.output, "out/pitch-default");
    assert_string_equal(m.soundfonts[0].path, SF);
    assert_int_equal(strlen(m.sha256), 64);
    pf_manifest_release(&m);
}

static void values_are_read(void **state)
{
    (void)state;
    pf_manifest m;
    pf_error err = {0};
    const char *t = HEAD "name: x\nseed: 5\nnotes: {octaves: [3, 4], pitch_classes: [C, 'A#', 2], "
                         "velocities: [10, 127]}\n"
                         "instruments2: 1\n";
    assert_int_equal(parse(t, &m, &err), -1); /* unknown key still refused */
    pf_manifest_release(&m);
    t = HEAD "name: x\nseed: 5\nnotes: {octaves: [3, 4], pitch_classes: [C, 'A#', 2], "
             "velocities: [10, 127]}\nspectrogram: {mode: psd, scaling: spectrum}\n"
             "split: {by: random, val: 0.25, test: 0}\nstore: {audio: none, compression: gzip}\n";
    assert_int_equal(parse(t, &m, &err), 0);
    assert_int_equal(m.seed, 5);
    assert_int_equal(m.notes.octave_lo, 3);
    assert_int_equal(m.notes.n_pitch_classes, 3);
    assert_int_equal(m.notes.pitch_class[1], 10);
    assert_int_equal(m.notes.pitch_class[2], 2);
    assert_int_equal(m.notes.velocity[1], 127);
    assert_int_equal(m.spectrogram.mode, PF_SPEC_PSD);
    assert_int_equal(m.spectrogram.scaling, PF_SCALE_SPECTRUM);
    assert_int_equal(m.split.by, PF_SPLIT_RANDOM);
    assert_int_equal(m.store.audio, PF_AUDIO_NONE);
    assert_int_equal(m.store.gzip, 4);
    assert_string_equal(m.output, "out/x");
    pf_manifest_release(&m);
}

static void unknown_keys(void **state)
{
    (void)state;
    expect_error(HEAD "colour: red\n", "m.yaml:5:1:", "unknown key 'colour'");
    expect_error(HEAD "render: {sample_rate: 44100, reverbb: true}\n", "m.yaml:5:30:",
                 "unknown key 'reverbb'");
    expect_error(HEAD "seed: 1\nseed: 2\n", "m.yaml:6:1:", "appears twice");
}

static void wrong_types(void **state)
{
    (void)state;
    expect_error(HEAD "seed: many\n", "m.yaml:5:7:", "expected a number");
    expect_error(HEAD "render: {reverb: maybe}\n", "m.yaml:5:18:", "true or false");
    expect_error(HEAD "notes: {octaves: 3}\n", "m.yaml:5:18:", "range [low, high]");
    expect_error(HEAD "spectrogram: {length: '256'}\n", "m.yaml:5:23:", "whole number");
    expect_error(HEAD "render: [1, 2]\n", "m.yaml:5:9:", "expected a mapping");
}

static void out_of_range(void **state)
{
    (void)state;
    expect_error(HEAD "notes: {velocities: [0, 80]}\n", "m.yaml:5:22:", "out of range");
    expect_error(HEAD "detune: {cents: [-150, 50]}\n", "m.yaml:5:18:", "out of range");
    expect_error(HEAD "split: {val: 0.6, test: 0.5}\n", "m.yaml:5:8:", "more than all");
    expect_error(HEAD "spectrogram: {length: 256, overlap: 256}\n", "m.yaml:5:14:",
                 "overlap (256) must be below length");
    expect_error(HEAD "spectrogram: {mode: loud}\n", "m.yaml:5:21:", "not one of");
    expect_error(HEAD "render: {note_s: 0.5}\n", "m.yaml:5:9:", "two segments");
}

static void bad_instruments_and_soundfonts(void **state)
{
    (void)state;
    expect_error("soundfonts:\n  - {id: t, path: nowhere/none.sf2}\ninstruments: [{program: 0}]\n",
                 "m.yaml:2:19:", "soundfont 'nowhere/none.sf2' not found");
    expect_error(HEAD "  - {soundfont: q, program: 1}\n", "m.yaml:5:17:", "no soundfont with id 'q'");
    expect_error(HEAD "  - {soundfont: t, program: 128}\n", "m.yaml:5:29:", "out of range");
    expect_error(HEAD "  - {soundfont: t, program: 1, range: [H2, C4]}\n", "m.yaml:5:40:",
                 "not a note name");
    expect_error(HEAD "  - {soundfont: t, program: 1, range: [C5, C4]}\n", "m.yaml:5:39:",
                 "low note above");
}

static void yaml_syntax(void **state)
{
    (void)state;
    expect_error(HEAD "render: {gain: 0.5\n", "m.yaml:", "YAML syntax error");
    expect_error("", "m.yaml:1:1:", "empty");
    expect_error(HEAD "a: &x 1\nb: *x\n", "m.yaml:", "");
}

/* What generate refuses is refused at parse time with FILE:LINE:COL: FluidSynth's rates stop at
 * 96 kHz; an STFT of too many frames for the spectrogram engine, or too many values for a
 * shard (both passed --dry-run and failed in generate). */
static void generate_limits(void **state)
{
    (void)state;
    expect_error(HEAD "render: {sample_rate: 192000}\n", "m.yaml:5:23:", "out of range");
#define LONG_SEGMENTS                                                                            \
    "audio: {sample_rate: 96000}\nsegments: {length_ms: 10000}\n"                                  \
    "render: {note_s: 21, release_s: 11}\n"
    expect_error(HEAD LONG_SEGMENTS "spectrogram: {length: 16384, overlap: 16383, nfft: 65536}\n",
                 "m.yaml:8:14:", "too many frames");
    expect_error(HEAD LONG_SEGMENTS "spectrogram: {length: 256, overlap: 255, nfft: 1024}\n",
                 "m.yaml:8:14:", "more than a shard holds");
    pf_manifest m;
    pf_error err = {0};
    assert_int_equal(parse(HEAD LONG_SEGMENTS "spectrogram: {length: 256, overlap: 128}\n", &m,
                           &err), 0);
    pf_manifest_release(&m);
#undef LONG_SEGMENTS
}

/* @p depth '[' then @p depth ']' after @p prefix, malloc'd. */
static char *nested_lists(const char *prefix, size_t depth)
{
    size_t p = strlen(prefix);
    char *text = malloc(p + 2 * depth + 2);
    memcpy(text, prefix, p);
    memset(text + p, '[', depth);
    memset(text + p + depth, ']', depth);
    strcpy(text + p + 2 * depth, "\n");
    return text;
}

/* Nesting deeper than PF_YAML_MAX_DEPTH is refused at the first level too deep (60,000 '['
 * crashed the recursive parser); the deepest allowed document parses, wide ones in linear time. */
static void yaml_depth_limit(void **state)
{
    (void)state;
    char *deep = nested_lists("", 60000);
    expect_error(deep, "m.yaml:1:65:", "nesting is deeper than 64 levels");
    free(deep);
    char *inner = nested_lists("x: ", PF_YAML_MAX_DEPTH);
    expect_error(inner, "m.yaml:1:67:", "nesting is deeper than 64 levels");
    free(inner);
    pf_ydoc doc;
    pf_error err = {0};
    char *ok = nested_lists("", PF_YAML_MAX_DEPTH);
    assert_int_equal(pf_ydoc_parse(&doc, "d.yaml", ok, strlen(ok), &err), 0);
    const pf_ynode *n = doc.root;
    for (int i = 1; i < PF_YAML_MAX_DEPTH; i++, n = n->items[0])
        assert_int_equal(n->n, 1);
    assert_int_equal(n->n, 0);
    pf_ydoc_release(&doc);
    free(ok);
    size_t copies = 20000, one = 2 * PF_YAML_MAX_DEPTH + 1; /* "- " 63 [ 63 ] "\n" */
    char *wide = malloc(copies * one + 1);
    for (size_t i = 0; i < copies; i++) {
        char *line = nested_lists("- ", PF_YAML_MAX_DEPTH - 1);
        memcpy(wide + i * one, line, one);
        free(line);
    }
    wide[copies * one] = '\0';
    assert_int_equal(pf_ydoc_parse(&doc, "w.yaml", wide, copies * one, &err), 0);
    assert_int_equal(doc.root->n, copies);
    pf_ydoc_release(&doc);
    free(wide);
}

static void note_names(void **state)
{
    (void)state;
    assert_int_equal(pf_note_parse("A4"), 69);
    assert_int_equal(pf_note_parse("C4"), 60);
    assert_int_equal(pf_note_parse("C#3"), 49);
    assert_int_equal(pf_note_parse("Bb-1"), 10);
    assert_int_equal(pf_note_parse("G9"), 127);
    assert_int_equal(pf_note_parse("A9"), -1);
    assert_int_equal(pf_note_parse("X1"), -1);
    char buf[8];
    pf_note_name(61, buf, sizeof buf);
    assert_string_equal(buf, "C#4");
}

/* The rows of manifests/README.md's key table (after its header line), one string; NULL if absent. */
static char *readme_key_rows(void)
{
    FILE *f = fopen("manifests/README.md", "r"), *out;
    char *line = NULL, *rows = NULL;
    size_t cap = 0, len = 0;
    int in_table = 0;
    if (!f)
        return NULL;
    out = open_memstream(&rows, &len);
    while (getline(&line, &cap, f) > 0) {
        if (in_table == 0 && strcmp(line, "| key | default | values | meaning |\n") == 0)
            in_table = 1;
        else if (in_table == 1) /* the |---| line */
            in_table = 2;
        else if (in_table == 2 && line[0] != '|')
            break;
        else if (in_table == 2)
            fputs(line, out);
    }
    free(line);
    fclose(f);
    fclose(out);
    return rows;
}

/* The README documents every key of the schema, with its default and bounds, and no other: a key
 * added to the schema without its README row (or the other way round) fails here. */
static void readme_key_table_is_the_schema(void **state)
{
    (void)state;
    char *want = pf_manifest_keys_markdown(), *have = readme_key_rows();
    assert_non_null(have);
    const char *w = want, *h = have;
    int row = 1;
    while (*w && *h && strcspn(w, "\n") == strcspn(h, "\n") &&
           strncmp(w, h, strcspn(w, "\n")) == 0) {
        w += strcspn(w, "\n") + (w[strcspn(w, "\n")] != 0);
        h += strcspn(h, "\n") + (h[strcspn(h, "\n")] != 0);
        row++;
    }
    if (*w || *h)
        fail_msg("manifests/README.md key table, row %d:\n  README: %.*s\n  schema: %.*s\n"
                 "(print the schema's rows with 'pitchforge help manifest-keys')",
                 row, (int)strcspn(h, "\n"), h, (int)strcspn(w, "\n"), w);
    free(want);
    free(have);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_the_seed_pipeline), cmocka_unit_test(values_are_read),
        cmocka_unit_test(unknown_keys), cmocka_unit_test(wrong_types),
        cmocka_unit_test(out_of_range), cmocka_unit_test(bad_instruments_and_soundfonts),
        cmocka_unit_test(yaml_syntax), cmocka_unit_test(yaml_depth_limit),
        cmocka_unit_test(generate_limits),
        cmocka_unit_test(note_names),
        cmocka_unit_test(readme_key_table_is_the_schema), cmocka_unit_test(store_spectrogram)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
