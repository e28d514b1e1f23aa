/*
 * The estimator eval and predict run: one model file, or an ensemble file whose members each
 * see the spectrograms prepared their own way and whose output probabilities are averaged
 * before the one decoding (models/README.md has what averaging two networks measured). An
 * estimate at PF_REFINE_MIN_HZ or above is then averaged in cents with its harmonic-peak
 * refinement on the same spectrogram (pf_refine_estimate; docs/model-format.md, "Decoding"),
 * and, where the caller has the audio, with YIN's period near it and the key tuning meter's
 * reading of the whole segment, which with YIN names a pure tone's pitch
 * (pf_estimator_refine_audio).
 */
#include "pitchforge/predict.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/manifest.h"
#include "pitchforge/train.h"
#include "pitchforge/error.h"
#include "pitchforge/keymeter.h"
#include "pitchforge/nn.h"
#include "pitchforge/refine.h"
#include "pitchforge/spectrogram.h"
#include "pitchforge/yin.h"
#include "pitchforge/estimator.h"

struct pf_estimator {
    size_t n; /* members */
    pf_model *model[PF_ENSEMBLE_MAX];
    pf_model_spec spec[PF_ENSEMBLE_MAX];
    pf_model_meta meta[PF_ENSEMBLE_MAX];
    int batch, bins; /* bins: the target is probabilities per pitch bin */
    int refine;      /* average with the harmonic-peak refinement (on when the input allows) */
    pf_spec_config cfg;
    int spec_bins, spec_frames;
    size_t in_size, out_size;
    size_t frames;       /* target frames: columns an example (out_size / n_bins), else 0 */
    float *x, *y, *out;  /* [batch][in], [batch][out] member, [batch][out] */
    double *p, *q;       /* [batch][out]: sums of the members' p and 1 - p */
    pf_yin *yin;         /* for pf_estimator_refine_audio, made for the audio length last given */
    pf_key_meter *meter; /* the same, for pf_refine_meter */
};

pf_estimator *pf_estimator_new(const char *path, int batch, int threads, pf_error *err)
{
    size_t n;
    if (pf_model_file_count(path, &n, err)) return NULL;
    pf_estimator *e = pf_calloc(1, sizeof *e);
    e->batch = batch;
    for (size_t i = 0; i < n; i++) {
        e->model[i] = pf_model_load_member(path, i, batch, threads, &e->spec[i], &e->meta[i], err);
        if (!e->model[i]) {
            pf_estimator_free(e);
            return NULL;
        }
        e->n = i + 1;
        const char *what = pf_model_mismatch(&e->spec[0], &e->meta[0], &e->spec[i], &e->meta[i]);
        if (!what && pf_model_out_size(e->model[i]) != pf_model_out_size(e->model[0]))
            what = "output size";
        if (what) {
            PF_FAIL(err, PF_ESCHEMA, "%s: member %zu's %s differ from member 0's", path, i, what);
            pf_estimator_free(e);
            return NULL;
        }
    }
    e->in_size = pf_model_in_size(e->model[0]);
    e->out_size = pf_model_out_size(e->model[0]);
    e->frames = !strcmp(e->meta[0].target, "frames") && e->meta[0].n_bins > 0
                    ? e->out_size / (size_t)e->meta[0].n_bins
                    : 0;
    e->bins = !strcmp(e->meta[0].target, "bins") || e->frames;
    e->cfg = pf_model_spec_config(&e->meta[0]);
    e->spec_bins = e->cfg.nfft / 2 + 1;
    /* refinement needs [bins][frames] of the model's FFT; other inputs are left as decoded */
    e->spec_frames =
        e->in_size % (size_t)e->spec_bins ? 0 : (int)(e->in_size / (size_t)e->spec_bins);
    pf_estimator_set_refine(e, !e->frames); /* the decoding steps are a note's, not a column's */
    e->x = pf_calloc((size_t)batch * e->in_size, sizeof *e->x);
    e->y = pf_calloc((size_t)batch * e->out_size, sizeof *e->y);
    e->out = pf_calloc((size_t)batch * e->out_size, sizeof *e->out);
    e->p = pf_calloc((size_t)batch * e->out_size, sizeof *e->p);
    e->q = pf_calloc((size_t)batch * e->out_size, sizeof *e->q);
    return e;
}

