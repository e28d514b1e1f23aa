/*
 * pitchforge: HDF5 shards (schema pitchforge-shard/1), the dataset index and readers.
 * Format: docs/shard-format.md. Every function here may be called from several threads (one
 * writer per thread): HDF5 is a serial build, so its calls are serialized by one process-wide
 * lock, held for each HDF5 step (with gzip that includes compressing the example).
 */
#ifndef PITCHFORGE_SHARD_H
#define PITCHFORGE_SHARD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pitchforge/error.h"
#include "pitchforge/example.h"

#define PF_SHARD_SCHEMA "pitchforge-shard/1"
#define PF_DATASET_SCHEMA "pitchforge-dataset/1"

/** How /audio is stored. */
typedef enum pf_store_audio { PF_AUDIO_NONE = 0, PF_AUDIO_INT16, PF_AUDIO_FLOAT32 } pf_store_audio;

/** Reasons a segment is dropped; counted per shard (attributes `rejected_<name>`). */
typedef enum pf_reject {
    PF_REJECT_SILENT = 0, PF_REJECT_CLIPPED, PF_REJECT_NONFINITE, PF_REJECT_PITCH, PF_REJECT_COUNT
} pf_reject;
extern const char *const pf_reject_names[PF_REJECT_COUNT]; /* "silent", "clipped", ... */

/** Everything a shard records besides its examples (root attributes, DESIGN §4). */
typedef struct pf_shard_meta {
    const char *generator_version; /**< e.g. "pitchforge 0.1.0" */
    const char *manifest_text;     /**< the manifest file, verbatim */
    const char *manifest_sha256;   /**< hex */
    uint64_t seed;
    const char *const *soundfont_ids;    /**< n_soundfonts manifest ids */
    const char *const *soundfont_sha256; /**< n_soundfonts hex digests */
    size_t n_soundfonts;
    const char *fluidsynth_version, *libsamplerate_version, *fftw_version; /* HDF5's is added */
    const char *resampler;         /**< converter name ("soxr_hq", "sinc_fastest", ...) */
    const char *resampler_version; /**< version of the library behind it */
    double sample_rate;             /**< 16000 */
    int stft_length, stft_overlap, stft_nfft;
    const char *spectrogram_mode;    /**< "magnitude" | "psd" | "complex" | "log-magnitude" */
    const char *spectrogram_scaling; /**< "density" | "spectrum" */
    size_t bins, frames;            /**< 513, 90 */
    size_t planes;                  /**< 1, or 2 for complex ([N, 2, bins, frames]) */
    size_t audio_len;               /**< 5280 */
    pf_store_audio store_audio;
    int gzip;                       /**< 0 = none, 1..9 = shuffle+gzip level on /spectrogram and /audio */
    const char *split;              /**< "train" | "val" | "test" */
    int shard_index, shard_count;   /**< within the split */
    const char *audit_keys_off;     /**< keys the key audit left out, a line each:
                                         "instrument\tkey\tvelocity\tcents" (cents "nan": no
                                         clear peak); NULL or "": the attribute is not written */
} pf_shard_meta;

typedef struct pf_shard_writer pf_shard_writer;

/**
 * Start a shard at @p path: data goes to "@p path.tmp" until pf_shard_commit renames it, so a
 * shard is whole or absent. HDF5 object timestamps are off: same input, same bytes.
 * @return the writer or NULL with @p err filled (unwritable folder, ...).
 */
pf_shard_writer *pf_shard_create(const char *path, const pf_shard_meta *meta, pf_error *err);
/**
 * Append one example.
 * @param spec   planes*bins*frames floats, [planes][bins][frames]
 * @param audio  audio_len samples of the store type (int16_t or float), NULL when PF_AUDIO_NONE
 * @return 0, or -1 with @p err filled (e.g. disk full)
 */
int pf_shard_append(pf_shard_writer *w, const pf_label *label, const float *spec, const void *audio,
                    pf_error *err);
/** Add @p count to the shard's rejected-examples counter for @p reason. */
void pf_shard_count_reject(pf_shard_writer *w, pf_reject reason, uint64_t count);
/**
 * Write labels, per-bin stats and attributes, flush, fsync, rename to the final path, fsync the
 * folder; frees @p w. On failure the temp file is removed and nothing is visible.
 * @param sha256_hex out (may be NULL): the sha256 of the file as renamed, hashed from the closed
 *                   temp file while the disk writes run (before the fsync)
 */
int pf_shard_commit(pf_shard_writer *w, char sha256_hex[65], pf_error *err);
/** Drop an unfinished shard: close and remove its temp file; frees @p w (NULL accepted). */
void pf_shard_abort(pf_shard_writer *w);

/* ---- readers ---- */

/** What a shard (or dataset.h5 split) holds. */
typedef struct pf_shard_info {
    char schema[64];
    char split[16];
    size_t n;                    /**< examples */
    size_t planes, bins, frames; /**< spectrogram shape per example */
    size_t audio_len;            /**< 0 when no /audio */
    char mode[32], scaling[32];
    uint64_t rejected[PF_REJECT_COUNT];
} pf_shard_info;

