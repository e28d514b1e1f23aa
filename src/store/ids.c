/* pf_id_set: the example ids of many shards, to find an example twice (a shard copied over
 * another, even with its attributes rewritten). */
#include <inttypes.h>
#include <stdlib.h>

#include "core/mem.h"
#include "store/schema.h"

int pf_id_set_add(pf_id_set *s, pf_h5id f, size_t shard, pf_error *err)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5id ds = pf_h5_exists(f, "labels/example_id")
                     ? pf_h5_dset_open(f, "labels/example_id", err)
                     : PF_H5_NONE;
    if (ds < 0 || pf_h5_dset_shape(ds, &rank, d, err) || rank != 1) {
        pf_h5_close(ds);
        return PF_FAIL(err, PF_ESCHEMA, "no /labels/example_id [N]");
    }
    s->v = pf_reallocarray(s->v, s->n + (size_t)d[0] + 1, sizeof *s->v);
    uint64_t *ids = pf_calloc(d[0] ? (size_t)d[0] : 1, sizeof *ids);
    pf_h5id t = pf_h5_type(PF_H5_U64);
    int rc = d[0] ? pf_h5_dset_read(ds, t, ids, err) : 0;
    for (size_t i = 0; i < (size_t)d[0] && !rc; i++)
        s->v[s->n++] = (pf_id_entry){.id = ids[i], .shard = shard, .row = i};
    free(ids);
    pf_h5_close(t);
    pf_h5_close(ds);
    return rc;
}

/** qsort comparator: by id, then shard, then row. */
static int cmp_entry(const void *a, const void *b)
{
    const pf_id_entry *x = a, *y = b;
    if (x->id != y->id) return (x->id > y->id) - (x->id < y->id);
    if (x->shard != y->shard) return (x->shard > y->shard) - (x->shard < y->shard);
    return (x->row > y->row) - (x->row < y->row);
}

int pf_id_set_check(pf_id_set *s, const char *const *names, pf_error *err)
{
    qsort(s->v, s->n, sizeof *s->v, cmp_entry);
    for (size_t i = 1; i < s->n; i++)
        if (s->v[i].id == s->v[i - 1].id)
            return PF_FAIL(err, PF_ESCHEMA,
                           "example_id %" PRIu64 " is in %s row %zu and %s row %zu: duplicated "
                           "examples (a shard copied over another?)",
                           s->v[i].id, names[s->v[i - 1].shard], s->v[i - 1].row,
                           names[s->v[i].shard], s->v[i].row);
    return 0;
}

void pf_id_set_release(pf_id_set *s)
{
    free(s->v);
    s->v = NULL, s->n = 0;
}
