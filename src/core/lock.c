/* Output folder locks (core/lock.h). */
#define _GNU_SOURCE
#include "core/lock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/mem.h"

#define PART_PREFIX ".pitchforge.part-"

struct pf_dir_lock {
    char *dir_path, *part_path; /* NULL part_path: a whole run */
    int dir_fd, part_fd;        /* -1: not locked (flock unsupported there) */
    int exclusive;              /* the folder lock is exclusive */
};

/* Open @p path and flock it with @p op (LOCK_SH or LOCK_EX) without waiting; make sure the file
 * locked is still the one at @p path (a holder removes it on release, see pf_dir_unlock).
 * @return the descriptor, or -1 with errno (EWOULDBLOCK: held) */
static int lock_file(const char *path, int op)
{
    for (int tries = 0; tries < 1000; tries++) {
        int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (fd < 0) return -1;
        if (flock(fd, op | LOCK_NB)) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        struct stat a, b;
        if (fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino)
            return fd;
        close(fd); /* removed by its holder between our open and our flock: open the new one */
    }
    errno = EAGAIN;
    return -1;
}

static int unsupported(int e)
{
    return e == EOPNOTSUPP || e == ENOLCK || e == ENOSYS || e == EINVAL;
}

/* Record who holds @p fd's lock (a hint for whoever is refused; failure costs nothing). */
static void record(int fd, const char *what)
{
    char host[256] = "?", when[32] = "?", line[1024];
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm)) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    int n = snprintf(line, sizeof line, "pid %ld on host %s: %s (since %s)\n", (long)getpid(),
                     host, what ? what : "pitchforge", when);
    size_t len = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    if (ftruncate(fd, 0) == 0 && pwrite(fd, line, len, 0) != (ssize_t)len)
        return; /* only a hint */
}

/* The holder line recorded in @p path, into @p buf. */
static void holder(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : pread(fd, buf, size - 1, 0);
    if (fd >= 0) close(fd);
    buf[n > 0 ? n : 0] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    if (!buf[0]) snprintf(buf, size, "a run that has not recorded itself yet");
}

/* Holders of part locks in @p dir (parts sharing the folder), "; "-joined into @p buf. */
static size_t part_holders(const char *dir, char *buf, size_t size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t found = 0, used = 0;
    buf[0] = '\0';
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, PART_PREFIX, strlen(PART_PREFIX))) continue;
        char path[4096], who[600];
        if (pf_path_join(path, sizeof path, dir, e->d_name)) continue;
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) continue;
        int held = flock(fd, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
        close(fd);
        if (!held) continue;
        holder(path, who, sizeof who);
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", found ? "; " : "", who);
        found++;
    }
    if (d) closedir(d);
    return found;
}

static int busy(const char *dir, const char *path, int whole, pf_error *err)
{
    char who[600], parts[700];
    if (whole && part_holders(dir, parts, sizeof parts))
        return PF_FAIL(err, PF_EBUSY, "%s is being written by part runs (%s): wait for them to "
                       "end; two runs writing one folder would remove each other's files",
                       dir, parts);
    holder(path, who, sizeof who);
    return PF_FAIL(err, PF_EBUSY, "%s is in use by another run (%s): wait for it to end; two "
                   "runs writing one folder would remove each other's files", dir, who);
}

/* Lock @p path with @p op into *@p fd; -1 with @p err filled when another run holds it. */
static int take(const char *dir, const char *path, int op, int whole, int *fd, pf_error *err)
{
    *fd = lock_file(path, op);
    if (*fd >= 0 || unsupported(errno)) return 0;
    if (errno == EWOULDBLOCK) return busy(dir, path, whole, err);
    return PF_FAIL(err, PF_EIO, "%s: cannot make the lock file: %s", path, strerror(errno));
}

/* A whole run owns the folder: remove the part lock files of earlier part runs (no part can hold
 * one: a part takes the folder lock, shared, first). */
static void remove_part_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, PART_PREFIX, strlen(PART_PREFIX)) &&
            !pf_path_join(path, sizeof path, dir, e->d_name))
            unlink(path);
    if (d) closedir(d);
}

pf_dir_lock *pf_dir_lock_take(const char *dir, int part, int parts, const char *what,
                              pf_error *err)
{
    pf_dir_lock *l = pf_calloc(1, sizeof *l);
    l->dir_fd = l->part_fd = -1;
    l->exclusive = parts <= 0;
    l->dir_path = pf_path_dup(dir, PF_LOCK_NAME);
    int rc = take(dir, l->dir_path, l->exclusive ? LOCK_EX : LOCK_SH, l->exclusive, &l->dir_fd,
                  err);
    if (!rc && l->exclusive) {
        if (l->dir_fd >= 0) record(l->dir_fd, what), remove_part_files(dir);
    } else if (!rc) {
        char name[96];
        snprintf(name, sizeof name, PART_PREFIX "%05d-of-%05d.lock", part, parts);
        l->part_path = pf_path_dup(dir, name);
        rc = take(dir, l->part_path, LOCK_EX, 0, &l->part_fd, err);
        if (!rc && l->part_fd >= 0) record(l->part_fd, what);
    }
    if (rc) {
        pf_dir_unlock(l);
        return NULL;
    }
    return l;
}

/* Remove @p path if no one else holds @p fd's file (an exclusive lock: we are its last holder),
 * then close it. Removing while locked is safe: lock_file checks the file it locked is the
 * one at the path. */
static void release(const char *path, int fd)
{
    if (fd < 0) return;
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) unlink(path);
    close(fd);
}

void pf_dir_unlock(pf_dir_lock *l)
{
    if (!l) return;
    release(l->part_path, l->part_fd); /* the part first: a part holds it inside the folder's */
    release(l->dir_path, l->dir_fd);
    free(l->dir_path);
    free(l->part_path);
    free(l);
}
