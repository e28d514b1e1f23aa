/* pf_index_build: DIR/dataset.h5 (schema pitchforge-dataset/2) over the shards in DIR. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <pthread.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "core/fs.h"
#include "core/util.h"
#include "io/h5.h"
#include "store/describe.h"
#include "pitchforge/shard.h"
#include "pitchforge/checksum.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/verify.h"
#include "store/schema.h"

#define N_SPLITS 3
static const char *const split_names[N_SPLITS] = {"train", "val", "test"};

/** One shard file found in the folder. */
typedef struct shard_ref {
    char name[64]; /**< "train-00000-of-00002.h5" (relative: stored in the virtual datasets) */
    int index, count;
    pf_shard_info info;
    char sha256[65];
    int known; /**< written by this run (its digest given): not checked again */
} shard_ref;

/** The shards of one split, sorted by index. */
typedef struct split_set {
    shard_ref *v;
    size_t n;
} split_set;

/** Everything the index is built from. */
typedef struct index_build {
    const char *dir;
    split_set splits[N_SPLITS];
    const shard_ref *first; /**< the first shard (train, val, test order): attributes, shapes */
    size_t pb;              /**< planes * bins */
    double *sum, *sumsq, *log_sum, *log_sumsq; /**< [pb], train shards in index order */
    uint64_t *count;                           /**< [pb] */
    char *manifest_sha256; /**< the first shard's, which every shard checked must carry */
} index_build;

/** Parse "{split}-{NNNNN}-of-{MMMMM}.h5": the split number, or -1 for any other name. */
static int parse_name(const char *name, int *index, int *count)
{
    for (int s = 0; s < N_SPLITS; s++) {
        size_t len = strlen(split_names[s]);
        const char *p = name + len;
        if (strncmp(name, split_names[s], len) || strlen(p) != 18 || p[0] != '-' ||
            strncmp(p + 6, "-of-", 4) || strcmp(p + 15, ".h5"))
            continue;
        if (strspn(p + 1, "0123456789") < 5 || strspn(p + 10, "0123456789") < 5) return -1;
        *index = atoi(p + 1);
        *count = atoi(p + 10);
        return s;
    }
    return -1;
}

