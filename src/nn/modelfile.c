/*
 * Model files (schema pitchforge-model/1, HDF5 through src/io/h5.h; docs/model-format.md):
 *
 *   /                  attrs schema, in_c, in_h, in_w, n_layers
 *   /spec              [n_layers] compound {kind str16, out, kernel, pool i32, p f32, k i32,
 *                      lo, step, hz f32} (files without lo, step, hz read them as 0)
 *   /layers/NN_kind    attrs as /spec; datasets weight, bias (PyTorch layout) when it has any
 *   /meta              attrs target, input, bins_lo_midi, bins_step, n_bins, sample_rate,
 *                      segment_len, stft_length, stft_overlap, stft_nfft, spectrogram_mode,
 *                      spectrogram_scaling (the training spectrograms), train_threads
 *                      (the trainer's thread count; absent when unknown),
 *                      data_manifest_sha256 (the training dataset's manifest; absent when
 *                      unknown), train_ranks (the trainer's MPI processes; absent for one);
 *                      datasets norm_mean, norm_std [in_h] f32, config [1] string
 *
 * Ensemble files (schema pitchforge-ensemble/1):
 *
 *   /                  attrs schema, n_members
 *   /members/NN        NN = 00, 01, ...: what a model file's root holds, copied unchanged
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/half.h"
#include "core/mem.h"
#include "io/h5.h"
#include "pitchforge/nn.h"
#include "pitchforge/error.h"

/* One row of /spec. */
typedef struct spec_row {
    char kind[16];
    int32_t out, kernel, pool;
    float p;
    int32_t k;
    float lo, step, hz;
} spec_row;

static pf_h5id spec_type(void)
{
    pf_h5id t = pf_h5_type_compound(sizeof(spec_row)), s = pf_h5_type_str(16);
    pf_h5id i = pf_h5_type(PF_H5_I32), f = pf_h5_type(PF_H5_F32);
    pf_h5_type_insert(t, "kind", offsetof(spec_row, kind), s, NULL);
    pf_h5_type_insert(t, "out", offsetof(spec_row, out), i, NULL);
    pf_h5_type_insert(t, "kernel", offsetof(spec_row, kernel), i, NULL);
    pf_h5_type_insert(t, "pool", offsetof(spec_row, pool), i, NULL);
    pf_h5_type_insert(t, "p", offsetof(spec_row, p), f, NULL);
    pf_h5_type_insert(t, "k", offsetof(spec_row, k), i, NULL);
    pf_h5_type_insert(t, "lo", offsetof(spec_row, lo), f, NULL);
    pf_h5_type_insert(t, "step", offsetof(spec_row, step), f, NULL);
    pf_h5_type_insert(t, "hz", offsetof(spec_row, hz), f, NULL);
    pf_h5_close(s);
    pf_h5_close(i);
    pf_h5_close(f);
    return t;
}

/* ---- save ---- */

static int write_floats(pf_h5id loc, const char *name, int rank, const int64_t *shape,
                        const float *v, int half, pf_error *err)
{
    uint64_t dims[4], n = 1;
    for (int i = 0; i < rank; i++)
        n *= dims[i] = (uint64_t)shape[i];
    pf_h5id t = half ? pf_h5_type_half() : pf_h5_type(PF_H5_F32);
    /* one chunk, shuffle + deflate: the shipped float16 model 4.5 -> 3.9 MB */
    pf_h5_layout lay = {.chunk = dims, .gzip = 9};
    pf_h5id d = pf_h5_dset_create(loc, name, t, rank, dims, &lay, err);
    uint16_t *h = half ? pf_calloc(n, sizeof *h) : NULL;
    for (uint64_t i = 0; h && i < n; i++)
        h[i] = pf_half_from_float(v[i]);
    int rc = d < 0 ? -1 : pf_h5_dset_write(d, t, half ? (const void *)h : v, err);
    free(h);
    pf_h5_close(d);
    pf_h5_close(t);
    return rc;
}

