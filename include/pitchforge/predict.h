/* pitchforge: the pitch of a recording, from a trained model. */
#ifndef PITCHFORGE_PREDICT_H
#define PITCHFORGE_PREDICT_H

#include <stddef.h>

#include "pitchforge/error.h"
#include "pitchforge/flags.h"

/** One analysis window of a pitch track. */
typedef struct pf_pitch_point {
    double time_s;     /**< centre of the window */
    double f0_hz;      /**< 0 when unvoiced */
    double confidence; /**< 0..1 */
} pf_pitch_point;

/** The answer for one file. */
typedef struct pf_pitch_result {
    double f0_hz;      /**< the file's pitch (confidence-weighted median of voiced windows); 0 if unvoiced */
    double confidence; /**< median confidence of the voiced windows; 0 if unvoiced */
    double duration_s;
    double rate_hz;    /**< the file's sample rate */
    pf_pitch_point *track; /**< [n_track] every window (owned) */
    size_t n_track;
    unsigned flags; /**< a frame-level model's low-confidence flags (PF_FLAG_*, pitchforge/flags.h;
                         pf_flags_judge): 0 when none, always 0 for a note-level model */
    pf_flag_measures measures; /**< what the flags' rules measured (frame-level models) */
} pf_pitch_result;

typedef struct pf_predictor pf_predictor;

/** A frame-level model's track: a point every 10 ms by default (pf_predictor_set_hop). */
#define PF_TRACK_HOP_S 0.010

/**
 * Load @p model_path (model.h5) for prediction on @p threads threads.
 * @return the predictor (pf_predictor_free) or NULL with @p err naming the file
 */
pf_predictor *pf_predictor_new(const char *model_path, int threads, pf_error *err);
/** Free the predictor; NULL is accepted. */
void pf_predictor_free(pf_predictor *p);
/** A frame-level model's track hop in seconds (<= 0: PF_TRACK_HOP_S); note-level models keep
 *  their window hop. */
void pf_predictor_set_hop(pf_predictor *p, double hop_s);
/** A frame-level model's track smoothed by a Viterbi path over its bins (@p on 1; 0 the
 *  default): the points' posteriors decoded as pf_viterbi_path does, each voiced point's pitch
 *  decoded at the path's bin (pf_target_decode_at), voicing and confidence unchanged, and the
 *  file's pitch taken from the smoothed points. Note-level models ignore it. */
void pf_predictor_set_viterbi(pf_predictor *p, int on);
/** Columns a window of the model answers for: 0 for a note-level model (one answer a window). */
size_t pf_predictor_frames(const pf_predictor *p);

/**
 * Read @p path (any format libsndfile reads, any rate, any channels, any length; shorter than
 * one window of 330 ms is padded with silence), resample to the model's rate, and estimate the
 * pitch: windows below -60 dBFS are unvoiced; the others are peak-normalized, turned into the
 * spectrogram the model was trained on, and decoded. A note-level model answers once a window
 * (hop 110 ms; the file's pitch the confidence-weighted median); a frame-level model for every
 * column, the windows tiling the file, and the track is a point every hop (10 ms by default,
 * f0 0 where unvoiced), the file's pitch the loudness-weighted median of the voiced columns,
 * and @p r->flags says when that answer is unreliable (pf_flags_judge over the columns).
 * @return 0, or -1 with @p err filled (not audio, empty, ...)
 */
int pf_predict_file(pf_predictor *p, const char *path, pf_pitch_result *r, pf_error *err);
/** Free what @p r owns. */
void pf_pitch_result_release(pf_pitch_result *r);

#endif
