/* pitchforge show: one example's spectrogram as a figure: dB colours, axes in Hz and seconds, a
 * colour bar and the example's labels (as librosa's specshow draws it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "pitchforge/dataset.h"
#include "pitchforge/example.h"
#include "pitchforge/image.h"
#include "pitchforge/pitch.h"
#include "pitchforge/plot.h"
#include "pitchforge/shard.h"
#include "pitchforge/error.h"

static const char usage[] =
    "usage: pitchforge show FILE --example I -o OUT.png [--split NAME] [--range-db DB]\n"
    "\n"
    "Draw example I of a shard, or of a split of dataset.h5, as a spectrogram figure (as\n"
    "librosa's specshow): dB scale over the top --range-db decibels (default 80), viridis\n"
    "colours with a colour bar in dB, frequency in Hz (low at the bottom), time in seconds\n"
    "(column centres, 4 pixels a column), and the example's labels as the title. For complex\n"
    "spectrograms the magnitude of the real and imaginary planes is drawn.\n"
    "\n"
    "  -e, --example I  the example's row in the shard or split (from 0)\n"
    "  -o, --output OUT.png  the picture to write\n"
    "  --split NAME     with dataset.h5: train, val or test (default train)\n"
    "  --range-db DB    decibels below the loudest value drawn (default 80)\n";

#define SHOW_X_SCALE 4 /* pixels a frame */

typedef struct show_args {
    const char *file, *out, *split;
    long example;
    double range_db;
    int dataset; /* file is a dataset.h5 index */
} show_args;

static int parse_args(int argc, char **argv, show_args *a)
{
    *a = (show_args){.example = -1, .range_db = 80};
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if ((!strcmp(s, "--example") || !strcmp(s, "-e")) && i + 1 < argc) {
            if ((a->example = pf_cli_parse_count(argv[++i])) < 0)
                return pf_cli_usage(&pf_cmd_show, "--example takes an index >= 0");
        } else if ((!strcmp(s, "-o") || !strcmp(s, "--output")) && i + 1 < argc)
            a->out = argv[++i];
        else if (!strcmp(s, "--split") && i + 1 < argc)
            a->split = argv[++i];
        else if (!strcmp(s, "--range-db") && i + 1 < argc) {
            a->range_db = atof(argv[++i]);
            if (!(a->range_db > 0 && a->range_db <= 300))
                return pf_cli_usage(&pf_cmd_show, "--range-db takes 0 < DB <= 300");
        } else if (s[0] == '-' || a->file)
            return pf_cli_usage(&pf_cmd_show, "unexpected argument '%s'", s);
        else
            a->file = s;
    }
    if (!a->file || !a->out || a->example < 0)
        return pf_cli_usage(&pf_cmd_show, "FILE, --example I and -o OUT.png are needed");
    if (a->split && strcmp(a->split, "train") && strcmp(a->split, "val") &&
        strcmp(a->split, "test"))
        return pf_cli_usage(&pf_cmd_show, "--split is train, val or test");
    return pf_cli_file_arg(&pf_cmd_show, a->file);
}

/* Whether the file is a dataset.h5 index (a --split of it is drawn) or a shard. */
static int find_kind(show_args *a, pf_error *err)
{
    char *schema = NULL;
    a->dataset = pf_shard_attr_text(a->file, "schema", &schema, NULL) == 0 &&
                 !strcmp(schema, PF_DATASET_SCHEMA);
    free(schema);
    if (a->dataset && !a->split) a->split = "train";
    if (!a->dataset && a->split)
        return PF_FAIL(err, PF_EINVAL, "%s is a shard: --split is for dataset.h5", a->file);
    return 0;
}

static int read_info(const show_args *a, pf_shard_info *info, pf_error *err)
{
    return a->dataset ? pf_dataset_split_info_read(a->file, a->split, info, err)
                      : pf_shard_info_read(a->file, info, err);
}

static int read_spec(const show_args *a, float *spec, size_t n, pf_error *err)
{
    return a->dataset ? pf_dataset_read_spectrograms(a->file, a->split, (size_t)a->example, 1,
                                                     spec, n, err)
                      : pf_shard_read_spectrogram(a->file, (size_t)a->example, spec, n, err);
}

/* Fold a complex [2][bins][frames] spectrogram into its magnitude (in place, first plane). */
static void complex_to_magnitude(float *spec, size_t plane)
{
    for (size_t i = 0; i < plane; i++) {
        double re = spec[i], im = spec[plane + i];
        spec[i] = (float)sqrt(re * re + im * im);
    }
}

/* Refuse a shape whose picture (4 pixels a frame) could not be drawn, before allocating. */
static int check_drawable(const char *file, const pf_shard_info *info, pf_error *err)
{
    if (info->planes < 1 || info->planes > 2 || !info->bins || !info->frames ||
        info->bins > PF_IMAGE_MAX_SIDE / 4 || info->frames > PF_IMAGE_MAX_SIDE / 4 / SHOW_X_SCALE)
        return PF_FAIL(err, PF_EINVAL,
                       "%s: a spectrogram of %zu planes x %zu bins x %zu frames is not drawable "
                       "(1..2 planes, 1..%d bins, 1..%d frames)",
                       file, info->planes, info->bins, info->frames, PF_IMAGE_MAX_SIDE / 4,
                       PF_IMAGE_MAX_SIDE / 4 / SHOW_X_SCALE);
    return 0;
}

