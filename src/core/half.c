/* IEEE half precision conversions (src/core/half.h), bit by bit, no FPU mode dependence except
 * the default round-to-nearest-even of lrintf for subnormal results. */
#include "core/half.h"

#include <math.h>
#include <string.h>

uint16_t pf_half_from_float(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, a = x & 0x7fffffffu;
    if (a >= 0x7f800000u) /* inf or NaN */
        return (uint16_t)(sign | 0x7c00u | (a > 0x7f800000u ? 0x200u : 0));
    if (a >= 0x477ff000u) /* rounds to >= 65520: infinity */
        return (uint16_t)(sign | 0x7c00u);
    if (a < 0x38800000u) { /* below 2^-14: a subnormal half (or zero) */
        float mag;
        memcpy(&mag, &a, sizeof mag);
        /* mag / 2^-24 is exact in float; rounded to nearest even by the FPU's default rounding */
        return (uint16_t)(sign | (uint32_t)lrintf(mag * 16777216.0f));
    }
    uint32_t mant = a & 0x7fffffu, exp = (a >> 23) - 112u; /* rebias 127 -> 15 */
    uint32_t h = (exp << 10) | (mant >> 13), rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u)))
        h++; /* a carry into the exponent is the right result too */
    return (uint16_t)(sign | h);
}

float pf_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu, x;
    if (e == 0x1f) /* inf or NaN */
        x = sign | 0x7f800000u | (m << 13);
    else if (e) /* normal: rebias 15 -> 127 */
        x = sign | ((e + 112u) << 23) | (m << 13);
    else { /* zero or subnormal: m x 2^-24 */
        float v = (float)m * 0x1p-24f;
        memcpy(&x, &v, sizeof x);
        x |= sign;
    }
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

void pf_halfs_from_floats(const float *x, size_t n, uint16_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = pf_half_from_float(x[i]);
}

void pf_floats_from_halfs(const uint16_t *h, size_t n, float *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = pf_half_to_float(h[i]);
}
