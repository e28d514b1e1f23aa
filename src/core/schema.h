/* Config schemas as data (as Redis's config table): one row per key, read by one loader.
 *
 * A table lists the keys of one YAML mapping (a section) in the order messages and docs name
 * them. Each row says how its value is read (kind), its bounds, where it is stored (a field
 * offset in the object being filled) and its help line. The loader refuses unknown and repeated
 * keys, then reads the rows by step (then table order): most rows are step 0; a later step is a
 * key that depends on an earlier one (a loss on its target). Rows that need code of their own
 * (lists, nested forms, cross-references) are one row of kind PF_KEY_CUSTOM; PF_KEY_CHECK rows
 * (no key) are checks that run at their turn. */
#ifndef PF_CORE_SCHEMA_H
#define PF_CORE_SCHEMA_H

#include <stddef.h>

#include "core/yaml.h"

typedef enum pf_key_kind {
    PF_KEY_INT,     /**< int field, whole number in [min, max] */
    PF_KEY_SIZE,    /**< size_t field, whole number in [min, max] */
    PF_KEY_DOUBLE,  /**< double field in [min, max] */
    PF_KEY_U64,     /**< uint64_t field: a number in [min, max] that must be whole */
    PF_KEY_BOOL,    /**< int field, 0 or 1 */
    PF_KEY_STRING,  /**< char * field (owned, replaced), never empty */
    PF_KEY_ENUM,    /**< int-sized field: the index of the value in names */
    PF_KEY_RANGE,   /**< two double fields (off, off2): [low, high] within [min, max] */
    PF_KEY_SECTION, /**< a mapping read with the table sub (same object); absent: defaults */
    PF_KEY_CUSTOM,  /**< fn reads it; called also when the key is absent (node NULL) */
    PF_KEY_CHECK,   /**< no key: fn checks the section at its turn (node NULL) */
} pf_key_kind;

/** Field offset meaning "validated, stored nowhere". */
#define PF_KEY_NO_FIELD ((size_t)-1)

/** What the loader passes around: the document, the error, and the whole object being filled. */
typedef struct pf_schema_ctx {
    const pf_ydoc *d;
    pf_error *err;
    void *root; /**< the pf_manifest or pf_train_config (for cross-references) */
} pf_schema_ctx;

typedef struct pf_key pf_key;
typedef struct pf_keys pf_keys;

/**
 * A custom reader or a check.
 * @param k    its row
 * @param node the key's value, NULL when absent (always NULL for a check)
 * @param map  the section's mapping (for positions and sibling keys)
 * @param base the object the section's offsets point into
 * @return 0, or -1 with @p x->err filled
 */
typedef int (*pf_key_fn)(pf_schema_ctx *x, const pf_key *k, const pf_ynode *node,
                         const pf_ynode *map, void *base);

/** One key of a section. */
struct pf_key {
    const char *key; /**< NULL for PF_KEY_CHECK */
    pf_key_kind kind;
    double min, max;          /**< bounds of numbers (and of a range's ends) */
    size_t off, off2;         /**< field(s) in the section's object; PF_KEY_NO_FIELD */
    const char *const *names; /**< PF_KEY_ENUM: NULL-terminated value names */
    const pf_keys *sub;       /**< PF_KEY_SECTION: its keys; CUSTOM: keys of its entries */
    pf_key_fn fn;             /**< PF_KEY_CUSTOM and PF_KEY_CHECK */
    int step;                 /**< reading order: by step, then table order */
    const char *values;       /**< docs: allowed values (else derived from kind and bounds) */
    const char *def;          /**< docs: the default (else read from the defaults object) */
    const char *help;         /**< docs: one line (markdown) */
};

/** A section: its keys, in the order messages and docs list them. */
struct pf_keys {
    const char *name;     /**< docs prefix: "" (top level), "render", "instruments[]" */
    const pf_key *rows;
    size_t n;
    const void *defaults; /**< docs: an object holding the entries' defaults (NULL: the
                           *   parent's) */
};

/**
 * Read the mapping @p map with @p keys into @p base: unknown or repeated keys are refused
 * ("unknown key 'x' (expected one of: a, b)"), then every row is read by step and table order.
 * @return 0, or -1 with a "FILE:LINE:COL: message" in @p x->err
 */
int pf_schema_read(pf_schema_ctx *x, const pf_keys *keys, const pf_ynode *map, void *base);
/** Refuse a node that is not a mapping, and unknown or repeated keys in it. */
int pf_schema_check_keys(pf_schema_ctx *x, const pf_keys *keys, const pf_ynode *map);

/**
 * The keys as markdown table rows "| `key` | default | values | help |", one per key, sections
 * and entries of lists recursively ("render.gain", "instruments[].bank"), each line ending "\n".
 * @param defaults the object with every default filled in (rows with a def text use that)
 * @return a malloc'd string the caller frees
 */
char *pf_schema_markdown(const pf_keys *keys, const void *defaults);

#endif
