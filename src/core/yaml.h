/* A small YAML document tree with source positions (the only libyaml user). */
#ifndef PF_CORE_YAML_H
#define PF_CORE_YAML_H

#include <stddef.h>

#include "pitchforge/error.h"

typedef enum pf_ytype { PF_Y_SCALAR, PF_Y_SEQ, PF_Y_MAP } pf_ytype;

/** A YAML node: a scalar, a sequence, or a mapping (keys[i] -> items[i]). */
typedef struct pf_ynode {
    pf_ytype type;
    int line, col;       /**< 1-based position of the node in the file */
    char *value;         /**< scalar text (NULL for seq / map) */
    int quoted;          /**< scalar was quoted: never a number or bool */
    size_t n;            /**< items (seq, map) */
    struct pf_ynode **items;
    struct pf_ynode **keys; /**< map keys (scalars), NULL for seq */
} pf_ynode;

/** A parsed document, owning its nodes and the file name used in messages. */
typedef struct pf_ydoc {
    char *file;
    char *text; /**< the file's bytes, NUL-terminated */
    size_t text_len;
    pf_ynode *root;
} pf_ydoc;

/** Deepest nesting of lists and mappings a document may have (the parser recurses per level). */
#define PF_YAML_MAX_DEPTH 64

/** The largest text file pf_read_text reads (a manifest or config is a few KB). */
#define PF_TEXT_MAX (4 << 20)

/** Read the whole file at @p path into a malloc'd NUL-terminated @p text of @p len bytes.
 *  A folder or a device is refused, and so is a file (or pipe) longer than PF_TEXT_MAX. */
int pf_read_text(const char *path, char **text, size_t *len, pf_error *err);
/**
 * Read and parse @p path (one document; anchors and aliases are refused; lists and mappings
 * nested deeper than PF_YAML_MAX_DEPTH are refused).
 * Errors are PF_ECONFIG with "FILE:LINE:COL: message".
 */
int pf_ydoc_load(pf_ydoc *doc, const char *path, pf_error *err);
/** Parse @p len bytes of @p text as if read from @p name. */
int pf_ydoc_parse(pf_ydoc *doc, const char *name, const char *text, size_t len, pf_error *err);
/** Free everything the document owns (a zeroed document is accepted). */
void pf_ydoc_release(pf_ydoc *doc);

/** Value of @p key in map @p map, or NULL. */
const pf_ynode *pf_ymap_get(const pf_ynode *map, const char *key);
/** Fail with "FILE:LINE:COL: message" at @p node (PF_ECONFIG); returns -1. */
int pf_yfail(pf_error *err, const pf_ydoc *doc, const pf_ynode *node, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Name of a node's type for messages ("a mapping", "a list", "a scalar"). */
const char *pf_ytype_name(const pf_ynode *node);

/* Typed scalar readers: each fails with a positioned message when the node is not of the type. */
int pf_yget_int(const pf_ydoc *d, const pf_ynode *n, long lo, long hi, long *out, pf_error *err);
int pf_yget_double(const pf_ydoc *d, const pf_ynode *n, double lo, double hi, double *out,
                   pf_error *err);
int pf_yget_bool(const pf_ydoc *d, const pf_ynode *n, int *out, pf_error *err);
int pf_yget_string(const pf_ydoc *d, const pf_ynode *n, const char **out, pf_error *err);
/** A scalar that must be one of @p names (NULL-terminated); fills its index. */
int pf_yget_enum(const pf_ydoc *d, const pf_ynode *n, const char *const *names, int *out,
                 pf_error *err);
/** A sequence of exactly two numbers [lo, hi] within [min, max] with lo <= hi. */
int pf_yget_range(const pf_ydoc *d, const pf_ynode *n, double min, double max, double out[2],
                  pf_error *err);
/** Check the node is a map whose keys all appear in @p allowed (NULL-terminated). */
int pf_ycheck_keys(const pf_ydoc *d, const pf_ynode *map, const char *const *allowed,
                   pf_error *err);

#endif
