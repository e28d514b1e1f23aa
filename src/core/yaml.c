/* YAML to a small node tree with positions, and typed readers that report FILE:LINE:COL. */
#include "core/yaml.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "core/mem.h"
#include "pitchforge/error.h"

static pf_ynode *node_new(pf_ytype type, const yaml_mark_t *m)
{
    pf_ynode *n = pf_calloc(1, sizeof *n);
    n->type = type;
    n->line = (int)m->line + 1;
    n->col = (int)m->column + 1;
    return n;
}

static void node_free(pf_ynode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->n; i++) {
        node_free(n->items[i]);
        if (n->keys)
            node_free(n->keys[i]);
    }
    free(n->items);
    free(n->keys);
    free(n->value);
    free(n);
}

static void node_push(pf_ynode *parent, pf_ynode *key, pf_ynode *child)
{
    parent->items = pf_reallocarray(parent->items, parent->n + 1, sizeof *parent->items);
    if (parent->type == PF_Y_MAP)
        parent->keys = pf_reallocarray(parent->keys, parent->n + 1, sizeof *parent->keys);
    parent->items[parent->n] = child;
    if (parent->keys)
        parent->keys[parent->n] = key;
    parent->n++;
}

typedef struct parse_ctx {
    yaml_parser_t parser;
    const char *name;
    pf_error *err;
    int depth; /* open collections around the node being parsed */
} parse_ctx;

static int parser_fail(parse_ctx *c)
{
    const yaml_parser_t *p = &c->parser;
    return PF_FAIL(c->err, PF_ECONFIG, "%s:%zu:%zu: YAML syntax error: %s%s%s", c->name,
                   p->problem_mark.line + 1, p->problem_mark.column + 1,
                   p->problem ? p->problem : "unknown", p->context ? " " : "",
                   p->context ? p->context : "");
}

static pf_ynode *parse_node(parse_ctx *c, yaml_event_t *ev);

/* Enter a collection starting at @p ev; refuses nesting deeper than PF_YAML_MAX_DEPTH. */
static int enter_collection(parse_ctx *c, const yaml_event_t *ev)
{
    if (c->depth >= PF_YAML_MAX_DEPTH)
        return PF_FAIL(c->err, PF_ECONFIG, "%s:%zu:%zu: nesting is deeper than %d levels",
                       c->name, ev->start_mark.line + 1, ev->start_mark.column + 1,
                       PF_YAML_MAX_DEPTH);
    c->depth++;
    return 0;
}

static int next_event(parse_ctx *c, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&c->parser, ev))
        return parser_fail(c);
    return 0;
}

/* Parse children until the matching end event; maps read key then value. */
static pf_ynode *parse_children(parse_ctx *c, pf_ynode *node, yaml_event_type_t end)
{
    for (;;) {
        yaml_event_t ev;
        if (next_event(c, &ev))
            goto fail;
        if (ev.type == end) {
            yaml_event_delete(&ev);
            c->depth--;
            return node;
        }
        pf_ynode *key = NULL;
        if (node->type == PF_Y_MAP) {
            key = parse_node(c, &ev);
            if (!key)
                goto fail;
            if (key->type != PF_Y_SCALAR) {
                PF_FAIL(c->err, PF_ECONFIG, "%s:%d:%d: mapping keys must be plain names", c->name,
                        key->line, key->col);
                node_free(key);
                goto fail;
            }
            if (next_event(c, &ev)) {
                node_free(key);
                goto fail;
            }
        }
        pf_ynode *child = parse_node(c, &ev);
        if (!child) {
            node_free(key);
            goto fail;
        }
        node_push(node, key, child);
    }
fail:
    node_free(node);
    return NULL;
}

/* Build a node from @p ev (consumed); nested collections read further events. */
static pf_ynode *parse_node(parse_ctx *c, yaml_event_t *ev)
{
    pf_ynode *n = NULL;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = node_new(PF_Y_SCALAR, &ev->start_mark);
        n->value = pf_strdup((const char *)ev->data.scalar.value);
        n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
        yaml_event_delete(ev);
        return n;
    case YAML_SEQUENCE_START_EVENT:
        if (enter_collection(c, ev))
            break;
        n = node_new(PF_Y_SEQ, &ev->start_mark);
        yaml_event_delete(ev);
        return parse_children(c, n, YAML_SEQUENCE_END_EVENT);
    case YAML_MAPPING_START_EVENT:
        if (enter_collection(c, ev))
            break;
        n = node_new(PF_Y_MAP, &ev->start_mark);
        yaml_event_delete(ev);
        return parse_children(c, n, YAML_MAPPING_END_EVENT);
    case YAML_ALIAS_EVENT:
        PF_FAIL(c->err, PF_ECONFIG, "%s:%zu:%zu: YAML aliases are not supported", c->name,
                ev->start_mark.line + 1, ev->start_mark.column + 1);
        break;
    default:
        PF_FAIL(c->err, PF_ECONFIG, "%s:%zu:%zu: unexpected YAML event", c->name,
                ev->start_mark.line + 1, ev->start_mark.column + 1);
        break;
    }
    yaml_event_delete(ev);
    return NULL;
}

