/* Small helpers shared across modules: a monotonic clock and a qsort comparator. */
#ifndef PF_CORE_UTIL_H
#define PF_CORE_UTIL_H

/** Seconds on the monotonic clock (for stage timings and progress). */
double pf_now_s(void);
/** qsort comparator for doubles, ascending (NaN-free input). */
int pf_cmp_double(const void *a, const void *b);

#endif
