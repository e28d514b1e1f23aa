/* Private FFT wrapper: the only place that sees fftw3.h (STYLE rule 2). Single precision,
 * FFTW_ESTIMATE plans only (no MEASURE, no wisdom), so a plan and its results do not depend on
 * timing; planning and plan destruction are serialized by one global mutex because the FFTW
 * planner is not thread-safe. Executing a plan is thread-safe and lock-free. */
#ifndef PF_DSP_FFT_H
#define PF_DSP_FFT_H

#include <stddef.h>

#include "pitchforge/error.h"

/** A complex float, layout-compatible with fftwf_complex: {re, im}. */
typedef float pf_cfloat[2];

/** An FFTW plan bound to the buffers it was made with. */
typedef struct pf_fft_plan pf_fft_plan;

/** Shape of a batch of 1-D transforms (FFTW's "advanced" interface, rank 1). */
typedef struct pf_fft_batch {
    int n;              /**< transform size (real length) */
    int howmany;        /**< number of transforms */
    int istride, idist; /**< input element stride, distance between transforms' starts */
    int ostride, odist; /**< output element stride, distance between transforms' starts */
} pf_fft_batch;

/** SIMD-aligned float buffer of @p n elements, zero-filled; free with pf_fft_free. Aborts on OOM.
 */
float *pf_fft_alloc_real(size_t n);
/** SIMD-aligned complex buffer of @p n elements, zero-filled; free with pf_fft_free. */
pf_cfloat *pf_fft_alloc_complex(size_t n);
/** Free a buffer from pf_fft_alloc_*; NULL is accepted. */
void pf_fft_free(void *p);

/**
 * Plan a batch of real-to-complex transforms @p in -> @p out (n/2+1 outputs each); input is
 * preserved. The plan keeps the buffer pointers: execute it with pf_fft_execute.
 * @return the plan (free with pf_fft_plan_free) or NULL with @p err filled (PF_ELIB / PF_EINVAL)
 */
pf_fft_plan *pf_fft_plan_r2c(const pf_fft_batch *b, float *in, pf_cfloat *out, pf_error *err);
/**
 * Plan a batch of forward complex-to-complex transforms @p in -> @p out (n outputs each); the
 * input may be overwritten while executing.
 * @return the plan (free with pf_fft_plan_free) or NULL with @p err filled
 */
pf_fft_plan *pf_fft_plan_c2c(const pf_fft_batch *b, pf_cfloat *in, pf_cfloat *out, pf_error *err);
/**
 * Plan a batch of complex-to-real (inverse, unnormalized) transforms @p in -> @p out.
 * FFTW may overwrite @p in while executing.
 * @return the plan or NULL with @p err filled
 */
pf_fft_plan *pf_fft_plan_c2r(const pf_fft_batch *b, pf_cfloat *in, float *out, pf_error *err);
/** Run @p p on the buffers it was planned with. */
void pf_fft_execute(const pf_fft_plan *p);
/** Free a plan (takes the planner lock); NULL is accepted. */
void pf_fft_plan_free(pf_fft_plan *p);

/** A batch of @p howmany contiguous transforms of size @p n (real side dist n, complex n/2+1). */
pf_fft_batch pf_fft_batch_contiguous(int n, int howmany);

#endif
