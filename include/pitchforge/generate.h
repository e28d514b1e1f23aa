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
    int progress;        /**< 1: redraw a progress line on stderr (a terminal) */
    const char *command; /**< the command line, recorded in the dataset card */
} pf_generate_opts;

/** Seconds spent per stage, summed over workers (wall time is `seconds`). */
typedef struct pf_stage_times {
    double render, resample, audit, augment, stft, write;
} pf_stage_times;

/** What a run made. */
typedef struct pf_generate_report {
    size_t notes;
    size_t examples[PF_SPLIT_COUNT];
    size_t per_kind[3];
    uint64_t rejected[PF_REJECT_COUNT];
    size_t excluded_presets;     /**< presets left out by the preset audit */
    double seconds;              /**< wall time */
    pf_stage_times stages;
} pf_generate_report;

/**
 * Run the whole job: plan, render every shard into m->output, build dataset.h5 and README.md.
 * Shards are whole or absent at any moment; stale shard files of another plan are removed.
 */
int pf_generate(const pf_manifest *m, const pf_generate_opts *opts, pf_generate_report *rep,
                pf_error *err);
/** Print what pf_generate would make (examples per split, instrument, octave, segment, disk). */
int pf_generate_dry_run(const pf_manifest *m, FILE *out, pf_error *err);
/** Load every soundfont's preset list (index = manifest soundfont index); free with _free. */
int pf_preset_lists_load(const pf_manifest *m, pf_preset_list **lists, pf_error *err);
/** Free lists from pf_preset_lists_load. */
void pf_preset_lists_free(pf_preset_list *lists, size_t n);
/** Bytes one example takes in a shard (spectrogram + audio + labels, uncompressed). */
size_t pf_example_bytes(const pf_manifest *m);

/**
 * Preset audit: render a probe note every 5 semitones of each instrument's planned range and
 * set @p exclude[i] when its median offset exceeds quality.preset_max_median_cents or its share
 * of octave errors exceeds quality.preset_max_octave_share.
 */
int pf_preset_audit(const pf_manifest *m, const pf_instrument *ins, size_t n, uint8_t *exclude,
                    pf_error *err);

/** Write the dataset card DIR/README.md from the shards' labels and the run report. */
int pf_card_write(const char *dir, const pf_manifest *m, const pf_plan *plan,
                  const pf_generate_report *rep, const char *command, pf_error *err);

#endif
