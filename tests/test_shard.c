/* Tests for src/store/shard.c, checksum.c and inspect.c: h5py interop, byte identity, failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/h5.h"
#include "shard_fixture.h"
#include "pitchforge/checksum.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/image.h"
#include "pitchforge/inspect.h"
#include "pitchforge/verify.h"
#include "pitchforge/shard.h"
#include "pitchforge/dataset.h"
#include "pitchforge/spectrogram.h"
#include "core/half.h"

/** pf_shard_read_f0_frames on @p shard (@p n rows of @p frames, ids from @p first) gives what
 *  was written, whole and from a row on; past the end is refused. */
static void check_f0_frames(const char *shard, size_t frames, size_t n, uint64_t first)
{
    pf_error err = {0};
    float *got = calloc(n * frames, sizeof *got), *want = calloc(n * frames, sizeof *want);
    for (size_t i = 0; i < n; i++)
        fx_f0_frames(first + i, want + i * frames, frames);
    assert_int_equal(pf_shard_read_f0_frames(shard, 0, n, got, &err), 0);
    assert_memory_equal(got, want, n * frames * sizeof *got);
    assert_int_equal(pf_shard_read_f0_frames(shard, 1, n - 1, got, &err), 0);
    assert_memory_equal(got, want + frames, (n - 1) * frames * sizeof *got);
    assert_int_equal(pf_shard_read_f0_frames(shard, n, 0, NULL, &err), 0); /* nothing to read */
    assert_int_equal(pf_shard_read_f0_frames(shard, n - 1, 2, got, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    free(got);
    free(want);
}

/** Write a shard with @p m and @p n examples, then check it with h5py and with our readers. */
static void roundtrip(const pf_shard_meta *m, size_t n, uint64_t first)
{
    char *dir = fx_tmpdir("shard");
    char shard[600], exp[600], spec[600], audio[600], args[2600];
    snprintf(shard, sizeof shard, "%s/%s-00000-of-00001.h5", dir, m->split);
    snprintf(exp, sizeof exp, "%s/expect.json", dir);
    snprintf(spec, sizeof spec, "%s/spec.f32", dir);
    snprintf(audio, sizeof audio, "%s/audio.raw", dir);
    pf_error err = {0};
    assert_int_equal(fx_write_shard(shard, m, n, first, &err), 0);
    fx_json_expect(exp, m, first, n);
    fx_raw(spec, audio, m, first, n);
    snprintf(args, sizeof args, "%s %s %s %s", shard, exp, spec, audio);
    assert_int_equal(fx_python("check_shard.py", args), 0);

    pf_shard_info info;
    assert_int_equal(pf_shard_info_read(shard, &info, &err), 0);
    assert_string_equal(info.schema, PF_SHARD_SCHEMA);
    assert_string_equal(info.split, m->split);
    assert_int_equal(info.n, n);
    assert_int_equal(info.planes, m->planes);
    assert_int_equal(info.bins, m->bins);
    assert_int_equal(info.frames, m->frames);
    assert_int_equal(info.audio_len, m->store_audio ? m->audio_len : 0);
    assert_int_equal(info.rejected[PF_REJECT_SILENT], 3);
    assert_int_equal(info.rejected[PF_REJECT_PITCH], first + 1);

    pf_label *rows;
    size_t nrows;
    assert_int_equal(pf_shard_read_labels(shard, &rows, &nrows, &err), 0);
    assert_int_equal(nrows, n);
    for (size_t i = 0; i < n; i++) {
        pf_label want = fx_label(first + i), got = rows[i];
        assert_string_equal(got.instrument, want.instrument);
        got.instrument = want.instrument;
        if (isnan(want.noise_snr_db))
            assert_true(isnan(got.noise_snr_db)), got.noise_snr_db = want.noise_snr_db = 0;
        if (isnan(want.pitch_error_cents))
            assert_true(isnan(got.pitch_error_cents)),
                got.pitch_error_cents = want.pitch_error_cents = 0;
        assert_int_equal(got.example_id, want.example_id);
        assert_true(got.f0_hz == want.f0_hz && got.midi == want.midi && got.cents == want.cents);
        assert_true(got.segment == want.segment && got.pitch_check == want.pitch_check);
        assert_true(got.strip_fundamental == want.strip_fundamental);
        assert_true(got.noise_snr_db == want.noise_snr_db && got.volume == want.volume);
        assert_true(got.pitch_error_cents == want.pitch_error_cents);
        assert_true(got.segment_offset == want.segment_offset && got.bank == want.bank);
        assert_null(got.f0_frames); /* per-column labels: pf_shard_read_f0_frames */
    }
    pf_labels_free(rows, nrows);
    check_f0_frames(shard, m->frames, n, first);

    size_t len = m->planes * m->bins * m->frames;
    float *got = malloc(len * sizeof *got), *want = malloc(len * sizeof *want);
    fx_example(first + n - 1, want, len, m, NULL);
    assert_int_equal(pf_shard_read_spectrogram(shard, n - 1, got, len, &err), 0);
    assert_memory_equal(got, want, len * sizeof *got);
    assert_int_equal(pf_shard_read_spectrogram(shard, n, got, len, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    free(got);
    free(want);
    free(dir);
}

static void test_small_int16(void **state)
{
    (void)state;
    pf_shard_meta m = fx_meta(5, 4, 1, PF_AUDIO_INT16, 0, "train", 0, 1);
    roundtrip(&m, 7, 0);
}

static void test_small_complex_gzip(void **state)
{
    (void)state;
    pf_shard_meta m = fx_meta(5, 4, 2, PF_AUDIO_NONE, 6, "val", 0, 1);
    roundtrip(&m, 7, 100);
}

static void test_real_size_float_audio(void **state)
{
    (void)state;
    pf_shard_meta m = fx_meta(513, 90, 1, PF_AUDIO_FLOAT32, 4, "test", 0, 1);
    roundtrip(&m, 5, 40);
}

/** 1 when the files at @p a and @p b have the same bytes. */
static int same_bytes(const char *a, const char *b)
{
    char cmd[1300];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static void test_byte_identical(void **state)
{
    (void)state;
    char *d1 = fx_tmpdir("ident"), *d2 = fx_tmpdir("ident");
    pf_shard_meta m = fx_meta(513, 90, 1, PF_AUDIO_INT16, 4, "train", 0, 1);
    pf_error err = {0};
    const char *a = fx_path(d1, "train-00000-of-00001.h5"),
               *b = fx_path(d2, "train-00000-of-00001.h5");
    assert_int_equal(fx_write_shard(a, &m, 9, 0, &err), 0);
    assert_int_equal(fx_write_shard(b, &m, 9, 0, &err), 0);
    assert_true(same_bytes(a, b));
    assert_int_equal(fx_write_shard(b, &m, 9, 1, &err), 0); /* different input: different bytes */
    assert_false(same_bytes(a, b));
    free(d1);
    free(d2);
}

static void test_abort_leaves_nothing(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("abort");
    pf_shard_meta m = fx_meta(5, 4, 1, PF_AUDIO_INT16, 0, "train", 0, 1);
    const char *path = fx_path(dir, "train-00000-of-00001.h5");
    pf_error err = {0};
    pf_shard_writer *w = pf_shard_create(path, &m, &err);
    assert_non_null(w);
    float spec[20];
    int16_t audio[11];
    pf_label l = fx_label(0);
    fx_example(0, spec, 20, &m, audio);
    assert_int_equal(pf_shard_append(w, &l, spec, audio, &err), 0);
    assert_true(fx_exists(fx_path(dir, "train-00000-of-00001.h5.tmp")));
    pf_shard_abort(w);
    assert_false(fx_exists(path));
    assert_false(fx_exists(fx_path(dir, "train-00000-of-00001.h5.tmp")));
    pf_shard_abort(NULL);
    pf_labels_free(NULL, 0);
    free(dir);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("badarg");
    pf_error err = {0};
    pf_shard_meta m = fx_meta(5, 4, 3, PF_AUDIO_NONE, 0, "train", 0, 1);
    assert_null(pf_shard_create(fx_path(dir, "x.h5"), &m, &err));
    assert_int_equal(err.code, PF_EINVAL);
    m = fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "dev", 0, 1);
    assert_null(pf_shard_create(fx_path(dir, "x.h5"), &m, &err));
    assert_non_null(strstr(err.msg, "dev"));
    m = fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 1);
    pf_shard_writer *w = pf_shard_create(fx_path(dir, "x.h5"), &m, &err);
    pf_label l = fx_label(0);
    l.segment = 7;
    float spec[20] = {0};
    assert_int_equal(pf_shard_append(w, &l, spec, NULL, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    /* per-column f0: finite and >= 0 (0 = unvoiced), and f0_hz when f0_frames is NULL */
    float f0[4] = {440, 0, 441, 442};
    l = fx_label(1);
    l.f0_frames = f0;
    assert_int_equal(pf_shard_append(w, &l, spec, NULL, &err), 0);
    f0[2] = NAN;
    assert_int_equal(pf_shard_append(w, &l, spec, NULL, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    assert_non_null(strstr(err.msg, "f0_frames"));
    f0[2] = -1;
    assert_int_equal(pf_shard_append(w, &l, spec, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "f0_frames"));
    l.f0_frames = NULL;
    l.f0_hz = INFINITY;
    assert_int_equal(pf_shard_append(w, &l, spec, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "f0_hz"));
    pf_shard_abort(w);
    assert_false(fx_exists(fx_path(dir, "x.h5.tmp")));
    free(dir);
}

static void test_unwritable_folder(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("unwritable");
    pf_shard_meta m = fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 1);
    pf_error err = {0};
    const char *missing = fx_path(dir, "no/such/folder/train-00000-of-00001.h5");
    assert_null(pf_shard_create(missing, &m, &err));
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, missing));
    if (geteuid() != 0) { /* root ignores permissions */
        char *ro = fx_tmpdir("readonly");
        chmod(ro, 0500);
        assert_null(pf_shard_create(fx_path(ro, "train-00000-of-00001.h5"), &m, &err));
        assert_int_equal(err.code, PF_EIO);
        assert_non_null(strstr(err.msg, ro));
        assert_false(fx_exists(fx_path(ro, "train-00000-of-00001.h5.tmp")));
        chmod(ro, 0700);
        free(ro);
    }
    free(dir);
}

/**
 * Child of test_disk_full: write under a file-size limit of @p limit bytes (real-size examples
 * when @p big: fails in an append; else tiny ones: fails at commit); exit 0 if it failed right.
 */
static int disk_full_child(const char *dir, rlim_t limit, int big)
{
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl = {limit, limit};
    setrlimit(RLIMIT_FSIZE, &rl);
    pf_shard_meta m = big ? fx_meta(513, 90, 1, PF_AUDIO_FLOAT32, 0, "train", 0, 1)
                          : fx_meta(5, 4, 1, PF_AUDIO_FLOAT32, 0, "train", 0, 1);
    pf_error err = {0};
    const char *path = fx_path(dir, "train-00000-of-00001.h5");
    int rc = fx_write_shard(path, &m, 40, 0, &err);
    fprintf(stderr, "    disk full: rc %d code %d: %s\n", rc, err.code, err.msg);
    if (rc != -1 || err.code != PF_EIO || !strstr(err.msg, dir)) return 1;
    return fx_exists(path) || fx_exists(fx_path(dir, "train-00000-of-00001.h5.tmp")) ? 2 : 0;
}

/** Run disk_full_child in a fork (the limit must not reach the test runner). */
static void disk_full_case(rlim_t limit, int big)
{
    char *dir = fx_tmpdir("diskfull");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) _exit(disk_full_child(dir, limit, big));
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_false(fx_exists(fx_path(dir, "train-00000-of-00001.h5")));
    free(dir);
}

static void test_disk_full(void **state)
{
    (void)state;
    disk_full_case(256 * 1024, 1);
    disk_full_case(1024, 0);
}

static void test_other_schema(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("schema");
    pf_shard_meta m = fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 1);
    const char *path = fx_path(dir, "train-00000-of-00001.h5");
    pf_error err = {0};
    assert_int_equal(fx_write_shard(path, &m, 3, 0, &err), 0);
    pf_h5id f = pf_h5_open(path, 1, &err);
    assert_true(f >= 0);
    assert_int_equal(pf_h5_attr_str(f, "schema", "pitchforge-shard/9", &err), 0);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
    pf_shard_info info;
    assert_int_equal(pf_shard_info_read(path, &info, &err), -1);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, "pitchforge-shard/9"));
    assert_non_null(strstr(err.msg, PF_SHARD_SCHEMA));
    pf_label *rows;
    size_t n;
    assert_int_equal(pf_shard_read_labels(path, &rows, &n, &err), -1);
    assert_int_equal(err.code, PF_ESCHEMA);
    FILE *junk = fopen(fx_path(dir, "junk.h5"), "w");
    fputs("not hdf5", junk);
    fclose(junk);
    assert_int_equal(pf_shard_info_read(fx_path(dir, "junk.h5"), &info, &err), -1);
    assert_int_equal(err.code, PF_EIO);
    assert_non_null(strstr(err.msg, "junk.h5"));
    free(dir);
}

