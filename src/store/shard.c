/* Shards (schema pitchforge-shard/2, DESIGN §4): the writer and the readers. */
#include "pitchforge/shard.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/half.h"
#include "core/mem.h"
#include "core/fs.h"
#include "core/util.h"
#include "io/h5.h"
#include "store/rowsum.h"
#include "store/describe.h"
#include "store/schema.h"
#include "store/specsrc.h"
#include "pitchforge/checksum.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/spectrogram.h"

const char *const pf_store_spec_names[] = {"float32", "float16", "none", NULL};

/* ---- the label columns ---- */

/** How a label column is stored. */
typedef enum col_type { COL_NUM, COL_STR, COL_SEGMENT, COL_BOOL, COL_CHECK, COL_SOURCE } col_type;

/** One /labels/<name> dataset: its pf_label field and its HDF5 type. */
typedef struct label_col {
    const char *name;
    col_type type;
    pf_h5_kind kind; /**< element kind for COL_NUM */
    size_t offset, size;
} label_col;

// clang-format off
#define COL(field, type, kind) \
    {#field, type, kind, offsetof(pf_label, field), sizeof(((pf_label *)0)->field)}
// clang-format on

/** Every label column, DESIGN §4 order, then our extras. */
static const label_col cols[] = {
    COL(f0_hz, COL_NUM, PF_H5_F64),
    COL(midi, COL_NUM, PF_H5_I16),
    COL(cents, COL_NUM, PF_H5_F32),
    COL(octave, COL_NUM, PF_H5_I8),
    COL(pitch_class, COL_NUM, PF_H5_I8),
    COL(velocity, COL_NUM, PF_H5_U8),
    COL(program, COL_NUM, PF_H5_U8),
    COL(bank, COL_NUM, PF_H5_U16),
    COL(soundfont, COL_NUM, PF_H5_U8),
    COL(instrument, COL_STR, 0),
    COL(segment, COL_SEGMENT, 0),
    COL(example_id, COL_NUM, PF_H5_U64),
    COL(rms_dbfs, COL_NUM, PF_H5_F32),
    COL(volume, COL_NUM, PF_H5_F32),
    COL(strip_fundamental, COL_BOOL, 0),
    COL(noise_snr_db, COL_NUM, PF_H5_F32),
    COL(segment_offset, COL_NUM, PF_H5_I32),
    COL(measured_f0_hz, COL_NUM, PF_H5_F32),
    COL(pitch_error_cents, COL_NUM, PF_H5_F32),
    COL(pitch_check, COL_CHECK, 0),
    COL(source, COL_SOURCE, 0),
};
#define N_COLS (sizeof cols / sizeof cols[0])

/** The HDF5 type (memory and file) of column @p c; pf_h5_close it. */
static pf_h5id col_type_id(const label_col *c)
{
    switch (c->type) {
    case COL_STR:
        return pf_h5_type_str(0);
    case COL_SEGMENT:
        return pf_h5_type_enum(PF_H5_I8, pf_segment_names, PF_SEG_COUNT);
    case COL_BOOL:
        return pf_h5_type_bool();
    case COL_SOURCE:
        return pf_h5_type_enum(PF_H5_U8, pf_source_names, PF_SOURCE_COUNT);
    case COL_CHECK:
        return pf_h5_type_enum(PF_H5_U8, pf_pitch_check_names, PF_PITCH_CHECK_COUNT);
    default:
        return pf_h5_type(c->kind);
    }
}

/* ---- the writer ---- */

struct pf_shard_writer {
    char *path, *tmp;
    pf_h5id file, spec, audio;
    size_t spec_len, planes_bins, frames, audio_len;
    pf_store_audio store_audio;
    pf_store_spec store_spec;
    uint16_t *half;   /**< [spec_len] the example as stored (float16) */
    float *rounded;   /**< [spec_len] the same widened back: what readers get, summed in /stats */
    int gzip;         /**< filters on: append through HDF5's pipeline, else raw chunks */
    size_t extent;    /**< rows allocated in the raw-chunk datasets (>= n; trimmed at commit) */
    pf_label *labels; /**< [n] buffered, instrument strings owned, f0_frames NULL */
    float *f0_frames; /**< [cap][frames] buffered per-column f0 (/labels/f0_frames) */
    size_t n, cap;
    double *sum, *sumsq, *log_sum, *log_sumsq; /**< [planes*bins] each */
    uint64_t rejected[PF_REJECT_COUNT];
    pf_axes axes;              /**< the grid of /freq_hz and /time_s, written at commit */
    char mode[32], scaling[32]; /**< axes.mode and axes.scaling point here */
};

/** Check @p meta's shape fields and enumerations. */
static int meta_check(const pf_shard_meta *m, pf_error *err)
{
    size_t len;
    if (!m->bins || !m->frames || (m->planes != 1 && m->planes != 2))
        return PF_FAIL(err, PF_EINVAL,
                       "shard: bad spectrogram shape planes=%zu bins=%zu "
                       "frames=%zu (planes must be 1 or 2, bins and frames > 0)",
                       m->planes, m->bins, m->frames);
    if (pf_mul_size(m->planes * m->bins, m->frames, &len) || len > PF_SHARD_MAX_SPEC_VALUES)
        return PF_FAIL(err, PF_EINVAL, "shard: spectrogram of %zux%zux%zu is too large", m->planes,
                       m->bins, m->frames);
    if (m->store_audio > PF_AUDIO_FLOAT32 || (m->store_audio && !m->audio_len))
        return PF_FAIL(err, PF_EINVAL, "shard: store_audio %d with audio_len %zu",
                       (int)m->store_audio, m->audio_len);
    if (m->store_spec > PF_SPEC_STORE_NONE || (m->store_spec == PF_SPEC_STORE_NONE && !m->store_audio))
        return PF_FAIL(err, PF_EINVAL,
                       "shard: store_spec %d with store_audio %d (a shard without a spectrogram "
                       "needs its audio)",
                       (int)m->store_spec, (int)m->store_audio);
    if (m->gzip < 0 || m->gzip > 9)
        return PF_FAIL(err, PF_EINVAL, "shard: gzip level %d is not 0..9", m->gzip);
    if (!m->split ||
        (strcmp(m->split, "train") && strcmp(m->split, "val") && strcmp(m->split, "test")))
        return PF_FAIL(err, PF_EINVAL, "shard: split '%s' is not train, val or test",
                       m->split ? m->split : "(null)");
    return 0;
}

/** Write the string attributes of @p m (root of a shard). */
static int meta_write_strings(pf_h5id f, const pf_shard_meta *m, pf_error *err)
{
    const struct {
        const char *name, *value;
    } s[] = {
        {"schema", PF_SHARD_SCHEMA},
        {"generator_version", m->generator_version},
        {"manifest", m->manifest_text},
        {"manifest_sha256", m->manifest_sha256},
        {"fluidsynth_version", m->fluidsynth_version},
        {"libsamplerate_version", m->libsamplerate_version},
        {"resampler", m->resampler},
        {"resampler_version", m->resampler_version},
        {"fftw_version", m->fftw_version},
        {"hdf5_version", pf_hdf5_version()},
        {"stft_window", "hann"},
        {"spectrogram_mode", m->spectrogram_mode},
        {"spectrogram_scaling", m->spectrogram_scaling},
        {"split", m->split},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        if (pf_h5_attr_str(f, s[i].name, s[i].value ? s[i].value : "", err)) return -1;
    return 0;
}

/** What /audio of @p store is divided by to give the float signal. */
static double audio_scale(pf_store_audio store)
{
    return store == PF_AUDIO_INT16 ? PF_AUDIO_INT16_SCALE : 1.0;
}

/** Write every root attribute known at creation (counts come at commit). */
static int meta_write(pf_h5id f, const pf_shard_meta *m, pf_error *err)
{
    const char *const empty[1] = {""};
    if (meta_write_strings(f, m, err) ||
        pf_h5_attr_strs(f, "soundfont_ids", m->n_soundfonts ? m->soundfont_ids : empty,
                        m->n_soundfonts, err) ||
        pf_h5_attr_strs(f, "soundfont_sha256", m->n_soundfonts ? m->soundfont_sha256 : empty,
                        m->n_soundfonts, err) ||
        pf_h5_attr_u64(f, "seed", m->seed, err) ||
        pf_h5_attr_f64(f, "sample_rate", m->sample_rate, err) ||
        pf_h5_attr_i64(f, "stft_length", m->stft_length, err) ||
        pf_h5_attr_i64(f, "stft_overlap", m->stft_overlap, err) ||
        pf_h5_attr_i64(f, "stft_nfft", m->stft_nfft, err) ||
        pf_h5_attr_i64(f, "shard_index", m->shard_index, err) ||
        pf_h5_attr_i64(f, "shard_count", m->shard_count, err) ||
        pf_h5_attr_i64(f, "steady_pitch", m->steady_pitch, err) ||
        (m->store_audio && pf_h5_attr_f64(f, "audio_scale", audio_scale(m->store_audio), err)))
        return -1;
    if (m->audit_keys_off && *m->audit_keys_off)
        return pf_h5_attr_str(f, "audit_keys_off", m->audit_keys_off, err);
    return 0;
}

/** The element type of /spectrogram for @p store (float32 or IEEE half); pf_h5_close it. */
static pf_h5id spec_type(pf_store_spec store)
{
    return store == PF_SPEC_STORE_FLOAT16 ? pf_h5_type_half() : pf_h5_type(PF_H5_F32);
}

/** Create the extendible /spectrogram (unless store_spec is none). */
static int spec_create(pf_shard_writer *w, const pf_shard_meta *m, pf_error *err)
{
    uint64_t dims[4] = {0, m->planes, m->bins, m->frames},
             chunk[4] = {1, m->planes, m->bins, m->frames};
    int rank = m->planes == 2 ? 4 : 3;
    if (rank == 3) dims[1] = chunk[1] = m->bins, dims[2] = chunk[2] = m->frames;
    if (m->store_spec == PF_SPEC_STORE_NONE) return 0;
    pf_h5_layout lay = {chunk, 1, m->gzip};
    pf_h5id t = spec_type(m->store_spec);
    w->spec = pf_h5_dset_create(w->file, "spectrogram", t, rank, dims, &lay, err);
    pf_h5_close(t);
    return w->spec < 0 ? -1 : 0;
}

/** Create the extendible /spectrogram and (when stored) /audio datasets. */
static int data_create(pf_shard_writer *w, const pf_shard_meta *m, pf_error *err)
{
    if (spec_create(w, m, err)) return -1;
    if (!m->store_audio) return 0;
    uint64_t adims[2] = {0, m->audio_len}, achunk[2] = {1, m->audio_len};
    pf_h5_layout alay = {achunk, 1, m->gzip};
    pf_h5id t = pf_h5_type(m->store_audio == PF_AUDIO_INT16 ? PF_H5_I16 : PF_H5_F32);
    w->audio = pf_h5_dset_create(w->file, "audio", t, 2, adims, &alay, err);
    pf_h5_close(t);
    if (w->audio < 0) return -1;
    return pf_h5_attr_f64(w->audio, "scale", audio_scale(m->store_audio), err);
}

/** Allocate a writer for @p path with its buffers sized from @p m. */
static pf_shard_writer *writer_new(const char *path, const pf_shard_meta *m)
{
    pf_shard_writer *w = pf_calloc(1, sizeof *w);
    size_t pb = m->planes * m->bins;
    w->path = pf_strdup(path);
    w->tmp = pf_malloc(strlen(path) + 5);
    strcpy(w->tmp, path);
    strcat(w->tmp, ".tmp");
    w->file = w->spec = w->audio = PF_H5_NONE;
    w->planes_bins = pb;
    w->frames = m->frames;
    w->spec_len = pb * m->frames;
    w->audio_len = m->audio_len;
    w->store_audio = m->store_audio;
    w->store_spec = m->store_spec;
    if (w->store_spec == PF_SPEC_STORE_FLOAT16) {
        w->half = pf_calloc(w->spec_len, sizeof *w->half);
        w->rounded = pf_calloc(w->spec_len, sizeof *w->rounded);
    }
    w->gzip = m->gzip;
    snprintf(w->mode, sizeof w->mode, "%s", m->spectrogram_mode ? m->spectrogram_mode : "");
    snprintf(w->scaling, sizeof w->scaling, "%s",
             m->spectrogram_scaling ? m->spectrogram_scaling : "");
    w->axes = (pf_axes){.rate_hz = m->sample_rate, .length = m->stft_length,
                        .overlap = m->stft_overlap, .nfft = m->stft_nfft, .bins = m->bins,
                        .frames = m->frames, .planes = m->planes, .mode = w->mode,
                        .scaling = w->scaling};
    w->sum = pf_calloc(pb, sizeof(double));
    w->sumsq = pf_calloc(pb, sizeof(double));
    w->log_sum = pf_calloc(pb, sizeof(double));
    w->log_sumsq = pf_calloc(pb, sizeof(double));
    return w;
}

/** Free a writer's memory (files are handled by the callers). */
static void writer_free(pf_shard_writer *w)
{
    for (size_t i = 0; i < w->n; i++)
        free((char *)w->labels[i].instrument);
    free(w->labels);
    free(w->f0_frames);
    free(w->half);
    free(w->rounded);
    free(w->sum);
    free(w->sumsq);
    free(w->log_sum);
    free(w->log_sumsq);
    free(w->path);
    free(w->tmp);
    free(w);
}

pf_shard_writer *pf_shard_create(const char *path, const pf_shard_meta *meta, pf_error *err)
{
    if (!path || !meta) {
        PF_FAIL(err, PF_EINVAL, "pf_shard_create: NULL %s", path ? "meta" : "path");
        return NULL;
    }
    if (meta_check(meta, err)) return NULL;
    pf_shard_writer *w = writer_new(path, meta);
    pf_h5_lock();
    w->file = pf_h5_create(w->tmp, err);
    int rc = w->file < 0 || meta_write(w->file, meta, err) || data_create(w, meta, err);
    pf_h5_unlock();
    if (rc) {
        pf_shard_abort(w);
        return NULL;
    }
    return w;
}

/** Add example @p spec to the per-bin sums, bin by bin and frame by frame (a fixed order). */
static void stats_add(pf_shard_writer *w, const float *spec)
{
    float lrow[1024];
    for (size_t b = 0; b < w->planes_bins; b++) {
        const float *row = spec + b * w->frames;
        double s = 0, ss = 0, ls = 0, lss = 0;
        for (size_t f0 = 0; f0 < w->frames; f0 += 1024) {
            size_t nf = w->frames - f0 < 1024 ? w->frames - f0 : 1024;
            for (size_t f = 0; f < nf; f++)
                lrow[f] = fabsf(row[f0 + f]);
            pf_ln_eps(lrow, nf);
            pf_sum2(lrow, nf, &ls, &lss);
        }
        pf_sum2(row, w->frames, &s, &ss);
        w->sum[b] += s;
        w->sumsq[b] += ss;
        w->log_sum[b] += ls;
        w->log_sumsq[b] += lss;
    }
}

/** Check the per-column f0 of @p l (@p frames values, or f0_hz when NULL): finite, >= 0. */
static int f0_frames_check(const pf_label *l, size_t frames, pf_error *err)
{
    for (size_t k = 0; k < (l->f0_frames ? frames : 1); k++) {
        double v = l->f0_frames ? l->f0_frames[k] : l->f0_hz;
        if (!isfinite(v) || v < 0)
            return PF_FAIL(err, PF_EINVAL,
                           "shard: example %" PRIu64 " has %s %g (f0 must be finite and >= 0, "
                           "0 = unvoiced)",
                           l->example_id, l->f0_frames ? "f0_frames value" : "f0_hz", v);
    }
    return 0;
}

/** Check the enumerated fields of @p l and its per-column f0. */
static int label_check(const pf_label *l, size_t frames, pf_error *err)
{
    if (l->segment >= PF_SEG_COUNT || l->pitch_check >= PF_PITCH_CHECK_COUNT ||
        l->strip_fundamental > 1)
        return PF_FAIL(err, PF_EINVAL,
                       "shard: example %" PRIu64 " has segment %u, pitch_check "
                       "%u, strip_fundamental %u (out of range)",
                       l->example_id, l->segment, l->pitch_check, l->strip_fundamental);
    return f0_frames_check(l, frames, err);
}

/** Append through HDF5's type conversion and filter pipeline (compressed shards); @p spec is
 *  the example as stored (floats, or half bits), NULL for none. */
static int append_converted(pf_shard_writer *w, const void *spec, const void *audio, pf_error *err)
{
    pf_h5id ft = spec_type(w->store_spec);
    pf_h5id at = pf_h5_type(w->store_audio == PF_AUDIO_INT16 ? PF_H5_I16 : PF_H5_F32);
    int rc = spec ? pf_h5_dset_append(w->spec, ft, spec, 1, err) : 0;
    if (!rc && w->store_audio) rc = pf_h5_dset_append(w->audio, at, audio, 1, err);
    pf_h5_close(ft);
    pf_h5_close(at);
    return rc;
}

/** Set the row count of /spectrogram and /audio. */
static int resize_data(pf_shard_writer *w, size_t rows, pf_error *err)
{
    if (w->spec >= 0 && pf_h5_dset_resize(w->spec, rows, err)) return -1;
    return w->store_audio ? pf_h5_dset_resize(w->audio, rows, err) : 0;
}

/** Append as raw one-example chunks (uncompressed shards: the file types are the native ones);
 *  the extent grows 256 rows at a time and is trimmed to the count at commit. */
static int append_raw(pf_shard_writer *w, const void *spec, const void *audio, pf_error *err)
{
    size_t sample = w->store_audio == PF_AUDIO_INT16 ? sizeof(int16_t) : sizeof(float);
    size_t value = w->store_spec == PF_SPEC_STORE_FLOAT16 ? sizeof(uint16_t) : sizeof(float);
    if (w->n == w->extent && resize_data(w, w->extent += 256, err)) return -1;
    if (spec && pf_h5_dset_write_chunk(w->spec, w->n, spec, w->spec_len * value, err)) return -1;
    return w->store_audio ? pf_h5_dset_write_chunk(w->audio, w->n, audio, w->audio_len * sample, err)
                          : 0;
}

/** Buffer @p label (and its f0 per column: f0_hz at each when f0_frames is NULL) as row n. */
static void labels_add(pf_shard_writer *w, const pf_label *label)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? 2 * w->cap : 64;
        w->labels = pf_reallocarray(w->labels, w->cap, sizeof *w->labels);
        w->f0_frames = pf_reallocarray(w->f0_frames, w->cap, w->frames * sizeof *w->f0_frames);
    }
    float *row = w->f0_frames + w->n * w->frames;
    for (size_t k = 0; k < w->frames; k++)
        row[k] = label->f0_frames ? label->f0_frames[k] : (float)label->f0_hz;
    w->labels[w->n] = *label;
    w->labels[w->n].f0_frames = NULL;
    w->labels[w->n++].instrument = pf_strdup(label->instrument ? label->instrument : "");
}

