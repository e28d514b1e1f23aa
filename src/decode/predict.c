/* predict: a recording -> windows -> the training spectrograms -> the model -> a pitch. */
#include "core/util.h"
#include "pitchforge/predict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/audiofile.h"
#include "pitchforge/manifest.h"
#include "pitchforge/synth.h"
#include "pitchforge/error.h"
#include "pitchforge/level.h"
#include "pitchforge/nn.h"
#include "pitchforge/resample.h"
#include "pitchforge/spectrogram.h"
#include "pitchforge/estimator.h"
#include "pitchforge/flags.h"
#include "pitchforge/viterbi.h"
#include "pitchforge/train.h"

#define PREDICT_BATCH 16
/* A frame-level model's windows a batch: its activations are per column (about 3 MB a window
 * for models/track.h5), and one window a batch is as fast as 2 (8: a third slower) with the
 * least memory. */
#define PREDICT_FRAMES_BATCH 1
#define HOP_S 0.110           /* window hop */
#define SILENCE_DBFS -60.0    /* as the quality gate of the training data */
#define WINDOW_PEAK 0.6       /* inside the training data's volume range (0.2 .. 1.0) */

struct pf_predictor {
    pf_estimator *est;
    size_t frames;  /* a frame-level model's columns a window, else 0 */
    size_t batch;   /* windows a batch: PREDICT_BATCH, or PREDICT_FRAMES_BATCH for frames */
    double hop_s;   /* frames: the track's hop (pf_predictor_set_hop) */
    int viterbi;    /* frames: smooth the track by a Viterbi path (pf_predictor_set_viterbi) */
    size_t n_bins;  /* frames: the model's bins */
    double *f0c, *confc; /* frames: [batch][frames] the model's columns */
    float *logits;  /* frames: [batch][n_bins][frames] their posteriors */
    pf_model_meta meta; /* the estimator's, with the dataset defaults filled in (owns nothing) */
    pf_spectrogram *stft;
    size_t seg_len, in_size;
    float *x, *win; /* [batch][in_size] spectrograms, [batch][seg_len] their windows */
    double f0[PREDICT_BATCH], conf[PREDICT_BATCH];
};

pf_predictor *pf_predictor_new(const char *model_path, int threads, pf_error *err)
{
    pf_predictor *p = pf_calloc(1, sizeof *p);
    p->est = pf_estimator_new(model_path, PREDICT_FRAMES_BATCH, threads, err);
    if (p->est && !pf_estimator_frames(p->est)) { /* a note model: more windows a batch */
        pf_estimator_free(p->est);
        p->est = pf_estimator_new(model_path, PREDICT_BATCH, threads, err);
    }
    if (!p->est) {
        pf_predictor_free(p);
        return NULL;
    }
    p->meta = *pf_estimator_meta(p->est);
    pf_spec_config c = pf_model_spec_config(&p->meta);
    p->meta.sample_rate = c.rate_hz;
    p->meta.segment_len = p->meta.segment_len > 0 ? p->meta.segment_len : 5280;
    p->seg_len = (size_t)p->meta.segment_len;
    p->stft = pf_spectrogram_new(&c, p->seg_len, err);
    p->in_size = pf_estimator_in_size(p->est);
    if (!p->stft || pf_spectrogram_size(p->stft) != p->in_size) {
        if (p->stft)
            PF_FAIL(err, PF_ESCHEMA, "%s: the model takes %zu inputs, its spectrograms give %zu",
                    model_path, p->in_size, pf_spectrogram_size(p->stft));
        pf_predictor_free(p);
        return NULL;
    }
    p->x = pf_calloc(PREDICT_BATCH * p->in_size, sizeof *p->x);
    p->win = pf_calloc(PREDICT_BATCH * p->seg_len, sizeof *p->win);
    p->frames = pf_estimator_frames(p->est);
    p->batch = p->frames ? PREDICT_FRAMES_BATCH : PREDICT_BATCH;
    p->hop_s = PF_TRACK_HOP_S;
    p->f0c = pf_calloc(PREDICT_BATCH * p->frames + 1, sizeof *p->f0c);
    p->confc = pf_calloc(PREDICT_BATCH * p->frames + 1, sizeof *p->confc);
    p->n_bins = p->frames ? (size_t)p->meta.n_bins : 0;
    p->logits = pf_calloc(PREDICT_BATCH * p->frames * p->n_bins + 1, sizeof *p->logits);
    return p;
}

