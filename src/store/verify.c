/* pf_shard_check and pf_verify: is a shard whole, does a dataset folder match its index. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "core/fs.h"
#include "core/util.h"
#include "io/h5.h"
#include "store/rowsum.h"
#include "store/specsrc.h"
#include "store/schema.h"
#include "pitchforge/shard.h"
#include "pitchforge/checksum.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/verify.h"
#include "pitchforge/plan.h"

#define BLOCK_BYTES ((size_t)4 << 20) /* rows are read in blocks of about this many bytes */
#define N_SPLITS 3
static const char *const split_names[N_SPLITS] = {"train", "val", "test"};

/* ---- one shard ---- */

/** A shard being checked: the open file and what its datasets must agree with. */
typedef struct shard_scan {
    pf_h5id f;
    uint64_t n;        /**< the n_examples attribute */
    size_t pb, frames; /**< spectrogram planes*bins and frames */
    double *sum;       /**< [pb] Σx per bin recomputed from /spectrogram, or NULL */
    double *sumsq;     /**< [pb] Σx² the same way */
} shard_scan;

/** Bytes per element of @p ds in memory (its own type; strings as char *); 0 if unsupported. */
static size_t elem_size(pf_h5id ds)
{
    static const size_t kind_size[PF_H5_KIND_COUNT] = {1, 1, 2, 2, 4, 4, 8, 8, 4, 8};
    const char *c = pf_h5_dset_class(ds);
    pf_h5_kind kind;
    if (!strcmp(c, "string") || !strcmp(c, "enum")) return 8; /* char *, or an int ≤ 8 bytes */
    if ((!strcmp(c, "integer") || !strcmp(c, "float")) && !pf_h5_dset_kind(ds, &kind))
        return kind_size[kind];
    return 0;
}

/** Read n_examples and compare manifest_sha256 with @p want (when non-NULL). */
static int check_attrs(shard_scan *s, const char *want, pf_error *err)
{
    if (!pf_h5_attr_exists(s->f, "n_examples"))
        return PF_FAIL(err, PF_ESCHEMA, "no n_examples attribute (an unfinished shard?)");
    if (pf_h5_attr_read_num(s->f, "n_examples", PF_H5_U64, &s->n, err)) return -1;
    if (!want) return 0;
    char *got = pf_h5_attr_exists(s->f, "manifest_sha256")
                    ? pf_h5_attr_read_str(s->f, "manifest_sha256", NULL)
                    : NULL;
    int rc = got && !strcmp(got, want)
                 ? 0
                 : PF_FAIL(err, PF_ESCHEMA,
                           "made from another manifest: manifest_sha256 is %.16s..., expected "
                           "%.16s... (the manifest's, or dataset.h5's)",
                           got ? got : "(none)", want);
    free(got);
    return rc;
}

/** Open dataset @p name and check it has @p s->n rows; its shape goes to @p rank, @p dims. */
static pf_h5id open_rows(const shard_scan *s, const char *name, int *rank,
                         uint64_t dims[PF_H5_MAX_RANK], pf_error *err)
{
    pf_h5id ds = pf_h5_dset_open(s->f, name, err);
    if (ds < 0 || pf_h5_dset_shape(ds, rank, dims, err)) {
        pf_h5_close(ds);
        return PF_H5_NONE;
    }
    if (dims[0] != s->n) {
        pf_h5_close(ds);
        PF_FAIL(err, PF_ESCHEMA, "/%s has %" PRIu64 " rows but n_examples is %" PRIu64, name,
                dims[0], s->n);
        return PF_H5_NONE;
    }
    return ds;
}

/** Add @p rows spectrograms (float [rows][pb][frames]) to @p s->sum in the writer's order. */
static void sum_add(shard_scan *s, const float *spec, uint64_t rows)
{
    for (uint64_t i = 0; i < rows; i++)
        for (size_t b = 0; b < s->pb; b++) {
            double x = 0, squares = 0;
            pf_sum2(spec + (i * s->pb + b) * s->frames, s->frames, &x, &squares);
            s->sum[b] += x;
            s->sumsq[b] += squares;
        }
}

/** Read every row of dataset @p name once, in blocks (a truncated file or bad chunk fails). */
static int read_all(shard_scan *s, const char *name, pf_error *err)
{
    int rank;
    uint64_t dims[PF_H5_MAX_RANK];
    pf_h5id ds = open_rows(s, name, &rank, dims, err);
    if (ds < 0) return -1;
    const char *cls = pf_h5_dset_class(ds);
    int is_str = !strcmp(cls, "string");
    size_t esize = elem_size(ds), row = 1, block = 0;
    int overflow = 0;
    for (int i = 1; i < rank; i++)
        overflow |= pf_mul_size(row, (size_t)dims[i], &row);
    if (!esize || overflow ||
        pf_mul_size(row, esize, &block)) {
        pf_h5_close(ds);
        return PF_FAIL(err, PF_ESCHEMA, "/%s: unexpected %s elements or row size", name, cls);
    }
    uint64_t per = block >= BLOCK_BYTES ? 1 : BLOCK_BYTES / block;
    void *buf = pf_malloc((size_t)(per < s->n ? per : s->n ? s->n : 1) * block);
    pf_h5id t = is_str ? pf_h5_type_str(0) : pf_h5_dset_type(ds);
    int rc = 0;
    for (uint64_t at = 0; at < s->n && !rc; at += per) {
        uint64_t k = s->n - at < per ? s->n - at : per;
        rc = pf_h5_dset_read_rows(ds, t, at, k, buf, err);
        if (!rc && is_str) pf_h5_strs_free(buf, (size_t)k * row);
    }
    pf_h5_close(t);
    pf_h5_close(ds);
    free(buf);
    return rc;
}

