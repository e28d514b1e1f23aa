/* pitchforge: scoring a model on a dataset split, with a classic estimator beside it. */
#ifndef PITCHFORGE_EVAL_H
#define PITCHFORGE_EVAL_H

#include <stddef.h>
#include <stdio.h>

#include "pitchforge/error.h"
#include "pitchforge/example.h"

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
} pf_eval_result;

/**
 * Score @p model_path on split @p split of @p dataset: the model's estimate for every example
 * and, when the split stores audio, YIN's (the label audit's estimator) on it (r->has_yin).
 */
int pf_eval_run(const char *model_path, const char *dataset, const char *split, int threads,
                pf_eval_result *r, pf_error *err);
/** Free what @p r owns. */
void pf_eval_release(pf_eval_result *r);
/** The tables as text. */
void pf_eval_print(const pf_eval_result *r, FILE *out);
/** Everything as one JSON object (one line). */
void pf_eval_json(const pf_eval_result *r, FILE *out);
/**
 * One CSV line per example (index, example_id, instrument, midi, cents, velocity, segment,
 * label f0, model f0, YIN f0 and both errors in cents) to @p path, written whole or not at all.
 */
int pf_eval_write_examples(const pf_eval_result *r, const char *path, pf_error *err);
/** The error-by-pitch chart (median |cents error| per key, model and YIN) as a PNG. */
int pf_eval_plot(const pf_eval_result *r, const char *path, pf_error *err);
/** Score @p n estimates @p est against @p ref (Hz; est 0 = unvoiced). */
void pf_scores_compute(const double *est, const double *ref, size_t n, pf_scores *s);

#endif
