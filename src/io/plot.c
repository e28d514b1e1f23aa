/* Line charts drawn with cairo (the only cairo user), written as PNG. */
#include "pitchforge/plot.h"
#include "core/fs.h"
#include "pitchforge/error.h"
#include "pitchforge/image.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Plot area margins in pixels: left, right, top, bottom. */
enum { M_LEFT = 80, M_RIGHT = 24, M_TOP = 48, M_BOTTOM = 56 };

typedef struct frame {
    double x0, x1, y0, y1; /* data ranges (y in log10 when log_y) */
    double px, py, pw, ph; /* plot area in pixels */
    int log_y;
} frame;

static double ymap(const frame *f, double y)
{
    double v = f->log_y ? log10(y) : y;
    return f->py + f->ph - (v - f->y0) / (f->y1 - f->y0) * f->ph;
}

static double xmap(const frame *f, double x)
{
    return f->px + (x - f->x0) / (f->x1 - f->x0 > 0 ? f->x1 - f->x0 : 1) * f->pw;
}

/* Data range of every finite (and, for log axes, positive) value. */
static void y_range(const pf_chart *c, frame *f)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t s = 0; s < c->n_series; s++)
        for (size_t i = 0; i < c->n_x; i++) {
            double y = c->series[s].y[i];
            if (!isfinite(y) || (c->log_y && y <= 0))
                continue;
            double v = c->log_y ? log10(y) : y;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    if (!isfinite(lo))
        lo = 0, hi = 1;
    if (c->log_y)
        lo = floor(lo), hi = ceil(hi);
    else
        lo = lo > 0 ? 0 : lo, hi = hi * 1.05;
    f->y0 = lo;
    f->y1 = hi > lo ? hi : lo + 1;
}

static void text(cairo_t *cr, double x, double y, const char *s, double align)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - e.width * align, y);
    cairo_show_text(cr, s);
}

static void draw_axes(cairo_t *cr, const pf_chart *c, const frame *f)
{
    char buf[32];
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    cairo_set_line_width(cr, 1);
    double step = f->log_y ? 1 : (f->y1 - f->y0) / 5;
    for (double v = f->y0; v <= f->y1 + 1e-9; v += step) {
        double y = f->py + f->ph - (v - f->y0) / (f->y1 - f->y0) * f->ph;
        cairo_move_to(cr, f->px, y), cairo_line_to(cr, f->px + f->pw, y), cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%g", f->log_y ? pow(10, v) : v);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        text(cr, f->px - 6, y + 4, buf, 1.0);
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    }
    double tstep = c->x_tick_step > 0 ? c->x_tick_step : 1;
    for (double x = f->x0; x <= f->x1 + 1e-9; x += tstep) {
        double px = xmap(f, x);
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
        cairo_move_to(cr, px, f->py), cairo_line_to(cr, px, f->py + f->ph), cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        text(cr, px, f->py + f->ph + 18, c->x_tick ? c->x_tick(x, buf, sizeof buf)
                                                   : (snprintf(buf, sizeof buf, "%g", x), buf),
             0.5);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, f->px, f->py, f->pw, f->ph);
    cairo_stroke(cr);
}

static void draw_labels(cairo_t *cr, const pf_chart *c, const frame *f, int width, int height)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_font_size(cr, 16);
    text(cr, width / 2.0, 28, c->title ? c->title : "", 0.5);
    cairo_set_font_size(cr, 13);
    text(cr, f->px + f->pw / 2, height - 12, c->x_label ? c->x_label : "", 0.5);
    cairo_save(cr);
    cairo_translate(cr, 20, f->py + f->ph / 2);
    cairo_rotate(cr, -M_PI / 2);
    text(cr, 0, 0, c->y_label ? c->y_label : "", 0.5);
    cairo_restore(cr);
}

