/* pitchforge: in-process note rendering and resampling. FluidSynth and libsamplerate stay inside. */
#ifndef PITCHFORGE_SYNTH_H
#define PITCHFORGE_SYNTH_H

#include <stddef.h>

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
/** FluidSynth's version string, e.g. "2.3.1". */
const char *pf_synth_version(void);

/* ---- resampler ---- */

/** Converters, by name in the manifest (`audio.resampler`); docs/resampler.md compares them. */
typedef enum pf_resampler_kind {
    PF_RS_SINC_BEST = 0, /**< libsamplerate SRC_SINC_BEST_QUALITY ("sinc_best") */
    PF_RS_SINC_MEDIUM,   /**< libsamplerate SRC_SINC_MEDIUM_QUALITY ("sinc_medium") */
    PF_RS_SINC_FASTEST,  /**< libsamplerate SRC_SINC_FASTEST ("sinc_fastest") */
    PF_RS_LINEAR,        /**< libsamplerate SRC_LINEAR ("linear") */
    PF_RS_SOXR_LQ,       /**< libsoxr SOXR_LQ recipe ("soxr_lq") */
    PF_RS_SOXR_MQ,       /**< libsoxr SOXR_MQ recipe ("soxr_mq") */
    PF_RS_SOXR_HQ,       /**< libsoxr SOXR_HQ recipe, 20-bit ("soxr_hq") */
    PF_RS_SOXR_VHQ       /**< libsoxr SOXR_VHQ recipe, 28-bit ("soxr_vhq") */
} pf_resampler_kind;

/** Name of @p kind ("sinc_best", ...), or NULL. */
const char *pf_resampler_name(pf_resampler_kind kind);
/** Parse a converter name; returns 0 and fills @p kind, or -1 if unknown. */
int pf_resampler_parse(const char *name, pf_resampler_kind *kind);

typedef struct pf_resampler pf_resampler;

/**
 * Make a resampler from @p in_hz to @p out_hz with converter @p kind.
 * @return the resampler or NULL with @p err filled.
 */
pf_resampler *pf_resampler_new(pf_resampler_kind kind, double in_hz, double out_hz, pf_error *err);
/** Output length for @p n_in input samples: floor(n_in * out_hz / in_hz). */
size_t pf_resampler_out_len(const pf_resampler *r, size_t n_in);
/**
 * Resample a whole signal in one pass from a reset state (output depends only on the input).
 * @param out  pf_resampler_out_len(n_in) floats, filled completely
 * @return 0, or -1 with @p err filled
 */
int pf_resampler_process(pf_resampler *r, const float *in, size_t n_in, float *out, size_t n_out,
                         pf_error *err);
/** Free the resampler; NULL is accepted. */
void pf_resampler_free(pf_resampler *r);
/** libsamplerate's version string. */
const char *pf_resampler_version(void);
/**
 * Version string of the library behind converter @p kind: libsamplerate's for the sinc_* and
 * linear kinds, libsoxr's ("libsoxr-0.1.3") for the soxr_* kinds. Static storage.
 * @return the string, or NULL for an unknown kind
 */
const char *pf_resampler_kind_version(pf_resampler_kind kind);

#endif
