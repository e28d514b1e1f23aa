/* Whole-signal resampling: the resample module, the only file that includes samplerate.h and
 * soxr.h. Two backends behind one table: libsamplerate (sinc_*, linear) and libsoxr (soxr_*). */
#include "pitchforge/synth.h"

#include <limits.h>
#include <math.h>
#include <samplerate.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/error.h"
#include "pitchforge/resample.h"

/* One converter: a backend state kept between calls and reset before each signal. */
struct pf_resampler {
    SRC_STATE *src; /* libsamplerate kinds */
    soxr_t soxr;    /* libsoxr kinds */
    pf_resampler_kind kind;
    double in_hz, out_hz;
    double ratio; /* out_hz / in_hz */
};

/* A backend: open the state, convert one whole signal from a reset state, close, version. */
typedef struct rs_backend {
    int (*open)(pf_resampler *r, int id, pf_error *err);
    /* Write at most n_out samples of the converted @p in; *got = how many. 0 or -1 with err. */
    int (*run)(pf_resampler *r, const float *in, size_t n_in, float *out, size_t n_out, size_t *got,
               pf_error *err);
    void (*close)(pf_resampler *r);
    const char *(*version)(void);
} rs_backend;

static const rs_backend lsr_backend, sx_backend;

/* Names (manifest spelling), backends and their converter ids, indexed by pf_resampler_kind. */
static const struct {
    const char *name;
    const rs_backend *backend;
    int id; /* libsamplerate converter type or soxr quality recipe */
} kinds[] = {
    [PF_RS_SINC_BEST] = {"sinc_best", &lsr_backend, SRC_SINC_BEST_QUALITY},
    [PF_RS_SINC_MEDIUM] = {"sinc_medium", &lsr_backend, SRC_SINC_MEDIUM_QUALITY},
    [PF_RS_SINC_FASTEST] = {"sinc_fastest", &lsr_backend, SRC_SINC_FASTEST},
    [PF_RS_LINEAR] = {"linear", &lsr_backend, SRC_LINEAR},
    [PF_RS_SOXR_LQ] = {"soxr_lq", &sx_backend, SOXR_LQ},
    [PF_RS_SOXR_MQ] = {"soxr_mq", &sx_backend, SOXR_MQ},
    [PF_RS_SOXR_HQ] = {"soxr_hq", &sx_backend, SOXR_HQ},
    [PF_RS_SOXR_VHQ] = {"soxr_vhq", &sx_backend, SOXR_VHQ},
};
#define N_KINDS ((int)(sizeof kinds / sizeof kinds[0]))

/* ---- libsamplerate ---- */

static int lsr_open(pf_resampler *r, int id, pf_error *err)
{
    int e = 0;
    r->src = src_new(id, 1, &e);
    if (!r->src)
        return PF_FAIL(err, PF_ELIB, "resampler: src_new(%s): %s", kinds[r->kind].name,
                       src_strerror(e));
    return 0;
}

/* Reset, feed all of @p in with end_of_input set and collect up to @p n_out samples. */
static int lsr_run(pf_resampler *r, const float *in, size_t n_in, float *out, size_t n_out,
                   size_t *got, pf_error *err)
{
    if (n_in > (size_t)LONG_MAX || n_out > (size_t)LONG_MAX)
        return PF_FAIL(err, PF_EINVAL, "resampler: %zu samples is too long", n_in);
    int e = src_reset(r->src);
    if (e) return PF_FAIL(err, PF_ELIB, "resampler: src_reset: %s", src_strerror(e));
    SRC_DATA d = {.data_in = in,
                  .input_frames = (long)n_in,
                  .data_out = out,
                  .output_frames = (long)n_out,
                  .end_of_input = 1,
                  .src_ratio = r->ratio};
    long done = 0;
    while (done < (long)n_out) {
        e = src_process(r->src, &d);
        if (e)
            return PF_FAIL(err, PF_ELIB, "resampler %s: %s", kinds[r->kind].name, src_strerror(e));
        if (d.output_frames_gen == 0) break; /* input exhausted and the filter tail flushed */
        done += d.output_frames_gen;
        d.data_in += d.input_frames_used;
        d.input_frames -= d.input_frames_used;
        d.data_out += d.output_frames_gen;
        d.output_frames -= d.output_frames_gen;
    }
    *got = (size_t)done;
    return 0;
}