void pf_predictor_free(pf_predictor *p)
{
    if (!p)
        return;
    pf_estimator_free(p->est);
    pf_spectrogram_free(p->stft);
    free(p->x);
    free(p->win);
    free(p->f0c);
    free(p->confc);
    free(p->logits);
    free(p);
}

/* Spectrogram of the window in batch row @p row into the same row of p->x. */
static int window_input(pf_predictor *p, size_t row, pf_error *err)
{
    return pf_spectrogram_compute(p->stft, p->win + row * p->seg_len, p->seg_len,
                                  p->x + row * p->in_size, err);
}

/* Run the estimator on @p rows windows (their spectrograms, then their audio) and store the
 * answers in track points pts[0..rows). */
static int run_batch(pf_predictor *p, size_t rows, pf_pitch_point **pts, pf_error *err)
{
    if (pf_estimator_run(p->est, p->x, rows, p->f0, p->conf, err) ||
        pf_estimator_refine_audio(p->est, p->win, p->seg_len, rows, p->f0, NULL, err))
        return -1;
    for (size_t r = 0; r < rows; r++)
        pts[r]->f0_hz = p->f0[r], pts[r]->confidence = p->conf[r];
    return 0;
}

/* Resample @p a to the model's rate; returns malloc'd samples and their count. */
static float *to_model_rate(const pf_predictor *p, const pf_audio *a, size_t *n, pf_error *err)
{
    if (a->rate_hz == p->meta.sample_rate) {
        float *s = pf_calloc(a->n, sizeof *s);
        memcpy(s, a->samples, a->n * sizeof *s);
        *n = a->n;
        return s;
    }
    pf_resampler *rs = pf_resampler_new(PF_RS_SOXR_HQ, a->rate_hz, p->meta.sample_rate, err);
    if (!rs)
        return NULL;
    *n = pf_resampler_out_len(rs, a->n);
    float *s = pf_calloc(*n ? *n : 1, sizeof *s);
    if (pf_resampler_process(rs, a->samples, a->n, s, *n, err)) {
        free(s);
        s = NULL;
    }
    pf_resampler_free(rs);
    return s;
}

/* Every window of @p s: silence is unvoiced, the rest goes through the model in batches. */
static int analyse(pf_predictor *p, const float *s, size_t n, pf_pitch_result *r, pf_error *err)
{
    size_t hop = (size_t)lround(HOP_S * p->meta.sample_rate), rows = 0;
    r->n_track = (n - p->seg_len) / hop + 1;
    r->track = pf_calloc(r->n_track, sizeof *r->track);
    pf_pitch_point *pending[PREDICT_BATCH];
    for (size_t w = 0; w < r->n_track; w++) {
        pf_pitch_point *pt = &r->track[w];
        pt->time_s = ((double)(w * hop) + (double)p->seg_len / 2) / p->meta.sample_rate;
        float *win = p->win + rows * p->seg_len;
        memcpy(win, s + w * hop, p->seg_len * sizeof *win);
        if (!(pf_rms_dbfs(win, p->seg_len) >= SILENCE_DBFS)) continue;
        pf_peak_normalize(win, p->seg_len, WINDOW_PEAK);
        if (window_input(p, rows, err))
            return -1;
        pending[rows++] = pt;
        if (rows == PREDICT_BATCH || w + 1 == r->n_track) {
            if (run_batch(p, rows, pending, err))
                return -1;
            rows = 0;
        }
    }
    return rows ? run_batch(p, rows, pending, err) : 0;
}

/* ---- frame-level models: every column, then a track every hop ---- */


/* The columns of a frame-level model over a file: f0, confidence, loudness (RMS of the column's
 * window in the file as it is) and the shape of the posteriors (for the flags) of column m,
 * centred m hops into the file (centre_columns); with a Viterbi path also the logits of the columns
 * the track's points read: post [slots][n_bins], slot[m] column m's row or -1. */
