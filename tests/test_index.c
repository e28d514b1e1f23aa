/* Tests for src/store/index.c: dataset.h5 over shards, checked with h5py; failure paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <unistd.h>

#include "io/h5.h"
#include "shard_fixture.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/inspect.h"
#include "pitchforge/shard.h"

/** Write shard @p name of @p n examples (ids from @p first) with meta @p m into @p dir. */
static void shard(const char *dir, const char *name, pf_shard_meta m, size_t n, uint64_t first)
{
    pf_error err = {0};
    if (fx_write_shard(fx_path(dir, name), &m, n, first, &err)) fail_msg("%s", err.msg);
}

/** Run check_index.py on @p dir. */
static int check_index(const char *dir)
{
    char args[600];
    snprintf(args, sizeof args, "'%s'", dir);
    return fx_python("check_index.py", args);
}

/** Write an empty file @p name in @p dir. */
static void touch(const char *dir, const char *name)
{
    FILE *f = fopen(fx_path(dir, name), "w");
    fclose(f);
}

/** The train split of index_case's dataset @p ds through the virtual datasets: f0_frames (2-D)
 *  equal to the shards' rows concatenated (ids 0..4, then 5..7), and /audio as the float signal:
 *  int16 / 32768 exactly, float32 as stored. */
static void check_split_rows(const char *ds, size_t frames, pf_store_audio audio)
{
    pf_error err = {0};
    float *got = calloc(8 * frames, sizeof *got), want[64];
    assert_int_equal(pf_dataset_read_f0_frames(ds, "train", 0, 8, got, frames, &err), 0);
    for (uint64_t id = 0; id < 8; id++) {
        for (size_t k = 0; k < frames; k++)
            if (got[id * frames + k] != fx_f0_frame(id, k))
                fail_msg("f0_frames[%d][%zu] %g != %g", (int)id, k, got[id * frames + k],
                         fx_f0_frame(id, k));
    }
    assert_int_equal(pf_dataset_read_f0_frames(ds, "train", 6, 2, got, frames, &err), 0);
    assert_true(got[frames + 1] == fx_f0_frame(7, 1));
    assert_int_equal(pf_dataset_read_f0_frames(ds, "train", 7, 2, got, frames, &err), -1);
    /* rows other than the caller's are refused before anything is written */
    assert_int_equal(pf_dataset_read_f0_frames(ds, "train", 0, 1, got, frames - 1, &err), -1);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, "labels/f0_frames"));
    free(got);
    if (!audio) return;
    pf_shard_meta m = fx_meta(5, 4, 1, audio, 0, "train", 0, 1);
    float spec[20], a[11];
    int16_t q[11];
    assert_int_equal(pf_dataset_read_audio(ds, "train", 6, 1, a, m.audio_len, &err), 0);
    assert_int_equal(pf_dataset_read_audio(ds, "train", 6, 1, a, m.audio_len - 1, &err), -1);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, ds));
    assert_non_null(strstr(err.msg, "/audio"));
    assert_int_equal(pf_dataset_read_audio(ds, "train", 6, 1, a, m.audio_len, &err), 0);
    fx_example(6, spec, 20, &m, audio == PF_AUDIO_INT16 ? (void *)q : (void *)want);
    for (size_t k = 0; k < m.audio_len; k++)
        assert_true(a[k] == (audio == PF_AUDIO_INT16 ? (float)q[k] / 32768.0f : want[k]));
}

