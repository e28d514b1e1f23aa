/* pf_inspect: a human-readable summary of a shard or a dataset.h5 index. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "io/h5.h"
#include "store/schema.h"
#include "pitchforge/shard.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/inspect.h"
#include "pitchforge/nn.h"

#define BAR_WIDTH 30

static const char *const kind_names[PF_H5_KIND_COUNT] = {
    "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"};

/** Display width of UTF-8 @p s (code points; wide characters count as one). */
static size_t text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

/** Print one histogram: a title, then "name count bar percent" rows with aligned columns. */
static void hist_print(FILE *out, const char *title, const char *const *names, const size_t *counts,
                       size_t k)
{
    size_t width = 0, max = 0, total = 0;
    for (size_t i = 0; i < k; i++) {
        size_t w = text_width(names[i]);
        width = w > width ? w : width;
        max = counts[i] > max ? counts[i] : max;
        total += counts[i];
    }
    fprintf(out, "  %s\n", title);
    for (size_t i = 0; i < k; i++) {
        int bar = max ? (int)((counts[i] * BAR_WIDTH + max - 1) / max) : 0;
        fprintf(out, "    %s%*s %8zu  %-*.*s %5.1f%%\n", names[i],
                (int)(width - text_width(names[i])), "", counts[i], BAR_WIDTH, bar,
                "##############################",
                total ? 100.0 * (double)counts[i] / (double)total : 0.0);
    }
}

/** Histogram of a uint8 enum field at byte @p offset of each label. */
static void hist_enum(FILE *out, const char *title, const pf_label *rows, size_t n, size_t offset,
                      const char *const *names, size_t k)
{
    size_t counts[8] = {0};
    for (size_t i = 0; i < n; i++) {
        uint8_t v = *((const uint8_t *)&rows[i] + offset);
        if (v < k) counts[v]++;
    }
    hist_print(out, title, names, counts, k);
}

/** Histogram of octaves from the lowest to the highest present. */
static void hist_octave(FILE *out, const pf_label *rows, size_t n)
{
    int lo = 127, hi = -128;
    for (size_t i = 0; i < n; i++) {
        lo = rows[i].octave < lo ? rows[i].octave : lo;
        hi = rows[i].octave > hi ? rows[i].octave : hi;
    }
    if (!n) return;
    size_t k = (size_t)(hi - lo + 1), *counts = pf_calloc(k, sizeof *counts);
    char(*labels)[8] = pf_calloc(k, sizeof *labels);
    const char **names = pf_calloc(k, sizeof *names);
    for (size_t i = 0; i < n; i++)
        counts[rows[i].octave - lo]++;
    for (size_t j = 0; j < k; j++)
        snprintf(labels[j], sizeof labels[j], "%d", lo + (int)j), names[j] = labels[j];
    hist_print(out, "octave", names, counts, k);
    free(counts);
    free(labels);
    free(names);
}

/** qsort comparator for strings. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/** Histogram of instrument names (sorted by name). */
static void hist_instrument(FILE *out, const pf_label *rows, size_t n)
{
    const char **sorted = pf_calloc(n ? n : 1, sizeof *sorted),
               **names = pf_calloc(n ? n : 1, sizeof *names);
    size_t *counts = pf_calloc(n ? n : 1, sizeof *counts), k = 0;
    for (size_t i = 0; i < n; i++)
        sorted[i] = rows[i].instrument;
    if (n) qsort(sorted, n, sizeof *sorted, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (!k || strcmp(names[k - 1], sorted[i])) names[k++] = sorted[i];
        counts[k - 1]++;
    }
    hist_print(out, "instrument", names, counts, k);
    free(sorted);
    free(names);
    free(counts);
}

/** Print f0 range and every label histogram of @p rows. */
static void labels_print(FILE *out, const pf_label *rows, size_t n)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = rows[i].f0_hz < lo ? rows[i].f0_hz : lo;
        hi = rows[i].f0_hz > hi ? rows[i].f0_hz : hi;
    }
    if (n) fprintf(out, "  f0           %.2f .. %.2f Hz\n", lo, hi);
    hist_enum(out, "segment", rows, n, offsetof(pf_label, segment), pf_segment_names, PF_SEG_COUNT);
    hist_octave(out, rows, n);
    hist_enum(out, "pitch_check", rows, n, offsetof(pf_label, pitch_check), pf_pitch_check_names,
              PF_PITCH_CHECK_COUNT);
    hist_instrument(out, rows, n);
}

