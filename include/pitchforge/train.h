/* pitchforge: training the pitch model from a dataset made by `generate`. */
#ifndef PITCHFORGE_TRAIN_H
#define PITCHFORGE_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/dist.h"
#include "pitchforge/error.h"
#include "pitchforge/melody.h"
#include "pitchforge/nn.h"

/** What a model predicts: one f0 per example (hz, midi, bins) or one per spectrogram column
 *  (frames: the bins at every column, [n_bins][frames] logits, all 0 where unvoiced). */
typedef enum pf_target { PF_TARGET_HZ = 0, PF_TARGET_MIDI, PF_TARGET_BINS, PF_TARGET_FRAMES } pf_target;
typedef enum pf_optim { PF_OPTIM_ADAM = 0, PF_OPTIM_SGD } pf_optim;
/** Losses: mean squared error (hz, midi) or binary cross-entropy on sigmoid outputs (bins). */
typedef enum pf_loss { PF_LOSS_MSE = 0, PF_LOSS_BCE } pf_loss;

/** Schema of checkpoint.h5 (docs/training.md); /2 added the position inside an epoch (a
 *  checkpoint every checkpoint_every steps); /1 files (epoch ends only) are still read. */
#define PF_CHECKPOINT_SCHEMA "pitchforge-checkpoint/2"
/** hz target: the model outputs f0 / PF_TARGET_HZ_SCALE (kHz), so values are of order 1. */
#define PF_TARGET_HZ_SCALE 1000.0
/** midi target: the model outputs (midi - PF_TARGET_MIDI_REF) / 12, octaves from A4. */
#define PF_TARGET_MIDI_REF 69.0

/** A training config (manifests/train-*.yaml), every key with its default filled in. */
typedef struct pf_train_config {
    char *file, *text;     /**< path and verbatim text (stored in checkpoints and model.h5) */
    char sha256[65];
    char *dataset;         /**< dataset.h5 made by generate */
    char *output;          /**< folder for model.h5, metrics.jsonl, checkpoints */
    char *preset;          /**< "seed" | "fast" | NULL when `model.layers` is given */
    pf_model_spec model;   /**< layers (owned) */
    pf_target target;
    double bins_lo_midi, bins_step; /**< bins: centre of bin 0 (MIDI) and width (semitones) */
    int n_bins;
    double blur_cents;     /**< bins: std of the Gaussian target blur (CREPE: 25 cents) */
    int tuning_measured;   /**< train labels moved by their (preset, key)'s audited tuning */
    int outside_unvoiced;  /**< frames: a voiced column outside the bins is trained as unvoiced
                                (no bin lit) instead of refusing the dataset */
    char input[16];        /**< "log" (ln(x + 1e-6)) or "linear", then /stats normalization */
    pf_loss loss;          /**< mse (hz, midi) or bce (bins) */
    pf_optim optimizer;
    double lr, momentum, beta1, beta2, eps, weight_decay;
    double lr_decay;       /**< lr of epoch e (1-based) = lr * lr_decay^(e-1); 1: constant */
    int batch, epochs, threads;
    int checkpoint_every;  /**< a checkpoint inside an epoch every N steps (0: only at its end) */
    double checkpoint_minutes; /**< ... and at least every this many minutes (0: off) */
    int weights_half;      /**< model.h5 stores weights as float16 (`weights: float16`) */
    double eq_db;          /**< augment.eq_db: random EQ of up to this many dB (0: off) */
    uint64_t seed;
    size_t limit_train, limit_val; /**< 0: the whole split; else the first N (tests) */
    /** init.model: start from this model or ensemble file's weights and normalization (NULL:
     *  random weights and the dataset's stats); init.member: which of its networks, from 1 */
    char *init_model;
    int init_member;
} pf_train_config;

/** Load and validate a training config; errors are PF_ECONFIG "FILE:LINE:COL: message". */
int pf_train_config_load(pf_train_config *c, const char *path, pf_error *err);
int pf_train_config_parse(pf_train_config *c, const char *name, const char *text, size_t len,
                          pf_error *err);
void pf_train_config_release(pf_train_config *c);
/**
 * The training config's keys as markdown table rows (key, default, values, help), printed from
 * the schema the parser reads (`pitchforge help train-keys`).
 * @return a malloc'd string the caller frees
 */
char *pf_train_config_keys_markdown(void);
/** Fill @p spec with a named preset ("seed", "fast"); layers malloc'ed. */
int pf_model_preset(const char *name, int n_out, pf_model_spec *spec, pf_error *err);

/** Options of one run. */
typedef struct pf_train_opts {
    int resume;   /**< continue from output/checkpoint.h5 */
    int force;    /**< replace an earlier run's files in output (else such a folder is refused,
                       unless resume) */
    const char *command; /**< the command line, recorded in the output folder's lock (NULL:
                              "pitchforge train FILE") */
    int progress; /**< redraw a progress line on stderr */
    int verbose;  /**< one line per epoch on stderr (a log) */
    pf_dist *dist;       /**< the run's processes (pf_dist_init; NULL: this one alone): each
                              reads its part of every batch, gradients are summed in rank
                              order, rank 0 writes the files */
} pf_train_opts;

