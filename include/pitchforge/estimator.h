/* pitchforge: the trained estimator: spectrograms in, a pitch and a confidence out, with the
 * decoding steps after the network (docs/model-format.md, "Decoding"). */
#ifndef PITCHFORGE_ESTIMATOR_H
#define PITCHFORGE_ESTIMATOR_H

#include <stddef.h>

#include "pitchforge/error.h"
#include "pitchforge/nn.h"
#include "pitchforge/spectrogram.h"

/**
 * A trained pitch estimator: one model file, or an ensemble file (pf_ensemble_save) whose
 * members' output probabilities are averaged before decoding.
 */
typedef struct pf_estimator pf_estimator;

/** Load the model or ensemble file @p path for @p batch spectrograms at a time. */
pf_estimator *pf_estimator_new(const char *path, int batch, int threads, pf_error *err);
/** Free the estimator; NULL is accepted. */
void pf_estimator_free(pf_estimator *e);
/** The first member's meta: the spectrograms every member was trained on, and the target. */
const pf_model_meta *pf_estimator_meta(const pf_estimator *e);
/** Values in one spectrogram the estimator takes. */
size_t pf_estimator_in_size(const pf_estimator *e);
/** Networks in the file: 1 for a model file. */
size_t pf_estimator_members(const pf_estimator *e);
/** Refine estimates of PF_REFINE_MIN_HZ or more by averaging them in cents with their
 *  harmonic-peak refinement, and let pf_estimator_refine_audio weigh in YIN's period and the
 *  key tuning meter (@p on 1, the default), or keep the networks' decoding (0). A model whose
 *  input is not a spectrogram of its FFT's bins is never refined. */
void pf_estimator_set_refine(pf_estimator *e, int on);
/** The spectrogram settings a model was trained on (its meta; the defaults where unknown). */
pf_spec_config pf_model_spec_config(const pf_model_meta *m);
/**
 * Estimate the pitch of @p rows (at most the batch) spectrograms @p spec [rows][in_size], as the
 * dataset stores them (left unchanged): @p f0_hz (0: no pitch) and, when not NULL,
 * @p confidence (the largest bin's probability, 1 for a regression target, 0 with no pitch).
 */
int pf_estimator_run(pf_estimator *e, const float *spec, size_t rows, double *f0_hz,
                     double *confidence, pf_error *err);
/** Columns a frame-level model (target frames) answers for each spectrogram; 0 for a
 *  note-level model (hz, midi, bins). */
size_t pf_estimator_frames(const pf_estimator *e);
/** The confidence from which a frame-level model's column is voiced: the threshold its trainer
 *  chose on val (model.h5's meta voicing_threshold), else PF_FRAMES_VOICED. */
double pf_estimator_voicing(const pf_estimator *e);
/**
 * A frame-level model's answer for every column of @p rows spectrograms (as pf_estimator_run
 * takes them): @p f0_hz [rows][frames] the decoded pitch, @p confidence [rows][frames] the
 * largest bin's probability (a column is voiced from PF_FRAMES_VOICED). Members average their
 * probabilities, as for bins.
 * @param logits out (may be NULL): [rows][n_bins][frames] the posteriors they were decoded from,
 *               as logits (an ensemble's: the logit of its members' mean probability); the
 *               sigmoid of bin i of column k is the probability of that column's pitch in bin i
 * @return 0, or -1 with @p err filled (not a frames model, too many rows)
 */
int pf_estimator_run_frames(pf_estimator *e, const float *spec, size_t rows, double *f0_hz,
                            double *confidence, float *logits, pf_error *err);

/**
 * The loudness of @p columns spectrogram columns of the audio @p s [n] (at the model's rate):
 * column m's RMS (linear, full scale 1) over its window, samples m hop .. m hop + length of
 * @p cfg, cut at the end of the audio (0 past it). The weights of pf_columns_pitch.
 */
void pf_columns_rms(const float *s, size_t n, const pf_spec_config *cfg, size_t columns,
                    double *rms);
/**
 * One pitch for @p n columns of a frame-level model (predict's file answer, eval's example
 * answer): the median of the voiced columns' @p f0 (confidence @p conf from @p voicing,
 * pf_estimator_voicing), each weighted by @p weight (pf_columns_rms; NULL: all 1), so a long
 * quiet tail cannot outvote the note. @p f0_hz 0 when no column is voiced; @p confidence the
 * weighted mean of theirs.
 */
void pf_columns_pitch(const double *f0, const double *conf, const double *weight, size_t n,
                      double voicing, double *f0_hz, double *confidence);

/**
 * Weigh YIN's period of the audio into @p rows estimates of pf_estimator_run, then the key
 * tuning meter's reading of it: @p audio [rows][n] holds the samples (at the model's rate) the
 * spectrograms were made of, and each estimate @p f0_hz > 0 becomes pf_refine_audio's: f' =
 * pf_refine_time(f, pf_yin_near(audio, f)), then pf_refine_meter(f', pf_key_meter_measure(audio,
 * f')), and a pure tone's pf_refine_pure's (YIN and the meter, where they agree); the estimates
 * stay as they are when refinement is off (pf_estimator_set_refine).
 * @param yin_hz out (may be NULL): [rows] YIN's own estimate of each row (pf_yin_estimate, 0:
 *               unvoiced; the label audit's estimator, as eval's baseline), from the same
 *               analysis of the audio
 */
int pf_estimator_refine_audio(pf_estimator *e, const float *audio, size_t n, size_t rows,
                              double *f0_hz, double *yin_hz, pf_error *err);

/**
 * Turn one spectrogram (@p n values, [planes][bins][frames]) into the model's input in place,
 * as training did: ln(|x| + 1e-6) when meta->input is "log", then per-bin (x - mean) / std
 * with the normalization stored in the model.
 */
void pf_model_prepare_input(const pf_model_meta *meta, float *x, size_t n);

#endif
