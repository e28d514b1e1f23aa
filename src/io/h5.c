/* The HDF5 helper: the one place that includes hdf5.h (STYLE rule 2). */
#include "io/h5.h"

#include <errno.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/fs.h"
#include "core/util.h"
#include "pitchforge/shard.h"
#include "pitchforge/error.h"

_Static_assert(sizeof(hid_t) == sizeof(pf_h5id), "hid_t must fit pf_h5id");

#define STR_(x) #x
#define STR(x) STR_(x)

const char *pf_hdf5_version(void)
{
    return STR(H5_VERS_MAJOR) "." STR(H5_VERS_MINOR) "." STR(H5_VERS_RELEASE);
}

/* ---- the lock ---- */

static pthread_mutex_t h5_mutex;
static pthread_once_t h5_mutex_once = PTHREAD_ONCE_INIT;

/** Make h5_mutex recursive (once). */
static void h5_mutex_init(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&h5_mutex, &attr);
    pthread_mutexattr_destroy(&attr);
}

void pf_h5_lock(void)
{
    pthread_once(&h5_mutex_once, h5_mutex_init);
    pthread_mutex_lock(&h5_mutex);
}

void pf_h5_unlock(void)
{
    pthread_mutex_unlock(&h5_mutex);
}

/* ---- library life cycle ---- */

/*
 * Keep HDF5 from tearing itself down at exit. After a write fails (a full disk), HDF5 1.10 can
 * leave a dataset whose close at library termination crashes; every file we write is already
 * closed or abandoned by then, and the OS reclaims the rest. Runs before main().
 */
__attribute__((constructor)) static void h5_no_atexit(void)
{
    H5dont_atexit();
}

/* ---- errors ---- */

/** Switch HDF5's automatic error printing off (per thread in a thread-safe HDF5; cheap). */
static void h5_quiet(void)
{
    static __thread int done;
    if (!done) {
        H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
        done = 1;
    }
}

/** HDF5's deepest error description, saved by h5_capture until h5_fail reports it. */
static char last_desc[400];

/**
 * H5Ewalk callback: keep the deepest error description, shortened to "what: <OS message>"
 * when it quotes one (the sec2 driver's descriptions hold a time, a buffer address, ...).
 */
static herr_t keep_deepest(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    const char *d = e->desc, *os = d ? strstr(d, "error message = '") : NULL;
    if (!d || !d[0]) return 0;
    if (os) {
        os += strlen("error message = '");
        snprintf(data, sizeof last_desc, "%.*s: %.*s", (int)strcspn(d, ":,"), d,
                 (int)strcspn(os, "'"), os);
    } else {
        snprintf(data, sizeof last_desc, "%s", d);
    }
    for (char *p = data; *p; p++)
        *p = *p == '\n' ? ' ' : *p;
    return 0;
}

/**
 * Save the current HDF5 error (if any) and clear the stack. Call right after a failing HDF5
 * call when other HDF5 calls (which clear the stack) come before h5_fail.
 */
static void h5_capture(void)
{
    if (H5Eget_num(H5E_DEFAULT) > 0) {
        H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_deepest, last_desc);
        H5Eclear2(H5E_DEFAULT);
    }
}

/** Fill @p err with "<what> [<object>] in <file>: <HDF5's deepest error>". */
static int h5_fail(pf_error *err, pf_h5id loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int h5_fail(pf_error *err, pf_h5id loc, const char *fmt, ...)
{
    char what[400], file[300] = "", obj[200] = "", deep[sizeof last_desc];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    h5_capture();
    snprintf(deep, sizeof deep, "%s", last_desc[0] ? last_desc : "unknown HDF5 error");
    last_desc[0] = '\0';
    if (loc >= 0 && H5Fget_name(loc, file, sizeof file) < 0) file[0] = '\0';
    H5I_type_t type = loc >= 0 ? H5Iget_type(loc) : H5I_BADID;
    if ((type == H5I_DATASET || type == H5I_GROUP) && H5Iget_name(loc, obj, sizeof obj) < 0)
        obj[0] = '\0';
    H5Eclear2(H5E_DEFAULT);
    return PF_FAIL(err, PF_EIO, "%s%s%s%s%s: %s", what, obj[0] ? " " : "", obj,
                   file[0] ? " in " : "", file, deep);
}

/* ---- ids and files ---- */

void pf_h5_close(pf_h5id id)
{
    if (id < 0) return;
    switch (H5Iget_type(id)) {
    case H5I_FILE:
        H5Fclose(id);
        break;
    case H5I_GROUP:
        H5Gclose(id);
        break;
    case H5I_DATASET:
        H5Dclose(id);
        break;
    case H5I_DATATYPE:
        H5Tclose(id);
        break;
    case H5I_DATASPACE:
        H5Sclose(id);
        break;
    case H5I_ATTR:
        H5Aclose(id);
        break;
    case H5I_GENPROP_LST:
        H5Pclose(id);
        break;
    default:
        break;
    }
    H5Eclear2(H5E_DEFAULT);
}

/** A file-access plist: closing the file closes everything left open in it. */
static hid_t strong_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
    return fapl;
}