typedef struct columns {
    size_t n, hop, half;
    double bin_hz; /* the spectrogram's bins apart (pf_column_above_c8) */
    double voicing; /* voiced from this confidence on (pf_estimator_voicing) */
    double *f0, *conf, *rms;
    pf_column_shape *shape;
    long *slot;
    float *post;
} columns;

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* Run the model on @p rows windows' spectrograms; their columns go to c from window @p w0. */
static int run_frames_batch(pf_predictor *p, size_t rows, const size_t *wins, columns *c,
                            pf_error *err)
{
    if (pf_estimator_run_frames(p->est, p->x, rows, p->f0c, p->confc, p->logits, err)) return -1;
    for (size_t r = 0; r < rows; r++)
        for (size_t k = 0; k < p->frames; k++) {
            size_t m = wins[r] * p->frames + k;
            if (m >= c->n) break;
            c->f0[m] = p->f0c[r * p->frames + k], c->conf[m] = p->confc[r * p->frames + k];
            const float *y = p->logits + r * p->frames * p->n_bins + k;
            pf_column_shape_measure(y, p->n_bins, p->frames, 100 * p->meta.bins_step,
                                    &c->shape[m]);
            c->shape[m].above = pf_column_above_c8(p->x + r * p->in_size + k,
                                                   p->in_size / p->frames, p->frames,
                                                   c->bin_hz, c->f0[m]);
            for (size_t i = 0; c->slot && c->slot[m] >= 0 && i < p->n_bins; i++)
                c->post[(size_t)c->slot[m] * p->n_bins + i] = y[i * p->frames];
        }
    return 0;
}

/* The columns' geometry over @p n samples of @p s, their loudness, and room for the rest. */
static void columns_init(const pf_predictor *p, const float *s, size_t n, columns *c)
{
    const pf_spec_config cfg = pf_model_spec_config(&p->meta);
    c->hop = (size_t)(cfg.length - cfg.overlap), c->half = (size_t)cfg.length / 2;
    c->bin_hz = (double)cfg.rate_hz / cfg.nfft;
    c->voicing = pf_estimator_voicing(p->est);
    c->n = n > c->half ? (n - c->half) / c->hop + 1 : 1;
    c->f0 = pf_calloc(c->n, sizeof *c->f0), c->conf = pf_calloc(c->n, sizeof *c->conf);
    c->rms = pf_calloc(c->n, sizeof *c->rms), c->shape = pf_calloc(c->n, sizeof *c->shape);
    pf_columns_rms(s, n, &cfg, c->n, c->rms);
    for (size_t m = 0; m < c->n; m++) c->shape[m].peak = -1;
}

/* Windows that tile the columns: window w starts at w * frames * hop samples, so column k of
 * it is column w * frames + k of the file; silent windows stay unvoiced. */
static int analyse_columns(pf_predictor *p, const float *s, size_t n, columns *c, pf_error *err)
{
    size_t stride = p->frames * c->hop, windows = (c->n + p->frames - 1) / p->frames, rows = 0;
    size_t wins[PREDICT_BATCH];
    for (size_t w = 0; w < windows; w++) {
        float *win = p->win + rows * p->seg_len;
        size_t a = w * stride, len = a < n ? (n - a < p->seg_len ? n - a : p->seg_len) : 0;
        memset(win, 0, p->seg_len * sizeof *win);
        memcpy(win, s + a, len * sizeof *win);
        if (!(pf_rms_dbfs(win, p->seg_len) >= SILENCE_DBFS)) continue;
        pf_peak_normalize(win, p->seg_len, WINDOW_PEAK);
        if (window_input(p, rows, err)) return -1;
        wins[rows++] = w;
        if (rows == p->batch && run_frames_batch(p, rows, wins, c, err)) return -1;
        rows = rows == p->batch ? 0 : rows;
    }
    return rows ? run_frames_batch(p, rows, wins, c, err) : 0;
}

/* Points every p->hop_s from 0 to the end of a file of @p duration_s. */
static size_t track_points(const pf_predictor *p, double duration_s)
{
    return (size_t)floor(duration_s / p->hop_s + 1e-9) + 1;
}

/* The column nearest the time of the track's point @p i. */
static size_t point_column(const pf_predictor *p, const columns *c, size_t i)
{
    double t = (double)i * p->hop_s;
    double m = t * p->meta.sample_rate / (double)c->hop; /* centre_columns */
    return m <= 0 ? 0 : (size_t)llround(m) < c->n ? (size_t)llround(m) : c->n - 1;
}

