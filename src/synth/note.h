/* A note renderer: one synthesizer with the manifest's soundfonts, one resampler and their
 * buffers — what a generate worker and the preset audit each own. */
#ifndef PF_NOTE_RENDER_H
#define PF_NOTE_RENDER_H

#include <stddef.h>

#include "pitchforge/expression.h"
#include "pitchforge/manifest.h"
#include "pitchforge/plan.h"
#include "pitchforge/synth.h"
#include "pitchforge/error.h"
#include "pitchforge/resample.h"

typedef struct pf_note_renderer {
    pf_synth *synth;
    pf_resampler *rs;
    size_t hold, release; /**< frames at the synth rate before and after note-off */
    size_t render_len;    /**< hold + release */
    size_t audio_len;     /**< output samples at the audio rate */
    float *render;        /**< [render_len] the note at the synth rate */
    float *audio;         /**< [audio_len] the note resampled */
    int steady;           /**< pf_note.steady_pitch for every note (render.steady_pitch) */
    int32_t *blocks;      /**< [n_blocks] the current note's pitch offsets, whole cents */
    size_t n_blocks;      /**< blocks of the whole render (render_len / 64, rounded up) */
    int moving;           /**< the current note plays `blocks` (pf_note_renderer_express) */
} pf_note_renderer;

/** Make the synth (soundfonts loaded), resampler and buffers for @p m. */
int pf_note_renderer_init(pf_note_renderer *nr, const pf_manifest *m, pf_error *err);
/** Free what @p nr owns (a zeroed renderer is accepted). */
void pf_note_renderer_release(pf_note_renderer *nr);
/**
 * Set the expression of the notes rendered next: its block offsets (pf_expression_blocks) into
 * nr->blocks when @p e moves, else none (NULL or a still @p e).
 */
void pf_note_renderer_express(pf_note_renderer *nr, const pf_expression *e);
/**
 * Render key @p midi of @p in at @p velocity detuned by @p cents into nr->audio.
 * @param seconds  out (may be NULL): [0] rendering, [1] resampling time added in seconds
 */
int pf_note_renderer_run(pf_note_renderer *nr, const pf_instrument *in, int midi, int velocity,
                         double cents, double seconds[2], pf_error *err);

#endif
