/* pitchforge: scoring a model on a dataset split, with a classic estimator beside it. */
#ifndef PITCHFORGE_EVAL_H
#define PITCHFORGE_EVAL_H

#include <stddef.h>
#include <stdio.h>

#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/melody.h"

/** Scores of one estimator over a set of examples (CREPE's definitions). */
typedef struct pf_scores {
    size_t n;
    double rpa[3], rca[3];        /**< at 50, 25, 10 cents */
    double cents_median, cents_p90, cents_p99; /**< of |error|, unvoiced counts as infinite */
    double mae_hz;                /**< over voiced estimates (the seed's metric) */
    double octave_rate;           /**< share off by a whole number of octaves (+-50 cents) */
    double unvoiced_rate;         /**< share with no estimate */
} pf_scores;

/** One row of a breakdown table: the model and the baseline on the same examples. */
typedef struct pf_eval_row {
    char name[96];
    pf_scores model, yin;
} pf_eval_row;

/** A breakdown (per octave, instrument, segment or velocity). */
typedef struct pf_eval_table {
    const char *by;
    pf_eval_row *rows;
    size_t n;
} pf_eval_table;

#define PF_EVAL_TABLES 4

/** YIN's window around a column for the frame metrics, seconds: the label audit's column
 *  window (two periods of its 25 Hz floor and a little room), centred on the column and
 *  shifted inside the segment near its ends (1360 samples at 16 kHz). */
#define PF_EVAL_FRAME_WINDOW_S 0.085

/**
 * Frame metrics of one estimator with mir_eval's definitions (docs: pf_melody_*): every column
 * of every example a frame, the f0_frames label its reference, overall and per group.
 */
typedef struct pf_eval_frames {
    pf_melody_scores all;
    pf_melody_scores segment[PF_SEG_COUNT]; /**< per pf_segment_kind; frames 0: none there */
    pf_melody_scores source[2];             /**< notes, negatives (any pf_source but a note) */
    double window_s;                        /**< YIN's window; 0 for other estimators */
    pf_melody_counts count_all, count_segment[PF_SEG_COUNT], count_source[2]; /**< behind them */
} pf_eval_frames;

/** Everything `eval` reports. */
typedef struct pf_eval_result {
    char split[16];
    pf_scores model, yin;
    pf_eval_table tables[PF_EVAL_TABLES]; /**< octave, instrument, segment, velocity */
    double *midi_err_model, *midi_err_yin; /**< [128] median |cents| per MIDI key, NAN: none */
    double seconds;
    size_t networks;         /**< networks in the model file: 1, or an ensemble's members */
    size_t n;                /**< examples scored */
    struct pf_label *labels; /**< [n] their labels */
    double *est_hz, *yin_hz; /**< [n] the model's and YIN's f0, 0: unvoiced */
    double *confidence;      /**< [n] the model's confidence (predict's), 0 when unvoiced */
    int has_yin; /**< 1 when the split stores audio and YIN ran; 0: its scores are left zero */
    int has_frames;          /**< 1 when the frame metrics ran (they need audio for YIN) */
    size_t frames;           /**< columns per example */
    pf_eval_frames frames_yin; /**< YIN's track, one estimate per column */
    int has_frames_model;      /**< 1 for a frame-level model: frames_model holds its scores */
    pf_eval_frames frames_model; /**< the model's columns (voiced from @p voicing) */
    double voicing;              /**< the model's voicing threshold (pf_estimator_voicing) */
} pf_eval_result;

/** Progress of a long step: @p done of @p total examples through @p stage. */
typedef void (*pf_eval_progress_fn)(void *ctx, const char *stage, size_t done, size_t total);

/** What pf_eval_run_opts scores and how. */
typedef struct pf_eval_opts {
    const char *model, *dataset, *split; /**< model.h5, dataset.h5, "train" / "val" / "test" */
    int threads;
    int progress; /**< 1: a progress line on stderr, redrawn in place (give it on a terminal) */
} pf_eval_opts;

