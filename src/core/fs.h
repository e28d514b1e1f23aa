/* Files and folders: mkdir -p, path joins, and files written whole or not at all (a temp name,
 * fsync, rename into place, fsync the folder). */
#ifndef PF_CORE_FS_H
#define PF_CORE_FS_H

#include <stddef.h>
#include <stdio.h>

#include "pitchforge/error.h"

/** mkdir -p @p path, then check that it is writable.
 *  @return 0, or -1 with @p err filled (naming the folder that failed) */
int pf_mkdirs(const char *path, pf_error *err);
/** "@p dir/@p name" into @p buf of @p size bytes.
 *  @return 0, or -1 when it does not fit (buf then holds a truncated path) */
int pf_path_join(char *buf, size_t size, const char *dir, const char *name);
/** "@p dir/@p name", allocated (caller frees). */
char *pf_path_dup(const char *dir, const char *name);

/**
 * Make way for a temporary file at @p tmp: whatever is there (a crashed run's file, or a
 * symbolic link someone planted) is removed, never followed, so the file can then be created
 * exclusively (O_EXCL).
 * @return 0, or -1 with @p err filled (it cannot be removed)
 */
int pf_tmp_clear(const char *tmp, pf_error *err);
/** fopen(@p tmp, "wb") done safely: pf_tmp_clear, then created with O_EXCL | O_NOFOLLOW.
 *  @return the stream, or NULL with @p err filled and errno the reason */
FILE *pf_tmp_open(const char *tmp, pf_error *err);

/** A file being written to "<path>.tmp"; pf_out_commit renames it to its path. */
typedef struct pf_out {
    FILE *f;
    char path[4096], tmp[4200];
} pf_out;

/** Open "@p path.tmp" for writing ("wb"). */
int pf_out_open(pf_out *o, const char *path, pf_error *err);
/** Close it and rename it to its path when @p ok (and every write succeeded), else remove it. */
int pf_out_commit(pf_out *o, int ok, pf_error *err);
/** Close it, keeping "<path>.tmp" for the caller to publish (pf_file_publish) with other files;
 *  when a write failed, remove it and fail. */
int pf_out_close(pf_out *o, pf_error *err);

/** Start writing @p path's dirty pages to disk without waiting (Linux sync_file_range), so a
 *  later fsync has less to wait for; errors are ignored (it only saves time). */
void pf_file_writeback_start(const char *path);

/** Make a closed file durable and visible: fsync "@p tmp", rename it to @p path, fsync the folder
 *  (a crash leaves either the old state or the whole new file). */
int pf_file_publish(const char *tmp, const char *path, pf_error *err);

/** Ask the kernel to drop @p path's pages from the page cache (posix_fadvise DONTNEED; they must
 *  be clean, as after pf_file_publish, or they stay); errors are ignored (it only saves memory
 *  and time: the next file's pages come from the freed ones, see docs/performance.md). */
void pf_file_drop_cache(const char *path);

#endif
