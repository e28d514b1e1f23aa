/* Self-describing files: units and descriptions on every dataset of a shard and of dataset.h5,
 * and the frequency and time axes as HDF5 dimension scales (docs/shard-format.md). */
#ifndef PF_STORE_DESCRIBE_H
#define PF_STORE_DESCRIBE_H

#include <stddef.h>

#include "io/h5.h"
#include "pitchforge/error.h"

/** The spectrogram grid the axes are computed from. */
typedef struct pf_axes {
    double rate_hz;                 /**< audio sample rate */
    int length, overlap, nfft;      /**< STFT window, overlap, FFT size */
    size_t bins, frames, planes;    /**< spectrogram shape (planes 2: complex) */
    const char *mode, *scaling;     /**< as the root attributes name them */
} pf_axes;

/** Names of the attributes the dimension scales add, which a copy to another file skips. */
extern const char *const pf_describe_scale_attrs[];
#define PF_DESCRIBE_N_SCALE_ATTRS 5

/**
 * Write /freq_hz [bins] (bin k at k * rate / nfft Hz) and /time_s [frames] (column k centred at
 * (length / 2 + k * hop) / rate s) under @p root, described, as dimension scales.
 */
int pf_describe_axes(pf_h5id root, const pf_axes *a, pf_error *err);
/**
 * Describe the data under @p group (a shard's root or a dataset.h5 split group, relative to
 * @p root, "" for the root itself): spectrogram and audio when present, every label under
 * labels/ and, with @p stats, the stats group; the axes of @p root attached to their dimensions.
 */
int pf_describe_data(pf_h5id root, const char *group, const pf_axes *a, pf_error *err);
/** Describe @p root's stats group: a shard's sums (@p index 0) or dataset.h5's means (1). */
int pf_describe_stats(pf_h5id root, const pf_axes *a, int index, pf_error *err);

#endif
