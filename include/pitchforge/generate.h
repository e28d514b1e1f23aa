/* pitchforge: the generate pipeline — manifest to shards, index and dataset card. */
#ifndef PITCHFORGE_GENERATE_H
#define PITCHFORGE_GENERATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pitchforge/manifest.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"

/** Options of one generate run. */
typedef struct pf_generate_opts {
    int jobs;            /**< worker threads (>= 1) */
    int part, parts;     /**< make only shards j with j % parts == part - 1 (parts 0: all) */
    int resume;          /**< keep shards already whole (pf_shard_check), make the rest */
    int progress;        /**< 1: redraw a progress line on stderr (a terminal) */
    const char *command; /**< the command line, recorded in the dataset card */
} pf_generate_opts;

/** Seconds spent per stage, summed over workers (wall time is `seconds`). */
typedef struct pf_stage_times {
    double render, resample, audit, augment, stft, write;
} pf_stage_times;

/** What a run made. */
typedef struct pf_generate_report {
    size_t notes;                /**< notes rendered by this run */
    size_t shards_made, shards_kept; /**< shards written now; kept by --resume */
    size_t examples[PF_SPLIT_COUNT];
    size_t per_kind[3];
    uint64_t rejected[PF_REJECT_COUNT];
    size_t excluded_presets;     /**< presets left out by the preset audit */
    pf_key_off *excluded_keys;   /**< keys left out by the key audit (free with
                                      pf_generate_report_release) */
    size_t n_excluded_keys;
    char (*excluded_key_names)[96]; /**< [n_excluded_keys] their instrument labels */
    double seconds;              /**< wall time */
    pf_stage_times stages;
} pf_generate_report;

/**
 * Run the whole job: plan, render every shard into m->output, build dataset.h5 and README.md.
 * Shards are whole or absent at any moment; stale shard files of another plan are removed.
 * With opts->parts > 0 only that part's shards are made and no index is built (run
 * `pitchforge index` once every part is done); counts then cover this part only.
 */
int pf_generate(const pf_manifest *m, const pf_generate_opts *opts, pf_generate_report *rep,
                pf_error *err);
/** Free what @p rep owns (a zeroed report is accepted). */
void pf_generate_report_release(pf_generate_report *rep);
/** Print what pf_generate would make (examples per split, instrument, octave, segment, disk). */
int pf_generate_dry_run(const pf_manifest *m, FILE *out, pf_error *err);
/** Load every soundfont's preset list (index = manifest soundfont index); free with _free. */
int pf_preset_lists_load(const pf_manifest *m, pf_preset_list **lists, pf_error *err);
/** Free lists from pf_preset_lists_load. */
void pf_preset_lists_free(pf_preset_list *lists, size_t n);
/** Bytes one example takes in a shard (spectrogram + audio + labels, uncompressed). */
size_t pf_example_bytes(const pf_manifest *m);

/**
 * Label audit of the @p n instruments @p ins (pf_plan_instruments' list) into @p a (release with
 * pf_audit_release), on @p jobs threads (each with its own synth; the result does not depend on
 * the thread count).
 * - Preset audit (quality.pitch_check: drop-preset): a probe note every 5 semitones of each
 *   instrument's planned range; the preset is left out when its median offset (YIN) exceeds
 *   quality.preset_max_median_cents or its share of octave errors preset_max_octave_share.
 * - Key audit (quality.key_max_cents > 0): every planned key of the presets kept, exact, at each
 *   of the manifest's velocities; the key is left out when the tuning meter finds it more than
 *   key_max_cents off its written pitch, or finds no clear harmonic peak.
 */
int pf_label_audit(const pf_manifest *m, const pf_instrument *ins, size_t n, int jobs, pf_audit *a,
                   pf_error *err);

/** Counts the dataset card gathers from the shards. */
typedef struct pf_card_counts {
    size_t examples[PF_SPLIT_COUNT];
    size_t per_kind[3];
    uint64_t rejected[PF_REJECT_COUNT];
} pf_card_counts;

/**
 * Write the dataset card DIR/README.md from the shards alone (labels and attributes): counts
 * per split, segment, octave and audit verdict, rejected segments by reason, each instrument's
 * split, median pitch offset and octave-error share, the manifest.
 * @param command  the command to name as the maker; @p seconds > 0 is reported as run time
 * @param counts   out (may be NULL): the totals
 */
int pf_card_write(const char *dir, const char *command, double seconds, pf_card_counts *counts,
                  pf_error *err);

#endif
