/*
 * pitchforge: the processes of one data-parallel run (MPI behind one module, src/core/dist.c).
 *
 * A process started by an MPI launcher (mpirun, srun) is one rank of the run; a process started
 * plainly is the only one (rank 0 of 1) and never touches MPI. Every collective here gives the
 * same bits on every rank and in every run: sums are taken in rank order, never in the order the
 * network delivers. A build without MPI (no Open MPI at build time) has only the plain process.
 */
#ifndef PITCHFORGE_DIST_H
#define PITCHFORGE_DIST_H

#include <stddef.h>

#include "pitchforge/error.h"

typedef struct pf_dist pf_dist;

/**
 * Join the run this process was started in: MPI_Init when an MPI launcher's environment is
 * present (OMPI_COMM_WORLD_SIZE, PMIX_RANK, PMI_RANK, PMI_SIZE, or SLURM_NTASKS above 1), else
 * a single process without MPI. A launcher that starts N > 1 tasks whose MPI world is 1 (srun
 * without --mpi=pmix, or a build without MPI under mpirun) is refused: each would train alone.
 * @return the handle (pf_dist_free), or NULL with @p err filled
 */
pf_dist *pf_dist_init(pf_error *err);
/** MPI_Finalize when pf_dist_init called MPI_Init, then free; NULL is accepted. */
void pf_dist_free(pf_dist *d);
/** This process's rank, 0 .. size - 1 (0 for NULL). */
int pf_dist_rank(const pf_dist *d);
/** Processes in the run (1 for NULL). */
int pf_dist_size(const pf_dist *d);
/** "Open MPI v4.1.4, ..." (the library's own version line), or "no MPI" in a single process. */
const char *pf_dist_library(const pf_dist *d);

/**
 * Sum @p buf [@p n] over the ranks, in place, the same bits on every rank and run: rank k sums
 * the k-th of size contiguous chunks of [0, n) as ((r0 + r1) + r2) + ... (each rank's values
 * received with MPI_Alltoallv), then every rank gathers the summed chunks (MPI_Allgatherv).
 * Sends 2 n (size - 1) / size values per rank, as a ring allreduce. A no-op on one process.
 * @p d keeps the receive buffer for the next call (not thread-safe: one caller thread).
 * @return 0, or -1 with @p err filled (PF_ELIB naming the MPI call; PF_EINVAL for n > INT_MAX)
 */
int pf_dist_sum_f32(pf_dist *d, float *buf, size_t n, pf_error *err);
/** pf_dist_sum_f32 on doubles. */
int pf_dist_sum_f64(pf_dist *d, double *buf, size_t n, pf_error *err);
/**
 * Gather every rank's @p mine [@p counts[rank]] into @p all [sum of @p counts], in rank order
 * (MPI_Allgatherv); @p counts [size] the same on every rank. One process: a copy.
 * @return 0, or -1 with @p err filled
 */
int pf_dist_gather_f32(const pf_dist *d, const float *mine, float *all, const size_t *counts,
                       pf_error *err);
/** Copy rank 0's @p buf [@p bytes] to every rank (MPI_Bcast, in pieces below 1 GiB). */
int pf_dist_bcast(const pf_dist *d, void *buf, size_t bytes, pf_error *err);
/** Wait until every rank is here (MPI_Barrier). */
int pf_dist_barrier(const pf_dist *d, pf_error *err);
/**
 * Stop every rank of the run (MPI_Abort with @p code), for the CLI after a failure on one rank
 * that the others would wait for in a collective; returns only on a single process.
 */
void pf_dist_abort(const pf_dist *d, int code);

#endif