int pf_shard_append(pf_shard_writer *w, const pf_label *label, const float *spec, const void *audio,
                    pf_error *err)
{
    if (!w || !label || !spec || (w->store_audio && !audio))
        return PF_FAIL(err, PF_EINVAL, "pf_shard_append: NULL argument");
    if (label_check(label, w->frames, err)) return -1;
    const void *stored = w->store_spec == PF_SPEC_STORE_NONE ? NULL : spec;
    if (w->store_spec == PF_SPEC_STORE_FLOAT16) { /* round, and sum what readers will get */
        pf_halfs_from_floats(spec, w->spec_len, w->half);
        pf_floats_from_halfs(w->half, w->spec_len, w->rounded);
        stored = w->half, spec = w->rounded;
    }
    pf_h5_lock();
    int rc = w->gzip ? append_converted(w, stored, audio, err) : append_raw(w, stored, audio, err);
    pf_h5_unlock();
    if (rc) return pf_error_prefix(err, "example %zu", w->n);
    stats_add(w, spec);
    labels_add(w, label);
    return 0;
}

void pf_shard_count_reject(pf_shard_writer *w, pf_reject reason, uint64_t count)
{
    if (w && reason < PF_REJECT_COUNT) w->rejected[reason] += count;
}

/** Write column @p c of the buffered labels as /labels/<name>. */
static int labels_write_col(pf_shard_writer *w, pf_h5id g, const label_col *c, pf_error *err)
{
    unsigned char *buf = pf_calloc(w->n ? w->n : 1, c->size);
    for (size_t i = 0; i < w->n; i++)
        memcpy(buf + i * c->size, (const unsigned char *)&w->labels[i] + c->offset, c->size);
    pf_h5id t = col_type_id(c);
    int rc = pf_h5_write_1d(g, c->name, t, w->n, buf, err);
    pf_h5_close(t);
    free(buf);
    return rc;
}

