/* Tests for src/core/half.c against numpy's float16 conversion (PY, default /usr/bin/python3):
 * every half widened, and float32 values around every rounding edge (ties, subnormals, the
 * underflow to 0, the overflow to infinity, NaN) plus a million random bit patterns narrowed. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/half.h"

/* Run numpy on @p in (@p n values, raw) with @p expr (of x, read as @p in_dtype) and read the
 * @p out_size-byte results into @p out. */
static void numpy_convert(const void *in, size_t in_size, size_t n, const char *in_dtype,
                          const char *expr, void *out, size_t out_size)
{
    char in_path[] = "/tmp/pf-half-in.XXXXXX", out_path[] = "/tmp/pf-half-out.XXXXXX", cmd[1024];
    int fi = mkstemp(in_path), fo = mkstemp(out_path);
    assert_true(fi >= 0 && fo >= 0);
    assert_int_equal(write(fi, in, in_size * n), (ssize_t)(in_size * n));
    close(fi);
    close(fo);
    const char *py = getenv("PY");
    snprintf(cmd, sizeof cmd,
             "%s -c 'import numpy as np, warnings; warnings.simplefilter(\"ignore\"); "
             "x = np.fromfile(\"%s\", np.%s); (%s).tofile(\"%s\")'",
             py && *py ? py : "/usr/bin/python3", in_path, in_dtype, expr, out_path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(out_path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(out, out_size, n, f), n);
    fclose(f);
    unlink(in_path);
    unlink(out_path);
}

/* Every one of the 65536 halves widens to numpy's float (NaNs: a NaN of the same sign). */
static void widen_every_half(void **state)
{
    (void)state;
    enum { N = 65536 };
    uint16_t *h = malloc(N * sizeof *h);
    float *ours = malloc(N * sizeof *ours), *ref = malloc(N * sizeof *ref);
    for (size_t i = 0; i < N; i++)
        h[i] = (uint16_t)i;
    pf_floats_from_halfs(h, N, ours);
    numpy_convert(h, 2, N, "float16", "x.astype(np.float32)", ref, 4);
    for (size_t i = 0; i < N; i++)
        if (isnan(ref[i]) ? !isnan(ours[i]) || signbit(ours[i]) != signbit(ref[i])
                          : memcmp(&ours[i], &ref[i], 4))
            fail_msg("half 0x%04zx: ours %a, numpy %a", i, (double)ours[i], (double)ref[i]);
    free(h), free(ours), free(ref);
}

/* Float values at and around the edges, then random bit patterns, narrowed as numpy does. */
static void narrow_like_numpy(void **state)
{
    (void)state;
    enum { EDGES = 65536 * 6, RANDOM = 1 << 20, N = EDGES + RANDOM };
    float *x = malloc(N * sizeof *x);
    uint16_t *ours = malloc(N * sizeof *ours), *ref = malloc(N * sizeof *ref);
    size_t n = 0;
    for (uint32_t i = 0; i < 65536; i++) { /* each half, the ties above it, one ulp around */
        float v = pf_half_to_float((uint16_t)i), next = pf_half_to_float((uint16_t)(i + 1));
        if (!isfinite(v) || !isfinite(next)) v = 1, next = 1;
        float mid = (v + next) / 2; /* exact: a float has room for a half's tie */
        x[n++] = v, x[n++] = mid, x[n++] = nextafterf(mid, -INFINITY);
        x[n++] = nextafterf(mid, INFINITY), x[n++] = -mid, x[n++] = mid * 0x1p-30f;
    }
    uint32_t r = 12345;
    for (size_t i = 0; i < RANDOM; i++) {
        r = r * 1664525u + 1013904223u;
        uint32_t bits = r ^ (r >> 7) << 3;
        memcpy(&x[n++], &bits, 4);
    }
    x[0] = 65519.99f, x[1] = 65520.0f, x[2] = -65520.0f, x[3] = 1e-8f, x[4] = 2.9802322e-8f;
    x[5] = 2.9802326e-8f, x[6] = INFINITY, x[7] = NAN, x[8] = -0.0f, x[9] = 1e-9f;
    pf_halfs_from_floats(x, n, ours);
    numpy_convert(x, 4, n, "float32", "x.astype(np.float16)", ref, 2);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        int nan = (ref[i] & 0x7c00) == 0x7c00 && (ref[i] & 0x3ff);
        int ok = nan ? (ours[i] & 0x7c00) == 0x7c00 && (ours[i] & 0x3ff) &&
                           (ours[i] & 0x8000) == (ref[i] & 0x8000)
                     : ours[i] == ref[i];
        if (!ok && bad++ < 5)
            print_error("value %a: ours 0x%04x, numpy 0x%04x\n", (double)x[i], ours[i], ref[i]);
    }
    assert_int_equal(bad, 0);
    free(x), free(ours), free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(widen_every_half),
                                       cmocka_unit_test(narrow_like_numpy)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
