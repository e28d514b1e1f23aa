/* pitchforge: reading recordings (libsndfile stays inside). */
#ifndef PITCHFORGE_AUDIOFILE_H
#define PITCHFORGE_AUDIOFILE_H

#include <stddef.h>

#include "pitchforge/error.h"

/** A recording read into memory: mono float samples at the file's rate. */
typedef struct pf_audio {
    float *samples;  /**< [n] channels mixed down (mean), full scale +-1 */
    size_t n;
    double rate_hz;
    int channels;    /**< channels in the file */
    char format[64]; /**< e.g. "WAV (Microsoft) / Signed 16 bit PCM" */
} pf_audio;

/**
 * Read any file libsndfile reads (WAV, FLAC, OGG, AIFF, ...), any rate and channel count,
 * mixing the channels down to mono.
 * @return 0, or -1 with @p err filled: not audio (naming the file and libsndfile's reason),
 *         empty, longer than 2^31 frames, or holding a NaN or infinite sample
 */
int pf_audio_read(const char *path, pf_audio *a, pf_error *err);
/** Free the samples; a zeroed record is accepted. */
void pf_audio_release(pf_audio *a);
/**
 * Write mono or interleaved float samples to @p path (format from the extension: .wav float or
 * 16-bit with @p pcm16, .flac 16-bit); for tests and examples.
 */
int pf_audio_write(const char *path, const float *interleaved, size_t frames, int channels,
                   double rate_hz, int pcm16, pf_error *err);

#endif
