/* The training data loader: shards by hyperslab, seeded order, one batch prefetched. */
#include "train/loader.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "io/h5.h"
#include "store/schema.h"
#include "store/specsrc.h"
#include "pitchforge/rng.h"
#include "pitchforge/shard.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/plan.h"
#include "pitchforge/spectrogram.h"

/** One shard of the split: its examples are split indices [first, first + n). */
typedef struct shard {
    char *path;
    pf_h5id file;
    pf_spec_source *src; /**< its spectrograms (stored, widened from float16, or from /audio) */
    size_t first, n;
    double *sumsq;       /**< [planes * bins] its /stats/sumsq: no value x of bin b has x² above */
} shard;

/** A batch buffer shared with the prefetch thread. */
typedef struct slot {
    float *x;    /**< [cap][ex_size]: this part's rows of the batch */
    size_t *idx; /**< [batch] split index of every row of the whole batch */
    size_t rows, all, lo; /**< this part's rows [lo, lo + rows) of the batch's all */
    int full, failed;
    pf_error err;
} slot;

struct pf_loader {
    char *dataset;
    char *manifest_sha256;   /**< dataset.h5's: every shard must carry it */
    char split[16];
    shard *shards;
    size_t n_shards;
    size_t n, ex_size;       /**< examples, floats per example */
    int planes, bins, frames, batch, log_input;
    int part, parts;         /**< this process's part of every batch (pf_loader_set_part) */
    size_t cap;              /**< rows of a part: ceil(batch / parts) */
    double eq_db;            /**< random EQ level (0: off) */
    uint64_t seed, epoch;    /**< of the current pass (the EQ curves' key) */
    float *eq;               /**< [bins] the prefetch thread's curve buffer */
    double *f0;              /**< [n] */
    float *f0_frames;        /**< [n][frames] after pf_loader_read_frames, else NULL */
    float *mean, *std;       /**< [planes * bins] */
    size_t *order;           /**< [n] this pass */
    size_t n_batches, taken; /**< batches per pass, batches handed out (or skipped) */
    size_t first_batch;      /**< the pass starts here (pf_loader_start_at) */
    slot slots[2];
    int held;                /**< slot the consumer holds, -1 none */
    pthread_t thread;
    int running, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* ---- opening ---- */

/* The folder of @p path ("." when it has none). */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return pf_strdup(".");
    char *d = pf_malloc((size_t)(slash - path) + 2);
    snprintf(d, (size_t)(slash - path) + 2, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    return d;
}

/* Read float32 dataset @p name of @p f (any shape) into a new array; its length to *@p len. */
static float *read_floats(pf_h5id f, const char *name, size_t *len, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = pf_h5_dset_open(f, name, err), t = pf_h5_type(PF_H5_F32);
    float *v = NULL;
    if (ds >= 0 && !pf_h5_dset_shape(ds, &rank, d, err)) {
        size_t n = 1;
        for (int i = 0; i < rank; i++)
            n *= (size_t)d[i];
        v = pf_calloc(n ? n : 1, sizeof *v);
        *len = n;
        if (pf_h5_dset_read(ds, t, v, err))
            free(v), v = NULL;
    }
    pf_h5_close(t);
    pf_h5_close(ds);
    return v;
}

/* Schema, split group, shard count and normalization stats of the index. */
static int index_read(pf_loader *l, pf_h5id f, size_t *n_shards, pf_error *err)
{
    if (pf_schema_check(f, l->dataset, PF_DATASET_SCHEMA, err) ||
        pf_dataset_check_sources(f, l->dataset, l->split, err))
        return -1;
    int rc;
    if (!pf_h5_attr_exists(f, "manifest_sha256") ||
        !(l->manifest_sha256 = pf_h5_attr_read_str(f, "manifest_sha256", err)))
        return PF_FAIL(err, PF_ESCHEMA, "%s has no manifest_sha256 attribute (rebuild it: "
                       "pitchforge index DIR)", l->dataset);
    if (!pf_h5_exists(f, l->split))
        return PF_FAIL(err, PF_ESCHEMA, "%s has no %s split (no examples went to it?)", l->dataset,
                       l->split);
    uint64_t ns = 0;
    pf_h5id g = pf_h5_group_open(f, l->split, err);
    rc = g < 0 || pf_h5_attr_read_num(g, "n_shards", PF_H5_U64, &ns, err) ? -1 : 0;
    pf_h5_close(g);
    if (rc)
        return pf_error_prefix(err, "%s", l->dataset);
    if (ns > PF_SHARDS_MAX) /* the count allocates: a damaged one must not */
        return PF_FAIL(err, PF_ESCHEMA, "%s: %s/n_shards is %llu, more than %d", l->dataset,
                       l->split, (unsigned long long)ns, PF_SHARDS_MAX);
    *n_shards = (size_t)ns;
    size_t n1, n2;
    const char *m = l->log_input ? "stats/log_mean" : "stats/mean";
    const char *s = l->log_input ? "stats/log_std" : "stats/std";
    if (!pf_h5_exists(f, m) || !pf_h5_exists(f, s))
        return PF_FAIL(err, PF_ESCHEMA, "%s has no /%s (a dataset without a train split?)",
                       l->dataset, m);
    if (!(l->mean = read_floats(f, m, &n1, err)) || !(l->std = read_floats(f, s, &n2, err)))
        return pf_error_prefix(err, "%s", l->dataset);
    if (n1 != n2)
        return PF_FAIL(err, PF_ESCHEMA, "%s: /%s and /%s differ in size", l->dataset, m, s);
    for (size_t i = 0; i < n2; i++)
        l->std[i] = l->std[i] > 0 ? l->std[i] : 1.0f;
    l->ex_size = n1; /* planes * bins for now; checked against the shards */
    return 0;
}

/* Read /stats/sumsq of the open shard @p sh: [planes * bins] finite values >= 0, the bound of
 * every value read from it (a value's square is one term of its bin's sum). */
static int shard_bound(const pf_loader *l, shard *sh, pf_error *err)
{
    size_t len = 0, pb = (size_t)l->planes * (size_t)l->bins;
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = pf_h5_exists(sh->file, "stats/sumsq") ? pf_h5_dset_open(sh->file, "stats/sumsq", err)
                                                       : PF_H5_NONE;
    pf_h5id t = pf_h5_type(PF_H5_F64);
    int rc = ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) || rank != 1 || (len = d[0]) != pb
                 ? PF_FAIL(err, PF_ESCHEMA, "/stats/sumsq is missing or not [%zu]", pb)
                 : 0;
    sh->sumsq = pf_calloc(pb ? pb : 1, sizeof *sh->sumsq);
    rc = rc || pf_h5_dset_read(ds, t, sh->sumsq, err);
    for (size_t b = 0; b < len && !rc; b++)
        if (!(sh->sumsq[b] >= 0 && sh->sumsq[b] < INFINITY))
            rc = PF_FAIL(err, PF_ESCHEMA, "/stats/sumsq bin %zu holds %g (damaged? run "
                         "pitchforge verify)", b, sh->sumsq[b]);
    pf_h5_close(t);
    pf_h5_close(ds);
    return rc ? -1 : 0;
}

