/* generate: manifest -> plan -> shards (on every core) -> dataset.h5 and the dataset card.
 * The stages, in the order a run meets them: plan.c, meta.c, shards.c, worker.c, example.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
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

int pf_generate(const pf_manifest *m, const pf_generate_opts *opts, pf_generate_report *rep,
                pf_error *err)
{
    memset(rep, 0, sizeof *rep);
    pf_plan plan = {0};
    run r = {.m = m, .plan = &plan, .opts = opts, .rep = rep, .err = err, .t0 = pf_now_s()};
    pthread_mutex_init(&r.lock, NULL);
    sf_hash h = {.r = &r};
    pthread_t hasher;
    int threaded = pthread_create(&hasher, NULL, hash_main, &h) == 0;
    int rc = pf_generate_plan(m, opts->jobs > 0 ? opts->jobs : 1, &plan, rep, err);
    if (!rc) rc = pf_mkdirs(m->output, err);
    if (threaded)
        pthread_join(hasher, NULL);
    else
        hash_main(&h);
    if (!rc && h.rc) rc = (*err = h.err, -1);
    if (!rc) {
        pf_run_meta_init(&r);
        pf_run_select_jobs(&r);
        rc = pf_run_check_space(&r);
    }
    if (!rc) {
        pf_run_remove_stale(&r);
        rep->notes = r.pending_notes;
        rep->shards_made = r.n_jobs;
        rc = pf_run_workers(&r);
        pf_run_progress(&r, 1);
    }
    if (!rc && opts->parts == 0) rc = finish(&r);
    rep->seconds = pf_now_s() - r.t0;
    run_release(&r);
    pf_plan_release(&plan);
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
