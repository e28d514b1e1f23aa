/* What only the generate stage's files share: the run, the worker, and their entry points.
 * run.c (pf_generate, the run's life) -> plan.c (presets, label audit, plan) -> shards.c (which
 * shards, output folder) -> worker.c (threads, one shard a job, progress) -> example.c (one
 * note's stages: segment, gate, pitch check, augment, quantize, STFT, append). */
#ifndef PF_GENERATE_INT_H
#define PF_GENERATE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/expression.h"
#include "pitchforge/generate.h"
#include "pitchforge/manifest.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"
#include "pitchforge/spectrogram.h"
#include "pitchforge/yin.h"
#include "synth/note.h"

/* ---- run-wide context shared by workers ---- */

typedef struct run {
    const pf_manifest *m;
    const pf_plan *plan;
    const pf_generate_opts *opts;
    size_t *jobs; /* indices into plan->shards still to make */
    size_t n_jobs, pending_notes;
    pf_shard_meta meta;
    char *excluded_keys; /* meta.audit_keys_off */
    char **sf_sha;
    atomic_size_t next_job;
    atomic_size_t notes_done, examples_done, rejected_done; /* for the progress line */
    atomic_int failed;
    pthread_mutex_t lock;     /* guards rep, err and digests */
    pf_shard_digest *digests; /* sha256 of the shards made, taken right after each commit */
    size_t n_digests;
    pf_generate_report *rep;
    pf_error *err;
    double t0;
} run;

/* ---- one worker: its own synth, resampler, FFT plans and buffers ---- */

typedef struct worker {
    run *r;
    pf_note_renderer nr; /* synth, resampler, nr.audio: the current note at the audio rate */
    pf_spectrogram *spec;
    pf_yin *yin;
    pf_yin *yin_col;    /* the column audit of moving notes: PF_COLUMN_AUDIT_S windows */
    size_t col_len;     /* its window, samples */
    float *f0_frames;   /* [frames] the current segment's column labels */
    size_t frames;
    double peak_dbfs;   /* the current note's loudest window (the voicing rule's reference) */
    /* a gap window's two notes: the first kept aside while the second is in nr.audio */
    float *a_audio, *part_a, *part_b, *f0_a, *f0_b;
    int32_t *a_blocks;
    int a_moving, b_ready, b_key;
    double a_peak, b_peak;
    size_t audio_len, seg_len;
    float *audio, *stripped, *seg, *spec_out;
    int strip; /* the current note has its fundamental notched out */
    int16_t *seg_i16;
    pf_stage_times t;
    uint64_t rejected[PF_REJECT_COUNT];
    size_t examples[PF_SPLIT_COUNT], per_kind[PF_SEG_COUNT];
    size_t kept_seen, rejected_seen; /* of those, already added to the run's progress counts */
    pf_error err;
} worker;

/* ---- plan.c ---- */

/** Load every soundfont's preset list (index = manifest soundfont index); free with _free. */
int pf_preset_lists_load(const pf_manifest *m, pf_preset_list **lists, pf_error *err);
/** Free lists from pf_preset_lists_load. */
void pf_preset_lists_free(pf_preset_list *lists, size_t n);
/**
 * The plan of @p m, after the label audit when the manifest asks for one (its findings moved
 * into @p rep when not NULL), on @p jobs threads.
 */
int pf_generate_plan(const pf_manifest *m, int jobs, pf_plan *plan, pf_generate_report *rep,
                     pf_error *err);

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

/* ---- meta.c ---- */

/** Hash every soundfont of the run into r->sf_sha (sha256, hex). */
int pf_run_hash_soundfonts(run *r, pf_error *err);
/** Fill r->meta, the attributes every shard of the run carries. */
void pf_run_meta_init(run *r);

/* ---- shards.c ---- */

/** DIR/NAME of shard @p job in the output folder; -1 when too long. */
int pf_run_shard_path(const run *r, const pf_shard_job *job, char *buf, size_t size);
/** The shards this run makes: its part's, less those --resume finds whole. */
void pf_run_select_jobs(run *r);
/** Refuse (-1, r->err) when the shards still to make need more than the output folder's free
 *  space (statvfs), naming both; the shards they replace count as free. */