/** Add @p name to its split when it is a shard name. */
static void add_if_shard(index_build *b, const char *name)
{
    int index, count, s = parse_name(name, &index, &count);
    if (s < 0) return;
    split_set *set = &b->splits[s];
    set->v = pf_reallocarray(set->v, set->n + 1, sizeof *set->v);
    shard_ref *r = memset(&set->v[set->n++], 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%.63s", name);
    r->index = index;
    r->count = count;
}

/** qsort comparator: by shard index. */
static int cmp_index(const void *a, const void *b)
{
    return ((const shard_ref *)a)->index - ((const shard_ref *)b)->index;
}

/** List the shards of @p b->dir into their splits, sorted by index. */
static int scan_dir(index_build *b, pf_error *err)
{
    DIR *d = opendir(b->dir);
    if (!d) return PF_FAIL(err, PF_EIO, "cannot read folder %s: %s", b->dir, strerror(errno));
    for (struct dirent *e; (e = readdir(d));)
        add_if_shard(b, e->d_name);
    closedir(d);
    for (int s = 0; s < N_SPLITS; s++)
        if (b->splits[s].n)
            qsort(b->splits[s].v, b->splits[s].n, sizeof *b->splits[s].v, cmp_index);
    return 0;
}

/** Check split @p s is complete: every index 0..count-1 present, one count. */
static int check_complete(const index_build *b, int s, pf_error *err)
{
    const split_set *set = &b->splits[s];
    if (!set->n) return 0;
    int count = set->v[0].count;
    for (size_t i = 1; i < set->n; i++)
        if (set->v[i].count != count)
            return PF_FAIL(err, PF_EIO, "%s: %s and %s disagree on the number of %s shards", b->dir,
                           set->v[0].name, set->v[i].name, split_names[s]);
    char missing[700] = "";
    size_t len = 0, n_missing = 0, at = 0;
    for (int k = 0; k < count; k++) {
        if (at < set->n && set->v[at].index == k) {
            at++;
            continue;
        }
        if (len < sizeof missing - 40)
            len += (size_t)snprintf(missing + len, sizeof missing - len, "%s%s-%05d-of-%05d.h5",
                                    n_missing ? ", " : "", split_names[s], k, count);
        n_missing++;
    }
    if (n_missing || at != set->n)
        return PF_FAIL(err, PF_EIO, "%s: split %s has %zu of its %d shards; missing: %s%s", b->dir,
                       split_names[s], at, count, missing,
                       at != set->n ? " (and an index past the count)" : "");
    return 0;
}

/** Check @p r has the first shard's example shape and spectrogram store (virtual datasets need
 *  one shape and one type). */
static int check_shape(const char *dir, const shard_ref *first, const shard_ref *r, pf_error *err)
{
    const pf_shard_info *a = &first->info, *b = &r->info;
    if (a->store_spec != b->store_spec)
        return PF_FAIL(err, PF_ESCHEMA,
                       "%s: %s stores its spectrograms as %s but %s as %s (store.spectrogram): one "
                       "dataset needs one kind",
                       dir, r->name, pf_store_spec_names[b->store_spec], first->name,
                       pf_store_spec_names[a->store_spec]);
    if (a->planes != b->planes || a->bins != b->bins || a->frames != b->frames ||
        a->audio_len != b->audio_len)
        return PF_FAIL(err, PF_ESCHEMA,
                       "%s: %s holds [%zu, %zu, %zu] spectrograms and audio "
                       "of %zu but %s holds [%zu, %zu, %zu] and %zu: one dataset needs one "
                       "shape",
                       dir, r->name, b->planes, b->bins, b->frames, b->audio_len, first->name,
                       a->planes, a->bins, a->frames, a->audio_len);
    return 0;
}

/** Read one /stats/<name> [pb] of an open shard and add it to @p acc. */
static int stats_add_one(pf_h5id f, const char *name, size_t pb, int is_count, void *acc,
                         pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = pf_h5_dset_open(f, name, err);
    if (ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) || rank != 1 || d[0] != pb) {
        pf_h5_close(ds);
        return PF_FAIL(err, PF_ESCHEMA, "%s is missing or not [%zu]", name, pb);
    }
    pf_h5id t = pf_h5_type(is_count ? PF_H5_U64 : PF_H5_F64);
    double *buf = pf_calloc(pb, sizeof(double));
    int rc = pf_h5_dset_read(ds, t, buf, err);
    for (size_t i = 0; i < pb && !rc; i++) {
        if (is_count)
            ((uint64_t *)acc)[i] += ((uint64_t *)(void *)buf)[i];
        else
            ((double *)acc)[i] += buf[i];
    }
    free(buf);
    pf_h5_close(t);
    pf_h5_close(ds);
    return rc;
}

/** Add the /stats sums of train shard @p path to the build's totals. */
static int stats_add(index_build *b, const char *path, pf_error *err)
{
    pf_h5id f = pf_h5_open(path, 0, err);
    int rc = f < 0 || stats_add_one(f, "stats/sum", b->pb, 0, b->sum, err) ||
             stats_add_one(f, "stats/sumsq", b->pb, 0, b->sumsq, err) ||
             stats_add_one(f, "stats/log_sum", b->pb, 0, b->log_sum, err) ||
             stats_add_one(f, "stats/log_sumsq", b->pb, 0, b->log_sumsq, err) ||
             stats_add_one(f, "stats/count", b->pb, 1, b->count, err);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s", path) : 0;
}

/* ---- checksums, on every core and outside the HDF5 lock ---- */

typedef struct hash_job {
    index_build *b;
    shard_ref **refs;
    size_t n;
    atomic_int failed;
    pthread_mutex_t lock;
    pf_error *err;
} hash_job;

