/* Tests for src/store/verify.c: pf_shard_check and pf_verify on small fake datasets, damaged in
 * known ways (flipped data and superblock bytes, truncation, deletion, other manifests). */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "io/h5.h"
#include "shard_fixture.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/shard.h"
#include "pitchforge/verify.h"

#define T0 "train-00000-of-00002.h5"
#define T1 "train-00001-of-00002.h5"
#define V0 "val-00000-of-00001.h5"
#define S0 "test-00000-of-00001.h5"
#define MANIFEST_SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/** Write shard @p name of @p n examples (ids from @p first) with meta @p m into @p dir. */
static void shard(const char *dir, const char *name, pf_shard_meta m, size_t n, uint64_t first)
{
    pf_error err = {0};
    if (fx_write_shard(fx_path(dir, name), &m, n, first, &err)) fail_msg("%s", err.msg);
}

/** A dataset of 4 shards (5 + 3 train, 4 val, 2 test examples) and its index, in a new folder
 *  the caller frees. */
static char *dataset(const char *tag, size_t planes, int gzip)
{
    char *dir = fx_tmpdir(tag);
    shard(dir, T0, fx_meta(5, 4, planes, PF_AUDIO_INT16, gzip, "train", 0, 2), 5, 0);
    shard(dir, T1, fx_meta(5, 4, planes, PF_AUDIO_INT16, gzip, "train", 1, 2), 3, 5);
    shard(dir, V0, fx_meta(5, 4, planes, PF_AUDIO_INT16, gzip, "val", 0, 1), 4, 100);
    shard(dir, S0, fx_meta(5, 4, planes, PF_AUDIO_INT16, gzip, "test", 0, 1), 2, 200);
    pf_error err = {0};
    if (pf_index_build(dir, NULL, &err)) fail_msg("%s", err.msg);
    return dir;
}

/** Run pf_verify on @p dir: its return, report, log text (caller frees) and error. */
static int verify(const char *dir, pf_verify_report *rep, char **log, pf_error *err)
{
    size_t len = 0;
    FILE *f = open_memstream(log, &len);
    int rc = pf_verify(dir, rep, f, err);
    fclose(f);
    fprintf(stderr, "    log: %s    err: %s\n", **log ? *log : "(empty)\n", rc ? err->msg : "-");
    return rc;
}

/** Number of lines of @p text that start with @p prefix. */
static int count_lines(const char *text, const char *prefix)
{
    int n = 0;
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        n += !strncmp(p, prefix, strlen(prefix));
    return n;
}

/** Read the whole file @p path (caller frees), its size in *@p len. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    unsigned char *buf = malloc(*len ? *len : 1);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    return buf;
}

/** XOR the byte at @p offset of @p path with @p mask. */
static void flip(const char *path, long offset, int mask)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    int c = fgetc(f);
    assert_true(c != EOF);
    fseek(f, offset, SEEK_SET);
    fputc(c ^ mask, f);
    fclose(f);
}

/** Offset in shard @p path of example @p id's spectrogram values at flat index 8.. (found by
 *  their bytes, so the flip lands inside /spectrogram's data whatever the layout). */
static long spec_offset(const char *path, uint64_t id)
{
    float want[6];
    for (size_t k = 0; k < 6; k++)
        want[k] = fx_spec(id, 8 + k);
    size_t len;
    unsigned char *buf = slurp(path, &len);
    unsigned char *at = memmem(buf, len, want, sizeof want);
    assert_non_null(at);
    long off = (long)(at - buf) + 9; /* a middle byte of the third value */
    free(buf);
    return off;
}

static void test_all_good(void **state)
{
    (void)state;
    for (size_t planes = 1; planes <= 2; planes++) {
        char *dir = dataset("verify-good", planes, 0), *log;
        pf_verify_report rep;
        pf_error err = {0};
        assert_int_equal(verify(dir, &rep, &log, &err), 0);
        assert_string_equal(log, "");
        assert_int_equal(rep.shards, 4);
        assert_int_equal(rep.ok, 4);
        assert_int_equal(rep.damaged + rep.missing + rep.unlisted + rep.mismatch, 0);
        assert_int_equal(rep.examples, 14);
        assert_int_equal(pf_shard_check(fx_path(dir, T0), MANIFEST_SHA, &err), 0);
        assert_int_equal(pf_shard_check(fx_path(dir, S0), NULL, &err), 0);
        assert_int_equal(pf_verify(dir, NULL, NULL, &err), 0); /* report and log optional */
        free(log);
        free(dir);
    }
}