/* Skip stream/document starts, parse the root, refuse a second document. */
static pf_ynode *parse_document(parse_ctx *c)
{
    yaml_event_t ev;
    for (;;) {
        if (next_event(c, &ev))
            return NULL;
        if (ev.type == YAML_STREAM_END_EVENT) {
            yaml_event_delete(&ev);
            PF_FAIL(c->err, PF_ECONFIG, "%s:1:1: the file is empty", c->name);
            return NULL;
        }
        if (ev.type != YAML_STREAM_START_EVENT && ev.type != YAML_DOCUMENT_START_EVENT)
            break;
        yaml_event_delete(&ev);
    }
    pf_ynode *root = parse_node(c, &ev);
    if (!root)
        return NULL;
    if (next_event(c, &ev)) { /* document end */
        node_free(root);
        return NULL;
    }
    yaml_event_delete(&ev);
    if (next_event(c, &ev)) {
        node_free(root);
        return NULL;
    }
    int extra = ev.type != YAML_STREAM_END_EVENT;
    yaml_event_delete(&ev);
    if (extra) {
        node_free(root);
        PF_FAIL(c->err, PF_ECONFIG, "%s: only one YAML document is allowed", c->name);
        return NULL;
    }
    return root;
}

int pf_ydoc_parse(pf_ydoc *doc, const char *name, const char *text, size_t len, pf_error *err)
{
    memset(doc, 0, sizeof *doc);
    doc->file = pf_strdup(name);
    doc->text = pf_malloc(len + 1);
    memcpy(doc->text, text, len);
    doc->text[len] = '\0';
    doc->text_len = len;
    parse_ctx c = {.name = name, .err = err};
    if (!yaml_parser_initialize(&c.parser))
        return PF_FAIL(err, PF_ELIB, "libyaml: cannot initialize the parser");
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)doc->text, len);
    doc->root = parse_document(&c);
    yaml_parser_delete(&c.parser);
    return doc->root ? 0 : -1;
}

/* What a path that is not a regular file is, for the message ("a folder", "a device"). */
static const char *file_kind(mode_t mode)
{
    return S_ISDIR(mode) ? "a folder" : S_ISCHR(mode) || S_ISBLK(mode) ? "a device" : NULL;
}

int pf_read_text(const char *path, char **text, size_t *len, pf_error *err)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return PF_FAIL(err, PF_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    const char *kind = fstat(fileno(f), &st) ? NULL : file_kind(st.st_mode);
    if (kind) {
        fclose(f);
        return PF_FAIL(err, PF_EIO, "%s: %s, not a text file", path, kind);
    }
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 4096 > cap)
            buf = pf_reallocarray(buf, cap = cap * 2 + 8192, 1);
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0 && n <= PF_TEXT_MAX);
    int bad = ferror(f);
    fclose(f);
    if (bad || n > PF_TEXT_MAX) {
        free(buf);
        return bad ? PF_FAIL(err, PF_EIO, "%s: read error", path)
                   : PF_FAIL(err, PF_EIO, "%s: larger than %d MiB, not a manifest or config",
                             path, PF_TEXT_MAX >> 20);
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

int pf_ydoc_load(pf_ydoc *doc, const char *path, pf_error *err)
{
    char *buf;
    size_t len;
    memset(doc, 0, sizeof *doc);
    if (pf_read_text(path, &buf, &len, err))
        return -1;
    int rc = pf_ydoc_parse(doc, path, buf, len, err);
    free(buf);
    return rc;
}

void pf_ydoc_release(pf_ydoc *doc)
{
    if (!doc)
        return;
    node_free(doc->root);
    free(doc->file);
    free(doc->text);
    memset(doc, 0, sizeof *doc);
}

const pf_ynode *pf_ymap_get(const pf_ynode *map, const char *key)
{
    if (!map || map->type != PF_Y_MAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->value, key) == 0)
            return map->items[i];
    return NULL;
}

int pf_yfail(pf_error *err, const pf_ydoc *doc, const pf_ynode *node, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = node ? node->line : 1, col = node ? node->col : 1;
    return PF_FAIL(err, PF_ECONFIG, "%s:%d:%d: %s", doc->file, line, col, msg);
}