/** Read every spectrogram as readers get it (float32, float16 widened, or computed from /audio
 *  when the shard stores none) and sum it per bin. */
static int read_spectrogram(shard_scan *s, pf_error *err)
{
    pf_shard_info info;
    if (pf_spec_source_shape(s->f, s->f, &info, err)) return -1;
    if (info.n != s->n)
        return PF_FAIL(err, PF_ESCHEMA, "/%s has %zu rows but n_examples is %" PRIu64,
                       info.store_spec == PF_SPEC_STORE_NONE ? "audio" : "spectrogram", info.n,
                       s->n);
    s->frames = info.frames;
    s->pb = info.planes * info.bins;
    s->sum = pf_calloc(s->pb ? s->pb : 1, sizeof *s->sum);
    s->sumsq = pf_calloc(s->pb ? s->pb : 1, sizeof *s->sumsq);
    pf_spec_source *src = pf_spec_source_open(s->f, s->f, err);
    if (!src) return -1;
    size_t row = pf_spec_source_size(src) * sizeof(float);
    uint64_t per = row >= BLOCK_BYTES ? 1 : BLOCK_BYTES / row;
    float *buf = pf_malloc((size_t)(per < s->n ? per : s->n ? s->n : 1) * row);
    int rc = 0;
    for (uint64_t at = 0; at < s->n && !rc; at += per) {
        uint64_t k = s->n - at < per ? s->n - at : per;
        rc = pf_spec_source_read(src, (size_t)at, (size_t)k, buf, err);
        if (!rc) sum_add(s, buf, k);
    }
    free(buf);
    pf_spec_source_free(src);
    return rc;
}

/** The first value of @p v[0..n) that is not finite or is negative, or -1 when none is. */
static long bad_f0(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(v[i] >= 0 && v[i] < PF_LABEL_MAX_HZ)) return (long)i; /* NaN fails too */
    return -1;
}

/** Read /labels/f0_frames: [n, frames] float, every value finite and >= 0 (0 = unvoiced). */
static int check_f0_frames(shard_scan *s, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = open_rows(s, "labels/f0_frames", &rank, d, err);
    if (ds < 0) return -1;
    if (rank != 2 || d[1] != s->frames || strcmp(pf_h5_dset_class(ds), "float")) {
        pf_h5_close(ds);
        return PF_FAIL(err, PF_ESCHEMA, "/labels/f0_frames is not float [%" PRIu64 ", %zu]", s->n,
                       s->frames);
    }
    size_t per = BLOCK_BYTES / (s->frames * sizeof(float) + 1) + 1;
    float *buf = pf_malloc(per * s->frames * sizeof *buf);
    pf_h5id t = pf_h5_type(PF_H5_F32);
    int rc = 0;
    for (uint64_t at = 0; at < s->n && !rc; at += per) {
        uint64_t k = s->n - at < per ? s->n - at : per;
        rc = pf_h5_dset_read_rows(ds, t, at, k, buf, err);
        long bad = rc ? -1 : bad_f0(buf, (size_t)k * s->frames);
        if (bad >= 0)
            rc = PF_FAIL(err, PF_ESCHEMA,
                         "/labels/f0_frames row %" PRIu64 " column %zu holds %g (f0 must be "
                         "finite, >= 0 and below 1 MHz, 0 = unvoiced)",
                         at + (uint64_t)bad / s->frames, (size_t)bad % s->frames, buf[bad]);
    }
    pf_h5_close(t);
    pf_h5_close(ds);
    free(buf);
    return rc;
}

/** Read every /labels/<name> (each must have n rows; f0_frames must be there and valid). */
static int read_labels(shard_scan *s, pf_error *err)
{
    char **names = NULL, path[300];
    size_t n = 0;
    if (!pf_h5_exists(s->f, "labels")) return PF_FAIL(err, PF_ESCHEMA, "no /labels group");
    if (!pf_h5_exists(s->f, "labels/f0_frames"))
        return PF_FAIL(err, PF_ESCHEMA, "no /labels/f0_frames");
    int rc = pf_h5_list(s->f, "labels", &names, &n, err);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof path, "labels/%s", names[i]);
        rc = rc ||
             (strcmp(names[i], "f0_frames") ? read_all(s, path, err) : check_f0_frames(s, err));
        free(names[i]);
    }
    free(names);
    return rc ? -1 : 0;
}

/** Read /stats/<name> of the open file @p f, @p pb values of @p kind (any shape holding that
 *  many), into @p out. */
static int read_stat(pf_h5id f, size_t pb, const char *name, pf_h5_kind kind, void *out,
                     pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK], len = 1;
    char path[64];
    snprintf(path, sizeof path, "stats/%s", name);
    pf_h5id ds = pf_h5_exists(f, path) ? pf_h5_dset_open(f, path, err) : PF_H5_NONE;
    pf_h5id t = pf_h5_type(kind);
    int rc = ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) ? -1 : 0;
    for (int i = 0; !rc && i < rank; i++)
        len *= d[i];
    if (rc || len != pb)
        rc = PF_FAIL(err, PF_ESCHEMA, "/%s is missing or does not hold %zu values", path, pb);
    rc = rc || pf_h5_dset_read(ds, t, out, err);
    pf_h5_close(t);
    pf_h5_close(ds);
    return rc ? -1 : 0;
}

