/* generate's workers: one thread each, with its own synth, resampler and FFT plans; shard jobs
 * taken in turn; the progress line. */
#include <stdio.h>
#include <string.h>

#include "core/interrupt.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "core/util.h"
#include "generate/generate_int.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/generate.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"

void pf_run_progress(run *r, int final)
{
    if (!r->opts->progress) return;
    size_t done = atomic_load(&r->notes_done), total = r->pending_notes;
    size_t kept = atomic_load(&r->examples_done), rejected = atomic_load(&r->rejected_done);
    double el = pf_now_s() - r->t0, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr,
            "\rgenerate: %zu/%zu notes (%.0f%%)  %zu examples, %.0f/s  %zu rejected  ETA %.0fs   ",
            done, total, total ? 100.0 * (double)done / (double)total : 100.0, kept,
            el > 0 ? (double)kept / el : 0, rejected, eta);
    if (final) fputc('\n', stderr);
}

/* A worker finished a note: add its examples and rejections since the last note to the run's
 * counts, and redraw the progress line every 64 notes. */
static void note_done(worker *w)
{
    size_t kept = 0, rejected = 0;
    for (int s = 0; s < PF_SPLIT_COUNT; s++)
        kept += w->examples[s];
    for (int k = 0; k < PF_REJECT_COUNT; k++)
        rejected += (size_t)w->rejected[k];
    atomic_fetch_add(&w->r->examples_done, kept - w->kept_seen);
    atomic_fetch_add(&w->r->rejected_done, rejected - w->rejected_seen);
    w->kept_seen = kept, w->rejected_seen = rejected;
    if (atomic_fetch_add(&w->r->notes_done, 1) % 64 == 63) pf_run_progress(w->r, 0);
}

/* Keep the digest of a shard just committed, for the index. */
static void record_digest(run *r, const pf_shard_digest *d)
{
    pthread_mutex_lock(&r->lock);
    r->digests = pf_reallocarray(r->digests, r->n_digests + 1, sizeof *r->digests);
    r->digests[r->n_digests++] = *d;
    pthread_mutex_unlock(&r->lock);
}

static int process_shard(worker *w, const pf_shard_job *job)
{
    run *r = w->r;
    char path[4096];
    if (pf_run_shard_path(r, job, path, sizeof path))
        return PF_FAIL(&w->err, PF_EINVAL, "output path too long: %s", r->m->output);
    pf_shard_meta meta = r->meta;
    meta.split = pf_split_names[job->split];
    meta.shard_index = job->index;
    meta.shard_count = job->count;
    pf_shard_writer *sw = pf_shard_create(path, &meta, &w->err);
    if (!sw) return -1;
    for (size_t i = 0; i < job->n; i++) {
        if (pf_interrupted() && !atomic_load(&r->failed))
            PF_FAIL(&w->err, PF_EINTR, "interrupted");
        if (atomic_load(&r->failed) || pf_interrupted() ||
            pf_worker_note(w, &r->plan->notes[r->plan->order[job->first + i]], sw)) {
            pf_shard_abort(sw); /* its temporary file goes: a shard is whole or absent */
            return -1;
        }
        note_done(w);
    }
    pf_shard_digest d;
    pf_shard_name(job, d.name, sizeof d.name);
    if (pf_shard_commit(sw, d.sha256, &w->err)) return -1;
    record_digest(r, &d);
    return 0;
}

static void worker_merge(run *r, worker *w)
{
    pthread_mutex_lock(&r->lock);
    pf_generate_report *rep = r->rep;
    for (int i = 0; i < PF_REJECT_COUNT; i++)
        rep->rejected[i] += w->rejected[i];
    for (int i = 0; i < PF_SPLIT_COUNT; i++)
        rep->examples[i] += w->examples[i];
    for (int i = 0; i < 3; i++)
        rep->per_kind[i] += w->per_kind[i];
    rep->stages.render += w->t.render, rep->stages.resample += w->t.resample;
    rep->stages.audit += w->t.audit, rep->stages.augment += w->t.augment;
    rep->stages.stft += w->t.stft, rep->stages.write += w->t.write;
    if (w->err.code && !r->err->code) *r->err = w->err;
    pthread_mutex_unlock(&r->lock);
}

/* One worker (part t of nt, pf_parallel_run): shard jobs in turn until none is left. */
static void worker_main(void *arg, int t, int nt)
{
    (void)t, (void)nt;
    run *r = arg;
    worker w;
    int rc = pf_worker_init(&w, r);
    while (!rc) {
        size_t j = atomic_fetch_add(&r->next_job, 1);
        if (j >= r->n_jobs || atomic_load(&r->failed)) break;
        if (pf_interrupted()) { /* between shards: nothing to remove */
            rc = PF_FAIL(&w.err, PF_EINTR, "interrupted");
            break;
        }
        rc = process_shard(&w, &r->plan->shards[r->jobs[j]]);
    }
    if (rc) atomic_store(&r->failed, 1);
    worker_merge(r, &w);
    pf_worker_release(&w);
}

/* Run the shard jobs on opts->jobs threads (the calling thread counts as one). */
int pf_run_workers(run *r)
{
    pf_parallel_run(r->opts->jobs, worker_main, r);
    return atomic_load(&r->failed) ? -1 : 0;
}
