/*
 * A small HDF5 helper shared by shards, the dataset index and model files (STYLE rule 2).
 * h5.c is the only file that includes hdf5.h; ids are HDF5 hid_t values carried as int64_t.
 *
 * Every object this helper creates has time tracking off, so the same calls give the same
 * bytes. HDF5's own error printing is off; a failing call fills a pf_error (PF_EIO unless
 * said otherwise) whose message names the object and the file and ends with HDF5's deepest
 * error description.
 *
 * The HDF5 build is serial (not thread-safe): no two threads may be inside HDF5 at once. Code
 * that may run on several threads brackets its helper calls with pf_h5_lock / pf_h5_unlock
 * (the shard, index and inspect entry points do).
 */
#ifndef PF_DATA_H5_H
#define PF_DATA_H5_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"

typedef int64_t pf_h5id; /**< an HDF5 hid_t */
#define PF_H5_NONE ((pf_h5id)-1)
#define PF_H5_MAX_RANK 8

/** Numeric element kinds (native in memory, little-endian in files). */
typedef enum pf_h5_kind {
    PF_H5_I8,
    PF_H5_U8,
    PF_H5_I16,
    PF_H5_U16,
    PF_H5_I32,
    PF_H5_U32,
    PF_H5_I64,
    PF_H5_U64,
    PF_H5_F32,
    PF_H5_F64,
    PF_H5_KIND_COUNT
} pf_h5_kind;

/** Take the process-wide HDF5 lock (recursive: a holder may take it again). */
void pf_h5_lock(void);
/** Release the HDF5 lock once. */
void pf_h5_unlock(void);

/* ---- ids and files ---- */

/** Close any HDF5 id (file, group, dataset, type, ...); negative ids are ignored. */
void pf_h5_close(pf_h5id id);
/** Create (truncate) @p path for writing. @return file id or PF_H5_NONE with @p err filled. */
pf_h5id pf_h5_create(const char *path, pf_error *err);
/** Open @p path read-only (@p writable 0) or read-write. @return file id or PF_H5_NONE. */
pf_h5id pf_h5_open(const char *path, int writable, pf_error *err);
/** Flush a file's buffers to the OS. @return 0 or -1. */
int pf_h5_flush(pf_h5id file, pf_error *err);
/** Close a file and every object still open in it, reporting failures (e.g. disk full). */
int pf_h5_close_file(pf_h5id file, pf_error *err);
/** Flush and close @p file (closed in every case), reporting failures (e.g. disk full). */
int pf_h5_finish(pf_h5id file, pf_error *err);
/**
 * Make a finished file durable and visible: flush and close @p file (closed in every case),
 * fsync @p tmp, rename it to @p path, fsync the folder. On failure the caller removes @p tmp.
 */
int pf_h5_publish(pf_h5id file, const char *tmp, const char *path, pf_error *err);
/** 1 when every component of @p path (e.g. "labels/f0_hz") exists under @p loc, else 0. */
int pf_h5_exists(pf_h5id loc, const char *path);

/* ---- types (each returned id is owned: pf_h5_close it) ---- */

/** The native type of @p kind. */
pf_h5id pf_h5_type(pf_h5_kind kind);
/** An enum over integer @p base with @p names[i] = i. */
pf_h5id pf_h5_type_enum(pf_h5_kind base, const char *const *names, size_t n);
/** A bool as h5py writes it: enum int8 {FALSE = 0, TRUE = 1}. */
pf_h5id pf_h5_type_bool(void);
/** IEEE 754 half precision, little-endian, as h5py's float16 (numpy reads it as float16; HDF5
 * converts it to float on a read with a float memory type). */
pf_h5id pf_h5_type_half(void);
/** 1 when @p dset holds 2-byte floats (read them with pf_h5_type_half, then convert: HDF5's own
 * half-to-float conversion goes bit by bit and is slow). */
int pf_h5_dset_is_half(pf_h5id dset);
/** A UTF-8 string type: variable-length when @p len is 0 (char * in memory), else @p len
 *  bytes, null-padded. */
pf_h5id pf_h5_type_str(size_t len);
/** An empty compound of @p size bytes; add members with pf_h5_type_insert. */
pf_h5id pf_h5_type_compound(size_t size);
/** Add member @p name of type @p member at byte @p offset of compound @p ct. */
int pf_h5_type_insert(pf_h5id ct, const char *name, size_t offset, pf_h5id member, pf_error *err);