/** 2 train + 1 val shards of shape (@p bins, @p frames, @p planes): build, check, move, check. */
static void index_case(size_t bins, size_t frames, size_t planes, pf_store_audio audio)
{
    char *dir = fx_tmpdir("index");
    shard(dir, "train-00000-of-00002.h5", fx_meta(bins, frames, planes, audio, 0, "train", 0, 2), 5,
          0);
    shard(dir, "train-00001-of-00002.h5", fx_meta(bins, frames, planes, audio, 3, "train", 1, 2), 3,
          5);
    shard(dir, "val-00000-of-00001.h5", fx_meta(bins, frames, planes, audio, 0, "val", 0, 1), 4,
          100);
    touch(dir, "train-00002-of-00002.h5.tmp"); /* a leftover temp file is ignored */
    touch(dir, "README.md");
    pf_index_report rep;
    pf_error err = {0};
    if (pf_index_build(dir, &rep, &err)) fail_msg("%s", err.msg);
    assert_int_equal(rep.shards, 3);
    assert_int_equal(rep.examples[0], 8);
    assert_int_equal(rep.examples[1], 4);
    assert_int_equal(rep.examples[2], 0);
    assert_int_equal(rep.rejected[PF_REJECT_SILENT], 9);
    assert_int_equal(rep.rejected[PF_REJECT_PITCH], 1 + 6 + 101);
    assert_false(fx_exists(fx_path(dir, "dataset.h5.tmp")));
    assert_int_equal(check_index(dir), 0);

    /* a rebuild over the same shards gives the same bytes */
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", fx_path(dir, "dataset.h5"), fx_path(dir, "first.h5"));
    assert_int_equal(system(cmd), 0);
    if (pf_index_build(dir, &rep, &err)) fail_msg("%s", err.msg);
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", fx_path(dir, "dataset.h5"),
             fx_path(dir, "first.h5"));
    assert_int_equal(system(cmd), 0);
    unlink(fx_path(dir, "first.h5"));

    /* the folder moves as a whole: the virtual datasets name their shards relatively */
    char moved[600];
    snprintf(moved, sizeof moved, "%s-moved", dir);
    assert_int_equal(rename(dir, moved), 0);
    assert_int_equal(check_index(moved), 0);

    pf_shard_info info;
    assert_int_equal(pf_dataset_split_info_read(fx_path(moved, "dataset.h5"), "train", &info, &err),
                     0);
    assert_int_equal(info.n, 8);
    assert_int_equal(info.bins, bins);
    assert_int_equal(info.rejected[PF_REJECT_SILENT], 6);
    pf_label *rows;
    size_t n;
    assert_int_equal(pf_dataset_read_labels(fx_path(moved, "dataset.h5"), "val", &rows, &n, &err),
                     0);
    assert_int_equal(n, 4);
    assert_int_equal(rows[3].example_id, 103);
    assert_string_equal(rows[1].instrument, fx_label(101).instrument);
    assert_null(rows[1].f0_frames);
    pf_labels_free(rows, n);
    check_split_rows(fx_path(moved, "dataset.h5"), frames, audio);
    assert_int_equal(pf_dataset_split_info_read(fx_path(moved, "dataset.h5"), "test", &info, &err),
                     -1);
    assert_int_equal(pf_shard_info_read(fx_path(moved, "dataset.h5"), &info, &err), -1);
    assert_int_equal(err.code, PF_ESCHEMA);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(pf_inspect(fx_path(moved, "dataset.h5"), out, &err), 0);
    fclose(out);
    fprintf(stderr, "%s", text);
    assert_non_null(strstr(text, "split train: 8 examples"));
    assert_non_null(strstr(text, "split val: 4 examples"));
    free(text);
    free(dir);
}

static void test_index_small(void **state)
{
    (void)state;
    index_case(5, 4, 1, PF_AUDIO_INT16);
}

static void test_index_complex(void **state)
{
    (void)state;
    index_case(5, 4, 2, PF_AUDIO_NONE);
}

static void test_index_real_size(void **state)
{
    (void)state;
    index_case(513, 90, 1, PF_AUDIO_FLOAT32);
}

/** pf_index_build on @p dir must fail with @p code and a message holding @p needle. */
static void expect_failure(const char *dir, int code, const char *needle)
{
    pf_error err = {0};
    assert_int_equal(pf_index_build(dir, NULL, &err), -1);
    fprintf(stderr, "    expected failure: %s\n", err.msg);
    assert_int_equal(err.code, code);
    assert_non_null(strstr(err.msg, needle));
    assert_false(fx_exists(fx_path(dir, "dataset.h5")));
    assert_false(fx_exists(fx_path(dir, "dataset.h5.tmp")));
}

