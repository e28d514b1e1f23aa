/* pitchforge eval: field-standard scores of a model on a dataset split, YIN beside it. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "pitchforge/eval.h"
#include "pitchforge/error.h"

static const char usage[] =
    "usage: pitchforge eval MODEL DATASET [--split test] [--plot PNG] [--examples CSV]\n"
    "                       [--json] [-q] [-j N]\n"
    "       pitchforge eval MODEL --audio FILE --ref CSV [--json] [-j N]\n"
    "\n"
    "Score MODEL (model.h5) on a split of DATASET (dataset.h5 made by generate): raw pitch\n"
    "and raw chroma accuracy at 50, 25 and 10 cents, |cents error| median / p90, MAE in Hz,\n"
    "octave-error rate; tables per octave, instrument, segment and velocity; YIN (the label\n"
    "audit's estimator) scored on the same examples beside the model when the split stores\n"
    "audio (store.audio in the manifest; without it the model is scored alone). With audio\n"
    "the model's estimate also weighs in YIN's period near it, as predict does, most on low\n"
    "notes (docs/model-format.md, \"Decoding\"); without, it is the spectrogram's alone.\n"
    "With audio there are also frame metrics, as mir_eval.melody (0.7) defines them: every\n"
    "spectrogram column of every example is a frame, its f0_frames label the reference;\n"
    "voicing recall (VR) and false alarm (VFA), raw pitch accuracy at 50, 25 and 10 cents\n"
    "(RPA, voicing ignored), raw chroma accuracy (RCA50), overall accuracy (OA); overall, per\n"
    "segment kind and for notes and negatives. Their estimator is YIN on 85 ms around each\n"
    "column (the model's per-column track comes with a frame-level model).\n"
    "\n"
    "With --audio and --ref: score predict's pitch track of the recording FILE and YIN's\n"
    "(85 ms windows every 10 ms) against the reference track CSV in MDB-stem-synth's layout\n"
    "(one frame a line: time in s, f0 in Hz, 0 unvoiced; comma separated, no header) with the\n"
    "same frame metrics; both tracks are resampled onto the reference's times as mir_eval\n"
    "does (linear pitch, voicing held), so predict's hop does not matter.\n"
    "\n"
    "  --split NAME  train, val or test (default test)\n"
    "  --plot PNG    the error-by-pitch chart (median |cents error| per note, model and YIN)\n"
    "  --examples CSV  one line per example: its label, the model's and YIN's f0 and their\n"
    "                cents errors (nan: unvoiced), the model's confidence (as predict\n"
    "                prints it), for your own breakdowns\n"
    "  --json        one JSON object on stdout instead of the tables (frame metrics under\n"
    "                \"frames\")\n"
    "  --audio FILE  a recording (anything predict reads) to score instead of a dataset\n"
    "  --ref CSV     its reference track (with --audio)\n"
    "  -q, --quiet   no progress line (it is drawn on stderr only on a terminal)\n"
    "  -j N          threads, 1 to 1024 (default: all cores)\n";

typedef struct eval_args {
    const char *model, *dataset, *split, *plot, *examples, *audio, *ref;
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
        else if (!strcmp(s, "--audio") && i + 1 < argc)
            a->audio = argv[++i];
        else if (!strcmp(s, "--ref") && i + 1 < argc)
            a->ref = argv[++i];
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
    if (!a->audio != !a->ref)
        return pf_cli_usage(&pf_cmd_eval, "--audio and --ref go together");
    if (a->audio && (a->dataset || a->plot || a->examples))
        return pf_cli_usage(&pf_cmd_eval, "--audio scores a recording: no DATASET, --plot or "
                                          "--examples");
    if (a->audio) return a->model ? 0 : pf_cli_usage(&pf_cmd_eval, "MODEL is needed");
    if (!a->dataset)
        return pf_cli_usage(&pf_cmd_eval, "MODEL and DATASET are needed");
    if (strcmp(a->split, "train") && strcmp(a->split, "val") && strcmp(a->split, "test"))
        return pf_cli_usage(&pf_cmd_eval, "--split is train, val or test");
    return pf_cli_file_arg(&pf_cmd_eval, a->dataset);
}

/* eval --audio FILE --ref CSV: predict's track and YIN's against a reference track. */
static int run_track(const eval_args *a)
{
    pf_error err = {0};
    pf_eval_track_result r;
    if (pf_eval_track_run(a->model, a->audio, a->ref, a->threads > 0 ? a->threads : 1, &r, &err))
        return pf_cli_fail(&err);
    (a->json ? pf_eval_track_json : pf_eval_track_print)(&r, stdout);
    return 0;
}

static int run_eval(int argc, char **argv)
{
    eval_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    if (a.audio) return run_track(&a);
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
