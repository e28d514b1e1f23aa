/* checkpoint.h5: weights, optimizer moments, counters and config, written via temp + rename. */
#include "train/checkpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "io/h5.h"
#include "pitchforge/train.h"
#include "pitchforge/version.h"
#include "train/loader.h"
#include "pitchforge/error.h"

static int write_arrays(pf_h5id f, const pf_checkpoint *ck, pf_error *err)
{
    pf_h5id t = pf_h5_type(PF_H5_F32), g = PF_H5_NONE;
    int rc = pf_h5_write_1d(f, "params", t, ck->n_params, ck->params, err) ||
                     (g = pf_h5_group_create(f, "optimizer", err)) < 0 ||
                     pf_h5_write_1d(g, "m", t, ck->n_params, ck->m, err) ||
                     pf_h5_write_1d(g, "v", t, ck->n_params, ck->v, err)
                 ? -1
                 : 0;
    pf_h5_close(g);
    pf_h5_close(t);
    return rc;
}

static int write_attrs(pf_h5id f, const pf_checkpoint *ck, pf_error *err)
{
    return pf_h5_attr_str(f, "schema", PF_CHECKPOINT_SCHEMA, err) ||
                   pf_h5_attr_str(f, "generator_version", "pitchforge " PF_VERSION, err) ||
                   pf_h5_attr_i64(f, "epoch", ck->epoch, err) ||
                   pf_h5_attr_u64(f, "step", ck->step, err) ||
                   pf_h5_attr_u64(f, "batch", ck->batch, err) ||
                   pf_h5_attr_f64(f, "epoch_loss_sum", ck->loss_sum, err) ||
                   pf_h5_attr_u64(f, "epoch_examples", ck->loss_examples, err) ||
                   pf_h5_attr_u64(f, "seed", ck->seed, err) ||
                   pf_h5_attr_u64(f, "rng_stream_shuffle", PF_STREAM_TRAIN_SHUFFLE, err) ||
                   pf_h5_attr_u64(f, "rng_stream_step", PF_STREAM_TRAIN_STEP, err) ||
                   pf_h5_attr_u64(f, "n_params", ck->n_params, err) ||
                   pf_h5_attr_str(f, "config", ck->config_text ? ck->config_text : "", err) ||
                   (ck->init_sha256 && pf_h5_attr_str(f, "init_sha256", ck->init_sha256, err)) ||
                   (ck->threads > 0 && pf_h5_attr_i64(f, "train_threads", ck->threads, err)) ||
                   (ck->ranks > 1 && pf_h5_attr_i64(f, "train_ranks", ck->ranks, err))
               ? -1
               : 0;
}

static int save_unlocked(const char *path, const pf_checkpoint *ck, pf_error *err)
{
    size_t len = strlen(path) + 5;
    char *tmp = pf_malloc(len);
    snprintf(tmp, len, "%s.tmp", path);
    pf_h5id f = pf_h5_create(tmp, err);
    int rc = f < 0 ? -1 : 0;
    if (!rc && (write_attrs(f, ck, err) || write_arrays(f, ck, err))) {
        pf_h5_close_file(f, NULL);
        rc = -1;
    }
    if (!rc)
        rc = pf_h5_publish(f, tmp, path, err);
    if (rc)
        unlink(tmp);
    free(tmp);
    return rc ? pf_error_prefix(err, "checkpoint %s", path) : 0;
}

int pf_checkpoint_save(const char *path, const pf_checkpoint *ck, pf_error *err)
{
    pf_h5_lock();
    int rc = save_unlocked(path, ck, err);
    pf_h5_unlock();
    return rc;
}

/* Read float dataset @p name of exactly @p n values into a new array. */
static float *read_array(pf_h5id f, const char *name, size_t n, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = pf_h5_dset_open(f, name, err), t = pf_h5_type(PF_H5_F32);
    float *v = NULL;
    if (ds >= 0 && !pf_h5_dset_shape(ds, &rank, d, err)) {
        if (rank != 1 || d[0] != n)
            PF_FAIL(err, PF_ESCHEMA, "/%s is not [%zu]", name, n);
        else if (v = pf_calloc(n ? n : 1, sizeof *v), pf_h5_dset_read(ds, t, v, err))
            free(v), v = NULL;
    }
    pf_h5_close(t);
    pf_h5_close(ds);
    return v;
}

