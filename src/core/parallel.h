/* A loop over [0, n) spread over the machine's cores (index and verify hash shards with it). */
#ifndef PF_CORE_PARALLEL_H
#define PF_CORE_PARALLEL_H

#include <stddef.h>

/** Run @p fn(@p arg, i) once for every i in [0, @p n), on up to one thread per online core (the
 *  caller's among them), each taking the next i in turn; returns when all are done. @p fn must
 *  be safe to run concurrently for different i. With no thread to start, the caller runs all. */
void pf_parallel_for(size_t n, void (*fn)(void *arg, size_t i), void *arg);

#endif