/** /stats/<name> must equal @p want, the sums recomputed from the data (bit for bit: the same
 *  additions in the same order as the writer). */
static int check_stat(const shard_scan *s, const char *name, const double *want, pf_error *err)
{
    double *stored = pf_calloc(s->pb ? s->pb : 1, sizeof *stored);
    int rc = read_stat(s->f, s->pb, name, PF_H5_F64, stored, err);
    size_t b = 0;
    while (!rc && b < s->pb && (stored[b] == want[b] || (isnan(stored[b]) && isnan(want[b]))))
        b++;
    if (!rc && b < s->pb)
        rc = PF_FAIL(err, PF_ESCHEMA,
                     "/spectrogram (or /audio) does not match /stats/%s (bin %zu: stored %.17g, "
                     "data gives %.17g): the data changed after it was written",
                     name, b, stored[b], want[b]);
    free(stored);
    return rc;
}

/** /stats/count must be n_examples * frames in every bin, /stats/log_sum and log_sumsq finite. */
static int check_counts(const shard_scan *s, pf_error *err)
{
    uint64_t *count = pf_calloc(s->pb ? s->pb : 1, sizeof *count);
    double *v = pf_calloc(s->pb ? s->pb : 1, sizeof *v);
    int rc = read_stat(s->f, s->pb, "count", PF_H5_U64, count, err);
    for (size_t b = 0; b < s->pb && !rc; b++)
        if (count[b] != s->n * s->frames)
            rc = PF_FAIL(err, PF_ESCHEMA, "/stats/count bin %zu is %" PRIu64 ", not %" PRIu64
                         " (n_examples * frames)", b, count[b], s->n * s->frames);
    static const char *const logs[2] = {"log_sum", "log_sumsq"};
    for (int k = 0; k < 2 && !rc; k++) {
        rc = read_stat(s->f, s->pb, logs[k], PF_H5_F64, v, err);
        for (size_t b = 0; b < s->pb && !rc; b++)
            if (!isfinite(v[b]))
                rc = PF_FAIL(err, PF_ESCHEMA, "/stats/%s bin %zu holds %g", logs[k], b, v[b]);
    }
    free(count);
    free(v);
    return rc;
}

/** /stats: sum and sumsq as recomputed, count and the log sums sane. */
static int check_sums(const shard_scan *s, pf_error *err)
{
    return check_stat(s, "sum", s->sum, err) || check_stat(s, "sumsq", s->sumsq, err) ||
                   check_counts(s, err)
               ? -1
               : 0;
}

/** The shard's split, shard_index and shard_count attributes must be those of its file name
 *  "{split}-{NNNNN}-of-{MMMMM}.h5" (@p path's last part; not checked for another name). */
static int check_name(pf_h5id f, const char *path, pf_error *err)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    pf_shard_job job;
    if (pf_shard_name_parse(base, &job)) return 0;
    int64_t index = -1, count = -1;
    char *split = pf_h5_attr_exists(f, "split") ? pf_h5_attr_read_str(f, "split", NULL)
                                                   : NULL;
    if (pf_h5_attr_exists(f, "shard_index"))
        pf_h5_attr_read_num(f, "shard_index", PF_H5_I64, &index, NULL);
    if (pf_h5_attr_exists(f, "shard_count"))
        pf_h5_attr_read_num(f, "shard_count", PF_H5_I64, &count, NULL);
    int rc = split && !strcmp(split, pf_split_names[job.split]) && index == job.index &&
                     count == job.count
                 ? 0
                 : PF_FAIL(err, PF_ESCHEMA,
                           "its attributes say split %s, shard_index %" PRId64
                           ", shard_count %" PRId64 ": not the file name's (a copy of another "
                           "shard?)",
                           split ? split : "(none)", index, count);
    free(split);
    return rc;
}

/** /audio, when there, must be int16 or float32 [n_examples, audio_len] (rank 2). */
static int check_audio(shard_scan *s, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5_kind kind;
    if (!pf_h5_exists(s->f, "audio")) return 0;
    pf_h5id ds = pf_h5_dset_open(s->f, "audio", err);
    int rc = ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) ? -1 : 0;
    if (!rc && (rank != 2 || pf_h5_dset_kind(ds, &kind) || (kind != PF_H5_I16 && kind != PF_H5_F32)))
        rc = PF_FAIL(err, PF_ESCHEMA, "/audio is not int16 or float32 [N, samples] (rank %d)",
                     rank);
    pf_h5_close(ds);
    return rc ? -1 : read_all(s, "audio", err);
}

/** The checks of pf_shard_check on @p path (HDF5 lock held); *@p n gets n_examples. Messages
 *  do not name the file (callers prefix it). */