/** Print the per-column labels: the share of voiced columns and their f0 range. */
static void f0_frames_print(FILE *out, const float *v, size_t n, size_t frames)
{
    size_t voiced = 0, total = n * frames;
    float lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < total; i++) {
        if (!(v[i] > 0)) continue;
        voiced++;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
    }
    fprintf(out, "  f0_frames    voiced %zu of %zu columns (%.1f%%)", voiced, total,
            total ? 100.0 * (double)voiced / (double)total : 0.0);
    if (voiced)
        fprintf(out, ", %.2f .. %.2f Hz", lo, hi);
    fprintf(out, "\n");
}

/** Read and print the per-column labels of a shard (@p split NULL) or a dataset split. */
static int f0_frames_summary(FILE *out, const char *path, const char *split,
                             const pf_shard_info *info, pf_error *err)
{
    size_t len;
    if (pf_mul_size(info->n, info->frames, &len))
        return PF_FAIL(err, PF_EINVAL, "%s: %zu x %zu f0 columns", path, info->n, info->frames);
    float *v = pf_calloc(len ? len : 1, sizeof *v);
    int rc = split ? pf_dataset_read_f0_frames(path, split, 0, info->n, v, info->frames, err)
                   : pf_shard_read_f0_frames(path, 0, info->n, v, err);
    if (!rc) f0_frames_print(out, v, info->n, info->frames);
    free(v);
    return rc;
}

/** Print "name  dtype [d0, d1, ...]" for dataset @p name under @p g, if present. */
static void shape_print(FILE *out, pf_h5id g, const char *name)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5_kind kind;
    if (!pf_h5_exists(g, name)) return;
    pf_h5id ds = pf_h5_dset_open(g, name, NULL);
    if (ds < 0 || pf_h5_dset_shape(ds, &rank, d, NULL)) {
        pf_h5_close(ds);
        return;
    }
    fprintf(out, "  %-12s %s [", name,
            pf_h5_dset_is_half(ds)           ? "float16"
            : pf_h5_dset_kind(ds, &kind) ? pf_h5_dset_class(ds)
                                         : kind_names[kind]);
    for (int i = 0; i < rank; i++)
        fprintf(out, "%s%" PRIu64, i ? ", " : "", d[i]);
    fprintf(out, "]\n");
    pf_h5_close(ds);
}

/** Print the rejected counts of @p info. */
static void rejected_print(FILE *out, const pf_shard_info *info)
{
    fprintf(out, "  rejected    ");
    for (int r = 0; r < PF_REJECT_COUNT; r++)
        fprintf(out, " %s %" PRIu64 "%s", pf_reject_names[r], info->rejected[r],
                r + 1 < PF_REJECT_COUNT ? "," : "\n");
}

/** Shorten a long multi-line text to its first line and a size note (pf_malloc'd). */
static char *shorten(const char *text)
{
    size_t lines = 0, len = strlen(text), first = strcspn(text, "\n");
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    if (len <= 100 && lines == 0) return pf_strdup(text);
    char *s = pf_malloc(160);
    snprintf(s, 160, "%.*s ... (%zu lines, %zu bytes)", (int)(first < 50 ? first : 50), text,
             lines + (len && text[len - 1] != '\n'), len);
    return s;
}

/** Print every attribute of @p loc as "name  value" (long values shortened). */
static void attrs_print(FILE *out, pf_h5id loc)
{
    char **names;
    size_t n;
    if (pf_h5_attr_names(loc, &names, &n, NULL)) return;
    fprintf(out, "attributes\n");
    for (size_t i = 0; i < n; i++) {
        char *text = pf_h5_attr_text(loc, names[i], NULL), *s = shorten(text ? text : "?");
        fprintf(out, "  %-24s %s\n", names[i], s);
        free(s);
        free(text);
        free(names[i]);
    }
    free(names);
}

/** How @p info's spectrograms are stored, in words (store.spectrogram). */
static const char *spec_store_text(const pf_shard_info *info)
{
    static const char *const text[] = {"float32", "float16 (readers widen it to float32)",
                                       "none (readers compute it from /audio)"};
    return text[info->store_spec];
}

