/* Tests for src/store/card.c: the dataset card from the shards alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "pitchforge/card.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/shard.h"
#include "shard_fixture.h"

/** Write @p n examples to @p path: ids from 0, every one a negative of @p source with midi
 *  @p midi (out of the octave tally's range), else as fx_label makes them. */
static void negative_shard(const char *path, size_t n, int source, int midi)
{
    pf_error err = {0};
    pf_shard_meta m = fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 1);
    float spec[20], audio[64];
    pf_shard_writer *w = pf_shard_create(path, &m, &err);
    if (!w) fail_msg("%s", err.msg);
    for (size_t i = 0; i < n; i++) {
        pf_label l = fx_label(i);
        l.midi = (int16_t)midi, l.f0_hz = 0, l.source = (uint8_t)source;
        fx_example(i, spec, 20, &m, audio);
        if (pf_shard_append(w, &l, spec, NULL, &err)) fail_msg("%s", err.msg);
    }
    if (pf_shard_commit(w, NULL, &err)) fail_msg("%s", err.msg);
}

/** The text of @p path (malloc'd). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *s = calloc(1, 1 << 20);
    size_t got = fread(s, 1, (1 << 20) - 1, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/** Negatives (midi -1) are counted per source and left out of the octave table; a label past
 *  midi 127 is left out too (no write past the tally, which ASan would report). */
static void test_card_negative_midi(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("card");
    negative_shard(fx_path(dir, "train-00000-of-00001.h5"), 5, PF_SOURCE_WHITE, -1);
    pf_error err = {0};
    pf_card_counts cc;
    if (pf_card_write(dir, "test", 0, &cc, &err)) fail_msg("%s", err.msg);
    assert_int_equal(cc.examples[0], 5);
    assert_int_equal(cc.per_source[PF_SOURCE_WHITE], 5);
    assert_int_equal(cc.per_source[PF_SOURCE_NOTE], 0);
    char *card = slurp(fx_path(dir, "README.md"));
    assert_non_null(strstr(card, "| negative: white | 5 |"));
    char *octaves = strstr(card, "| octave | examples |\n|---|---:|\n");
    assert_non_null(octaves);
    octaves += strlen("| octave | examples |\n|---|---:|\n");
    assert_int_equal(octaves[0], '\n'); /* no octave row */
    free(card);

    negative_shard(fx_path(dir, "train-00000-of-00001.h5"), 3, PF_SOURCE_NOTE, 200);
    if (pf_card_write(dir, "test", 0, &cc, &err)) fail_msg("%s", err.msg);
    assert_int_equal(cc.per_source[PF_SOURCE_NOTE], 3);
    card = slurp(fx_path(dir, "README.md"));
    octaves = strstr(card, "| octave | examples |\n|---|---:|\n");
    assert_int_equal(octaves[strlen("| octave | examples |\n|---|---:|\n")], '\n');
    free(card);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_card_negative_midi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