/** Write /labels/f0_frames: float32 [n, frames], contiguous (written once, read by rows). */
static int labels_write_f0_frames(pf_shard_writer *w, pf_h5id g, pf_error *err)
{
    uint64_t dims[2] = {w->n, w->frames};
    pf_h5id t = pf_h5_type(PF_H5_F32);
    pf_h5id ds = pf_h5_dset_create(g, "f0_frames", t, 2, dims, NULL, err);
    int rc = ds < 0 || (w->n && pf_h5_dset_write(ds, t, w->f0_frames, err)) ? -1 : 0;
    pf_h5_close(ds);
    pf_h5_close(t);
    return rc;
}

/** Write the /labels group. */
static int labels_write(pf_shard_writer *w, pf_error *err)
{
    pf_h5id g = pf_h5_group_create(w->file, "labels", err);
    int rc = g < 0 ? -1 : 0;
    for (size_t i = 0; i < N_COLS && !rc; i++)
        rc = labels_write_col(w, g, &cols[i], err);
    rc = rc || labels_write_f0_frames(w, g, err);
    pf_h5_close(g);
    return rc;
}

/** Write the /stats group: per-bin sums and the count of values behind each. */
static int stats_write(pf_shard_writer *w, pf_error *err)
{
    size_t pb = w->planes_bins;
    uint64_t *count = pf_calloc(pb, sizeof *count);
    for (size_t b = 0; b < pb; b++)
        count[b] = (uint64_t)w->n * w->frames;
    pf_h5id g = pf_h5_group_create(w->file, "stats", err);
    pf_h5id d = pf_h5_type(PF_H5_F64), u = pf_h5_type(PF_H5_U64);
    int rc = g < 0 || pf_h5_write_1d(g, "sum", d, pb, w->sum, err) ||
             pf_h5_write_1d(g, "sumsq", d, pb, w->sumsq, err) ||
             pf_h5_write_1d(g, "log_sum", d, pb, w->log_sum, err) ||
             pf_h5_write_1d(g, "log_sumsq", d, pb, w->log_sumsq, err) ||
             pf_h5_write_1d(g, "count", u, pb, count, err);
    pf_h5_close(d);
    pf_h5_close(u);
    pf_h5_close(g);
    free(count);
    return rc ? -1 : 0;
}

