/* pitchforge: in-process note rendering. FluidSynth stays inside. */
#ifndef PITCHFORGE_SYNTH_H
#define PITCHFORGE_SYNTH_H

#include <stddef.h>
#include <stdint.h>
#include "pitchforge/error.h"

/* ---- soundfont inspection ---- */

/** One preset of a soundfont. */
typedef struct pf_preset {
    int bank, program;
    char name[64];
} pf_preset;

/**
 * List the presets of the soundfont at @p path (SF2, or SF3 where FluidSynth reads it).
 * @param presets out: array (caller frees with free()), sorted by (bank, program)
 * @param n       out: number of presets
 * @return 0, or -1 with @p err filled (missing or unreadable soundfont)
 */
int pf_soundfont_presets(const char *path, pf_preset **presets, size_t *n, pf_error *err);

/* ---- synthesizer ---- */

/** How notes are rendered (DESIGN §3 `render`). */
typedef struct pf_synth_config {
    double rate_hz; /**< synth sample rate (44100) */
    double gain;    /**< synth master gain (0.5) */
    int reverb;     /**< 1 to enable FluidSynth's reverb */
    int chorus;     /**< 1 to enable FluidSynth's chorus */
} pf_synth_config;

typedef struct pf_synth pf_synth;

/**
 * Make a synthesizer: no audio driver, float output, one thread, quiet logging.
 * @return the synth (free with pf_synth_free) or NULL with @p err filled.
 */
pf_synth *pf_synth_new(const pf_synth_config *cfg, pf_error *err);
/**
 * Load a soundfont once; later renders name it by the returned @p sf_slot (0, 1, ... in order).
 * @return 0, or -1 with @p err filled
 */
int pf_synth_load(pf_synth *s, const char *path, int *sf_slot, pf_error *err);

/** One note to render. Detune is applied inside the synth (a key tuning), so labels are exact. */
typedef struct pf_note {
    int sf_slot, bank, program;
    int midi;           /**< MIDI key 0..127 */
    int velocity;       /**< 1..127 */
    double cents;       /**< detune in cents, [-100, 100] */
    size_t hold_frames; /**< frames between note-on and note-off */
    size_t release_frames; /**< frames rendered after note-off */
    /**
     * 1: hold every voice of the note at the pitch it has while sustained, from note-on to the
     * end: the preset's vibrato LFO and modulation LFO no longer reach the pitch, and its
     * modulation envelope's pitch depth is replaced by the constant offset it holds during
     * sustain (depth x sustain level), so a preset tuned through that offset keeps its pitch.
     * 0 (the default): render as the preset says. Only the preset's generators are changed;
     * modulators that target these depths (none act at the reset controller values, except
     * velocity-driven ones that docs/synth-pitch.md lists) are left alone.
     */
    int steady_pitch;
    /**
     * A moving pitch (NULL: none): block b of the note (frames 64 b .. 64 b + 63 after the
     * note-on, PF_EXPRESSION_BLOCK) plays @p pitch_cents[b] whole cents off the note's pitch
     * (the last value holds after @p n_pitch_blocks), through the channel's fine tune
     * (fluid_synth_set_gen, GEN_FINETUNE), which FluidSynth applies from the next block on
     * (docs/synth-pitch.md). Borrowed.
     */
    const int32_t *pitch_cents;
    size_t n_pitch_blocks;
} pf_note;

/**
 * Render one note, mono (mean of left and right), from a reset synth: the output depends only
 * on @p note, never on what was rendered before.
 * @param out  hold_frames + release_frames floats
 * @return 0, or -1 with @p err filled (unknown preset, synth failure)
 */
int pf_synth_render(pf_synth *s, const pf_note *note, float *out, size_t n, pf_error *err);
/**
 * The detune pf_synth_render actually plays for a requested one. FluidSynth resolves a voice's
 * pitch to whole cents (it truncates before its cents-to-Hz table), so the renderer rounds the
 * request to the nearest whole cent (half away from zero) and plays exactly that; label examples
 * with this value, not the request.
 * @param cents  requested detune in cents
 * @return the applied detune in cents (a whole number)
 */
double pf_synth_applied_cents(double cents);
/** Free the synth; NULL is accepted. */
void pf_synth_free(pf_synth *s);
/** The synth's sample rate in Hz. */
double pf_synth_rate(const pf_synth *s);
/** FluidSynth's version string, e.g. "2.3.1". */
const char *pf_synth_version(void);

#endif
