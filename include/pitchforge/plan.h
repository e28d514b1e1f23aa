/* pitchforge: the plan — every note and example enumerated, split and spread over shards. */
#ifndef PITCHFORGE_PLAN_H
#define PITCHFORGE_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/expression.h"
#include "pitchforge/manifest.h"
#include "pitchforge/error.h"
#include "pitchforge/synth.h"

typedef enum pf_split { PF_TRAIN = 0, PF_VAL = 1, PF_TEST = 2 } pf_split;
#define PF_SPLIT_COUNT 3
extern const char *const pf_split_names[PF_SPLIT_COUNT]; /* "train", "val", "test" */

/** A resolved instrument: one preset of one soundfont, with its playable range and split. */
typedef struct pf_instrument {
    int soundfont, bank, program;
    int range_lo, range_hi;
    char preset_name[64];
    char label[96];  /**< "sfid/bank/program preset name", stored as the `instrument` label */
    int split;       /**< pf_split when split.by is instrument or soundfont, else -1 */
    int line, col;   /**< manifest position of the entry it came from */
    uint64_t excluded_keys[2]; /**< bit k (MIDI key k): left out by the key audit */
} pf_instrument;

/** A key the key audit left out. */
typedef struct pf_excluded_key {
    uint32_t instrument; /**< index in pf_plan_instruments' order */
    uint8_t midi, velocity;
    double cents; /**< measured offset; NAN: no clear harmonic peak */
} pf_excluded_key;

/** What the label audit leaves out, by index in pf_plan_instruments' order (pf_label_audit). */
typedef struct pf_audit {
    size_t n;            /**< instruments audited */
    uint8_t *preset_off; /**< [n] nonzero: the whole preset is left out (preset audit) */
    pf_excluded_key *keys;    /**< keys left out (key audit), in instrument and key order */
    size_t n_keys;
} pf_audit;

/** One note to render; it yields one example per segment kind. */
typedef struct pf_note_job {
    uint64_t note_id;     /**< index in plan order; example_id = note_id * n_kinds + slot */
    uint32_t instrument;  /**< index into plan.instruments */
    uint8_t midi, velocity;
    uint8_t split;        /**< pf_split */
    float cents;          /**< detune (0 for the exact copy) */
    uint8_t source;       /**< pf_source: a note, or a negative (midi: a drum key or 0) */
} pf_note_job;

/** One shard: a run of plan.order. */
typedef struct pf_shard_job {
    int split, index, count; /**< index of count within the split */
    size_t first, n;         /**< plan.order[first .. first+n) */
} pf_shard_job;

/** The whole plan. */
typedef struct pf_plan {
    pf_instrument *instruments;
    size_t n_instruments;
    pf_note_job *notes; /**< in note_id order */
    size_t n_notes;
    uint32_t *order;    /**< note indices, grouped by shard in shard order */
    pf_shard_job *shards;
    size_t n_shards;
    size_t notes_per_split[PF_SPLIT_COUNT];
    int n_kinds;
} pf_plan;

/** Presets found in each soundfont (index = manifest soundfont index). */
typedef struct pf_preset_list {
    pf_preset *presets;
    size_t n;
} pf_preset_list;

/**
 * Build the plan for @p m. Instruments are checked against @p presets (a program the soundfont
 * lacks fails with FILE:LINE:COL). @p audit (may be NULL) says which presets and keys to leave
 * out (the label audit, run on pf_plan_instruments' list).
 */
int pf_plan_build(const pf_manifest *m, const pf_preset_list *presets, const pf_audit *audit,
                  pf_plan *plan, pf_error *err);
/**
 * The keys @p in plays in the plan of @p m (the manifest's octaves and pitch classes within its
 * range) in plan order (octave, then the manifest's pitch classes), into @p keys.
 * @return how many (at most 128)
 */
int pf_plan_keys(const pf_manifest *m, const pf_instrument *in, int keys[128]);
/** Free what @p a owns (a zeroed audit is accepted). */
void pf_audit_release(pf_audit *a);
/** Resolve instruments only (what pf_plan_build uses), for the preset audit. */
int pf_plan_instruments(const pf_manifest *m, const pf_preset_list *presets, pf_instrument **out,
                        size_t *n, pf_error *err);
/** Free what the plan owns (a zeroed plan is accepted). */
void pf_plan_release(pf_plan *plan);
/**
 * The expression of note @p note_id (a zeroed struct when the manifest asks for none), drawn
 * from (seed, PF_STREAM_EXPRESSION, note_id): each part with its probability, its values
 * uniform in the manifest's ranges (the legato interval a whole number of semitones); a fall
 * ends at the note-off.
 */
void pf_plan_expression(const pf_manifest *m, uint64_t note_id, pf_expression *e);
/** Most shards a split may have: their names hold five-digit counts (pf_plan_build refuses more;
 *  raise shards.examples). */
#define PF_SHARDS_MAX 99999
/** Shard file name "{split}-{NNNNN}-of-{MMMMM}.h5" into @p buf. */
void pf_shard_name(const pf_shard_job *job, char *buf, size_t size);
/** Parse a shard file name; returns 0 and fills @p job's split, index and count, or -1. */
int pf_shard_name_parse(const char *name, pf_shard_job *job);
/**
 * The shard file names in @p dir, sorted (train, then val, then test; by index).
 * @param names  out: malloc'd array of malloc'd names; free with pf_names_free
 */
int pf_shard_list(const char *dir, char ***names, size_t *n, pf_error *err);
/** Free a list from pf_shard_list. */
void pf_names_free(char **names, size_t n);

#endif