/* Hash shard @p i of the job (pf_parallel_for's body); stops early once one has failed. */
static void hash_one(void *arg, size_t i)
{
    hash_job *h = arg;
    if (atomic_load(&h->failed)) return;
    char *path = pf_path_dup(h->b->dir, h->refs[i]->name);
    pf_error e = {0};
    if (pf_sha256_file(path, h->refs[i]->sha256, &e)) {
        pthread_mutex_lock(&h->lock);
        if (!atomic_exchange(&h->failed, 1)) *h->err = e;
        pthread_mutex_unlock(&h->lock);
    }
    pf_file_drop_cache(path); /* read once: its pages serve the next shard (see generate) */
    free(path);
}

/* Copy the digest of @p r from @p known if it is there; returns 1 if it was. */
static int known_digest(shard_ref *r, const pf_shard_digest *known, size_t n_known)
{
    for (size_t i = 0; i < n_known; i++)
        if (strcmp(known[i].name, r->name) == 0) {
            memcpy(r->sha256, known[i].sha256, sizeof r->sha256);
            return 1;
        }
    return 0;
}

/** sha256 of every shard not in @p known, hashed by up to one thread per core. */
static int hash_shards(index_build *b, const pf_shard_digest *known, size_t n_known,
                       pf_error *err)
{
    hash_job h = {.b = b, .err = err};
    pthread_mutex_init(&h.lock, NULL);
    for (int s = 0; s < N_SPLITS; s++)
        for (size_t i = 0; i < b->splits[s].n; i++) {
            if ((b->splits[s].v[i].known = known_digest(&b->splits[s].v[i], known, n_known)))
                continue;
            h.refs = pf_reallocarray(h.refs, h.n + 1, sizeof *h.refs);
            h.refs[h.n++] = &b->splits[s].v[i];
        }
    pf_parallel_for(h.n, hash_one, &h);
    free(h.refs);
    pthread_mutex_destroy(&h.lock);
    return atomic_load(&h.failed) ? -1 : 0;
}

/** Refuse two shards with one sha256 (a shard copied over another: duplicated examples). */
static int check_unique(const index_build *b, pf_error *err)
{
    for (int s = 0; s < N_SPLITS; s++)
        for (size_t i = 0; i < b->splits[s].n; i++)
            for (int t = s; t < N_SPLITS; t++)
                for (size_t j = t == s ? i + 1 : 0; j < b->splits[t].n; j++)
                    if (!strcmp(b->splits[s].v[i].sha256, b->splits[t].v[j].sha256))
                        return PF_FAIL(err, PF_ESCHEMA,
                                       "%s: %s and %s are the same file (sha256 %.12s...): a copy "
                                       "of one over the other? Remake it: pitchforge generate "
                                       "MANIFEST -o %s --resume",
                                       b->dir, b->splits[s].v[i].name, b->splits[t].v[j].name,
                                       b->splits[s].v[i].sha256, b->dir);
    return 0;
}

/** pf_shard_check shard @p r (at @p path) unless this run wrote it, against the manifest hash of
 *  the first shard, read into @p b->manifest_sha256 when NULL. */
static int check_shard(index_build *b, const shard_ref *r, const char *path, pf_error *err)
{
    if (!b->manifest_sha256) {
        char *first = pf_path_dup(b->dir, b->first->name);
        pf_h5id f = pf_h5_open(first, 0, err);
        b->manifest_sha256 = f < 0 || !pf_h5_attr_exists(f, "manifest_sha256")
                                 ? pf_strdup("(none)")
                                 : pf_h5_attr_read_str(f, "manifest_sha256", NULL);
        pf_h5_close(f);
        free(first);
    }
    pf_error why = {0};
    if (r->known) return 0;
    int rc = pf_shard_check(path, b->manifest_sha256, &why);
    pf_file_drop_cache(path); /* read once, whole: its pages serve the next shard */
    if (!rc) return 0;
    return PF_FAIL(err, why.code,
                   "%s (the manifest hash compared is %s's); remake the shard: pitchforge "
                   "generate MANIFEST -o %s --resume",
                   why.msg, b->first->name, b->dir);
}

