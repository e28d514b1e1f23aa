/* Spectrograms as float32 from float32, float16 or (store none) /audio: src/store/specsrc.h. */
#include "store/specsrc.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/half.h"
#include "core/mem.h"
#include "pitchforge/manifest.h"

struct pf_spec_source {
    pf_h5id dset;           /**< /spectrogram, or /audio for store none */
    pf_store_spec store;
    size_t rows, size;      /**< examples; floats per example */
    size_t audio_len;       /**< samples per example (store none) */
    float audio_scale;      /**< /audio's `scale`: int16 values are divided by it */
    pf_spectrogram *stft;   /**< store none: the engine */
    void *buf;              /**< raw rows (halves or audio floats) */
    size_t buf_bytes;
};

/** Index of @p name in NULL-terminated @p names, or -1. */
static int name_index(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

/** Read integer attribute @p name of @p root into @p out. */
static int attr_int(pf_h5id root, const char *name, int *out, pf_error *err)
{
    int64_t v = 0;
    if (!pf_h5_attr_exists(root, name))
        return PF_FAIL(err, PF_ESCHEMA, "no root attribute %s", name);
    if (pf_h5_attr_read_num(root, name, PF_H5_I64, &v, err)) return -1;
    *out = (int)v;
    return 0;
}

/** Read string attribute @p name of @p root and find it in @p names. */
static int attr_enum(pf_h5id root, const char *name, const char *const *names, int *out,
                     pf_error *err)
{
    char *s = pf_h5_attr_exists(root, name) ? pf_h5_attr_read_str(root, name, NULL) : NULL;
    *out = s ? name_index(names, s) : -1;
    int rc = *out < 0 ? PF_FAIL(err, PF_ESCHEMA, "root attribute %s is %s%s%s", name,
                                s ? "'" : "", s ? s : "missing", s ? "', not a known name" : "")
                      : 0;
    free(s);
    return rc;
}

int pf_spec_config_read(pf_h5id root, pf_spec_config *cfg, pf_error *err)
{
    int mode, scaling, rc;
    memset(cfg, 0, sizeof *cfg);
    pf_h5_lock();
    rc = attr_int(root, "stft_length", &cfg->length, err) ||
         attr_int(root, "stft_overlap", &cfg->overlap, err) ||
         attr_int(root, "stft_nfft", &cfg->nfft, err) ||
         pf_h5_attr_read_num(root, "sample_rate", PF_H5_F64, &cfg->rate_hz, err) ||
         attr_enum(root, "spectrogram_mode", pf_spec_mode_names, &mode, err) ||
         attr_enum(root, "spectrogram_scaling", pf_spec_scaling_names, &scaling, err);
    pf_h5_unlock();
    cfg->mode = rc ? PF_SPEC_MAGNITUDE : (pf_spec_mode)mode;
    cfg->scaling = rc ? PF_SCALE_DENSITY : (pf_spec_scaling)scaling;
    return rc ? -1 : 0;
}

/** Rank and dims of dataset @p name under @p g into @p rank, @p d. */
static int dset_dims(pf_h5id g, const char *name, int *rank, uint64_t d[PF_H5_MAX_RANK],
                     pf_error *err)
{
    pf_h5id ds = pf_h5_dset_open(g, name, err);
    int rc = ds < 0 || pf_h5_dset_shape(ds, rank, d, err) ? -1 : 0;
    pf_h5_close(ds);
    return rc;
}

/** 0 when @p info's rows fit in memory sizes: planes * bins * frames floats and audio_len floats
 *  without wrapping size_t (a crafted file's dims would wrap every buffer computed from them). */
static int check_row_sizes(const pf_shard_info *info, pf_error *err)
{
    size_t s;
    if (pf_mul_size(info->planes, info->bins, &s) || pf_mul_size(s, info->frames, &s) ||
        pf_mul_size(s, sizeof(float), &s) || pf_mul_size(info->audio_len, sizeof(float), &s))
        return PF_FAIL(err, PF_ESCHEMA,
                       "/spectrogram rows of %zu x %zu x %zu or /audio rows of %zu: too large",
                       info->planes, info->bins, info->frames, info->audio_len);
    return 0;
}

/** The shape of the spectrograms of a group without /spectrogram: from /audio and the STFT. */
static int shape_from_audio(pf_h5id root, pf_shard_info *info, pf_error *err)
{
    pf_spec_config cfg;
    if (!info->audio_len)
        return PF_FAIL(err, PF_ESCHEMA, "neither /spectrogram nor /audio");
    if (pf_spec_config_read(root, &cfg, err)) return -1;
    pf_spec_shape(&cfg, info->audio_len, &info->bins, &info->frames);
    info->planes = cfg.mode == PF_SPEC_COMPLEX ? 2 : 1;
    info->store_spec = PF_SPEC_STORE_NONE;
    if (check_row_sizes(info, err)) return -1;
    if (!info->frames)
        return PF_FAIL(err, PF_ESCHEMA, "/audio rows of %zu samples are shorter than stft_length",
                       info->audio_len);
    return 0;
}

/** pf_spec_source_shape under the HDF5 lock. */
static int shape_locked(pf_h5id root, pf_h5id g, pf_shard_info *info, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    info->audio_len = 0;
    if (pf_h5_exists(g, "audio")) {
        if (dset_dims(g, "audio", &rank, d, err)) return -1;
        if (rank != 2) return PF_FAIL(err, PF_ESCHEMA, "/audio has rank %d, not 2", rank);
        info->n = d[0], info->audio_len = d[1];
    }
    if (!pf_h5_exists(g, "spectrogram")) return shape_from_audio(root, info, err);
    if (dset_dims(g, "spectrogram", &rank, d, err)) return -1;
    if (rank < 3 || rank > 4)
        return PF_FAIL(err, PF_ESCHEMA, "/spectrogram has rank %d, not 3 or 4", rank);
    if (rank == 4 && d[1] != 2)
        return PF_FAIL(err, PF_ESCHEMA, "/spectrogram has %" PRIu64 " planes, not 2 (complex)",
                       d[1]);
    info->n = d[0];
    info->planes = rank == 4 ? d[1] : 1;
    info->bins = d[rank - 2];
    info->frames = d[rank - 1];
    if (check_row_sizes(info, err)) return -1;
    pf_h5id ds = pf_h5_dset_open(g, "spectrogram", err);
    info->store_spec = pf_h5_dset_is_half(ds) ? PF_SPEC_STORE_FLOAT16 : PF_SPEC_STORE_FLOAT32;
    pf_h5_close(ds);
    return 0;
}

int pf_spec_source_shape(pf_h5id root, pf_h5id g, pf_shard_info *info, pf_error *err)
{
    pf_h5_lock();
    int rc = shape_locked(root, g, info, err);
    pf_h5_unlock();
    return rc;
}

/** Set up the STFT engine and /audio's scale of a store-none source. */
static int open_audio(pf_spec_source *s, pf_h5id root, pf_h5id g, pf_error *err)
{
    pf_spec_config cfg;
    double scale = 1;
    if (pf_spec_config_read(root, &cfg, err)) return -1;
    pf_h5_lock();
    s->dset = pf_h5_dset_open(g, "audio", err);
    int rc = s->dset < 0 ? -1 : 0;
    if (!rc && pf_h5_attr_exists(s->dset, "scale"))
        rc = pf_h5_attr_read_num(s->dset, "scale", PF_H5_F64, &scale, err);
    pf_h5_unlock();
    if (rc) return -1;
    s->audio_scale = (float)scale;
    s->stft = pf_spectrogram_new(&cfg, s->audio_len, err);
    if (!s->stft) return -1;
    if (pf_spectrogram_size(s->stft) != s->size)
        return PF_FAIL(err, PF_ESCHEMA, "the STFT attributes give %zu values an example, not %zu",
                       pf_spectrogram_size(s->stft), s->size);
    return 0;
}

pf_spec_source *pf_spec_source_open(pf_h5id root, pf_h5id g, pf_error *err)
{
    pf_shard_info info;
    memset(&info, 0, sizeof info);
    if (pf_spec_source_shape(root, g, &info, err)) return NULL;
    pf_spec_source *s = pf_calloc(1, sizeof *s);
    s->store = info.store_spec;
    s->rows = info.n;
    s->size = info.planes * info.bins * info.frames;
    s->audio_len = info.audio_len;
    s->dset = PF_H5_NONE;
    int rc;
    if (s->store == PF_SPEC_STORE_NONE) {
        rc = open_audio(s, root, g, err);
    } else {
        pf_h5_lock();
        s->dset = pf_h5_dset_open(g, "spectrogram", err);
        pf_h5_unlock();
        rc = s->dset < 0 ? -1 : 0;
    }
    if (rc) {
        pf_spec_source_free(s);
        return NULL;
    }
    return s;
}

size_t pf_spec_source_size(const pf_spec_source *s) { return s->size; }
size_t pf_spec_source_rows(const pf_spec_source *s) { return s->rows; }
pf_store_spec pf_spec_source_store(const pf_spec_source *s) { return s->store; }

/** s->buf with room for @p bytes. */
static void *buf_room(pf_spec_source *s, size_t bytes)
{
    if (bytes > s->buf_bytes) {
        free(s->buf);
        s->buf = pf_malloc(bytes);
        s->buf_bytes = bytes;
    }
    return s->buf;
}

/** Read @p count rows from @p first of s->dset as @p kind (half: 2-byte floats) into @p out. */
static int read_rows(pf_spec_source *s, int half, size_t first, size_t count, void *out,
                     pf_error *err)
{
    pf_h5_lock();
    pf_h5id t = half ? pf_h5_type_half() : pf_h5_type(PF_H5_F32);
    int rc = pf_h5_dset_read_rows(s->dset, t, first, count, out, err);
    pf_h5_close(t);
    pf_h5_unlock();
    return rc;
}

/** The STFT of @p count audio rows read from @p first, as generate computed it. */
static int read_computed(pf_spec_source *s, size_t first, size_t count, float *out, pf_error *err)
{
    size_t n;
    if (pf_mul_size(count, s->audio_len * sizeof(float), &n)) abort();
    float *a = buf_room(s, n);
    if (read_rows(s, 0, first, count, a, err)) return -1;
    for (size_t i = 0; i < count * s->audio_len; i++)
        a[i] = a[i] / s->audio_scale; /* int16 q -> q / 32768, as generate's quantize() */
    for (size_t r = 0; r < count; r++)
        if (pf_spectrogram_compute(s->stft, a + r * s->audio_len, s->audio_len, out + r * s->size,
                                   err))
            return -1;
    return 0;
}

int pf_spec_source_read(pf_spec_source *s, size_t first, size_t count, float *out,
                        pf_error *err)
{
    size_t n;
    if (!s || (!out && count)) return PF_FAIL(err, PF_EINVAL, "pf_spec_source_read: NULL argument");
    if (first > s->rows || count > s->rows - first)
        return PF_FAIL(err, PF_EINVAL, "examples %zu..%zu of %zu", first, first + count, s->rows);
    if (!count) return 0;
    if (s->store == PF_SPEC_STORE_FLOAT32) return read_rows(s, 0, first, count, out, err);
    if (s->store == PF_SPEC_STORE_NONE) return read_computed(s, first, count, out, err);
    if (pf_mul_size(count, s->size * sizeof(uint16_t), &n)) abort();
    uint16_t *h = buf_room(s, n);
    if (read_rows(s, 1, first, count, h, err)) return -1;
    pf_floats_from_halfs(h, count * s->size, out);
    return 0;
}

void pf_spec_source_free(pf_spec_source *s)
{
    if (!s) return;
    pf_h5_lock();
    pf_h5_close(s->dset);
    pf_h5_unlock();
    pf_spectrogram_free(s->stft);
    free(s->buf);
    free(s);
}
