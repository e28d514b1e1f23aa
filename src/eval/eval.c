/* eval: a model and YIN on every example of a split; scores overall and per group; a chart. */
#include "core/fs.h"
#include "core/util.h"
#include "pitchforge/eval.h"
#include "eval/eval_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "pitchforge/manifest.h"
#include "pitchforge/nn.h"
#include "pitchforge/plot.h"
#include "pitchforge/predict.h"
#include "pitchforge/shard.h"
#include "pitchforge/train.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/pitch.h"
#include "pitchforge/estimator.h"

#define EVAL_BATCH 32
static const double tolerances[3] = {50, 25, 10};

/* ---- scores ---- */

/* Signed cents of @p est against @p ref, or nan when unvoiced (est 0). */
static double cents_error(double est, double ref)
{
    return est > 0 ? pf_cents(est, ref) : NAN;
}

/* |cents error|, infinite when unvoiced (so it counts as wrong at every tolerance). */
static double abs_cents_error(double est, double ref)
{
    double e = cents_error(est, ref);
    return isnan(e) ? INFINITY : fabs(e);
}

static double percentile(const double *sorted, size_t n, double q)
{
    if (!n)
        return NAN;
    size_t k = (size_t)ceil(q * (double)n) - (q > 0);
    return sorted[k < n ? k : n - 1];
}

void pf_scores_compute(const double *est, const double *ref, size_t n, pf_scores *s)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    double *abs_err = pf_calloc(n + 1, sizeof *abs_err), mae = 0;
    size_t voiced = 0, octave = 0;
    for (size_t i = 0; i < n; i++) {
        double e = cents_error(est[i], ref[i]);
        abs_err[i] = est[i] > 0 ? fabs(e) : INFINITY;
        if (!(est[i] > 0))
            continue;
        voiced++;
        mae += fabs(est[i] - ref[i]);
        double k = round(e / 1200.0);
        octave += k != 0 && fabs(e - 1200.0 * k) <= 50;
        for (int t = 0; t < 3; t++)
            s->rca[t] += fabs(e - 1200.0 * k) <= tolerances[t];
    }
    for (int t = 0; t < 3; t++) {
        for (size_t i = 0; i < n; i++)
            s->rpa[t] += abs_err[i] <= tolerances[t];
        s->rpa[t] /= n ? (double)n : 1;
        s->rca[t] /= n ? (double)n : 1;
    }
    qsort(abs_err, n, sizeof *abs_err, pf_cmp_double);
    s->cents_median = percentile(abs_err, n, 0.5);
    s->cents_p90 = percentile(abs_err, n, 0.9);
    s->cents_p99 = percentile(abs_err, n, 0.99);
    s->mae_hz = voiced ? mae / (double)voiced : NAN;
    s->octave_rate = n ? (double)octave / (double)n : 0;
    s->unvoiced_rate = n ? (double)(n - voiced) / (double)n : 0;
    free(abs_err);
}

/* ---- estimates ---- */

typedef struct eval_run {
    pf_estimator *estimator;
    pf_label *labels;
    size_t n;
    double *ref, *est, *yin;
    double *conf; /* the model's confidence per example */
    int has_yin; /* the split stores audio: YIN ran */
    int has_frames_model;         /* a frame-level model: its columns scored */
    pf_eval_frames frames_model;  /* ... here */
    pf_eval_progress_fn progress;
    void *progress_ctx;
} eval_run;

/* ---- the progress line ---- */

typedef struct progress_line {
    int on, shown;
    const char *stage;
    double t0; /* the stage's start */
} progress_line;

/* Redraw "eval: STAGE done/total examples (%) ETA" on stderr. */
static void progress_draw(void *ctx, const char *stage, size_t done, size_t total)
{
    progress_line *p = ctx;
    if (!p->on) return;
    if (p->stage != stage) p->stage = stage, p->t0 = pf_now_s();
    double el = pf_now_s() - p->t0, eta = done ? el * (double)(total - done) / (double)done : 0;
    fprintf(stderr, "\reval: %-24s %zu/%zu examples (%3.0f%%)  ETA %.0fs      ", stage, done, total,
            total ? 100.0 * (double)done / (double)total : 100.0, eta);
    p->shown = 1;
}

static void progress(const eval_run *e, const char *stage, size_t done)
{
    if (e->progress) e->progress(e->progress_ctx, stage, done, e->n);
}

