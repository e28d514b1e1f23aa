/* eval's frame metrics: every spectrogram column of every example is a frame, its label the
 * f0_frames value, scored with mir_eval's metrics (src/eval/melody.c) overall, per segment kind
 * and per source; the estimator today is YIN on a window around each column of the stored
 * audio (the model's per-column estimates will go through pf_eval_frames_add the same way). */
#include "pitchforge/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "eval/eval_int.h"
#include "pitchforge/dataset.h"
#include "pitchforge/shard.h"
#include "pitchforge/yin.h"

#define FRAME_BATCH 64 /* examples read and analysed at a time */

/* ---- scores ---- */

void pf_eval_frames_add(pf_eval_frames *f, const pf_label *labels, const float *ref_hz,
                        const double *est_hz, const unsigned char *est_voiced, size_t n,
                        size_t frames)
{
    double *ref = pf_calloc(frames + 1, sizeof *ref);
    for (size_t i = 0; i < n; i++) {
        const double *e = est_hz + i * frames;
        const unsigned char *v = est_voiced ? est_voiced + i * frames : NULL;
        for (size_t k = 0; k < frames; k++)
            ref[k] = ref_hz[i * frames + k];
        pf_melody_count_hz(ref, e, v, frames, &f->count_all);
        pf_melody_count_hz(ref, e, v, frames, &f->count_segment[labels[i].segment % PF_SEG_COUNT]);
        pf_melody_count_hz(ref, e, v, frames, &f->count_source[labels[i].source != PF_SOURCE_NOTE]);
    }
    free(ref);
}

void pf_eval_frames_finish(pf_eval_frames *f)
{
    pf_melody_scores_from(&f->count_all, &f->all);
    for (int s = 0; s < PF_SEG_COUNT; s++)
        pf_melody_scores_from(&f->count_segment[s], &f->segment[s]);
    for (int s = 0; s < 2; s++)
        pf_melody_scores_from(&f->count_source[s], &f->source[s]);
}

/* ---- YIN per column ---- */

/* The columns of a split's examples and YIN's window around each. */
typedef struct col_grid {
    size_t audio_len, frames;
    size_t first, hop; /* column k is centred at sample first + k * hop */
    size_t win;        /* YIN's window, samples */
} col_grid;

/* One batch of examples' audio and YIN's estimate at every column, split over threads. */
typedef struct col_job {
    const col_grid *g;
    const float *audio; /* [rows][audio_len] */
    size_t rows;
    double *est;    /* [rows][frames] out: Hz, 0 unvoiced */
    pf_yin **yin;   /* [nt] one per thread */
    pf_error *errs; /* [nt] */
    int *failed;    /* [nt] */
} col_job;

/* First sample of the window around column @p k: centred, shifted inside the segment. */
static size_t window_start(const col_grid *g, size_t k)
{
    size_t c = g->first + k * g->hop, at = c > g->win / 2 ? c - g->win / 2 : 0;
    return at + g->win > g->audio_len ? g->audio_len - g->win : at;
}

static void col_part(void *arg, int t, int nt)
{
    col_job *j = arg;
    const col_grid *g = j->g;
    for (size_t r = (size_t)t; r < j->rows && !j->failed[t]; r += (size_t)nt)
        for (size_t k = 0; k < g->frames; k++) {
            const float *x = j->audio + r * g->audio_len + window_start(g, k);
            if (pf_yin_estimate(j->yin[t], x, g->win, &j->est[r * g->frames + k], NULL,
                                &j->errs[t])) {
                j->failed[t] = 1;
                break;
            }
        }
}

/* A root attribute of @p dataset as a number. */
static int attr_number(const char *dataset, const char *name, double *out, pf_error *err)
{
    char *text = NULL;
    if (pf_shard_attr_text(dataset, name, &text, err)) return -1;
    char *end;
    *out = strtod(text, &end);
    int bad = end == text;
    free(text);
    return bad ? PF_FAIL(err, PF_ESCHEMA, "%s: attribute %s is not a number", dataset, name) : 0;
}