/** Read every shard's info, check shapes, sum the train stats. */
static int read_shards(index_build *b, pf_error *err)
{
    for (int s = 0; s < N_SPLITS; s++) {
        for (size_t i = 0; i < b->splits[s].n; i++) {
            shard_ref *r = &b->splits[s].v[i];
            char *path = pf_path_dup(b->dir, r->name);
            int rc = pf_shard_info_read(path, &r->info, err);
            if (!rc && !b->first) {
                b->first = r;
                b->pb = r->info.planes * r->info.bins;
                b->sum = pf_calloc(b->pb, sizeof(double));
                b->sumsq = pf_calloc(b->pb, sizeof(double));
                b->log_sum = pf_calloc(b->pb, sizeof(double));
                b->log_sumsq = pf_calloc(b->pb, sizeof(double));
                b->count = pf_calloc(b->pb, sizeof(uint64_t));
            }
            rc = rc || check_shape(b->dir, b->first, r, err) || check_shard(b, r, path, err) ||
                 (s == 0 && stats_add(b, path, err));
            free(path);
            if (rc) return -1;
        }
    }
    return 0;
}

/** Refuse an example_id in two places of the dataset (shards copied, attributes rewritten). */
static int check_ids(const index_build *b, pf_error *err)
{
    pf_id_set set = {0};
    const char **names = NULL;
    size_t k = 0;
    int rc = 0;
    for (int s = 0; s < N_SPLITS && !rc; s++)
        for (size_t i = 0; i < b->splits[s].n && !rc; i++, k++) {
            names = pf_reallocarray(names, k + 1, sizeof *names);
            names[k] = b->splits[s].v[i].name;
            char *path = pf_path_dup(b->dir, names[k]);
            pf_h5id f = pf_h5_open(path, 0, err);
            rc = f < 0 || pf_id_set_add(&set, f, k, err) ? pf_error_prefix(err, "%s", path) : 0;
            pf_h5_close(f);
            free(path);
        }
    rc = rc || pf_id_set_check(&set, names, err) ? -1 : 0;
    if (rc && set.n) pf_error_prefix(err, "%s", b->dir);
    pf_id_set_release(&set);
    free(names);
    return rc;
}

/** The relative names and row counts of split @p s (arrays the caller frees). */
static void split_sources(const split_set *set, const char ***files, uint64_t **rows)
{
    *files = pf_calloc(set->n, sizeof **files);
    *rows = pf_calloc(set->n, sizeof **rows);
    for (size_t i = 0; i < set->n; i++) {
        (*files)[i] = set->v[i].name;
        (*rows)[i] = set->v[i].info.n;
    }
}

/** Copy the attributes of dataset @p src (e.g. /audio's `scale`) to dataset @p name of @p g. */
static int vds_attrs(pf_h5id g, const char *name, pf_h5id src, pf_error *err)
{
    pf_h5id v = pf_h5_dset_open(g, name, err);
    /* the dimension scales' own attributes refer to objects of the shard: made here anew */
    int rc = v < 0 || pf_h5_attr_copy_all(src, v, pf_describe_scale_attrs,
                                          PF_DESCRIBE_N_SCALE_ATTRS, err) ? -1 : 0;
    pf_h5_close(v);
    return rc;
}

/** Create virtual dataset @p name in @p g spanning @p name of every shard of @p set, with the
 *  element type, inner shape (any rank: labels/f0_frames is [N, frames]) and attributes of the
 *  first shard's (opened as @p first). */
static int vds_one(pf_h5id g, pf_h5id first, const split_set *set, const char *name, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = pf_h5_dset_open(first, name, err);
    if (ds < 0 || pf_h5_dset_shape(ds, &rank, d, err)) {
        pf_h5_close(ds);
        return -1;
    }
    pf_h5id t = pf_h5_dset_type(ds);
    const char **files;
    uint64_t *rows;
    split_sources(set, &files, &rows);
    int rc = pf_h5_vds_create(g, name, t, rank, d + 1, files, rows, set->n, name, err) ||
             vds_attrs(g, name, ds, err);
    free(files);
    free(rows);
    pf_h5_close(t);
    pf_h5_close(ds);
    return rc ? -1 : 0;
}