/* A Viterbi path reads the posteriors of the columns the points read: a row of c->post each
 * (silence's rows stay at logit -100, a uniform emission). */
static void plan_posteriors(const pf_predictor *p, columns *c, size_t points)
{
    size_t rows = 0;
    c->slot = pf_calloc(c->n, sizeof *c->slot);
    for (size_t m = 0; m < c->n; m++) c->slot[m] = -1;
    for (size_t i = 0; i < points; i++) {
        size_t m = point_column(p, c, i);
        c->slot[m] = c->slot[m] < 0 ? (long)rows++ : c->slot[m];
    }
    c->post = pf_calloc(rows * p->n_bins + 1, sizeof *c->post);
    for (size_t i = 0; i < rows * p->n_bins; i++) c->post[i] = -100.0f;
}

/* The track every p->hop_s from 0 to the end: each point the column nearest its time, voiced
 * (f0 > 0) when that column's confidence reaches the model's voicing threshold, else f0 0. */
static void columns_track(const pf_predictor *p, const columns *c, double duration_s,
                          pf_pitch_result *r)
{
    r->n_track = track_points(p, duration_s);
    r->track = pf_calloc(r->n_track, sizeof *r->track);
    for (size_t i = 0; i < r->n_track; i++) {
        size_t k = point_column(p, c, i);
        r->track[i] = (pf_pitch_point){.time_s = (double)i * p->hop_s, .confidence = c->conf[k],
                                       .f0_hz = c->conf[k] >= c->voicing ? c->f0[k] : 0};
    }
}

/* Smooth the track: the Viterbi path through its points' posteriors (pf_viterbi_path, W for
 * this hop and these bins), and each voiced point's pitch decoded at the path's bin
 * (pf_target_decode_at); voicing and confidence stay the column's. */
static int viterbi_track(const pf_predictor *p, const columns *c, pf_pitch_result *r,
                         pf_error *err)
{
    size_t nb = p->n_bins;
    float *sal = pf_calloc(r->n_track * nb + 1, sizeof *sal);
    int *path = pf_calloc(r->n_track + 1, sizeof *path);
    for (size_t i = 0; i < r->n_track; i++) {
        const float *y = c->post + (size_t)c->slot[point_column(p, c, i)] * nb;
        for (size_t j = 0; j < nb; j++) sal[i * nb + j] = (float)sigmoid(y[j]);
    }
    int width = pf_viterbi_width(p->hop_s, 100 * p->meta.bins_step);
    int rc = pf_viterbi_path(sal, r->n_track, nb, width, path, err);
    for (size_t i = 0; !rc && i < r->n_track; i++)
        if (r->track[i].f0_hz > 0) {
            const float *y = c->post + (size_t)c->slot[point_column(p, c, i)] * nb;
            r->track[i].f0_hz = pf_target_decode_at(&p->meta, y, nb, (size_t)path[i]);
        }
    free(sal), free(path);
    return rc;
}

/* The file's pitch from a frame-level model: pf_columns_pitch of the columns (or with a Viterbi
 * path, of the track's points), each weighted by its loudness so a long quiet tail cannot
 * outvote the note. */
static void frames_summary(const pf_predictor *p, const columns *c, pf_pitch_result *r)
{
    if (!p->viterbi) {
        pf_columns_pitch(c->f0, c->conf, c->rms, c->n, c->voicing, &r->f0_hz, &r->confidence);
        return;
    }
    double *f0 = pf_calloc(r->n_track + 1, sizeof *f0), *conf = pf_calloc(r->n_track + 1, sizeof *conf);
    double *w = pf_calloc(r->n_track + 1, sizeof *w);
    for (size_t i = 0; i < r->n_track; i++)
        f0[i] = r->track[i].f0_hz, conf[i] = r->track[i].confidence,
        w[i] = c->rms[point_column(p, c, i)];
    pf_columns_pitch(f0, conf, w, r->n_track, c->voicing, &r->f0_hz, &r->confidence);
    free(f0), free(conf), free(w);
}

/* The file with half a STFT window of silence before it, so column m is centred m hops in. */
static float *centre_columns(const pf_predictor *p, const float *s, size_t n, size_t *np)
{
    size_t half = (size_t)pf_model_spec_config(&p->meta).length / 2;
    float *sp = pf_calloc(n + half + 1, sizeof *sp);
    memcpy(sp + half, s, n * sizeof *sp);
    *np = n + half;
    return sp;
}