/* The columns' loudness weights of @p rows examples (pf_columns_rms of their stored audio, as
 * predict weighs a file's), into @p rms [rows][w]; all 1 when the split stores no audio. */
static int column_weights(eval_run *e, const char *dataset, const char *split, size_t first,
                          size_t rows, size_t w, float *audio, size_t audio_len, double *rms,
                          pf_error *err)
{
    if (!audio_len) {
        for (size_t i = 0; i < rows * w; i++) rms[i] = 1;
        return 0;
    }
    if (pf_dataset_read_audio(dataset, split, first, rows, audio, audio_len, err)) return -1;
    pf_spec_config cfg = pf_model_spec_config(pf_estimator_meta(e->estimator));
    for (size_t r = 0; r < rows; r++)
        pf_columns_rms(audio + r * audio_len, audio_len, &cfg, w, rms + r * w);
    return 0;
}

/* A frame-level model: every column of every example scored against its f0_frames label (the
 * frame metrics), and each example's pitch pf_columns_pitch of its columns, weighted by their
 * loudness as predict weighs a file's (the note tables). */
static int model_frames(eval_run *e, const char *dataset, const char *split, pf_error *err)
{
    size_t in = pf_estimator_in_size(e->estimator), w = pf_estimator_frames(e->estimator);
    pf_shard_info info;
    if (pf_dataset_split_info_read(dataset, split, &info, err)) return -1;
    float *x = pf_calloc(EVAL_BATCH * in, sizeof *x), *ref = pf_calloc(EVAL_BATCH * w, sizeof *ref);
    float *audio = pf_calloc(EVAL_BATCH * info.audio_len + 1, sizeof *audio);
    double *f0 = pf_calloc(EVAL_BATCH * w, sizeof *f0), *cf = pf_calloc(EVAL_BATCH * w, sizeof *cf);
    double *rms = pf_calloc(EVAL_BATCH * w, sizeof *rms);
    unsigned char *voiced = pf_calloc(EVAL_BATCH * w, 1);
    double voicing = pf_estimator_voicing(e->estimator);
    int rc = 0;
    for (size_t first = 0; !rc && first < e->n; first += EVAL_BATCH) {
        size_t rows = e->n - first < EVAL_BATCH ? e->n - first : EVAL_BATCH;
        rc = pf_dataset_read_spectrograms(dataset, split, first, rows, x, in, err) ||
             pf_dataset_read_f0_frames(dataset, split, first, rows, ref, w, err) ||
             pf_estimator_run_frames(e->estimator, x, rows, f0, cf, NULL, err) ||
             column_weights(e, dataset, split, first, rows, w, audio, info.audio_len, rms, err);
        for (size_t i = 0; !rc && i < rows * w; i++)
            voiced[i] = cf[i] >= voicing;
        if (!rc) pf_eval_frames_add(&e->frames_model, e->labels + first, ref, f0, voiced, rows, w);
        for (size_t r = 0; !rc && r < rows; r++)
            pf_columns_pitch(f0 + r * w, cf + r * w, rms + r * w, w, voicing, &e->est[first + r],
                             &e->conf[first + r]);
        progress(e, "model", first + rows);
    }
    pf_eval_frames_finish(&e->frames_model);
    e->has_frames_model = !rc;
    free(x), free(ref), free(audio), free(f0), free(cf), free(rms), free(voiced);
    return rc;
}

/* The model's estimate of every example, batch by batch through dataset.h5. */
static int model_estimates(eval_run *e, const char *dataset, const char *split, pf_error *err)
{
    if (pf_estimator_frames(e->estimator)) return model_frames(e, dataset, split, err);
    size_t in = pf_estimator_in_size(e->estimator);
    float *x = pf_calloc(EVAL_BATCH * in, sizeof *x);
    int rc = 0;
    for (size_t first = 0; !rc && first < e->n; first += EVAL_BATCH) {
        size_t rows = e->n - first < EVAL_BATCH ? e->n - first : EVAL_BATCH;
        rc = pf_dataset_read_spectrograms(dataset, split, first, rows, x, in, err) ||
             pf_estimator_run(e->estimator, x, rows, e->est + first, e->conf + first, err);
        progress(e, "model", first + rows);
    }
    free(x);
    return rc;
}