/* verify and index read each shard whole once, then drop its pages from the page cache (their
 * freed pages serve the next shard); a shard read before either is in the cache (the control).
 * Skipped on tmpfs. */
static void test_pages_dropped(void **state)
{
    (void)state;
    char *dir = dataset("verify-cache", 1, 0), *log;
    if (fx_on_tmpfs(dir)) {
        print_message("skipped: %s is on tmpfs\n", dir);
        free(dir);
        return;
    }
    pf_verify_report rep;
    pf_error err = {0};
    fx_read_all(fx_path(dir, T0));
    assert_true(fx_resident_share(fx_path(dir, T0)) > 0.5);
    assert_int_equal(verify(dir, &rep, &log, &err), 0);
    assert_true(fx_resident_share(fx_path(dir, T0)) < 0.1);
    /* index re-reads a shard's header after hashing it: a real-size shard (12 MB) is needed */
    char *big = fx_tmpdir("index-cache"), path[1100];
    snprintf(path, sizeof path, "%s/train-00000-of-00001.h5", big);
    shard(big, "train-00000-of-00001.h5", fx_meta(513, 90, 1, PF_AUDIO_NONE, 4, "train", 0, 1), 64,
          0);
    fx_read_all(path);
    assert_true(fx_resident_share(path) > 0.5);
    assert_int_equal(pf_index_build(big, NULL, &err), 0);
    assert_true(fx_resident_share(path) < 0.1);
    free(log);
    free(big);
    free(dir);
}

/** A byte of /spectrogram's data flipped: only that shard is damaged (sha256 and sums). */
static void test_flipped_data(void **state)
{
    (void)state;
    char *dir = dataset("verify-flip", 1, 0), *log;
    flip(fx_path(dir, T1), spec_offset(fx_path(dir, T1), 6), 0x10);
    pf_verify_report rep;
    pf_error err = {0};
    assert_int_equal(verify(dir, &rep, &log, &err), -1);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_int_equal(rep.shards, 4);
    assert_int_equal(rep.ok, 3);
    assert_int_equal(rep.damaged, 1);
    assert_int_equal(rep.missing, 0);
    assert_int_equal(rep.examples, 11);
    assert_int_equal(count_lines(log, "damaged: " T1 ": sha256 mismatch"), 1);
    assert_int_equal(count_lines(log, "damaged:") + count_lines(log, "missing:"), 1);
    assert_non_null(strstr(err.msg, "1 of 4 shards damaged or missing: " T1));
    free(log);

    /* without a checksum, pf_shard_check still sees it: /stats/sum no longer matches */
    assert_int_equal(pf_shard_check(fx_path(dir, T1), MANIFEST_SHA, &err), -1);
    fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, T1));
    assert_non_null(strstr(err.msg, "/stats/sum"));
    free(dir);
}

/** A byte of the HDF5 superblock flipped: the shard no longer opens. */
static void test_flipped_superblock(void **state)
{
    (void)state;
    char *dir = dataset("verify-super", 1, 0), *log;
    flip(fx_path(dir, V0), 13, 0x40); /* size of offsets */
    pf_verify_report rep;
    pf_error err = {0};
    assert_int_equal(verify(dir, &rep, &log, &err), -1);
    assert_int_equal(rep.ok, 3);
    assert_int_equal(rep.damaged, 1);
    assert_int_equal(count_lines(log, "damaged: " V0 ": sha256 mismatch"), 1);
    assert_non_null(strstr(err.msg, V0));
    free(log);
    assert_int_equal(pf_shard_check(fx_path(dir, V0), NULL, &err), -1);
    fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, V0));
    free(dir);
}

static void test_missing(void **state)
{
    (void)state;
    char *dir = dataset("verify-missing", 1, 0), *log;
    assert_int_equal(unlink(fx_path(dir, S0)), 0);
    assert_int_equal(unlink(fx_path(dir, T0)), 0);
    pf_verify_report rep;
    pf_error err = {0};
    assert_int_equal(verify(dir, &rep, &log, &err), -1);
    assert_int_equal(rep.ok, 2);
    assert_int_equal(rep.missing, 2);
    assert_int_equal(rep.damaged, 0);
    assert_int_equal(count_lines(log, "missing: " S0), 1);
    assert_int_equal(count_lines(log, "missing: " T0), 1);
    assert_non_null(strstr(err.msg, "2 of 4 shards damaged or missing: " T0 ", " S0));
    free(log);
    free(dir);
}