/* ---- groups ---- */

/** Create group @p name under @p loc. @return group id or PF_H5_NONE. */
pf_h5id pf_h5_group_create(pf_h5id loc, const char *name, pf_error *err);
/** Open group @p name under @p loc (a file id opens "/" with name "/"). */
pf_h5id pf_h5_group_open(pf_h5id loc, const char *name, pf_error *err);

/** The names of the links (groups, datasets) in group @p name under @p loc, in name order:
 *  *@p names (pf_malloc'd array of pf_malloc'd strings) of *@p n; free each and the array. */
int pf_h5_list(pf_h5id loc, const char *name, char ***names, size_t *n, pf_error *err);

/* ---- datasets ---- */

/** How a dataset is laid out; a NULL layout means contiguous and fixed. */
typedef struct pf_h5_layout {
    const uint64_t *chunk; /**< rank chunk dims (required when extendible or gzip) */
    int extendible;        /**< 1: dim 0 unlimited (grow with pf_h5_dset_append) */
    int gzip;              /**< 0 none, 1..9 shuffle + deflate at that level */
} pf_h5_layout;

/**
 * Create dataset @p name under @p loc of element @p type (stored little-endian) and shape
 * @p dims[@p rank]. Extendible datasets never write fill values.
 * @return dataset id or PF_H5_NONE.
 */
pf_h5id pf_h5_dset_create(pf_h5id loc, const char *name, pf_h5id type, int rank,
                          const uint64_t *dims, const pf_h5_layout *layout, pf_error *err);
/** Open dataset @p name (a path such as "labels/midi") under @p loc. */
pf_h5id pf_h5_dset_open(pf_h5id loc, const char *name, pf_error *err);
/** Shape of a dataset: *@p rank dims into @p dims[PF_H5_MAX_RANK]. */
int pf_h5_dset_shape(pf_h5id dset, int *rank, uint64_t dims[PF_H5_MAX_RANK], pf_error *err);
/** The stored numeric kind of @p dset in *@p kind; -1 when it is not plain numeric. */
int pf_h5_dset_kind(pf_h5id dset, pf_h5_kind *kind);
/** The HDF5 class of @p dset's elements: "integer", "float", "string", "enum", "compound",
 *  ... (a static string). */
const char *pf_h5_dset_class(pf_h5id dset);
/** A copy of @p dset's stored element type (pf_h5_close it). */
pf_h5id pf_h5_dset_type(pf_h5id dset);
/** 1 when dataset @p dset's element type equals @p type (H5Tequal: class, size, order, sign,
 *  enum members, string kind), else 0. */
int pf_h5_dset_type_is(pf_h5id dset, pf_h5id type);
/** Write all of @p dset from @p buf (elements of @p memtype). */
int pf_h5_dset_write(pf_h5id dset, pf_h5id memtype, const void *buf, pf_error *err);
/** Grow dim 0 of @p dset by @p nrows and write them from @p buf (rows of the other dims). */
int pf_h5_dset_append(pf_h5id dset, pf_h5id memtype, const void *buf, uint64_t nrows,
                      pf_error *err);
/** Set the first dimension of extendible dataset @p dset to @p rows (grow or shrink). */
int pf_h5_dset_resize(pf_h5id dset, uint64_t rows, pf_error *err);
/** Write row @p row (inside the extent) of an unfiltered dataset chunked one row a chunk as
 *  @p bytes of raw chunk data (the file's type, native order): no conversion, no selection. */
int pf_h5_dset_write_chunk(pf_h5id dset, uint64_t row, const void *buf, size_t bytes,
                           pf_error *err);
/** Read all of @p dset into @p buf as @p memtype. */
int pf_h5_dset_read(pf_h5id dset, pf_h5id memtype, void *buf, pf_error *err);
/** Read rows [@p first, @p first + @p count) of dim 0 into @p buf as @p memtype. */
int pf_h5_dset_read_rows(pf_h5id dset, pf_h5id memtype, uint64_t first, uint64_t count, void *buf,
                         pf_error *err);
