/* Tests for src/io/plot.c: a chart is drawn where its data says (pixels checked), as PNG. */
#include <cairo.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "pitchforge/plot.h"
#include "pitchforge/error.h"

static const char *octave_tick(double x, char *buf, size_t size)
{
    snprintf(buf, size, "C%d", (int)x / 12 - 1);
    return buf;
}

/* Count pixels of colour (r, g, b) in the PNG at @p path. */
static int count_colour(const char *path, int r, int g, int b, int *w, int *h)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    *w = cairo_image_surface_get_width(s);
    *h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s), n = 0;
    const unsigned char *d = cairo_image_surface_get_data(s);
    for (int y = 0; y < *h; y++)
        for (int x = 0; x < *w; x++) {
            uint32_t p = *(const uint32_t *)(d + y * stride + 4 * x);
            n += (int)((p >> 16) & 255) == r && (int)((p >> 8) & 255) == g && (int)(p & 255) == b;
        }
    cairo_surface_destroy(s);
    return n;
}

static void chart_is_drawn(void **state)
{
    (void)state;
    double a[72], b[72];
    for (int i = 0; i < 72; i++) {
        a[i] = 1 + i;
        b[i] = i % 12 == 5 ? NAN : 100.0 / (1 + i);
    }
    pf_series s[2] = {{"model", a, {1, 0, 0}}, {"YIN", b, {0, 0, 1}}};
    pf_chart c = {.title = "Error by pitch", .x_label = "note", .y_label = "cents",
                  .x0 = 36, .n_x = 72, .series = s, .n_series = 2, .log_y = 1,
                  .x_tick = octave_tick, .x_tick_step = 12};
    char path[512];
    snprintf(path, sizeof path, "%s/chart.png", getenv("PF_TEST_TMP") ? getenv("PF_TEST_TMP") : "/tmp");
    pf_error err = {0};
    assert_int_equal(pf_chart_png(&c, path, 800, 400, &err), 0);
    int w, h;
    int red = count_colour(path, 255, 0, 0, &w, &h), blue = count_colour(path, 0, 0, 255, &w, &h);
    assert_int_equal(w, 800);
    assert_int_equal(h, 400);
    assert_true(red > 400 && blue > 300); /* both lines cross most of the plot */
    c.n_x = 0;
    assert_int_equal(pf_chart_png(&c, path, 800, 400, &err), -1);
    c.n_x = 72;
    assert_int_equal(pf_chart_png(&c, "/nonexistent-dir/chart.png", 800, 400, &err), -1);
    assert_int_equal(err.code, PF_EIO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(chart_is_drawn)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