static int write_layer_attrs(pf_h5id g, const pf_layer_spec *s, pf_error *err)
{
    if (pf_h5_attr_str(g, "kind", pf_layer_names[s->kind], err) ||
        pf_h5_attr_i64(g, "out", s->out, err) || pf_h5_attr_i64(g, "kernel", s->kernel, err) ||
        pf_h5_attr_i64(g, "pool", s->pool, err) || pf_h5_attr_f64(g, "p", s->p, err) ||
        pf_h5_attr_i64(g, "k", s->k, err))
        return -1;
    if (s->kind == PF_LAYER_HARMONICS &&
        (pf_h5_attr_f64(g, "lo", s->lo, err) || pf_h5_attr_f64(g, "step", s->step, err) ||
         pf_h5_attr_f64(g, "hz", s->hz, err)))
        return -1;
    return 0;
}

static int write_layer(pf_h5id layers, pf_model *m, const pf_layer_spec *s, size_t i, int half,
                       pf_error *err)
{
    char name[48];
    pf_param_view v;
    snprintf(name, sizeof name, "%02zu_%s", i, pf_layer_names[s->kind]);
    pf_h5id g = pf_h5_group_create(layers, name, err);
    if (g < 0) return -1;
    int rc = write_layer_attrs(g, s, err);
    pf_model_param_view(m, i, &v);
    const float *p = pf_model_params(m);
    if (!rc && v.weight_len)
        rc = write_floats(g, "weight", v.weight_rank, v.weight_shape, p + v.weight_off, half,
                          err) ||
             write_floats(g, "bias", 1, (int64_t[]){(int64_t)v.bias_len}, p + v.bias_off, half,
                          err);
    pf_h5_close(g);
    return rc ? -1 : 0;
}

static int write_spec(pf_h5id f, const pf_model_spec *spec, pf_error *err)
{
    spec_row *rows = pf_calloc(spec->n_layers, sizeof *rows);
    for (size_t i = 0; i < spec->n_layers; i++) {
        const pf_layer_spec *s = &spec->layers[i];
        snprintf(rows[i].kind, sizeof rows[i].kind, "%s", pf_layer_names[s->kind]);
        rows[i].out = s->out, rows[i].kernel = s->kernel, rows[i].pool = s->pool;
        rows[i].p = s->p, rows[i].k = s->k;
        rows[i].lo = s->lo, rows[i].step = s->step, rows[i].hz = s->hz;
    }
    pf_h5id t = spec_type();
    int rc = pf_h5_write_1d(f, "spec", t, spec->n_layers, rows, err);
    pf_h5_close(t);
    free(rows);
    return rc;
}

static int write_meta(pf_h5id f, const pf_model_meta *meta, pf_error *err)
{
    pf_h5id g = pf_h5_group_create(f, "meta", err);
    if (g < 0) return -1;
    int rc = pf_h5_attr_str(g, "target", meta->target, err) ||
             pf_h5_attr_str(g, "input", meta->input, err) ||
             pf_h5_attr_f64(g, "bins_lo_midi", meta->bins_lo_midi, err) ||
             pf_h5_attr_f64(g, "bins_step", meta->bins_step, err) ||
             pf_h5_attr_i64(g, "n_bins", meta->n_bins, err) ||
             pf_h5_attr_f64(g, "sample_rate", meta->sample_rate, err) ||
             pf_h5_attr_i64(g, "segment_len", meta->segment_len, err) ||
             pf_h5_attr_i64(g, "stft_length", meta->stft_length, err) ||
             pf_h5_attr_i64(g, "stft_overlap", meta->stft_overlap, err) ||
             pf_h5_attr_i64(g, "stft_nfft", meta->stft_nfft, err) ||
             pf_h5_attr_str(g, "spectrogram_mode", meta->spec_mode, err) ||
             pf_h5_attr_str(g, "spectrogram_scaling", meta->spec_scaling, err) ||
             (meta->train_threads > 0 &&
              pf_h5_attr_i64(g, "train_threads", meta->train_threads, err)) ||
             (meta->voicing_threshold > 0 &&
              pf_h5_attr_f64(g, "voicing_threshold", meta->voicing_threshold, err)) ||
             (meta->data_sha256[0] &&
              pf_h5_attr_str(g, "data_manifest_sha256", meta->data_sha256, err)) ||
             (meta->train_ranks > 1 && pf_h5_attr_i64(g, "train_ranks", meta->train_ranks, err));
    int64_t n = (int64_t)meta->norm_len;
    if (!rc && meta->norm_len)
        rc = write_floats(g, "norm_mean", 1, &n, meta->norm_mean, 0, err) ||
             write_floats(g, "norm_std", 1, &n, meta->norm_std, 0, err);
    if (!rc && meta->config_text) {
        pf_h5id t = pf_h5_type_str(0);
        rc = pf_h5_write_1d(g, "config", t, 1, &meta->config_text, err);
        pf_h5_close(t);
    }
    pf_h5_close(g);
    return rc ? -1 : 0;
}

