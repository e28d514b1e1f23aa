/*
 * Where a shard's (or a dataset split's) spectrograms come from: /spectrogram as float32, as
 * float16 (widened here), or, when the shards store none, the STFT of /audio computed with the
 * root's STFT attributes by pf_spectrogram: the same bits generate computed, since it took the
 * STFT of exactly the stored audio. Every reader of spectrograms goes through this (the
 * pf_shard / pf_dataset readers, verify, the trainer's loader).
 *
 * Each function takes the HDF5 lock around its own HDF5 calls only (the lock is recursive, so
 * callers may hold it); float16 widening and the STFT run outside it.
 */
#ifndef PF_STORE_SPECSRC_H
#define PF_STORE_SPECSRC_H

#include <stddef.h>

#include "io/h5.h"
#include "pitchforge/error.h"
#include "pitchforge/shard.h"
#include "pitchforge/spectrogram.h"

typedef struct pf_spec_source pf_spec_source;

/**
 * Read the STFT attributes of @p root (stft_length, stft_overlap, stft_nfft, sample_rate,
 * spectrogram_mode, spectrogram_scaling) into @p cfg.
 * @return 0, or -1 (PF_ESCHEMA naming the attribute missing or not understood)
 */
int pf_spec_config_read(pf_h5id root, pf_spec_config *cfg, pf_error *err);

/**
 * Fill @p info's n, planes, bins, frames, audio_len and store_spec from group @p g (a shard
 * root, or a split of dataset.h5) and the attributes of @p root: from /spectrogram when it is
 * there, else from /audio and the STFT attributes.
 */
int pf_spec_source_shape(pf_h5id root, pf_h5id g, pf_shard_info *info, pf_error *err);

/** Open the spectrograms of group @p g (attributes on @p root). @return the source
 *  (pf_spec_source_free) or NULL with @p err filled. */
pf_spec_source *pf_spec_source_open(pf_h5id root, pf_h5id g, pf_error *err);
/** Floats per example: planes * bins * frames. */
size_t pf_spec_source_size(const pf_spec_source *s);
/** Examples in the group. */
size_t pf_spec_source_rows(const pf_spec_source *s);
/** How the group stores its spectrograms. */
pf_store_spec pf_spec_source_store(const pf_spec_source *s);
/**
 * Read the spectrograms of examples [@p first, @p first + @p count) as float32.
 * @param out  count * pf_spec_source_size() floats, [count][planes][bins][frames]
 * @return 0, or -1 with @p err filled (rows past the end, a read failure)
 */
int pf_spec_source_read(pf_spec_source *s, size_t first, size_t count, float *out,
                        pf_error *err);
/** Close and free @p s; NULL is accepted. */
void pf_spec_source_free(pf_spec_source *s);

#endif
