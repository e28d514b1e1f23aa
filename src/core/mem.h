/* Allocation helpers: out of memory aborts (STYLE rule 3); size products are checked. */
#ifndef PF_CORE_MEM_H
#define PF_CORE_MEM_H

#include <stddef.h>

/** malloc that aborts on failure; never returns NULL (size 0 gives a 1-byte block). */
void *pf_malloc(size_t size);
/** calloc of @p n elements of @p size, aborting on overflow or failure. */
void *pf_calloc(size_t n, size_t size);
/** realloc to @p n elements of @p size, aborting on overflow or failure. */
void *pf_reallocarray(void *p, size_t n, size_t size);
/** strdup that aborts on failure; NULL gives NULL. */
char *pf_strdup(const char *s);
/** Multiply @p a by @p b into @p out; returns -1 on overflow, 0 otherwise. */
int pf_mul_size(size_t a, size_t b, size_t *out);
/** The memory the kernel says new work can use without swapping (MemAvailable of
 *  /proc/meminfo), in bytes; 0 when it does not say. */
double pf_mem_available_bytes(void);

#endif