/** Create a contiguous 1-D dataset of @p n elements and write @p buf; the common case. */
int pf_h5_write_1d(pf_h5id loc, const char *name, pf_h5id type, size_t n, const void *buf,
                   pf_error *err);
/** Free the @p n variable-length strings in @p v read by this helper (not @p v itself). */
void pf_h5_strs_free(char **v, size_t n);

/**
 * Create a virtual dataset @p name under @p loc that stacks, along dim 0, the whole dataset
 * @p src_dset of each file @p files[i] (@p rows[i] rows each; names are stored as given, so
 * relative names resolve against the virtual file's folder).
 * @param row_dims  dims 1..rank-1 shared by every source (NULL when rank is 1)
 */
int pf_h5_vds_create(pf_h5id loc, const char *name, pf_h5id type, int rank,
                     const uint64_t *row_dims, const char *const *files, const uint64_t *rows,
                     size_t n_src, const char *src_dset, pf_error *err);

/* ---- attributes ---- */

/** Write attribute @p name: @p n elements of @p type from @p buf (@p n 0: a scalar). */
int pf_h5_attr_write(pf_h5id loc, const char *name, pf_h5id type, size_t n, const void *buf,
                     pf_error *err);
/** Write a scalar variable-length UTF-8 string attribute. */
int pf_h5_attr_str(pf_h5id loc, const char *name, const char *value, pf_error *err);
/** Write a 1-D array of @p n variable-length UTF-8 strings. */
int pf_h5_attr_strs(pf_h5id loc, const char *name, const char *const *v, size_t n, pf_error *err);
/** Write scalar numeric attributes. */
int pf_h5_attr_u64(pf_h5id loc, const char *name, uint64_t v, pf_error *err);
int pf_h5_attr_i64(pf_h5id loc, const char *name, int64_t v, pf_error *err);
int pf_h5_attr_f64(pf_h5id loc, const char *name, double v, pf_error *err);
/** Write string attributes "units" (unless @p units is NULL) and "description" on the object
 *  @p name under @p loc (a dataset or group), so h5ls -v and h5dump say what it holds. */
int pf_h5_describe(pf_h5id loc, const char *name, const char *units, const char *description,
                   pf_error *err);
/**
 * Label dimension @p dim of dataset @p target (under @p loc) with @p label and, when @p scale
 * is not NULL, make dataset @p scale (under @p loc, 1-D, as long as that dimension) an HDF5
 * dimension scale named @p label and attach it there (H5DS: h5dump shows DIMENSION_LIST,
 * xarray and h5py's dims see the axis).
 */
int pf_h5_dim_scale(pf_h5id loc, const char *scale, const char *target, unsigned dim,
                    const char *label, pf_error *err);
/** 1 when attribute @p name exists on @p loc. */
int pf_h5_attr_exists(pf_h5id loc, const char *name);
/** Read scalar numeric attribute @p name converted to @p kind into @p out; an attribute of
 *  other than one element is refused (PF_ESCHEMA) without writing @p out. */
int pf_h5_attr_read_num(pf_h5id loc, const char *name, pf_h5_kind kind, void *out, pf_error *err);
/** Read a scalar string attribute (variable or fixed length). @return a pf_malloc'd copy the
 *  caller frees, or NULL with @p err filled. */
char *pf_h5_attr_read_str(pf_h5id loc, const char *name, pf_error *err);
/** Any attribute as text: strings as is, numbers with %g / %lld, arrays joined by ", ".
 *  @return pf_malloc'd text the caller frees, or NULL. */
char *pf_h5_attr_text(pf_h5id loc, const char *name, pf_error *err);
/** The names of @p loc's attributes in name order: *@p names (pf_malloc'd array of
 *  pf_malloc'd strings) of *@p n; free each and the array. */
int pf_h5_attr_names(pf_h5id loc, char ***names, size_t *n, pf_error *err);
/** Copy every attribute of @p src to @p dst except those named in @p skip (@p n_skip). */
int pf_h5_attr_copy_all(pf_h5id src, pf_h5id dst, const char *const *skip, size_t n_skip,
                        pf_error *err);
/** Copy the object (group or dataset, with everything under it) @p src_name of @p src to
 *  @p dst_name of @p dst, in the same or another file. */
int pf_h5_copy(pf_h5id src, const char *src_name, pf_h5id dst, const char *dst_name, pf_error *err);

#endif
