/* pitchforge predict: the pitch of recordings. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/util.h"
#include "pitchforge/predict.h"
#include "pitchforge/error.h"
#include "pitchforge/pitch.h"

static const char usage[] =
    "usage: pitchforge predict MODEL FILE... [--track] [--json] [-j N]\n"
    "\n"
    "Name the pitch of each recording (WAV, FLAC, OGG and anything libsndfile reads; any rate,\n"
    "stereo mixed down, any length of at least 330 ms): f0 in Hz, the nearest note with its\n"
    "offset in cents (A4 +12), and a confidence; silence is 'unvoiced'. A file that cannot be\n"
    "read gets a message and the others are still answered; the exit code is 1 if any failed.\n"
    "\n"
    "  --track  also print the pitch track: time, f0, confidence every 110 ms\n"
    "  --json   one JSON object per file per line: file, f0_hz, note, cents, confidence\n"
    "           (with --track, a \"track\" array of [time_s, f0_hz, confidence])\n"
    "  -j N     threads (default: all cores)\n";

typedef struct predict_args {
    const char *model;
    char **files;
    int n_files, track, json, threads;
} predict_args;

static void print_json(const char *file, const pf_pitch_result *r, int track)
{
    char note[16] = "";
    int cents = 0;
    printf("{\"file\": ");
    pf_json_string(stdout, file);
    if (r->f0_hz > 0) {
        pf_pitch_note(r->f0_hz, note, sizeof note, &cents);
        printf(", \"f0_hz\": %.3f, \"note\": \"%s\", \"cents\": %d, \"confidence\": %.3f", r->f0_hz,
               note, cents, r->confidence);
    } else
        printf(", \"f0_hz\": null, \"note\": null, \"cents\": null, \"confidence\": 0");
    if (track) {
        printf(", \"track\": [");
        for (size_t i = 0; i < r->n_track; i++)
            printf("%s[%.3f, %.3f, %.3f]", i ? ", " : "", r->track[i].time_s, r->track[i].f0_hz,
                   r->track[i].confidence);
        putchar(']');
    }
    printf("}\n");
}

static void print_text(const char *file, const pf_pitch_result *r, int track)
{
    char note[16];
    int cents;
    if (r->f0_hz > 0) {
        pf_pitch_note(r->f0_hz, note, sizeof note, &cents);
        printf("%s\t%.2f Hz\t%s %+d\tconfidence %.2f\n", file, r->f0_hz, note, cents,
               r->confidence);
    } else
        printf("%s\tunvoiced\n", file);
    for (size_t i = 0; track && i < r->n_track; i++)
        printf("  %8.3f s\t%8.2f Hz\t%.2f\n", r->track[i].time_s, r->track[i].f0_hz,
               r->track[i].confidence);
}

static int parse_args(int argc, char **argv, predict_args *a)
{
    *a = (predict_args){.threads = (int)sysconf(_SC_NPROCESSORS_ONLN), .files = argv};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!strcmp(s, "--track"))
            a->track = 1;
        else if (!strcmp(s, "--json"))
            a->json = 1;
        else if (!strcmp(s, "-j") && i + 1 < argc) {
            long j = pf_cli_parse_count(argv[++i]);
            if (j < 1 || j > 1024)
                return pf_cli_usage(&pf_cmd_predict, "-j takes a number of threads, 1 to 1024");
            a->threads = (int)j;
        } else if (s[0] == '-' && s[1])
            return pf_cli_usage(&pf_cmd_predict, "unexpected option '%s'", s);
        else if (!a->model)
            a->model = s;
        else
            a->files[a->n_files++] = argv[i]; /* compacted in place: argv outlives the call */
    }
    if (!a->model || !a->n_files)
        return pf_cli_usage(&pf_cmd_predict, "MODEL and at least one FILE are needed");
    return 0;
}

static int run_predict(int argc, char **argv)
{
    predict_args a;
    int rc = parse_args(argc, argv, &a), failed = 0;
    if (rc)
        return rc;
    pf_error err = {0};
    pf_predictor *p = pf_predictor_new(a.model, a.threads > 0 ? a.threads : 1, &err);
    if (!p)
        return pf_cli_fail(&err);
    for (int i = 0; i < a.n_files; i++) {
        pf_pitch_result r;
        if (pf_predict_file(p, a.files[i], &r, &err)) {
            pf_cli_fail(&err);
            failed++;
            continue;
        }
        (a.json ? print_json : print_text)(a.files[i], &r, a.track);
        fflush(stdout);
        pf_pitch_result_release(&r);
    }
    pf_predictor_free(p);
    return failed ? 1 : 0;
}

const pf_command pf_cmd_predict = {"predict", "name the pitch of recordings (WAV, FLAC, ...)",
                                   usage, run_predict};