static void test_truncated(void **state)
{
    (void)state;
    char *dir = dataset("verify-trunc", 1, 0), *log;
    struct stat st;
    assert_int_equal(stat(fx_path(dir, T0), &st), 0);
    assert_int_equal(truncate(fx_path(dir, T0), st.st_size / 2), 0);
    pf_error err = {0};
    assert_int_equal(pf_shard_check(fx_path(dir, T0), MANIFEST_SHA, &err), -1);
    fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, T0));
    assert_non_null(strstr(err.msg, "truncated"));
    pf_verify_report rep;
    assert_int_equal(verify(dir, &rep, &log, &err), -1);
    assert_int_equal(rep.damaged, 1);
    assert_int_equal(count_lines(log, "damaged: " T0), 1);
    free(log);
    free(dir);
}

/** A gzip shard with a byte flipped mid-file: the compressed chunk or the sums give it away. */
static void test_corrupt_gzip_chunk(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("verify-gzip");
    const char *path = fx_path(dir, T0);
    shard(dir, T0, fx_meta(513, 90, 1, PF_AUDIO_NONE, 6, "train", 0, 2), 6, 0);
    pf_error err = {0};
    assert_int_equal(pf_shard_check(path, NULL, &err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    flip(path, st.st_size / 2, 0x5a);
    assert_int_equal(pf_shard_check(path, NULL, &err), -1);
    fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
    assert_non_null(strstr(err.msg, T0));
    free(dir);
}

static void test_other_manifest(void **state)
{
    (void)state;
    char *dir = dataset("verify-manifest", 1, 0);
    pf_error err = {0};
    const char *other = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
    assert_int_equal(pf_shard_check(fx_path(dir, V0), other, &err), -1);
    fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, V0));
    assert_non_null(strstr(err.msg, "another manifest"));
    free(dir);
}

/** n_examples that disagrees with the datasets, an extra label of another length, another
 *  schema, no n_examples (an unfinished shard): each refused, saying which. */
/* Rows whose values span 2^60: their sums in double are not exact, so verify must add them in
 * the writer's order to match /stats/sum bit for bit. */
static void test_wide_range_sums(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("verify-range");
    pf_shard_meta m = fx_meta(3, 90, 1, PF_AUDIO_NONE, 0, "train", 0, 2); /* T0's name */
    pf_error err = {0};
    pf_shard_writer *w = pf_shard_create(fx_path(dir, T0), &m, &err);
    assert_non_null(w);
    float spec[3 * 90];
    for (uint64_t id = 0; id < 4; id++) {
        for (size_t k = 0; k < 3 * 90; k++)
            spec[k] = (float)((k % 3 == 0 ? 1e-9 : k % 3 == 1 ? 1e9 : 0.1) * (1 + 0.013 * k + id));
        pf_label l = fx_label(id);
        assert_int_equal(pf_shard_append(w, &l, spec, NULL, &err), 0);
    }
    assert_int_equal(pf_shard_commit(w, NULL, &err), 0);
    if (pf_shard_check(fx_path(dir, T0), NULL, &err)) fail_msg("%s", err.msg);
    free(dir);
}