const char *pf_ytype_name(const pf_ynode *node)
{
    static const char *const names[] = {"a single value", "a list", "a mapping"};
    return names[node->type];
}

static int want_scalar(const pf_ydoc *d, const pf_ynode *n, const char *what, pf_error *err)
{
    if (n->type != PF_Y_SCALAR)
        return pf_yfail(err, d, n, "expected %s, found %s", what, pf_ytype_name(n));
    return 0;
}

int pf_yget_double(const pf_ydoc *d, const pf_ynode *n, double lo, double hi, double *out,
                   pf_error *err)
{
    if (want_scalar(d, n, "a number", err))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(n->value, &end);
    if (n->quoted || end == n->value || *end || errno || !isfinite(v))
        return pf_yfail(err, d, n, "expected a number, found '%s'", n->value);
    if (v < lo || v > hi)
        return pf_yfail(err, d, n, "%s is out of range [%g, %g]", n->value, lo, hi);
    *out = v;
    return 0;
}

int pf_yget_int(const pf_ydoc *d, const pf_ynode *n, long lo, long hi, long *out, pf_error *err)
{
    if (want_scalar(d, n, "a whole number", err))
        return -1;
    char *end;
    errno = 0;
    long v = strtol(n->value, &end, 10);
    if (n->quoted || end == n->value || *end || errno)
        return pf_yfail(err, d, n, "expected a whole number, found '%s'", n->value);
    if (v < lo || v > hi)
        return pf_yfail(err, d, n, "%s is out of range [%ld, %ld]", n->value, lo, hi);
    *out = v;
    return 0;
}

int pf_yget_bool(const pf_ydoc *d, const pf_ynode *n, int *out, pf_error *err)
{
    static const char *const yes[] = {"true", "yes", "on", NULL};
    static const char *const no[] = {"false", "no", "off", NULL};
    if (want_scalar(d, n, "true or false", err))
        return -1;
    for (int i = 0; yes[i]; i++) {
        if (!n->quoted && strcmp(n->value, yes[i]) == 0)
            return *out = 1, 0;
        if (!n->quoted && strcmp(n->value, no[i]) == 0)
            return *out = 0, 0;
    }
    return pf_yfail(err, d, n, "expected true or false, found '%s'", n->value);
}

int pf_yget_string(const pf_ydoc *d, const pf_ynode *n, const char **out, pf_error *err)
{
    if (want_scalar(d, n, "a text value", err))
        return -1;
    *out = n->value;
    return 0;
}

int pf_yget_enum(const pf_ydoc *d, const pf_ynode *n, const char *const *names, int *out,
                 pf_error *err)
{
    if (want_scalar(d, n, "a name", err))
        return -1;
    char list[512] = "";
    for (int i = 0; names[i]; i++) {
        if (strcmp(n->value, names[i]) == 0)
            return *out = i, 0;
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", i ? ", " : "", names[i]);
    }
    return pf_yfail(err, d, n, "'%s' is not one of: %s", n->value, list);
}

int pf_yget_range(const pf_ydoc *d, const pf_ynode *n, double min, double max, double out[2],
                  pf_error *err)
{
    if (n->type != PF_Y_SEQ || n->n != 2)
        return pf_yfail(err, d, n, "expected a range [low, high]");
    for (int i = 0; i < 2; i++)
        if (pf_yget_double(d, n->items[i], min, max, &out[i], err))
            return -1;
    if (out[0] > out[1])
        return pf_yfail(err, d, n, "range [%g, %g] has low above high", out[0], out[1]);
    return 0;
}

int pf_ycheck_keys(const pf_ydoc *d, const pf_ynode *map, const char *const *allowed,
                   pf_error *err)
{
    if (map->type != PF_Y_MAP)
        return pf_yfail(err, d, map, "expected a mapping, found %s", pf_ytype_name(map));
    for (size_t i = 0; i < map->n; i++) {
        const pf_ynode *k = map->keys[i];
        int ok = 0;
        for (int j = 0; allowed[j] && !ok; j++)
            ok = strcmp(k->value, allowed[j]) == 0;
        if (!ok) {
            char list[512] = "";
            for (int j = 0; allowed[j]; j++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof list - l, "%s%s", j ? ", " : "", allowed[j]);
            }
            return pf_yfail(err, d, k, "unknown key '%s' (expected one of: %s)", k->value, list);
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(map->keys[j]->value, k->value) == 0)
                return pf_yfail(err, d, k, "key '%s' appears twice", k->value);
    }
    return 0;
}
