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

static const char *const target_names[] = {"hz", "midi", "bins"};

int pf_target_n_out(const pf_train_config *c)
{
    return c->target == PF_TARGET_BINS ? c->n_bins : 1;
}

void pf_target_meta(const pf_train_config *c, pf_model_meta *meta)
{
    snprintf(meta->target, sizeof meta->target, "%s", target_names[c->target]);
    meta->bins_lo_midi = c->bins_lo_midi;
    meta->bins_step = c->bins_step;
    meta->n_bins = c->target == PF_TARGET_BINS ? c->n_bins : 0;
    snprintf(meta->input, sizeof meta->input, "%s", c->input);
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
    double sd = c->blur_cents > 0 ? c->blur_cents : 1e-9;
    for (int i = 0; i < c->n_bins; i++) {
        double d = 100.0 * (c->bins_lo_midi + i * c->bins_step - midi) / sd;
        out[i] = (float)exp(-0.5 * d * d);
    }
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
 * The peak bin moved by the vertex of the parabola through the log sigmoids of it and its
 * neighbours: exact for a Gaussian, which is what the targets are. Chosen over CREPE's
 * weighted mean of 9 bins on the val split of the shipped model's data (RPA10 0.852 against
 * 0.837; models/README.md). A peak at either end stays put.
 */
static double decode_bins(const pf_model_meta *meta, const float *out, size_t n)
{
    size_t peak = 0;
    for (size_t i = 1; i < n; i++)
        if (out[i] > out[peak])
            peak = i;
    double bin = (double)peak;
    if (peak > 0 && peak + 1 < n) {
        double y0 = log_sigmoid(out[peak - 1]), y1 = log_sigmoid(out[peak]);
        double y2 = log_sigmoid(out[peak + 1]), den = y0 - 2 * y1 + y2;
        if (den < 0) bin += fmin(fmax(0.5 * (y0 - y2) / den, -1), 1);
    }
    return pf_midi_to_hz_exp2(meta->bins_lo_midi + bin * meta->bins_step);
}

double pf_target_decode(const pf_model_meta *meta, const float *out, size_t n)
{
    if (!strcmp(meta->target, "hz"))
        return out[0] * PF_TARGET_HZ_SCALE;
    if (!strcmp(meta->target, "midi"))
        return pf_midi_to_hz_exp2(PF_TARGET_MIDI_REF + 12.0 * out[0]);
    return n ? decode_bins(meta, out, n) : NAN;
}

/* Mean squared error; dy = 2 (y - t) / (rows * n_out). */
static double loss_mse(const float *y, const float *t, size_t n, float *dy)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)y[i] - t[i];
        s += d * d;
        if (dy)
            dy[i] = (float)(2.0 * d / (double)n);
    }
    return s / (double)n;
}

/* Binary cross-entropy on logits: max(y, 0) - y t + ln(1 + e^-|y|); dy = (sigmoid(y) - t) / n. */
static double loss_bce(const float *y, const float *t, size_t n, float *dy)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double v = y[i];
        s += (v > 0 ? v : 0) - v * t[i] + log1p(exp(-fabs(v)));
        if (dy)
            dy[i] = (float)((sigmoid(v) - t[i]) / (double)n);
    }
    return s / (double)n;
}

double pf_loss_eval(pf_loss loss, const float *y, const float *t, size_t rows, size_t n_out,
                    float *dy)
{
    size_t n = rows * n_out;
    if (!n)
        return 0;
    return loss == PF_LOSS_BCE ? loss_bce(y, t, n, dy) : loss_mse(y, t, n, dy);
}