/* The example's labels as one line: "C4 +12.0 cents (264.67 Hz), velocity 100, attack, ...". */
static void labels_line(const show_args *a, char *buf, size_t size)
{
    pf_label *rows = NULL;
    size_t n = 0;
    int rc = a->dataset ? pf_dataset_read_labels(a->file, a->split, &rows, &n, NULL)
                        : pf_shard_read_labels(a->file, &rows, &n, NULL);
    buf[0] = '\0';
    if (rc || (size_t)a->example >= n) return;
    const pf_label *l = &rows[a->example];
    const char *seg = l->segment < PF_SEG_COUNT ? pf_segment_names[l->segment] : "?";
    char note[8];
    if (l->midi >= 0 && l->midi <= 127) {
        pf_note_name(l->midi, note, sizeof note);
        snprintf(buf, size, "%s %+.1f cents (%.2f Hz), velocity %d, %s, %s", note, l->cents,
                 l->f0_hz, l->velocity, seg, l->instrument ? l->instrument : "");
    } else {
        snprintf(buf, size, "no pitch: %s, %s, %s",
                 l->source < PF_SOURCE_COUNT ? pf_source_names[l->source] : "negative", seg,
                 l->instrument ? l->instrument : "");
    }
    pf_labels_free(rows, n);
}

/* The spectrogram grid from the root attributes (defaults: 16 kHz, 256 / 200 / 1024). */
static void grid(const show_args *a, pf_specshow *s)
{
    static const char *const names[] = {"sample_rate", "stft_length", "stft_overlap", "stft_nfft"};
    double v[4] = {16000, 256, 200, 1024};
    for (int i = 0; i < 4; i++) {
        char *t = NULL;
        if (pf_shard_attr_text(a->file, names[i], &t, NULL) == 0 && atof(t) > 0) v[i] = atof(t);
        free(t);
    }
    s->bin_hz = v[0] / v[3];
    s->hop_s = (v[1] - v[2]) / v[0];
    s->col0_s = v[1] / 2 / v[0];
}

/* Draw the figure of @p spec (the example, magnitude or power per @p info.mode). */
static int figure(const show_args *a, const pf_shard_info *info, float *spec, pf_error *err)
{
    size_t plane = info->bins * info->frames, w, h;
    if (info->planes == 2) complex_to_magnitude(spec, plane);
    if (!strcmp(info->mode, "log-magnitude"))
        for (size_t i = 0; i < plane; i++)
            spec[i] = expf(spec[i]);
    int power = !strcmp(info->mode, "psd");
    uint8_t *rgb;
    if (pf_spectrogram_image(spec, info->bins, info->frames, power, a->range_db, SHOW_X_SCALE,
                             &rgb, &w, &h, err))
        return -1;
    char title[600], sub[600];
    const char *base = strrchr(a->file, '/');
    base = base ? base + 1 : a->file;
    snprintf(title, sizeof title, "%s%s%s, example %ld", base, a->dataset ? " " : "",
             a->dataset ? a->split : "", a->example);
    labels_line(a, sub, sizeof sub);
    pf_specshow s = {.rgb = rgb, .width = w, .height = h, .x_scale = SHOW_X_SCALE,
                     .top_db = pf_spectrogram_top_db(spec, plane, power),
                     .range_db = a->range_db, .title = title, .subtitle = sub};
    grid(a, &s);
    int rc = pf_specshow_png(&s, a->out, err);
    if (!rc) fprintf(stderr, "show: %s: %s -> %s\n", title, sub, a->out);
    free(rgb);
    return rc;
}

static int draw(show_args *a, pf_error *err)
{
    pf_shard_info info;
    if (find_kind(a, err) || read_info(a, &info, err) || check_drawable(a->file, &info, err))
        return -1;
    if ((size_t)a->example >= info.n)
        return PF_FAIL(err, PF_EINVAL, "%s%s%s holds %zu examples; --example %ld is out of range",
                       a->file, a->dataset ? " split " : "", a->dataset ? a->split : "", info.n,
                       a->example);
    size_t n = info.planes * info.bins * info.frames; /* checked: no wrap */
    float *spec = pf_calloc(n, sizeof *spec);
    int rc = read_spec(a, spec, n, err) || figure(a, &info, spec, err);
    free(spec);
    return rc;
}

static int run_show(int argc, char **argv)
{
    show_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    pf_error err = {0};
    return draw(&a, &err) ? pf_cli_fail(&err) : 0;
}

const pf_command pf_cmd_show = {"show", "draw one example's spectrogram as a PNG figure", usage,
                                run_show};
