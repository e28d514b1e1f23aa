/*
 * Targets: labels in Hz <-> model outputs, and the losses with their gradients.
 *   hz:   one output, f0 / PF_TARGET_HZ_SCALE (kHz), mean squared error
 *   midi: one output, (midi - 69) / 12 with midi = 69 + 12 log2(f0 / 440) (octaves from A4,
 *         continuous, so every octave weighs the same), mean squared error
 *   bins: n_bins outputs (logits); bin i is centred at MIDI bins_lo + i * bins_step; the target
 *         is a Gaussian of std blur_cents around the label (CREPE), binary cross-entropy on the
 *         sigmoid; decoded by Gaussian interpolation: the vertex of the parabola through the
 *         log sigmoids of the largest bin and its two neighbours
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pitchforge/pitch.h"
#include "pitchforge/train.h"
#include "pitchforge/nn.h"

static const char *const target_names[] = {"hz", "midi", "bins", "frames"};

const char *pf_target_name(pf_target t)
{
    return (unsigned)t <= PF_TARGET_FRAMES ? target_names[t] : "?";
}

int pf_target_is_bins(const pf_train_config *c)
{
    return c->target == PF_TARGET_BINS || c->target == PF_TARGET_FRAMES;
}

int pf_target_n_out(const pf_train_config *c)
{
    if (c->target == PF_TARGET_FRAMES) return c->n_bins * c->model.in_w;
    return c->target == PF_TARGET_BINS ? c->n_bins : 1;
}

void pf_target_meta(const pf_train_config *c, pf_model_meta *meta)
{
    snprintf(meta->target, sizeof meta->target, "%s", target_names[c->target]);
    meta->bins_lo_midi = c->bins_lo_midi;
    meta->bins_step = c->bins_step;
    meta->n_bins = pf_target_is_bins(c) ? c->n_bins : 0;
    snprintf(meta->input, sizeof meta->input, "%s", c->input);
}

/* out[i * stride] = the Gaussian of std blur_cents around @p midi at bin i's centre. */
static void blur(const pf_train_config *c, double midi, float *out, size_t stride)
{
    double sd = c->blur_cents > 0 ? c->blur_cents : 1e-9;
    for (int i = 0; i < c->n_bins; i++) {
        double d = 100.0 * (c->bins_lo_midi + i * c->bins_step - midi) / sd;
        out[(size_t)i * stride] = (float)exp(-0.5 * d * d);
    }
}

void pf_target_encode(const pf_train_config *c, double f0_hz, float *out)
{
    double midi = pf_hz_to_midi(f0_hz);
    if (c->target == PF_TARGET_HZ) {
        out[0] = (float)(f0_hz / PF_TARGET_HZ_SCALE);
        return;
    }
    if (c->target == PF_TARGET_MIDI) {
        out[0] = (float)((midi - PF_TARGET_MIDI_REF) / 12.0);
        return;
    }
    blur(c, f0_hz > 0 ? midi : -1e9, out, 1); /* no pitch (a negative): no bin lit */
}

size_t pf_target_encode_frames(const pf_train_config *c, const float *f0_frames, int frames,
                               float *out)
{
    double lo = c->bins_lo_midi, hi = lo + (c->n_bins - 1) * c->bins_step;
    size_t outside = 0;
    for (int k = 0; k < frames; k++) {
        double midi = f0_frames[k] > 0 ? pf_hz_to_midi(f0_frames[k]) : -1e9;
        if (f0_frames[k] > 0 && !(midi >= lo && midi <= hi)) outside++, midi = -1e9;
        blur(c, midi, out + k, (size_t)frames);
    }
    return outside;
}

static double sigmoid(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* log(sigmoid(x)), without overflow for large |x|. */
static double log_sigmoid(double x)
{
    return x < 0 ? x - log1p(exp(x)) : -log1p(exp(-x));
}

/*
 * The bin @p peak moved by the vertex of the parabola through the log sigmoids of it and its
 * neighbours: exact for a Gaussian, which is what the targets are. Chosen over CREPE's weighted
 * mean of 9 bins on the val split of the shipped model's data (RPA10 0.852 against 0.837;
 * models/README.md). A bin at either end stays put; the move is at most one bin.
 */
double pf_target_decode_at(const pf_model_meta *meta, const float *out, size_t n, size_t peak)
{
    double bin = (double)peak;
    if (peak > 0 && peak + 1 < n) {
        double y0 = log_sigmoid(out[peak - 1]), y1 = log_sigmoid(out[peak]);
        double y2 = log_sigmoid(out[peak + 1]), den = y0 - 2 * y1 + y2;
        if (den < 0) bin += fmin(fmax(0.5 * (y0 - y2) / den, -1), 1);
    }
    return pf_midi_to_hz_exp2(meta->bins_lo_midi + bin * meta->bins_step);
}

/* The largest bin, moved to the vertex (pf_target_decode_at). */
static double decode_bins(const pf_model_meta *meta, const float *out, size_t n)
{
    size_t peak = 0;
    for (size_t i = 1; i < n; i++)
        if (out[i] > out[peak])
            peak = i;
    return pf_target_decode_at(meta, out, n, peak);
}

double pf_target_decode(const pf_model_meta *meta, const float *out, size_t n)
{
    if (!strcmp(meta->target, "hz"))
        return out[0] * PF_TARGET_HZ_SCALE;
    if (!strcmp(meta->target, "midi"))
        return pf_midi_to_hz_exp2(PF_TARGET_MIDI_REF + 12.0 * out[0]);
    return n ? decode_bins(meta, out, n) : NAN;
}

void pf_target_decode_frames(const pf_model_meta *meta, const float *out, int frames, double *f0,
                             double *conf)
{
    size_t nb = (size_t)meta->n_bins;
    float col[4096];
    for (int k = 0; k < frames; k++) {
        float top = -INFINITY;
        for (size_t i = 0; i < nb && i < 4096; i++)
            col[i] = out[i * (size_t)frames + (size_t)k], top = col[i] > top ? col[i] : top;
        f0[k] = decode_bins(meta, col, nb < 4096 ? nb : 4096);
        conf[k] = sigmoid(top);
    }
}

/* Mean squared error over @p n of @p all values; dy = 2 (y - t) / all. */
static double loss_mse(const float *y, const float *t, size_t n, size_t all, float *dy)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)y[i] - t[i];
        s += d * d;
        if (dy)
            dy[i] = (float)(2.0 * d / (double)all);
    }
    return s / (double)all;
}

/* Binary cross-entropy on logits: max(y, 0) - y t + ln(1 + e^-|y|); dy = (sigmoid(y) - t) / all. */
static double loss_bce(const float *y, const float *t, size_t n, size_t all, float *dy)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double v = y[i];
        s += (v > 0 ? v : 0) - v * t[i] + log1p(exp(-fabs(v)));
        if (dy)
            dy[i] = (float)((sigmoid(v) - t[i]) / (double)all);
    }
    return s / (double)all;
}

double pf_loss_eval_part(pf_loss loss, const float *y, const float *t, size_t rows,
                         size_t n_out, size_t all, float *dy)
{
    size_t n = rows * n_out, n_all = all * n_out;
    if (!n_all)
        return 0;
    return loss == PF_LOSS_BCE ? loss_bce(y, t, n, n_all, dy) : loss_mse(y, t, n, n_all, dy);
}

double pf_loss_eval(pf_loss loss, const float *y, const float *t, size_t rows, size_t n_out,
                    float *dy)
{
    return pf_loss_eval_part(loss, y, t, rows, n_out, rows, dy);
}