static int shard_check_unlocked(const char *path, const char *manifest_sha256, uint64_t *n,
                                pf_error *err)
{
    shard_scan s = {.f = pf_h5_open(path, 0, err)};
    if (s.f < 0) return -1;
    int rc = pf_schema_check(s.f, NULL, PF_SHARD_SCHEMA, err) ||
             check_attrs(&s, manifest_sha256, err) || check_name(s.f, path, err) ||
             read_spectrogram(&s, err) || check_audio(&s, err) || read_labels(&s, err) ||
             pf_shard_labels_check(s.f, s.n, err) || check_sums(&s, err);
    pf_h5_close(s.f);
    free(s.sum);
    free(s.sumsq);
    *n = s.n;
    return rc ? -1 : 0;
}

int pf_shard_check_attrs(pf_h5id f, const char *path, const char *manifest_sha256, pf_error *err)
{
    shard_scan s = {.f = f};
    return check_attrs(&s, manifest_sha256, err) || check_name(f, path, err) ? -1 : 0;
}

/** pf_shard_check that also returns n_examples in *@p n; the message does not name the file. */
static int shard_check(const char *path, const char *manifest_sha256, uint64_t *n, pf_error *err)
{
    pf_h5_lock();
    int rc = shard_check_unlocked(path, manifest_sha256, n, err);
    pf_h5_unlock();
    return rc;
}

int pf_shard_check(const char *path, const char *manifest_sha256, pf_error *err)
{
    uint64_t n;
    if (!path) return PF_FAIL(err, PF_EINVAL, "pf_shard_check: NULL path");
    if (shard_check(path, manifest_sha256, &n, err)) return pf_error_prefix(err, "%s", path);
    return 0;
}

/* ---- a dataset folder ---- */

/** One row of /checksums as read (memory layout of the compound). */
typedef struct checksum_row {
    char *shard;
    char sha256[64];
} checksum_row;

/** A listed shard and what verifying it found. */
typedef struct listed {
    char *name;
    char sha256[65];
    int split;  /**< index into split_names, -1 for a bad name */
    int dup;    /**< 1 when an earlier row lists the same name */
    int state;  /**< ST_* */
    uint64_t n; /**< n_examples, when known */
    int n_known;
    char *msg; /**< its problem line, written by verify_one and printed in order afterwards */
} listed;

enum { ST_OK, ST_DAMAGED, ST_MISSING, ST_DUPLICATE };

/** What the index says and what the folder holds. */
typedef struct verify_run {
    const char *dir;
    FILE *log;
    char *manifest_sha256; /**< the index's, or NULL */
    listed *v;             /**< [n] in /checksums order */
    listed **by_name;      /**< [n] the same, sorted by name */
    size_t n;
    uint64_t index_examples[N_SPLITS], index_rows[N_SPLITS], index_shards[N_SPLITS];
    int has_split[N_SPLITS];
    pf_verify_report rep;
} verify_run;

/** The split of shard file name "{split}-{NNNNN}-of-{MMMMM}.h5", or -1 for any other name. */
static int shard_split(const char *name)
{
    for (int s = 0; s < N_SPLITS; s++) {
        size_t len = strlen(split_names[s]);
        const char *p = name + len;
        if (!strncmp(name, split_names[s], len) && strlen(p) == 18 && p[0] == '-' &&
            strspn(p + 1, "0123456789") == 5 && !strncmp(p + 6, "-of-", 4) &&
            strspn(p + 10, "0123456789") == 5 && !strcmp(p + 15, ".h5"))
            return s;
    }
    return -1;
}

/** bsearch comparator of listed * by name. */
static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(listed *const *)a)->name, (*(listed *const *)b)->name);
}

/** qsort comparator of listed * by name, then by place in /checksums. */
static int cmp_name_place(const void *a, const void *b)
{
    listed *x = *(listed *const *)a, *y = *(listed *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x > y) - (x < y);
}

/** Sort the rows by name into @p r->by_name and mark repeated names. */
static void index_names(verify_run *r)
{
    r->by_name = pf_calloc(r->n ? r->n : 1, sizeof *r->by_name);
    for (size_t i = 0; i < r->n; i++)
        r->by_name[i] = &r->v[i];
    qsort(r->by_name, r->n, sizeof *r->by_name, cmp_name_place);
    for (size_t i = 1; i < r->n; i++)
        r->by_name[i]->dup = !strcmp(r->by_name[i]->name, r->by_name[i - 1]->name);
}

/** Read /checksums of the open index @p f into @p r->v (sorted by name). */
static int read_checksums(verify_run *r, pf_h5id f, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = pf_h5_exists(f, "checksums") ? pf_h5_dset_open(f, "checksums", err) : PF_H5_NONE;
    if (ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) || rank != 1 ||
        strcmp(pf_h5_dset_class(ds), "compound")) {
        pf_h5_close(ds);
        return PF_FAIL(err, PF_ESCHEMA, "no /checksums table {shard, sha256}");
    }
    checksum_row *rows = pf_calloc(d[0] ? d[0] : 1, sizeof *rows);
    pf_h5id ct = pf_h5_type_compound(sizeof *rows);
    pf_h5id vs = pf_h5_type_str(0), fs = pf_h5_type_str(64);
    int rc = pf_h5_type_insert(ct, "shard", offsetof(checksum_row, shard), vs, err) ||
             pf_h5_type_insert(ct, "sha256", offsetof(checksum_row, sha256), fs, err) ||
             (d[0] && pf_h5_dset_read(ds, ct, rows, err));
    r->v = pf_calloc(d[0] ? d[0] : 1, sizeof *r->v);
    for (uint64_t i = 0; i < d[0] && !rc; i++, r->n++) {
        r->v[i].name = pf_strdup(rows[i].shard ? rows[i].shard : "");
        memcpy(r->v[i].sha256, rows[i].sha256, 64);
        r->v[i].split = shard_split(r->v[i].name);
        pf_h5_strs_free(&rows[i].shard, 1);
    }
    index_names(r);
    pf_h5_close(ct);
    pf_h5_close(vs);
    pf_h5_close(fs);
    pf_h5_close(ds);
    free(rows);
    return rc ? -1 : 0;
}