static int write_all(pf_h5id f, pf_model *m, const pf_model_spec *spec, const pf_model_meta *meta,
                     pf_error *err)
{
    if (pf_h5_attr_str(f, "schema", PF_MODEL_SCHEMA, err) ||
        pf_h5_attr_i64(f, "in_c", spec->in_c, err) || pf_h5_attr_i64(f, "in_h", spec->in_h, err) ||
        pf_h5_attr_i64(f, "in_w", spec->in_w, err) ||
        pf_h5_attr_u64(f, "n_layers", spec->n_layers, err) || write_spec(f, spec, err))
        return -1;
    pf_h5id layers = pf_h5_group_create(f, "layers", err);
    if (layers < 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < spec->n_layers && !rc; i++)
        rc = write_layer(layers, m, &spec->layers[i], i, meta && meta->half, err);
    pf_h5_close(layers);
    return rc || (meta && write_meta(f, meta, err)) ? -1 : 0;
}

/* The model was made from @p spec (same input and layers). */
static int spec_matches(pf_model *m, const pf_model_spec *spec)
{
    pf_param_view v;
    size_t n = 0;
    for (size_t i = 0; i < spec->n_layers; i++) {
        if (pf_model_param_view(m, i, &v)) return 0;
        n += v.weight_len + v.bias_len;
    }
    return pf_model_param_view(m, spec->n_layers, &v) && n == pf_model_n_params(m) &&
           (size_t)spec->in_c * (size_t)spec->in_h * (size_t)spec->in_w == pf_model_in_size(m);
}

/* Writes a whole file's content to the open file @p f. */
typedef int (*file_writer)(pf_h5id f, const void *ctx, pf_error *err);

/* Write @p path with @p write under a temporary name, then rename it: whole or absent. */
static int save_file(const char *path, file_writer write, const void *ctx, pf_error *err)
{
    size_t len = strlen(path) + sizeof ".tmp";
    char *tmp = pf_malloc(len);
    snprintf(tmp, len, "%s.tmp", path);
    pf_h5_lock();
    pf_h5id f = pf_h5_create(tmp, err);
    int rc = f < 0 ? -1 : 0;
    if (!rc && write(f, ctx, err)) {
        pf_h5_close_file(f, NULL);
        rc = -1;
    } else if (!rc) {
        rc = pf_h5_publish(f, tmp, path, err);
    }
    pf_h5_unlock();
    if (rc) unlink(tmp);
    free(tmp);
    return rc;
}

typedef struct model_parts {
    pf_model *m;
    const pf_model_spec *spec;
    const pf_model_meta *meta;
} model_parts;

static int write_model(pf_h5id f, const void *ctx, pf_error *err)
{
    const model_parts *p = ctx;
    return write_all(f, p->m, p->spec, p->meta, err);
}

int pf_model_save(const char *path, pf_model *m, const pf_model_spec *spec,
                  const pf_model_meta *meta, pf_error *err)
{
    if (!path || !m || !spec || !spec_matches(m, spec))
        return PF_FAIL(err, PF_EINVAL, "pf_model_save %s: the spec is not the model's",
                       path ? path : "(null)");
    model_parts parts = {m, spec, meta};
    return save_file(path, write_model, &parts, err) ? pf_error_prefix(err, "saving model %s", path)
                                                     : 0;
}

/* ---- load ---- */