pf_h5id pf_h5_create(const char *path, pf_error *err)
{
    h5_quiet();
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = strong_fapl();
    H5Pset_obj_track_times(fcpl, 0);
    /* exclusive, after clearing the name: a file or a planted link there is removed, never
     * written through */
    hid_t f = pf_tmp_clear(path, err) ? -1 : H5Fcreate(path, H5F_ACC_EXCL, fcpl, fapl);
    h5_capture();
    H5Pclose(fcpl);
    H5Pclose(fapl);
    if (f < 0) return h5_fail(err, -1, "cannot create %s", path), PF_H5_NONE;
    return f;
}

pf_h5id pf_h5_open(const char *path, int writable, pf_error *err)
{
    h5_quiet();
    hid_t fapl = strong_fapl();
    hid_t f = H5Fopen(path, writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
    h5_capture();
    H5Pclose(fapl);
    if (f < 0) return h5_fail(err, -1, "cannot open %s as HDF5", path), PF_H5_NONE;
    return f;
}

int pf_h5_flush(pf_h5id file, pf_error *err)
{
    if (H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) return h5_fail(err, file, "cannot flush");
    return 0;
}

int pf_h5_close_file(pf_h5id file, pf_error *err)
{
    char name[300] = "";
    if (H5Fget_name(file, name, sizeof name) < 0) name[0] = '\0';
    if (H5Fclose(file) < 0) return h5_fail(err, -1, "cannot close %s", name);
    return 0;
}

int pf_h5_finish(pf_h5id file, pf_error *err)
{
    if (pf_h5_flush(file, err)) {
        pf_h5_close(file);
        return -1;
    }
    return pf_h5_close_file(file, err);
}

int pf_h5_publish(pf_h5id file, const char *tmp, const char *path, pf_error *err)
{
    return pf_h5_finish(file, err) || pf_file_publish(tmp, path, err) ? -1 : 0;
}

int pf_h5_exists(pf_h5id loc, const char *path)
{
    char buf[512];
    size_t len = strlen(path);
    if (!len || len >= sizeof buf) return 0;
    memcpy(buf, path, len + 1);
    for (char *p = buf + 1;; p++) { /* check "a", then "a/b", ... */
        p = strchr(p, '/');
        if (p) *p = '\0';
        if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0) {
            H5Eclear2(H5E_DEFAULT);
            return 0;
        }
        if (!p) return 1;
        *p = '/';
    }
}

/* ---- types ---- */

/** Native HDF5 type of each kind. */
static hid_t native_of(pf_h5_kind kind)
{
    switch (kind) {
    case PF_H5_I8:
        return H5T_NATIVE_INT8;
    case PF_H5_U8:
        return H5T_NATIVE_UINT8;
    case PF_H5_I16:
        return H5T_NATIVE_INT16;
    case PF_H5_U16:
        return H5T_NATIVE_UINT16;
    case PF_H5_I32:
        return H5T_NATIVE_INT32;
    case PF_H5_U32:
        return H5T_NATIVE_UINT32;
    case PF_H5_I64:
        return H5T_NATIVE_INT64;
    case PF_H5_U64:
        return H5T_NATIVE_UINT64;
    case PF_H5_F32:
        return H5T_NATIVE_FLOAT;
    case PF_H5_F64:
        return H5T_NATIVE_DOUBLE;
    default:
        return H5T_NATIVE_DOUBLE;
    }
}

pf_h5id pf_h5_type(pf_h5_kind kind)
{
    return H5Tcopy(native_of(kind));
}

pf_h5id pf_h5_type_enum(pf_h5_kind base, const char *const *names, size_t n)
{
    hid_t t = H5Tenum_create(native_of(base));
    for (size_t i = 0; i < n; i++) {
        long long v = (long long)i;
        unsigned char raw[8];
        H5Tconvert(H5T_NATIVE_LLONG, native_of(base), 1, memcpy(raw, &v, sizeof v), NULL,
                   H5P_DEFAULT);
        H5Tenum_insert(t, names[i], raw);
    }
    return t;
}

