/* generate: manifest -> plan -> shards (on every core) -> dataset.h5 and the dataset card.
 * The stages, in the order a run meets them: plan.c, meta.c, shards.c, worker.c, example.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/interrupt.h"
#include "core/lock.h"
#include "core/util.h"
#include "generate/generate_int.h"
#include "pitchforge/card.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/generate.h"
#include "pitchforge/manifest.h"
#include "pitchforge/plan.h"

static int finish(run *r);

/* Soundfont hashing on its own thread, overlapping the plan (FluidR3 is 141 MB). */
typedef struct sf_hash {
    run *r;
    pf_error err;
    int rc;
} sf_hash;

static void *hash_main(void *arg)
{
    sf_hash *h = arg;
    h->rc = pf_run_hash_soundfonts(h->r, &h->err);
    return NULL;
}

static void run_release(run *r)
{
    for (size_t i = 0; r->sf_sha && i < r->m->n_soundfonts; i++)
        free(r->sf_sha[i]);
    free(r->sf_sha);
    free((void *)r->meta.soundfont_ids);
    free(r->jobs);
    free(r->digests);
    free(r->excluded_keys);
    pthread_mutex_destroy(&r->lock);
}

/* Interrupted (pf_interrupted): say in @p err what the folder keeps. */
static int interrupted(const run *r, pf_error *err)
{
    return PF_FAIL(err, PF_EINTR, "interrupted (signal %d): %zu of this run's %zu shards are "
                   "whole in %s (%zu made now, %zu kept from before); the shards being written "
                   "were removed", pf_interrupted(), r->n_digests + r->rep->shards_kept,
                   r->n_jobs + r->rep->shards_kept, r->m->output, r->n_digests,
                   r->rep->shards_kept);
}

/* The shards, once the plan and the soundfonts' hashes are there: refuse to destroy what the
 * folder holds unless asked, then make this run's shards. */
static int make_shards(run *r)
{
    if (pf_run_check_output(r, r->err)) return -1;
    pf_run_meta_init(r);
    pf_run_select_jobs(r);
    if (pf_run_check_space(r)) return -1;
    pf_run_remove_stale(r);
    r->rep->notes = r->pending_notes;
    r->rep->shards_made = r->n_jobs;
    int rc = pf_interrupted() ? -1 : pf_run_workers(r);
    pf_run_progress(r, 1);
    if (rc && pf_interrupted()) return interrupted(r, r->err);
    return rc;
}

/* Make the output folder and lock it against other runs (core/lock.h). */
static int take_folder(const pf_manifest *m, const pf_generate_opts *opts, pf_dir_lock **lock,
                       pf_error *err)
{
    if (pf_mkdirs(m->output, err)) return -1;
    *lock = pf_dir_lock_take(m->output, opts->part, opts->parts, opts->command, err);
    return *lock ? 0 : -1;
}

int pf_generate(const pf_manifest *m, const pf_generate_opts *opts, pf_generate_report *rep,
                pf_error *err)
{
    memset(rep, 0, sizeof *rep);
    pf_dir_lock *lock = NULL; /* an existing folder at once; a new one once the plan stands */
    if (access(m->output, F_OK) == 0 && take_folder(m, opts, &lock, err)) return -1;
    pf_plan plan = {0};
    run r = {.m = m, .plan = &plan, .opts = opts, .rep = rep, .err = err, .t0 = pf_now_s()};
    pthread_mutex_init(&r.lock, NULL);
    sf_hash h = {.r = &r};
    pthread_t hasher;
    int threaded = pthread_create(&hasher, NULL, hash_main, &h) == 0;
    int rc = pf_generate_plan(m, opts->jobs > 0 ? opts->jobs : 1, &plan, rep, err);
    if (threaded)
        pthread_join(hasher, NULL);
    else
        hash_main(&h);
    if (!rc && h.rc) rc = (*err = h.err, -1);
    if (!rc && !lock) rc = take_folder(m, opts, &lock, err);
    if (!rc && pf_interrupted()) rc = interrupted(&r, err);
    if (!rc) rc = make_shards(&r);
    if (!rc && opts->parts == 0) rc = finish(&r);
    rep->seconds = pf_now_s() - r.t0;
    run_release(&r);
    pf_plan_release(&plan);
    pf_dir_unlock(lock);
    return rc;
}

void pf_generate_report_release(pf_generate_report *rep)
{
    if (!rep) return;
    free(rep->excluded_keys);
    free(rep->excluded_key_names);
    rep->excluded_keys = NULL, rep->excluded_key_names = NULL, rep->n_excluded_keys = 0;
}

/* After every shard: the card (staged first, so that a failure changes neither), dataset.h5,
 * and the totals of the whole dataset. */
static int finish(run *r)
{
    pf_index_report ir;
    pf_card_counts cc;
    const char *dir = r->m->output;
    int rc = pf_card_stage(dir, r->opts->command, pf_now_s() - r->t0, &cc, r->err) ||
             pf_index_build_with(dir, r->digests, r->n_digests, &ir, r->err);
    if (pf_card_publish(dir, !rc, r->err) || rc) return -1;
    memcpy(r->rep->examples, cc.examples, sizeof cc.examples);
    memcpy(r->rep->per_kind, cc.per_kind, sizeof cc.per_kind);
    memcpy(r->rep->per_source, cc.per_source, sizeof cc.per_source);
    memcpy(r->rep->rejected, cc.rejected, sizeof cc.rejected);
    return 0;
}
