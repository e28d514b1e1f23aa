/* pitchforge: the dataset manifest (DESIGN §3), parsed and validated before any work. */
#ifndef PITCHFORGE_MANIFEST_H
#define PITCHFORGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/shard.h"
#include "pitchforge/synth.h"
#include "pitchforge/augment.h"
#include "pitchforge/resample.h"
#include "pitchforge/spectrogram.h"

/** A soundfont named in the manifest. */
typedef struct pf_soundfont_ref {
    char *id;   /**< manifest id, e.g. "fluidr3" */
    char *path; /**< resolved path that exists */
    int line, col;
} pf_soundfont_ref;

/** One `instruments` entry: a program of a soundfont, or all its melodic programs. */
typedef struct pf_instrument_spec {
    int soundfont;       /**< index into soundfonts */
    int bank;            /**< default 0 */
    int program;         /**< 0..127, or -1 for all-melodic (bank 0 programs 0..111 present) */
    int range_lo, range_hi; /**< playable MIDI range (inclusive); 0..127 when not given */
    int line, col;
} pf_instrument_spec;

typedef enum pf_split_by { PF_SPLIT_INSTRUMENT = 0, PF_SPLIT_RANDOM, PF_SPLIT_SOUNDFONT, PF_SPLIT_OCTAVE } pf_split_by;
typedef enum pf_pitch_policy { PF_PCHECK_FLAG = 0, PF_PCHECK_DROP, PF_PCHECK_DROP_PRESET, PF_PCHECK_OFF } pf_pitch_policy;
typedef enum pf_normalize { PF_NORM_PEAK = 0, PF_NORM_NONE } pf_normalize;

/** A parsed manifest: every key of DESIGN §3 with its default filled in. */
typedef struct pf_manifest {
    char *file;          /**< path as given */
    char *text;          /**< file contents (stored in every shard) */
    size_t text_len;
    char sha256[65];
    char *name;
    uint64_t seed;
    char *output;        /**< output folder (after -o override) */
    pf_soundfont_ref *soundfonts;
    size_t n_soundfonts;
    pf_instrument_spec *instruments;
    size_t n_instruments;
    struct { int octave_lo, octave_hi; int pitch_class[12]; int n_pitch_classes;
             int velocity[16]; int n_velocities; } notes;
    struct { double cents_lo, cents_hi; int copies; int include_exact; } detune;
    struct { double rate_hz, note_s, release_s, gain; int reverb, chorus;
             int steady_pitch; /**< presets' own pitch modulation off (pf_note.steady_pitch) */
    } render;
    /** Expression drawn per note (docs/expression.md); every p 0: static notes. */
    struct {
        struct { double p, rate_lo, rate_hi, depth_lo, depth_hi, delay_lo, delay_hi; } vibrato;
        struct { double p, cents_lo, cents_hi, s_lo, s_hi; } scoop, fall;
        struct { double p, semis_lo, semis_hi, glide_lo, glide_hi, at_lo, at_hi; } legato;
    } expression;
    struct { double length_ms; int kind[PF_SEG_COUNT]; int n_kinds; double min_rms_dbfs; double clip_level; } segments;
    struct { pf_pitch_policy pitch_check; double max_cents; double preset_max_median_cents;
             double preset_max_octave_share;
             double key_max_cents; /**< key audit: 0 off */ } quality;
    struct { double volume_lo, volume_hi; double strip_fundamental, strip_q; int noise; /**< 0 off */
             pf_noise_kind noise_kind; double snr_lo, snr_hi, noise_p; } augment;
    /** Negatives (no pitch anywhere), per kind (pf_source; [0] unused) as a share of the
     *  notes: 0.05 adds one negative "note" (n_kinds examples) for every 20 notes. */
    struct { double share[PF_SOURCE_COUNT]; double level_lo, level_hi, near_lo, near_hi;
    } negatives;
    struct { double rate_hz; pf_resampler_kind resampler; pf_normalize normalize; } audio;
    pf_spec_config spectrogram;
    struct { pf_store_audio audio; pf_store_spec spectrogram; int gzip; /**< 0 off, else the gzip level */
             int compression, gzip_level; /**< as written: gzip is level when compression is 1 */
    } store;
    struct { pf_split_by by; double val, test; } split;
    struct { int examples; } shards;
} pf_manifest;

/** Names used in the manifest for the enums above (NULL-terminated lists). */
extern const char *const pf_split_by_names[];
extern const char *const pf_pitch_policy_names[];
extern const char *const pf_spec_mode_names[];
extern const char *const pf_spec_scaling_names[];

/**
 * Read, parse and validate the manifest at @p path. Unknown keys, wrong types, out-of-range
 * values and missing soundfonts fail with PF_ECONFIG and "FILE:LINE:COL: message".
 * @param m out: filled manifest; release with pf_manifest_release (also after a failure)
 */
int pf_manifest_load(pf_manifest *m, const char *path, pf_error *err);
/** Same as pf_manifest_load on in-memory text (for tests); @p name is used in messages. */
int pf_manifest_parse(pf_manifest *m, const char *name, const char *text, size_t len, pf_error *err);
/** Free what the manifest owns (a zeroed manifest is accepted). */
void pf_manifest_release(pf_manifest *m);
/** 1 when the manifest asks for expression (any of its p above 0). */
int pf_manifest_expressive(const pf_manifest *m);
/** Segment length in samples at the output rate (5280 for 330 ms at 16 kHz). */
size_t pf_manifest_segment_len(const pf_manifest *m);
/**
 * Frames rendered after note-off: the decay segment plus 20 ms for the resampler's filter,
 * at most render.release_s (rendering the rest of a long release would be thrown away).
 */
size_t pf_manifest_release_frames(const pf_manifest *m);
/**
 * The manifest's keys as the markdown rows of manifests/README.md's key table
 * ("| `render.gain` | `0.5` | 0.0001..10 | FluidSynth's master gain |"), printed from the schema
 * the parser reads (`pitchforge help manifest-keys`).
 * @return a malloc'd string the caller frees
 */
char *pf_manifest_keys_markdown(void);

#endif
