/* pitchforge predict: the pitch of recordings. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/fs.h"
#include "core/util.h"
#include "pitchforge/predict.h"
#include "pitchforge/error.h"
#include "pitchforge/flags.h"
#include "pitchforge/pitch.h"

static const char usage[] =
    "usage: pitchforge predict MODEL FILE... [--track] [--json] [--csv | --csv-dir DIR]\n"
    "                          [--hop-ms MS] [--viterbi] [-j N]\n"
    "\n"
    "Name the pitch of each recording (WAV, FLAC, OGG and anything libsndfile reads; any rate,\n"
    "stereo mixed down, any length: under 330 ms is padded with silence): f0 in Hz, the nearest\n"
    "note with its offset in cents (A4 +12), and a confidence; silence is 'unvoiced'. A file\n"
    "that cannot be read gets a message and the others are still answered; the exit code is 1\n"
    "if any failed. A frame-level model (trained with target frames) answers every 10 ms with a\n"
    "voicing decision; a note-level model once a window (110 ms). Unvoiced is f0 0 in every\n"
    "track, text, JSON and CSV alike.\n"
    "\n"
    "A frame-level model's answer carries flags when it is unreliable (text: after the answer;\n"
    "JSON: \"flags\": [...]; rules in docs/tracking.md):\n"
    "  out_of_range   a quarter or more of the columns peak in the model's 3 lowest or highest\n"
    "                 bins: the pitch is at or beyond the ends of its range; or a quarter or\n"
    "                 more of the voiced columns sound above C8 (the answer at or above C7\n"
    "                 holds under a tenth of the energy of its octave); or the answer is\n"
    "                 outside C1 .. C8\n"
    "  polyphonic     a tenth or more of the voiced columns have a second peak at least half\n"
    "                 the first, 100 cents or more from it and not at an octave, twelfth or\n"
    "                 other harmonic of it (k or 1/k times its frequency, k up to 7)\n"
    "  noisy          under 70% of the columns voiced, with broad posteriors (median peak\n"
    "                 under 50 times the mean bin)\n"
    "\n"
    "  --track        also print the pitch track: time, f0 (0: unvoiced), confidence\n"
    "  --json         one JSON object per file per line: file, f0_hz, note, cents, confidence,\n"
    "                 flags and flag_measures (frame-level models: what the rules measured)\n"
    "                 (with --track, a \"track\" array of [time_s, f0_hz, confidence])\n"
    "  --csv          write each file's track beside it as FILE.f0.csv, CREPE's layout:\n"
    "                 time,frequency,confidence (a header line, then a row a point)\n"
    "  --csv-dir DIR  the same, into DIR (which must exist)\n"
    "  --hop-ms MS    a frame-level model's track hop, 1 to 1000 ms (default 10)\n"
    "  --viterbi      smooth a frame-level model's track: the most likely path of pitch bins\n"
    "                 through its points (CREPE's Viterbi: jumps up to 220 cents a 10 ms),\n"
    "                 each voiced point's pitch read at the path's bin; voicing unchanged\n"
    "  -j N           threads, 1 to 1024 (default: all cores)\n";

typedef struct predict_args {
    const char *model;
    char **files;
    int n_files, track, json, threads, csv, viterbi;
    const char *csv_dir;
    double hop_ms;
} predict_args;

/* FILE.f0.csv beside @p file, or in @p dir: the track in CREPE's layout, written whole or not
 * at all. */
static int write_csv(const char *file, const char *dir, const pf_pitch_result *r, pf_error *err)
{
    char path[4096];
    const char *base = strrchr(file, '/');
    if (snprintf(path, sizeof path, "%s%s%s.f0.csv", dir ? dir : "", dir ? "/" : "",
                 dir ? (base ? base + 1 : file) : file) >= (int)sizeof path)
        return PF_FAIL(err, PF_EINVAL, "%s: path too long", file);
    pf_out o;
    if (pf_out_open(&o, path, err)) return -1;
    fprintf(o.f, "time,frequency,confidence\n");
    for (size_t i = 0; i < r->n_track; i++)
        fprintf(o.f, "%.3f,%.3f,%.6f\n", r->track[i].time_s, r->track[i].f0_hz,
                r->track[i].confidence);
    return pf_out_commit(&o, 1, err);
}

/* One JSON line; @p flags 1: the "flags" array (a frame-level model's; a note-level model has
 * none to give). */
static void print_json(const char *file, const pf_pitch_result *r, int track, int flags)
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
    if (flags) {
        printf(", \"flags\": [");
        for (int b = 0, n = 0; b < PF_FLAG_COUNT; b++)
            if (r->flags & (1u << b)) printf("%s\"%s\"", n++ ? ", " : "", pf_flag_name(1u << b));
        putchar(']');
        const pf_flag_measures *m = &r->measures;
        printf(", \"flag_measures\": {\"columns\": %zu, \"edge\": %.4f, \"above_c8\": %.4f, "
               "\"second_pitch\": %.4f, \"voiced\": %.4f, \"peak_to_mean\": %.2f}",
               m->columns, m->edge, m->above_c8, m->second_pitch, m->voiced, m->peak_to_mean);
    }
    if (track) {
        printf(", \"track\": [");
        for (size_t i = 0; i < r->n_track; i++)
            printf("%s[%.3f, %.3f, %.3f]", i ? ", " : "", r->track[i].time_s, r->track[i].f0_hz,
                   r->track[i].confidence);
        putchar(']');
    }
    printf("}\n");
}

static void print_text(const char *file, const pf_pitch_result *r, int track, int flags)
{
    char note[16];
    int cents;
    if (r->f0_hz > 0) {
        pf_pitch_note(r->f0_hz, note, sizeof note, &cents);
        printf("%s\t%.2f Hz\t%s %+d\tconfidence %.2f", file, r->f0_hz, note, cents,
               r->confidence);
    } else
        printf("%s\tunvoiced", file);
    for (int b = 0; flags && b < PF_FLAG_COUNT; b++)
        if (r->flags & (1u << b)) printf("\t%s", pf_flag_name(1u << b));
    putchar('\n');
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
        else if (!strcmp(s, "--csv"))
            a->csv = 1;
        else if (!strcmp(s, "--viterbi"))
            a->viterbi = 1;
        else if (!strcmp(s, "--csv-dir") && i + 1 < argc)
            a->csv = 1, a->csv_dir = argv[++i];
        else if (!strcmp(s, "--hop-ms") && i + 1 < argc) {
            long ms = pf_cli_parse_count(argv[++i]);
            if (ms < 1 || ms > 1000)
                return pf_cli_usage(&pf_cmd_predict, "--hop-ms takes 1 to 1000 milliseconds");
            a->hop_ms = (double)ms;
        }
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
    pf_predictor_set_hop(p, a.hop_ms / 1000.0);
    pf_predictor_set_viterbi(p, a.viterbi);
    for (int i = 0; i < a.n_files; i++) {
        pf_pitch_result r;
        if (pf_predict_file(p, a.files[i], &r, &err)) {
            pf_cli_fail(&err);
            failed++;
            continue;
        }
        (a.json ? print_json : print_text)(a.files[i], &r, a.track, pf_predictor_frames(p) > 0);
        fflush(stdout);
        if (a.csv && write_csv(a.files[i], a.csv_dir, &r, &err)) pf_cli_fail(&err), failed++;
        pf_pitch_result_release(&r);
    }
    pf_predictor_free(p);
    return failed ? 1 : 0;
}

const pf_command pf_cmd_predict = {"predict", "name the pitch of recordings (WAV, FLAC, ...)",
                                   usage, run_predict};
