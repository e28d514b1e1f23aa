/* pitchforge: when a frame-level model's answer for a file is unreliable: the pitch beyond its
 * bins, several pitches at once, noise (docs/tracking.md, "Low-confidence flags"). */
#ifndef PITCHFORGE_FLAGS_H
#define PITCHFORGE_FLAGS_H

#include <stddef.h>

/** The flags of a file's answer (bits of pf_pitch_result.flags). */
enum {
    PF_FLAG_RANGE = 1u << 0,     /**< "out_of_range": the pitch at or beyond the bins' ends */
    PF_FLAG_POLYPHONY = 1u << 1, /**< "polyphonic": two or more pitches at once */
    PF_FLAG_NOISE = 1u << 2,     /**< "noisy": little voiced, broad posteriors */
    PF_FLAG_COUNT = 3
};

/** out_of_range also when the file's answer is outside the tracker's stated range, C1 .. C8
 *  (MIDI 24 .. 108), whatever the model's bins reach. */
#define PF_FLAG_RANGE_LO_HZ 32.703195662574829
#define PF_FLAG_RANGE_HI_HZ 4186.009044809578
/** A column "at the edge": its largest bin within this many bins of either end. */
#define PF_FLAG_EDGE_BINS 3
/** A column counts for the range rule when its largest bin's probability reaches this. */
#define PF_FLAG_EDGE_MIN_P 0.1
/** out_of_range also when at least PF_FLAG_EDGE_SHARE of the voiced columns sound above C8: the
 *  answer at or above half of C8 and the magnitude spectrum's energy around it under this share
 *  of the energy around twice it (pf_column_above_c8): the sound is the partial an octave up,
 *  which the model names an octave down. */
#define PF_FLAG_ABOVE_RATIO 0.1
/** out_of_range: at least this share of those columns at the edge. */
#define PF_FLAG_EDGE_SHARE 0.25
/** A second pitch: a local maximum at least this far from the largest bin ... */
#define PF_FLAG_POLY_APART_CENTS 100.0
/** ... and farther than this from any octave of it (1200, 2400, ... cents) and from k times
 *  its frequency or 1/k of it, k = 3 .. PF_FLAG_POLY_HARMONICS (1902, 2786, 3102, 3369 cents) ... */
#define PF_FLAG_POLY_OCTAVE_CENTS 50.0
/** ... whose probability is at least this share of the largest bin's. The polyphonic and noisy
 *  numbers were chosen on val with `make bench-flags` (docs/tracking.md). */
#define PF_FLAG_POLY_RATIO 0.5
/** The highest harmonic relation (k) the polyphonic rule leaves out (see above). */
#define PF_FLAG_POLY_HARMONICS 7
/** polyphonic: at least this share of the voiced columns have a second pitch. */
#define PF_FLAG_POLY_SHARE 0.1
/** noisy: under this share of the analysed columns voiced ... */
#define PF_FLAG_NOISE_VOICED 0.7
/** ... and their median peak-to-mean ratio (largest bin's probability over the mean of all
 *  bins') under this. */
#define PF_FLAG_NOISE_PEAK_TO_MEAN 50.0

/** What the rules read of one column's posteriors. */
typedef struct pf_column_shape {
    int peak;        /**< the largest bin; -1: the column was not analysed (silence) */
    double peak_p;   /**< its probability (sigmoid of its logit): the column's confidence */
    double second_p; /**< the largest second pitch's probability (see the rule), 0 if none */
    double mean_p;   /**< the mean probability over the bins */
    int above;       /**< the column sounds above C8 (pf_column_above_c8) */
} pf_column_shape;

/**
 * Measure one column of posteriors: @p logits [n_bins] at stride @p stride (the network's
 * [n_bins][frames] layout: stride frames), bins @p step_cents apart.
 */
void pf_column_shape_measure(const float *logits, size_t n_bins, size_t stride, double step_cents,
                             pf_column_shape *s);

/**
 * 1 when a column whose answer is @p f0_hz sounds above C8 rather than at f0: f0 at or above
 * PF_FLAG_RANGE_HI_HZ / 2, twice it inside the spectrum, and the energy of the magnitude
 * spectrum @p mag [n_bins] (at stride @p stride, bins @p bin_hz apart) within 3% of f0 under
 * PF_FLAG_ABOVE_RATIO of that within 3% of 2 f0.
 */
int pf_column_above_c8(const float *mag, size_t n_bins, size_t stride, double bin_hz,
                       double f0_hz);

/** What the rules measure over a file's columns (each share 0 when it has no columns to
 *  count). */
typedef struct pf_flag_measures {
    size_t columns;      /**< the analysed columns (silence left out) */
    double edge;         /**< share of the columns whose peak reaches PF_FLAG_EDGE_MIN_P that
                              peak within PF_FLAG_EDGE_BINS of either end */
    double second_pitch; /**< share of the voiced columns with a second pitch of at least
                              PF_FLAG_POLY_RATIO of their peak */
    double above_c8;     /**< share of the voiced columns that sound above C8 */
    double voiced;       /**< share of the analysed columns voiced */
    double peak_to_mean; /**< median over the analysed columns of peak_p / mean_p */
} pf_flag_measures;

/**
 * The flags of a file from its columns @p cols [n] (silent ones, peak -1, are left out), a
 * model of @p n_bins bins whose columns are voiced from @p voiced_p: PF_FLAG_RANGE when
 * measures->edge or measures->above_c8 reaches PF_FLAG_EDGE_SHARE; PF_FLAG_POLYPHONY when
 * second_pitch reaches PF_FLAG_POLY_SHARE; PF_FLAG_NOISE when voiced is under PF_FLAG_NOISE_VOICED and
 * peak_to_mean under PF_FLAG_NOISE_PEAK_TO_MEAN.
 * @param measures out (may be NULL): what the rules measured
 * @return the flags (0: none; no analysed column: none)
 */
unsigned pf_flags_judge(const pf_column_shape *cols, size_t n, size_t n_bins, double voiced_p,
                        pf_flag_measures *measures);

/** The name of flag @p bit in JSON and text ("out_of_range", "polyphonic", "noisy"), or "?". */
const char *pf_flag_name(unsigned bit);

#endif
