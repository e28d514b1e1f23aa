/* pitchforge: a note's expression, as a pitch curve in cents over time: vibrato, a scoop into the
 * note, a fall at its end, and a legato glide to a second pitch. The renderer plays the curve
 * inside FluidSynth, one whole-cent value per 64-frame block, and the labels are read off the
 * same values (docs/expression.md). */
#ifndef PITCHFORGE_EXPRESSION_H
#define PITCHFORGE_EXPRESSION_H

#include <stddef.h>
#include <stdint.h>

/** The expression of one note; a zeroed struct is a note that does not move. Times are seconds
 *  from the note-on. */
typedef struct pf_expression {
    double vib_rate_hz;     /**< vibrato rate (0: none) */
    double vib_depth_cents; /**< vibrato peak deviation: the pitch swings +-depth */
    double vib_delay_s;     /**< vibrato starts here, fading in over one period */
    double vib_phase;       /**< starting phase in cycles, [0, 1) */
    double scoop_cents;     /**< the note starts this far off its pitch (negative: from below) */
    double scoop_s;         /**< ... and reaches it this long after the note-on */
    double fall_cents;      /**< the note ends this far off (a fall or a rise) */
    double fall_start_s;    /**< ... moving there from this time */
    double fall_s;          /**< ... over this long */
    double glide_cents;     /**< legato: a second pitch this far from the first */
    double glide_start_s;   /**< ... reached by a glide starting here */
    double glide_s;         /**< ... lasting this long (0: a jump) */
} pf_expression;

/** FluidSynth's block: the renderer changes the pitch once per this many frames. */
#define PF_EXPRESSION_BLOCK 64

/**
 * The pitch offset of @p e at @p t_s seconds after the note-on, in cents from the note's own
 * pitch: the sum of the scoop (a raised-cosine ramp from scoop_cents to 0), the fall (0 to
 * fall_cents), the glide (0 to glide_cents) and the vibrato (depth sin(2 pi (rate (t - delay) +
 * phase)), faded in by a raised cosine over its first period).
 */
double pf_expression_cents(const pf_expression *e, double t_s);

/**
 * The whole-cent offsets the renderer plays: block b (frames 64 b .. 64 b + 63 after the
 * note-on at @p rate_hz) gets round(pf_expression_cents(e, (64 b + 32) / rate_hz)).
 * @param out  [n_blocks] offsets in cents
 */
void pf_expression_blocks(const pf_expression *e, double rate_hz, int32_t *out, size_t n_blocks);

/** 1 when @p e moves the pitch at all (a zeroed struct does not). */
int pf_expression_moves(const pf_expression *e);

#endif