/** A shard of the previous schema (pitchforge-shard/1, before f0_frames and the 32768 scale)
 *  is refused by every reader, naming the file, both schemas and what to do. */
static void test_schema_1_refused(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("schema1");
    pf_shard_meta m = fx_meta(5, 4, 1, PF_AUDIO_INT16, 0, "train", 0, 1);
    const char *path = fx_path(dir, "train-00000-of-00001.h5");
    pf_error err = {0};
    assert_int_equal(fx_write_shard(path, &m, 3, 0, &err), 0);
    pf_h5id f = pf_h5_open(path, 1, &err);
    assert_true(f >= 0);
    assert_int_equal(pf_h5_attr_str(f, "schema", "pitchforge-shard/1", &err), 0);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
    pf_shard_info info;
    assert_int_equal(pf_shard_info_read(path, &info, &err), -1);
    fprintf(stderr, "    refused: %s\n", err.msg);
    assert_int_equal(err.code, PF_ESCHEMA);
    static const char *const needles[] = {"train-00000-of-00001.h5", "'pitchforge-shard/1'",
                                          "'" PF_SHARD_SCHEMA "'", "regenerate",
                                          "pitchforge generate", "pitchforge 0.1.0-test"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        if (!strstr(err.msg, needles[i])) fail_msg("no '%s' in '%s'", needles[i], err.msg);
    float f0[4];
    assert_int_equal(pf_shard_read_f0_frames(path, 0, 1, f0, &err), -1);
    assert_non_null(strstr(err.msg, "pitchforge-shard/1"));
    FILE *out = fopen("/dev/null", "w");
    assert_int_equal(pf_inspect(path, out, &err), -1);
    fclose(out);
    assert_non_null(strstr(err.msg, "'pitchforge-shard/1'"));
    assert_non_null(strstr(err.msg, "regenerate"));
    free(dir);
}

/* A committed shard leaves the page cache (generate does not read it again, and the next shard
 * reuses the pages); a file written and synced the same way but not committed stays in it, so
 * the measurement can see pages. Skipped on tmpfs, whose pages are the file itself. */
static void test_commit_drops_cache(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("cache");
    if (fx_on_tmpfs(dir)) {
        print_message("skipped: %s is on tmpfs\n", dir);
        free(dir);
        return;
    }
    pf_shard_meta m = fx_meta(513, 90, 1, PF_AUDIO_NONE, 4, "train", 0, 1);
    pf_error err = {0};
    assert_int_equal(fx_write_shard(fx_path(dir, "s.h5"), &m, 64, 0, &err), 0);
    FILE *f = fopen(fx_path(dir, "plain"), "wb");
    float *x = calloc(513 * 90, sizeof *x);
    for (int i = 0; i < 64; i++)
        fwrite(x, sizeof *x, 513 * 90, f);
    fflush(f);
    assert_int_equal(fsync(fileno(f)), 0);
    fclose(f);
    double shard = fx_resident_share(fx_path(dir, "s.h5")),
           plain = fx_resident_share(fx_path(dir, "plain"));
    print_message("resident after commit: shard %.1f%%, a plain synced file %.1f%%\n", 100 * shard,
                  100 * plain);
    assert_true(plain > 0.5);
    assert_true(shard < 0.1);
    free(x);
    free(dir);
}

static void test_sha256(void **state)
{
    (void)state;
    char hex[65], hex2[65];
    pf_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    char *dir = fx_tmpdir("sha");
    FILE *f = fopen(fx_path(dir, "abc"), "w");
    fputs("abc", f);
    fclose(f);
    pf_error err = {0};
    assert_int_equal(pf_sha256_file(fx_path(dir, "abc"), hex2, &err), 0);
    assert_string_equal(hex, hex2);
    assert_int_equal(pf_sha256_file(fx_path(dir, "missing"), hex2, &err), -1);
    assert_int_equal(err.code, PF_EIO);
    /* an empty file: the digest of no bytes */
    fclose(fopen(fx_path(dir, "empty"), "w"));
    assert_int_equal(pf_sha256_file(fx_path(dir, "empty"), hex2, &err), 0);
    assert_string_equal(hex2, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    /* 40 MB and a bit, hashed in several mapped windows: as coreutils' sha256sum says */
    f = fopen(fx_path(dir, "big"), "wb");
    for (size_t i = 0; i < (40u << 20) + 123; i++)
        fputc((int)(i * 7 % 251), f);
    fclose(f);
    assert_int_equal(pf_sha256_file(fx_path(dir, "big"), hex2, &err), 0);
    char cmd[1200], want[65] = "";
    snprintf(cmd, sizeof cmd, "sha256sum '%s'", fx_path(dir, "big"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%64s", want), 1);
    pclose(p);
    assert_string_equal(hex2, want);
    unlink(fx_path(dir, "big"));
    assert_string_equal(pf_hdf5_version(), "1.10.8");
    free(dir);
}

static void test_inspect_shard(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("inspect");
    pf_shard_meta m = fx_meta(5, 4, 1, PF_AUDIO_INT16, 0, "train", 0, 1);
    const char *path = fx_path(dir, "train-00000-of-00001.h5");
    pf_error err = {0};
    assert_int_equal(fx_write_shard(path, &m, 7, 0, &err), 0);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_int_equal(pf_inspect(path, out, &err), 0);
    fclose(out);
    fprintf(stderr, "%s", text);
    assert_non_null(strstr(text, PF_SHARD_SCHEMA));
    assert_non_null(strstr(text, "sustain"));
    assert_non_null(strstr(text, "Flûte"));
    assert_non_null(strstr(text, "unvoiced"));
    assert_non_null(strstr(text, "[7, 5, 4]"));
    /* ids 0..6, 4 columns: ids 1 and 4 negatives (f0 0: every column unvoiced), id 0 steady
     * (f0_hz everywhere), the others unvoiced where (k + id) % 5 == 0: one column each for ids
     * 2, 3, 5, none for 6 */
    assert_non_null(strstr(text, "f0_frames    voiced 17 of 28 columns"));
    free(text);
    out = fopen("/dev/null", "w");
    assert_int_equal(pf_inspect(fx_path(dir, "missing.h5"), out, &err), -1);
    fclose(out);
    free(dir);
}

/** One writer thread of test_threads: shard @p arg->index of four, written concurrently. */
typedef struct thread_job {
    const char *dir;
    int index, rc;
    char path[1024];
} thread_job;

static void *write_in_thread(void *arg)
{
    thread_job *j = arg;
    pf_shard_meta m = fx_meta(64, 16, 1, PF_AUDIO_INT16, 1, "train", j->index, 4);
    pf_error err = {0};
    snprintf(j->path, sizeof j->path, "%s/train-%05d-of-00004.h5", j->dir, j->index);
    j->rc = fx_write_shard(j->path, &m, 300, (uint64_t)j->index * 1000, &err);
    if (j->rc) fprintf(stderr, "    thread %d: %s\n", j->index, err.msg);
    return NULL;
}

/** Generate writes shards from several threads at once: serial HDF5 must be serialized. */
static void test_threads(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("threads");
    thread_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (thread_job){.dir = dir, .index = i};
        assert_int_equal(pthread_create(&th[i], NULL, write_in_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(jobs[i].rc, 0);
        pf_label *rows;
        size_t n;
        pf_error err = {0};
        assert_int_equal(pf_shard_read_labels(jobs[i].path, &rows, &n, &err), 0);
        assert_int_equal(n, 300);
        assert_int_equal(rows[39].example_id, (uint64_t)i * 1000 + 39);
        pf_labels_free(rows, n);
        float got[64 * 16], want[64 * 16];
        pf_shard_meta m = fx_meta(64, 16, 1, PF_AUDIO_INT16, 1, "train", i, 4);
        fx_example((uint64_t)i * 1000 + 17, want, 64 * 16, &m, NULL);
        assert_int_equal(pf_shard_read_spectrogram(jobs[i].path, 17, got, 64 * 16, &err), 0);
        assert_memory_equal(got, want, sizeof got);
    }
    free(dir);
}

/** Seconds since an arbitrary origin. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/** With PF_SHARD_BENCH=1: time appending 2000 real-size examples, plain and gzip. */
static void test_bench_append(void **state)
{
    (void)state;
    if (!getenv("PF_SHARD_BENCH")) skip();
    char *dir = fx_tmpdir("bench");
    for (int gz = 0; gz <= 4; gz += 4) {
        pf_shard_meta m = fx_meta(513, 90, 1, PF_AUDIO_INT16, gz, "train", 0, 1);
        m.audio_len = 5280;
        size_t len = 513 * 90;
        float *spec = malloc(len * sizeof *spec);
        int16_t *audio = calloc(5280, sizeof *audio);
        pf_error err = {0};
        const char *path = fx_path(dir, gz ? "train-00001-of-00002.h5" : "train-00000-of-00002.h5");
        double t0 = now_s(), fill = 0;
        pf_shard_writer *w = pf_shard_create(path, &m, &err);
        for (int i = 0; i < 2000; i++) {
            pf_label l = fx_label((uint64_t)i);
            double t1 = now_s();
            for (size_t k = 0; k < len; k++) /* spectrogram-like: positive, decaying */
                spec[k] =
                    (float)(1e-3 * (1 + (k * 2654435761u + (unsigned)i) % 1000) / (1 + k / 90));
            fill += now_s() - t1;
            assert_int_equal(pf_shard_append(w, &l, spec, audio, &err), 0);
        }
        char digest[65], again[65];
        assert_int_equal(pf_shard_commit(w, digest, &err), 0);
        assert_int_equal(pf_sha256_file(path, again, &err), 0); /* hashed before the rename */
        assert_string_equal(digest, again);
        struct stat st;
        struct rusage ru;
        stat(path, &st);
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr,
                "    bench gzip=%d: %.3f ms/example (append + commit + fsync), %.1f MB, "
                "max RSS %ld MB\n",
                gz, (now_s() - t0 - fill) / 2.0, (double)st.st_size / 1e6, ru.ru_maxrss / 1024);
        free(spec);
        free(audio);
        unlink(path);
    }
    free(dir);
}

/* ---- store.spectrogram: float32, float16, none ---- */

enum { SS_N = 6, SS_AUDIO = 1280 }; /* 17 frames of 256 / hop 64 */

/** int16 audio of example @p i (a decaying chirp plus a little noise, some samples tiny) and its
 *  float form q / 32768 as generate computes the spectrogram from. */
static void ss_audio(size_t i, int16_t *q, float *x)
{
    uint32_t r = 99 + (uint32_t)i;
    for (size_t k = 0; k < SS_AUDIO; k++) {
        r = r * 1664525u + 1013904223u;
        double t = (double)k / 16000, a = exp(-8 * t * (double)(i + 1));
        double v = 0.7 * a * sin(2 * M_PI * (150 + 90 * (double)i) * t * (1 + t)) +
                   1e-4 * ((double)(r >> 8) / 16777216.0 - 0.5);
        q[k] = (int16_t)lrint(v * 32768);
        x[k] = (float)q[k] / 32768.0f;
    }
}

/** Write dir/train-00000-of-00001.h5 with @p store and index it; the spectrograms written (the
 *  STFT of the quantized audio) go to @p spec [SS_N][len]. */
static void ss_write(const char *dir, pf_store_spec store, pf_shard_meta *m, float *spec)
{
    pf_error err = {0};
    pf_spec_config cfg = {.length = 256, .overlap = 192, .nfft = 1024, .rate_hz = 16000};
    pf_spectrogram *st = pf_spectrogram_new(&cfg, SS_AUDIO, &err);
    assert_non_null(st);
    size_t len = pf_spectrogram_size(st);
    m->bins = pf_spectrogram_bins(st), m->frames = pf_spectrogram_frames(st);
    m->audio_len = SS_AUDIO, m->store_spec = store;
    pf_shard_writer *w = pf_shard_create(fx_path(dir, "train-00000-of-00001.h5"), m, &err);
    assert_non_null(w);
    int16_t q[SS_AUDIO];
    float x[SS_AUDIO];
    for (size_t i = 0; i < SS_N; i++) {
        ss_audio(i, q, x);
        assert_int_equal(pf_spectrogram_compute(st, x, SS_AUDIO, spec + i * len, &err), 0);
        pf_label l = fx_label(i);
        assert_int_equal(pf_shard_append(w, &l, spec + i * len, q, &err), 0);
    }
    assert_int_equal(pf_shard_commit(w, NULL, &err), 0);
    pf_spectrogram_free(st);
    pf_index_report rep;
    if (pf_index_build(dir, &rep, &err)) fail_msg("index: %s", err.msg);
}

/** The C readers give @p want (float32 values, [SS_N][len]) bit for bit from shard and index. */
static void ss_check(const char *dir, pf_store_spec store, const float *want, size_t len)
{
    pf_error err = {0};
    pf_shard_info info;
    float *got = calloc(SS_N * len, sizeof *got);
    const char *shard = fx_path(dir, "train-00000-of-00001.h5");
    assert_int_equal(pf_shard_info_read(shard, &info, &err), 0);
    assert_int_equal(info.store_spec, store);
    assert_int_equal(info.n, SS_N);
    assert_int_equal(info.bins * info.frames * info.planes, len);
    for (size_t i = 0; i < SS_N; i++)
        assert_int_equal(pf_shard_read_spectrogram(shard, i, got + i * len, len, &err), 0);
    assert_memory_equal(got, want, SS_N * len * sizeof *got);
    memset(got, 0, SS_N * len * sizeof *got);
    const char *index = fx_path(dir, "dataset.h5");
    assert_int_equal(pf_dataset_read_spectrograms(index, "train", 1, SS_N - 1, got, len, &err), 0);
    assert_memory_equal(got, want + len, (SS_N - 1) * len * sizeof *got);
    assert_int_equal(pf_dataset_read_spectrograms(index, "train", 1, SS_N, got, len, &err), -1);
    /* a model expecting other spectrograms (eval's buffer) is refused, not overrun */
    assert_int_equal(pf_dataset_read_spectrograms(index, "train", 0, 1, got, len - 1, &err), -1);
    assert_int_equal(err.code, PF_ESCHEMA);
    assert_non_null(strstr(err.msg, index));
    assert_non_null(strstr(err.msg, "/spectrogram"));
    assert_int_equal(pf_dataset_split_info_read(index, "train", &info, &err), 0);
    assert_int_equal(info.store_spec, store);
    if (pf_shard_check(shard, NULL, &err)) fail_msg("check: %s", err.msg); /* /stats/sum too */
    free(got);
}

/* float16 reads back as numpy's float16 of the values, widened; none gives the STFT of the
 * stored audio bit for bit (shard and dataset.h5 readers), and h5py sees both as documented. */
static void test_spectrogram_store(void **state)
{
    (void)state;
    char *root = fx_tmpdir("specstore"), sub[3][256];
    static const char *const names[] = {"float32", "float16", "none"};
    pf_shard_meta m = fx_meta(1, 1, 1, PF_AUDIO_INT16, 0, "train", 0, 1);
    float *spec[3];
    size_t len = 513 * 17;
    for (int k = 0; k < 3; k++) {
        snprintf(sub[k], sizeof sub[k], "%s/%s", root, names[k]);
        assert_int_equal(mkdir(sub[k], 0755), 0);
        spec[k] = calloc(SS_N * len, sizeof(float));
        ss_write(sub[k], (pf_store_spec)k, &m, spec[k]);
    }
    assert_memory_equal(spec[0], spec[2], SS_N * len * sizeof(float)); /* the same input */
    for (size_t i = 0; i < SS_N * len; i++)                             /* what float16 keeps */
        spec[1][i] = pf_half_to_float(pf_half_from_float(spec[1][i]));
    for (int k = 0; k < 3; k++)
        ss_check(sub[k], (pf_store_spec)k, spec[k], len);
    char args[700];
    snprintf(args, sizeof args, "'%s'", root);
    assert_int_equal(fx_python("check_spec_store.py", args), 0);
    for (int k = 0; k < 3; k++)
        free(spec[k]);
    free(root);
}

/* A shard that stores neither spectrogram nor audio is refused; so is an unknown store. */
static void test_spectrogram_store_refused(void **state)
{
    (void)state;
    pf_error err = {0};
    char *dir = fx_tmpdir("specnone");
    pf_shard_meta m = fx_meta(5, 4, 1, PF_AUDIO_NONE, 0, "train", 0, 1);
    m.store_spec = PF_SPEC_STORE_NONE;
    assert_null(pf_shard_create(fx_path(dir, "train-00000-of-00001.h5"), &m, &err));
    assert_int_equal(err.code, PF_EINVAL);
    assert_non_null(strstr(err.msg, "needs its audio"));
    m.store_spec = (pf_store_spec)7;
    m.store_audio = PF_AUDIO_INT16;
    assert_null(pf_shard_create(fx_path(dir, "train-00000-of-00001.h5"), &m, &err));
    assert_int_equal(err.code, PF_EINVAL);
    assert_false(fx_exists(fx_path(dir, "train-00000-of-00001.h5.tmp")));
    free(dir);
}

/** A shard at @p path holding only its schema and an empty chunked /spectrogram of @p dims. */
static void write_crafted_spec(const char *path, int rank, const uint64_t *dims)
{
    pf_error err = {0};
    static const uint64_t chunk[4] = {1, 1, 1, 1};
    pf_h5_layout lay = {.chunk = chunk};
    pf_h5id f = pf_h5_create(path, &err), t = pf_h5_type(PF_H5_F32);
    assert_true(f >= 0);
    assert_int_equal(pf_h5_attr_str(f, "schema", PF_SHARD_SCHEMA, &err), 0);
    pf_h5id ds = pf_h5_dset_create(f, "spectrogram", t, rank, dims, &lay, &err);
    if (ds < 0) fail_msg("%s", err.msg);
    pf_h5_close(ds);
    pf_h5_close(t);
    assert_int_equal(pf_h5_close_file(f, &err), 0);
}

/* Spectrogram dims whose products wrap size_t (2^32 x 2^32) or a rank-4 shape of 3 planes are
 * refused by the shape reader, and a picture too large to draw by pf_spectrogram_image: show
 * computed its buffers from such dims and wrote past them. */
static void test_crafted_dims(void **state)
{
    (void)state;
    char *dir = fx_tmpdir("dims");
    const char *path = fx_path(dir, "train-00000-of-00001.h5");
    static const uint64_t wrap[3] = {1, 1ull << 32, 1ull << 32}, three[4] = {1, 3, 4, 4};
    const uint64_t *dims[2] = {wrap, three};
    const int ranks[2] = {3, 4};
    const char *what[2] = {"too large", "3 planes"};
    for (int k = 0; k < 2; k++) {
        pf_error err = {0};
        pf_shard_info info;
        write_crafted_spec(path, ranks[k], dims[k]);
        assert_int_equal(pf_shard_info_read(path, &info, &err), -1);
        printf("refused: %s\n", err.msg);
        assert_int_equal(err.code, PF_ESCHEMA);
        assert_non_null(strstr(err.msg, path));
        assert_non_null(strstr(err.msg, what[k]));
    }
    float spec[4] = {1, 2, 3, 4};
    uint8_t *rgb = (uint8_t *)spec;
    size_t w = 1, h = 1;
    pf_error err = {0};
    assert_int_equal(pf_spectrogram_image(spec, (size_t)1 << 33, (size_t)1 << 31, 0, 80, 4, &rgb,
                                          &w, &h, &err), -1);
    assert_int_equal(err.code, PF_EINVAL);
    assert_null(rgb);
    assert_int_equal(pf_spectrogram_image(spec, 2, 2, 0, 80, SIZE_MAX / 2, &rgb, &w, &h, &err), -1);
    assert_int_equal(pf_spectrogram_image(spec, 2, 2, 0, 80, 4, &rgb, &w, &h, &err), 0);
    assert_int_equal(w, 8);
    assert_int_equal(h, 2);
    free(rgb);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_int16),
        cmocka_unit_test(test_spectrogram_store),
        cmocka_unit_test(test_spectrogram_store_refused),
        cmocka_unit_test(test_small_complex_gzip),
        cmocka_unit_test(test_real_size_float_audio),
        cmocka_unit_test(test_byte_identical),
        cmocka_unit_test(test_abort_leaves_nothing),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_unwritable_folder),
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_other_schema),
        cmocka_unit_test(test_schema_1_refused),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_commit_drops_cache),
        cmocka_unit_test(test_inspect_shard),
        cmocka_unit_test(test_crafted_dims),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_bench_append),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
