/* pitchforge: the label record of one example (one segment of one rendered note). */
#ifndef PITCHFORGE_EXAMPLE_H
#define PITCHFORGE_EXAMPLE_H

#include <stdint.h>

/** Segment kinds, stored as the HDF5 enum `segment` {attack=0, sustain=1, decay=2, onset=3,
 *  release=4, gap=5}: attack starts at the note-on, sustain is centred in the held part, decay
 *  starts at the note-off; onset holds the note-on inside (silence before it), release the
 *  note-off, gap the end of one note, a silence and the start of the next. */
typedef enum pf_segment_kind {
    PF_SEG_ATTACK = 0,
    PF_SEG_SUSTAIN = 1,
    PF_SEG_DECAY = 2,
    PF_SEG_ONSET = 3,
    PF_SEG_RELEASE = 4,
    PF_SEG_GAP = 5
} pf_segment_kind;
#define PF_SEG_COUNT 6

/** Label-audit verdicts, stored as the HDF5 enum `pitch_check`. */
typedef enum pf_pitch_check {
    PF_PITCH_OK = 0,       /**< measured f0 within the tolerance of the label */
    PF_PITCH_OFF = 1,      /**< voiced, but neither the label nor an octave of it */
    PF_PITCH_OCTAVE = 2,   /**< within tolerance of the label +-1 or +-2 octaves */
    PF_PITCH_UNVOICED = 3, /**< the estimator found no periodicity */
    PF_PITCH_SKIPPED = 4   /**< audit off (quality.pitch_check: off) */
} pf_pitch_check;
#define PF_PITCH_CHECK_COUNT 5

/** What an example was made of, stored as the HDF5 enum `source`: a note, or a negative (no
 *  pitch anywhere: every column of f0_frames 0). */
typedef enum pf_source {
    PF_SOURCE_NOTE = 0,
    PF_SOURCE_SILENCE,      /**< digital silence */
    PF_SOURCE_NEAR_SILENCE, /**< white noise far below any note (negatives.near_silence_dbfs) */
    PF_SOURCE_WHITE,        /**< white noise (negatives.level_dbfs) */
    PF_SOURCE_PINK,         /**< pink noise */
    PF_SOURCE_BROWN,        /**< brown (red) noise */
    PF_SOURCE_PERCUSSION    /**< an unpitched key of a GM drum kit (bank 128) */
} pf_source;
#define PF_SOURCE_COUNT 7

/** Names of the enums, indexed by value ("attack", ...; "ok", "off", ...). */
extern const char *const pf_segment_names[PF_SEG_COUNT];
extern const char *const pf_pitch_check_names[PF_PITCH_CHECK_COUNT];
extern const char *const pf_source_names[PF_SOURCE_COUNT];

/**
 * Every label of one example, as stored under /labels/ in a shard (DESIGN §4).
 * `instrument` and `f0_frames` are borrowed (they point into the plan, the worker); everything
 * else is by value.
 */
typedef struct pf_label {
    uint64_t example_id;     /**< index in the plan: note_id * n_segment_kinds + kind slot */
    double f0_hz;            /**< requested pitch: 440 * 2^((midi - 69 + cents/100) / 12) */
    int16_t midi;            /**< MIDI key played */
    float cents;             /**< detune applied inside the synth */
    int8_t octave;           /**< midi / 12 - 1 (C4 = 60 is octave 4) */
    int8_t pitch_class;      /**< midi % 12, C = 0 */
    uint8_t velocity;        /**< MIDI velocity */
    uint8_t program;         /**< GM program 0..127 */
    uint16_t bank;           /**< soundfont bank */
    uint8_t soundfont;       /**< index into the manifest's soundfont list */
    const char *instrument;  /**< "sfid/bank/program preset name" (borrowed) */
    uint8_t segment;         /**< pf_segment_kind */
    int32_t segment_offset;  /**< first sample of the segment from the note-on, at 16 kHz
                                  (negative: the segment starts before it, in silence) */
    float rms_dbfs;          /**< level of the raw segment before augmentation */
    float volume;            /**< gain applied after peak normalization */
    uint8_t strip_fundamental; /**< 1 if the fundamental was notched out */
    float noise_snr_db;      /**< SNR of added noise, NaN when none */
    float measured_f0_hz;    /**< independent YIN estimate on the raw segment (0 = unvoiced) */
    float pitch_error_cents; /**< 1200*log2(measured/f0_hz), NaN when unvoiced or skipped */
    uint8_t pitch_check;     /**< pf_pitch_check */
    uint8_t source;          /**< pf_source: a note or a kind of negative */
    const float *f0_frames;  /**< [frames] f0 per spectrogram column in Hz, 0 = unvoiced; column k
                                  is centred (length/2 + k*hop)/rate s into the segment
                                  (pf_spec_shape); borrowed. NULL when writing: f0_hz at every
                                  column; the readers leave it NULL (pf_shard_read_f0_frames) */
} pf_label;

#endif