/**
 * Score @p model_path on split @p split of @p dataset: the model's estimate for every example
 * and, when the split stores audio, YIN's (the label audit's estimator) on it (r->has_yin).
 */
int pf_eval_run(const char *model_path, const char *dataset, const char *split, int threads,
                pf_eval_result *r, pf_error *err);
/** pf_eval_run with options (a progress line). */
int pf_eval_run_opts(const pf_eval_opts *o, pf_eval_result *r, pf_error *err);
/** Free what @p r owns. */
void pf_eval_release(pf_eval_result *r);
/** The tables as text. */
void pf_eval_print(const pf_eval_result *r, FILE *out);
/** Everything as one JSON object (one line); the frame metrics under "frames" (null when
 *  they did not run). */
void pf_eval_json(const pf_eval_result *r, FILE *out);
/** Frame scores as a JSON object: frames, voiced, vr, vfa, rpa50/25/10, rca50/25/10, oa. */
void pf_eval_json_melody(FILE *out, const pf_melody_scores *s);
/**
 * One CSV line per example (index, example_id, instrument, midi, cents, velocity, segment,
 * label f0, model f0, YIN f0 and both errors in cents) to @p path, written whole or not at all.
 */
int pf_eval_write_examples(const pf_eval_result *r, const char *path, pf_error *err);
/** The error-by-pitch chart (median |cents error| per key, model and YIN) as a PNG. */
int pf_eval_plot(const pf_eval_result *r, const char *path, pf_error *err);
/**
 * Add @p n examples' per-column estimates to @p f (counts overall, per segment, per source):
 * YIN's track here, a frame-level model's the same way.
 * @param labels      [n] the examples' labels (segment, source)
 * @param ref_hz      [n][frames] their f0_frames (Hz, 0 unvoiced)
 * @param est_hz      [n][frames] the estimates (Hz)
 * @param est_voiced  [n][frames] voicing flags, est_hz then the pitch even where unvoiced; or
 *                    NULL: voiced where est_hz > 0 (mir_eval's sign convention)
 */
void pf_eval_frames_add(pf_eval_frames *f, const pf_label *labels, const float *ref_hz,
                        const double *est_hz, const unsigned char *est_voiced, size_t n,
                        size_t frames);
/** The scores of the counts added to @p f. */
void pf_eval_frames_finish(pf_eval_frames *f);
/* ---- a recording against a reference track ---- */

/** YIN's hop on a recording (eval --audio): 10 ms, the hop of MIREX's melody evaluation. */
#define PF_EVAL_TRACK_YIN_HOP_S 0.010

/** predict's track and YIN's of one recording, scored against a reference track. */
typedef struct pf_eval_track_result {
    size_t ref_frames, ref_voiced; /**< the reference's frames, of which voiced */
    double duration_s;             /**< of the recording */
    size_t model_points, yin_points; /**< points of the two tracks */
    double model_hop_s;            /**< predict's hop (110 ms today) */
    pf_melody_scores model, yin;   /**< mir_eval's scores, on the reference's times */
} pf_eval_track_result;

/**
 * Score predict's track of @p audio_path (pf_predict_file with @p model_path) and YIN's (85 ms
 * windows every 10 ms at 16 kHz, voiced when it finds a period) against the reference track
 * @p ref_csv (MDB-stem-synth's layout, pf_melody_read_csv), as mir_eval.melody.evaluate does.
 * @return 0, or -1 with @p err filled
 */
int pf_eval_track_run(const char *model_path, const char *audio_path, const char *ref_csv,
                      int threads, pf_eval_track_result *r, pf_error *err);
/** The two rows as a text table. */
void pf_eval_track_print(const pf_eval_track_result *r, FILE *out);
/** Everything as one JSON object (one line). */
void pf_eval_track_json(const pf_eval_track_result *r, FILE *out);

/** Score @p n estimates @p est against @p ref (Hz; est 0 = unvoiced). */
void pf_scores_compute(const double *est, const double *ref, size_t n, pf_scores *s);

#endif
