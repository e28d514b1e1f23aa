/* The command table shared by main.c and the cmd_*.c files. */
#ifndef PF_CLI_H
#define PF_CLI_H

#include "pitchforge/error.h"

/** One subcommand: name, one-line summary, usage text (data), entry point. */
typedef struct pf_command {
    const char *name;
    const char *summary;
    const char *usage;
    int (*run)(int argc, char **argv); /**< argv[0] is the command name; returns an exit code */
} pf_command;

extern const pf_command pf_cmd_generate, pf_cmd_inspect, pf_cmd_show, pf_cmd_index, pf_cmd_verify,
    pf_cmd_train, pf_cmd_eval, pf_cmd_predict, pf_cmd_ensemble;

/** Print @p err as "pitchforge: message" (plus the source place with PITCHFORGE_DEBUG=1). */
int pf_cli_fail(const pf_error *err);
/** Print "pitchforge <cmd>: message" and the usage hint; returns 2 (usage error). */
int pf_cli_usage(const pf_command *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** True if argv holds -h or --help (before a "--"). */
int pf_cli_wants_help(int argc, char **argv);
/** Parse a whole non-negative number; returns -1 if @p s is not one. */
long pf_cli_parse_count(const char *s);
/**
 * Check @p argv's options against those @p cmd's usage text shows ("-o, --output DIR": -o and
 * --output take DIR) before the command parses them: "--output=DIR" becomes "--output" "DIR",
 * an option missing its value says "-o needs DIR", an unknown one names the closest known
 * option. *argv is replaced by a copy (kept until exit); argv[0] is the command's name.
 * @return 0, or 2 after printing the usage error
 */
int pf_cli_normalize(const pf_command *cmd, int *argc, char ***argv);
/** The name in @p names[n] closest to @p s (a typo away: at most 2 edits, fewer for short
 *  names), or NULL when none is. */
const char *pf_cli_closest(const char *s, const char *const *names, size_t n);
/** 0 if @p path is not a folder; else a usage error naming its dataset.h5 (exit code 2). */
int pf_cli_file_arg(const pf_command *cmd, const char *path);

/**
 * Catch SIGINT and SIGTERM for a command whose library code polls pf_interrupted(): the handler
 * only records the signal; the command cleans up, says what is kept and exits 128 + signal
 * (pf_cli_interrupted). A second signal kills at once (the handler is reset). A signal the
 * parent left ignored (nohup, `cmd &` in a script) stays ignored.
 */
void pf_cli_catch_signals(void);
/**
 * After a command stopped with PF_EINTR: print @p err, then what to run to go on
 * (@p resume_cmd, or nothing when NULL).
 * @return the exit code: 128 + the signal (130 SIGINT, 143 SIGTERM)
 */
int pf_cli_interrupted(const pf_error *err, const char *resume_cmd);
/** "@p program NAME ARGS..." of @p argc / @p argv (argv[0] the command name), each argument
 *  shell-quoted when needed, less the arguments equal to @p drop (may be NULL), with @p add
 *  appended (may be NULL) unless already there. Caller frees. */
char *pf_cli_command_line(const char *program, int argc, char **argv, const char *drop,
                          const char *add);
/** The program as it was run (main's argv[0], e.g. "./pitchforge"), for commands to copy. */
const char *pf_cli_program(void);

#endif