/** Write the split's counts as attributes of its group @p g. */
static int split_attrs(pf_h5id g, const split_set *set, int s, pf_error *err)
{
    uint64_t n = 0, rejected[PF_REJECT_COUNT] = {0};
    char name[64];
    for (size_t i = 0; i < set->n; i++) {
        n += set->v[i].info.n;
        for (int r = 0; r < PF_REJECT_COUNT; r++)
            rejected[r] += set->v[i].info.rejected[r];
    }
    if (pf_h5_attr_str(g, "split", split_names[s], err) ||
        pf_h5_attr_u64(g, "n_examples", n, err) || pf_h5_attr_u64(g, "n_shards", set->n, err))
        return -1;
    for (int r = 0; r < PF_REJECT_COUNT; r++) {
        snprintf(name, sizeof name, "rejected_%s", pf_reject_names[r]);
        if (pf_h5_attr_u64(g, name, rejected[r], err)) return -1;
    }
    return 0;
}

/** Write group /<split> with its virtual datasets (spectrogram, audio, labels/<name>). */
static int write_split(pf_h5id f, const index_build *b, int s, pf_error *err)
{
    const split_set *set = &b->splits[s];
    char *path = pf_path_dup(b->dir, set->v[0].name), **names = NULL;
    pf_h5id src = pf_h5_open(path, 0, err), g = PF_H5_NONE, lg = PF_H5_NONE;
    size_t n = 0;
    int rc = src < 0 || (g = pf_h5_group_create(f, split_names[s], err)) < 0 ||
             split_attrs(g, set, s, err) ||
             (b->first->info.store_spec != PF_SPEC_STORE_NONE &&
              vds_one(g, src, set, "spectrogram", err)) ||
             (b->first->info.audio_len && vds_one(g, src, set, "audio", err)) ||
             (lg = pf_h5_group_create(g, "labels", err)) < 0 ||
             pf_h5_list(src, "labels", &names, &n, err);
    char label[96];
    for (size_t i = 0; i < n; i++) {
        snprintf(label, sizeof label, "labels/%s", names[i]);
        rc = rc || vds_one(g, src, set, label, err);
        free(names[i]);
    }
    free(names);
    pf_h5_close(lg);
    pf_h5_close(g);
    pf_h5_close(src);
    free(path);
    return rc ? -1 : 0;
}

void pf_stats_normalize(const double *const sums[4], const uint64_t *count, size_t pb,
                        float *const out[4])
{
    for (size_t i = 0; i < pb; i++) {
        double c = count[i] ? (double)count[i] : 1.0;
        double m = sums[0][i] / c, lm = sums[2][i] / c;
        out[0][i] = (float)m;
        out[1][i] = (float)sqrt(fmax(0.0, sums[1][i] / c - m * m));
        out[2][i] = (float)lm;
        out[3][i] = (float)sqrt(fmax(0.0, sums[3][i] / c - lm * lm));
    }
}

/** Write /stats: per-bin mean, std, log_mean, log_std (float32) and count of the train split,
 *  shaped [bins] (or [planes, bins] for complex spectrograms). */
static int write_stats(pf_h5id f, const index_build *b, pf_error *err)
{
    size_t pb = b->pb;
    float *out[4];
    for (int k = 0; k < 4; k++)
        out[k] = pf_calloc(pb, sizeof(float));
    const double *sums[4] = {b->sum, b->sumsq, b->log_sum, b->log_sumsq};
    pf_stats_normalize(sums, b->count, pb, out);
    static const char *const names[4] = {"mean", "std", "log_mean", "log_std"};
    uint64_t dims[2] = {b->first->info.planes, b->first->info.bins};
    int rank = dims[0] == 1 ? 1 : 2;
    pf_h5id g = pf_h5_group_create(f, "stats", err), ft = pf_h5_type(PF_H5_F32);
    pf_h5id ut = pf_h5_type(PF_H5_U64);
    int rc = g < 0 ? -1 : 0;
    for (int k = 0; k < 5 && !rc; k++) {
        pf_h5id ds = pf_h5_dset_create(g, k < 4 ? names[k] : "count", k < 4 ? ft : ut, rank,
                                       dims + 2 - rank, NULL, err);
        rc = ds < 0 ||
             pf_h5_dset_write(ds, k < 4 ? ft : ut, k < 4 ? (void *)out[k] : (void *)b->count, err);
        pf_h5_close(ds);
    }
    pf_h5_close(ft);
    pf_h5_close(ut);
    pf_h5_close(g);
    for (int k = 0; k < 4; k++)
        free(out[k]);
    return rc ? -1 : 0;
}