static void draw_series(cairo_t *cr, const pf_chart *c, const frame *f)
{
    cairo_set_line_width(cr, 2);
    for (size_t s = 0; s < c->n_series; s++) {
        const pf_series *se = &c->series[s];
        cairo_set_source_rgb(cr, se->rgb[0], se->rgb[1], se->rgb[2]);
        int pen = 0;
        for (size_t i = 0; i < c->n_x; i++) {
            double y = se->y[i];
            if (!isfinite(y) || (c->log_y && y <= 0)) {
                pen = 0;
                continue;
            }
            double px = xmap(f, c->x0 + (double)i), py = ymap(f, y);
            pen ? cairo_line_to(cr, px, py) : cairo_move_to(cr, px, py);
            pen = 1;
        }
        cairo_stroke(cr);
        /* legend entry */
        double ly = f->py + 16 + 18 * (double)s;
        cairo_move_to(cr, f->px + 12, ly - 4), cairo_line_to(cr, f->px + 36, ly - 4);
        cairo_stroke(cr);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text(cr, f->px + 42, ly, se->name ? se->name : "", 0);
    }
}

/* cairo's PNG writer into a stream opened safely (pf_tmp_open). */
static cairo_status_t png_write(void *closure, const unsigned char *data, unsigned int len)
{
    return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* Write the surface @p sf to @p path through a temp file. */
static int surface_write(cairo_surface_t *sf, const char *path, pf_error *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = pf_tmp_open(tmp, err);
    cairo_status_t st = out ? cairo_surface_write_to_png_stream(sf, png_write, out)
                            : CAIRO_STATUS_WRITE_ERROR;
    if (out && fclose(out)) st = CAIRO_STATUS_WRITE_ERROR;
    if (st != CAIRO_STATUS_SUCCESS || rename(tmp, path)) {
        unlink(tmp);
        return PF_FAIL(err, PF_EIO, "%s: cannot write the picture: %s", path,
                       cairo_status_to_string(st));
    }
    return 0;
}

int pf_chart_png(const pf_chart *c, const char *path, int width, int height, pf_error *err)
{
    if (!c || !path || width < 200 || height < 150 || c->n_x == 0)
        return PF_FAIL(err, PF_EINVAL, "chart: bad arguments");
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(sf);
    frame f = {.x0 = c->x0, .x1 = c->x0 + (double)(c->n_x - 1), .px = M_LEFT, .py = M_TOP,
               .pw = width - M_LEFT - M_RIGHT, .ph = height - M_TOP - M_BOTTOM,
               .log_y = c->log_y};
    y_range(c, &f);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    draw_axes(cr, c, &f);
    draw_series(cr, c, &f);
    draw_labels(cr, c, &f, width, height);
    cairo_destroy(cr);
    int rc = surface_write(sf, path, err);
    cairo_surface_destroy(sf);
    return rc;
}

/* ---- a spectrogram figure (librosa's specshow: axes in Hz and s, a dB colour bar) ---- */

/* Figure margins around the picture: left, right (colour bar), top (titles), bottom. */
enum { S_LEFT = 76, S_RIGHT = 104, S_TOP = 58, S_BOTTOM = 50, S_BAR = 18, S_GAP = 14 };

/* The smallest tick step of 1, 2 or 5 times a power of ten giving at most @p max ticks over
 * @p span. */
static double nice_step(double span, int max)
{
    static const double m[] = {1, 2, 5};
    double base = pow(10, floor(log10(span > 0 ? span : 1)) - 1);
    for (;; base *= 10)
        for (int k = 0; k < 3; k++)
            if (span / (m[k] * base) <= max) return m[k] * base;
}

/* The picture as a cairo surface (xRGB rows). */
static cairo_surface_t *picture_surface(const pf_specshow *s)
{
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)s->width,
                                                      (int)s->height);
    cairo_surface_flush(img);
    unsigned char *data = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (size_t y = 0; y < s->height; y++)
        for (size_t x = 0; x < s->width; x++) {
            const uint8_t *p = s->rgb + (y * s->width + x) * 3;
            ((uint32_t *)(data + y * (size_t)stride))[x] =
                (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
        }
    cairo_surface_mark_dirty(img);
    return img;
}

