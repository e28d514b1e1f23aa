/* Note renderer: render one note with FluidSynth and resample it to the audio rate. */
#include "core/util.h"
#include "synth/note.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "pitchforge/error.h"
#include "pitchforge/manifest.h"
#include "pitchforge/plan.h"
#include "pitchforge/resample.h"
#include "pitchforge/synth.h"

int pf_note_renderer_init(pf_note_renderer *nr, const pf_manifest *m, pf_error *err)
{
    memset(nr, 0, sizeof *nr);
    pf_synth_config sc = {m->render.rate_hz, m->render.gain, m->render.reverb, m->render.chorus};
    if (!(nr->synth = pf_synth_new(&sc, err)))
        return -1;
    for (size_t i = 0; i < m->n_soundfonts; i++) {
        int slot;
        if (pf_synth_load(nr->synth, m->soundfonts[i].path, &slot, err))
            return -1;
    }
    nr->rs = pf_resampler_new(m->audio.resampler, m->render.rate_hz, m->audio.rate_hz, err);
    if (!nr->rs)
        return -1;
    nr->hold = (size_t)llround(m->render.note_s * m->render.rate_hz);
    nr->release = pf_manifest_release_frames(m);
    nr->render_len = nr->hold + nr->release;
    nr->audio_len = pf_resampler_out_len(nr->rs, nr->render_len);
    nr->render = pf_calloc(nr->render_len, sizeof *nr->render);
    nr->audio = pf_calloc(nr->audio_len, sizeof *nr->audio);
    nr->steady = m->render.steady_pitch;
    nr->n_blocks = (nr->render_len + PF_EXPRESSION_BLOCK - 1) / PF_EXPRESSION_BLOCK;
    nr->blocks = pf_calloc(nr->n_blocks, sizeof *nr->blocks);
    return 0;
}

void pf_note_renderer_release(pf_note_renderer *nr)
{
    if (!nr)
        return;
    pf_synth_free(nr->synth);
    pf_resampler_free(nr->rs);
    free(nr->render);
    free(nr->audio);
    free(nr->blocks);
    memset(nr, 0, sizeof *nr);
}

void pf_note_renderer_express(pf_note_renderer *nr, const pf_expression *e)
{
    nr->moving = e && pf_expression_moves(e);
    if (nr->moving) pf_expression_blocks(e, pf_synth_rate(nr->synth), nr->blocks, nr->n_blocks);
}

int pf_note_renderer_run(pf_note_renderer *nr, const pf_instrument *in, int midi, int velocity,
                         double cents, double seconds[2], pf_error *err)
{
    pf_note note = {.sf_slot = in->soundfont, .bank = in->bank, .program = in->program,
                    .midi = midi, .velocity = velocity, .cents = cents,
                    .hold_frames = nr->hold, .release_frames = nr->release,
                    .steady_pitch = nr->steady, .pitch_cents = nr->moving ? nr->blocks : NULL,
                    .n_pitch_blocks = nr->n_blocks};
    double t0 = pf_now_s();
    if (pf_synth_render(nr->synth, &note, nr->render, nr->render_len, err))
        return -1;
    double t1 = pf_now_s();
    if (pf_resampler_process(nr->rs, nr->render, nr->render_len, nr->audio, nr->audio_len, err))
        return -1;
    if (seconds) {
        seconds[0] += t1 - t0;
        seconds[1] += pf_now_s() - t1;
    }
    return 0;
}
