/* pf_dataset_check_sources: every shard dataset.h5 lists exists and opens, so that a read
 * through its virtual datasets never returns HDF5's fill values for a lost shard. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/mem.h"
#include "store/schema.h"

/** The folder of @p path ("." when it has none); pf_malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return pf_strdup(".");
    size_t len = slash == path ? 1 : (size_t)(slash - path);
    char *dir = pf_malloc(len + 1);
    memcpy(dir, path, len);
    dir[len] = '\0';
    return dir;
}

/** Read the shard names of /checksums in @p f into *@p names (*@p n of them). */
static int read_names(pf_h5id f, char ***names, size_t *n, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = pf_h5_exists(f, "checksums") ? pf_h5_dset_open(f, "checksums", err) : PF_H5_NONE;
    if (ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) || rank != 1) {
        pf_h5_close(ds);
        return PF_FAIL(err, PF_ESCHEMA, "no /checksums table naming its shards");
    }
    char **v = pf_calloc(d[0] ? d[0] : 1, sizeof *v);
    pf_h5id ct = pf_h5_type_compound(sizeof *v), vs = pf_h5_type_str(0);
    int rc =
        pf_h5_type_insert(ct, "shard", 0, vs, err) || (d[0] && pf_h5_dset_read(ds, ct, v, err));
    pf_h5_close(ct);
    pf_h5_close(vs);
    pf_h5_close(ds);
    if (rc) {
        free(v);
        return -1;
    }
    *names = v;
    *n = (size_t)d[0];
    return 0;
}

/** Check that shard @p name in @p dir, listed by index @p index, exists and HDF5 opens it. */
static int check_one(const char *index, const char *dir, const char *name, pf_error *err)
{
    static const char why[] = "reading through it would give fill values, not data; check "
                              "every shard with: pitchforge verify";
    struct stat st;
    char *path = pf_path_dup(dir, name);
    int rc = 0;
    if (stat(path, &st))
        rc = PF_FAIL(err, PF_EIO, "%s lists shard %s, which is missing (%s): %s %s", index, path,
                     strerror(errno), why, dir);
    else {
        pf_h5id f = pf_h5_open(path, 0, NULL);
        if (f < 0)
            rc = PF_FAIL(err, PF_EIO,
                         "%s lists shard %s, which HDF5 cannot open (truncated or "
                         "damaged): %s %s",
                         index, path, why, dir);
        pf_h5_close(f);
    }
    free(path);
    return rc;
}

/** 1 when shard @p name belongs to @p split ("train-00000-of-00002.h5" to "train"). */
static int in_split(const char *name, const char *split)
{
    size_t len = strlen(split);
    return !strncmp(name, split, len) && name[len] == '-';
}

int pf_dataset_check_sources(pf_h5id f, const char *path, const char *split, pf_error *err)
{
    char **names = NULL;
    size_t n = 0;
    if (read_names(f, &names, &n, err)) return pf_error_prefix(err, "%s", path);
    char *dir = dir_of(path);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (names[i] && (!split || in_split(names[i], split)))
            rc = check_one(path, dir, names[i], err);
    pf_h5_strs_free(names, n);
    free(names);
    free(dir);
    return rc ? -1 : 0;
}
