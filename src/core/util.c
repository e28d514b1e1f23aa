/* Small shared helpers. */
#define _GNU_SOURCE /* sync_file_range */
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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

void pf_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++)
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", *s);
        else
            fputc(*s, out);
    fputc('"', out);
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

/** fsync @p path (a file, or a folder when @p dir). */
static int fsync_path(const char *path, int dir, pf_error *err)
{
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) return PF_FAIL(err, PF_EIO, "cannot open %s to sync it: %s", path, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc) return PF_FAIL(err, PF_EIO, "cannot sync %s: %s", path, strerror(e));
    return 0;
}

void pf_file_writeback_start(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: failure costs only time */
    close(fd);
}

void pf_file_drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return;
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
}

int pf_file_publish(const char *tmp, const char *path, pf_error *err)
{
    if (fsync_path(tmp, 0, err)) return -1;
    if (rename(tmp, path))
        return PF_FAIL(err, PF_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    char folder[4096];
    snprintf(folder, sizeof folder, "%s", path);
    return fsync_path(dirname(folder), 1, err);
}