/** Read a split's counts from the index: attributes and the virtual datasets' length. */
static void read_split_counts(verify_run *r, pf_h5id f, int s)
{
    char name[64];
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    snprintf(name, sizeof name, "n_examples_%s", split_names[s]);
    if (pf_h5_attr_exists(f, name))
        pf_h5_attr_read_num(f, name, PF_H5_U64, &r->index_examples[s], NULL);
    snprintf(name, sizeof name, "n_shards_%s", split_names[s]);
    if (pf_h5_attr_exists(f, name))
        pf_h5_attr_read_num(f, name, PF_H5_U64, &r->index_shards[s], NULL);
    snprintf(name, sizeof name, "%s/spectrogram", split_names[s]);
    if (!pf_h5_exists(f, name)) /* store.spectrogram none: the audio gives the rows */
        snprintf(name, sizeof name, "%s/audio", split_names[s]);
    r->has_split[s] = pf_h5_exists(f, name);
    pf_h5id ds = r->has_split[s] ? pf_h5_dset_open(f, name, NULL) : PF_H5_NONE;
    if (ds >= 0 && !pf_h5_dset_shape(ds, &rank, d, NULL)) r->index_rows[s] = d[0];
    pf_h5_close(ds);
}

/** Read what dataset.h5 says (HDF5 lock held). */
static int read_index_unlocked(verify_run *r, const char *path, pf_error *err)
{
    pf_h5id f = pf_h5_open(path, 0, err);
    if (f < 0) return -1;
    int rc = pf_schema_check(f, NULL, PF_DATASET_SCHEMA, err);
    if (!rc && pf_h5_attr_exists(f, "manifest_sha256"))
        r->manifest_sha256 = pf_h5_attr_read_str(f, "manifest_sha256", NULL);
    rc = rc || read_checksums(r, f, err);
    for (int s = 0; s < N_SPLITS && !rc; s++)
        read_split_counts(r, f, s);
    pf_h5_close(f);
    return rc ? -1 : 0;
}

/** Read DIR/dataset.h5; on failure the message names it and how to rebuild it. */
static int read_index(verify_run *r, pf_error *err)
{
    size_t len = strlen(r->dir) + sizeof "/dataset.h5";
    char *path = pf_malloc(len);
    snprintf(path, len, "%s/dataset.h5", r->dir);
    struct stat st;
    int rc;
    if (stat(path, &st))
        rc = PF_FAIL(err, PF_EIO, "%s: %s (build the index with: pitchforge index %s)", path,
                     strerror(errno), r->dir);
    else {
        pf_h5_lock();
        rc = read_index_unlocked(r, path, err);
        pf_h5_unlock();
        if (rc) pf_error_prefix(err, "%s", path);
    }
    free(path);
    return rc;
}

