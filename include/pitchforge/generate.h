/* pitchforge: the generate pipeline — manifest to shards, index and dataset card. */
#ifndef PITCHFORGE_GENERATE_H
#define PITCHFORGE_GENERATE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pitchforge/manifest.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"
#include "pitchforge/error.h"

/** Options of one generate run. */
typedef struct pf_generate_opts {
    int jobs;            /**< worker threads (>= 1) */
    int part, parts;     /**< make only shards j with j % parts == part - 1 (parts 0: all) */
    int resume;          /**< keep shards already whole (pf_shard_check), make the rest */
    FILE *log;           /**< a line for each shard --resume finds damaged and remakes, or NULL */
    int force;           /**< replace what the folder holds: another manifest's shards and
                              dataset.h5 are deleted, this manifest's shards made again
                              (unless resume); without it and resume such a folder is refused */
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
    size_t per_kind[PF_SEG_COUNT];
    size_t per_source[PF_SOURCE_COUNT]; /**< notes, then negatives by kind (of the dataset) */
    uint64_t rejected[PF_REJECT_COUNT];
    size_t excluded_presets;     /**< presets left out by the preset audit */
    pf_excluded_key *excluded_keys;   /**< keys left out by the key audit (free with
                                      pf_generate_report_release) */
    size_t n_excluded_keys;
    char (*excluded_key_names)[96]; /**< [n_excluded_keys] their instrument labels */
    double seconds;              /**< wall time */
    pf_stage_times stages;
} pf_generate_report;

/**
 * Run the whole job: plan, render every shard into m->output, build dataset.h5 and README.md.
 * Shards are whole or absent at any moment. The folder is locked against other runs
 * (core/lock.h: PF_EBUSY naming the holder); a folder holding another manifest's dataset, or
 * this manifest's shards, is refused (PF_EEXIST) unless opts->force (or opts->resume for this
 * manifest's). Stops between notes when pf_interrupted() (PF_EINTR; the shards being written
 * are removed, whole ones kept).
 * With opts->parts > 0 only that part's shards are made and no index is built (run
 * `pitchforge index` once every part is done); counts then cover this part only.
 */
int pf_generate(const pf_manifest *m, const pf_generate_opts *opts, pf_generate_report *rep,
                pf_error *err);
/** Free what @p rep owns (a zeroed report is accepted). */
void pf_generate_report_release(pf_generate_report *rep);
/** Print what pf_generate would make (examples per split, instrument, octave, segment, disk). */
int pf_generate_dry_run(const pf_manifest *m, FILE *out, pf_error *err);
#endif