/* Open the shard file at @p sh->path, check it against the index (manifest hash, name and
 * attributes, /stats/sumsq) and open its spectrograms. */
static int shard_open(pf_loader *l, shard *sh, pf_error *err)
{
    pf_shard_info info;
    if (access(sh->path, F_OK))
        return PF_FAIL(err, PF_EIO, "%s: shard %s of the %s split is missing (pitchforge verify "
                       "tells what else is)", l->dataset, sh->path, l->split);
    if (pf_shard_info_read(sh->path, &info, err))
        return -1;
    if (l->planes == 0)
        l->planes = (int)info.planes, l->bins = (int)info.bins, l->frames = (int)info.frames;
    if ((int)info.planes != l->planes || (int)info.bins != l->bins || (int)info.frames != l->frames)
        return PF_FAIL(err, PF_ESCHEMA, "%s: spectrograms of %zux%zux%zu, others are %dx%dx%d",
                       sh->path, info.planes, info.bins, info.frames, l->planes, l->bins,
                       l->frames);
    sh->n = info.n;
    pf_h5_lock();
    sh->file = pf_h5_open(sh->path, 0, err);
    int rc = sh->file < 0 ||
             pf_shard_check_attrs(sh->file, sh->path, l->manifest_sha256, err) ||
             shard_bound(l, sh, err) ||
             !(sh->src = pf_spec_source_open(sh->file, sh->file, err));
    pf_h5_unlock();
    return rc ? pf_error_prefix(err, "%s", sh->path) : 0;
}