/** Write n_examples and rejected_<reason> on the root. */
static int counts_write(pf_shard_writer *w, pf_error *err)
{
    char name[64];
    for (int r = 0; r < PF_REJECT_COUNT; r++) {
        snprintf(name, sizeof name, "rejected_%s", pf_reject_names[r]);
        if (pf_h5_attr_u64(w->file, name, w->rejected[r], err)) return -1;
    }
    return pf_h5_attr_u64(w->file, "n_examples", w->n, err);
}

/** Flush and close the shard's temp file (under the HDF5 lock). */
static int shard_close(pf_shard_writer *w, pf_error *err)
{
    pf_h5id f = w->file;
    w->file = w->spec = w->audio = PF_H5_NONE;
    return pf_h5_finish(f, err);
}

int pf_shard_commit(pf_shard_writer *w, char sha256_hex[65], pf_error *err)
{
    if (!w) return PF_FAIL(err, PF_EINVAL, "pf_shard_commit: NULL writer");
    pf_h5_lock();
    int rc = (w->extent != w->n && resize_data(w, w->n, err)) || labels_write(w, err) ||
             stats_write(w, err) || counts_write(w, err) ||
             pf_describe_axes(w->file, &w->axes, err) ||
             pf_describe_data(w->file, "", &w->axes, err) ||
             pf_describe_stats(w->file, &w->axes, 0, err) || shard_close(w, err);
    pf_h5_unlock();
    /* outside the lock, so other workers keep writing their shards meanwhile: the disk writes
     * start, the closed file is hashed while they run, then fsync (with less left to wait for)
     * and rename */
    if (!rc && sha256_hex) {
        pf_file_writeback_start(w->tmp);
        rc = pf_sha256_file(w->tmp, sha256_hex, err);
    }
    if (rc || pf_file_publish(w->tmp, w->path, err)) {
        pf_error_prefix(err, "shard %s not written", w->path);
        pf_shard_abort(w);
        return -1;
    }
    /* hashed and on disk: nothing reads it again during the run, and its freed pages serve the
     * next shard (fresh page-cache pages cost several times more to fill on a new VM) */
    pf_file_drop_cache(w->path);
    writer_free(w);
    return 0;
}