static int check_schema(pf_h5id f, const char *path, pf_error *err)
{
    if (!pf_h5_attr_exists(f, "schema"))
        return PF_FAIL(err, PF_ESCHEMA, "%s: not a pitchforge model (no schema attribute)", path);
    char *s = pf_h5_attr_read_str(f, "schema", err);
    if (!s) return -1;
    int rc = 0;
    if (strcmp(s, PF_MODEL_SCHEMA))
        rc = PF_FAIL(err, PF_ESCHEMA,
                     "%s: schema '%s', this pitchforge reads '%s' only; use the pitchforge "
                     "version that wrote it, or retrain",
                     path, s, PF_MODEL_SCHEMA);
    free(s);
    return rc;
}

static int kind_of(const char *name, pf_layer_kind *k)
{
    for (int i = 0; i < PF_LAYER_COUNT; i++)
        if (!strcmp(name, pf_layer_names[i])) {
            *k = (pf_layer_kind)i;
            return 0;
        }
    return -1;
}

static int read_i32_attr(pf_h5id loc, const char *name, int *out, pf_error *err)
{
    int64_t v;
    if (pf_h5_attr_read_num(loc, name, PF_H5_I64, &v, err)) return -1;
    if (v < 0 || v > (1 << 30)) return PF_FAIL(err, PF_ESCHEMA, "attribute %s = %lld: out of range",
                                               name, (long long)v);
    *out = (int)v;
    return 0;
}

static int read_spec(pf_h5id f, pf_model_spec *spec, pf_error *err)
{
    int rank;
    uint64_t dims[PF_H5_MAX_RANK];
    if (read_i32_attr(f, "in_c", &spec->in_c, err) || read_i32_attr(f, "in_h", &spec->in_h, err) ||
        read_i32_attr(f, "in_w", &spec->in_w, err))
        return -1;
    pf_h5id d = pf_h5_dset_open(f, "spec", err);
    if (d < 0 || pf_h5_dset_shape(d, &rank, dims, err) || rank != 1 || dims[0] > 4096) {
        pf_h5_close(d);
        return err && err->code ? -1 : PF_FAIL(err, PF_ESCHEMA, "/spec: not a layer list");
    }
    spec_row *rows = pf_calloc(dims[0] + 1, sizeof *rows);
    pf_h5id t = spec_type();
    int rc = pf_h5_dset_read(d, t, rows, err);
    pf_h5_close(t);
    pf_h5_close(d);
    spec->n_layers = (size_t)dims[0];
    spec->layers = pf_calloc(dims[0] + 1, sizeof *spec->layers);
    for (size_t i = 0; i < spec->n_layers && !rc; i++) {
        pf_layer_spec *s = &spec->layers[i];
        rows[i].kind[sizeof rows[i].kind - 1] = 0;
        if (kind_of(rows[i].kind, &s->kind))
            rc = PF_FAIL(err, PF_ESCHEMA, "/spec[%zu]: unknown layer kind '%s'", i, rows[i].kind);
        s->out = rows[i].out, s->kernel = rows[i].kernel, s->pool = rows[i].pool;
        s->p = rows[i].p, s->k = rows[i].k;
        s->lo = rows[i].lo, s->step = rows[i].step, s->hz = rows[i].hz;
    }
    free(rows);
    return rc;
}

static int read_floats(pf_h5id loc, const char *name, int rank, const int64_t *shape, float *out,
                       pf_error *err)
{
    int r;
    uint64_t dims[PF_H5_MAX_RANK];
    pf_h5id d = pf_h5_dset_open(loc, name, err);
    int rc = d < 0 || pf_h5_dset_shape(d, &r, dims, err) ? -1 : 0;
    for (int i = 0; !rc && i < rank; i++)
        if (r != rank || dims[i] != (uint64_t)shape[i])
            rc = PF_FAIL(err, PF_ESCHEMA, "%s: shape does not match the layer list", name);
    if (!rc && pf_h5_dset_is_half(d)) { /* raw half bits, widened here */
        uint64_t n = 1;
        for (int i = 0; i < rank; i++)
            n *= dims[i];
        uint16_t *h = pf_calloc(n ? n : 1, sizeof *h);
        pf_h5id t = pf_h5_type_half();
        rc = pf_h5_dset_read(d, t, h, err);
        pf_h5_close(t);
        for (uint64_t i = 0; !rc && i < n; i++)
            out[i] = pf_half_to_float(h[i]);
        free(h);
    } else if (!rc) {
        pf_h5id t = pf_h5_type(PF_H5_F32);
        rc = pf_h5_dset_read(d, t, out, err);
        pf_h5_close(t);
    }
    pf_h5_close(d);
    return rc;
}