static void test_shard_check_structure(void **state)
{
    (void)state;
    char *dir = dataset("verify-struct", 1, 0);
    pf_error err = {0};
    const char *path = fx_path(dir, T0);
    pf_h5id f = pf_h5_open(path, 1, &err);
    assert_true(f >= 0);
    assert_int_equal(pf_h5_attr_u64(f, "n_examples", 6, &err), 0);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
    assert_int_equal(pf_shard_check(path, NULL, &err), -1);
    fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "/spectrogram has 5 rows but n_examples is 6"));

    f = pf_h5_open(path, 1, &err);
    assert_int_equal(pf_h5_attr_u64(f, "n_examples", 5, &err), 0);
    pf_h5id t = pf_h5_type(PF_H5_F32);
    float extra[3] = {1, 2, 3};
    assert_int_equal(pf_h5_write_1d(f, "labels/extra", t, 3, extra, &err), 0);
    pf_h5_close(t);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
    assert_int_equal(pf_shard_check(path, NULL, &err), -1);
    fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "/labels/extra has 3 rows but n_examples is 5"));

    assert_int_equal(pf_shard_check(fx_path(dir, "dataset.h5"), NULL, &err), -1);
    fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, PF_DATASET_SCHEMA));

    f = pf_h5_open(fx_path(dir, S0), 1, &err);
    assert_int_equal(pf_h5_attr_str(f, "schema", "pitchforge-shard/9", &err), 0);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
    assert_int_equal(pf_shard_check(fx_path(dir, S0), NULL, &err), -1);
    assert_non_null(strstr(err.msg, "pitchforge-shard/9"));

    assert_int_equal(pf_shard_check(fx_path(dir, "nope.h5"), NULL, &err), -1);
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, "nope.h5"));
    assert_int_equal(pf_shard_check(NULL, NULL, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    free(dir);
}

/** Per-column f0 that is negative or NaN (written past the writer's checks): pf_shard_check
 *  and pf_verify name the row and column. */
static void test_bad_f0_frames(void **state)
{
    (void)state;
    char *dir = dataset("verify-f0", 1, 0), *log;
    pf_error err = {0};
    const char *path = fx_path(dir, T0);
    if (pf_shard_check(path, MANIFEST_SHA, &err)) fail_msg("%s", err.msg);
    float v[5 * 4];
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < 5 * 4; i++)
            v[i] = 100.0f + (float)i;
        v[2 * 4 + 1] = pass ? NAN : -3.0f;
        pf_h5id f = pf_h5_open(path, 1, &err);
        pf_h5id ds = pf_h5_dset_open(f, "labels/f0_frames", &err), t = pf_h5_type(PF_H5_F32);
        assert_true(ds >= 0);
        assert_int_equal(pf_h5_dset_write(ds, t, v, &err), 0);
        pf_h5_close(t);
        pf_h5_close(ds);
        assert_int_equal(pf_h5_close_file(f, &err), 0);
        assert_int_equal(pf_shard_check(path, MANIFEST_SHA, &err), -1);
        fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
        assert_int_equal(err.code, PF_ESCHEMA);
        assert_non_null(strstr(err.msg, T0));
        assert_non_null(strstr(err.msg, "/labels/f0_frames row 2 column 1"));
    }
    pf_verify_report rep;
    assert_int_equal(verify(dir, &rep, &log, &err), -1);
    assert_int_equal(rep.damaged, 1);
    assert_int_equal(count_lines(log, "damaged: " T0 ": sha256 mismatch"), 1);
    assert_non_null(strstr(log, "/labels/f0_frames row 2 column 1"));
    free(log);
    free(dir);
}

/** Set row @p row of numeric label @p name of shard @p path to @p v (HDF5 converts). */
static void set_label(const char *path, const char *name, size_t row, double v)
{
    pf_error err = {0};
    double rows[5];
    char full[64];
    snprintf(full, sizeof full, "labels/%s", name);
    pf_h5id f = pf_h5_open(path, 1, &err);
    pf_h5id ds = pf_h5_dset_open(f, full, &err), t = pf_h5_type(PF_H5_F64);
    assert_true(ds >= 0);
    assert_int_equal(pf_h5_dset_read(ds, t, rows, &err), 0);
    rows[row] = v;
    assert_int_equal(pf_h5_dset_write(ds, t, rows, &err), 0);
    pf_h5_close(t);
    pf_h5_close(ds);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
}

/** Labels out of range, inconsistent or repeated, and a shard under another shard's name: each
 *  refused by pf_shard_check (so by verify, generate --resume and index), naming the label and
 *  row; index refuses the damaged shard too. */