/* On every example's stored audio: YIN's period weighed into the model's estimate (as predict
 * does), and YIN (the label audit's estimator) on its own; nothing when the split stores none
 * (a spectrogram-only dataset: the model is scored on its spectral estimate, alone). */
static int audio_estimates(eval_run *e, const char *dataset, const char *split, pf_error *err)
{
    pf_shard_info info;
    if (pf_dataset_split_info_read(dataset, split, &info, err))
        return -1;
    e->has_yin = info.audio_len > 0;
    if (!e->has_yin) return 0;
    float *a = pf_calloc(EVAL_BATCH * info.audio_len, sizeof *a);
    int rc = 0;
    for (size_t first = 0; !rc && first < e->n; first += EVAL_BATCH) {
        size_t rows = e->n - first < EVAL_BATCH ? e->n - first : EVAL_BATCH;
        rc = pf_dataset_read_audio(dataset, split, first, rows, a, info.audio_len, err) ||
             pf_estimator_refine_audio(e->estimator, a, info.audio_len, rows, e->est + first,
                                       e->yin + first, err);
        progress(e, "audio (YIN per example)", first + rows);
    }
    free(a);
    return rc;
}

/* ---- breakdowns ---- */

typedef void (*key_fn)(const pf_label *l, char *buf, size_t size);

static void key_octave(const pf_label *l, char *b, size_t n)
{
    snprintf(b, n, "octave %d", l->octave);
}
static void key_instrument(const pf_label *l, char *b, size_t n)
{
    snprintf(b, n, "%s", l->instrument ? l->instrument : "?");
}
static void key_segment(const pf_label *l, char *b, size_t n)
{
    snprintf(b, n, "%s", pf_segment_names[l->segment % PF_SEG_COUNT]);
}
static void key_velocity(const pf_label *l, char *b, size_t n)
{
    snprintf(b, n, "velocity %3d", l->velocity);
}

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const pf_eval_row *)a)->name, ((const pf_eval_row *)b)->name);
}

/* Group the examples by @p key and score each group for the model and YIN. */
static void breakdown(const eval_run *e, const char *by, key_fn key, pf_eval_table *t)
{
    char k[96];
    size_t *group = pf_calloc(e->n + 1, sizeof *group);
    t->by = by;
    for (size_t i = 0; i < e->n; i++) {
        key(&e->labels[i], k, sizeof k);
        size_t g = 0;
        while (g < t->n && strcmp(t->rows[g].name, k))
            g++;
        if (g == t->n) {
            t->rows = pf_reallocarray(t->rows, t->n + 1, sizeof *t->rows);
            memset(&t->rows[t->n], 0, sizeof *t->rows);
            snprintf(t->rows[t->n++].name, sizeof t->rows[0].name, "%s", k);
        }
        group[i] = g;
    }
    double *a = pf_calloc(3 * (e->n + 1), sizeof *a), *b = a + e->n + 1, *r = b + e->n + 1;
    for (size_t g = 0; g < t->n; g++) {
        size_t m = 0;
        for (size_t i = 0; i < e->n; i++)
            if (group[i] == g)
                a[m] = e->est[i], b[m] = e->yin[i], r[m++] = e->ref[i];
        pf_scores_compute(a, r, m, &t->rows[g].model);
        if (e->has_yin) pf_scores_compute(b, r, m, &t->rows[g].yin);
    }
    qsort(t->rows, t->n, sizeof *t->rows, cmp_row);
    free(a);
    free(group);
}

/* Median |cents error| per MIDI key, for the chart. */
static void per_key(const eval_run *e, const double *est, double *out)
{
    double *v = pf_calloc(e->n + 1, sizeof *v);
    for (int k = 0; k < 128; k++) {
        size_t m = 0;
        for (size_t i = 0; i < e->n; i++)
            if (e->labels[i].midi == k) v[m++] = abs_cents_error(est[i], e->ref[i]);
        qsort(v, m, sizeof *v, pf_cmp_double);
        out[k] = m ? percentile(v, m, 0.5) : NAN;
    }
    free(v);
}

