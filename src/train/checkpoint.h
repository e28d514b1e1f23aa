/*
 * Training checkpoints: checkpoint.h5, schema pitchforge-checkpoint/1 (docs/training.md):
 * parameters, optimizer moments, step, epoch, the RNG keys and the config, so that a resumed
 * run continues to the same weights bit for bit.
 */
#ifndef PF_TRAIN_CHECKPOINT_H
#define PF_TRAIN_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"

/** What a checkpoint holds (arrays owned after pf_checkpoint_load). */
typedef struct pf_checkpoint {
    int epoch;         /**< epochs done (their val pass and metrics line included) */
    uint64_t batch;    /**< train batches of the next epoch done (0 at an epoch's end) */
    double loss_sum;   /**< of those batches: sum of loss x rows, and the rows, so that the
                            epoch's train_loss comes out as in an uninterrupted run */
    uint64_t loss_examples;
    uint64_t step;     /**< optimizer steps taken (the next step's dropout seed follows) */
    uint64_t seed;     /**< training seed: the RNG key of shuffles and dropout */
    size_t n_params;
    float *params;     /**< [n_params] */
    float *m, *v;      /**< [n_params] optimizer moments (Adam m, v; SGD momentum in m) */
    char *config_text; /**< the training config, verbatim */
    char *init_sha256; /**< sha256 (hex) of the init network's file; NULL: no init, or a
                            checkpoint written before it was stored */
    int threads;       /**< the trainer's thread count (0: unknown, from an older file) */
    int ranks;         /**< the trainer's MPI processes (0 or 1: one, attribute absent) */
} pf_checkpoint;

/** Write @p ck to @p path through a temp name and a rename (whole or absent). */
int pf_checkpoint_save(const char *path, const pf_checkpoint *ck, pf_error *err);
/**
 * Read @p path into @p ck (release with pf_checkpoint_release, also after a failure).
 * Another schema is refused (PF_ESCHEMA) naming the one found; pitchforge-checkpoint/1 is read
 * with batch, loss_sum and loss_examples 0 (it was written at epoch ends only).
 */
int pf_checkpoint_load(const char *path, pf_checkpoint *ck, pf_error *err);
/** Free the arrays of a loaded checkpoint; a zeroed one is accepted. */
void pf_checkpoint_release(pf_checkpoint *ck);

#endif