static void test_bad_labels(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        size_t row;
        double v;
        const char *needle;
    } cases[] = {
        {"f0_hz", 0, NAN, "/labels/f0_hz row 0 holds nan"},
        {"f0_hz", 2, 1e30, "/labels/f0_hz row 2 holds 1e+30"}, /* a note: from midi, cents */
        {"f0_hz", 1, 440, "/labels/f0_hz row 1 holds 440"},    /* id 1 is a negative: 0 */
        {"midi", 0, 200, "/labels/midi row 0 holds 200"},
        {"octave", 3, 0, "/labels/octave row 3 holds 0"},
        {"cents", 2, 1e30, "/labels/cents row 2 holds 1e+30"},
        {"volume", 4, INFINITY, "/labels/volume row 4 holds inf"},
        {"measured_f0_hz", 0, -1, "/labels/measured_f0_hz row 0 holds -1"},
        {"velocity", 0, 200, "/labels/velocity row 0 holds 200"},
        {"example_id", 4, 0, "example_id 0 is in more than one row"},
    };
    pf_error err = {0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char *dir = dataset("verify-labels", 1, 0);
        set_label(fx_path(dir, T0), cases[k].name, cases[k].row, cases[k].v);
        assert_int_equal(pf_shard_check(fx_path(dir, T0), NULL, &err), -1);
        fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
        assert_int_equal(err.code, PF_ESCHEMA);
        assert_non_null(strstr(err.msg, cases[k].needle));
        assert_int_equal(pf_index_build(dir, NULL, &err), -1);
        assert_non_null(strstr(err.msg, cases[k].needle));
        free(dir);
    }
    /* shard 1 copied over shard 0: its attributes say 1 of 2 */
    char *dir = dataset("verify-labels", 1, 0);
    size_t len;
    unsigned char *bytes = slurp(fx_path(dir, T1), &len);
    FILE *out = fopen(fx_path(dir, T0), "wb");
    assert_int_equal(fwrite(bytes, 1, len, out), len);
    fclose(out);
    free(bytes);
    assert_int_equal(pf_shard_check(fx_path(dir, T0), NULL, &err), -1);
    fprintf(stderr, "    pf_shard_check: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "shard_index 1, shard_count 2: not the file name's"));
    free(dir);
}

/** A shard file the index does not list, and a shard rewritten with another example count. */
static void test_unlisted_and_counts(void **state)
{
    (void)state;
    char *dir = dataset("verify-counts", 1, 0), *log;
    shard(dir, "test-00000-of-00002.h5", fx_meta(5, 4, 1, PF_AUDIO_INT16, 0, "test", 0, 2), 2, 0);
    shard(dir, T1, fx_meta(5, 4, 1, PF_AUDIO_INT16, 0, "train", 1, 2), 4, 5);
    pf_verify_report rep;
    pf_error err = {0};
    assert_int_equal(verify(dir, &rep, &log, &err), -1);
    assert_int_equal(rep.ok, 3);
    assert_int_equal(rep.damaged, 1);
    assert_int_equal(rep.unlisted, 1);
    assert_int_equal(rep.mismatch, 1);
    assert_int_equal(count_lines(log, "unlisted: test-00000-of-00002.h5"), 1);
    assert_int_equal(count_lines(log, "damaged: " T1 ": sha256 mismatch"), 1);
    assert_int_equal(count_lines(log, "counts: train: dataset.h5 says 2 shards and 8 examples"), 1);
    assert_non_null(strstr(log, "lists 2 shards holding 9 examples\n"));
    assert_non_null(strstr(err.msg, "1 shard file(s) not listed"));
    free(log);

    /* rebuilding the index over the new folder makes it whole again */
    assert_int_equal(unlink(fx_path(dir, "test-00000-of-00002.h5")), 0);
    if (pf_index_build(dir, NULL, &err)) fail_msg("%s", err.msg);
    assert_int_equal(verify(dir, &rep, &log, &err), 0);
    assert_int_equal(rep.examples, 15);
    free(log);
    free(dir);
}

static void test_no_index(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("verify-noindex"), *log;
    pf_verify_report rep;
    pf_error err = {0};
    assert_int_equal(verify(dir, &rep, &log, &err), -1);
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, "dataset.h5"));
    assert_non_null(strstr(err.msg, "pitchforge index"));
    free(log);

    /* a dataset.h5 that is a shard, not an index */
    shard(dir, "dataset.h5", fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 1), 1, 0);
    assert_int_equal(verify(dir, &rep, &log, &err), -1);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, PF_SHARD_SCHEMA));
    free(log);
    assert_int_equal(pf_verify(NULL, NULL, NULL, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_good),
        cmocka_unit_test(test_pages_dropped),
        cmocka_unit_test(test_flipped_data),
        cmocka_unit_test(test_flipped_superblock),
        cmocka_unit_test(test_missing),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_corrupt_gzip_chunk),
        cmocka_unit_test(test_other_manifest),
        cmocka_unit_test(test_shard_check_structure),
        cmocka_unit_test(test_wide_range_sums),
        cmocka_unit_test(test_bad_f0_frames),
        cmocka_unit_test(test_bad_labels),
        cmocka_unit_test(test_unlisted_and_counts),
        cmocka_unit_test(test_no_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