static int read_params(pf_h5id f, pf_model *m, const pf_model_spec *spec, pf_error *err)
{
    float *p = pf_model_params(m);
    for (size_t i = 0; i < spec->n_layers; i++) {
        pf_param_view v;
        char name[64];
        pf_model_param_view(m, i, &v);
        if (!v.weight_len) continue;
        snprintf(name, sizeof name, "layers/%02zu_%s", i, pf_layer_names[spec->layers[i].kind]);
        pf_h5id g = pf_h5_group_open(f, name, err);
        int rc = g < 0 ? -1 : 0;
        if (!rc)
            rc = read_floats(g, "weight", v.weight_rank, v.weight_shape, p + v.weight_off, err) ||
                 read_floats(g, "bias", 1, (int64_t[]){(int64_t)v.bias_len}, p + v.bias_off, err);
        pf_h5_close(g);
        if (rc) return pf_error_prefix(err, "%s", name);
    }
    return 0;
}

static void copy_str(char *dst, size_t n, char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
    free(src);
}

/* Read /meta's config text (a [1] or scalar string dataset) into meta->config_text. */
static int read_config_text(pf_h5id g, pf_model_meta *meta, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    char *v = NULL;
    pf_h5id ds = pf_h5_dset_open(g, "config", err), t = pf_h5_type_str(0);
    int rc = ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) ? -1 : 0;
    if (!rc && (strcmp(pf_h5_dset_class(ds), "string") || rank > 1 || (rank == 1 && d[0] != 1)))
        rc = PF_FAIL(err, PF_ESCHEMA, "/meta/config is not one string");
    rc = rc || pf_h5_dset_read(ds, t, &v, err);
    if (!rc) meta->config_text = pf_strdup(v ? v : "");
    pf_h5_strs_free(&v, v ? 1 : 0);
    pf_h5_close(t);
    pf_h5_close(ds);
    return rc ? -1 : 0;
}

