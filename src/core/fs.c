/* Files and folders (core/fs.h). */
#define _GNU_SOURCE /* sync_file_range */
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "pitchforge/error.h"

int pf_mkdirs(const char *path, pf_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return PF_FAIL(err, PF_EINVAL, "output path too long");
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p) continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return PF_FAIL(err, PF_EIO, "%s: cannot create folder: %s", buf, strerror(errno));
        if (!(*p = c)) break;
    }
    if (access(path, W_OK))
        return PF_FAIL(err, PF_EIO, "%s: folder is not writable: %s", path, strerror(errno));
    return 0;
}

int pf_path_join(char *buf, size_t size, const char *dir, const char *name)
{
    return snprintf(buf, size, "%s/%s", dir, name) >= (int)size ? -1 : 0;
}

char *pf_path_dup(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *s = pf_malloc(n);
    pf_path_join(s, n, dir, name);
    return s;
}

int pf_tmp_clear(const char *tmp, pf_error *err)
{
    if (unlink(tmp) == 0 || errno == ENOENT) return 0; /* unlink removes a link, not its target */
    return PF_FAIL(err, PF_EIO, "%s: cannot remove the old temporary file: %s", tmp,
                   strerror(errno));
}

FILE *pf_tmp_open(const char *tmp, pf_error *err)
{
    if (pf_tmp_clear(tmp, err)) return NULL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!f) {
        int e = errno;
        if (fd >= 0) close(fd);
        PF_FAIL(err, PF_EIO, "%s: cannot write: %s", tmp, strerror(e));
        errno = e; /* for callers that name another file */
    }
    return f;
}

int pf_out_open(pf_out *o, const char *path, pf_error *err)
{
    snprintf(o->path, sizeof o->path, "%s", path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp", path);
    o->f = pf_tmp_open(o->tmp, err);
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

int pf_out_close(pf_out *o, pf_error *err)
{
    int failed = ferror(o->f) != 0;
    failed |= fclose(o->f) != 0;
    o->f = NULL;
    if (!failed) return 0;
    int e = errno;
    unlink(o->tmp);
    return PF_FAIL(err, PF_EIO, "%s: cannot write: %s", o->tmp, strerror(e));
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