/* Free the model; the labels and estimates move into @p r when it is given. */
static void eval_free(eval_run *e, pf_eval_result *r)
{
    if (r) r->voicing = e->estimator ? pf_estimator_voicing(e->estimator) : PF_FRAMES_VOICED;
    pf_estimator_free(e->estimator);
    free(e->ref);
    if (r) {
        r->n = e->n, r->labels = e->labels, r->est_hz = e->est, r->yin_hz = e->yin;
        r->confidence = e->conf;
        r->has_yin = e->has_yin;
        r->has_frames_model = e->has_frames_model, r->frames_model = e->frames_model;
        return;
    }
    pf_labels_free(e->labels, e->n);
    free(e->est);
    free(e->yin);
    free(e->conf);
}

/* The frame metrics, when the split stores audio for YIN to read. */
static int frame_metrics(eval_run *e, const char *dataset, const char *split, int threads,
                         pf_eval_result *r, pf_error *err)
{
    pf_shard_info info;
    if (!e->has_yin) return 0;
    if (pf_dataset_split_info_read(dataset, split, &info, err)) return -1;
    r->frames = info.frames;
    r->has_frames = 1;
    return pf_eval_frames_yin(dataset, split, e->labels, e->n, threads, e->progress,
                              e->progress_ctx, &r->frames_yin, err);
}

int pf_eval_run(const char *model_path, const char *dataset, const char *split, int threads,
                pf_eval_result *r, pf_error *err)
{
    pf_eval_opts o = {.model = model_path, .dataset = dataset, .split = split, .threads = threads};
    return pf_eval_run_opts(&o, r, err);
}