/* Read the f0 labels of @p sh into l->f0 at its first example (those under the limit). */
static int shard_labels(pf_loader *l, const shard *sh, size_t total, pf_error *err)
{
    double *f0 = pf_calloc(sh->n ? sh->n : 1, sizeof *f0);
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5_lock();
    pf_h5id ds = pf_h5_dset_open(sh->file, "labels/f0_hz", err), t = pf_h5_type(PF_H5_F64);
    int rc = ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) ? -1 : 0;
    if (!rc && (rank != 1 || d[0] != sh->n))
        rc = PF_FAIL(err, PF_ESCHEMA, "labels/f0_hz is not [%zu]", sh->n);
    if (!rc && sh->n)
        rc = pf_h5_dset_read(ds, t, f0, err);
    pf_h5_close(t);
    pf_h5_close(ds);
    pf_h5_unlock();
    for (size_t i = 0; !rc && i < sh->n && sh->first + i < total; i++)
        l->f0[sh->first + i] = f0[i];
    free(f0);
    return rc ? pf_error_prefix(err, "%s", sh->path) : 0;
}

/* No example_id in two shards of the split (a shard copied over another, even renamed). */
static int split_ids(const pf_loader *l, pf_error *err)
{
    pf_id_set set = {0};
    const char **names = pf_calloc(l->n_shards ? l->n_shards : 1, sizeof *names);
    int rc = 0;
    pf_h5_lock();
    for (size_t i = 0; i < l->n_shards && !rc; i++) {
        names[i] = l->shards[i].path;
        rc = pf_id_set_add(&set, l->shards[i].file, i, err) ? pf_error_prefix(err, "%s", names[i])
                                                             : 0;
    }
    pf_h5_unlock();
    rc = rc || pf_id_set_check(&set, names, err) ? -1 : 0;
    pf_id_set_release(&set);
    free(names);
    return rc ? pf_error_prefix(err, "%s", l->dataset) : 0;
}

/* Open every shard of the split; count examples; read labels. */
static int shards_open(pf_loader *l, size_t n_shards, size_t limit, pf_error *err)
{
    char *dir = dir_of(l->dataset);
    size_t len = strlen(dir) + 64, total = 0, norm = l->ex_size;
    l->shards = pf_calloc(n_shards ? n_shards : 1, sizeof *l->shards);
    int rc = 0;
    for (size_t i = 0; i < n_shards && !rc; i++) {
        shard *sh = &l->shards[i];
        *sh = (shard){.path = pf_malloc(len), .file = PF_H5_NONE, .first = total};
        snprintf(sh->path, len, "%s/%s-%05zu-of-%05zu.h5", dir, l->split, i, n_shards);
        l->n_shards = i + 1;
        rc = shard_open(l, sh, err);
        total += sh->n;
    }
    free(dir);
    if (rc || split_ids(l, err))
        return -1;
    if (total == 0)
        return PF_FAIL(err, PF_ESCHEMA, "%s: the %s split has no examples", l->dataset, l->split);
    if ((size_t)l->planes * (size_t)l->bins != norm)
        return PF_FAIL(err, PF_ESCHEMA, "%s: /stats has %zu values, the spectrograms %d x %d bins",
                       l->dataset, norm, l->planes, l->bins);
    l->n = limit && limit < total ? limit : total;
    l->f0 = pf_calloc(l->n, sizeof *l->f0);
    for (size_t i = 0; i < l->n_shards && !rc; i++)
        rc = l->shards[i].first < l->n ? shard_labels(l, &l->shards[i], l->n, err) : 0;
    return rc;
}

static void slots_alloc(pf_loader *l)
{
    for (int k = 0; k < 2; k++) {
        size_t n;
        if (pf_mul_size(l->ex_size, l->cap, &n))
            abort();
        free(l->slots[k].x), free(l->slots[k].idx);
        l->slots[k].x = pf_calloc(n, sizeof(float));
        l->slots[k].idx = pf_calloc((size_t)l->batch, sizeof(size_t));
    }
}

