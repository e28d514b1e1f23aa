/* pitchforge train: a training config -> pf_train (model.h5, metrics.jsonl, checkpoint.h5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "core/fs.h"
#include "pitchforge/dist.h"
#include "pitchforge/train.h"
#include "pitchforge/error.h"

static const char usage[] =
    "usage: pitchforge train CONFIG [-o DIR] [--resume | --force] [-q]\n"
    "\n"
    "Fit the pitch model to a dataset made by 'pitchforge generate', as the training config\n"
    "says (manifests/train-*.yaml; docs/training.md). Writes to the config's output folder:\n"
    "checkpoint.h5 after every epoch and every 'checkpoint_every' steps (default 1000) or\n"
    "'checkpoint_minutes' (default 10) inside one, one JSON line per epoch in metrics.jsonl,\n"
    "and model.h5 (schema pitchforge-model/1) at the end. The same data, seed and thread\n"
    "count give the same weights. 'init: {model: models/pitch.h5, member: 1}' in the config\n"
    "starts from a trained network instead of random weights (fine-tuning).\n"
    "\n"
    "Under an MPI launcher (mpirun -n N, srun -n N --mpi=pmix) the N processes train one\n"
    "network data-parallel: each reads its share of every batch, gradients are summed in rank\n"
    "order, rank 0 writes the files. The same N and threads give the same weights, bit for bit\n"
    "(another N: the same batches, but other float rounding and dropout draws); -n 1 is the\n"
    "plain run (docs/training.md, \"Training on several machines\").\n"
    "\n"
    "  -o, --output DIR  write to DIR instead of the config's 'output'\n"
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
    const char *config, *output;
    int resume, force, quiet;
    int argc;
    char **argv;
} train_args;

static int parse_args(int argc, char **argv, train_args *a)
{
    *a = (train_args){.argc = argc, .argv = argv};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if ((!strcmp(s, "-o") || !strcmp(s, "--output")) && i + 1 < argc)
            a->output = argv[++i];
        else if (!strcmp(s, "--resume"))
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
static int fail(const pf_error *err, const pf_train_config *c, const train_args *a)
{
    if (err->code != PF_EINTR) return pf_cli_fail(err);
    char *ck = pf_path_dup(c->output, "checkpoint.h5");
    int resumable = access(ck, F_OK) == 0;
    char *again = resumable
                      ? pf_cli_command_line(pf_cli_program(), a->argc, a->argv, "--force", "--resume")
                      : pf_cli_command_line(pf_cli_program(), a->argc, a->argv, NULL, NULL);
    int rc = pf_cli_interrupted(err, again);
    free(again);
    free(ck);
    return rc;
}

/* A failure on one of several processes: say which, then stop them all (the others would wait
 * for it in the next gradient sum). */
static int fail_all(pf_dist *d, const pf_train_config *c, const train_args *a, pf_error *err)
{
    if (pf_dist_size(d) > 1) {
        pf_error_prefix(err, "rank %d of %d", pf_dist_rank(d), pf_dist_size(d));
        pf_cli_fail(err);
        fflush(stderr);
        pf_dist_abort(d, 1);
    }
    return fail(err, c, a);
}

static int train_with(pf_dist *d, const train_args *a, pf_train_config *c, pf_error *err)
{
    int lead = pf_dist_rank(d) == 0, n = pf_dist_size(d);
    if (pf_train_config_load(c, a->config, err))
        return fail_all(d, c, a, err);
    if (a->output) {
        free(c->output);
        c->output = pf_strdup(a->output);
    }
    if (n > 1 && lead && !a->quiet)
        fprintf(stderr, "train: %d processes (%s), each with its share of every batch of %d\n",
                n, pf_dist_library(d), c->batch);
    char *cmd = pf_cli_command_line("pitchforge", a->argc, a->argv, NULL, NULL);
    pf_train_opts o = {.resume = a->resume, .force = a->force,
                       .progress = lead && !a->quiet && isatty(2), .verbose = lead && !a->quiet,
                       .command = cmd, .dist = d};
    pf_epoch_metrics m = {0};
    /* one process stops cleanly on Ctrl-C / SIGTERM; several keep the default (mpirun ends
     * them all, --resume goes on from the last checkpoint): a stop must not split the ranks */
    if (n == 1) pf_cli_catch_signals();
    int rc = pf_train(c, &o, &m, err) ? fail_all(d, c, a, err) : 0;
    free(cmd);
    if (rc || !lead || a->quiet)
        return rc;
    if (m.epoch > 0)
        fprintf(stderr, "train: %s/model.h5 (val RPA50 %.3f, median %.1f cents)\n", c->output,
                m.val_rpa50, m.val_median_cents);
    else /* --resume of a finished run: model.h5 written again */
        fprintf(stderr, "train: %s/model.h5 (no epochs run: the weights it started from)\n",
                c->output);
    return 0;
}

static int run_train(int argc, char **argv)
{
    train_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    pf_error err = {0};
    pf_dist *d = pf_dist_init(&err);
    if (!d)
        return pf_cli_fail(&err);
    pf_train_config c = {0};
    rc = train_with(d, &a, &c, &err);
    pf_train_config_release(&c);
    pf_dist_free(d);
    return rc;
}

const pf_command pf_cmd_train = {"train", "fit the pitch model to a dataset (oneDNN, CPU)", usage,
                                 run_train};