pf_h5id pf_h5_type_half(void)
{
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(t, 15, 10, 5, 0, 10);
    H5Tset_size(t, 2);
    H5Tset_ebias(t, 15);
    return t;
}

int pf_h5_dset_is_half(pf_h5id dset)
{
    hid_t t = H5Dget_type(dset);
    int half = t >= 0 && H5Tget_class(t) == H5T_FLOAT && H5Tget_size(t) == 2;
    if (t >= 0)
        H5Tclose(t);
    return half;
}

pf_h5id pf_h5_type_bool(void)
{
    static const char *const names[] = {"FALSE", "TRUE"};
    return pf_h5_type_enum(PF_H5_I8, names, 2);
}

pf_h5id pf_h5_type_str(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len ? len : H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    if (len) H5Tset_strpad(t, H5T_STR_NULLPAD);
    return t;
}

pf_h5id pf_h5_type_compound(size_t size)
{
    return H5Tcreate(H5T_COMPOUND, size);
}

int pf_h5_type_insert(pf_h5id ct, const char *name, size_t offset, pf_h5id member, pf_error *err)
{
    if (H5Tinsert(ct, name, offset, member) < 0)
        return h5_fail(err, -1, "cannot add member %s to a compound type", name);
    return 0;
}

/** The file type for @p type: numbers little-endian, everything else as given. */
static hid_t file_type(hid_t type)
{
    hid_t t = H5Tcopy(type);
    H5T_class_t c = H5Tget_class(t);
    if (c == H5T_INTEGER || c == H5T_FLOAT) H5Tset_order(t, H5T_ORDER_LE);
    return t;
}

/* ---- groups ---- */

pf_h5id pf_h5_group_create(pf_h5id loc, const char *name, pf_error *err)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    h5_capture();
    H5Pclose(gcpl);
    if (g < 0) return h5_fail(err, loc, "cannot create group %s", name), PF_H5_NONE;
    return g;
}

pf_h5id pf_h5_group_open(pf_h5id loc, const char *name, pf_error *err)
{
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0) return h5_fail(err, loc, "cannot open group %s", name), PF_H5_NONE;
    return g;
}

/** A growing list of names, filled by the iteration callbacks below. */
typedef struct name_list {
    char **v;
    size_t n;
} name_list;

/** Add @p name to @p list. */
static void name_add(name_list *list, const char *name)
{
    list->v = pf_reallocarray(list->v, list->n + 1, sizeof *list->v);
    list->v[list->n++] = pf_strdup(name);
}

/** Free a name list. */
static void name_list_free(name_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        free(list->v[i]);
    free(list->v);
}

/** H5Literate callback collecting link names. */
static herr_t collect_link(hid_t g, const char *name, const H5L_info_t *info, void *data)
{
    (void)g;
    (void)info;
    name_add(data, name);
    return 0;
}

int pf_h5_list(pf_h5id loc, const char *name, char ***names, size_t *n, pf_error *err)
{
    name_list list = {NULL, 0};
    hsize_t idx = 0;
    if (H5Literate_by_name(loc, name, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_link, &list,
                           H5P_DEFAULT) < 0) {
        name_list_free(&list);
        return h5_fail(err, loc, "cannot list group %s", name);
    }
    *names = list.v;
    *n = list.n;
    return 0;
}

/* ---- datasets ---- */

/** Dataset-creation plist for @p layout (time tracking off). */
static hid_t dcpl_for(int rank, const pf_h5_layout *layout)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    if (!layout || !layout->chunk) return dcpl;
    hsize_t chunk[PF_H5_MAX_RANK];
    for (int i = 0; i < rank; i++)
        chunk[i] = layout->chunk[i];
    H5Pset_chunk(dcpl, rank, chunk);
    if (layout->gzip > 0) {
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, (unsigned)layout->gzip);
    }
    if (layout->extendible) H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    return dcpl;
}