/* The frequency axis (Hz) on the left and the time axis (s) below the picture. */
static void spec_axes(cairo_t *cr, const pf_specshow *s)
{
    char buf[32];
    double h = (double)s->height, top_hz = (h - 0.5) * s->bin_hz;
    double step = nice_step(top_hz, 8);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    for (double f = 0; f <= top_hz + 1e-9; f += step) {
        double y = S_TOP + h - (f / s->bin_hz + 0.5);
        cairo_move_to(cr, S_LEFT - 5, y), cairo_line_to(cr, S_LEFT, y), cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%g", f);
        text(cr, S_LEFT - 8, y + 4, buf, 1.0);
    }
    double cols = (double)s->width / (double)s->x_scale;
    double t0 = s->col0_s - s->hop_s / 2, t1 = t0 + cols * s->hop_s;
    double tstep = nice_step(t1 - t0, 7);
    for (double t = ceil(t0 / tstep) * tstep; t <= t1 + 1e-12; t += tstep) {
        double x = S_LEFT + (t - t0) / s->hop_s * (double)s->x_scale;
        cairo_move_to(cr, x, S_TOP + h), cairo_line_to(cr, x, S_TOP + h + 5), cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%g", fabs(t) < 1e-12 ? 0 : t);
        text(cr, x, S_TOP + h + 18, buf, 0.5);
    }
    text(cr, S_LEFT + (double)s->width / 2, S_TOP + h + 40, "Time (s)", 0.5);
    cairo_save(cr);
    cairo_translate(cr, 16, S_TOP + h / 2);
    cairo_rotate(cr, -M_PI / 2);
    text(cr, 0, 0, "Frequency (Hz)", 0.5);
    cairo_restore(cr);
}

/* The colour bar right of the picture: viridis from top_db - range_db to top_db. */
static void spec_colorbar(cairo_t *cr, const pf_specshow *s)
{
    double x = S_LEFT + (double)s->width + S_GAP, h = (double)s->height;
    uint8_t rgb[3];
    for (size_t y = 0; y < s->height; y++) {
        pf_colormap_viridis(1.0 - ((double)y + 0.5) / h, rgb);
        cairo_set_source_rgb(cr, rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0);
        cairo_rectangle(cr, x, S_TOP + (double)y, S_BAR, 1);
        cairo_fill(cr);
    }
    char buf[32];
    double step = nice_step(s->range_db, 8), lo = s->top_db - s->range_db;
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    for (double db = ceil(lo / step) * step; db <= s->top_db + 1e-9; db += step) {
        double y = S_TOP + (s->top_db - db) / s->range_db * h;
        cairo_move_to(cr, x + S_BAR, y), cairo_line_to(cr, x + S_BAR + 4, y), cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%+.0f dB", fabs(db) < 0.5 ? 0 : db);
        text(cr, x + S_BAR + 7, y + 4, buf, 0);
    }
    cairo_rectangle(cr, x, S_TOP, S_BAR, h);
    cairo_stroke(cr);
}

int pf_specshow_png(const pf_specshow *s, const char *path, pf_error *err)
{
    if (!s || !s->rgb || !path || !s->width || !s->height || !s->x_scale ||
        s->width > PF_IMAGE_MAX_SIDE / 4 || s->height > PF_IMAGE_MAX_SIDE / 4 ||
        !(s->bin_hz > 0 && s->hop_s > 0 && s->range_db > 0))
        return PF_FAIL(err, PF_EINVAL, "spectrogram figure: bad arguments");
    int w = (int)s->width + S_LEFT + S_RIGHT, h = (int)s->height + S_TOP + S_BOTTOM;
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_surface_t *img = picture_surface(s);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_set_source_surface(cr, img, S_LEFT, S_TOP);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 12);
    cairo_set_line_width(cr, 1);
    spec_axes(cr, s);
    spec_colorbar(cr, s);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_rectangle(cr, S_LEFT, S_TOP, (double)s->width, (double)s->height);
    cairo_stroke(cr);
    cairo_set_font_size(cr, 14);
    text(cr, w / 2.0, 22, s->title ? s->title : "", 0.5);
    cairo_set_font_size(cr, 12);
    text(cr, w / 2.0, 42, s->subtitle ? s->subtitle : "", 0.5);
    cairo_destroy(cr);
    cairo_surface_destroy(img);
    int rc = surface_write(sf, path, err);
    cairo_surface_destroy(sf);
    return rc;
}
