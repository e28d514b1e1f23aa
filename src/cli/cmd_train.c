/* pitchforge train: a training config -> pf_train (model.h5, metrics.jsonl, checkpoint.h5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "pitchforge/train.h"
#include "pitchforge/error.h"

static const char usage[] =
    "usage: pitchforge train CONFIG [-o DIR] [--resume] [-q]\n"
    "\n"
    "Fit the pitch model to a dataset made by 'pitchforge generate', as the training config\n"
    "says (manifests/train-*.yaml; docs/training.md). Writes to the config's output folder:\n"
    "checkpoint.h5 after every epoch, one JSON line per epoch in metrics.jsonl, and model.h5\n"
    "(schema pitchforge-model/1) at the end. The same data, seed and thread count give the\n"
    "same weights. 'init: {model: models/pitch.h5, member: 1}' in the config starts from a\n"
    "trained network instead of random weights (fine-tuning).\n"
    "\n"
    "  -o, --output DIR  write to DIR instead of the config's 'output'\n"
    "  --resume     continue from OUTPUT/checkpoint.h5 (same settings; epochs may grow): the\n"
    "               weights are those of an uninterrupted run, bit for bit\n"
    "  -q, --quiet  no progress line and no per-epoch lines on stderr\n"
    "\n"
    "Config errors are reported as FILE:LINE:COL: message (exit 1); so are a missing, damaged\n"
    "or other-version dataset (naming the file) and a loss that is not finite (the last good\n"
    "checkpoint is kept).\n";

typedef struct train_args {
    const char *config, *output;
    int resume, quiet;
} train_args;

static int parse_args(int argc, char **argv, train_args *a)
{
    *a = (train_args){0};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if ((!strcmp(s, "-o") || !strcmp(s, "--output")) && i + 1 < argc)
            a->output = argv[++i];
        else if (!strcmp(s, "--resume"))
            a->resume = 1;
        else if (!strcmp(s, "-q") || !strcmp(s, "--quiet"))
            a->quiet = 1;
        else if (s[0] == '-' || a->config)
            return pf_cli_usage(&pf_cmd_train, "unexpected argument '%s'", s);
        else
            a->config = s;
    }
    return a->config ? 0 : pf_cli_usage(&pf_cmd_train, "a CONFIG is needed");
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
    if (a.output) {
        free(c.output);
        c.output = pf_strdup(a.output);
    }
    pf_train_opts o = {.resume = a.resume, .progress = !a.quiet && isatty(2), .verbose = !a.quiet};
    pf_epoch_metrics m = {0};
    rc = pf_train(&c, &o, &m, &err) ? pf_cli_fail(&err) : 0;
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