/* /meta's numeric attributes: absent ones stay 0 (older files); present ones must be scalars. */
static int read_meta_numbers(pf_h5id g, pf_model_meta *meta, pf_error *err)
{
    const struct {
        const char *name;
        pf_h5_kind kind;
        void *out;
    } rows[] = {
        {"bins_lo_midi", PF_H5_F64, &meta->bins_lo_midi},
        {"bins_step", PF_H5_F64, &meta->bins_step},
        {"n_bins", PF_H5_I32, &meta->n_bins},
        /* the training spectrograms (absent in older files: readers assume the defaults) */
        {"sample_rate", PF_H5_F64, &meta->sample_rate},
        {"segment_len", PF_H5_I32, &meta->segment_len},
        {"stft_length", PF_H5_I32, &meta->stft_length},
        {"stft_overlap", PF_H5_I32, &meta->stft_overlap},
        {"stft_nfft", PF_H5_I32, &meta->stft_nfft},
        {"train_threads", PF_H5_I32, &meta->train_threads},
        {"voicing_threshold", PF_H5_F64, &meta->voicing_threshold},
        {"train_ranks", PF_H5_I32, &meta->train_ranks},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (pf_h5_attr_exists(g, rows[i].name) &&
            pf_h5_attr_read_num(g, rows[i].name, rows[i].kind, rows[i].out, err))
            return pf_error_prefix(err, "/meta");
    if (pf_h5_attr_exists(g, "voicing_threshold") &&
        !(meta->voicing_threshold > 0 && meta->voicing_threshold < 1))
        return PF_FAIL(err, PF_ESCHEMA, "/meta: voicing_threshold %g, not in (0, 1)",
                       meta->voicing_threshold);
    return 0;
}

static int read_meta(pf_h5id f, const pf_model_spec *spec, pf_model_meta *meta, pf_error *err)
{
    memset(meta, 0, sizeof *meta);
    if (!pf_h5_exists(f, "meta")) return 0;
    pf_h5id g = pf_h5_group_open(f, "meta", err);
    if (g < 0) return -1;
    copy_str(meta->target, sizeof meta->target, pf_h5_attr_read_str(g, "target", NULL));
    copy_str(meta->input, sizeof meta->input, pf_h5_attr_read_str(g, "input", NULL));
    copy_str(meta->spec_mode, sizeof meta->spec_mode,
             pf_h5_attr_read_str(g, "spectrogram_mode", NULL));
    copy_str(meta->spec_scaling, sizeof meta->spec_scaling,
             pf_h5_attr_read_str(g, "spectrogram_scaling", NULL));
    if (pf_h5_attr_exists(g, "data_manifest_sha256"))
        copy_str(meta->data_sha256, sizeof meta->data_sha256,
                 pf_h5_attr_read_str(g, "data_manifest_sha256", NULL));
    int rc = read_meta_numbers(g, meta, err);
    if (!rc && pf_h5_exists(g, "norm_mean")) {
        int64_t n = spec->in_h;
        meta->norm_len = (size_t)n;
        meta->norm_mean = pf_calloc((size_t)n, sizeof(float));
        meta->norm_std = pf_calloc((size_t)n, sizeof(float));
        rc = read_floats(g, "norm_mean", 1, &n, meta->norm_mean, err) ||
             read_floats(g, "norm_std", 1, &n, meta->norm_std, err);
    }
    if (!rc && pf_h5_exists(g, "config")) rc = read_config_text(g, meta, err);
    pf_h5_close(g);
    return rc ? -1 : 0;
}

static pf_model *load_open(pf_h5id f, const char *path, int batch, int threads,
                           pf_model_spec *spec, pf_model_meta *meta, pf_error *err)
{
    if (check_schema(f, path, err) || read_spec(f, spec, err)) return NULL;
    pf_model *m = pf_model_new(spec, batch, threads, err);
    if (!m) return NULL;
    int rc = read_params(f, m, spec, err);
    if (!rc && read_meta(f, spec, meta, err)) /* name the file: PF_ESCHEMA goes out as is */
        rc = err && err->code == PF_ESCHEMA ? pf_error_prefix(err, "%s", path) : -1;
    if (rc) {
        pf_model_free(m);
        return NULL;
    }
    return m;
}

/* 1 for a model file, 2 for an ensemble file; -1 with @p err naming what @p path is otherwise. */
static int file_kind(pf_h5id f, const char *path, pf_error *err)
{
    if (!pf_h5_attr_exists(f, "schema"))
        return PF_FAIL(err, PF_ESCHEMA, "%s: not a pitchforge model (no schema attribute)", path);
    char *s = pf_h5_attr_read_str(f, "schema", err);
    if (!s) return -1;
    int kind = !strcmp(s, PF_MODEL_SCHEMA) ? 1 : !strcmp(s, PF_ENSEMBLE_SCHEMA) ? 2 : -1;
    if (kind < 0)
        PF_FAIL(err, PF_ESCHEMA,
                "%s: schema '%s', this pitchforge reads '%s' and '%s' only; use the pitchforge "
                "version that wrote it, or retrain",
                path, s, PF_MODEL_SCHEMA, PF_ENSEMBLE_SCHEMA);
    free(s);
    return kind;
}

/* The member count of the ensemble file @p f, each member group present. */
static int member_count(pf_h5id f, const char *path, size_t *n, pf_error *err)
{
    uint64_t v = 0;
    if (pf_h5_attr_read_num(f, "n_members", PF_H5_U64, &v, err)) return -1;
    if (v < 1 || v > PF_ENSEMBLE_MAX)
        return PF_FAIL(err, PF_ESCHEMA, "%s: n_members = %llu, not 1..%d", path,
                       (unsigned long long)v, PF_ENSEMBLE_MAX);
    for (uint64_t i = 0; i < v; i++) {
        char name[32];
        snprintf(name, sizeof name, "members/%02llu", (unsigned long long)i);
        if (!pf_h5_exists(f, name))
            return PF_FAIL(err, PF_ESCHEMA, "%s: /%s is missing", path, name);
    }
    *n = (size_t)v;
    return 0;
}

/* Open @p path and load network @p i (an ensemble only when @p any_kind). */
static pf_model *load_file(const char *path, size_t i, int any_kind, int batch, int threads,
                           pf_model_spec *spec, pf_model_meta *meta, pf_error *err)
{
    pf_h5id f = pf_h5_open(path, 0, err);
    int kind = f < 0 ? -1 : file_kind(f, path, err);
    size_t n = 1;
    pf_model *m = NULL;
    if (kind == 2 && !any_kind)
        PF_FAIL(err, PF_ESCHEMA,
                "%s: an ensemble of models, not one model (eval and predict read it; ensemble "
                "takes model files)",
                path);
    else if (kind == 2 && !member_count(f, path, &n, err) && i >= n)
        PF_FAIL(err, PF_EINVAL, "%s: no member %zu (it holds %zu)", path, i, n);
    else if (kind == 2 && i < n) {
        char name[32];
        snprintf(name, sizeof name, "members/%02zu", i);
        pf_h5id g = pf_h5_group_open(f, name, err);
        m = g < 0 ? NULL : load_open(g, path, batch, threads, spec, meta, err);
        pf_h5_close(g);
    } else if (kind == 1 && i > 0)
        PF_FAIL(err, PF_EINVAL, "%s: one model, no member %zu", path, i);
    else if (kind == 1)
        m = load_open(f, path, batch, threads, spec, meta, err);
    if (f >= 0) pf_h5_close_file(f, NULL);
    return m;
}

/* pf_model_load_member; an ensemble file only when @p any_kind. */
static pf_model *load_checked(const char *path, size_t i, int any_kind, int batch, int threads,
                              pf_model_spec *spec, pf_model_meta *meta, pf_error *err)
{
    pf_model_meta scratch;
    if (!meta) meta = &scratch;
    memset(spec, 0, sizeof *spec);
    memset(meta, 0, sizeof *meta);
    if (access(path, R_OK)) {
        PF_FAIL(err, PF_EIO, "model %s: cannot read the file", path);
        return NULL;
    }
    pf_h5_lock();
    pf_model *m = load_file(path, i, any_kind, batch, threads, spec, meta, err);
    pf_h5_unlock();
    if (!m) {
        pf_model_spec_release(spec);
        pf_model_meta_release(meta);
        if (err && err->code != PF_ESCHEMA) pf_error_prefix(err, "loading model %s", path);
    } else if (meta == &scratch) {
        pf_model_meta_release(meta);
    }
    return m;
}

pf_model *pf_model_load(const char *path, int batch, int threads, pf_model_spec *spec,
                        pf_model_meta *meta, pf_error *err)
{
    return load_checked(path, 0, 0, batch, threads, spec, meta, err);
}

pf_model *pf_model_load_member(const char *path, size_t i, int batch, int threads,
                               pf_model_spec *spec, pf_model_meta *meta, pf_error *err)
{
    return load_checked(path, i, 1, batch, threads, spec, meta, err);
}

int pf_model_file_count(const char *path, size_t *n, pf_error *err)
{
    if (access(path, R_OK)) return PF_FAIL(err, PF_EIO, "model %s: cannot read the file", path);
    pf_h5_lock();
    pf_h5id f = pf_h5_open(path, 0, err);
    int kind = f < 0 ? -1 : file_kind(f, path, err);
    *n = 1;
    int rc = kind < 0 ? -1 : kind == 2 ? member_count(f, path, n, err) : 0;
    if (f >= 0) pf_h5_close_file(f, NULL);
    pf_h5_unlock();
    return rc;
}

/* ---- ensembles ---- */

const char *pf_model_mismatch(const pf_model_spec *sa, const pf_model_meta *a,
                                   const pf_model_spec *sb, const pf_model_meta *b)
{
    if (sa->in_c != sb->in_c || sa->in_h != sb->in_h || sa->in_w != sb->in_w) return "input shape";
    if (a->sample_rate != b->sample_rate || a->segment_len != b->segment_len ||
        a->stft_length != b->stft_length || a->stft_overlap != b->stft_overlap ||
        a->stft_nfft != b->stft_nfft || strcmp(a->spec_mode, b->spec_mode) ||
        strcmp(a->spec_scaling, b->spec_scaling))
        return "spectrogram settings";
    if (strcmp(a->target, b->target) || a->n_bins != b->n_bins ||
        a->bins_lo_midi != b->bins_lo_midi || a->bins_step != b->bins_step)
        return "target (kind or bins)";
    return NULL;
}

/* Every member loads as one model and agrees with the first. */
static int check_members(const char *const *members, size_t n, pf_error *err)
{
    pf_model_spec s0 = {0}, s;
    pf_model_meta m0 = {0}, m;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        pf_model *net = pf_model_load(members[i], 1, 1, i ? &s : &s0, i ? &m : &m0, err);
        if (!net) {
            rc = -1;
            break;
        }
        pf_model_free(net);
        const char *what = i ? pf_model_mismatch(&s0, &m0, &s, &m) : NULL;
        if (what)
            rc = PF_FAIL(err, PF_EINVAL, "%s: its %s differ from those of %s", members[i], what,
                         members[0]);
        if (i) {
            pf_model_spec_release(&s);
            pf_model_meta_release(&m);
        }
    }
    pf_model_spec_release(&s0);
    pf_model_meta_release(&m0);
    return rc;
}

