/* IEEE 754 half precision (binary16) from and to float, as numpy's float16 converts: used by
 * model files (`weights: float16`) and shards (`store.spectrogram: float16`). */
#ifndef PF_CORE_HALF_H
#define PF_CORE_HALF_H

#include <stddef.h>
#include <stdint.h>

/** Half bits of @p f rounded to nearest even: subnormal halves below 2^-14, 0 below 2^-25,
 *  infinity from 65520 up, NaN kept a (quiet) NaN, the sign kept (-0 too). */
uint16_t pf_half_from_float(float f);
/** The float value of half bits @p h (exact: every half is a float). */
float pf_half_to_float(uint16_t h);
/** pf_half_from_float over @p x[0..n) into @p out[n]. */
void pf_halfs_from_floats(const float *x, size_t n, uint16_t *out);
/** pf_half_to_float over @p h[0..n) into @p out[n]. */
void pf_floats_from_halfs(const uint16_t *h, size_t n, float *out);

#endif
