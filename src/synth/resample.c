/* Whole-signal resampling through libsamplerate (the only file that includes samplerate.h). */
#include "pitchforge/synth.h"

#include <limits.h>
#include <math.h>
#include <samplerate.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

/* One converter: a libsamplerate state kept between calls and reset before each signal. */
struct pf_resampler {
    SRC_STATE *state;
    pf_resampler_kind kind;
    double in_hz, out_hz;
    double ratio; /* out_hz / in_hz */
};

/* Names (manifest spelling) and libsamplerate converter ids, indexed by pf_resampler_kind. */
static const struct {
    const char *name;
    int src_type;
} kinds[] = {
    [PF_RS_SINC_BEST] = {"sinc_best", SRC_SINC_BEST_QUALITY},
    [PF_RS_SINC_MEDIUM] = {"sinc_medium", SRC_SINC_MEDIUM_QUALITY},
    [PF_RS_SINC_FASTEST] = {"sinc_fastest", SRC_SINC_FASTEST},
    [PF_RS_LINEAR] = {"linear", SRC_LINEAR},
};
#define N_KINDS ((int)(sizeof kinds / sizeof kinds[0]))

const char *pf_resampler_name(pf_resampler_kind kind)
{
    if ((int)kind < 0 || (int)kind >= N_KINDS)
        return NULL;
    return kinds[kind].name;
}

int pf_resampler_parse(const char *name, pf_resampler_kind *kind)
{
    for (int i = 0; name && i < N_KINDS; i++) {
        if (strcmp(name, kinds[i].name) == 0) {
            *kind = (pf_resampler_kind)i;
            return 0;
        }
    }
    return -1;
}

pf_resampler *pf_resampler_new(pf_resampler_kind kind, double in_hz, double out_hz, pf_error *err)
{
    if (!pf_resampler_name(kind)) {
        PF_FAIL(err, PF_EINVAL, "resampler: unknown converter kind %d", (int)kind);
        return NULL;
    }
    if (!(isfinite(in_hz) && isfinite(out_hz) && in_hz > 0 && out_hz > 0) ||
        !src_is_valid_ratio(out_hz / in_hz)) {
        PF_FAIL(err, PF_EINVAL, "resampler: bad rates %g Hz -> %g Hz (ratio must be 1/256..256)",
                in_hz, out_hz);
        return NULL;
    }
    int e = 0;
    SRC_STATE *st = src_new(kinds[kind].src_type, 1, &e);
    if (!st) {
        PF_FAIL(err, PF_ELIB, "resampler: src_new(%s): %s", kinds[kind].name, src_strerror(e));
        return NULL;
    }
    pf_resampler *r = pf_calloc(1, sizeof *r);
    *r = (pf_resampler){.state = st, .kind = kind, .in_hz = in_hz, .out_hz = out_hz,
                        .ratio = out_hz / in_hz};
    return r;
}

size_t pf_resampler_out_len(const pf_resampler *r, size_t n_in)
{
    /* floor(n_in * out / in), computed in long double so 44100 -> 16000 lengths are exact. */
    long double v = (long double)n_in * (long double)r->out_hz / (long double)r->in_hz;
    return (size_t)floorl(v + 1e-9L);
}

/*
 * Feed all of @p in with end_of_input set and collect up to @p n_out samples.
 * Returns the number written, or -1 with @p err filled.
 */
static long pf_resampler_run(pf_resampler *r, const float *in, long n_in, float *out, long n_out,
                             pf_error *err)
{
    SRC_DATA d = {.data_in = in, .input_frames = n_in, .data_out = out,
                  .output_frames = n_out, .end_of_input = 1, .src_ratio = r->ratio};
    long done = 0;
    while (done < n_out) {
        int e = src_process(r->state, &d);
        if (e)
            return PF_FAIL(err, PF_ELIB, "resampler %s: %s", kinds[r->kind].name, src_strerror(e));
        if (d.output_frames_gen == 0)
            break; /* input exhausted and the filter tail flushed */
        done += d.output_frames_gen;
        d.data_in += d.input_frames_used;
        d.input_frames -= d.input_frames_used;
        d.data_out += d.output_frames_gen;
        d.output_frames -= d.output_frames_gen;
    }
    return done;
}

int pf_resampler_process(pf_resampler *r, const float *in, size_t n_in, float *out, size_t n_out,
                         pf_error *err)
{
    size_t want = pf_resampler_out_len(r, n_in);
    if (n_out != want)
        return PF_FAIL(err, PF_EINVAL, "resampler: output holds %zu samples, %zu input give %zu",
                       n_out, n_in, want);
    if (n_in > (size_t)LONG_MAX || (n_in && !in) || (n_out && !out))
        return PF_FAIL(err, PF_EINVAL, "resampler: bad buffers (%zu in, %zu out)", n_in, n_out);
    if (n_out == 0)
        return 0;
    int e = src_reset(r->state);
    if (e)
        return PF_FAIL(err, PF_ELIB, "resampler: src_reset: %s", src_strerror(e));
    long got = pf_resampler_run(r, in, (long)n_in, out, (long)n_out, err);
    if (got < 0)
        return -1;
    /* libsamplerate may stop a sample or so short of floor(n_in * ratio): pad with zeros. */
    memset(out + got, 0, (n_out - (size_t)got) * sizeof *out);
    return 0;
}

void pf_resampler_free(pf_resampler *r)
{
    if (!r)
        return;
    src_delete(r->state);
    free(r);
}

const char *pf_resampler_version(void)
{
    return src_get_version();
}