int pf_eval_run_opts(const pf_eval_opts *o, pf_eval_result *r, pf_error *err)
{
    const char *model_path = o->model, *dataset = o->dataset, *split = o->split;
    int threads = o->threads;
    memset(r, 0, sizeof *r);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    progress_line line = {.on = o->progress};
    eval_run e = {.progress = progress_draw, .progress_ctx = &line};
    snprintf(r->split, sizeof r->split, "%s", split);
    e.estimator = pf_estimator_new(model_path, EVAL_BATCH, threads, err);
    r->networks = e.estimator ? pf_estimator_members(e.estimator) : 0;
    int rc = e.estimator ? pf_dataset_read_labels(dataset, split, &e.labels, &e.n, err) : -1;
    if (!rc && e.n == 0)
        rc = PF_FAIL(err, PF_EINVAL, "%s: split %s is empty", dataset, split);
    if (!rc) {
        e.ref = pf_calloc(e.n, sizeof *e.ref);
        e.est = pf_calloc(e.n, sizeof *e.est);
        e.yin = pf_calloc(e.n, sizeof *e.yin);
        e.conf = pf_calloc(e.n, sizeof *e.conf);
        for (size_t i = 0; i < e.n; i++)
            e.ref[i] = e.labels[i].f0_hz;
        rc = model_estimates(&e, dataset, split, err) ||
             audio_estimates(&e, dataset, split, err) ||
             frame_metrics(&e, dataset, split, threads, r, err);
    }
    if (line.shown) fputc('\n', stderr);
    if (!rc) {
        static const char *const by[PF_EVAL_TABLES] = {"octave", "instrument", "segment",
                                                       "velocity"};
        static const key_fn keys[PF_EVAL_TABLES] = {key_octave, key_instrument, key_segment,
                                                    key_velocity};
        pf_scores_compute(e.est, e.ref, e.n, &r->model);
        if (e.has_yin) pf_scores_compute(e.yin, e.ref, e.n, &r->yin);
        for (int t = 0; t < PF_EVAL_TABLES; t++)
            breakdown(&e, by[t], keys[t], &r->tables[t]);
        r->midi_err_model = pf_calloc(128, sizeof(double));
        r->midi_err_yin = pf_calloc(128, sizeof(double));
        per_key(&e, e.est, r->midi_err_model);
        if (e.has_yin) per_key(&e, e.yin, r->midi_err_yin);
    }
    eval_free(&e, rc ? NULL : r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    return rc ? pf_error_prefix(err, "eval"), -1 : 0;
}

void pf_eval_release(pf_eval_result *r)
{
    if (!r)
        return;
    for (int t = 0; t < PF_EVAL_TABLES; t++)
        free(r->tables[t].rows);
    free(r->midi_err_model);
    free(r->midi_err_yin);
    pf_labels_free(r->labels, r->n);
    free(r->est_hz);
    free(r->yin_hz);
    free(r->confidence);
    memset(r, 0, sizeof *r);
}

/* ---- output ---- */

static void print_scores_row(FILE *out, const char *name, const pf_scores *s)
{
    fprintf(out, "%-44s %6zu %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %7.1f %7.1f %7.2f %6.2f%%\n",
            name, s->n, s->rpa[0], s->rpa[1], s->rpa[2], s->rca[0], s->rca[1], s->rca[2],
            s->cents_median, s->cents_p90, s->mae_hz, 100.0 * s->octave_rate);
}

static void print_header(FILE *out, const char *first)
{
    fprintf(out, "%-44s %6s %6s %6s %6s %6s %6s %6s %7s %7s %7s %7s\n", first, "n", "RPA50",
            "RPA25", "RPA10", "RCA50", "RCA25", "RCA10", "med c", "p90 c", "MAE Hz", "oct");
}

/* ---- frame metrics as text and JSON ---- */

static void print_frame_header(FILE *out, const char *first)
{
    fprintf(out, "%-44s %8s %8s %6s %6s %6s %6s %6s %6s %6s\n", first, "frames", "voiced", "VR",
            "VFA", "RPA50", "RPA25", "RPA10", "RCA50", "OA");
}

static void print_frame_row(FILE *out, const char *name, const pf_melody_scores *s)
{
    fprintf(out, "%-44s %8zu %8zu %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f\n", name, s->frames,
            s->voiced, s->vr, s->vfa, s->rpa[0], s->rpa[1], s->rpa[2], s->rca[0], s->oa[0]);
}

static const char *const source_groups[2] = {"notes", "negatives"};

/* The frame tables: YIN overall, per segment kind, per source. */
static void print_frames(const pf_eval_result *r, FILE *out)
{
    const pf_eval_frames *f = &r->frames_yin;
    fprintf(out, "\nframe metrics (mir_eval's: every column a frame, %zu per example, its f0_frames "
                 "label the reference; YIN on %.0f ms around each column, voiced when it finds a "
                 "period; a frame-level model voiced where its largest bin reaches %.2f, the "
                 "threshold its trainer chose on val)\n",
            r->frames, 1000 * f->window_s, r->voicing);
    print_frame_header(out, "estimator");
    if (r->has_frames_model) print_frame_row(out, "model", &r->frames_model.all);
    print_frame_row(out, "YIN (baseline)", &f->all);
    const pf_eval_frames *m = r->has_frames_model ? &r->frames_model : NULL;
    fprintf(out, "\nframes by segment (%s)\n", m ? "model, then YIN" : "YIN");
    print_frame_header(out, "segment");
    for (int k = 0; k < PF_SEG_COUNT; k++) {
        if (m && m->segment[k].frames) print_frame_row(out, pf_segment_names[k], &m->segment[k]);
        if (f->segment[k].frames)
            print_frame_row(out, m ? "  YIN" : pf_segment_names[k], &f->segment[k]);
    }
    fprintf(out, "\nframes by source (%s)\n", m ? "model, then YIN" : "YIN");
    print_frame_header(out, "source");
    for (int k = 0; k < 2; k++) {
        if (m && m->source[k].frames) print_frame_row(out, source_groups[k], &m->source[k]);
        if (f->source[k].frames) print_frame_row(out, m ? "  YIN" : source_groups[k], &f->source[k]);
    }
}

void pf_eval_json_melody(FILE *out, const pf_melody_scores *s)
{
    fprintf(out, "{\"frames\": %zu, \"voiced\": %zu, \"vr\": %.6f, \"vfa\": %.6f, \"rpa50\": %.6f, "
                 "\"rpa25\": %.6f, \"rpa10\": %.6f, \"rca50\": %.6f, \"rca25\": %.6f, "
                 "\"rca10\": %.6f, \"oa\": %.6f}",
            s->frames, s->voiced, s->vr, s->vfa, s->rpa[0], s->rpa[1], s->rpa[2], s->rca[0],
            s->rca[1], s->rca[2], s->oa[0]);
}

/* A named group's scores in a JSON array, present groups only. */
static void json_frame_groups(FILE *out, const char *key, const char *const *names,
                              const pf_melody_scores *s, int n)
{
    int first = 1;
    fputc('[', out);
    for (int k = 0; k < n; k++) {
        if (!s[k].frames) continue;
        fprintf(out, "%s{\"name\": \"%s\", \"%s\": ", first ? "" : ", ", names[k], key);
        pf_eval_json_melody(out, &s[k]);
        fputc('}', out);
        first = 0;
    }
    fputc(']', out);
}

/* ", \"frames\": {...}" or null when the frame metrics did not run. */
static void json_frames(FILE *out, const pf_eval_result *r)
{
    fprintf(out, ", \"frames\": ");
    if (!r->has_frames) {
        fprintf(out, "null");
        return;
    }
    const pf_eval_frames *f = &r->frames_yin;
    fprintf(out, "{\"definitions\": \"mir_eval.melody 0.7\", \"columns_per_example\": %zu, "
                 "\"yin_window_s\": %.4f, \"model\": ",
            r->frames, f->window_s);
    if (r->has_frames_model)
        pf_eval_json_melody(out, &r->frames_model.all);
    else
        fprintf(out, "null");
    fprintf(out, ", \"yin\": ");
    pf_eval_json_melody(out, &f->all);
    fprintf(out, ", \"by_segment\": ");
    json_frame_groups(out, "yin", pf_segment_names, f->segment, PF_SEG_COUNT);
    fprintf(out, ", \"by_source\": ");
    json_frame_groups(out, "yin", source_groups, f->source, 2);
    if (r->has_frames_model) {
        fprintf(out, ", \"model_voicing_threshold\": %.4f, \"model_by_segment\": ", r->voicing);
        json_frame_groups(out, "model", pf_segment_names, r->frames_model.segment, PF_SEG_COUNT);
        fprintf(out, ", \"model_by_source\": ");
        json_frame_groups(out, "model", source_groups, r->frames_model.source, 2);
    }
    fputc('}', out);
}

void pf_eval_print(const pf_eval_result *r, FILE *out)
{
    fprintf(out, "split %s: %zu examples (%.1f s); cents errors are |error|, unvoiced counts as "
                 "wrong\n",
            r->split, r->model.n, r->seconds);
    if (r->networks > 1)
        fprintf(out, "model: an ensemble of %zu networks, their probabilities averaged\n",
                r->networks);
    if (!r->has_yin)
        fprintf(out, "YIN baseline: not run, split %s stores no audio (store.audio)\n", r->split);
    fprintf(out, "\n");
    print_header(out, "estimator");
    print_scores_row(out, "model", &r->model);
    if (r->has_yin) print_scores_row(out, "YIN (baseline)", &r->yin);
    for (int t = 0; t < PF_EVAL_TABLES; t++) {
        const pf_eval_table *tb = &r->tables[t];
        fprintf(out, "\nby %s (%s)\n", tb->by,
                r->has_yin ? "model, then YIN on the same examples" : "model");
        print_header(out, tb->by);
        for (size_t i = 0; i < tb->n; i++) {
            print_scores_row(out, tb->rows[i].name, &tb->rows[i].model);
            if (r->has_yin) print_scores_row(out, "  YIN", &tb->rows[i].yin);
        }
    }
    if (r->has_frames) print_frames(r, out);
}

static void json_scores(FILE *out, const pf_scores *s)
{
    fprintf(out, "{\"n\": %zu, \"rpa50\": %.6f, \"rpa25\": %.6f, \"rpa10\": %.6f, \"rca50\": %.6f, "
                 "\"rca25\": %.6f, \"rca10\": %.6f, \"cents_median\": %.3f, \"cents_p90\": %.3f, "
                 "\"cents_p99\": %.3f, \"mae_hz\": %.4f, \"octave_error_rate\": %.6f, "
                 "\"unvoiced_rate\": %.6f}",
            s->n, s->rpa[0], s->rpa[1], s->rpa[2], s->rca[0], s->rca[1], s->rca[2],
            isfinite(s->cents_median) ? s->cents_median : -1,
            isfinite(s->cents_p90) ? s->cents_p90 : -1, isfinite(s->cents_p99) ? s->cents_p99 : -1,
            isfinite(s->mae_hz) ? s->mae_hz : -1, s->octave_rate, s->unvoiced_rate);
}

/* ", \"yin\": " and YIN's scores, or null when YIN did not run. */
static void json_yin(FILE *out, const pf_eval_result *r, const pf_scores *s)
{
    fprintf(out, ", \"yin\": ");
    if (r->has_yin)
        json_scores(out, s);
    else
        fprintf(out, "null");
}

void pf_eval_json(const pf_eval_result *r, FILE *out)
{
    fprintf(out, "{\"split\": ");
    pf_json_string(out, r->split);
    fprintf(out, ", \"seconds\": %.3f, \"networks\": %zu, \"model\": ", r->seconds, r->networks);
    json_scores(out, &r->model);
    json_yin(out, r, &r->yin);
    for (int t = 0; t < PF_EVAL_TABLES; t++) {
        fprintf(out, ", \"by_%s\": [", r->tables[t].by);
        for (size_t i = 0; i < r->tables[t].n; i++) {
            fprintf(out, "%s{\"name\": ", i ? ", " : "");
            pf_json_string(out, r->tables[t].rows[i].name);
            fprintf(out, ", \"model\": ");
            json_scores(out, &r->tables[t].rows[i].model);
            json_yin(out, r, &r->tables[t].rows[i].yin);
            fputc('}', out);
        }
        fputc(']', out);
    }
    json_frames(out, r);
    fprintf(out, "}\n");
}

/* One CSV field, quoted (doubling quotes) when it holds a comma or a quote. */
static void csv_string(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

int pf_eval_write_examples(const pf_eval_result *r, const char *path, pf_error *err)
{
    pf_out o;
    if (pf_out_open(&o, path, err)) return -1;
    fprintf(o.f, "index,example_id,instrument,midi,cents,velocity,segment,f0_hz,model_hz,yin_hz,"
                 "model_cents,yin_cents,model_confidence\n");
    for (size_t i = 0; i < r->n; i++) {
        const pf_label *l = &r->labels[i];
        fprintf(o.f, "%zu,%llu,", i, (unsigned long long)l->example_id);
        csv_string(o.f, l->instrument ? l->instrument : "");
        fprintf(o.f, ",%d,%.3f,%d,%s,%.6f,%.6f,", l->midi, l->cents, l->velocity,
                pf_segment_names[l->segment % PF_SEG_COUNT], l->f0_hz, r->est_hz[i]);
        if (r->has_yin) fprintf(o.f, "%.6f", r->yin_hz[i]); /* empty when YIN did not run */
        fprintf(o.f, ",%.3f,", cents_error(r->est_hz[i], l->f0_hz));
        if (r->has_yin) fprintf(o.f, "%.3f", cents_error(r->yin_hz[i], l->f0_hz));
        fprintf(o.f, ",%.6f\n", r->confidence[i]);
    }
    return pf_out_commit(&o, 1, err);
}

static const char *note_tick(double x, char *buf, size_t size)
{
    pf_note_name((int)x, buf, size);
    return buf;
}

int pf_eval_plot(const pf_eval_result *r, const char *path, pf_error *err)
{
    int lo = 127, hi = 0;
    for (int k = 0; k < 128; k++)
        if (!isnan(r->midi_err_model[k]))
            lo = k < lo ? k : lo, hi = k > hi ? k : hi;
    if (lo > hi)
        return PF_FAIL(err, PF_EINVAL, "nothing to plot");
    lo -= lo % 12;
    double *m = pf_calloc(128, sizeof *m), *y = pf_calloc(128, sizeof *y);
    for (int k = lo; k <= hi; k++) /* 0.1 cents floor so a perfect key stays on a log axis */
        m[k - lo] = r->midi_err_model[k] < 0.1 ? 0.1 : r->midi_err_model[k],
               y[k - lo] = r->midi_err_yin[k] < 0.1 ? 0.1 : r->midi_err_yin[k];
    pf_series s[2] = {{"model", m, {0.85, 0.15, 0.1}}, {"YIN (baseline)", y, {0.1, 0.3, 0.8}}};
    pf_chart c = {.title = "Median pitch error by note",
                  .x_label = "note",
                  .y_label = "median |error| (cents)",
                  .x0 = lo,
                  .n_x = (size_t)(hi - lo + 1),
                  .series = s,
                  .n_series = r->has_yin ? 2 : 1,
                  .log_y = 1,
                  .x_tick = note_tick,
                  .x_tick_step = 12};
    int rc = pf_chart_png(&c, path, 1000, 450, err);
    free(m);
    free(y);
    return rc;
}
