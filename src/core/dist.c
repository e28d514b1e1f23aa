/*
 * The processes of a data-parallel run: the only file that includes mpi.h. Built with
 * PF_HAVE_MPI (the Makefile finds Open MPI with pkg-config ompi-c) it joins the launcher's
 * MPI world; without, every process is alone and a launcher's N > 1 tasks are refused.
 */
#include "pitchforge/dist.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#if PF_HAVE_MPI
#include <mpi.h>
#endif

struct pf_dist {
    int rank, size;
    int mpi;       /**< MPI_Init was called (a launcher started this process) */
    char lib[256]; /**< the MPI library's version line */
    void *scratch; /**< the sums' receive buffer, kept (a fresh one faulted in its pages for
                        every step: 11 ms of 44 MB) */
    size_t scratch_len;
};

/* An environment variable as a positive count, 0 when absent or not a number. */
static long env_count(const char *name)
{
    const char *s = getenv(name);
    char *end;
    long v = s && *s ? strtol(s, &end, 10) : 0;
    return s && *s && !*end && v > 0 ? v : 0;
}

/* An MPI launcher started this process: its variables (Open MPI's mpirun, PMIx, PMI). */
static int launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                                       "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

/* The task count the launcher says it started (0: it does not say). */
static long launched_size(void)
{
    long n = env_count("OMPI_COMM_WORLD_SIZE");
    n = n ? n : env_count("PMI_SIZE");
    return n ? n : env_count("SLURM_STEP_NUM_TASKS"); /* srun's tasks; not set by sbatch */
}

/* Refuse @p want tasks seen by a world of @p have processes. */
static int size_mismatch(long want, int have, pf_error *err)
{
    return PF_FAIL(err, PF_EINVAL,
                   "the launcher started %ld tasks but this process's MPI world has %d: %s", want,
                   have,
                   PF_HAVE_MPI ? "under srun add --mpi=pmix (srun --mpi=list shows the types); "
                                 "under mpirun use the mpirun of the Open MPI pitchforge was "
                                 "built with"
                               : "this pitchforge was built without MPI (install libopenmpi-dev, "
                                 "e.g. make deps, and rebuild)");
}

#if PF_HAVE_MPI

/* 0 on MPI_SUCCESS, else -1 with @p err naming @p call and MPI's message. */
static int mpi_ok(int rc, const char *call, pf_error *err)
{
    if (rc == MPI_SUCCESS)
        return 0;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof msg, "error %d", rc);
    return PF_FAIL(err, PF_ELIB, "%s: %.*s", call, len, msg);
}

static int mpi_join(pf_dist *d, pf_error *err)
{
    int provided, len = 0, done = 0;
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    if (MPI_Initialized(&done) == MPI_SUCCESS && !done &&
        mpi_ok(MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread",
               err))
        return -1;
    d->mpi = 1;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    MPI_Get_library_version(lib, &len);
    snprintf(d->lib, sizeof d->lib, "%.*s", (int)strcspn(lib, "\n"), lib);
    long want = launched_size();
    return want && want != d->size ? size_mismatch(want, d->size, err) : 0;
}

/* Chunk k of size over [0, n): [n k / size, n (k + 1) / size). */
static size_t chunk_lo(size_t n, int k, int size)
{
    return n * (size_t)k / (size_t)size;
}

/* buf's chunk of this rank = sum over ranks in rank order of their chunks in @p tmp. */
static void sum_in_order(void *buf, const void *tmp, size_t len, int size, MPI_Datatype t)
{
    if (t == MPI_FLOAT) {
        const float *v = tmp;
        float *out = buf;
        for (size_t i = 0; i < len; i++) {
            float s = v[i];
            for (int k = 1; k < size; k++)
                s += v[(size_t)k * len + i];
            out[i] = s;
        }
        return;
    }
    const double *v = tmp;
    double *out = buf;
    for (size_t i = 0; i < len; i++) {
        double s = v[i];
        for (int k = 1; k < size; k++)
            s += v[(size_t)k * len + i];
        out[i] = s;
    }
}

/* The fixed-order sum: reduce-scatter by hand (Alltoallv, add in rank order), then Allgatherv. */
static int sum_fixed(pf_dist *d, void *buf, size_t n, MPI_Datatype t, size_t elem,
                     pf_error *err)
{
    if (!d || d->size == 1 || n == 0)
        return 0;
    if (n > INT_MAX)
        return PF_FAIL(err, PF_EINVAL, "pf_dist_sum: %zu values (at most %d)", n, INT_MAX);
    int p = d->size, *cnt = pf_calloc((size_t)p, sizeof *cnt), *dsp = pf_calloc((size_t)p, sizeof *dsp);
    int *rcnt = pf_calloc((size_t)p, sizeof *rcnt), *rdsp = pf_calloc((size_t)p, sizeof *rdsp);
    size_t lo = chunk_lo(n, d->rank, p), len = chunk_lo(n, d->rank + 1, p) - lo;
    for (int k = 0; k < p; k++) {
        dsp[k] = (int)chunk_lo(n, k, p);
        cnt[k] = (int)(chunk_lo(n, k + 1, p) - (size_t)dsp[k]);
        rcnt[k] = (int)len, rdsp[k] = (int)((size_t)k * len);
    }
    if (d->scratch_len < ((size_t)p * len + 1) * elem) {
        free(d->scratch);
        d->scratch_len = ((size_t)p * len + 1) * elem;
        d->scratch = pf_malloc(d->scratch_len);
    }
    char *tmp = d->scratch;
    int rc = mpi_ok(MPI_Alltoallv(buf, cnt, dsp, t, tmp, rcnt, rdsp, t, MPI_COMM_WORLD),
                    "MPI_Alltoallv", err);
    if (!rc) {
        sum_in_order((char *)buf + lo * elem, tmp, len, p, t);
        rc = mpi_ok(MPI_Allgatherv(MPI_IN_PLACE, 0, t, buf, cnt, dsp, t, MPI_COMM_WORLD),
                    "MPI_Allgatherv", err);
    }
    free(cnt), free(dsp), free(rcnt), free(rdsp);
    return rc;
}

