/*
 * pitchforge: HDF5 shards (schema pitchforge-shard/2): the writer and the readers.
 * Format: docs/shard-format.md. Every function here may be called from several threads (one
 * writer per thread): HDF5 is a serial build, so its calls are serialized by one process-wide
 * lock, held for each HDF5 step (with gzip that includes compressing the example).
 */
#ifndef PITCHFORGE_SHARD_H
#define PITCHFORGE_SHARD_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"
#include "pitchforge/example.h"

#define PF_SHARD_SCHEMA "pitchforge-shard/2"

/** int16 /audio holds round(x * 32768) clamped to [-32768, 32767]; value / PF_AUDIO_INT16_SCALE
 *  is the float signal (the convention of libsndfile, soundfile and torchaudio). Stored as the
 *  root attribute `audio_scale` and the /audio attribute `scale`. */
#define PF_AUDIO_INT16_SCALE 32768.0
/** Most values (planes * bins * frames) one example's spectrogram may hold in a shard. */
#define PF_SHARD_MAX_SPEC_VALUES ((size_t)1 << 28)

/** How /audio is stored. */
typedef enum pf_store_audio { PF_AUDIO_NONE = 0, PF_AUDIO_INT16, PF_AUDIO_FLOAT32 } pf_store_audio;

/** How /spectrogram is stored (manifest `store.spectrogram`). Readers give float32 for all three:
 *  float16 widened exactly, `none` computed from /audio with the shard's STFT attributes (the
 *  same bits generate computed). The kind is seen in the file, not written as an attribute:
 *  /spectrogram of 4-byte floats, of 2-byte floats, or absent. */
typedef enum pf_store_spec {
    PF_SPEC_STORE_FLOAT32 = 0, /**< IEEE single, as every shard before */
    PF_SPEC_STORE_FLOAT16,     /**< IEEE half, little-endian (numpy float16), rounded to nearest even */
    PF_SPEC_STORE_NONE         /**< no /spectrogram: /audio is required */
} pf_store_spec;
extern const char *const pf_store_spec_names[]; /* "float32", "float16", "none", NULL */

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
    pf_store_spec store_spec;       /**< float32 (0, the default), float16 or none (needs audio) */
    int gzip;                       /**< 0 = none, 1..9 = shuffle+gzip level on /spectrogram and /audio */
    const char *split;              /**< "train" | "val" | "test" */
    int shard_index, shard_count;   /**< within the split */
    int steady_pitch;               /**< 1: presets' own pitch modulation was off for the render
                                         (root attribute `steady_pitch`) */
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
 * Append one example. @p label->f0_frames (frames floats, Hz, 0 = unvoiced; copied) becomes row
 * n of /labels/f0_frames; NULL means "f0_hz at every column" (a steady note). Every value must
 * be finite and >= 0 (PF_EINVAL otherwise; with NULL, f0_hz is checked).
 * @param spec   planes*bins*frames floats, [planes][bins][frames]: the STFT of exactly @p audio
 *               as the reader will see it (int16 / 32768) when store_spec is none, since readers
 *               compute it again from /audio; /stats sums what readers get (for float16 the
 *               rounded values)
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
    pf_store_spec store_spec;    /**< how /spectrogram is stored (readers give float32 anyway) */
    char mode[32], scaling[32];
    uint64_t rejected[PF_REJECT_COUNT];
} pf_shard_info;

/** Read @p path's shape and attributes. Another schema (e.g. pitchforge-shard/1) is refused
 *  with PF_ESCHEMA and a message naming the file, the schema found, the one expected and what
 *  to do (regenerate with this version, or use the pitchforge that wrote it). */
int pf_shard_info_read(const char *path, pf_shard_info *info, pf_error *err);
/** Read every per-example label of a shard; free with pf_labels_free. Instrument strings are
 *  owned; f0_frames is left NULL (read the per-column labels with pf_shard_read_f0_frames). */
int pf_shard_read_labels(const char *path, pf_label **rows, size_t *n, pf_error *err);
/**
 * Read rows [@p first, @p first + @p count) of a shard's /labels/f0_frames (float32 [N, frames]:
 * Hz per spectrogram column, 0 = unvoiced).
 * @param out  count * frames floats (frames as pf_shard_info_read says), [count][frames]
 * @return 0, or -1 (PF_EINVAL past the end, PF_ESCHEMA missing or not [N, frames], ...)
 */
int pf_shard_read_f0_frames(const char *path, size_t first, size_t count, float *out,
                            pf_error *err);
/** Free labels from pf_shard_read_labels (frees the instrument strings too). */
void pf_labels_free(pf_label *rows, size_t n);
/** Read example @p i's spectrogram into @p out (planes*bins*frames floats): float32 as stored,
 *  float16 widened, or (store none) computed from /audio with the shard's STFT attributes. */
int pf_shard_read_spectrogram(const char *path, size_t i, float *out, size_t n, pf_error *err);

/** Root attribute @p name of shard or dataset.h5 @p path as text (numbers printed, arrays
 *  joined by ", ").
 *  @param out  malloc'd text the caller frees */
int pf_shard_attr_text(const char *path, const char *name, char **out, pf_error *err);

/** HDF5's version string, e.g. "1.10.8". */
const char *pf_hdf5_version(void);

#endif