/** One epoch's numbers (also one line of metrics.jsonl). */
typedef struct pf_epoch_metrics {
    int epoch;
    double train_loss, val_loss;
    double val_mae_hz, val_median_cents, val_rpa50, val_rca50;
    pf_melody_scores val_frames; /**< target frames: every column of val (else zeros) */
    double examples_per_s, seconds;
    double exchange_seconds; /**< of the train pass's seconds, those in the ranks' gradient
                                  and loss sums (0 on one process) */
} pf_epoch_metrics;

/**
 * Train as @p c says; writes output/model.h5, metrics.jsonl, checkpoint.h5 (at every epoch's
 * end and every c->checkpoint_every steps or c->checkpoint_minutes inside one). The output
 * folder is locked against other runs (PF_EBUSY naming the holder); a folder holding an
 * earlier run is refused (PF_EEXIST) unless @p o asks to resume or force. Stops after the
 * current step when pf_interrupted(), writing a checkpoint there first (PF_EINTR).
 */
int pf_train(const pf_train_config *c, const pf_train_opts *o, pf_epoch_metrics *last,
             pf_error *err);

/* ---- targets: labels <-> model outputs ---- */

/** Values per example the target needs: 1 for hz and midi, n_bins for bins. */
int pf_target_n_out(const pf_train_config *c);
/** Fill @p meta's target fields (target, bins_lo_midi, bins_step, n_bins, input) from @p c. */
void pf_target_meta(const pf_train_config *c, pf_model_meta *meta);
/** Encode f0 in Hz as the target vector of @p c's target (n_out values). */
void pf_target_encode(const pf_train_config *c, double f0_hz, float *out);
/** Decode one model output to Hz (bins: the largest bin moved to the vertex of the parabola
 *  through the log sigmoids of it and its two neighbours). @p out is the raw output of the last
 *  layer (for bins, logits: the sigmoid is applied here). */
double pf_target_decode(const pf_model_meta *meta, const float *out, size_t n);
/** bins and frames: the pitch in Hz at bin @p peak of the logits @p out [n], moved to the vertex
 *  of the parabola through the log sigmoids of it and its two neighbours (at most one bin; a
 *  bin at either end stays put). pf_target_decode takes the largest bin; a Viterbi path
 *  (predict --viterbi) takes the path's. */
double pf_target_decode_at(const pf_model_meta *meta, const float *out, size_t n, size_t peak);
/** frames: a column is voiced when its largest bin's sigmoid reaches this (CREPE's reading of
 *  its activation as a confidence). */
#define PF_FRAMES_VOICED 0.5
/** The name of @p t in configs and model files ("hz", "midi", "bins", "frames"). */
const char *pf_target_name(pf_target t);
/** 1 when the target is bins over 20-cent steps (bins or frames: BCE on blurred targets). */
int pf_target_is_bins(const pf_train_config *c);
/**
 * frames: the targets of one example from its per-column labels @p f0_frames [frames] (Hz, 0:
 * unvoiced): @p out [n_bins][frames], column k the blurred bins around f0_frames[k], all 0 where
 * it is unvoiced or outside the bins.
 * @return the voiced columns left out for being outside the bins
 */
size_t pf_target_encode_frames(const pf_train_config *c, const float *f0_frames, int frames,
                               float *out);
/**
 * frames: decode every column of one example's outputs @p out [n_bins][frames] (logits) as the
 * bins target decodes one example: @p f0 [frames] the pitch and @p conf [frames] the largest
 * bin's sigmoid (the voicing decision's input).
 */
void pf_target_decode_frames(const pf_model_meta *meta, const float *out, int frames, double *f0,
                             double *conf);

/**
 * Loss of a batch and its gradient: mean over the first @p rows rows and all @p n_out outputs
 * of the squared error (PF_LOSS_MSE) or of the binary cross-entropy between sigmoid(@p y) and
 * @p t (PF_LOSS_BCE, on logits, as PyTorch's BCEWithLogitsLoss).
 * @param y   model outputs [rows][n_out]
 * @param t   targets [rows][n_out]
 * @param dy  out: dLoss/dy [rows][n_out] (NULL: loss only)
 * @return the loss
 */
double pf_loss_eval(pf_loss loss, const float *y, const float *t, size_t rows, size_t n_out,
                    float *dy);
/**
 * pf_loss_eval on this process's @p rows rows of a batch of @p all rows spread over processes
 * (data-parallel training): the sum over these rows divided by @p all x @p n_out, so that the
 * processes' losses and gradients add up to the batch's. @p all = @p rows is pf_loss_eval, bit
 * for bit; @p all of 0 gives 0.
 */
double pf_loss_eval_part(pf_loss loss, const float *y, const float *t, size_t rows,
                         size_t n_out, size_t all, float *dy);

/* ---- metrics (CREPE's definitions), shared with eval ---- */


/** Error in cents of @p est against @p ref (both Hz); NAN if either is not positive. */
double pf_cents_error(double est_hz, double ref_hz);
/** Raw pitch accuracy: share of |cents error| <= @p tol. */
double pf_rpa(const double *est_hz, const double *ref_hz, size_t n, double tol_cents);
/** Raw chroma accuracy: as RPA with errors folded into one octave (+-600 cents). */
double pf_rca(const double *est_hz, const double *ref_hz, size_t n, double tol_cents);

/** Mean absolute error in Hz of @p est against @p ref (@p n values). */
double pf_mae_hz(const double *est_hz, const double *ref_hz, size_t n);
/** Median of |cents error| (an unusable estimate counts as an infinite error); NAN if n = 0. */
double pf_median_abs_cents(const double *est_hz, const double *ref_hz, size_t n);

#endif