void pf_shard_abort(pf_shard_writer *w)
{
    if (!w) return;
    pf_h5_lock();
    pf_h5_close(w->file); /* strong close degree: closes the datasets too */
    pf_h5_unlock();
    unlink(w->tmp);
    writer_free(w);
}

/* ---- readers ---- */

/** Open @p path read-only and check its schema. */
static pf_h5id open_checked(const char *path, const char *schema, pf_error *err)
{
    pf_h5id f = pf_h5_open(path, 0, err);
    if (f >= 0 && pf_schema_check(f, path, schema, err)) {
        pf_h5_close(f);
        return PF_H5_NONE;
    }
    return f;
}

/** Copy string attribute @p name of @p loc into @p out (empty when absent). */
static void attr_copy_str(pf_h5id loc, const char *name, char *out, size_t cap)
{
    char *s = pf_h5_attr_exists(loc, name) ? pf_h5_attr_read_str(loc, name, NULL) : NULL;
    snprintf(out, cap, "%s", s ? s : "");
    free(s);
}

/** Fill @p info from group @p g (a shard root or a dataset split) and root @p root. */
static int info_fill(pf_h5id root, pf_h5id g, pf_shard_info *info, pf_error *err)
{
    char name[64];
    memset(info, 0, sizeof *info);
    attr_copy_str(root, "schema", info->schema, sizeof info->schema);
    attr_copy_str(g, "split", info->split, sizeof info->split);
    attr_copy_str(root, "spectrogram_mode", info->mode, sizeof info->mode);
    attr_copy_str(root, "spectrogram_scaling", info->scaling, sizeof info->scaling);
    for (int r = 0; r < PF_REJECT_COUNT; r++) {
        snprintf(name, sizeof name, "rejected_%s", pf_reject_names[r]);
        if (pf_h5_attr_exists(g, name))
            pf_h5_attr_read_num(g, name, PF_H5_U64, &info->rejected[r], NULL);
    }
    return pf_spec_source_shape(root, g, info, err);
}

/** pf_shard_info_read without the HDF5 lock. */
static int shard_info_read_unlocked(const char *path, pf_shard_info *info, pf_error *err)
{
    if (!path || !info) return PF_FAIL(err, PF_EINVAL, "pf_shard_info_read: NULL argument");
    pf_h5id f = open_checked(path, PF_SHARD_SCHEMA, err);
    if (f < 0) return -1;
    int rc = info_fill(f, f, info, err);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s", path) : 0;
}