pf_loader *pf_loader_open(const char *dataset, const char *split, size_t limit, int batch,
                          int log_input, pf_error *err)
{
    if (!dataset || !split || strlen(split) >= 16 || batch < 1)
        return PF_FAIL(err, PF_EINVAL, "pf_loader_open: bad argument"), NULL;
    if (access(dataset, F_OK))
        return PF_FAIL(err, PF_EIO, "%s: no such dataset (make one with pitchforge generate "
                       "MANIFEST)", dataset), NULL;
    pf_loader *l = pf_calloc(1, sizeof *l);
    l->dataset = pf_strdup(dataset);
    snprintf(l->split, sizeof l->split, "%s", split);
    l->batch = batch, l->log_input = log_input, l->held = -1;
    l->part = 0, l->parts = 1, l->cap = (size_t)batch;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    size_t n_shards = 0;
    pf_h5_lock();
    pf_h5id f = pf_h5_open(dataset, 0, err);
    int rc = f < 0 ? -1 : index_read(l, f, &n_shards, err);
    pf_h5_close(f);
    pf_h5_unlock();
    if (rc || shards_open(l, n_shards, limit, err)) {
        pf_loader_free(l);
        return NULL;
    }
    l->ex_size = (size_t)l->planes * (size_t)l->bins * (size_t)l->frames;
    l->n_batches = (l->n + (size_t)batch - 1) / (size_t)batch;
    l->order = pf_calloc(l->n, sizeof *l->order);
    slots_alloc(l);
    return l;
}

/* ---- the pass ---- */

/* The shard holding split index @p i (binary search on `first`). */
static const shard *shard_of(const pf_loader *l, size_t i)
{
    size_t lo = 0, hi = l->n_shards;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (l->shards[mid].first <= i)
            lo = mid;
        else
            hi = mid;
    }
    return &l->shards[lo];
}

void pf_loader_eq_curve(uint64_t seed, uint64_t epoch, uint64_t idx, double eq_db, int bins,
                        float *g)
{
    pf_rng r;
    pf_rng_init(&r, seed, PF_STREAM_TRAIN_EQ, epoch << 40 | idx);
    double level = pf_rng_range(&r, 0, eq_db), amp[PF_EQ_TERMS], phase[PF_EQ_TERMS], peak = 0;
    for (int k = 0; k < PF_EQ_TERMS; k++) {
        amp[k] = pf_rng_range(&r, -1, 1) / (k + 1);
        phase[k] = pf_rng_range(&r, 0, 2 * M_PI);
    }
    double span = bins > 1 ? bins - 1 : 1;
    for (int b = 0; b < bins; b++) {
        double c = 0;
        for (int k = 0; k < PF_EQ_TERMS; k++)
            c += amp[k] * cos(M_PI * (k + 1) * b / span + phase[k]);
        g[b] = (float)c;
        peak = fabs(c) > peak ? fabs(c) : peak;
    }
    double scale = peak > 0 ? level * M_LN10 / 20 / peak : 0; /* dB -> nepers */
    for (int b = 0; b < bins; b++)
        g[b] = (float)(g[b] * scale);
}

/* Compress, filter by the example's random EQ (when on) and normalize example @p idx in place;
 * -1 when a value is not finite. */
static int transform(const pf_loader *l, size_t idx, float *x)
{
    size_t rows = (size_t)l->planes * (size_t)l->bins, w = (size_t)l->frames;
    int bad = 0;
    for (size_t i = 0; i < l->ex_size; i++)
        bad |= !isfinite(x[i]); /* before the vectorized log, which maps NaN to numbers */
    if (l->log_input) {
        for (size_t i = 0; i < l->ex_size; i++)
            x[i] = fabsf(x[i]);
        pf_ln_eps(x, l->ex_size);
    }
    if (l->eq_db > 0) pf_loader_eq_curve(l->seed, l->epoch, idx, l->eq_db, l->bins, l->eq);
    for (size_t r = 0; r < rows; r++) {
        float m = l->mean[r], sd = l->std[r], *row = x + r * w;
        if (l->eq_db > 0) {
            float g = l->eq[r % (size_t)l->bins], gain = expf(g);
            for (size_t j = 0; j < w; j++)
                row[j] = l->log_input ? row[j] + g : row[j] * gain;
        }
        for (size_t j = 0; j < w; j++) {
            row[j] = (row[j] - m) / sd; /* as pf_model_prepare_input: the same bits */
            bad |= !isfinite(row[j]);
        }
    }
    return bad ? -1 : 0;
}

/* The first value of example @p x (as read from shard @p sh) whose square exceeds its bin's
 * /stats/sumsq (by more than a few ulps: a spectrogram computed again from /audio), or NaN;
 * -1 when none does. */
static long out_of_bound(const pf_loader *l, const shard *sh, const float *x)
{
    size_t w = (size_t)l->frames, rows = (size_t)l->planes * (size_t)l->bins;
    for (size_t r = 0; r < rows; r++) {
        double bound = sh->sumsq[r] * (1 + 1e-5);
        for (size_t j = 0; j < w; j++) {
            double v = x[r * w + j];
            if (!(v * v <= bound)) return (long)(r * w + j);
        }
    }
    return -1;
}