void pf_estimator_free(pf_estimator *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) {
        pf_model_free(e->model[i]);
        pf_model_spec_release(&e->spec[i]);
        pf_model_meta_release(&e->meta[i]);
    }
    free(e->x);
    free(e->y);
    free(e->out);
    free(e->p);
    free(e->q);
    pf_yin_free(e->yin);
    pf_key_meter_free(e->meter);
    free(e);
}

const pf_model_meta *pf_estimator_meta(const pf_estimator *e)
{
    return &e->meta[0];
}

size_t pf_estimator_in_size(const pf_estimator *e)
{
    return e->in_size;
}

size_t pf_estimator_members(const pf_estimator *e)
{
    return e->n;
}

void pf_estimator_set_refine(pf_estimator *e, int on)
{
    e->refine = on && e->spec_frames > 0;
}

pf_spec_config pf_model_spec_config(const pf_model_meta *m)
{
    pf_spec_config c = {.length = m->stft_length ? m->stft_length : 256,
                        .overlap = m->stft_length ? m->stft_overlap : 200,
                        .nfft = m->stft_nfft ? m->stft_nfft : 1024,
                        .rate_hz = m->sample_rate > 0 ? m->sample_rate : 16000};
    for (int i = 0; pf_spec_mode_names[i]; i++)
        c.mode = strcmp(m->spec_mode, pf_spec_mode_names[i]) ? c.mode : (pf_spec_mode)i;
    for (int i = 0; pf_spec_scaling_names[i]; i++)
        c.scaling =
            strcmp(m->spec_scaling, pf_spec_scaling_names[i]) ? c.scaling : (pf_spec_scaling)i;
    return c;
}

void pf_model_prepare_input(const pf_model_meta *meta, float *x, size_t n)
{
    size_t frames = n / (meta->norm_len ? meta->norm_len : 1);
    if (strcmp(meta->input, "log") == 0) {
        for (size_t i = 0; i < n; i++)
            x[i] = fabsf(x[i]);
        pf_ln_eps(x, n);
    }
    for (size_t b = 0; b < meta->norm_len; b++) {
        float mu = meta->norm_mean[b], sd = meta->norm_std[b] > 0 ? meta->norm_std[b] : 1;
        for (size_t f = 0; f < frames; f++)
            x[b * frames + f] = (x[b * frames + f] - mu) / sd;
    }
}

/* Member @p k's outputs for @p rows spectrograms in e->y; with several members also added to
 * e->p (for bins: its probabilities, and 1 minus them to e->q, each without cancellation). */
static int add_member(pf_estimator *e, size_t k, const float *spec, size_t rows, pf_error *err)
{
    memcpy(e->x, spec, rows * e->in_size * sizeof *e->x);
    memset(e->x + rows * e->in_size, 0, ((size_t)e->batch - rows) * e->in_size * sizeof *e->x);
    for (size_t r = 0; r < rows; r++)
        pf_model_prepare_input(&e->meta[k], e->x + r * e->in_size, e->in_size);
    if (pf_model_forward(e->model[k], e->x, e->y, 0, 0, err)) return -1;
    if (e->n == 1) return 0; /* one network: its own outputs, as they are */
    for (size_t i = 0; i < rows * e->out_size; i++) {
        double y = e->y[i];
        e->p[i] += e->bins ? 1.0 / (1.0 + exp(-y)) : y;
        e->q[i] += e->bins ? 1.0 / (1.0 + exp(y)) : 0;
    }
    return 0;
}

/* Every member's outputs for @p rows spectrograms, joined: one network's own outputs, or for
 * several, bins: the logit of the mean probability, ln(p / (1 - p)), which the decoder and the
 * confidence read; else the mean. */
