/* pitchforge show: one example's spectrogram as a dB picture with a colour map. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "pitchforge/image.h"
#include "pitchforge/shard.h"
#include "pitchforge/error.h"

static const char usage[] =
    "usage: pitchforge show SHARD --example I -o OUT.png [--range-db DB]\n"
    "\n"
    "Draw example I of a shard as a spectrogram picture: dB scale (the top --range-db\n"
    "decibels, default 80), viridis colours, low frequencies at the bottom, 4 pixels a frame.\n"
    "For complex spectrograms the magnitude of the real and imaginary planes is drawn.\n"
    "\n"
    "  -e, --example I  the example's row in the shard (from 0)\n"
    "  -o, --output OUT.png  the picture to write\n"
    "  --range-db DB    decibels below the peak drawn (default 80)\n";

#define SHOW_X_SCALE 4 /* pixels a frame */

typedef struct show_args {
    const char *file, *out;
    long example;
    double range_db;
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
        return pf_cli_usage(&pf_cmd_show, "SHARD, --example I and -o OUT.png are needed");
    return pf_cli_file_arg(&pf_cmd_show, a->file);
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
        info->bins > PF_IMAGE_MAX_SIDE || info->frames > PF_IMAGE_MAX_SIDE / SHOW_X_SCALE)
        return PF_FAIL(err, PF_EINVAL,
                       "%s: a spectrogram of %zu planes x %zu bins x %zu frames is not drawable "
                       "(1..2 planes, 1..%d bins, 1..%d frames)",
                       file, info->planes, info->bins, info->frames, PF_IMAGE_MAX_SIDE,
                       PF_IMAGE_MAX_SIDE / SHOW_X_SCALE);
    return 0;
}

static int draw(const show_args *a, pf_error *err)
{
    pf_shard_info info;
    if (pf_shard_info_read(a->file, &info, err) || check_drawable(a->file, &info, err))
        return -1;
    if ((size_t)a->example >= info.n)
        return PF_FAIL(err, PF_EINVAL, "%s holds %zu examples; --example %ld is out of range",
                       a->file, info.n, a->example);
    size_t plane = info.bins * info.frames, n = info.planes * plane; /* checked: no wrap */
    float *spec = pf_calloc(n, sizeof *spec);
    int rc = pf_shard_read_spectrogram(a->file, (size_t)a->example, spec, n, err);
    if (!rc) {
        if (info.planes == 2)
            complex_to_magnitude(spec, plane);
        if (!strcmp(info.mode, "log-magnitude"))
            for (size_t i = 0; i < plane; i++)
                spec[i] = expf(spec[i]);
        uint8_t *rgb;
        size_t w, h;
        rc = pf_spectrogram_image(spec, info.bins, info.frames, !strcmp(info.mode, "psd"),
                                  a->range_db, SHOW_X_SCALE, &rgb, &w, &h, err) ||
             pf_png_write(a->out, rgb, w, h, err);
        free(rgb);
    }
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

const pf_command pf_cmd_show = {"show", "draw one example's spectrogram as a PNG", usage,
                                run_show};
