/* Work spread over threads: a fixed number of parts (generate's workers, the label audit, the
 * trainer's layers), or a loop over [0, n) on the machine's cores (index and verify hash shards
 * with it). */
#ifndef PF_CORE_PARALLEL_H
#define PF_CORE_PARALLEL_H

#include <stddef.h>

/** The most threads either function starts; a larger count is cut to it. */
#define PF_PARALLEL_MAX 64

/** Run @p fn(@p arg, t, @p nt) once for every part t in [0, @p nt), each on a thread of its own
 *  (the caller runs t = 0, and any part whose thread cannot be started); returns when all are
 *  done. @p nt below 1 counts as 1. */
void pf_parallel_run(int nt, void (*fn)(void *arg, int t, int nt), void *arg);

/** Run @p fn(@p arg, i) once for every i in [0, @p n), on up to one thread per online core (the
 *  caller's among them), each taking the next i in turn; returns when all are done. @p fn must
 *  be safe to run concurrently for different i. With no thread to start, the caller runs all. */
void pf_parallel_for(size_t n, void (*fn)(void *arg, size_t i), void *arg);

#endif
