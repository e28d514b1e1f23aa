/* PNG output through libpng (the only libpng user) and the spectrogram picture. */
#include "pitchforge/image.h"

#include "core/fs.h"
#include "core/util.h"

#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/error.h"

/* viridis at t = 0, 1/8, ..., 1 (matplotlib's table, sampled). */
static const double viridis[9][3] = {
    {0.267004, 0.004874, 0.329415}, {0.282623, 0.140926, 0.457517},
    {0.253935, 0.265254, 0.529983}, {0.206756, 0.371758, 0.553117},
    {0.163625, 0.471133, 0.558148}, {0.127568, 0.566949, 0.550556},
    {0.134692, 0.658636, 0.517649}, {0.477504, 0.821444, 0.318195},
    {0.993248, 0.906157, 0.143936}};

void pf_colormap_viridis(double t, uint8_t rgb[3])
{
    t = isnan(t) ? 0 : t < 0 ? 0 : t > 1 ? 1 : t;
    double x = t * 8;
    int i = x >= 8 ? 7 : (int)x;
    double f = x - i;
    for (int c = 0; c < 3; c++)
        rgb[c] = (uint8_t)lround(255.0 * (viridis[i][c] + f * (viridis[i + 1][c] - viridis[i][c])));
}

/* dB of one value, as the picture and its colour bar use it. */
static double value_db(float x, int power)
{
    double v = fabs((double)x);
    return (power ? 10.0 : 20.0) * log10(v > 1e-20 ? v : 1e-20);
}

double pf_spectrogram_top_db(const float *spec, size_t n, int power)
{
    double top = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double db = value_db(spec[i], power);
        top = db > top ? db : top;
    }
    return top;
}

int pf_spectrogram_image(const float *spec, size_t bins, size_t frames, int power,
                         double range_db, size_t x_scale, uint8_t **rgb, size_t *width,
                         size_t *height, pf_error *err)
{
    size_t n, w;
    *rgb = NULL;
    *width = *height = 0;
    if (pf_mul_size(frames, x_scale, &w) || !w || w > PF_IMAGE_MAX_SIDE || !bins ||
        bins > PF_IMAGE_MAX_SIDE)
        return PF_FAIL(err, PF_EINVAL,
                       "a picture of %zu frames x %zu pixels by %zu bins: each side must be 1.."
                       "%d pixels",
                       frames, x_scale, bins, PF_IMAGE_MAX_SIDE);
    n = bins * frames; /* both sides at most PF_IMAGE_MAX_SIDE: no wrap */
    double *db = pf_calloc(n, sizeof *db), top = pf_spectrogram_top_db(spec, n, power);
    for (size_t i = 0; i < n; i++)
        db[i] = value_db(spec[i], power);
    *width = frames * x_scale;
    *height = bins;
    *rgb = pf_calloc(*width * *height, 3);
    for (size_t b = 0; b < bins; b++)
        for (size_t x = 0; x < *width; x++) {
            double t = 1.0 - (top - db[b * frames + x / x_scale]) / range_db;
            pf_colormap_viridis(t, *rgb + ((bins - 1 - b) * *width + x) * 3);
        }
    free(db);
    return 0;
}

/* Encode with libpng into an open file; returns 0 or -1 (libpng's error longjmps here). */
static int encode(FILE *f, const uint8_t *rgb, size_t width, size_t height)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (size_t y = 0; y < height; y++)
        png_write_row(png, rgb + y * width * 3);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int pf_png_write(const char *path, const uint8_t *rgb, size_t width, size_t height, pf_error *err)
{
    if (!width || !height || width > PF_IMAGE_MAX_SIDE || height > PF_IMAGE_MAX_SIDE)
        return PF_FAIL(err, PF_EINVAL, "bad image size %zux%zu", width, height);
    pf_out o;
    if (pf_out_open(&o, path, err)) return -1;
    if (encode(o.f, rgb, width, height)) {
        pf_out_commit(&o, 0, err);
        return PF_FAIL(err, PF_EIO, "%s: PNG encoding failed", path);
    }
    return pf_out_commit(&o, 1, err);
}