pf_h5id pf_h5_dset_create(pf_h5id loc, const char *name, pf_h5id type, int rank,
                          const uint64_t *dims, const pf_h5_layout *layout, pf_error *err)
{
    if (rank < 1 || rank > PF_H5_MAX_RANK)
        return PF_FAIL(err, PF_EINTERNAL, "dataset %s: rank %d out of range", name, rank),
               PF_H5_NONE;
    hsize_t d[PF_H5_MAX_RANK], maxd[PF_H5_MAX_RANK];
    for (int i = 0; i < rank; i++)
        d[i] = maxd[i] = dims[i];
    if (layout && layout->extendible) maxd[0] = H5S_UNLIMITED;
    hid_t space = H5Screate_simple(rank, d, maxd), ft = file_type(type);
    hid_t dcpl = dcpl_for(rank, layout);
    hid_t ds = H5Dcreate2(loc, name, ft, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    h5_capture();
    H5Pclose(dcpl);
    H5Tclose(ft);
    H5Sclose(space);
    if (ds < 0) return h5_fail(err, loc, "cannot create dataset %s", name), PF_H5_NONE;
    return ds;
}

pf_h5id pf_h5_dset_open(pf_h5id loc, const char *name, pf_error *err)
{
    hid_t ds = H5Dopen2(loc, name, H5P_DEFAULT);
    if (ds < 0) return h5_fail(err, loc, "cannot open dataset %s", name), PF_H5_NONE;
    return ds;
}

int pf_h5_dset_shape(pf_h5id dset, int *rank, uint64_t dims[PF_H5_MAX_RANK], pf_error *err)
{
    hid_t space = H5Dget_space(dset);
    int r = space < 0 ? -1 : H5Sget_simple_extent_ndims(space);
    hsize_t d[PF_H5_MAX_RANK];
    if (r < 0 || r > PF_H5_MAX_RANK || H5Sget_simple_extent_dims(space, d, NULL) < 0) {
        h5_capture();
        pf_h5_close(space);
        return h5_fail(err, dset, "cannot read the shape of");
    }
    H5Sclose(space);
    for (int i = 0; i < r; i++)
        dims[i] = d[i];
    *rank = r;
    return 0;
}

int pf_h5_dset_kind(pf_h5id dset, pf_h5_kind *kind)
{
    hid_t t = H5Dget_type(dset);
    int found = -1;
    H5T_class_t c = H5Tget_class(t);
    for (int k = 0; found < 0 && k < PF_H5_KIND_COUNT && (c == H5T_INTEGER || c == H5T_FLOAT); k++)
        if (H5Tget_class(native_of(k)) == c && H5Tget_size(native_of(k)) == H5Tget_size(t) &&
            (c == H5T_FLOAT || H5Tget_sign(native_of(k)) == H5Tget_sign(t)))
            found = k;
    pf_h5_close(t);
    if (found < 0) return -1;
    *kind = (pf_h5_kind)found;
    return 0;
}

const char *pf_h5_dset_class(pf_h5id dset)
{
    static const struct {
        H5T_class_t c;
        const char *name;
    } names[] = {
        {H5T_INTEGER, "integer"},     {H5T_FLOAT, "float"},   {H5T_STRING, "string"},
        {H5T_BITFIELD, "bitfield"},   {H5T_OPAQUE, "opaque"}, {H5T_COMPOUND, "compound"},
        {H5T_REFERENCE, "reference"}, {H5T_ENUM, "enum"},     {H5T_VLEN, "vlen"},
        {H5T_ARRAY, "array"},
    };
    hid_t t = H5Dget_type(dset);
    H5T_class_t c = H5Tget_class(t);
    pf_h5_close(t);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].c == c) return names[i].name;
    return "unknown";
}

pf_h5id pf_h5_dset_type(pf_h5id dset)
{
    return H5Dget_type(dset);
}

int pf_h5_dset_type_is(pf_h5id dset, pf_h5id type)
{
    hid_t t = H5Dget_type(dset);
    int eq = t >= 0 && H5Tequal(t, type) > 0;
    pf_h5_close(t);
    return eq;
}

