/* Recordings in and out through libsndfile (the only libsndfile user). */
#include "pitchforge/audiofile.h"

#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "pitchforge/error.h"

/* Frames read per call while mixing down. */
#define READ_BLOCK 4096

static void describe(SNDFILE *f, const SF_INFO *info, char *buf, size_t size)
{
    SF_FORMAT_INFO major = {.format = info->format & SF_FORMAT_TYPEMASK};
    SF_FORMAT_INFO minor = {.format = info->format & SF_FORMAT_SUBMASK};
    sf_command(f, SFC_GET_FORMAT_INFO, &major, sizeof major);
    sf_command(f, SFC_GET_FORMAT_INFO, &minor, sizeof minor);
    snprintf(buf, size, "%s / %s", major.name ? major.name : "?", minor.name ? minor.name : "?");
}

/* Refuse samples that are NaN or infinite (a float file can hold them): no pitch is known. */
static int check_finite(const pf_audio *a, const char *path, pf_error *err)
{
    for (size_t i = 0; i < a->n; i++)
        if (!isfinite(a->samples[i]))
            return PF_FAIL(err, PF_EINVAL,
                           "%s: sample %zu (%.3f s in) is %s: not a recording to analyse", path, i,
                           (double)i / a->rate_hz, isnan(a->samples[i]) ? "NaN" : "infinite");
    return 0;
}

/* Read every frame of @p f, averaging its channels into a->samples. */
static int mix_down(SNDFILE *f, const SF_INFO *info, pf_audio *a, const char *path, pf_error *err)
{
    size_t ch = (size_t)info->channels;
    float *block = pf_calloc(READ_BLOCK * ch, sizeof *block);
    a->samples = pf_calloc((size_t)info->frames, sizeof *a->samples);
    size_t got = 0;
    sf_count_t k;
    while (got < (size_t)info->frames && (k = sf_readf_float(f, block, READ_BLOCK)) > 0) {
        for (sf_count_t i = 0; i < k && got < (size_t)info->frames; i++, got++) {
            double s = 0;
            for (size_t c = 0; c < ch; c++)
                s += block[(size_t)i * ch + c];
            a->samples[got] = (float)(s / (double)ch);
        }
    }
    free(block);
    a->n = got;
    if (got == 0)
        return PF_FAIL(err, PF_EINVAL, "%s: no audio samples could be read (%s)", path,
                       sf_strerror(f));
    return check_finite(a, path, err);
}

int pf_audio_read(const char *path, pf_audio *a, pf_error *err)
{
    memset(a, 0, sizeof *a);
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return PF_FAIL(err, PF_EINVAL, "%s: not a readable audio file (%s)", path,
                       sf_strerror(NULL));
    int rc = 0;
    if (info.frames <= 0 || info.channels <= 0)
        rc = PF_FAIL(err, PF_EINVAL, "%s: the file holds no audio", path);
    else if (info.frames > (sf_count_t)1 << 31)
        rc = PF_FAIL(err, PF_EINVAL, "%s: too long (%lld frames)", path, (long long)info.frames);
    if (!rc) {
        a->rate_hz = info.samplerate;
        a->channels = info.channels;
        describe(f, &info, a->format, sizeof a->format);
        sf_command(f, SFC_SET_NORM_FLOAT, NULL, SF_TRUE);
        rc = mix_down(f, &info, a, path, err);
    }
    sf_close(f);
    if (rc)
        pf_audio_release(a);
    return rc;
}

void pf_audio_release(pf_audio *a)
{
    if (!a)
        return;
    free(a->samples);
    memset(a, 0, sizeof *a);
}

int pf_audio_write(const char *path, const float *interleaved, size_t frames, int channels,
                   double rate_hz, int pcm16, pf_error *err)
{
    const char *dot = strrchr(path, '.');
    int flac = dot && strcasecmp(dot, ".flac") == 0;
    SF_INFO info = {.samplerate = (int)rate_hz, .channels = channels};
    info.format = flac ? SF_FORMAT_FLAC | SF_FORMAT_PCM_16
                       : SF_FORMAT_WAV | (pcm16 ? SF_FORMAT_PCM_16 : SF_FORMAT_FLOAT);
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        return PF_FAIL(err, PF_EIO, "%s: cannot write audio (%s)", path, sf_strerror(NULL));
    sf_count_t put = sf_writef_float(f, interleaved, (sf_count_t)frames);
    int bad = sf_close(f) || put != (sf_count_t)frames;
    return bad ? PF_FAIL(err, PF_EIO, "%s: write failed", path) : 0;
}