static void test_index_missing_shard(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("missing");
    shard(dir, "train-00000-of-00003.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 3), 2, 0);
    shard(dir, "train-00002-of-00003.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 2, 3), 2, 2);
    shard(dir, "val-00000-of-00001.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "val", 0, 1), 2, 9);
    expect_failure(dir, PF_EIO, "train-00001-of-00003.h5");
    free(dir);
}

static void test_index_counts_disagree(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("disagree");
    shard(dir, "test-00000-of-00002.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "test", 0, 2), 2, 0);
    shard(dir, "test-00001-of-00003.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "test", 1, 3), 2, 2);
    expect_failure(dir, PF_EIO, "test-00001-of-00003.h5");
    free(dir);
}

static void test_index_other_schema(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("schema");
    shard(dir, "train-00000-of-00001.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 1), 2, 0);
    pf_error err = {0};
    pf_h5id f = pf_h5_open(fx_path(dir, "train-00000-of-00001.h5"), 1, &err);
    assert_true(f >= 0);
    assert_int_equal(pf_h5_attr_str(f, "schema", "pitchforge-shard/9", &err), 0);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
    expect_failure(dir, PF_ESCHEMA, "pitchforge-shard/9");
    free(dir);
}

/** A dataset.h5 of the previous schema (pitchforge-dataset/1) is refused by the readers, naming
 *  the file, both schemas and what to do. */
static void test_dataset_schema_1_refused(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("dschema1");
    shard(dir, "train-00000-of-00001.h5", fx_meta(5, 4, 1, PF_AUDIO_INT16, 0, "train", 0, 1), 2, 0);
    pf_error err = {0};
    if (pf_index_build(dir, NULL, &err)) fail_msg("%s", err.msg);
    const char *ds = fx_path(dir, "dataset.h5");
    pf_h5id f = pf_h5_open(ds, 1, &err);
    assert_true(f >= 0);
    assert_int_equal(pf_h5_attr_str(f, "schema", "pitchforge-dataset/1", &err), 0);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
    pf_shard_info info;
    assert_int_equal(pf_dataset_split_info_read(ds, "train", &info, &err), -1);
    fprintf(stderr, "    refused: %s\n", err.msg);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, ds));
    assert_non_null(strstr(err.msg, "'pitchforge-dataset/1'"));
    assert_non_null(strstr(err.msg, "'" PF_DATASET_SCHEMA "'"));
    assert_non_null(strstr(err.msg, "regenerate"));
    float x[8];
    assert_int_equal(pf_dataset_read_f0_frames(ds, "train", 0, 1, x, 8, &err), -1);
    assert_non_null(strstr(err.msg, "pitchforge-dataset/1"));
    assert_int_equal(pf_dataset_read_audio(ds, "train", 0, 1, x, 8, &err), -1);
    assert_non_null(strstr(err.msg, "pitchforge-dataset/1"));
    free(dir);
}

/** A dataset.h5 whose train split's /audio has shape @p dims[@p rank] (rows of 22 values), and
 *  an empty /checksums (no shard to check: the readers go on to the shapes). */
static void write_crafted_audio(const char *path, int rank, const uint64_t *dims)
{
    pf_error err = {0};
    float v[44] = {0};
    pf_h5id f = pf_h5_create(path, &err), t = pf_h5_type(PF_H5_F32);
    assert_true(f >= 0);
    assert_int_equal(pf_h5_attr_str(f, "schema", PF_DATASET_SCHEMA, &err), 0);
    pf_h5id ct = pf_h5_type_compound(sizeof(char *)), vs = pf_h5_type_str(0);
    assert_int_equal(pf_h5_type_insert(ct, "shard", 0, vs, &err), 0);
    static const uint64_t none[1] = {0};
    pf_h5id cs = pf_h5_dset_create(f, "checksums", ct, 1, none, NULL, &err);
    assert_true(cs >= 0);
    pf_h5_close(cs), pf_h5_close(ct), pf_h5_close(vs);
    pf_h5id g = pf_h5_group_create(f, "train", &err);
    pf_h5id ds = pf_h5_dset_create(g, "audio", t, rank, dims, NULL, &err);
    assert_true(ds >= 0);
    assert_int_equal(pf_h5_dset_write(ds, t, v, &err), 0);
    pf_h5_close(ds);
    pf_h5_close(g);
    pf_h5_close(t);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
}

/* A crafted dataset.h5 whose /audio is 3-D or 1-D is refused, naming the file and the dataset,
 * before a row is written (a 3-D row of 22 values overran the caller's 11). */
static void test_index_audio_rank(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("audio-rank");
    const char *path = fx_path(dir, "dataset.h5");
    static const uint64_t d3[3] = {2, 11, 2}, d1[1] = {44};
    const uint64_t *dims[2] = {d3, d1};
    const int ranks[2] = {3, 1};
    for (int k = 0; k < 2; k++) {
        pf_error err = {0};
        float *a = malloc(11 * sizeof *a);
        write_crafted_audio(path, ranks[k], dims[k]);
        assert_int_equal(pf_dataset_read_audio(path, "train", 0, 1, a, 11, &err), -1);
        fprintf(stderr, "    refused: %s\n", err.msg);
        assert_int_equal(err.code, PF_ESCHEMA);
        assert_non_null(strstr(err.msg, path));
        assert_non_null(strstr(err.msg, "/audio has rank"));
        free(a);
    }
    free(dir);
}

static void test_index_shape_mismatch(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("shape");
    shard(dir, "train-00000-of-00001.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 1), 2, 0);
    shard(dir, "val-00000-of-00001.h5", fx_meta(6, 4, 1, PF_AUDIO_NONE, 0, "val", 0, 1), 2, 0);
    expect_failure(dir, PF_ESCHEMA, "val-00000-of-00001.h5");
    free(dir);
}

static void test_index_empty_and_missing_folder(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("empty");
    touch(dir, "notes.txt");
    expect_failure(dir, PF_EIO, "no shards");
    pf_error err = {0};
    assert_int_equal(pf_index_build(fx_path(dir, "nope"), NULL, &err), -1);
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, "nope"));
    free(dir);
}

/** Only val shards: no /train, no /stats; the rest as usual. */
static void test_index_without_train(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("notrain");
    shard(dir, "val-00000-of-00001.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "val", 0, 1), 3, 0);
    pf_error err = {0};
    if (pf_index_build(dir, NULL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(check_index(dir), 0);
    free(dir);
}

/** A shard lost or truncated after indexing: every read through dataset.h5 of its split, and
 *  inspect, fail naming it and `pitchforge verify` (not HDF5's fill values); other splits read. */
static void test_index_lost_source(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("lost");
    shard(dir, "train-00000-of-00002.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 2), 2, 0);
    shard(dir, "train-00001-of-00002.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 1, 2), 2, 2);
    shard(dir, "val-00000-of-00001.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "val", 0, 1), 2, 9);
    pf_error err = {0};
    if (pf_index_build(dir, NULL, &err)) fail_msg("%s", err.msg);
    char ds[2100];
    snprintf(ds, sizeof ds, "%s", fx_path(dir, "dataset.h5"));
    assert_int_equal(truncate(fx_path(dir, "train-00001-of-00002.h5"), 2048), 0);
    float spec[4 * 20], f0[4 * 4];
    pf_label *rows = NULL;
    size_t n = 0;
    pf_shard_info info;
    assert_int_equal(pf_dataset_read_spectrograms(ds, "train", 0, 4, spec, 20, &err), -1);
    fprintf(stderr, "    expected failure: %s\n", err.msg);
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, "train-00001-of-00002.h5"));
    assert_non_null(strstr(err.msg, "pitchforge verify"));
    assert_int_equal(pf_dataset_read_f0_frames(ds, "train", 0, 4, f0, 4, &err), -1);
    assert_int_equal(pf_dataset_read_labels(ds, "train", &rows, &n, &err), -1);
    assert_int_equal(pf_dataset_split_info_read(ds, "train", &info, &err), -1);
    FILE *out = fopen("/dev/null", "w");
    assert_int_equal(pf_inspect(ds, out, &err), -1);
    assert_non_null(strstr(err.msg, "train-00001-of-00002.h5"));
    if (pf_dataset_read_labels(ds, "val", &rows, &n, &err)) fail_msg("%s", err.msg);
    pf_labels_free(rows, n);
    assert_int_equal(unlink(fx_path(dir, "val-00000-of-00001.h5")), 0);
    assert_int_equal(pf_dataset_read_labels(ds, "val", &rows, &n, &err), -1);
    fprintf(stderr, "    expected failure: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "val-00000-of-00001.h5, which is missing"));
    fclose(out);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index_small),
        cmocka_unit_test(test_index_complex),
        cmocka_unit_test(test_index_real_size),
        cmocka_unit_test(test_index_missing_shard),
        cmocka_unit_test(test_index_counts_disagree),
        cmocka_unit_test(test_index_other_schema),
        cmocka_unit_test(test_dataset_schema_1_refused),
        cmocka_unit_test(test_index_shape_mismatch),
        cmocka_unit_test(test_index_audio_rank),
        cmocka_unit_test(test_index_empty_and_missing_folder),
        cmocka_unit_test(test_index_without_train),
        cmocka_unit_test(test_index_lost_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