int pf_run_check_space(run *r);
/**
 * Refuse to destroy what the output folder holds unless the run was asked to: shards or a
 * dataset.h5 of another manifest need opts->force (then that dataset.h5 is removed; its shards
 * go with pf_run_remove_stale); shards of this manifest in this run's part (a whole run: any,
 * or its dataset.h5) need opts->resume or opts->force.
 * @return 0, or -1 with @p err (PF_EEXIST) naming what is there and the option to use
 */
int pf_run_check_output(const run *r, pf_error *err);
/** Remove shard files of another plan, and temp files of this run's own shards. */
void pf_run_remove_stale(const run *r);

/* ---- worker.c ---- */

/** Run the shard jobs on opts->jobs threads (the calling thread counts as one). */
int pf_run_workers(run *r);
/** Draw the progress line (a newline after it when @p final). */
void pf_run_progress(run *r, int final);

/* ---- example.c ---- */

/** Make a worker's synth, resampler, FFT plans and buffers. */
int pf_worker_init(worker *w, run *r);
/** Free what @p w owns. */
void pf_worker_release(worker *w);
/** Render and resample one note, then its segments, appending the kept ones to @p sw. */
int pf_worker_note(worker *w, const pf_note_job *nj, pf_shard_writer *sw);

/* ---- frames.c: per-column labels ---- */

/** A gap window's first note fades out over this long from its note-off, so the gap is silent. */
#define PF_GAP_FADE_S 0.02

/** The column audit's window: YIN on this many seconds around a column of a moving note. */
#define PF_COLUMN_AUDIT_S 0.085
/** The column audit checks every this many columns. */
#define PF_COLUMN_AUDIT_EVERY 10

/** A column is voiced when the clean render's RMS over its window is within this many dB of the
 *  note's loudest window (docs/shard-format.md, "Voicing"). */
#define PF_VOICED_BELOW_PEAK_DB 40.0

/** What the synth played: the note's key and applied detune, and its moving pitch if any. */
typedef struct pf_column_pitch {
    const pf_spec_config *spec; /**< the STFT (its rate is the audio rate) */
    double synth_rate_hz;
    int midi;
    double cents;          /**< applied detune (whole cents) */
    const int32_t *blocks; /**< per-block offsets (pf_expression_blocks), NULL: a steady note */
    size_t n_blocks;
} pf_column_pitch;

/** Seconds from the note-on to the centre of column @p k of the segment starting @p seg_offset
 *  audio samples after it: (seg_offset + length / 2 + k hop) / rate. */
double pf_column_time_s(const pf_spec_config *spec, long seg_offset, size_t k);
/** f0 in Hz at each of the @p frames column centres: pf_midi_to_hz(midi, cents + the played
 *  offset at that instant, read between the centres of the two synth blocks around it). */
void pf_column_f0(const pf_column_pitch *p, long seg_offset, float *f0, size_t frames);
/** Columns (analysis windows) of @p n samples: pf_spec_shape's frames. */
size_t pf_column_count(const pf_spec_config *spec, size_t n);
/** RMS in dBFS of column @p k's window of @p x (length samples from k hop). */
double pf_column_dbfs(const pf_spec_config *spec, const float *x, size_t k);
/** The voicing rule: a window at @p dbfs is voiced when within PF_VOICED_BELOW_PEAK_DB of its
 *  note's loudest window @p peak_dbfs (never when silent). */
int pf_column_voiced(double dbfs, double peak_dbfs);
/** The loudest analysis window of @p x (n samples; windows as the STFT's), in dBFS. */
double pf_frame_peak_dbfs(const pf_spec_config *spec, const float *x, size_t n);
/** Set f0[k] to 0 where column k's window of the clean segment @p seg is more than
 *  PF_VOICED_BELOW_PEAK_DB below @p peak_dbfs (the note's loudest window), or silent. */
void pf_column_voicing(const pf_spec_config *spec, const float *seg, size_t n, double peak_dbfs,
                       float *f0, size_t frames);

/** Bytes one example takes in a shard (spectrogram + audio + labels, uncompressed). */
size_t pf_example_bytes(const pf_manifest *m);

#endif