/* Read and prepare example @p i of the split into @p x. */
static int read_example(pf_loader *l, size_t i, float *x, pf_error *err)
{
    const shard *sh = shard_of(l, i);
    if (pf_spec_source_read(sh->src, i - sh->first, 1, x, err))
        return pf_error_prefix(err, "%s: example %zu of /spectrogram", sh->path, i - sh->first);
    long bad = out_of_bound(l, sh, x);
    if (bad >= 0)
        return PF_FAIL(err, PF_ESCHEMA, "%s: example %zu of /spectrogram holds %g at bin %ld, "
                       "frame %ld: not finite, or beyond the shard's /stats/sumsq (|x| <= %g "
                       "there); the data changed after it was written (run pitchforge verify)", sh->path,
                       i - sh->first, x[bad], bad / l->frames, bad % l->frames,
                       sqrt(sh->sumsq[bad / l->frames]));
    if (transform(l, i, x))
        return PF_FAIL(err, PF_ESCHEMA, "%s: example %zu of /spectrogram holds a value that is "
                       "not finite (damaged? run pitchforge verify)", sh->path, i - sh->first);
    return 0;
}

void pf_loader_part_rows(size_t all, int part, int parts, size_t *lo, size_t *rows)
{
    *lo = all * (size_t)part / (size_t)parts;
    *rows = all * (size_t)(part + 1) / (size_t)parts - *lo;
}

/* Batch @p b: the split indices of all its rows, the examples of this part's. */
static void fill(pf_loader *l, size_t b, slot *s)
{
    size_t first = b * (size_t)l->batch, all = l->n - first;
    all = all < (size_t)l->batch ? all : (size_t)l->batch;
    pf_loader_part_rows(all, l->part, l->parts, &s->lo, &s->rows);
    s->all = all, s->failed = 0;
    for (size_t r = 0; r < all; r++)
        s->idx[r] = l->order[first + r];
    for (size_t r = 0; r < s->rows && !s->failed; r++)
        s->failed = read_example(l, s->idx[s->lo + r], s->x + r * l->ex_size, &s->err) != 0;
    memset(s->x + s->rows * l->ex_size, 0, (l->cap - s->rows) * l->ex_size * sizeof(float));
}

static void *prefetch(void *arg)
{
    pf_loader *l = arg;
    for (size_t b = l->first_batch; b < l->n_batches; b++) {
        slot *s = &l->slots[b % 2];
        pthread_mutex_lock(&l->mu);
        while (s->full && !l->stop)
            pthread_cond_wait(&l->cv, &l->mu);
        int stop = l->stop;
        pthread_mutex_unlock(&l->mu);
        if (stop)
            break;
        fill(l, b, s);
        pthread_mutex_lock(&l->mu);
        s->full = 1;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        if (s->failed)
            break;
    }
    return NULL;
}

static void pass_stop(pf_loader *l)
{
    if (!l->running)
        return;
    pthread_mutex_lock(&l->mu);
    l->stop = 1;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    pthread_join(l->thread, NULL);
    l->running = l->stop = 0;
    l->slots[0].full = l->slots[1].full = 0;
    l->held = -1;
}

void pf_loader_set_eq(pf_loader *l, double eq_db)
{
    pass_stop(l);
    l->eq_db = eq_db > 0 ? eq_db : 0;
    if (!l->eq) l->eq = pf_calloc((size_t)l->bins, sizeof *l->eq);
}

void pf_loader_start(pf_loader *l, uint64_t seed, uint64_t epoch, int shuffle)
{
    pf_loader_start_at(l, seed, epoch, shuffle, 0);
}

void pf_loader_start_at(pf_loader *l, uint64_t seed, uint64_t epoch, int shuffle, size_t batch)
{
    pass_stop(l);
    l->seed = seed, l->epoch = epoch;
    for (size_t i = 0; i < l->n; i++)
        l->order[i] = i;
    if (shuffle) {
        pf_rng r;
        pf_rng_init(&r, seed, PF_STREAM_TRAIN_SHUFFLE, epoch);
        for (size_t i = l->n; i > 1; i--) {
            size_t j = (size_t)pf_rng_below(&r, i), t = l->order[i - 1];
            l->order[i - 1] = l->order[j];
            l->order[j] = t;
        }
    }
    l->taken = l->first_batch = batch < l->n_batches ? batch : l->n_batches;
    if (pthread_create(&l->thread, NULL, prefetch, l))
        abort();
    l->running = 1;
}