/** Open group @p split of dataset index @p path (checked); the file id goes to *@p file. */
static pf_h5id split_open(const char *path, const char *split, pf_h5id *file, pf_error *err)
{
    *file = open_checked(path, PF_DATASET_SCHEMA, err);
    if (*file < 0) return PF_H5_NONE;
    if (!split || !pf_h5_exists(*file, split)) {
        pf_h5_close(*file);
        PF_FAIL(err, PF_EINVAL, "%s has no split '%s'", path, split ? split : "(null)");
        return PF_H5_NONE;
    }
    if (pf_dataset_check_sources(*file, path, split, err)) {
        pf_h5_close(*file);
        return PF_H5_NONE;
    }
    return pf_h5_group_open(*file, split, err);
}

/** pf_dataset_split_info_read without the HDF5 lock. */
static int dataset_split_info_read_unlocked(const char *path, const char *split,
                                            pf_shard_info *info, pf_error *err)
{
    pf_h5id f, g = split_open(path, split, &f, err);
    if (g < 0) return -1;
    int rc = info_fill(f, g, info, err);
    snprintf(info->split, sizeof info->split, "%s", split);
    pf_h5_close(g);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s", path) : 0;
}

/** Read column @p c of @p n rows from group @p labels into @p rows. */
static int labels_read_col(pf_h5id labels, const label_col *c, pf_label *rows, size_t n,
                           pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = pf_h5_dset_open(labels, c->name, err);
    if (ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) || rank != 1 || d[0] != n) {
        pf_h5_close(ds);
        return PF_FAIL(err, PF_ESCHEMA, "labels/%s is missing or not [%zu]", c->name, n);
    }
    unsigned char *buf = pf_calloc(n ? n : 1, c->size);
    pf_h5id t = col_type_id(c);
    int rc = n ? pf_h5_dset_read(ds, t, buf, err) : 0;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char *field = (unsigned char *)&rows[i] + c->offset;
        if (c->type == COL_STR) {
            char *s = ((char **)(void *)buf)[i];
            rows[i].instrument = pf_strdup(s ? s : "");
        } else
            memcpy(field, buf + i * c->size, c->size);
    }
    if (c->type == COL_STR && !rc) pf_h5_strs_free((char **)(void *)buf, n);
    pf_h5_close(t);
    pf_h5_close(ds);
    free(buf);
    return rc;
}

/** Read every label under group @p g ("labels" inside it). */
static int labels_read(pf_h5id g, pf_label **rows, size_t *n, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id lg = pf_h5_group_open(g, "labels", err), ds = PF_H5_NONE;
    if (lg < 0 || (ds = pf_h5_dset_open(lg, "example_id", err)) < 0 ||
        pf_h5_dset_shape(ds, &rank, d, err)) {
        pf_h5_close(ds);
        pf_h5_close(lg);
        return -1;
    }
    pf_h5_close(ds);
    pf_label *r = pf_calloc(d[0] ? d[0] : 1, sizeof *r);
    int rc = 0;
    for (size_t i = 0; i < N_COLS && !rc; i++)
        rc = labels_read_col(lg, &cols[i], r, d[0], err);
    pf_h5_close(lg);
    if (rc) {
        pf_labels_free(r, d[0]);
        return -1;
    }
    *rows = r;
    *n = d[0];
    return 0;
}

/** Check that every label column of the writer is in group @p lg with its type and [@p n]. */
static int labels_check_types(pf_h5id lg, uint64_t n, pf_error *err)
{
    int rc = 0, rank;
    uint64_t d[PF_H5_MAX_RANK];
    for (size_t i = 0; i < N_COLS && !rc; i++) {
        pf_h5id ds = pf_h5_exists(lg, cols[i].name) ? pf_h5_dset_open(lg, cols[i].name, NULL)
                                                    : PF_H5_NONE;
        pf_h5id t = col_type_id(&cols[i]);
        if (ds < 0)
            rc = PF_FAIL(err, PF_ESCHEMA, "no /labels/%s", cols[i].name);
        else if (!pf_h5_dset_type_is(ds, t) || pf_h5_dset_shape(ds, &rank, d, NULL) ||
                 rank != 1 || d[0] != n)
            rc = PF_FAIL(err, PF_ESCHEMA,
                         "/labels/%s is not the writer's %s [%" PRIu64 "] (another type or shape)",
                         cols[i].name, pf_h5_dset_class(ds), n);
        pf_h5_close(t);
        pf_h5_close(ds);
    }
    return rc;
}

