/* Small helpers shared across modules: a monotonic clock, a qsort comparator, JSON strings.
 * Files and folders: core/fs.h. */
#ifndef PF_CORE_UTIL_H
#define PF_CORE_UTIL_H

#include <stdio.h>

#include "pitchforge/error.h"

/** Seconds on the monotonic clock (for stage timings and progress). */
double pf_now_s(void);
/** qsort comparator for doubles, ascending (NaN-free input). */
int pf_cmp_double(const void *a, const void *b);
/** Write @p s to @p out as a JSON string: quoted, with quotes, backslashes and control bytes
 *  escaped. */
void pf_json_string(FILE *out, const char *s);
/** Write @p bytes as "12.3 GB" (powers of 1000, B to TB) into @p buf of @p size bytes. */
void pf_human_bytes(double bytes, char *buf, size_t size);
/** Write @p s seconds as "42s", "3m05s" or "2h07m" (rounded; "?" when negative, NaN or huge)
 *  into @p buf of @p size bytes: an ETA on a progress line. */
void pf_format_duration(double s, char *buf, size_t size);

#endif