int pf_dist_sum_f32(pf_dist *d, float *buf, size_t n, pf_error *err)
{
    return sum_fixed(d, buf, n, MPI_FLOAT, sizeof *buf, err);
}

int pf_dist_sum_f64(pf_dist *d, double *buf, size_t n, pf_error *err)
{
    return sum_fixed(d, buf, n, MPI_DOUBLE, sizeof *buf, err);
}

int pf_dist_gather_f32(const pf_dist *d, const float *mine, float *all, const size_t *counts,
                       pf_error *err)
{
    if (!d || d->size == 1) {
        memmove(all, mine, counts[0] * sizeof *all);
        return 0;
    }
    int p = d->size, *cnt = pf_calloc((size_t)p, sizeof *cnt), *dsp = pf_calloc((size_t)p, sizeof *dsp);
    size_t at = 0;
    int rc = 0;
    for (int k = 0; k < p && !rc; k++, at += counts[k - 1])
        if (counts[k] > INT_MAX || at > INT_MAX)
            rc = PF_FAIL(err, PF_EINVAL, "pf_dist_gather_f32: more than %d values", INT_MAX);
        else
            cnt[k] = (int)counts[k], dsp[k] = (int)at;
    if (!rc)
        rc = mpi_ok(MPI_Allgatherv(mine, cnt[d->rank], MPI_FLOAT, all, cnt, dsp, MPI_FLOAT,
                                   MPI_COMM_WORLD),
                    "MPI_Allgatherv", err);
    free(cnt), free(dsp);
    return rc;
}

int pf_dist_bcast(const pf_dist *d, void *buf, size_t bytes, pf_error *err)
{
    const size_t piece = (size_t)1 << 30;
    for (size_t at = 0; d && d->size > 1 && at < bytes; at += piece) {
        size_t n = bytes - at < piece ? bytes - at : piece;
        if (mpi_ok(MPI_Bcast((char *)buf + at, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD), "MPI_Bcast",
                   err))
            return -1;
    }
    return 0;
}

int pf_dist_barrier(const pf_dist *d, pf_error *err)
{
    return d && d->size > 1 ? mpi_ok(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier", err) : 0;
}

void pf_dist_abort(const pf_dist *d, int code)
{
    if (d && d->mpi && d->size > 1)
        MPI_Abort(MPI_COMM_WORLD, code);
}

static void mpi_leave(pf_dist *d)
{
    int done = 0;
    if (d->mpi && MPI_Finalized(&done) == MPI_SUCCESS && !done)
        MPI_Finalize();
}

#else /* a build without MPI: one process */

static int mpi_join(pf_dist *d, pf_error *err)
{
    (void)d;
    long want = launched_size();
    return want > 1 ? size_mismatch(want, 1, err) : 0; /* mpirun -n 1 of this build: alone */
}

int pf_dist_sum_f32(pf_dist *d, float *buf, size_t n, pf_error *err)
{
    (void)d, (void)buf, (void)n, (void)err;
    return 0;
}

int pf_dist_sum_f64(pf_dist *d, double *buf, size_t n, pf_error *err)
{
    (void)d, (void)buf, (void)n, (void)err;
    return 0;
}

int pf_dist_gather_f32(const pf_dist *d, const float *mine, float *all, const size_t *counts,
                       pf_error *err)
{
    (void)d, (void)err;
    memmove(all, mine, counts[0] * sizeof *all);
    return 0;
}

int pf_dist_bcast(const pf_dist *d, void *buf, size_t bytes, pf_error *err)
{
    (void)d, (void)buf, (void)bytes, (void)err;
    return 0;
}

int pf_dist_barrier(const pf_dist *d, pf_error *err)
{
    (void)d, (void)err;
    return 0;
}

void pf_dist_abort(const pf_dist *d, int code)
{
    (void)d, (void)code;
}

static void mpi_leave(pf_dist *d)
{
    (void)d;
}

#endif

pf_dist *pf_dist_init(pf_error *err)
{
    pf_dist *d = pf_calloc(1, sizeof *d);
    d->rank = 0, d->size = 1;
    snprintf(d->lib, sizeof d->lib, "no MPI");
    long want = launched_size();
    if (launched() ? mpi_join(d, err) : want > 1 ? size_mismatch(want, 1, err) : 0) {
        pf_dist_free(d);
        return NULL;
    }
    return d;
}

void pf_dist_free(pf_dist *d)
{
    if (!d)
        return;
    mpi_leave(d);
    free(d->scratch);
    free(d);
}

int pf_dist_rank(const pf_dist *d) { return d ? d->rank : 0; }
int pf_dist_size(const pf_dist *d) { return d ? d->size : 1; }
const char *pf_dist_library(const pf_dist *d) { return d ? d->lib : "no MPI"; }