/** Print one problem line "@p what: @p name: ..." to the log. */
static void note(const verify_run *r, const char *what, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void note(const verify_run *r, const char *what, const char *name, const char *fmt, ...)
{
    va_list ap;
    if (!r->log) return;
    fprintf(r->log, "%s: %s: ", what, name);
    va_start(ap, fmt);
    vfprintf(r->log, fmt, ap);
    va_end(ap);
    fputc('\n', r->log);
}

/** Keep the problem line "@p what: <shard>: ..." of listed shard @p e for the log. */
static void note_shard(listed *e, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note_shard(listed *e, const char *what, const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int len = vsnprintf(NULL, 0, fmt, ap), head = (int)(strlen(what) + strlen(e->name) + 4);
    va_end(ap);
    free(e->msg);
    e->msg = pf_malloc((size_t)(head + (len > 0 ? len : 0) + 1));
    sprintf(e->msg, "%s: %s: ", what, e->name);
    vsnprintf(e->msg + head, (size_t)(len > 0 ? len : 0) + 1, fmt, again);
    va_end(again);
}

/** Verify listed shard @p e: present, listed sha256, pf_shard_check; safe to run on several
 *  shards at once (it writes only @p e). */
static void verify_one(const verify_run *r, listed *e)
{
    char hex[65] = "", *path = pf_path_dup(r->dir, e->name);
    pf_error err = {0}, check = {0};
    struct stat st;
    e->state = ST_DAMAGED;
    if (e->split < 0 || strchr(e->name, '/')) {
        e->state = ST_MISSING;
        note_shard(e, "missing", "listed in dataset.h5 but not a shard file name");
    } else if (stat(path, &st)) {
        e->state = ST_MISSING;
        note_shard(e, "missing", "listed in dataset.h5 but not in %s", r->dir);
    } else if (pf_sha256_file(path, hex, &err)) {
        note_shard(e, "damaged", "%s", err.msg);
    } else {
        int sha_ok = !strncmp(hex, e->sha256, 64);
        e->n_known = !shard_check(path, r->manifest_sha256, &e->n, &check);
        if (!sha_ok)
            note_shard(e, "damaged",
                       "sha256 mismatch (dataset.h5 lists %.12s..., the file %.12s...)%s%s",
                       e->sha256, hex, e->n_known ? "" : "; ", e->n_known ? "" : check.msg);
        else if (!e->n_known)
            note_shard(e, "damaged", "%s", check.msg);
        else
            e->state = ST_OK;
        pf_file_drop_cache(path); /* read once: its pages serve the next shard (see generate) */
    }
    free(path);
}

/** Report shard files in the folder that /checksums does not list. */
static int find_unlisted(verify_run *r, pf_error *err)
{
    DIR *d = opendir(r->dir);
    if (!d) return PF_FAIL(err, PF_EIO, "cannot read folder %s: %s", r->dir, strerror(errno));
    for (struct dirent *e; (e = readdir(d));) {
        listed key = {.name = e->d_name}, *kp = &key;
        if (shard_split(e->d_name) < 0 ||
            bsearch(&kp, r->by_name, r->n, sizeof *r->by_name, cmp_name))
            continue;
        r->rep.unlisted++;
        note(r, "unlisted", e->d_name,
             "in %s but not in dataset.h5's /checksums (rebuild it: pitchforge index %s)", r->dir,
             r->dir);
    }
    closedir(d);
    return 0;
}

/** Compare split @p s's counts in the index with its listed shards (when all were read). */
static void check_split(verify_run *r, int s)
{
    uint64_t examples = 0, shards = 0;
    int all_known = 1;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].split == s) {
            shards++;
            examples += r->v[i].n;
            all_known &= r->v[i].n_known;
        }
    int bad_shards = shards != r->index_shards[s];
    int bad_examples = all_known && (examples != r->index_examples[s] ||
                                     (r->has_split[s] && examples != r->index_rows[s]));
    if (!bad_shards && !bad_examples) return;
    r->rep.mismatch++;
    char held[64] = "";
    if (all_known) snprintf(held, sizeof held, " holding %" PRIu64 " examples", examples);
    note(r, "counts", split_names[s],
         "dataset.h5 says %" PRIu64 " shards and %" PRIu64 " examples (its virtual datasets span "
         "%" PRIu64 "), /checksums lists %" PRIu64 " shards%s",
         r->index_shards[s], r->index_examples[s], r->index_rows[s], shards,
         all_known ? held : " (not all readable)");
}

/** The summary error: counts and the names of the damaged and missing shards. */
static int summarize(const verify_run *r, pf_error *err)
{
    char names[600] = "", more[160] = "";
    size_t len = 0, bad = r->rep.damaged + r->rep.missing;
    for (size_t i = 0; i < r->n && len < sizeof names - 1; i++)
        if (r->v[i].state == ST_DAMAGED || r->v[i].state == ST_MISSING)
            len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", len ? ", " : "",
                                    r->v[i].name);
    if (len >= sizeof names - 1) strcpy(names + sizeof names - 5, "...");
    size_t at = 0;
    if (r->rep.unlisted)
        at += (size_t)snprintf(more, sizeof more, "; %zu shard file(s) not listed in dataset.h5",
                               r->rep.unlisted);
    if (r->rep.mismatch)
        snprintf(more + at, sizeof more - at, "; %zu count(s) or part(s) of dataset.h5 differ from the shards",
                 r->rep.mismatch);
    return PF_FAIL(err, PF_ESCHEMA, "%s: %zu of %zu shards damaged or missing%s%s%s", r->dir, bad,
                   r->n, bad ? ": " : "", names, more);
}

/* ---- dataset.h5 itself ---- */

static const char *const stat_sums[4] = {"sum", "sumsq", "log_sum", "log_sumsq"};
static const char *const stat_norms[4] = {"mean", "std", "log_mean", "log_std"};

/** Add the /stats sums and counts of listed shard @p e to @p sums [4][pb], @p count [pb]. */
static int stats_add_shard(const verify_run *r, const listed *e, size_t pb, double *const sums[4],
                           uint64_t *count, pf_error *err)
{
    char *path = pf_path_dup(r->dir, e->name);
    double *v = pf_calloc(pb, sizeof *v);
    uint64_t *c = pf_calloc(pb, sizeof *c);
    pf_h5id f = pf_h5_open(path, 0, err);
    int rc = f < 0 || read_stat(f, pb, "count", PF_H5_U64, c, err) ? -1 : 0;
    for (size_t b = 0; b < pb && !rc; b++)
        count[b] += c[b];
    for (int k = 0; k < 4 && !rc; k++) {
        rc = read_stat(f, pb, stat_sums[k], PF_H5_F64, v, err);
        for (size_t b = 0; b < pb && !rc; b++)
            sums[k][b] += v[b];
    }
    pf_h5_close(f);
    pf_file_drop_cache(path); /* as verify_one left it */
    free(v);
    free(c);
    free(path);
    return rc ? pf_error_prefix(err, "%s", e->name) : 0;
}

/** dataset.h5's /stats (open as @p f) against the train shards' (bit for bit, as the index
 *  computes them), with every value finite. Skipped while a train shard is damaged. */
