/* Per-(preset, key) measured tuning of train labels (tuning.h). */
#include "train/tuning.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/util.h"
#include "io/h5.h"
#include "store/schema.h"
#include "pitchforge/error.h"
#include "pitchforge/pitch.h"

/* One example's group key and audit offset. */
typedef struct item {
    uint64_t key;
    size_t i;
    float cents;
    int ok;
} item;

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Read labels/@p name of @p split (n rows) as @p kind into @p buf. */
static int read_label(pf_h5id f, const char *split, const char *name, pf_h5_kind kind, size_t n,
                      void *buf, pf_error *err)
{
    char path[128];
    snprintf(path, sizeof path, "%s/labels/%s", split, name);
    if (!pf_h5_exists(f, path))
        return PF_FAIL(err, PF_ESCHEMA, "no %s (target.tuning: measured needs the label audit: "
                       "quality.pitch_check flag, drop or drop-preset)", path);
    pf_h5id d = pf_h5_dset_open(f, path, err), t = pf_h5_type(kind);
    int rc = d < 0 ? -1 : pf_h5_dset_read_rows(d, t, 0, n, buf, err);
    pf_h5_close(t);
    pf_h5_close(d);
    return rc ? pf_error_prefix(err, "%s", path) : 0;
}

typedef struct labels {
    uint32_t *sf, *bank, *prog;
    int32_t *midi;
    uint8_t *check;
    float *cents;
    double *f0;
} labels;

static int read_labels(pf_h5id f, const char *split, size_t n, labels *L, pf_error *err)
{
    L->sf = pf_calloc(n, sizeof *L->sf), L->bank = pf_calloc(n, sizeof *L->bank);
    L->prog = pf_calloc(n, sizeof *L->prog), L->midi = pf_calloc(n, sizeof *L->midi);
    L->check = pf_calloc(n, sizeof *L->check), L->cents = pf_calloc(n, sizeof *L->cents);
    L->f0 = pf_calloc(n, sizeof *L->f0);
    return read_label(f, split, "pitch_check", PF_H5_U8, n, L->check, err) ||
                   read_label(f, split, "pitch_error_cents", PF_H5_F32, n, L->cents, err) ||
                   read_label(f, split, "soundfont", PF_H5_U32, n, L->sf, err) ||
                   read_label(f, split, "bank", PF_H5_U32, n, L->bank, err) ||
                   read_label(f, split, "program", PF_H5_U32, n, L->prog, err) ||
                   read_label(f, split, "midi", PF_H5_I32, n, L->midi, err) ||
                   read_label(f, split, "f0_hz", PF_H5_F64, n, L->f0, err)
               ? -1
               : 0;
}

static void free_labels(labels *L)
{
    free(L->sf), free(L->bank), free(L->prog), free(L->midi), free(L->check), free(L->cents);
    free(L->f0);
}

/* Median of the ok offsets of it[0..m), or NAN when none. */
static double group_median(const item *it, size_t m, double *scratch)
{
    size_t k = 0;
    for (size_t j = 0; j < m; j++)
        if (it[j].ok)
            scratch[k++] = it[j].cents;
    if (!k)
        return NAN;
    qsort(scratch, k, sizeof *scratch, pf_cmp_double);
    return k % 2 ? scratch[k / 2] : 0.5 * (scratch[k / 2 - 1] + scratch[k / 2]);
}

/* Per example: the median offset of its group (NAN when the group has none); fill @p rep. */
static void measure(const labels *L, size_t n, double *shift, pf_tuning_report *rep)
{
    item *it = pf_calloc(n ? n : 1, sizeof *it);
    double *scratch = pf_calloc(n ? n : 1, sizeof *scratch), *mag = pf_calloc(n ? n : 1,
                                                                               sizeof *mag);
    for (size_t i = 0; i < n; i++) {
        uint64_t preset = ((uint64_t)L->sf[i] << 24) | ((uint64_t)L->bank[i] << 8) | L->prog[i];
        it[i] = (item){(preset << 8) | (uint8_t)L->midi[i], i, L->cents[i],
                       L->check[i] == 0 && isfinite(L->cents[i])};
        shift[i] = NAN;
    }
    qsort(it, n, sizeof *it, cmp_item);
    *rep = (pf_tuning_report){0};
    for (size_t a = 0, b; a < n; a = b) {
        for (b = a + 1; b < n && it[b].key == it[a].key;)
            b++;
        double med = group_median(it + a, b - a, scratch);
        if (isnan(med))
            continue;
        rep->groups++;
        for (size_t j = a; j < b; j++) {
            shift[it[j].i] = med;
            mag[rep->moved++] = fabs(med);
        }
    }
    if (rep->moved) {
        qsort(mag, rep->moved, sizeof *mag, pf_cmp_double);
        rep->median_shift = mag[rep->moved / 2];
    }
    free(it), free(scratch), free(mag);
}

int pf_tuning_measure(const char *dataset, const char *split, size_t limit, pf_tuning *t,
                      pf_error *err)
{
    *t = (pf_tuning){0};
    pf_h5id f = pf_h5_open(dataset, 0, err);
    if (f < 0)
        return -1;
    if (pf_dataset_check_sources(f, dataset, split, err)) {
        pf_h5_close(f);
        return -1;
    }
    char path[128];
    snprintf(path, sizeof path, "%s/labels/f0_hz", split);
    int rank;
    uint64_t dims[PF_H5_MAX_RANK];
    int rc = pf_h5_exists(f, path) ? 0 : PF_FAIL(err, PF_ESCHEMA, "no %s", path);
    pf_h5id d = rc ? -1 : pf_h5_dset_open(f, path, err);
    if (!rc)
        rc = d < 0 || pf_h5_dset_shape(d, &rank, dims, err) ? -1 : 0;
    pf_h5_close(d);
    labels L = {0};
    if (!rc) {
        t->n = limit && limit < dims[0] ? limit : (size_t)dims[0];
        rc = read_labels(f, split, t->n, &L, err);
    }
    pf_h5_close_file(f, NULL);
    if (!rc) {
        t->f0 = L.f0, L.f0 = NULL;
        t->shift_cents = pf_calloc(t->n ? t->n : 1, sizeof *t->shift_cents);
        measure(&L, t->n, t->shift_cents, &t->report);
    }
    free_labels(&L);
    return rc ? pf_error_prefix(err, "%s", dataset) : 0;
}

int pf_tuning_apply(const pf_tuning *t, size_t n, double *f0, pf_error *err)
{
    if (n != t->n)
        return PF_FAIL(err, PF_ESCHEMA, "tuning measured on %zu examples, the split has %zu", t->n,
                       n);
    for (size_t i = 0; i < n; i++)
        if (t->f0[i] != f0[i])
            return PF_FAIL(err, PF_ESCHEMA, "example %zu: f0_hz %.6g in dataset.h5, %.6g in its "
                           "shard (a stale index? run pitchforge index)", i, t->f0[i], f0[i]);
    for (size_t i = 0; i < n; i++)
        if (!isnan(t->shift_cents[i]))
            f0[i] *= pf_cents_ratio(t->shift_cents[i]);
    return 0;
}

void pf_tuning_free(pf_tuning *t)
{
    if (!t)
        return;
    free(t->f0), free(t->shift_cents);
    memset(t, 0, sizeof *t);
}
