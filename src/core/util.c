/* Small shared helpers. */
#include "core/util.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double pf_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int pf_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int pf_out_open(pf_out *o, const char *path, pf_error *err)
{
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp", path);
    o->f = fopen(o->tmp, "wb");
    return o->f ? 0 : PF_FAIL(err, PF_EIO, "%s: cannot write: %s", path, strerror(errno));
}

int pf_out_commit(pf_out *o, int ok, pf_error *err)
{
    int failed = ferror(o->f) != 0;
    failed |= fclose(o->f) != 0;
    o->f = NULL;
    if (ok && !failed && !rename(o->tmp, o->path)) return 0;
    int e = errno;
    unlink(o->tmp);
    return ok ? PF_FAIL(err, PF_EIO, "%s: cannot write: %s", o->path, strerror(e)) : -1;
}