static int check_index_stats(const verify_run *r, pf_h5id f, pf_error *err)
{
    int rank, train = 0;
    uint64_t d[PF_H5_MAX_RANK], pb = 1;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].split == 0 && (train = 1) && r->v[i].state != ST_OK) return 0;
    if (!train) return 0;
    pf_h5id ds = pf_h5_exists(f, "stats/count") ? pf_h5_dset_open(f, "stats/count", NULL) : -1;
    int rc = ds < 0 || pf_h5_dset_shape(ds, &rank, d, NULL) ? -1 : 0;
    pf_h5_close(ds);
    for (int i = 0; !rc && i < rank; i++)
        pb *= d[i];
    if (rc) return PF_FAIL(err, PF_ESCHEMA, "no /stats/count");
    double *sums[4];
    float *want[4], *got = pf_calloc(pb, sizeof *got);
    uint64_t *count = pf_calloc(pb, sizeof *count), *stored = pf_calloc(pb, sizeof *stored);
    for (int k = 0; k < 4; k++)
        sums[k] = pf_calloc(pb, sizeof *sums[k]), want[k] = pf_calloc(pb, sizeof *want[k]);
    for (size_t i = 0; i < r->n && !rc; i++)
        rc = r->v[i].split == 0 && !r->v[i].dup &&
             stats_add_shard(r, &r->v[i], pb, sums, count, err);
    pf_stats_normalize((const double *const *)sums, count, pb, want);
    rc = rc || read_stat(f, pb, "count", PF_H5_U64, stored, err);
    if (!rc && memcmp(stored, count, pb * sizeof *count))
        rc = PF_FAIL(err, PF_ESCHEMA, "/stats/count is not the train shards' sum");
    for (int k = 0; k < 4 && !rc; k++) {
        rc = read_stat(f, pb, stat_norms[k], PF_H5_F32, got, err);
        for (size_t b = 0; b < pb && !rc; b++)
            if (!isfinite(got[b]) || memcmp(&got[b], &want[k][b], sizeof *got))
                rc = PF_FAIL(err, PF_ESCHEMA, "/stats/%s bin %zu is %g, the train shards give %g",
                             stat_norms[k], b, got[b], want[k][b]);
    }
    for (int k = 0; k < 4; k++)
        free(sums[k]), free(want[k]);
    free(got), free(count), free(stored);
    return rc ? -1 : 0;
}

/** Split @p s's group in dataset.h5 (@p f): its n_examples and n_shards attributes and the rows
 *  of every /<split>/labels/<name> against the root's counts (which check_split compares with
 *  the shards). */
static int check_index_split(const verify_run *r, pf_h5id f, int s, pf_error *err)
{
    uint64_t examples = r->index_examples[s], shards = r->index_shards[s], attr_n = 0,
             attr_shards = 0;
    if (!r->has_split[s]) return 0;
    pf_h5id g = pf_h5_exists(f, split_names[s]) ? pf_h5_group_open(f, split_names[s], NULL) : -1;
    if (g < 0) return PF_FAIL(err, PF_ESCHEMA, "no /%s group", split_names[s]);
    int rc = pf_h5_attr_read_num(g, "n_examples", PF_H5_U64, &attr_n, err) ||
             pf_h5_attr_read_num(g, "n_shards", PF_H5_U64, &attr_shards, err);
    if (!rc && (attr_n != examples || attr_shards != shards))
        rc = PF_FAIL(err, PF_ESCHEMA, "/%s says %" PRIu64 " examples in %" PRIu64 " shards, the "
                     "root's n_examples_%s and n_shards_%s %" PRIu64 " in %" PRIu64,
                     split_names[s], attr_n, attr_shards, split_names[s], split_names[s],
                     examples, shards);
    char **names = NULL, path[300];
    size_t n = 0;
    rc = rc || pf_h5_list(g, "labels", &names, &n, err);
    for (size_t i = 0; i < n; i++) {
        int rank;
        uint64_t d[PF_H5_MAX_RANK];
        snprintf(path, sizeof path, "labels/%s", names[i]);
        pf_h5id ds = rc ? -1 : pf_h5_dset_open(g, path, err);
        if (!rc && (ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) || d[0] != examples))
            rc = PF_FAIL(err, PF_ESCHEMA, "/%s/%s does not span the split's %" PRIu64 " examples",
                         split_names[s], path, examples);
        pf_h5_close(ds);
        free(names[i]);
    }
    free(names);
    pf_h5_close(g);
    return rc ? -1 : 0;
}

