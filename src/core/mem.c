/* Allocation helpers that abort on out-of-memory. */
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
    fprintf(stderr, "pitchforge: out of memory (%zu bytes)\n", size);
    abort();
}

int pf_mul_size(size_t a, size_t b, size_t *out)
{
    if (a && b > (size_t)-1 / a)
        return -1;
    *out = a * b;
    return 0;
}

void *pf_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom(size);
    return p;
}

void *pf_calloc(size_t n, size_t size)
{
    size_t total;
    if (pf_mul_size(n, size, &total))
        oom((size_t)-1);
    void *p = calloc(total ? n : 1, total ? size : 1);
    if (!p)
        oom(total);
    return p;
}

void *pf_reallocarray(void *p, size_t n, size_t size)
{
    size_t total;
    if (pf_mul_size(n, size, &total))
        oom((size_t)-1);
    void *q = realloc(p, total ? total : 1);
    if (!q)
        oom(total);
    return q;
}

char *pf_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = pf_malloc(n);
    memcpy(d, s, n);
    return d;
}

double pf_mem_available_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    unsigned long long kb = 0;
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = sscanf(line, "MemAvailable: %llu kB", &kb) == 1;
    if (f) fclose(f);
    return found ? (double)kb * 1024.0 : 0;
}