static int analyse_frames(pf_predictor *p, const float *s0, size_t n0, pf_pitch_result *r,
                          pf_error *err)
{
    columns c = {0};
    size_t n;
    float *s = centre_columns(p, s0, n0, &n);
    columns_init(p, s, n, &c);
    if (p->viterbi) plan_posteriors(p, &c, track_points(p, r->duration_s));
    int rc = analyse_columns(p, s, n, &c, err);
    if (!rc) {
        columns_track(p, &c, r->duration_s, r);
        rc = p->viterbi ? viterbi_track(p, &c, r, err) : 0;
    }
    if (!rc) {
        frames_summary(p, &c, r);
        r->flags = pf_flags_judge(c.shape, c.n, p->n_bins, c.voicing, &r->measures);
        if (r->f0_hz > 0 && !(r->f0_hz >= PF_FLAG_RANGE_LO_HZ && r->f0_hz <= PF_FLAG_RANGE_HI_HZ))
            r->flags |= PF_FLAG_RANGE; /* beyond C1 .. C8, wherever the bins end */
    }
    free(c.f0), free(c.conf), free(c.rms), free(c.shape), free(c.slot), free(c.post);
    free(s);
    return rc;
}

void pf_predictor_set_viterbi(pf_predictor *p, int on)
{
    p->viterbi = on && p->frames;
}

void pf_predictor_set_hop(pf_predictor *p, double hop_s)
{
    p->hop_s = hop_s > 0 ? hop_s : PF_TRACK_HOP_S;
}

size_t pf_predictor_frames(const pf_predictor *p)
{
    return p->frames;
}

static int cmp_point(const void *a, const void *b)
{
    double x = ((const pf_pitch_point *)a)->f0_hz, y = ((const pf_pitch_point *)b)->f0_hz;
    return (x > y) - (x < y);
}

/* The file's pitch: confidence-weighted median of the voiced windows. */
static void summarize(pf_pitch_result *r)
{
    pf_pitch_point *v = pf_calloc(r->n_track + 1, sizeof *v);
    double *conf = pf_calloc(r->n_track + 1, sizeof *conf);
    size_t n = 0;
    double total = 0;
    for (size_t i = 0; i < r->n_track; i++)
        if (r->track[i].f0_hz > 0)
            v[n++] = r->track[i], total += r->track[i].confidence;
    qsort(v, n, sizeof *v, cmp_point);
    double acc = 0;
    for (size_t i = 0; i < n && total > 0; i++) {
        acc += v[i].confidence;
        if (acc >= total / 2) {
            r->f0_hz = v[i].f0_hz;
            break;
        }
    }
    for (size_t i = 0; i < n; i++)
        conf[i] = v[i].confidence;
    qsort(conf, n, sizeof *conf, pf_cmp_double);
    r->confidence = n ? conf[n / 2] : 0;
    free(conf);
    free(v);
}

int pf_predict_file(pf_predictor *p, const char *path, pf_pitch_result *r, pf_error *err)
{
    memset(r, 0, sizeof *r);
    pf_audio a;
    if (pf_audio_read(path, &a, err))
        return -1;
    r->rate_hz = a.rate_hz;
    r->duration_s = (double)a.n / a.rate_hz;
    size_t n;
    float *s = to_model_rate(p, &a, &n, err);
    pf_audio_release(&a);
    if (!s)
        return pf_error_prefix(err, "%s", path);
    if (n < p->seg_len) { /* shorter than one window: padded with silence */
        s = pf_reallocarray(s, p->seg_len, sizeof *s);
        memset(s + n, 0, (p->seg_len - n) * sizeof *s);
    }
    int rc = p->frames ? analyse_frames(p, s, n, r, err)
                       : analyse(p, s, n < p->seg_len ? p->seg_len : n, r, err);
    free(s);
    if (rc)
        pf_pitch_result_release(r);
    else if (!p->frames)
        summarize(r);
    return rc;
}

void pf_pitch_result_release(pf_pitch_result *r)
{
    if (!r)
        return;
    free(r->track);
    memset(r, 0, sizeof *r);
}