int pf_loader_next(pf_loader *l, const float **x, const size_t **idx, size_t *rows,
                   pf_error *err)
{
    pthread_mutex_lock(&l->mu);
    if (l->held >= 0) {
        l->slots[l->held].full = 0;
        pthread_cond_broadcast(&l->cv);
        l->held = -1;
    }
    if (!l->running || l->taken >= l->n_batches) {
        pthread_mutex_unlock(&l->mu);
        return 0;
    }
    slot *s = &l->slots[l->taken % 2];
    while (!s->full)
        pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
    if (s->failed) {
        if (err)
            *err = s->err;
        l->taken = l->n_batches;
        return -1;
    }
    l->held = (int)(l->taken++ % 2);
    *x = s->x, *idx = s->idx + s->lo, *rows = s->rows;
    return 1;
}

void pf_loader_batch_all(const pf_loader *l, const size_t **idx, size_t *all)
{
    const slot *s = l->held >= 0 ? &l->slots[l->held] : NULL;
    *idx = s ? s->idx : NULL;
    *all = s ? s->all : 0;
}

void pf_loader_set_part(pf_loader *l, int part, int parts)
{
    pass_stop(l);
    l->parts = parts > 1 ? parts : 1;
    l->part = part >= 0 && part < l->parts ? part : 0;
    l->cap = ((size_t)l->batch + (size_t)l->parts - 1) / (size_t)l->parts;
    slots_alloc(l);
}

size_t pf_loader_part_cap(const pf_loader *l) { return l->cap; }

/* ---- accessors, free ---- */

size_t pf_loader_size(const pf_loader *l) { return l->n; }
size_t pf_loader_batches(const pf_loader *l) { return l->n_batches; }
const double *pf_loader_f0(const pf_loader *l) { return l->f0; }
const float *pf_loader_f0_frames(const pf_loader *l) { return l->f0_frames; }

int pf_loader_read_frames(pf_loader *l, pf_error *err)
{
    size_t fr = (size_t)l->frames;
    free(l->f0_frames);
    l->f0_frames = pf_calloc(l->n * fr + 1, sizeof *l->f0_frames);
    for (size_t i = 0; i < l->n_shards && l->shards[i].first < l->n; i++) {
        const shard *sh = &l->shards[i];
        size_t count = sh->n < l->n - sh->first ? sh->n : l->n - sh->first;
        if (pf_shard_read_f0_frames(sh->path, 0, count, l->f0_frames + sh->first * fr, err))
            return -1;
    }
    return 0;
}
double *pf_loader_f0_mut(pf_loader *l) { return l->f0; }
const float *pf_loader_norm_mean(const pf_loader *l) { return l->mean; }
const float *pf_loader_norm_std(const pf_loader *l) { return l->std; }
size_t pf_loader_norm_len(const pf_loader *l) { return (size_t)l->planes * (size_t)l->bins; }

int pf_loader_set_norm(pf_loader *l, const float *mean, const float *std, size_t len, pf_error *err)
{
    if (len != pf_loader_norm_len(l))
        return PF_FAIL(err, PF_EINVAL, "normalization of %zu bins for %s, whose examples have %zu",
                       len, l->dataset, pf_loader_norm_len(l));
    for (size_t i = 0; i < len; i++) {
        l->mean[i] = mean[i];
        l->std[i] = std[i] > 0 ? std[i] : 1.0f;
    }
    return 0;
}

void pf_loader_shape(const pf_loader *l, int *c, int *h, int *w)
{
    *c = l->planes, *h = l->bins, *w = l->frames;
}

void pf_loader_free(pf_loader *l)
{
    if (!l)
        return;
    pass_stop(l);
    pf_h5_lock();
    for (size_t i = 0; i < l->n_shards; i++) {
        pf_spec_source_free(l->shards[i].src);
        pf_h5_close(l->shards[i].file);
        free(l->shards[i].path);
        free(l->shards[i].sumsq);
    }
    pf_h5_unlock();
    free(l->f0_frames);
    for (int k = 0; k < 2; k++)
        free(l->slots[k].x), free(l->slots[k].idx);
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    free(l->shards);
    free(l->dataset);
    free(l->manifest_sha256);
    free(l->f0);
    free(l->mean);
    free(l->std);
    free(l->eq);
    free(l->order);
    free(l);
}
