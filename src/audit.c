/* Preset audit: before planning, measure where each preset really sounds and leave out those
 * beyond the manifest's bounds (quality.pitch_check: drop-preset). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/dsp.h"
#include "pitchforge/generate.h"
#include "pitchforge/synth.h"

/* Probe notes per preset: every 5th semitone over the planned range. */
#define PROBE_STEP 5

typedef struct probe {
    pf_synth *synth;
    pf_resampler *rs;
    pf_yin *yin;
    float *render, *audio;
    size_t hold, release, audio_len, seg_len;
} probe;

static void probe_release(probe *p)
{
    pf_synth_free(p->synth);
    pf_resampler_free(p->rs);
    pf_yin_free(p->yin);
    free(p->render);
    free(p->audio);
}

static int probe_init(probe *p, const pf_manifest *m, pf_error *err)
{
    memset(p, 0, sizeof *p);
    pf_synth_config sc = {m->render.rate_hz, m->render.gain, m->render.reverb, m->render.chorus};
    int slot;
    if (!(p->synth = pf_synth_new(&sc, err)))
        return -1;
    for (size_t i = 0; i < m->n_soundfonts; i++)
        if (pf_synth_load(p->synth, m->soundfonts[i].path, &slot, err))
            return -1;
    p->seg_len = pf_manifest_segment_len(m);
    p->rs = pf_resampler_new(m->audio.resampler, m->render.rate_hz, m->audio.rate_hz, err);
    p->yin = p->rs ? pf_yin_new(p->seg_len, m->audio.rate_hz, 25.0, 6000.0, err) : NULL;
    if (!p->yin)
        return -1;
    p->hold = (size_t)llround(m->render.note_s * m->render.rate_hz);
    p->release = pf_manifest_release_frames(m);
    p->audio_len = pf_resampler_out_len(p->rs, p->hold + p->release);
    p->render = pf_calloc(p->hold + p->release, sizeof *p->render);
    p->audio = pf_calloc(p->audio_len, sizeof *p->audio);
    return 0;
}

/* Error in cents of the sustain segment of one exact note; NAN when unvoiced. */
static int probe_note(probe *p, const pf_instrument *in, int midi, double *cents, pf_error *err)
{
    pf_note note = {.sf_slot = in->soundfont, .bank = in->bank, .program = in->program,
                    .midi = midi, .velocity = 80, .hold_frames = p->hold,
                    .release_frames = p->release};
    double f0;
    if (pf_synth_render(p->synth, &note, p->render, p->hold + p->release, err) ||
        pf_resampler_process(p->rs, p->render, p->hold + p->release, p->audio, p->audio_len, err))
        return -1;
    size_t off = p->audio_len / 3 > p->seg_len / 2 ? p->audio_len / 3 - p->seg_len / 2 : 0;
    if (pf_yin_estimate(p->yin, p->audio + off, p->seg_len, &f0, NULL, err))
        return -1;
    *cents = f0 > 0 ? 1200.0 * log2(f0 / (440.0 * pow(2.0, (midi - 69) / 12.0))) : NAN;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Exclude @p in when its median offset or octave-error share is beyond the manifest's bounds. */
static int audit_one(probe *p, const pf_manifest *m, const pf_instrument *in, uint8_t *exclude,
                     pf_error *err)
{
    int lo = (m->notes.octave_lo + 1) * 12, hi = (m->notes.octave_hi + 2) * 12 - 1;
    lo = lo > in->range_lo ? lo : in->range_lo;
    hi = hi < in->range_hi ? hi : in->range_hi;
    double near[32];
    int n_near = 0, n_oct = 0, n = 0;
    for (int midi = lo; midi <= hi && n < 32; midi += PROBE_STEP, n++) {
        double c;
        if (probe_note(p, in, midi, &c, err))
            return -1;
        double folded = c - 1200.0 * round(c / 1200.0);
        if (isnan(c))
            continue;
        if (fabs(c) > 600.0 && fabs(folded) <= m->quality.max_cents)
            n_oct++;
        else
            near[n_near++] = c;
    }
    qsort(near, (size_t)n_near, sizeof *near, cmp_double);
    double median = n_near ? near[n_near / 2] : 0;
    *exclude = n == 0 || fabs(median) > m->quality.preset_max_median_cents ||
               (double)n_oct / n > m->quality.preset_max_octave_share;
    return 0;
}

int pf_preset_audit(const pf_manifest *m, const pf_instrument *ins, size_t n, uint8_t *exclude,
                    pf_error *err)
{
    probe p;
    int rc = probe_init(&p, m, err);
    for (size_t i = 0; !rc && i < n; i++)
        rc = audit_one(&p, m, &ins[i], &exclude[i], err);
    probe_release(&p);
    return rc;
}
