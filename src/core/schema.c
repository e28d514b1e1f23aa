/* The schema loader: a section's rows checked, read by kind, bounded and stored at their offsets;
 * and the same rows printed as the markdown key table of manifests/README.md. */
#include "core/schema.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define FIELD(base, off, type) ((type *)(void *)((char *)(base) + (off)))

int pf_schema_check_keys(pf_schema_ctx *x, const pf_keys *keys, const pf_ynode *map)
{
    const char *names[64]; /* a section has far fewer keys */
    size_t n = 0;
    for (size_t i = 0; i < keys->n && n + 1 < sizeof names / sizeof names[0]; i++)
        if (keys->rows[i].key)
            names[n++] = keys->rows[i].key;
    names[n] = NULL;
    return pf_ycheck_keys(x->d, map, names, x->err);
}

static int read_string(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, char **out)
{
    const char *s;
    if (pf_yget_string(x->d, n, &s, x->err))
        return -1;
    if (!*s)
        return pf_yfail(x->err, x->d, n, "'%s' must not be empty", k->key);
    if (out) {
        free(*out);
        *out = pf_strdup(s);
    }
    return 0;
}

/* Read a present key of a plain kind into its field. */
static int read_value(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, void *base)
{
    long v;
    double r[2];
    int i;
    int store = k->off != PF_KEY_NO_FIELD;
    switch (k->kind) {
    case PF_KEY_INT:
    case PF_KEY_SIZE:
        if (pf_yget_int(x->d, n, (long)k->min, (long)k->max, &v, x->err))
            return -1;
        if (store && k->kind == PF_KEY_INT)
            *FIELD(base, k->off, int) = (int)v;
        else if (store)
            *FIELD(base, k->off, size_t) = (size_t)(int)v;
        return 0;
    case PF_KEY_DOUBLE:
        return pf_yget_double(x->d, n, k->min, k->max, store ? FIELD(base, k->off, double) : r,
                              x->err);
    case PF_KEY_U64:
        if (pf_yget_double(x->d, n, k->min, k->max, r, x->err))
            return -1;
        if (r[0] != floor(r[0]))
            return pf_yfail(x->err, x->d, n, "%s must be a whole number", k->key);
        if (store)
            *FIELD(base, k->off, uint64_t) = (uint64_t)r[0];
        return 0;
    case PF_KEY_BOOL:
        return pf_yget_bool(x->d, n, store ? FIELD(base, k->off, int) : &i, x->err);
    case PF_KEY_STRING:
        return read_string(x, k, n, store ? FIELD(base, k->off, char *) : NULL);
    case PF_KEY_ENUM:
        return pf_yget_enum(x->d, n, k->names, store ? FIELD(base, k->off, int) : &i, x->err);
    case PF_KEY_RANGE:
        if (pf_yget_range(x->d, n, k->min, k->max, r, x->err))
            return -1;
        *FIELD(base, k->off, double) = r[0];
        *FIELD(base, k->off2, double) = r[1];
        return 0;
    case PF_KEY_SECTION:
        return pf_schema_read(x, k->sub, n, base);
    default:
        return k->fn(x, k, n, NULL, base);
    }
}

static int read_row(pf_schema_ctx *x, const pf_key *k, const pf_ynode *map, void *base)
{
    if (k->kind == PF_KEY_CHECK)
        return k->fn(x, k, NULL, map, base);
    const pf_ynode *n = pf_ymap_get(map, k->key);
    if (k->kind == PF_KEY_CUSTOM)
        return k->fn(x, k, n, map, base);
    return n ? read_value(x, k, n, base) : 0;
}

int pf_schema_read(pf_schema_ctx *x, const pf_keys *keys, const pf_ynode *map, void *base)
{
    int last = 0;
    if (pf_schema_check_keys(x, keys, map))
        return -1;
    for (size_t i = 0; i < keys->n; i++)
        last = keys->rows[i].step > last ? keys->rows[i].step : last;
    for (int step = 0; step <= last; step++)
        for (size_t i = 0; i < keys->n; i++)
            if (keys->rows[i].step == step && read_row(x, &keys->rows[i], map, base))
                return -1;
    return 0;
}

/* ---- the markdown table ---- */

static void put_names(FILE *f, const char *const *names)
{
    for (int i = 0; names[i]; i++)
        fprintf(f, "%s`%s`", i ? ", " : "", names[i]);
}

static void put_default(FILE *f, const pf_key *k, const void *base)
{
    if (k->def || !base || k->off == PF_KEY_NO_FIELD) {
        fputs(k->def ? k->def : "—", f);
        return;
    }
    const char *p = (const char *)base + k->off;
    const char *s;
    switch (k->kind) {
    case PF_KEY_INT:
        fprintf(f, "`%d`", *(const int *)(const void *)p);
        break;
    case PF_KEY_SIZE:
        fprintf(f, "`%zu`", *(const size_t *)(const void *)p);
        break;
    case PF_KEY_DOUBLE:
        fprintf(f, "`%g`", *(const double *)(const void *)p);
        break;
    case PF_KEY_U64:
        fprintf(f, "`%llu`", (unsigned long long)*(const uint64_t *)(const void *)p);
        break;
    case PF_KEY_BOOL:
        fputs(*(const int *)(const void *)p ? "`true`" : "`false`", f);
        break;
    case PF_KEY_STRING:
        s = *(char *const *)(const void *)p;
        fprintf(f, s ? "`%s`" : "—", s);
        break;
    case PF_KEY_ENUM:
        fprintf(f, "`%s`", k->names[*(const int *)(const void *)p]);
        break;
    case PF_KEY_RANGE:
        fprintf(f, "`[%g, %g]`", *(const double *)(const void *)p,
                *(const double *)(const void *)((const char *)base + k->off2));
        break;
    default:
        fputs("—", f);
    }
}

static void put_values(FILE *f, const pf_key *k)
{
    if (k->values) {
        fputs(k->values, f);
        return;
    }
    switch (k->kind) {
    case PF_KEY_INT:
    case PF_KEY_SIZE:
    case PF_KEY_DOUBLE:
    case PF_KEY_U64:
        fprintf(f, "%.16g..%.16g%s", k->min, k->max, k->kind == PF_KEY_U64 ? ", whole" : "");
        break;
    case PF_KEY_BOOL:
        fputs("`true`, `false`", f);
        break;
    case PF_KEY_STRING:
        fputs("text", f);
        break;
    case PF_KEY_ENUM:
        put_names(f, k->names);
        break;
    case PF_KEY_RANGE:
        fprintf(f, "[low, high] in %.16g..%.16g", k->min, k->max);
        break;
    default:
        fputs("—", f);
    }
}

static void put_rows(FILE *f, const pf_keys *keys, const void *defaults)
{
    const void *base = keys->defaults ? keys->defaults : defaults;
    for (size_t i = 0; i < keys->n; i++) {
        const pf_key *k = &keys->rows[i];
        if (k->kind == PF_KEY_CHECK)
            continue;
        if (k->kind != PF_KEY_SECTION) {
            fprintf(f, "| `%s%s%s` | ", keys->name, *keys->name ? "." : "", k->key);
            put_default(f, k, base);
            fputs(" | ", f);
            put_values(f, k);
            fprintf(f, " | %s |\n", k->help ? k->help : "");
        }
        if (k->sub)
            put_rows(f, k->sub, base);
    }
}

char *pf_schema_markdown(const pf_keys *keys, const void *defaults)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort(); /* out of memory (STYLE rule 3) */
    put_rows(f, keys, defaults);
    fclose(f);
    return buf;
}
