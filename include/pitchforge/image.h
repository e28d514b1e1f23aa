/* pitchforge: pictures of spectrograms (libpng stays inside). */
#ifndef PITCHFORGE_IMAGE_H
#define PITCHFORGE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"

/**
 * Write an 8-bit RGB PNG, through a temp file renamed into place.
 * @param rgb  height rows of width*3 bytes, top row first
 */
int pf_png_write(const char *path, const uint8_t *rgb, size_t width, size_t height, pf_error *err);

/** Map @p t in [0, 1] to a viridis colour (clamped); writes 3 bytes to @p rgb. */
void pf_colormap_viridis(double t, uint8_t rgb[3]);

/** The loudest value of @p spec[n] in dB (10 log10 for @p power, else 20 log10 of |x|; values
 *  below 1e-20 count as 1e-20): the top of pf_spectrogram_image's colour scale. */
double pf_spectrogram_top_db(const float *spec, size_t n, int power);

/** The widest and tallest picture drawn or written, in pixels. */
#define PF_IMAGE_MAX_SIDE 100000

/**
 * Draw a [bins][frames] spectrogram as a dB picture: low frequencies at the bottom, each frame
 * @p x_scale pixels wide, colours over the top @p range_db decibels.
 * @param power  1 if the values are power (psd: 10*log10), 0 if amplitude (20*log10)
 * @param rgb    out: malloc'ed image, (frames*x_scale) x bins pixels; caller frees
 * @return 0, or -1 (PF_EINVAL) when a side is 0 or over PF_IMAGE_MAX_SIDE (nothing allocated)
 */
int pf_spectrogram_image(const float *spec, size_t bins, size_t frames, int power,
                         double range_db, size_t x_scale, uint8_t **rgb, size_t *width,
                         size_t *height, pf_error *err);

#endif