/** Read @p path's shape and attributes; refuses (PF_ESCHEMA, saying which) another schema. */
int pf_shard_info_read(const char *path, pf_shard_info *info, pf_error *err);
/** Read every label of a shard; free with pf_labels_free. Instrument strings are owned. */
int pf_shard_read_labels(const char *path, pf_label **rows, size_t *n, pf_error *err);
/** Free labels from pf_shard_read_labels (frees the instrument strings too). */
void pf_labels_free(pf_label *rows, size_t n);
/** Read example @p i's spectrogram into @p out (planes*bins*frames floats). */
int pf_shard_read_spectrogram(const char *path, size_t i, float *out, size_t n, pf_error *err);

/** Like pf_shard_info_read for split @p split ("train", ...) of a dataset.h5 index. */
int pf_dataset_split_info_read(const char *path, const char *split, pf_shard_info *info,
                               pf_error *err);
/** Like pf_shard_read_labels for split @p split of a dataset.h5 index (through its virtual
 *  datasets, so every shard of the split must be beside it). */
int pf_dataset_read_labels(const char *path, const char *split, pf_label **rows, size_t *n,
                           pf_error *err);

/**
 * Read @p count rows from @p first of split @p split's /audio in dataset.h5 as float, in the
 * signal's own scale (int16 audio is divided by 32767, as the spectrogram saw it).
 * @param out  count * audio_len floats
 */
int pf_dataset_read_audio(const char *path, const char *split, size_t first, size_t count,
                          float *out, pf_error *err);
/** Read @p count spectrograms from @p first of split @p split in dataset.h5 into @p out
 *  (count * planes * bins * frames floats). */
int pf_dataset_read_spectrograms(const char *path, const char *split, size_t first, size_t count,
                                 float *out, pf_error *err);
/** Root attribute @p name of shard or dataset.h5 @p path as text (numbers printed, arrays
 *  joined by ", ").
 *  @param out  malloc'd text the caller frees */
int pf_shard_attr_text(const char *path, const char *name, char **out, pf_error *err);

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

/** Print schema, counts, label histograms and attributes of a shard or dataset.h5 to @p out. */
int pf_inspect(const char *path, FILE *out, pf_error *err);

/** sha256 of the file at @p path as 64 hex chars + NUL in @p hex. */
int pf_sha256_file(const char *path, char hex[65], pf_error *err);
/** sha256 of @p len bytes as 64 hex chars + NUL in @p hex. */
void pf_sha256_hex(const void *data, size_t len, char hex[65]);
/** HDF5's version string, e.g. "1.10.8". */
const char *pf_hdf5_version(void);

/* ---- verification ---- */

/**
 * Check that the shard at @p path is whole and belongs to this run: schema pitchforge-shard/1;
 * attribute manifest_sha256 equal to @p manifest_sha256 (not checked when NULL); attribute
 * n_examples equal to the length of /spectrogram, /audio (when present) and every
 * /labels/<name>; every row of those datasets readable (read once, in blocks of rows, about
 * 4 MiB at a time, so a truncated file or a corrupt compressed chunk is caught); and
 * /stats/sum equal to the per-bin sums recomputed from /spectrogram in the writer's order (so a
 * changed spectrogram value is caught even without a checksum). `generate --resume` uses it to
 * decide which shards are done.
 * @param path             the shard file
 * @param manifest_sha256  hex digest the shard must carry, or NULL
 * @return 0, or -1 with @p err filled (PF_ESCHEMA: another schema, another manifest, counts
 *         that disagree, sums that differ; PF_EIO: unreadable) and a message that starts with
 *         @p path and says what is wrong
 */
int pf_shard_check(const char *path, const char *manifest_sha256, pf_error *err);

/** What pf_verify found. */
typedef struct pf_verify_report {
    size_t shards;   /**< shards listed in dataset.h5's /checksums */
    size_t ok;       /**< listed shards present, with the listed sha256, passing pf_shard_check */
    size_t damaged;  /**< present but with another sha256 or failing pf_shard_check */
    size_t missing;  /**< listed but absent (or not a shard file name) */
    size_t unlisted; /**< shard files in the folder that /checksums does not list */
    size_t mismatch; /**< splits whose example or shard counts in dataset.h5 differ from the
                          shards' */
    size_t examples; /**< examples in the ok shards */
} pf_verify_report;

/**
 * Check the dataset folder @p dir against its index DIR/dataset.h5: every shard listed in
 * /checksums must exist, have the listed sha256 (pf_sha256_file) and pass pf_shard_check (with
 * the index's manifest_sha256); no other shard file may sit in @p dir; each split's example and
 * shard counts in dataset.h5 must match its shards. Goes through every shard and writes one
 * line per problem to @p log (when non-NULL), e.g.
 * "damaged: train-00001-of-00004.h5: sha256 mismatch (...)" or "missing: val-00000-of-00001.h5:
 * listed in dataset.h5 but not in DIR".
 * @param dir  the dataset folder
 * @param rep  filled in every case (may be NULL)
 * @param log  problem lines, or NULL
 * @return 0 when all is well; -1 with @p err filled when anything is wrong (PF_ESCHEMA, message
 *         "DIR: 3 of 12 shards damaged or missing: NAME, ...") or dataset.h5 is unreadable
 *         (PF_EIO / PF_ESCHEMA)
 */
int pf_verify(const char *dir, pf_verify_report *rep, FILE *log, pf_error *err);

#endif