/* Copy model file @p src's root (attributes, spec, layers, meta) to the new group @p name. */
static int copy_member(pf_h5id dst, const char *name, const char *src, pf_error *err)
{
    pf_h5id f = pf_h5_open(src, 0, err);
    pf_h5id g = f < 0 ? PF_H5_NONE : pf_h5_group_create(dst, name, err);
    int rc = g < 0 ? -1 : pf_h5_attr_copy_all(f, g, NULL, 0, err);
    static const char *const parts[] = {"spec", "layers", "meta"};
    for (size_t k = 0; k < 3 && !rc; k++)
        if (pf_h5_exists(f, parts[k])) rc = pf_h5_copy(f, parts[k], g, parts[k], err);
    pf_h5_close(g);
    if (f >= 0) pf_h5_close_file(f, NULL);
    return rc ? pf_error_prefix(err, "%s", src) : 0;
}

typedef struct ensemble_parts {
    const char *const *members;
    size_t n;
} ensemble_parts;

static int write_ensemble(pf_h5id f, const void *ctx, pf_error *err)
{
    const ensemble_parts *p = ctx;
    if (pf_h5_attr_str(f, "schema", PF_ENSEMBLE_SCHEMA, err) ||
        pf_h5_attr_u64(f, "n_members", p->n, err))
        return -1;
    pf_h5id g = pf_h5_group_create(f, "members", err);
    int rc = g < 0 ? -1 : 0;
    for (size_t i = 0; i < p->n && !rc; i++) {
        char name[24];
        snprintf(name, sizeof name, "%02zu", i);
        rc = copy_member(g, name, p->members[i], err);
    }
    pf_h5_close(g);
    return rc;
}

int pf_ensemble_save(const char *path, const char *const *members, size_t n, pf_error *err)
{
    if (n < 1 || n > PF_ENSEMBLE_MAX)
        return PF_FAIL(err, PF_EINVAL, "an ensemble holds 1 to %d models, not %zu", PF_ENSEMBLE_MAX,
                       n);
    if (check_members(members, n, err)) return -1;
    ensemble_parts parts = {members, n};
    return save_file(path, write_ensemble, &parts, err)
               ? pf_error_prefix(err, "saving ensemble %s", path)
               : 0;
}

void pf_model_spec_release(pf_model_spec *spec)
{
    if (!spec) return;
    free(spec->layers);
    spec->layers = NULL;
    spec->n_layers = 0;
}

void pf_model_meta_release(pf_model_meta *meta)
{
    if (!meta) return;
    free(meta->norm_mean);
    free(meta->norm_std);
    free(meta->config_text);
    meta->norm_mean = meta->norm_std = NULL;
    meta->config_text = NULL;
    meta->norm_len = 0;
}
