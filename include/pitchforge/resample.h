/* pitchforge: resampling a whole note in one pass. libsamplerate and libsoxr stay inside
 * (docs/resampler.md). */
#ifndef PITCHFORGE_RESAMPLE_H
#define PITCHFORGE_RESAMPLE_H

#include "pitchforge/error.h"
#include <stddef.h>

/** Converters, by name in the manifest (`audio.resampler`); docs/resampler.md compares them. */
typedef enum pf_resampler_kind {
    PF_RS_SINC_BEST = 0, /**< libsamplerate SRC_SINC_BEST_QUALITY ("sinc_best") */
    PF_RS_SINC_MEDIUM,   /**< libsamplerate SRC_SINC_MEDIUM_QUALITY ("sinc_medium") */
    PF_RS_SINC_FASTEST,  /**< libsamplerate SRC_SINC_FASTEST ("sinc_fastest") */
    PF_RS_LINEAR,        /**< libsamplerate SRC_LINEAR ("linear") */
    PF_RS_SOXR_LQ,       /**< libsoxr SOXR_LQ recipe ("soxr_lq") */
    PF_RS_SOXR_MQ,       /**< libsoxr SOXR_MQ recipe ("soxr_mq") */
    PF_RS_SOXR_HQ,       /**< libsoxr SOXR_HQ recipe, 20-bit ("soxr_hq") */
    PF_RS_SOXR_VHQ       /**< libsoxr SOXR_VHQ recipe, 28-bit ("soxr_vhq") */
} pf_resampler_kind;

/** Name of @p kind ("sinc_best", ...), or NULL. */
const char *pf_resampler_name(pf_resampler_kind kind);
/** Parse a converter name; returns 0 and fills @p kind, or -1 if unknown. */
int pf_resampler_parse(const char *name, pf_resampler_kind *kind);

typedef struct pf_resampler pf_resampler;

/**
 * Make a resampler from @p in_hz to @p out_hz with converter @p kind.
 * @return the resampler or NULL with @p err filled.
 */
pf_resampler *pf_resampler_new(pf_resampler_kind kind, double in_hz, double out_hz, pf_error *err);
/** Output length for @p n_in input samples: floor(n_in * out_hz / in_hz). */
size_t pf_resampler_out_len(const pf_resampler *r, size_t n_in);
/**
 * Resample a whole signal in one pass from a reset state (output depends only on the input).
 * @param out  pf_resampler_out_len(n_in) floats, filled completely
 * @return 0, or -1 with @p err filled
 */
int pf_resampler_process(pf_resampler *r, const float *in, size_t n_in, float *out, size_t n_out,
                         pf_error *err);
/** Free the resampler; NULL is accepted. */
void pf_resampler_free(pf_resampler *r);
/** libsamplerate's version string. */
const char *pf_resampler_version(void);
/**
 * Version string of the library behind converter @p kind: libsamplerate's for the sinc_* and
 * linear kinds, libsoxr's ("libsoxr-0.1.3") for the soxr_* kinds. Static storage.
 * @return the string, or NULL for an unknown kind
 */
const char *pf_resampler_kind_version(pf_resampler_kind kind);

#endif
