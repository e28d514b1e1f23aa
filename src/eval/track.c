/* eval on a recording: predict's pitch track and YIN's, each scored against a reference track
 * (MDB-stem-synth's CSV) with mir_eval's frame metrics, both resampled onto the reference's
 * times as mir_eval does (so predict's hop, 110 ms today, does not matter to the method). */
#include "pitchforge/eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/util.h"
#include "pitchforge/audiofile.h"
#include "pitchforge/predict.h"
#include "pitchforge/resample.h"
#include "pitchforge/yin.h"

#define YIN_RATE_HZ 16000.0 /* YIN runs at the datasets' rate, as in eval's baseline */

/* The recording at YIN_RATE_HZ (malloc'd, *n samples). */
static float *read_16k(const char *path, size_t *n, double *duration_s, pf_error *err)
{
    pf_audio a;
    if (pf_audio_read(path, &a, err)) return NULL;
    *duration_s = (double)a.n / a.rate_hz;
    pf_resampler *rs = pf_resampler_new(PF_RS_SOXR_HQ, a.rate_hz, YIN_RATE_HZ, err);
    float *s = NULL;
    if (rs) {
        *n = pf_resampler_out_len(rs, a.n);
        s = pf_calloc(*n + 1, sizeof *s);
        if (pf_resampler_process(rs, a.samples, a.n, s, *n, err)) free(s), s = NULL;
    }
    pf_resampler_free(rs);
    pf_audio_release(&a);
    return s;
}

/* YIN's track of @p s: PF_EVAL_FRAME_WINDOW_S around every PF_EVAL_TRACK_YIN_HOP_S from 0,
 * windows shifted inside the recording at its ends. Fills t[], f0[] (*m points). */
static int yin_track(const float *s, size_t n, double **t, double **f0, size_t *m, pf_error *err)
{
    size_t win = (size_t)llround(PF_EVAL_FRAME_WINDOW_S * YIN_RATE_HZ);
    if (n < win)
        return PF_FAIL(err, PF_EINVAL, "%.3f s is shorter than YIN's window (%.0f ms)",
                       (double)n / YIN_RATE_HZ, 1000 * PF_EVAL_FRAME_WINDOW_S);
    pf_yin *y = pf_yin_new(win, YIN_RATE_HZ, PF_AUDIT_FMIN_HZ, PF_AUDIT_FMAX_HZ, err);
    if (!y) return -1;
    *m = (size_t)floor((double)n / YIN_RATE_HZ / PF_EVAL_TRACK_YIN_HOP_S) + 1;
    *t = pf_calloc(*m, sizeof **t), *f0 = pf_calloc(*m, sizeof **f0);
    int rc = 0;
    for (size_t k = 0; !rc && k < *m; k++) {
        (*t)[k] = (double)k * PF_EVAL_TRACK_YIN_HOP_S;
        size_t c = (size_t)llround((*t)[k] * YIN_RATE_HZ), at = c > win / 2 ? c - win / 2 : 0;
        at = at + win > n ? n - win : at;
        rc = pf_yin_estimate(y, s + at, win, &(*f0)[k], NULL, err);
    }
    pf_yin_free(y);
    return rc;
}

/* Score YIN's track of @p audio_path against @p ref into r->yin. */
static int score_yin(const char *audio_path, const pf_melody_track *ref, pf_eval_track_result *r,
                     pf_error *err)
{
    size_t n, m = 0;
    double *t = NULL, *f0 = NULL;
    float *s = read_16k(audio_path, &n, &r->duration_s, err);
    int rc = !s || yin_track(s, n, &t, &f0, &m, err);
    r->yin_points = m;
    pf_melody_track est = {t, f0, m};
    rc = rc || pf_melody_evaluate(ref, &est, &r->yin, err);
    free(s);
    free(t);
    free(f0);
    return rc ? -1 : 0;
}

