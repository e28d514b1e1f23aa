/* pitchforge: frame metrics of a pitch track against a reference track, with mir_eval.melody's
 * definitions (mir_eval 0.7, Debian 12's python3-mir-eval; binary voicing): voicing recall,
 * voicing false alarm, raw pitch accuracy, raw chroma accuracy, overall accuracy. */
#ifndef PITCHFORGE_MELODY_H
#define PITCHFORGE_MELODY_H

#include <stddef.h>

#include "pitchforge/error.h"

/** Cent tolerances scored: mir_eval's default (50), then 25 and 10. */
#define PF_MELODY_TOLS 3
extern const double pf_melody_tolerances[PF_MELODY_TOLS];

/**
 * A pitch track: f0 at given times. Times are seconds, finite, >= 0 and strictly increasing.
 * A reference's f0 is Hz with 0 for unvoiced. An estimate's f0 follows mir_eval: > 0 voiced,
 * 0 unvoiced, < 0 unvoiced with -f0 the pitch it would have if voiced (raw pitch and chroma
 * accuracy score that guess; pf_melody_signed_f0 makes it from an f0 and a voicing flag).
 */
typedef struct pf_melody_track {
    const double *time_s; /**< [n] */
    const double *f0_hz;  /**< [n] */
    size_t n;
} pf_melody_track;

/** Both tracks on one time grid, as mir_eval.melody.to_cent_voicing returns them. */
typedef struct pf_melody_frames {
    size_t n;
    double *ref_voicing, *ref_cent; /**< [n] 0 or 1; cents above 10 Hz, 0 where f0 was 0 */
    double *est_voicing, *est_cent; /**< [n] the estimate resampled onto the reference's times */
} pf_melody_frames;

/** Frame counts behind the scores; counts of several tracks (or examples) add up. */
typedef struct pf_melody_counts {
    size_t frames;                                       /**< reference frames */
    size_t ref_voiced;                                   /**< of which voiced */
    size_t est_voiced_on_voiced, est_voiced_on_unvoiced; /**< estimate voiced there */
    size_t pitch_ok[PF_MELODY_TOLS];   /**< reference voiced, |cents error| < tolerance */
    size_t chroma_ok[PF_MELODY_TOLS];  /**< the same with the error folded into one octave */
    size_t overall_ok[PF_MELODY_TOLS]; /**< pitch_ok with the estimate voiced */
} pf_melody_counts;

/** mir_eval's scores (and its values when there is nothing to divide by). */
typedef struct pf_melody_scores {
    size_t frames, voiced;      /**< reference frames, of which voiced */
    double vr;                  /**< voicing recall (1 when no reference frame is voiced) */
    double vfa;                 /**< voicing false alarm (0 when every reference frame is voiced) */
    double rpa[PF_MELODY_TOLS]; /**< raw pitch accuracy at 50, 25, 10 cents (0: none voiced) */
    double rca[PF_MELODY_TOLS]; /**< raw chroma accuracy (0: none voiced) */
    double oa[PF_MELODY_TOLS];  /**< overall accuracy */
} pf_melody_scores;

/** mir_eval's estimate f0 for a frame: @p f0_hz when @p voiced and nonzero, else -|f0_hz|. */
double pf_melody_signed_f0(double f0_hz, int voiced);

/**
 * Both tracks as cents and voicing on the reference's time grid, as
 * mir_eval.melody.to_cent_voicing(ref_time, ref_freq, est_time, est_freq) with its defaults
 * (hop None, kind 'linear'): a track whose first time is above 0 gets a frame at 0 holding its
 * first f0; the estimate's cents are interpolated linearly (over its unvoiced gaps held at the
 * last pitch, then zeroed where the previous estimate frame was 0), its voicing held from the
 * previous frame; reference times past its end read unvoiced.
 * @param f  out: arrays of f->n values (pf_melody_frames_release)
 * @return 0, or -1 with @p err filled (empty track, bad times, non-finite f0)
 */
int pf_melody_to_cent_voicing(const pf_melody_track *ref, const pf_melody_track *est,
                              pf_melody_frames *f, pf_error *err);
/** Free what @p f owns; NULL is accepted. */
void pf_melody_frames_release(pf_melody_frames *f);

/** Add the frames of @p f to @p c (mir_eval's per-frame tests, summed). */
void pf_melody_count(const pf_melody_frames *f, pf_melody_counts *c);
/**
 * Add @p n frames that share one time grid (no resampling): reference @p ref_hz (0 unvoiced),
 * estimate @p est_hz voiced where @p est_voiced[i] is nonzero, or, with @p est_voiced NULL,
 * where est_hz > 0 (the sign convention of pf_melody_track).
 */
void pf_melody_count_hz(const double *ref_hz, const double *est_hz, const unsigned char *est_voiced,
                        size_t n, pf_melody_counts *c);
/** The scores of @p c, with mir_eval's answers for empty and all-unvoiced references. */
void pf_melody_scores_from(const pf_melody_counts *c, pf_melody_scores *s);

/**
 * Score @p est against @p ref as mir_eval.melody.evaluate does (and, beside its 50 cents, at
 * 25 and 10): to_cent_voicing, then the five metrics.
 * @return 0, or -1 with @p err filled
 */
int pf_melody_evaluate(const pf_melody_track *ref, const pf_melody_track *est, pf_melody_scores *s,
                       pf_error *err);

/**
 * Read a reference track in MDB-stem-synth's annotation layout: one frame a line, `time,f0`
 * (seconds, Hz, 0 unvoiced), comma separated, no header; blank lines are skipped.
 * @param time_s, f0_hz  out: malloc'd arrays of *n values (the caller frees them)
 * @return 0, or -1 with @p err naming the file and line
 */
int pf_melody_read_csv(const char *path, double **time_s, double **f0_hz, size_t *n, pf_error *err);

#endif