/* The schema before the position inside an epoch was stored: read with batch 0. */
#define SCHEMA_V1 "pitchforge-checkpoint/1"

/* 2 for the current schema, 1 for SCHEMA_V1, else -1 with @p err filled. */
static int check_schema(pf_h5id f, const char *path, pf_error *err)
{
    char *s = pf_h5_attr_exists(f, "schema") ? pf_h5_attr_read_str(f, "schema", NULL) : NULL;
    int rc = s && !strcmp(s, PF_CHECKPOINT_SCHEMA) ? 2 : s && !strcmp(s, SCHEMA_V1) ? 1 : 0;
    if (!rc)
        rc = PF_FAIL(err, PF_ESCHEMA, "%s has schema '%s', not %s: train from the start (without "
                     "--resume) or resume with the pitchforge release that wrote it",
                     path, s ? s : "(none)", PF_CHECKPOINT_SCHEMA);
    free(s);
    return rc;
}

static int load_unlocked(pf_h5id f, const char *path, pf_checkpoint *ck, pf_error *err)
{
    int64_t epoch;
    uint64_t n;
    int version = check_schema(f, path, err);
    if (version < 0 || pf_h5_attr_read_num(f, "epoch", PF_H5_I64, &epoch, err) ||
        pf_h5_attr_read_num(f, "step", PF_H5_U64, &ck->step, err) ||
        pf_h5_attr_read_num(f, "seed", PF_H5_U64, &ck->seed, err) ||
        pf_h5_attr_read_num(f, "n_params", PF_H5_U64, &n, err) ||
        !(ck->config_text = pf_h5_attr_read_str(f, "config", err)) ||
        (pf_h5_attr_exists(f, "init_sha256") &&
         !(ck->init_sha256 = pf_h5_attr_read_str(f, "init_sha256", err))))
        return -1;
    if (version >= 2 && (pf_h5_attr_read_num(f, "batch", PF_H5_U64, &ck->batch, err) ||
                         pf_h5_attr_read_num(f, "epoch_loss_sum", PF_H5_F64, &ck->loss_sum, err) ||
                         pf_h5_attr_read_num(f, "epoch_examples", PF_H5_U64, &ck->loss_examples,
                                             err)))
        return -1;
    if (pf_h5_attr_exists(f, "train_threads") &&
        pf_h5_attr_read_num(f, "train_threads", PF_H5_I32, &ck->threads, err))
        return -1;
    if (pf_h5_attr_exists(f, "train_ranks") &&
        pf_h5_attr_read_num(f, "train_ranks", PF_H5_I32, &ck->ranks, err))
        return -1;
    ck->epoch = (int)epoch;
    ck->n_params = (size_t)n;
    if (!(ck->params = read_array(f, "params", ck->n_params, err)) ||
        !(ck->m = read_array(f, "optimizer/m", ck->n_params, err)) ||
        !(ck->v = read_array(f, "optimizer/v", ck->n_params, err)))
        return -1;
    return 0;
}

int pf_checkpoint_load(const char *path, pf_checkpoint *ck, pf_error *err)
{
    memset(ck, 0, sizeof *ck);
    if (access(path, F_OK))
        return PF_FAIL(err, PF_EIO, "%s: no checkpoint to resume from (train without --resume)",
                       path);
    pf_h5_lock();
    pf_h5id f = pf_h5_open(path, 0, err);
    int rc = f < 0 ? -1 : load_unlocked(f, path, ck, err);
    pf_h5_close(f);
    pf_h5_unlock();
    return rc && f >= 0 && err && !strstr(err->msg, path) ? pf_error_prefix(err, "%s", path) : rc;
}

void pf_checkpoint_release(pf_checkpoint *ck)
{
    if (!ck)
        return;
    free(ck->params);
    free(ck->init_sha256);
    free(ck->m);
    free(ck->v);
    free(ck->config_text);
    memset(ck, 0, sizeof *ck);
}