/** qsort comparator of uint64_t. */
static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/** Check that no example_id of @p rows [n] repeats. */
static int labels_check_ids(const pf_label *rows, size_t n, pf_error *err)
{
    uint64_t *ids = pf_calloc(n ? n : 1, sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = rows[i].example_id;
    qsort(ids, n, sizeof *ids, cmp_u64);
    size_t i = 1;
    while (i < n && ids[i] != ids[i - 1])
        i++;
    int rc = i < n ? PF_FAIL(err, PF_ESCHEMA,
                             "/labels/example_id %" PRIu64 " is in more than one row (copied rows?)",
                             ids[i])
                   : 0;
    free(ids);
    return rc;
}

int pf_shard_labels_check(pf_h5id f, uint64_t n, pf_error *err)
{
    pf_label *rows = NULL;
    size_t got = 0;
    pf_h5id lg = pf_h5_exists(f, "labels") ? pf_h5_group_open(f, "labels", err) : PF_H5_NONE;
    if (lg < 0) return PF_FAIL(err, PF_ESCHEMA, "no /labels group");
    int rc = labels_check_types(lg, n, err);
    pf_h5_close(lg);
    if (rc || labels_read(f, &rows, &got, err)) return -1;
    for (size_t i = 0; i < got && !rc; i++)
        rc = pf_label_check(&rows[i], i, err);
    rc = rc || labels_check_ids(rows, got, err);
    pf_labels_free(rows, got);
    return rc ? -1 : 0;
}

/** pf_shard_read_labels without the HDF5 lock. */
static int shard_read_labels_unlocked(const char *path, pf_label **rows, size_t *n, pf_error *err)
{
    if (!path || !rows || !n) return PF_FAIL(err, PF_EINVAL, "pf_shard_read_labels: NULL argument");
    pf_h5id f = open_checked(path, PF_SHARD_SCHEMA, err);
    if (f < 0) return -1;
    int rc = labels_read(f, rows, n, err);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s", path) : 0;
}

/** pf_dataset_read_labels without the HDF5 lock. */
static int dataset_read_labels_unlocked(const char *path, const char *split, pf_label **rows,
                                        size_t *n, pf_error *err)
{
    if (!path || !rows || !n)
        return PF_FAIL(err, PF_EINVAL, "pf_dataset_read_labels: NULL argument");
    pf_h5id f, g = split_open(path, split, &f, err);
    if (g < 0) return -1;
    int rc = labels_read(g, rows, n, err);
    pf_h5_close(g);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s split %s", path, split) : 0;
}

/** Read rows [@p first, +@p count) of labels/f0_frames under group @p g (a shard root or a
 *  dataset split), checked to be [N, frames of the spectrogram] and, unless @p row is 0, rows of
 *  the @p row frames the caller holds. */
static int f0_frames_read(pf_h5id root, pf_h5id g, size_t first, size_t count, float *out,
                          size_t row, pf_error *err)
{
    pf_shard_info info;
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    if (pf_spec_source_shape(root, g, &info, err)) return -1;
    if (!pf_h5_exists(g, "labels/f0_frames"))
        return PF_FAIL(err, PF_ESCHEMA, "no labels/f0_frames");
    pf_h5id ds = pf_h5_dset_open(g, "labels/f0_frames", err), t = pf_h5_type(PF_H5_F32);
    int rc = ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) ? -1 : 0;
    if (!rc && (rank != 2 || d[0] != info.n || d[1] != info.frames))
        rc = PF_FAIL(err, PF_ESCHEMA, "labels/f0_frames is not [%zu, %zu]", info.n, info.frames);
    if (!rc && row && row != info.frames)
        rc = PF_FAIL(err, PF_ESCHEMA, "labels/f0_frames rows hold %zu frames, not the %zu expected",
                     info.frames, row);
    if (!rc && count) rc = pf_h5_dset_read_rows(ds, t, first, count, out, err);
    pf_h5_close(t);
    pf_h5_close(ds);
    return rc;
}

/** pf_shard_read_f0_frames without the HDF5 lock. */
static int shard_read_f0_frames_unlocked(const char *path, size_t first, size_t count, float *out,
                                         pf_error *err)
{
    if (!path || (!out && count))
        return PF_FAIL(err, PF_EINVAL, "pf_shard_read_f0_frames: NULL argument");
    pf_h5id f = open_checked(path, PF_SHARD_SCHEMA, err);
    if (f < 0) return -1;
    int rc = f0_frames_read(f, f, first, count, out, 0, err);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s", path) : 0;
}

/** pf_dataset_read_f0_frames without the HDF5 lock. */
static int dataset_read_f0_frames_unlocked(const char *path, const char *split, size_t first,
                                           size_t count, float *out, size_t row, pf_error *err)
{
    if (!path || (!out && count))
        return PF_FAIL(err, PF_EINVAL, "pf_dataset_read_f0_frames: NULL argument");
    pf_h5id f, g = split_open(path, split, &f, err);
    if (g < 0) return -1;
    int rc = f0_frames_read(f, g, first, count, out, row, err);
    pf_h5_close(g);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s split %s", path, split) : 0;
}

int pf_shard_read_f0_frames(const char *path, size_t first, size_t count, float *out,
                            pf_error *err)
{
    pf_h5_lock();
    int rc = shard_read_f0_frames_unlocked(path, first, count, out, err);
    pf_h5_unlock();
    return rc;
}

int pf_dataset_read_f0_frames(const char *path, const char *split, size_t first, size_t count,
                              float *out, size_t row, pf_error *err)
{
    pf_h5_lock();
    int rc = dataset_read_f0_frames_unlocked(path, split, first, count, out, row, err);
    pf_h5_unlock();
    return rc;
}

void pf_labels_free(pf_label *rows, size_t n)
{
    if (!rows) return;
    for (size_t i = 0; i < n; i++)
        free((char *)rows[i].instrument);
    free(rows);
}

/** pf_shard_read_spectrogram without the HDF5 lock. */
static int shard_read_spectrogram_unlocked(const char *path, size_t i, float *out, size_t n,
                                           pf_error *err)
{
    pf_shard_info info;
    if (!out || pf_shard_info_read(path, &info, err))
        return out ? -1 : PF_FAIL(err, PF_EINVAL, "pf_shard_read_spectrogram: NULL out");
    if (n != info.planes * info.bins * info.frames || i >= info.n)
        return PF_FAIL(err, PF_EINVAL,
                       "%s: example %zu of %zu with %zu floats (one holds "
                       "%zu)",
                       path, i, info.n, n, info.planes * info.bins * info.frames);
    pf_h5id f = pf_h5_open(path, 0, err);
    pf_spec_source *src = f < 0 ? NULL : pf_spec_source_open(f, f, err);
    int rc = src ? pf_spec_source_read(src, i, 1, out, err) : -1;
    pf_spec_source_free(src);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s", path) : 0;
}

int pf_shard_info_read(const char *path, pf_shard_info *info, pf_error *err)
{
    pf_h5_lock();
    int rc = shard_info_read_unlocked(path, info, err);
    pf_h5_unlock();
    return rc;
}

int pf_dataset_split_info_read(const char *path, const char *split, pf_shard_info *info,
                               pf_error *err)
{
    pf_h5_lock();
    int rc = dataset_split_info_read_unlocked(path, split, info, err);
    pf_h5_unlock();
    return rc;
}

