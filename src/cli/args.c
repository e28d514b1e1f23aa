/* Options checked against each command's usage text before the command parses them:
 * "--output=DIR" split in two, "-o" without its DIR named, unknown options answered with the
 * closest known one; and the "did you mean" of command names. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/mem.h"

#define MAX_OPTS 48
#define NAME_LEN 32

/** One option a usage text shows: its name and the value it takes ("" for a flag). */
typedef struct opt {
    char name[NAME_LEN], metavar[NAME_LEN];
} opt;

typedef struct opt_table {
    opt o[MAX_OPTS];
    int n;
} opt_table;

/* Length of the word at @p p made of letters, digits and the characters in @p extra. */
static size_t word_len(const char *p, const char *extra)
{
    size_t n = 0;
    while (p[n] && (isalnum((unsigned char)p[n]) || strchr(extra, p[n])))
        n++;
    return n;
}

static opt *table_add(opt_table *t, const char *name, size_t len)
{
    for (int i = 0; i < t->n; i++)
        if (strlen(t->o[i].name) == len && !strncmp(t->o[i].name, name, len)) return &t->o[i];
    if (t->n == MAX_OPTS || len >= NAME_LEN) return NULL;
    opt *o = &t->o[t->n++];
    memcpy(o->name, name, len);
    o->name[len] = '\0';
    o->metavar[0] = '\0';
    return o;
}

/* An option starts at @p p: "-x" or "--word" after a space, '[', '|' or '(' (not "1024-point"). */
static int option_at(const char *text, const char *p)
{
    if (*p != '-' || (p > text && !strchr(" [|(\n", p[-1]))) return 0;
    return isalpha((unsigned char)p[1]) || (p[1] == '-' && isalpha((unsigned char)p[2]));
}

/* Every option @p usage shows; "-o, --output DIR" gives both names the metavar DIR. */
static void table_read(const char *usage, opt_table *t)
{
    t->n = 0;
    opt *pending[4];
    int n_pending = 0;
    for (const char *p = usage; *p; p++) {
        if (!option_at(usage, p)) continue;
        size_t len = word_len(p, "-");
        opt *o = table_add(t, p, len);
        p += len;
        if (o && n_pending < 4) pending[n_pending++] = o;
        if (p[0] == ',' && p[1] == ' ' && p[2] == '-') continue; /* an alias follows */
        if (p[0] == ' ' && isupper((unsigned char)p[1])) {
            size_t m = word_len(p + 1, "./_-/");
            for (int k = 0; k < n_pending && m < NAME_LEN; k++)
                if (!pending[k]->metavar[0]) snprintf(pending[k]->metavar, NAME_LEN, "%.*s", (int)m, p + 1);
        }
        n_pending = 0;
        p--;
    }
}

static const opt *table_find(const opt_table *t, const char *name, size_t len)
{
    for (int i = 0; i < t->n; i++)
        if (strlen(t->o[i].name) == len && !strncmp(t->o[i].name, name, len)) return &t->o[i];
    return NULL;
}

/* Edit distance with adjacent transpositions (optimal string alignment), capped at 9. */
static int distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return 9;
    int d[41][41];
    for (size_t i = 0; i <= la; i++)
        for (size_t j = 0; j <= lb; j++) {
            if (!i || !j) {
                d[i][j] = (int)(i + j);
                continue;
            }
            int sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            int del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
            int v = sub < del ? sub : del;
            v = v < ins ? v : ins;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

const char *pf_cli_closest(const char *s, const char *const *names, size_t n)
{
    const char *best = NULL;
    int best_d = 3;
    size_t ls = strlen(s);
    for (size_t i = 0; i < n; i++) {
        int d = distance(s, names[i]);
        size_t ln = strlen(names[i]);
        if (ln > 2 && ls >= 2 && !strncmp(s, names[i], ls < ln ? ls : ln)) d = d < 2 ? d : 2;
        if (d < best_d && (size_t)d * 3 <= (ls > ln ? ls : ln)) best = names[i], best_d = d;
    }
    return best;
}

static int unknown_option(const pf_command *cmd, const opt_table *t, const char *s)
{
    const char *names[MAX_OPTS];
    for (int i = 0; i < t->n; i++)
        names[i] = t->o[i].name;
    const char *near = pf_cli_closest(s, names, (size_t)t->n);
    if (near) return pf_cli_usage(cmd, "unknown option '%s' (did you mean '%s'?)", s, near);
    return pf_cli_usage(cmd, "unknown option '%s'", s);
}

/* One argument at argv[*i]: append it (and its value) to @p out; 2 on a usage error. */
static int take(const pf_command *cmd, const opt_table *t, int argc, char **argv, int *i,
                char **out, int *n)
{
    char *s = argv[*i];
    if (!option_at(s, s) || s[1] == '\0') return out[(*n)++] = s, 0;
    const char *eq = s[1] == '-' ? strchr(s, '=') : NULL;
    size_t len = eq ? (size_t)(eq - s) : strlen(s);
    const opt *o = table_find(t, s, len);
    if (!o) {
        char name[NAME_LEN];
        snprintf(name, sizeof name, "%.*s", (int)(len < NAME_LEN - 1 ? len : NAME_LEN - 1), s);
        return unknown_option(cmd, t, name);
    }
    if (!o->metavar[0] && eq) return pf_cli_usage(cmd, "%s takes no value", o->name);
    out[(*n)++] = eq ? pf_strdup(o->name) : s; /* leaked with the argv copy, at exit */
    if (!o->metavar[0]) return 0;
    if (eq) return out[(*n)++] = (char *)eq + 1, 0;
    if (*i + 1 >= argc) return pf_cli_usage(cmd, "%s needs %s", s, o->metavar);
    return out[(*n)++] = argv[++*i], 0;
}

int pf_cli_normalize(const pf_command *cmd, int *argc, char ***argv)
{
    opt_table t;
    table_read(cmd->usage, &t);
    char **in = *argv, **out = pf_calloc((size_t)*argc * 2 + 1, sizeof *out);
    int n = 0;
    out[n++] = in[0];
    for (int i = 1; i < *argc; i++) {
        if (!strcmp(in[i], "--")) { /* the rest as given */
            while (i < *argc)
                out[n++] = in[i++];
            break;
        }
        if (take(cmd, &t, *argc, in, &i, out, &n)) {
            free(out);
            return 2;
        }
    }
    *argc = n;
    *argv = out;
    return 0;
}

int pf_cli_file_arg(const pf_command *cmd, const char *path)
{
    struct stat st;
    if (stat(path, &st) || !S_ISDIR(st.st_mode)) return 0;
    size_t n = strlen(path);
    char *index = pf_malloc(n + 16);
    snprintf(index, n + 16, "%s%sdataset.h5", path, n && path[n - 1] == '/' ? "" : "/");
    int has = access(index, F_OK) == 0;
    int rc = has ? pf_cli_usage(cmd, "'%s' is a folder: give its index, %s", path, index)
                 : pf_cli_usage(cmd, "'%s' is a folder, not a file (no dataset.h5 in it)", path);
    free(index);
    return rc;
}
