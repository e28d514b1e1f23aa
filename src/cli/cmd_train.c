/* pitchforge train: a training config -> pf_train (model.h5, metrics.jsonl, checkpoint.h5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/fs.h"
#include "pitchforge/train.h"
#include "pitchforge/error.h"

static const char usage[] =
    "usage: pitchforge train CONFIG [--resume | --force] [-q]\n"
    "\n"
    "Fit the pitch model to a dataset made by 'pitchforge generate', as the training config\n"
    "says (manifests/train-*.yaml; docs/training.md). Writes to the config's output folder:\n"
    "checkpoint.h5 after every epoch and every 'checkpoint_every' steps (default 1000) or\n"
    "'checkpoint_minutes' (default 10) inside one, one JSON line per epoch in metrics.jsonl,\n"
    "and model.h5 (schema pitchforge-model/1) at the end. The same data, seed and thread\n"
    "count give the same weights. 'init: {model: models/pitch.h5, member: 1}' in the config\n"
    "starts from a trained network instead of random weights (fine-tuning).\n"
    "\n"
    "  --resume     continue from OUTPUT/checkpoint.h5 (same settings; epochs may grow): the\n"
    "               weights are those of an uninterrupted run, bit for bit (also from a\n"
    "               checkpoint inside an epoch)\n"
    "  --force      replace an earlier run in OUTPUT (its model.h5, checkpoint.h5 and\n"
    "               metrics.jsonl); without --resume or --force such a folder is refused\n"
    "  -q, --quiet  no progress line and no per-epoch lines on stderr\n"
    "\n"
    "Config errors are reported as FILE:LINE:COL: message (exit 1); so are a missing, damaged\n"
    "or other-version dataset (naming the file) and a loss that is not finite (the last good\n"
    "checkpoint is kept). One run writes OUTPUT at a time (a lock, OUTPUT/.pitchforge.lock):\n"
    "a second is refused at once, naming the first. Ctrl-C or SIGTERM stops after the current\n"
    "step, writes checkpoint.h5 there and prints the command to resume (exit 130 or 143).\n";

typedef struct train_args {
    const char *config;
    int resume, force, quiet;
} train_args;

static int parse_args(int argc, char **argv, train_args *a)
{
    *a = (train_args){0};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--resume"))
            a->resume = 1;
        else if (!strcmp(s, "--force"))
            a->force = 1;
        else if (!strcmp(s, "-q") || !strcmp(s, "--quiet"))
            a->quiet = 1;
        else if (s[0] == '-' || a->config)
            return pf_cli_usage(&pf_cmd_train, "unexpected argument '%s'", s);
        else
            a->config = s;
    }
    if (a->resume && a->force)
        return pf_cli_usage(&pf_cmd_train, "--resume continues a run, --force replaces it: "
                                           "one of them");
    return a->config ? 0 : pf_cli_usage(&pf_cmd_train, "a CONFIG is needed");
}

/* Print @p err; after an interrupt also the command that goes on: --resume when the run left
 * a checkpoint, else the same command. */
static int fail(const pf_error *err, const pf_train_config *c, int argc, char **argv)
{
    if (err->code != PF_EINTR) return pf_cli_fail(err);
    char *ck = pf_path_dup(c->output, "checkpoint.h5");
    int resumable = access(ck, F_OK) == 0;
    char *again = resumable ? pf_cli_command_line(pf_cli_program(), argc, argv, "--force", "--resume")
                            : pf_cli_command_line(pf_cli_program(), argc, argv, NULL, NULL);
    int rc = pf_cli_interrupted(err, again);
    free(again);
    free(ck);
    return rc;
}

static int run_train(int argc, char **argv)
{
    train_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    pf_error err = {0};
    pf_train_config c;
    if (pf_train_config_load(&c, a.config, &err)) {
        pf_train_config_release(&c);
        return pf_cli_fail(&err);
    }
    char *cmd = pf_cli_command_line("pitchforge", argc, argv, NULL, NULL);
    pf_train_opts o = {.resume = a.resume, .force = a.force, .progress = !a.quiet && isatty(2),
                       .verbose = !a.quiet, .command = cmd};
    pf_epoch_metrics m = {0};
    pf_cli_catch_signals();
    rc = pf_train(&c, &o, &m, &err) ? fail(&err, &c, argc, argv) : 0;
    free(cmd);
    if (!rc && !a.quiet && m.epoch > 0)
        fprintf(stderr, "train: %s/model.h5 (val RPA50 %.3f, median %.1f cents)\n", c.output,
                m.val_rpa50, m.val_median_cents);
    else if (!rc && !a.quiet) /* --resume of a finished run: model.h5 written again */
        fprintf(stderr, "train: %s/model.h5 (no epochs run: the weights it started from)\n",
                c.output);
    pf_train_config_release(&c);
    return rc;
}

const pf_command pf_cmd_train = {"train", "fit the pitch model to a dataset (oneDNN, CPU)", usage,
                                 run_train};
