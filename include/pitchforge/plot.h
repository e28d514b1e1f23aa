/* pitchforge: charts as PNG (cairo stays inside). */
#ifndef PITCHFORGE_PLOT_H
#define PITCHFORGE_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"

/** One line of a chart: y values at the chart's x positions (NAN leaves a gap). */
typedef struct pf_series {
    const char *name;
    const double *y; /**< [n_x] */
    double rgb[3];   /**< line colour, 0..1 */
} pf_series;

/** A line chart over x = x0, x0 + 1, ... with labelled axes and a legend. */
typedef struct pf_chart {
    const char *title, *x_label, *y_label;
    double x0;               /**< first x value (e.g. MIDI 36) */
    size_t n_x;
    const pf_series *series;
    size_t n_series;
    int log_y;               /**< 1: logarithmic y axis (values <= 0 are left out) */
    const char *(*x_tick)(double x, char *buf, size_t size); /**< tick label (NULL: number) */
    double x_tick_step;      /**< x distance between ticks (e.g. 12: one per octave) */
} pf_chart;

/** Draw @p c into a @p width x @p height PNG at @p path (temp name + rename). */
int pf_chart_png(const pf_chart *c, const char *path, int width, int height, pf_error *err);

/** A spectrogram picture (pf_spectrogram_image) framed as librosa's specshow draws it. */
typedef struct pf_specshow {
    const uint8_t *rgb;       /**< height rows of width * 3 bytes, top row first */
    size_t width, height;     /**< pixels: frames * x_scale, bins */
    size_t x_scale;           /**< pixels a column */
    double bin_hz;            /**< Hz between bins (row k is centred at k * bin_hz) */
    double col0_s, hop_s;     /**< centre of column 0 and the step between columns, seconds */
    double top_db, range_db;  /**< the colours span top_db - range_db (dark) .. top_db */
    const char *title, *subtitle;
} pf_specshow;

/**
 * Write @p s as a PNG at @p path (temp name + rename): the picture with a frequency axis in Hz,
 * a time axis in seconds, a viridis colour bar in dB and the title and subtitle above it.
 * @return 0, or -1 with @p err filled (a side over PF_IMAGE_MAX_SIDE / 4, unwritable path)
 */
int pf_specshow_png(const pf_specshow *s, const char *path, pf_error *err);

#endif