int pf_h5_dset_write(pf_h5id dset, pf_h5id memtype, const void *buf, pf_error *err)
{
    if (H5Dwrite(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        return h5_fail(err, dset, "cannot write");
    return 0;
}

/** Select rows [first, first+count) of dim 0 in @p space; fills @p count_out with the block. */
static int select_rows(hid_t space, uint64_t first, uint64_t count, hsize_t *block, int *rank)
{
    hsize_t start[PF_H5_MAX_RANK] = {0};
    int r = H5Sget_simple_extent_ndims(space);
    if (r < 1 || r > PF_H5_MAX_RANK || H5Sget_simple_extent_dims(space, block, NULL) < 0) return -1;
    if (first + count > block[0]) return -2;
    start[0] = first;
    block[0] = count;
    *rank = r;
    return H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, block, NULL) < 0 ? -1 : 0;
}

/** Write @p count rows at @p first of @p dset (already large enough) from @p buf. */
static int write_rows(hid_t dset, hid_t memtype, uint64_t first, uint64_t count, const void *buf)
{
    hid_t fs = H5Dget_space(dset);
    hsize_t block[PF_H5_MAX_RANK];
    int rank, rc = select_rows(fs, first, count, block, &rank);
    if (rc == 0) {
        hid_t ms = H5Screate_simple(rank, block, NULL);
        rc = H5Dwrite(dset, memtype, ms, fs, H5P_DEFAULT, buf) < 0 ? -1 : 0;
        h5_capture();
        H5Sclose(ms);
    }
    H5Sclose(fs);
    return rc;
}

int pf_h5_dset_append(pf_h5id dset, pf_h5id memtype, const void *buf, uint64_t nrows, pf_error *err)
{
    int rank;
    uint64_t dims[PF_H5_MAX_RANK];
    if (pf_h5_dset_shape(dset, &rank, dims, err)) return -1;
    uint64_t first = dims[0];
    hsize_t d[PF_H5_MAX_RANK];
    for (int i = 0; i < rank; i++)
        d[i] = dims[i];
    d[0] = first + nrows;
    if (H5Dset_extent(dset, d) < 0 || write_rows(dset, memtype, first, nrows, buf))
        return h5_fail(err, dset, "cannot append %" PRIu64 " rows to", nrows);
    return 0;
}

int pf_h5_dset_resize(pf_h5id dset, uint64_t rows, pf_error *err)
{
    int rank;
    uint64_t dims[PF_H5_MAX_RANK];
    if (pf_h5_dset_shape(dset, &rank, dims, err)) return -1;
    hsize_t d[PF_H5_MAX_RANK];
    for (int i = 0; i < rank; i++)
        d[i] = dims[i];
    d[0] = rows;
    if (H5Dset_extent(dset, d) < 0) return h5_fail(err, dset, "cannot resize to %" PRIu64 " rows", rows);
    return 0;
}

int pf_h5_dset_write_chunk(pf_h5id dset, uint64_t row, const void *buf, size_t bytes, pf_error *err)
{
    hsize_t off[PF_H5_MAX_RANK] = {0};
    off[0] = row;
    if (H5Dwrite_chunk(dset, H5P_DEFAULT, 0, off, bytes, buf) < 0)
        return h5_fail(err, dset, "cannot write row %" PRIu64 " of", row);
    return 0;
}

int pf_h5_dset_read(pf_h5id dset, pf_h5id memtype, void *buf, pf_error *err)
{
    if (H5Dread(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0)
        return h5_fail(err, dset, "cannot read");
    return 0;
}

int pf_h5_dset_read_rows(pf_h5id dset, pf_h5id memtype, uint64_t first, uint64_t count, void *buf,
                         pf_error *err)
{
    hid_t fs = H5Dget_space(dset);
    hsize_t block[PF_H5_MAX_RANK];
    int rank, rc = select_rows(fs, first, count, block, &rank);
    if (rc == 0) {
        hid_t ms = H5Screate_simple(rank, block, NULL);
        rc = H5Dread(dset, memtype, ms, fs, H5P_DEFAULT, buf) < 0 ? -1 : 0;
        h5_capture();
        H5Sclose(ms);
    }
    H5Sclose(fs);
    if (rc == -2)
        return PF_FAIL(err, PF_EINVAL, "rows %" PRIu64 "..%" PRIu64 " are past the end", first,
                       first + count);
    if (rc)
        return h5_fail(err, dset, "cannot read rows %" PRIu64 "..%" PRIu64, first, first + count);
    return 0;
}

int pf_h5_write_1d(pf_h5id loc, const char *name, pf_h5id type, size_t n, const void *buf,
                   pf_error *err)
{
    uint64_t dims[1] = {n};
    hid_t ds = pf_h5_dset_create(loc, name, type, 1, dims, NULL, err);
    if (ds < 0) return -1;
    int rc = n ? pf_h5_dset_write(ds, type, buf, err) : 0;
    H5Dclose(ds);
    return rc;
}

void pf_h5_strs_free(char **v, size_t n)
{
    if (!v) return;
    for (size_t i = 0; i < n; i++)
        H5free_memory(v[i]);
}

/** Map source @p src_dset of @p file (@p rows rows) to rows [@p at, ...) of @p vspace. */
static int vds_map(hid_t dcpl, hid_t vspace, int rank, const hsize_t *dims, uint64_t at,
                   uint64_t rows, const char *file, const char *src_dset)
{
    hsize_t start[PF_H5_MAX_RANK] = {0}, count[PF_H5_MAX_RANK], sdims[PF_H5_MAX_RANK];
    memcpy(count, dims, sizeof(hsize_t) * (size_t)rank);
    memcpy(sdims, dims, sizeof(hsize_t) * (size_t)rank);
    start[0] = at;
    count[0] = sdims[0] = rows;
    hid_t sspace = H5Screate_simple(rank, sdims, NULL);
    int rc = -1;
    if (H5Sselect_hyperslab(vspace, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
        H5Pset_virtual(dcpl, vspace, file, src_dset, sspace) >= 0)
        rc = 0;
    H5Sclose(sspace);
    return rc;
}

int pf_h5_vds_create(pf_h5id loc, const char *name, pf_h5id type, int rank,
                     const uint64_t *row_dims, const char *const *files, const uint64_t *rows,
                     size_t n_src, const char *src_dset, pf_error *err)
{
    hsize_t dims[PF_H5_MAX_RANK] = {0};
    for (size_t i = 0; i < n_src; i++)
        dims[0] += rows[i];
    for (int i = 1; i < rank; i++)
        dims[i] = row_dims[i - 1];
    hid_t vspace = H5Screate_simple(rank, dims, NULL), ft = file_type(type);
    hid_t dcpl = dcpl_for(rank, NULL);
    int rc = 0;
    uint64_t at = 0;
    for (size_t i = 0; i < n_src && !rc; at += rows[i++])
        if (rows[i]) rc = vds_map(dcpl, vspace, rank, dims, at, rows[i], files[i], src_dset);
    H5Sselect_all(vspace);
    h5_capture();
    hid_t ds = rc ? -1 : H5Dcreate2(loc, name, ft, vspace, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    h5_capture();
    H5Pclose(dcpl);
    H5Tclose(ft);
    H5Sclose(vspace);
    if (ds < 0) return h5_fail(err, loc, "cannot create virtual dataset %s", name);
    H5Dclose(ds);
    return 0;
}

/* ---- attributes ---- */

int pf_h5_attr_write(pf_h5id loc, const char *name, pf_h5id type, size_t n, const void *buf,
                     pf_error *err)
{
    hsize_t dims[1] = {n};
    hid_t space = n ? H5Screate_simple(1, dims, NULL) : H5Screate(H5S_SCALAR);
    hid_t ft = file_type(type);
    if (H5Aexists(loc, name) > 0) H5Adelete(loc, name);
    hid_t a = H5Acreate2(loc, name, ft, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a < 0 || H5Awrite(a, type, buf) < 0 ? -1 : 0;
    h5_capture();
    pf_h5_close(a);
    H5Tclose(ft);
    H5Sclose(space);
    if (rc) return h5_fail(err, loc, "cannot write attribute %s", name);
    return 0;
}

int pf_h5_attr_str(pf_h5id loc, const char *name, const char *value, pf_error *err)
{
    hid_t t = pf_h5_type_str(0);
    const char *v = value ? value : "";
    int rc = pf_h5_attr_write(loc, name, t, 0, &v, err);
    H5Tclose(t);
    return rc;
}

int pf_h5_attr_strs(pf_h5id loc, const char *name, const char *const *v, size_t n, pf_error *err)
{
    hid_t t = pf_h5_type_str(0);
    int rc;
    if (n) {
        rc = pf_h5_attr_write(loc, name, t, n, v, err);
    } else { /* an empty array: HDF5 needs a null dataspace */
        hid_t space = H5Screate(H5S_NULL);
        hid_t a = H5Acreate2(loc, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
        h5_capture();
        rc = a < 0 ? h5_fail(err, loc, "cannot write attribute %s", name) : 0;
        pf_h5_close(a);
        H5Sclose(space);
    }
    H5Tclose(t);
    return rc;
}

/** Write a scalar attribute of @p kind. */
static int attr_num(pf_h5id loc, const char *name, pf_h5_kind kind, const void *v, pf_error *err)
{
    return pf_h5_attr_write(loc, name, native_of(kind), 0, v, err);
}

int pf_h5_attr_u64(pf_h5id loc, const char *name, uint64_t v, pf_error *err)
{
    return attr_num(loc, name, PF_H5_U64, &v, err);
}

int pf_h5_attr_i64(pf_h5id loc, const char *name, int64_t v, pf_error *err)
{
    return attr_num(loc, name, PF_H5_I64, &v, err);
}

int pf_h5_attr_f64(pf_h5id loc, const char *name, double v, pf_error *err)
{
    return attr_num(loc, name, PF_H5_F64, &v, err);
}

int pf_h5_attr_exists(pf_h5id loc, const char *name)
{
    htri_t r = H5Aexists(loc, name);
    H5Eclear2(H5E_DEFAULT);
    return r > 0;
}

/** Number of elements of attribute @p a (-1 on error). */
static hssize_t attr_points(hid_t a)
{
    hid_t space = a < 0 ? -1 : H5Aget_space(a);
    hssize_t n = space < 0 ? -1 : H5Sget_simple_extent_npoints(space);
    pf_h5_close(space);
    return n;
}

int pf_h5_attr_read_num(pf_h5id loc, const char *name, pf_h5_kind kind, void *out, pf_error *err)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    hssize_t n = attr_points(a);
    int rc = n != 1 || H5Aread(a, native_of(kind), out) < 0 ? -1 : 0;
    h5_capture();
    pf_h5_close(a);
    if (a >= 0 && n != 1)
        return PF_FAIL(err, PF_ESCHEMA, "attribute %s holds %lld values, not one", name,
                       (long long)n);
    if (rc) return h5_fail(err, loc, "cannot read attribute %s as a number", name);
    return 0;
}

/** Read string attribute @p a (scalar, vlen or fixed) into a pf_malloc'd copy. */
static char *attr_str_of(hid_t a, hid_t t)
{
    char *out = NULL;
    if (H5Tis_variable_str(t) > 0) {
        char *v = NULL;
        hid_t mt = pf_h5_type_str(0);
        if (H5Aread(a, mt, &v) >= 0) out = pf_strdup(v ? v : "");
        H5free_memory(v);
        H5Tclose(mt);
    } else {
        size_t len = H5Tget_size(t);
        out = pf_calloc(len + 1, 1);
        if (H5Aread(a, t, out) < 0) {
            free(out);
            out = NULL;
        }
    }
    return out;
}

char *pf_h5_attr_read_str(pf_h5id loc, const char *name, pf_error *err)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    h5_capture();
    hid_t t = a < 0 ? -1 : H5Aget_type(a), space = a < 0 ? -1 : H5Aget_space(a);
    char *out = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && H5Sget_simple_extent_npoints(space) == 1)
        out = attr_str_of(a, t);
    pf_h5_close(t);
    pf_h5_close(space);
    pf_h5_close(a);
    if (!out) h5_fail(err, loc, "cannot read attribute %s as a string", name);
    return out;
}

/** Append text to a growing buffer. */
static void text_add(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);
    *buf = pf_reallocarray(*buf, *len + n + 1, 1);
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

/** Format @p n elements of attribute @p a (class @p c) as text. */
static char *attr_values_text(hid_t a, hid_t t, H5T_class_t c, size_t n)
{
    int is_str = c == H5T_STRING && H5Tis_variable_str(t) > 0;
    int is_int = c == H5T_INTEGER || c == H5T_ENUM;
    hid_t mt = is_str ? pf_h5_type_str(0) : H5Tcopy(is_int ? H5T_NATIVE_LLONG : H5T_NATIVE_DOUBLE);
    size_t len = 0;
    void *vals = pf_calloc(n ? n : 1, 8);
    char *text = pf_strdup(""), item[64];
    if (H5Aread(a, mt, vals) >= 0) {
        for (size_t i = 0; i < n; i++) {
            if (i) text_add(&text, &len, ", ");
            if (is_str)
                text_add(&text, &len, ((char **)vals)[i] ? ((char **)vals)[i] : "");
            else {
                if (is_int)
                    snprintf(item, sizeof item, "%lld", ((long long *)vals)[i]);
                else
                    snprintf(item, sizeof item, "%.17g", ((double *)vals)[i]);
                text_add(&text, &len, item);
            }
        }
        if (is_str) pf_h5_strs_free(vals, n);
    }
    free(vals);
    H5Tclose(mt);
    return text;
}

char *pf_h5_attr_text(pf_h5id loc, const char *name, pf_error *err)
{
    hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
    if (a < 0) return h5_fail(err, loc, "cannot open attribute %s", name), NULL;
    hid_t t = H5Aget_type(a), space = H5Aget_space(a);
    H5T_class_t c = H5Tget_class(t);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    char *text;
    if (c == H5T_STRING && n == 1 && H5Sget_simple_extent_type(space) == H5S_SCALAR)
        text = attr_str_of(a, t);
    else if (c == H5T_STRING && H5Tis_variable_str(t) <= 0)
        text = pf_strdup("(fixed-length string array)");
    else if (c == H5T_STRING || c == H5T_INTEGER || c == H5T_FLOAT || c == H5T_ENUM)
        text = attr_values_text(a, t, c, n > 0 ? (size_t)n : 0);
    else
        text = pf_strdup("(unprintable type)");
    H5Tclose(t);
    H5Sclose(space);
    H5Aclose(a);
    H5Eclear2(H5E_DEFAULT);
    return text;
}

/** H5Aiterate callback collecting names. */
static herr_t collect_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
    (void)loc;
    (void)info;
    name_add(data, name);
    return 0;
}

int pf_h5_attr_names(pf_h5id loc, char ***names, size_t *n, pf_error *err)
{
    name_list list = {NULL, 0};
    if (H5Aiterate2(loc, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_attr, &list) < 0) {
        name_list_free(&list);
        return h5_fail(err, loc, "cannot list attributes");
    }
    *names = list.v;
    *n = list.n;
    return 0;
}

/** Copy attribute @p name from @p src to @p dst with its type and shape. */
static int attr_copy(hid_t src, hid_t dst, const char *name)
{
    hid_t a = H5Aopen(src, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a), space = H5Aget_space(a);
    hid_t mt = H5Tget_native_type(t, H5T_DIR_ASCEND);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    size_t size = H5Tget_size(mt) * (size_t)(n > 0 ? n : 1);
    void *buf = pf_calloc(size, 1);
    int rc = -1;
    if (a >= 0 && H5Aread(a, mt, buf) >= 0) {
        if (H5Aexists(dst, name) > 0) H5Adelete(dst, name);
        hid_t b = H5Acreate2(dst, name, t, space, H5P_DEFAULT, H5P_DEFAULT);
        rc = b < 0 || H5Awrite(b, mt, buf) < 0 ? -1 : 0;
        h5_capture();
        pf_h5_close(b);
        if (H5Tdetect_class(mt, H5T_VLEN) > 0 || H5Tis_variable_str(mt) > 0)
            H5Dvlen_reclaim(mt, space, H5P_DEFAULT, buf);
    }
    free(buf);
    pf_h5_close(mt);
    pf_h5_close(t);
    pf_h5_close(space);
    pf_h5_close(a);
    return rc;
}

int pf_h5_attr_copy_all(pf_h5id src, pf_h5id dst, const char *const *skip, size_t n_skip,
                        pf_error *err)
{
    char **names;
    size_t n;
    if (pf_h5_attr_names(src, &names, &n, err)) return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        int skipped = 0;
        for (size_t k = 0; k < n_skip; k++)
            skipped |= strcmp(names[i], skip[k]) == 0;
        if (!rc && !skipped && attr_copy(src, dst, names[i]))
            rc = h5_fail(err, dst, "cannot copy attribute %s", names[i]);
        free(names[i]);
    }
    free(names);
    return rc;
}

int pf_h5_copy(pf_h5id src, const char *src_name, pf_h5id dst, const char *dst_name, pf_error *err)
{
    h5_quiet();
    herr_t rc = H5Ocopy(src, src_name, dst, dst_name, H5P_DEFAULT, H5P_DEFAULT);
    h5_capture();
    return rc < 0 ? h5_fail(err, dst, "cannot copy %s to %s", src_name, dst_name) : 0;
}

/* ---- descriptions and dimension scales (H5DS, HDF5's high-level library) ---- */

int pf_h5_describe(pf_h5id loc, const char *name, const char *units, const char *description,
                   pf_error *err)
{
    hid_t d = H5Oopen(loc, name, H5P_DEFAULT);
    h5_capture();
    if (d < 0) return h5_fail(err, loc, "cannot open %s to describe it", name);
    int rc = (units && pf_h5_attr_str(d, "units", units, err)) ||
             pf_h5_attr_str(d, "description", description, err);
    H5Oclose(d);
    return rc ? -1 : 0;
}

int pf_h5_dim_scale(pf_h5id loc, const char *scale, const char *target, unsigned dim,
                    const char *label, pf_error *err)
{
    hid_t s = scale ? H5Dopen2(loc, scale, H5P_DEFAULT) : H5I_INVALID_HID;
    hid_t t = H5Dopen2(loc, target, H5P_DEFAULT);
    h5_capture();
    int rc = 0;
    if (t < 0 || (scale && s < 0))
        rc = h5_fail(err, loc, "cannot open %s", t < 0 ? target : scale);
    if (!rc && scale && H5DSis_scale(s) <= 0 && H5DSset_scale(s, label) < 0)
        rc = h5_fail(err, loc, "cannot make %s a dimension scale", scale);
    if (!rc && scale && H5DSattach_scale(t, s, dim) < 0)
        rc = h5_fail(err, loc, "cannot attach %s to %s", scale, target);
    if (!rc && H5DSset_label(t, dim, label) < 0)
        rc = h5_fail(err, loc, "cannot label dimension %u of %s", dim, target);
    h5_capture();
    if (s >= 0) H5Dclose(s);
    if (t >= 0) H5Dclose(t);
    return rc;
}