/** 1 for a root attribute the index writes itself (its schema and counts), not a shard's copy. */
static int index_own_attr(const char *name)
{
    static const char *const own[] = {"schema", "rejected_", "n_examples", "n_shards"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (!strncmp(name, own[i], strlen(own[i]))) return 1;
    return 0;
}

/** Every root attribute of dataset.h5 (@p f) that its first shard has too (the manifest, its
 *  hash, the STFT and library versions the index copied) must read the same in both. */
static int check_index_attrs(const verify_run *r, pf_h5id f, pf_error *err)
{
    if (!r->n || r->v[0].state != ST_OK) return 0;
    char *path = pf_path_dup(r->dir, r->v[0].name), **names = NULL;
    size_t n = 0;
    pf_h5id g = pf_h5_open(path, 0, err);
    int rc = g < 0 || pf_h5_attr_names(f, &names, &n, err) ? -1 : 0;
    for (size_t i = 0; i < n; i++) {
        if (!rc && !index_own_attr(names[i]) && pf_h5_attr_exists(g, names[i])) {
            char *a = pf_h5_attr_text(f, names[i], NULL), *b = pf_h5_attr_text(g, names[i], NULL);
            if (!a || !b || strcmp(a, b))
                rc = PF_FAIL(err, PF_ESCHEMA, "root attribute %s is not %s's", names[i],
                             r->v[0].name);
            free(a), free(b);
        }
        free(names[i]);
    }
    free(names);
    pf_h5_close(g);
    pf_file_drop_cache(path);
    free(path);
    return rc;
}

/** No example_id twice among the shards that passed. */
static int check_ids(const verify_run *r, pf_error *err)
{
    pf_id_set set = {0};
    const char **names = pf_calloc(r->n ? r->n : 1, sizeof *names);
    int rc = 0;
    for (size_t i = 0; i < r->n && !rc; i++) {
        names[i] = r->v[i].name;
        if (r->v[i].state != ST_OK || r->v[i].dup) continue;
        char *path = pf_path_dup(r->dir, r->v[i].name);
        pf_h5id f = pf_h5_open(path, 0, err);
        rc = f < 0 || pf_id_set_add(&set, f, i, err) ? pf_error_prefix(err, "%s", path) : 0;
        pf_h5_close(f);
        pf_file_drop_cache(path); /* as verify_one left it */
        free(path);
    }
    rc = rc || pf_id_set_check(&set, names, err) ? -1 : 0;
    pf_id_set_release(&set);
    free(names);
    return rc;
}

/** Check dataset.h5 itself against its shards; each problem is a line "index: ..." and counts
 *  as a mismatch. */
static void check_index_file(verify_run *r)
{
    size_t len = strlen(r->dir) + sizeof "/dataset.h5";
    char *path = pf_malloc(len);
    snprintf(path, len, "%s/dataset.h5", r->dir);
    pf_error e[N_SPLITS + 4] = {{0}};
    int bad[N_SPLITS + 4] = {0};
    pf_h5_lock();
    pf_h5id f = pf_h5_open(path, 0, &e[0]);
    bad[0] = f < 0 || check_index_stats(r, f, &e[0]);
    bad[1] = !r->manifest_sha256 &&
             PF_FAIL(&e[1], PF_ESCHEMA, "no manifest_sha256 attribute: shards not compared");
    bad[2] = check_ids(r, &e[2]);
    for (int s = 0; s < N_SPLITS; s++)
        bad[3 + s] = f >= 0 && check_index_split(r, f, s, &e[3 + s]);
    bad[N_SPLITS + 3] = f >= 0 && check_index_attrs(r, f, &e[N_SPLITS + 3]);
    pf_h5_close(f);
    pf_h5_unlock();
    for (int k = 0; k < N_SPLITS + 4; k++)
        if (bad[k]) {
            r->rep.mismatch++;
            note(r, "index", "dataset.h5", "%s (%s %s)", e[k].msg,
                 k == 2 ? "delete the copy and remake it: pitchforge generate MANIFEST --resume -o"
                        : "rebuild it: pitchforge index",
                 r->dir);
        }
    free(path);
}

/** pf_parallel_for's body: listed shard @p i of the run @p arg (a duplicate row is marked, not
 *  read again). */
static void verify_listed(void *arg, size_t i)
{
    const verify_run *r = arg;
    if (r->v[i].dup)
        r->v[i].state = ST_DUPLICATE;
    else
        verify_one(r, &r->v[i]);
}

/** Verify every listed shard (the shards on every core, their lines printed in listed order),
 *  look for unlisted ones, compare the counts. */
static int verify_all(verify_run *r, pf_error *err)
{
    if (read_index(r, err)) return -1;
    r->rep.shards = r->n;
    pf_parallel_for(r->n, verify_listed, r);
    for (size_t i = 0; i < r->n; i++) {
        if (r->v[i].dup) {
            note(r, "duplicate", r->v[i].name, "listed twice in dataset.h5's /checksums");
            r->rep.mismatch++;
            continue;
        }
        if (r->v[i].msg && r->log) fprintf(r->log, "%s\n", r->v[i].msg);
        r->rep.ok += r->v[i].state == ST_OK;
        r->rep.damaged += r->v[i].state == ST_DAMAGED;
        r->rep.missing += r->v[i].state == ST_MISSING;
        r->rep.examples += r->v[i].state == ST_OK ? r->v[i].n : 0;
    }
    if (find_unlisted(r, err)) return -1;
    for (int s = 0; s < N_SPLITS; s++)
        check_split(r, s);
    check_index_file(r);
    if (r->rep.damaged || r->rep.missing || r->rep.unlisted || r->rep.mismatch)
        return summarize(r, err);
    return 0;
}

int pf_verify(const char *dir, pf_verify_report *rep, FILE *log, pf_error *err)
{
    if (!dir) return PF_FAIL(err, PF_EINVAL, "pf_verify: NULL folder");
    verify_run r = {.dir = dir, .log = log};
    int rc = verify_all(&r, err);
    if (rep) *rep = r.rep;
    for (size_t i = 0; i < r.n; i++)
        free(r.v[i].name), free(r.v[i].msg);
    free(r.v);
    free(r.by_name);
    free(r.manifest_sha256);
    return rc;
}