int pf_shard_read_labels(const char *path, pf_label **rows, size_t *n, pf_error *err)
{
    pf_h5_lock();
    int rc = shard_read_labels_unlocked(path, rows, n, err);
    pf_h5_unlock();
    return rc;
}

int pf_dataset_read_labels(const char *path, const char *split, pf_label **rows, size_t *n,
                           pf_error *err)
{
    pf_h5_lock();
    int rc = dataset_read_labels_unlocked(path, split, rows, n, err);
    pf_h5_unlock();
    return rc;
}

int pf_shard_read_spectrogram(const char *path, size_t i, float *out, size_t n, pf_error *err)
{
    pf_h5_lock();
    int rc = shard_read_spectrogram_unlocked(path, i, out, n, err);
    pf_h5_unlock();
    return rc;
}

int pf_shard_attr_text(const char *path, const char *name, char **out, pf_error *err)
{
    pf_h5_lock();
    pf_h5id f = pf_h5_open(path, 0, err);
    char *schema = f < 0 ? NULL : pf_h5_attr_read_str(f, "schema", err);
    if (f >= 0 && (!schema || (strcmp(schema, PF_SHARD_SCHEMA) && strcmp(schema, PF_DATASET_SCHEMA)))) {
        pf_h5_close(f);
        f = PF_H5_NONE;
        PF_FAIL(err, PF_ESCHEMA, "%s is not a pitchforge shard or dataset (schema %s)", path,
                schema ? schema : "none");
    }
    free(schema);
    *out = f < 0 ? NULL : pf_h5_attr_text(f, name, err);
    if (f >= 0)
        pf_h5_close(f);
    pf_h5_unlock();
    return *out ? 0 : pf_error_prefix(err, "%s", path);
}

/** 0 when dataset @p ds is [N][@p row] (2-D, rows of @p row values), else PF_ESCHEMA naming
 *  @p name and the shape found. */
static int check_rows_2d(pf_h5id ds, const char *name, size_t row, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    if (pf_h5_dset_shape(ds, &rank, d, err)) return -1;
    if (rank != 2)
        return PF_FAIL(err, PF_ESCHEMA, "/%s has rank %d, not 2 ([N][%zu])", name, rank, row);
    if (d[1] != row)
        return PF_FAIL(err, PF_ESCHEMA, "/%s has rows of %" PRIu64 " values, not %zu", name, d[1],
                       row);
    return 0;
}

/** Read @p count rows of @p row samples from @p first of the split's /audio into @p out. */
static int audio_rows_read(pf_h5id g, size_t first, size_t count, float *out, size_t row,
                           pf_error *err)
{
    if (!pf_h5_exists(g, "audio"))
        return PF_FAIL(err, PF_EINVAL, "stores no audio (store.audio: none)");
    pf_h5id ds = pf_h5_dset_open(g, "audio", err), t = pf_h5_type(PF_H5_F32);
    int rc = ds < 0 || check_rows_2d(ds, "audio", row, err) ||
             pf_h5_dset_read_rows(ds, t, first, count, out, err);
    pf_h5_kind kind = PF_H5_F32;
    if (!rc && pf_h5_dset_kind(ds, &kind) == 0 && kind == PF_H5_I16) {
        /* HDF5 converted int16 to float by value: scale to the signal the spectrogram saw */
        for (size_t i = 0; i < count * row; i++)
            out[i] = out[i] / (float)PF_AUDIO_INT16_SCALE;
    }
    pf_h5_close(t);
    pf_h5_close(ds);
    return rc ? -1 : 0;
}

/** pf_dataset_read_audio without the HDF5 lock. */
static int dataset_read_audio_unlocked(const char *path, const char *split, size_t first,
                                       size_t count, float *out, size_t row, pf_error *err)
{
    if (!path || (!out && count))
        return PF_FAIL(err, PF_EINVAL, "pf_dataset_read_audio: NULL argument");
    pf_h5id f, g = split_open(path, split, &f, err);
    if (g < 0)
        return -1;
    int rc = audio_rows_read(g, first, count, out, row, err);
    pf_h5_close(g);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s split %s", path, split) : 0;
}

int pf_dataset_read_audio(const char *path, const char *split, size_t first, size_t count,
                          float *out, size_t row, pf_error *err)
{
    pf_h5_lock();
    int rc = dataset_read_audio_unlocked(path, split, first, count, out, row, err);
    pf_h5_unlock();
    return rc;
}

/** pf_dataset_read_spectrograms without the HDF5 lock. */
static int dataset_read_spectrograms_unlocked(const char *path, const char *split, size_t first,
                                              size_t count, float *out, size_t row, pf_error *err)
{
    pf_h5id f, g = split_open(path, split, &f, err);
    if (g < 0)
        return -1;
    pf_spec_source *src = pf_spec_source_open(f, g, err);
    int rc = src ? 0 : -1;
    if (!rc && pf_spec_source_size(src) != row)
        rc = PF_FAIL(err, PF_ESCHEMA, "/spectrogram holds %zu values an example, not the %zu expected",
                     pf_spec_source_size(src), row);
    rc = rc || pf_spec_source_read(src, first, count, out, err);
    pf_spec_source_free(src);
    pf_h5_close(g);
    pf_h5_close(f);
    return rc ? pf_error_prefix(err, "%s split %s", path, split) : 0;
}

int pf_dataset_read_spectrograms(const char *path, const char *split, size_t first, size_t count,
                                 float *out, size_t row, pf_error *err)
{
    pf_h5_lock();
    int rc = dataset_read_spectrograms_unlocked(path, split, first, count, out, row, err);
    pf_h5_unlock();
    return rc;
}