static void lsr_close(pf_resampler *r)
{
    src_delete(r->src);
}

static const char *lsr_version(void)
{
    return src_get_version();
}

static const rs_backend lsr_backend = {lsr_open, lsr_run, lsr_close, lsr_version};

/* ---- libsoxr ---- */

/* Float in and out, the recipe's default (linear-phase) filter, one thread. */
static int sx_open(pf_resampler *r, int id, pf_error *err)
{
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec((unsigned long)id, 0);
    soxr_runtime_spec_t rt = soxr_runtime_spec(1);
    soxr_error_t e = NULL;
    r->soxr = soxr_create(r->in_hz, r->out_hz, 1, &e, &io, &q, &rt);
    if (!r->soxr || e)
        return PF_FAIL(err, PF_ELIB, "resampler: soxr_create(%s): %s", kinds[r->kind].name,
                       e ? e : "failed");
    return 0;
}

/* Clear, feed @p in, then flush (NULL input) until @p n_out samples are out or the tail ends. */
static int sx_run(pf_resampler *r, const float *in, size_t n_in, float *out, size_t n_out,
                  size_t *got, pf_error *err)
{
    soxr_error_t e = soxr_clear(r->soxr);
    size_t used = 0, done = 0;
    while (!e && done < n_out) {
        int flush = used == n_in;
        size_t u = 0, d = 0;
        e = soxr_process(r->soxr, flush ? NULL : in + used, n_in - used, &u, out + done,
                         n_out - done, &d);
        used += u, done += d;
        if (d == 0 && (flush || u == 0)) break; /* tail flushed (or, never seen, stalled) */
    }
    if (e) return PF_FAIL(err, PF_ELIB, "resampler %s: %s", kinds[r->kind].name, e);
    *got = done;
    return 0;
}

static void sx_close(pf_resampler *r)
{
    soxr_delete(r->soxr);
}

static const rs_backend sx_backend = {sx_open, sx_run, sx_close, soxr_version};

/* ---- public ---- */

const char *pf_resampler_name(pf_resampler_kind kind)
{
    if ((int)kind < 0 || (int)kind >= N_KINDS) return NULL;
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
    pf_resampler *r = pf_calloc(1, sizeof *r);
    *r = (pf_resampler){.kind = kind, .in_hz = in_hz, .out_hz = out_hz, .ratio = out_hz / in_hz};
    if (kinds[kind].backend->open(r, kinds[kind].id, err)) {
        free(r);
        return NULL;
    }
    return r;
}

size_t pf_resampler_out_len(const pf_resampler *r, size_t n_in)
{
    /* floor(n_in * out / in), computed in long double so 44100 -> 16000 lengths are exact. */
    long double v = (long double)n_in * (long double)r->out_hz / (long double)r->in_hz;
    return (size_t)floorl(v + 1e-9L);
}

int pf_resampler_process(pf_resampler *r, const float *in, size_t n_in, float *out, size_t n_out,
                         pf_error *err)
{
    size_t want = pf_resampler_out_len(r, n_in);
    if (n_out != want)
        return PF_FAIL(err, PF_EINVAL, "resampler: output holds %zu samples, %zu input give %zu",
                       n_out, n_in, want);
    if ((n_in && !in) || (n_out && !out))
        return PF_FAIL(err, PF_EINVAL, "resampler: bad buffers (%zu in, %zu out)", n_in, n_out);
    if (n_out == 0) return 0;
    size_t got = 0;
    if (kinds[r->kind].backend->run(r, in, n_in, out, n_out, &got, err)) return -1;
    /* A converter may stop a sample or so short of floor(n_in * ratio): pad with zeros. */
    memset(out + got, 0, (n_out - got) * sizeof *out);
    return 0;
}

void pf_resampler_free(pf_resampler *r)
{
    if (!r) return;
    kinds[r->kind].backend->close(r);
    free(r);
}

const char *pf_resampler_version(void)
{
    return src_get_version();
}

const char *pf_resampler_kind_version(pf_resampler_kind kind)
{
    if (!pf_resampler_name(kind)) return NULL;
    return kinds[kind].backend->version();
}
