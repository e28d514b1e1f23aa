/* pitchforge: command-line entry, git-style subcommands from one table. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/interrupt.h"
#include "core/mem.h"
#include "pitchforge/manifest.h"
#include "pitchforge/train.h"
#include "pitchforge/version.h"
#include "pitchforge/error.h"

static const pf_command *const commands[] = {&pf_cmd_generate, &pf_cmd_index,   &pf_cmd_inspect,
                                             &pf_cmd_show,     &pf_cmd_verify,  &pf_cmd_train,
                                             &pf_cmd_eval,     &pf_cmd_predict, &pf_cmd_ensemble};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* "'genrate' is not a command" and the closest command name. */
static int no_command(const char *name)
{
    const char *names[N_COMMANDS + 1];
    for (size_t i = 0; i < N_COMMANDS; i++)
        names[i] = commands[i]->name;
    names[N_COMMANDS] = "help";
    const char *near = pf_cli_closest(name, names, N_COMMANDS + 1);
    if (near)
        fprintf(stderr, "pitchforge: '%s' is not a command; did you mean '%s'?\n", name, near);
    else
        fprintf(stderr, "pitchforge: '%s' is not a command (see 'pitchforge help')\n", name);
    return 2;
}

static void print_overview(FILE *f)
{
    fprintf(f, "usage: pitchforge <command> [options]\n\n"
               "Labelled pitch-detection datasets from General MIDI soundfonts.\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\n'pitchforge help <command>' or 'pitchforge <command> -h' for its options.\n");
}

static const pf_command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int pf_cli_fail(const pf_error *err)
{
    fprintf(stderr, "pitchforge: %s\n", err->msg[0] ? err->msg : pf_strerror(err->code));
    const char *dbg = getenv("PITCHFORGE_DEBUG");
    if (dbg && *dbg && strcmp(dbg, "0") && err->file)
        fprintf(stderr, "  (%s, raised at %s:%d)\n", pf_strerror(err->code), err->file, err->line);
    return 1;
}

int pf_cli_usage(const pf_command *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "pitchforge %s: ", cmd->name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'pitchforge %s -h' for usage)\n", cmd->name);
    return 2;
}

int pf_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    return 0;
}

long pf_cli_parse_count(const char *s)
{
    char *end;
    long v = s && *s ? strtol(s, &end, 10) : -1;
    return s && *s && !*end && v >= 0 ? v : -1;
}

static void on_signal(int sig)
{
    pf_interrupt_request(sig);
}

void pf_cli_catch_signals(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART | SA_RESETHAND; /* a second Ctrl-C kills at once */
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = {SIGINT, SIGTERM};
    for (int i = 0; i < 2; i++) {
        struct sigaction old;
        /* ignored by whoever started us (nohup, `cmd &` without job control): stays so */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

int pf_cli_interrupted(const pf_error *err, const char *resume_cmd)
{
    pf_cli_fail(err);
    if (resume_cmd) fprintf(stderr, "pitchforge: to go on, run:\n  %s\n", resume_cmd);
    int sig = pf_interrupted();
    return 128 + (sig > 0 ? sig : SIGINT);
}

/* Append @p s to @p out (of *@p cap bytes, grown), single-quoted when the shell needs it. */
static char *append_quoted(char *out, size_t *cap, const char *s)
{
    int plain = *s != '\0';
    for (const char *p = s; *p; p++)
        plain &= !!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%", *p);
    size_t need = strlen(out) + 4 * strlen(s) + 4;
    if (need > *cap) out = pf_reallocarray(out, *cap = 2 * need, 1);
    char *e = out + strlen(out);
    *e++ = ' ';
    if (!plain) *e++ = '\'';
    for (const char *p = s; *p; p++)
        if (*p == '\'' && !plain) memcpy(e, "'\\''", 4), e += 4;
        else *e++ = *p;
    if (!plain) *e++ = '\'';
    *e = '\0';
    return out;
}

static const char *program = "pitchforge";

const char *pf_cli_program(void)
{
    return program;
}

char *pf_cli_command_line(const char *prog, int argc, char **argv, const char *drop,
                          const char *add)
{
    size_t cap = 64;
    char *out = pf_malloc(cap);
    out[0] = '\0';
    out = append_quoted(out, &cap, prog);
    memmove(out, out + 1, strlen(out)); /* no leading space */
    int has_add = 0;
    for (int i = 0; i < argc; i++) {
        if (drop && !strcmp(argv[i], drop)) continue;
        has_add |= add && !strcmp(argv[i], add);
        out = append_quoted(out, &cap, argv[i]);
    }
    return add && !has_add ? append_quoted(out, &cap, add) : out;
}

/* Hidden topics: the key tables printed from the schemas (manifests/README.md holds the first). */
static const struct {
    const char *name;
    char *(*markdown)(void);
} key_tables[] = {{"manifest-keys", pf_manifest_keys_markdown},
                  {"train-keys", pf_train_config_keys_markdown}};

static int cmd_help(int argc, char **argv)
{
    for (size_t i = 0; argc > 1 && i < sizeof key_tables / sizeof key_tables[0]; i++)
        if (!strcmp(argv[1], key_tables[i].name)) {
            char *s = key_tables[i].markdown();
            fputs(s, stdout);
            free(s);
            return 0;
        }
    const pf_command *c = argc > 1 ? find_command(argv[1]) : NULL;
    if (argc > 1 && !c)
        return no_command(argv[1]);
    if (c)
        fputs(c->usage, stdout);
    else
        print_overview(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    /* a file-size limit must fail the write (EFBIG -> a clear error), not kill the process */
    signal(SIGXFSZ, SIG_IGN);
    if (argc > 0 && argv[0][0]) program = argv[0];
    if (argc < 2) {
        print_overview(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "-h") || !strcmp(name, "--help") || !strcmp(name, "help"))
        return cmd_help(argc - 1, argv + 1);
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("pitchforge %s\n", PF_VERSION);
        return 0;
    }
    const pf_command *c = find_command(name);
    if (!c)
        return no_command(name);
    if (pf_cli_wants_help(argc - 1, argv + 1)) {
        fputs(c->usage, stdout);
        return 0;
    }
    int n = argc - 1;
    char **args = argv + 1;
    return pf_cli_normalize(c, &n, &args) ? 2 : c->run(n, args);
}