/* Score predict's track of @p audio_path against @p ref into r->model. */
static int score_model(const char *model_path, const char *audio_path, int threads,
                       const pf_melody_track *ref, pf_eval_track_result *r, pf_error *err)
{
    pf_predictor *p = pf_predictor_new(model_path, threads, err);
    pf_pitch_result pr;
    if (!p || pf_predict_file(p, audio_path, &pr, err)) {
        pf_predictor_free(p);
        return -1;
    }
    double *t = pf_calloc(pr.n_track + 1, sizeof *t), *f0 = pf_calloc(pr.n_track + 1, sizeof *f0);
    for (size_t i = 0; i < pr.n_track; i++)
        t[i] = pr.track[i].time_s, f0[i] = pr.track[i].f0_hz;
    r->model_points = pr.n_track;
    r->model_hop_s = pr.n_track > 1 ? t[1] - t[0] : 0;
    pf_melody_track est = {t, f0, pr.n_track};
    int rc = pf_melody_evaluate(ref, &est, &r->model, err);
    free(t);
    free(f0);
    pf_pitch_result_release(&pr);
    pf_predictor_free(p);
    return rc;
}

int pf_eval_track_run(const char *model_path, const char *audio_path, const char *ref_csv,
                      int threads, pf_eval_track_result *r, pf_error *err)
{
    memset(r, 0, sizeof *r);
    double *t, *f0;
    size_t n;
    if (pf_melody_read_csv(ref_csv, &t, &f0, &n, err)) return pf_error_prefix(err, "eval");
    pf_melody_track ref = {t, f0, n};
    r->ref_frames = n;
    for (size_t i = 0; i < n; i++)
        r->ref_voiced += f0[i] > 0;
    int rc = score_model(model_path, audio_path, threads, &ref, r, err) ||
             score_yin(audio_path, &ref, r, err);
    free(t);
    free(f0);
    return rc ? pf_error_prefix(err, "eval %s against %s", audio_path, ref_csv) : 0;
}

static void print_track_row(FILE *out, const char *name, const pf_melody_scores *s)
{
    fprintf(out, "%-28s %8zu %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f\n", name, s->frames, s->vr,
            s->vfa, s->rpa[0], s->rpa[1], s->rpa[2], s->rca[0], s->oa[0]);
}

void pf_eval_track_print(const pf_eval_track_result *r, FILE *out)
{
    fprintf(out,
            "reference: %zu frames, %zu voiced; recording %.2f s; predict's track %zu points "
            "(hop %.0f ms), YIN's %zu (hop %.0f ms, %.0f ms windows); both resampled onto the "
            "reference's times as mir_eval does\n\n",
            r->ref_frames, r->ref_voiced, r->duration_s, r->model_points, 1000 * r->model_hop_s,
            r->yin_points, 1000 * PF_EVAL_TRACK_YIN_HOP_S, 1000 * PF_EVAL_FRAME_WINDOW_S);
    fprintf(out, "%-28s %8s %6s %6s %6s %6s %6s %6s %6s\n", "estimator", "frames", "VR", "VFA",
            "RPA50", "RPA25", "RPA10", "RCA50", "OA");
    print_track_row(out, "model (predict's track)", &r->model);
    print_track_row(out, "YIN (baseline)", &r->yin);
}

void pf_eval_track_json(const pf_eval_track_result *r, FILE *out)
{
    fprintf(out,
            "{\"definitions\": \"mir_eval.melody 0.7\", \"ref_frames\": %zu, "
            "\"ref_voiced\": %zu, \"duration_s\": %.3f, \"model_points\": %zu, "
            "\"model_hop_s\": %.4f, \"yin_points\": %zu, \"yin_hop_s\": %.4f, \"model\": ",
            r->ref_frames, r->ref_voiced, r->duration_s, r->model_points, r->model_hop_s,
            r->yin_points, PF_EVAL_TRACK_YIN_HOP_S);
    pf_eval_json_melody(out, &r->model);
    fprintf(out, ", \"yin\": ");
    pf_eval_json_melody(out, &r->yin);
    fprintf(out, "}\n");
}