/** Print a shard: header, shapes, labels, attributes. */
static int inspect_shard(const char *path, pf_h5id f, FILE *out, pf_error *err)
{
    pf_shard_info info;
    pf_label *rows;
    size_t n;
    if (pf_shard_info_read(path, &info, err) || pf_shard_read_labels(path, &rows, &n, err))
        return -1;
    fprintf(out, "shard %s\n  schema       %s\n  split        %s\n  examples     %zu\n", path,
            info.schema, info.split, info.n);
    fprintf(out, "  spectrogram  %s, %s, stored as %s\n", info.mode, info.scaling,
            spec_store_text(&info));
    shape_print(out, f, "spectrogram");
    shape_print(out, f, "audio");
    rejected_print(out, &info);
    labels_print(out, rows, n);
    pf_labels_free(rows, n);
    if (f0_frames_summary(out, path, NULL, &info, err)) return -1;
    attrs_print(out, f);
    return 0;
}

/** Print one split of a dataset index. */
static int inspect_split(const char *path, pf_h5id f, const char *split, FILE *out, pf_error *err)
{
    pf_shard_info info;
    pf_label *rows;
    size_t n;
    if (pf_dataset_split_info_read(path, split, &info, err) ||
        pf_dataset_read_labels(path, split, &rows, &n, err))
        return -1;
    fprintf(out, "split %s: %zu examples, spectrograms stored as %s\n", split, info.n,
            spec_store_text(&info));
    pf_h5id g = pf_h5_group_open(f, split, err);
    shape_print(out, g, "spectrogram");
    shape_print(out, g, "audio");
    pf_h5_close(g);
    rejected_print(out, &info);
    labels_print(out, rows, n);
    pf_labels_free(rows, n);
    return f0_frames_summary(out, path, split, &info, err);
}

/** Every dataset under /stats, with its type and shape (and its description, when it has one). */
static void stats_print(FILE *out, pf_h5id f)
{
    char **names = NULL;
    size_t n = 0;
    fprintf(out, "stats (train split, per frequency bin)\n");
    if (!pf_h5_exists(f, "stats") || pf_h5_list(f, "stats", &names, &n, NULL)) return;
    pf_h5id g = pf_h5_group_open(f, "stats", NULL);
    for (size_t i = 0; i < n; i++) {
        if (g >= 0) shape_print(out, g, names[i]);
        free(names[i]);
    }
    pf_h5_close(g);
    free(names);
}

/** Print a dataset index: per split, then stats, checksums and attributes. */
static int inspect_dataset(const char *path, pf_h5id f, FILE *out, pf_error *err)
{
    static const char *const splits[] = {"train", "val", "test"};
    fprintf(out, "dataset %s\n  schema       %s\n", path, PF_DATASET_SCHEMA);
    for (size_t s = 0; s < 3; s++)
        if (pf_h5_exists(f, splits[s]) && inspect_split(path, f, splits[s], out, err)) return -1;
    stats_print(out, f);
    fprintf(out, "checksums\n");
    shape_print(out, f, "checksums");
    attrs_print(out, f);
    return 0;
}

/** pf_inspect under the HDF5 lock. */
static int inspect_locked(const char *path, FILE *out, pf_error *err)
{
    pf_h5id f = pf_h5_open(path, 0, err);
    if (f < 0) return -1;
    char *schema = pf_h5_attr_exists(f, "schema") ? pf_h5_attr_read_str(f, "schema", NULL) : NULL;
    int rc;
    if (schema && !strcmp(schema, PF_SHARD_SCHEMA))
        rc = inspect_shard(path, f, out, err);
    else if (schema && !strcmp(schema, PF_DATASET_SCHEMA))
        rc = inspect_dataset(path, f, out, err);
    else if (schema && (!strcmp(schema, PF_MODEL_SCHEMA) || !strcmp(schema, PF_ENSEMBLE_SCHEMA)))
        rc = pf_model_inspect(path, out, err);
    else /* refused, saying which and what to do */
        rc = pf_schema_check(f, path,
                             schema && !strncmp(schema, "pitchforge-dataset/", 19)
                                 ? PF_DATASET_SCHEMA
                                 : PF_SHARD_SCHEMA,
                             err);
    free(schema);
    pf_h5_close(f);
    return rc;
}

int pf_inspect(const char *path, FILE *out, pf_error *err)
{
    if (!path || !out) return PF_FAIL(err, PF_EINVAL, "pf_inspect: NULL argument");
    pf_h5_lock();
    int rc = inspect_locked(path, out, err);
    pf_h5_unlock();
    return rc;
}