/** A /checksums row in memory. */
typedef struct checksum_row {
    const char *shard;
    char sha256[64];
} checksum_row;

/** Write /checksums: a compound table {shard: vlen UTF-8 string, sha256: 64-byte string}. */
static int write_checksums(pf_h5id f, const index_build *b, size_t n_shards, pf_error *err)
{
    checksum_row *rows = pf_calloc(n_shards ? n_shards : 1, sizeof *rows);
    size_t k = 0;
    for (int s = 0; s < N_SPLITS; s++)
        for (size_t i = 0; i < b->splits[s].n; i++, k++) {
            rows[k].shard = b->splits[s].v[i].name;
            memcpy(rows[k].sha256, b->splits[s].v[i].sha256, 64);
        }
    pf_h5id ct = pf_h5_type_compound(sizeof(checksum_row));
    pf_h5id vs = pf_h5_type_str(0), fs = pf_h5_type_str(64);
    int rc = pf_h5_type_insert(ct, "shard", offsetof(checksum_row, shard), vs, err) ||
             pf_h5_type_insert(ct, "sha256", offsetof(checksum_row, sha256), fs, err) ||
             pf_h5_write_1d(f, "checksums", ct, n_shards, rows, err);
    pf_h5_close(ct);
    pf_h5_close(vs);
    pf_h5_close(fs);
    free(rows);
    return rc ? -1 : 0;
}

/** Fill @p rep from the shards and write the dataset-wide counts on the root @p f. */
static int write_counts(pf_h5id f, const index_build *b, pf_index_report *rep, pf_error *err)
{
    char name[64];
    memset(rep, 0, sizeof *rep);
    for (int s = 0; s < N_SPLITS; s++) {
        for (size_t i = 0; i < b->splits[s].n; i++) {
            rep->examples[s] += b->splits[s].v[i].info.n;
            for (int r = 0; r < PF_REJECT_COUNT; r++)
                rep->rejected[r] += b->splits[s].v[i].info.rejected[r];
        }
        rep->shards += b->splits[s].n;
        snprintf(name, sizeof name, "n_examples_%s", split_names[s]);
        if (pf_h5_attr_u64(f, name, rep->examples[s], err)) return -1;
        snprintf(name, sizeof name, "n_shards_%s", split_names[s]);
        if (pf_h5_attr_u64(f, name, b->splits[s].n, err)) return -1;
    }
    for (int r = 0; r < PF_REJECT_COUNT; r++) {
        snprintf(name, sizeof name, "rejected_%s", pf_reject_names[r]);
        if (pf_h5_attr_u64(f, name, rep->rejected[r], err)) return -1;
    }
    return pf_h5_attr_str(f, "schema", PF_DATASET_SCHEMA, err);
}

/** Copy the first shard's root attributes, less the per-shard ones. */
static int copy_root_attrs(pf_h5id f, const index_build *b, pf_error *err)
{
    static const char *const skip[] = {
        "schema",        "split",           "shard_index",      "shard_count",
        "n_examples",    "rejected_silent", "rejected_clipped", "rejected_nonfinite",
        "rejected_pitch"};
    char *path = pf_path_dup(b->dir, b->first->name);
    pf_h5id src = pf_h5_open(path, 0, err);
    int rc = src < 0 || pf_h5_attr_copy_all(src, f, skip, sizeof skip / sizeof skip[0], err);
    pf_h5_close(src);
    free(path);
    return rc ? -1 : 0;
}

