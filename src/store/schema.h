/* The one schema check of shards and dataset indexes, shared by the readers, verify, inspect
 * and the trainer's loader (STYLE rule 10: say which version was found and what to do). */
#ifndef PF_STORE_SCHEMA_H
#define PF_STORE_SCHEMA_H

#include <stdint.h>

#include "io/h5.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"

/** Largest detune a label may hold (the manifest's detune.cents range). */
#define PF_LABEL_MAX_CENTS 100
/** Ceiling of every f0 label in Hz (f0_frames, measured_f0_hz): far above any pitch a manifest
 *  makes (MIDI 127 plus a 24-semitone glide and a 1200-cent fall is about 120 kHz). */
#define PF_LABEL_MAX_HZ 1e6

/**
 * Check that root attribute `schema` of the open file @p f is @p want (PF_SHARD_SCHEMA or
 * PF_DATASET_SCHEMA). Otherwise fill @p err (PF_ESCHEMA) with a message naming @p path (left out
 * when NULL, for callers that prefix it), the schema found, the one expected and what to do:
 * regenerate the dataset with this version, or use the pitchforge that wrote it (named from the
 * file's `generator_version` when it has one). A shard given for an index (or the reverse) is
 * said to be one.
 * @return 0 or -1
 */
int pf_schema_check(pf_h5id f, const char *path, const char *want, pf_error *err);

/**
 * Check that every shard the dataset index @p f (opened from @p path) lists in /checksums
 * exists beside it and HDF5 opens it: a read through the virtual datasets would return fill
 * values for a lost or truncated shard instead of failing. Call it once per open of dataset.h5.
 * @param split  only the shards of this split ("train", ...), or NULL for all of them
 * @return 0, or -1 with @p err (PF_EIO naming the shard and suggesting `pitchforge verify DIR`;
 *         PF_ESCHEMA when there is no /checksums)
 */
int pf_dataset_check_sources(pf_h5id f, const char *path, const char *split, pf_error *err);

/**
 * The cheap part of pf_shard_check, for readers at open: the open shard @p f (from @p path) has
 * n_examples, carries manifest_sha256 @p manifest_sha256 (not compared when NULL), and its split,
 * shard_index and shard_count attributes are those of @p path's file name (when it is a shard
 * name). @return 0, or -1 with @p err (PF_ESCHEMA; the file is not named)
 */
int pf_shard_check_attrs(pf_h5id f, const char *path, const char *manifest_sha256, pf_error *err);

/**
 * Check one stored label row as generate writes it: enums in range; midi 0..127, octave and
 * pitch class from it, |cents| <= PF_LABEL_MAX_CENTS and f0_hz = pf_midi_to_hz(midi, cents) for a
 * note; midi, octave, pitch class -1 and f0_hz, cents 0 for a negative; velocity and program
 * 0..127; volume finite >= 0; rms_dbfs not NaN or +inf; noise_snr_db and pitch_error_cents
 * finite or NaN; measured_f0_hz in [0, PF_LABEL_MAX_HZ).
 * @param row  its row, for the message
 * @return 0, or -1 with @p err (PF_ESCHEMA: "/labels/NAME row R holds V (it must be ...)")
 */
int pf_label_check(const pf_label *l, uint64_t row, pf_error *err);

/**
 * Check the /labels of the open shard @p f against the writer's: every label column present,
 * of the writer's exact type and [@p n] rows; every row passing pf_label_check; example_id unique
 * within the shard. (/labels/f0_frames, 2-D, is the caller's.)
 * @return 0, or -1 with @p err (PF_ESCHEMA naming the label and row; the file is not named)
 */
int pf_shard_labels_check(pf_h5id f, uint64_t n, pf_error *err);

/**
 * dataset.h5's /stats from the train shards' summed /stats (added shard by shard in index
 * order): mean = sum / count, std = sqrt(max(0, sumsq / count - mean²)), the same for the log
 * sums (a count of 0 taken as 1). The index writes them and verify recomputes them this way.
 * @param sums  [4][pb]: sum, sumsq, log_sum, log_sumsq
 * @param out   [4][pb]: mean, std, log_mean, log_std
 */
void pf_stats_normalize(const double *const sums[4], const uint64_t *count, size_t pb,
                        float *const out[4]);

/** One example of a pf_id_set: its id, and where it is. */
typedef struct pf_id_entry {
    uint64_t id;
    size_t shard, row;
} pf_id_entry;

/** The example ids of many shards (zero it to start; pf_id_set_release). */
typedef struct pf_id_set {
    pf_id_entry *v;
    size_t n;
} pf_id_set;

/** Add /labels/example_id of the open shard @p f, as shard number @p shard (the caller's index
 *  into the names it gives pf_id_set_check). @return 0 or -1 (PF_ESCHEMA: no such label). */
int pf_id_set_add(pf_id_set *s, pf_h5id f, size_t shard, pf_error *err);
/** Find an example id twice (sorts the set). @p names: shard names by shard number.
 *  @return 0, or -1 with @p err naming the id and both shards and rows (PF_ESCHEMA). */
int pf_id_set_check(pf_id_set *s, const char *const *names, pf_error *err);
/** Free the set's memory (it can be used again). */
void pf_id_set_release(pf_id_set *s);

#endif