static const float *run_members(pf_estimator *e, const float *spec, size_t rows, pf_error *err)
{
    memset(e->p, 0, rows * e->out_size * sizeof *e->p);
    memset(e->q, 0, rows * e->out_size * sizeof *e->q);
    for (size_t k = 0; k < e->n; k++)
        if (add_member(e, k, spec, rows, err)) return NULL;
    for (size_t i = 0; e->n > 1 && i < rows * e->out_size; i++)
        e->out[i] = e->bins ? (float)(log(fmax(e->p[i], 1e-300)) - log(fmax(e->q[i], 1e-300)))
                            : (float)(e->p[i] / (double)e->n);
    return e->n == 1 ? e->y : e->out;
}

size_t pf_estimator_frames(const pf_estimator *e)
{
    return e->frames;
}

double pf_estimator_voicing(const pf_estimator *e)
{
    double t = e->meta[0].voicing_threshold;
    return t > 0 && t < 1 ? t : PF_FRAMES_VOICED;
}

int pf_estimator_run_frames(pf_estimator *e, const float *spec, size_t rows, double *f0_hz,
                            double *confidence, float *logits, pf_error *err)
{
    if (rows > (size_t)e->batch || !e->frames)
        return PF_FAIL(err, PF_EINVAL, "pf_estimator_run_frames: %zu rows, batch %d, %s", rows,
                       e->batch, e->frames ? "a frames model" : "not a frames model");
    const float *out = run_members(e, spec, rows, err);
    if (!out) return -1;
    if (logits) memcpy(logits, out, rows * e->out_size * sizeof *logits);
    for (size_t r = 0; r < rows; r++)
        pf_target_decode_frames(&e->meta[0], out + r * e->out_size, (int)e->frames,
                                f0_hz + r * e->frames, confidence + r * e->frames);
    return 0;
}

int pf_estimator_run(pf_estimator *e, const float *spec, size_t rows, double *f0_hz,
                     double *confidence, pf_error *err)
{
    if (rows > (size_t)e->batch)
        return PF_FAIL(err, PF_EINVAL, "pf_estimator_run: %zu rows, batch %d", rows, e->batch);
    if (e->frames)
        return PF_FAIL(err, PF_EINVAL, "a frame-level model (target frames) answers per column: "
                       "pf_estimator_run_frames");
    const float *out = run_members(e, spec, rows, err);
    if (!out) return -1;
    for (size_t r = 0; r < rows; r++) {
        const float *y = out + r * e->out_size;
        double f = pf_target_decode(&e->meta[0], y, e->out_size), best = -INFINITY;
        for (size_t i = 0; e->bins && i < e->out_size; i++)
            best = y[i] > best ? y[i] : best;
        if (e->refine)
            f = pf_refine_estimate(spec + r * e->in_size, &e->cfg, e->spec_bins, e->spec_frames, f);
        f0_hz[r] = f > 0 ? f : 0;
        if (confidence) confidence[r] = !(f > 0) ? 0 : e->bins ? 1.0 / (1.0 + exp(-best)) : 1.0;
    }
    return 0;
}

int pf_estimator_refine_audio(pf_estimator *e, const float *audio, size_t n, size_t rows,
                              double *f0_hz, double *yin_hz, pf_error *err)
{
    if (!e->refine && !yin_hz) return 0;
    if (e->yin && pf_yin_length(e->yin) != n) {
        pf_yin_free(e->yin);
        pf_key_meter_free(e->meter);
        e->yin = NULL, e->meter = NULL;
    }
    if (!e->yin) {
        e->yin = pf_yin_new(n, e->cfg.rate_hz, PF_AUDIT_FMIN_HZ, PF_AUDIT_FMAX_HZ, err);
        if (!e->yin) return -1;
    }
    if (e->refine && !e->meter) {
        e->meter = pf_key_meter_new(n, e->cfg.rate_hz, err);
        if (!e->meter) return -1;
    }
    for (size_t r = 0; r < rows; r++) {
        int near = e->refine && f0_hz[r] > 0;
        if (!near && !yin_hz) continue;
        if (pf_yin_analyse(e->yin, audio + r * n, n, err)) return -1;
        if (yin_hz) pf_yin_pick(e->yin, &yin_hz[r], NULL);
        if (near && pf_refine_audio(e->yin, e->meter, audio + r * n, n, f0_hz[r], &f0_hz[r], err))
            return -1;
    }
    return 0;
}
