/* pitchforge: dataset.h5, the index over a folder of shards (virtual datasets per split,
 * /stats, /checksums), and its readers. Format: docs/shard-format.md. */
#ifndef PITCHFORGE_DATASET_H
#define PITCHFORGE_DATASET_H

#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/shard.h"
#include <stddef.h>
#include <stdint.h>

#define PF_DATASET_SCHEMA "pitchforge-dataset/2"

/** Like pf_shard_info_read for split @p split ("train", ...) of a dataset.h5 index. */
int pf_dataset_split_info_read(const char *path, const char *split, pf_shard_info *info,
                               pf_error *err);
/** Like pf_shard_read_labels for split @p split of a dataset.h5 index (through its virtual
 *  datasets, so every shard of the split must be beside it); f0_frames is left NULL. */
int pf_dataset_read_labels(const char *path, const char *split, pf_label **rows, size_t *n,
                           pf_error *err);
/**
 * Like pf_shard_read_f0_frames for split @p split of a dataset.h5 index: rows [@p first,
 * @p first + @p count) of /<split>/labels/f0_frames, the shards' rows in shard order.
 * @param out  count * frames floats, [count][frames]
 * @param row  frames the caller expects a row to hold: a dataset whose rows differ is refused
 *             with PF_ESCHEMA naming the file and the dataset
 */
int pf_dataset_read_f0_frames(const char *path, const char *split, size_t first, size_t count,
                              float *out, size_t row, pf_error *err);

/**
 * Read @p count rows from @p first of split @p split's /audio in dataset.h5 as float, in the
 * signal's own scale (int16 audio is divided by PF_AUDIO_INT16_SCALE = 32768, as the
 * spectrogram saw it).
 * @param out  count * audio_len floats
 * @param row  audio_len the caller expects: /audio other than [N][row] is refused (PF_ESCHEMA)
 */
int pf_dataset_read_audio(const char *path, const char *split, size_t first, size_t count,
                          float *out, size_t row, pf_error *err);
/** Read @p count spectrograms from @p first of split @p split in dataset.h5 into @p out
 *  (count * @p row floats, @p row = planes * bins * frames), as pf_shard_read_spectrogram gives
 *  them (float16 widened; computed from /audio when the shards store no spectrogram). A split
 *  whose spectrograms are not @p row floats each is refused with PF_ESCHEMA. */
int pf_dataset_read_spectrograms(const char *path, const char *split, size_t first, size_t count,
                                 float *out, size_t row, pf_error *err);

/* ---- dataset index ---- */

/** Summary of an index build. */
typedef struct pf_index_report {
    size_t shards;
    size_t examples[3]; /**< train, val, test */
    uint64_t rejected[PF_REJECT_COUNT];
} pf_index_report;

/**
 * (Re)build DIR/dataset.h5 from the shards in @p dir: per split a group of virtual datasets
 * over every shard (same names as in a shard), /stats (per-bin mean and std of the training
 * split: mean, std, log_mean, log_std, count) and /checksums (shard name, sha256). Refuses,
 * naming them, when shards of a split are missing. Written to a temp name and renamed.
 */
int pf_index_build(const char *dir, pf_index_report *rep, pf_error *err);

/** A shard's sha256, computed while it was still in the page cache (pf_index_build_with). */
typedef struct pf_shard_digest {
    char name[64];   /**< "train-00000-of-00004.h5" */
    char sha256[65]; /**< hex */
} pf_shard_digest;

/**
 * pf_index_build, taking the sha256 of the shards listed in @p known (n_known entries) as given
 * instead of reading those files again; the others are hashed as usual.
 */
int pf_index_build_with(const char *dir, const pf_shard_digest *known, size_t n_known,
                        pf_index_report *rep, pf_error *err);

#endif
