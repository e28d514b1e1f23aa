/* pitchforge eval: field-standard scores of a model on a dataset split, YIN beside it. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pitchforge/eval.h"
#include "pitchforge/error.h"

static const char usage[] =
    "usage: pitchforge eval MODEL DATASET [--split test] [--plot PNG] [--examples CSV]\n"
    "                       [--json] [-j N]\n"
    "\n"
    "Score MODEL (model.h5) on a split of DATASET (dataset.h5 made by generate): raw pitch\n"
    "and raw chroma accuracy at 50, 25 and 10 cents, |cents error| median / p90, MAE in Hz,\n"
    "octave-error rate; tables per octave, instrument, segment and velocity; YIN (the label\n"
    "audit's estimator) scored on the same examples beside the model when the split stores\n"
    "audio (store.audio in the manifest; without it the model is scored alone). With audio\n"
    "the model's estimate also weighs in YIN's period near it, as predict does, most on low\n"
    "notes (docs/model-format.md, \"Decoding\"); without, it is the spectrogram's alone.\n"
    "\n"
    "  --split NAME  train, val or test (default test)\n"
    "  --plot PNG    the error-by-pitch chart (median |cents error| per note, model and YIN)\n"
    "  --examples CSV  one line per example: its label, the model's and YIN's f0 and their\n"
    "                cents errors (nan: unvoiced), the model's confidence (as predict\n"
    "                prints it), for your own breakdowns\n"
    "  --json        one JSON object on stdout instead of the tables\n"
    "  -j N          threads (default: all cores)\n";

typedef struct eval_args {
    const char *model, *dataset, *split, *plot, *examples;
    int json, threads, quiet;
} eval_args;

static int parse_args(int argc, char **argv, eval_args *a)
{
    *a = (eval_args){.split = "test", .threads = (int)sysconf(_SC_NPROCESSORS_ONLN)};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--split") && i + 1 < argc)
            a->split = argv[++i];
        else if (!strcmp(s, "--plot") && i + 1 < argc)
            a->plot = argv[++i];
        else if (!strcmp(s, "--examples") && i + 1 < argc)
            a->examples = argv[++i];
        else if (!strcmp(s, "--json"))
            a->json = 1;
        else if (!strcmp(s, "-q") || !strcmp(s, "--quiet"))
            a->quiet = 1;
        else if (!strcmp(s, "-j") && i + 1 < argc) {
            long j = pf_cli_parse_count(argv[++i]);
            if (j < 1 || j > 1024)
                return pf_cli_usage(&pf_cmd_eval, "-j takes a number of threads, 1 to 1024");
            a->threads = (int)j;
        } else if (s[0] == '-' || (a->model && a->dataset))
            return pf_cli_usage(&pf_cmd_eval, "unexpected argument '%s'", s);
        else if (!a->model)
            a->model = s;
        else
            a->dataset = s;
    }
    if (!a->dataset)
        return pf_cli_usage(&pf_cmd_eval, "MODEL and DATASET are needed");
    if (strcmp(a->split, "train") && strcmp(a->split, "val") && strcmp(a->split, "test"))
        return pf_cli_usage(&pf_cmd_eval, "--split is train, val or test");
    return 0;
}

static int run_eval(int argc, char **argv)
{
    eval_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    pf_error err = {0};
    pf_eval_result r;
    pf_eval_opts o = {.model = a.model, .dataset = a.dataset, .split = a.split,
                      .threads = a.threads > 0 ? a.threads : 1, .progress = !a.quiet && isatty(2)};
    if (pf_eval_run_opts(&o, &r, &err))
        return pf_cli_fail(&err);
    if (a.json)
        pf_eval_json(&r, stdout);
    else
        pf_eval_print(&r, stdout);
    if (a.plot && pf_eval_plot(&r, a.plot, &err))
        rc = pf_cli_fail(&err);
    if (a.examples && pf_eval_write_examples(&r, a.examples, &err)) rc = pf_cli_fail(&err);
    pf_eval_release(&r);
    return rc;
}

const pf_command pf_cmd_eval = {"eval", "score a model on a dataset split, YIN beside it", usage,
                                run_eval};