/** The axes, units and descriptions of dataset.h5 (the grid from the root attributes). */
static int describe_index(pf_h5id f, const index_build *b, pf_error *err)
{
    const pf_shard_info *in = &b->first->info;
    pf_axes a = {.bins = in->bins, .frames = in->frames, .planes = in->planes, .mode = in->mode,
                 .scaling = in->scaling};
    int rc = pf_h5_attr_read_num(f, "sample_rate", PF_H5_F64, &a.rate_hz, err) ||
             pf_h5_attr_read_num(f, "stft_length", PF_H5_I32, &a.length, err) ||
             pf_h5_attr_read_num(f, "stft_overlap", PF_H5_I32, &a.overlap, err) ||
             pf_h5_attr_read_num(f, "stft_nfft", PF_H5_I32, &a.nfft, err) ||
             pf_describe_axes(f, &a, err);
    for (int s = 0; s < N_SPLITS && !rc; s++)
        rc = b->splits[s].n && pf_describe_data(f, split_names[s], &a, err);
    return rc || (b->splits[0].n && pf_describe_stats(f, &a, 1, err)) ||
                   pf_h5_describe(f, "checksums", "none", "sha256 (hex) of every shard file, as "
                                  "'pitchforge verify' checks them", err)
               ? -1
               : 0;
}

/** Write everything into the open temp file @p f. */
static int write_index(pf_h5id f, const index_build *b, pf_index_report *rep, pf_error *err)
{
    if (copy_root_attrs(f, b, err) || write_counts(f, b, rep, err)) return -1;
    for (int s = 0; s < N_SPLITS; s++)
        if (b->splits[s].n && write_split(f, b, s, err)) return -1;
    if (b->splits[0].n && write_stats(f, b, err)) return -1;
    return write_checksums(f, b, rep->shards, err) || describe_index(f, b, err) ? -1 : 0;
}

/** Free a build's memory. */
static void build_release(index_build *b)
{
    for (int s = 0; s < N_SPLITS; s++)
        free(b->splits[s].v);
    free(b->sum);
    free(b->sumsq);
    free(b->log_sum);
    free(b->log_sumsq);
    free(b->count);
    free(b->manifest_sha256);
}

/** Write DIR/dataset.h5 through DIR/dataset.h5.tmp. */
static int publish_index(const index_build *b, pf_index_report *rep, pf_error *err)
{
    size_t len = strlen(b->dir) + sizeof "/dataset.h5.tmp";
    char *path = pf_malloc(len), *tmp = pf_malloc(len);
    snprintf(path, len, "%s/dataset.h5", b->dir);
    snprintf(tmp, len, "%s/dataset.h5.tmp", b->dir);
    pf_h5id f = pf_h5_create(tmp, err);
    int rc = f < 0 ? -1 : write_index(f, b, rep, err);
    if (!rc)
        rc = pf_h5_publish(f, tmp, path, err);
    else
        pf_h5_close(f);
    if (rc) unlink(tmp);
    free(path);
    free(tmp);
    return rc;
}

int pf_index_build(const char *dir, pf_index_report *rep, pf_error *err)
{
    return pf_index_build_with(dir, NULL, 0, rep, err);
}

int pf_index_build_with(const char *dir, const pf_shard_digest *known, size_t n_known,
                        pf_index_report *rep, pf_error *err)
{
    pf_index_report local;
    if (!dir) return PF_FAIL(err, PF_EINVAL, "pf_index_build: NULL folder");
    index_build b = {.dir = dir};
    int rc = scan_dir(&b, err);
    for (int s = 0; s < N_SPLITS && !rc; s++)
        rc = check_complete(&b, s, err);
    if (!rc && !b.splits[0].n && !b.splits[1].n && !b.splits[2].n)
        rc = PF_FAIL(err, PF_EIO, "%s holds no shards ({split}-NNNNN-of-MMMMM.h5)", dir);
    rc = rc || hash_shards(&b, known, n_known, err) || check_unique(&b, err);
    pf_h5_lock();
    rc = rc || read_shards(&b, err) || check_ids(&b, err) ||
         publish_index(&b, rep ? rep : &local, err);
    pf_h5_unlock();
    build_release(&b);
    return rc ? -1 : 0;
}