/* The column grid of @p info from the dataset's STFT attributes (docs/shard-format.md). */
static int grid_read(const char *dataset, const pf_shard_info *info, col_grid *g, double *rate_hz,
                     pf_error *err)
{
    double len, overlap;
    if (attr_number(dataset, "stft_length", &len, err) ||
        attr_number(dataset, "stft_overlap", &overlap, err) ||
        attr_number(dataset, "sample_rate", rate_hz, err))
        return -1;
    if (!(len > overlap) || !(overlap >= 0) || !(*rate_hz > 0))
        return PF_FAIL(err, PF_ESCHEMA, "%s: stft_length %g, stft_overlap %g, sample_rate %g",
                       dataset, len, overlap, *rate_hz);
    *g = (col_grid){.audio_len = info->audio_len,
                    .frames = info->frames,
                    .first = (size_t)len / 2,
                    .hop = (size_t)(len - overlap)};
    g->win = (size_t)llround(PF_EVAL_FRAME_WINDOW_S * *rate_hz);
    g->win = g->win < g->audio_len ? g->win : g->audio_len;
    return 0;
}

/* YIN's track at every column of rows [first, first + rows): read, then analyse in parallel. */
static int yin_batch(const char *dataset, const char *split, size_t first, col_job *j, int nt,
                     pf_error *err)
{
    if (pf_dataset_read_audio(dataset, split, first, j->rows, (float *)j->audio,
                              j->g->audio_len, err)) return -1;
    memset(j->failed, 0, (size_t)nt * sizeof *j->failed);
    pf_parallel_run(nt, col_part, j);
    for (int t = 0; t < nt; t++)
        if (j->failed[t]) {
            *err = j->errs[t];
            return -1;
        }
    return 0;
}

/* Everything the frame pass holds: the threads' YIN, one batch's buffers. */
typedef struct frame_pass {
    col_grid g;
    col_job job;
    int nt;
    double rate_hz;
    float *ref; /* [FRAME_BATCH][frames] */
} frame_pass;

static int pass_init(frame_pass *p, const pf_shard_info *info, const char *dataset, int threads,
                     pf_error *err)
{
    memset(p, 0, sizeof *p);
    p->rate_hz = 1;
    if (grid_read(dataset, info, &p->g, &p->rate_hz, err)) return -1;
    p->nt = threads < 1 ? 1 : threads > FRAME_BATCH ? FRAME_BATCH : threads;
    p->job = (col_job){.g = &p->g};
    p->job.yin = pf_calloc((size_t)p->nt, sizeof *p->job.yin);
    p->job.errs = pf_calloc((size_t)p->nt, sizeof *p->job.errs);
    p->job.failed = pf_calloc((size_t)p->nt, sizeof *p->job.failed);
    p->job.audio = pf_calloc(FRAME_BATCH * p->g.audio_len, sizeof(float));
    p->job.est = pf_calloc(FRAME_BATCH * p->g.frames, sizeof(double));
    p->ref = pf_calloc(FRAME_BATCH * p->g.frames, sizeof *p->ref);
    for (int t = 0; t < p->nt; t++) {
        p->job.yin[t] = pf_yin_new(p->g.win, p->rate_hz, PF_AUDIT_FMIN_HZ, PF_AUDIT_FMAX_HZ, err);
        if (!p->job.yin[t]) return -1;
    }
    return 0;
}

static void pass_free(frame_pass *p)
{
    for (int t = 0; p->job.yin && t < p->nt; t++)
        pf_yin_free(p->job.yin[t]);
    free(p->job.yin);
    free(p->job.errs);
    free(p->job.failed);
    free((float *)p->job.audio);
    free(p->job.est);
    free(p->ref);
}

int pf_eval_frames_yin(const char *dataset, const char *split, const pf_label *labels, size_t n,
                       int threads, pf_eval_progress_fn progress, void *ctx, pf_eval_frames *f,
                       pf_error *err)
{
    pf_shard_info info;
    frame_pass p;
    memset(f, 0, sizeof *f);
    if (pf_dataset_split_info_read(dataset, split, &info, err)) return -1;
    int rc = pass_init(&p, &info, dataset, threads, err);
    for (size_t first = 0; !rc && first < n; first += FRAME_BATCH) {
        p.job.rows = n - first < FRAME_BATCH ? n - first : FRAME_BATCH;
        rc = pf_dataset_read_f0_frames(dataset, split, first, p.job.rows, p.ref, p.g.frames, err) ||
             yin_batch(dataset, split, first, &p.job, p.nt, err);
        if (!rc)
            pf_eval_frames_add(f, labels + first, p.ref, p.job.est, NULL, p.job.rows, p.g.frames);
        if (progress) progress(ctx, "frames (YIN per column)", first + p.job.rows, n);
    }
    pass_free(&p);
    f->window_s = (double)p.g.win / p.rate_hz;
    if (!rc) pf_eval_frames_finish(f);
    return rc;
}
