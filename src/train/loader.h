/*
 * The training data loader: one split of a dataset.h5, read shard by shard by hyperslab,
 * in a seeded order per epoch, one batch ahead on a prefetch thread that also compresses
 * (ln(|x| + 1e-6) for log input) and normalizes per bin with dataset.h5's /stats.
 * Memory: two batches of examples plus the split's labels.
 */
#ifndef PF_TRAIN_LOADER_H
#define PF_TRAIN_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"

/** Counter-based RNG stream of the per-epoch shuffle (keyed by the training seed). */
#define PF_STREAM_TRAIN_SHUFFLE 0x7472u
/** Stream of the per-step dropout seeds. */
#define PF_STREAM_TRAIN_STEP 0x7473u
/** Stream of the random EQ curves (keyed by epoch and example). */
#define PF_STREAM_TRAIN_EQ 0x7474u
/** Cosine terms of a random EQ curve (the shortest spans 1/PF_EQ_TERMS of the band, twice). */
#define PF_EQ_TERMS 16

typedef struct pf_loader pf_loader;

/**
 * Open split @p split ("train", "val") of @p dataset (a dataset.h5): check its schema and
 * every shard of the split (present, schema pitchforge-shard/2, the shapes of the index, the
 * index's manifest_sha256, split / shard_index / shard_count as its file name says, a finite
 * /stats/sumsq; no example_id in two shards), read the split's f0 labels and the
 * normalization stats. Each example read is checked: every value's square within its bin's
 * /stats/sumsq of its shard (so finite and no larger than the data written).
 * @param limit      0: every example; else the first @p limit
 * @param batch      examples per batch
 * @param log_input  1: ln(|x| + 1e-6) then /stats/log_mean, log_std; 0: /stats/mean, std
 * @return the loader (pf_loader_free) or NULL with @p err naming the file at fault
 */
pf_loader *pf_loader_open(const char *dataset, const char *split, size_t limit, int batch,
                          int log_input, pf_error *err);
/** Stop the prefetch thread, close the shards, free everything; NULL is accepted. */
void pf_loader_free(pf_loader *l);

/** Examples in the split (after the limit). */
size_t pf_loader_size(const pf_loader *l);
/** Batches per pass (the last one may be partial). */
size_t pf_loader_batches(const pf_loader *l);
/** Shape of one example: planes, bins, frames. */
void pf_loader_shape(const pf_loader *l, int *c, int *h, int *w);
/** f0 in Hz of every example, in split order [size]. */
const double *pf_loader_f0(const pf_loader *l);
/**
 * Read every example's per-column labels (/labels/f0_frames), for pf_loader_f0_frames.
 * @return 0, or -1 with @p err filled (a shard without them, or unreadable)
 */
int pf_loader_read_frames(pf_loader *l, pf_error *err);
/** Per-column f0 in Hz (0: unvoiced) of every example [size][frames] after
 *  pf_loader_read_frames, else NULL. */
const float *pf_loader_f0_frames(const pf_loader *l);
/** The same labels, writable (the trainer's measured tuning moves them before training). */
double *pf_loader_f0_mut(pf_loader *l);
/** Normalization per plane and bin [planes * bins]: mean and std (std of 0 stored as 1). */
const float *pf_loader_norm_mean(const pf_loader *l);
const float *pf_loader_norm_std(const pf_loader *l);
size_t pf_loader_norm_len(const pf_loader *l);
/**
 * Normalize with @p mean and @p std [@p len = planes * bins] (copied; a std of 0 taken as 1)
 * instead of the dataset's stats: a run that starts from another model's weights keeps the
 * inputs those weights were fitted to. PF_EINVAL when @p len differs from the loader's.
 */
int pf_loader_set_norm(pf_loader *l, const float *mean, const float *std, size_t len,
                       pf_error *err);

/**
 * Random EQ (training augmentation): every example of a pass is filtered by its own smooth gain
 * curve over frequency before normalization, drawn from (seed, PF_STREAM_TRAIN_EQ, epoch,
 * example): a level L uniform in [0, @p eq_db] dB times c(b) / max|c|, where
 * c(b) = sum_k u_k / k cos(pi k b / (bins - 1) + phi_k), k = 1..PF_EQ_TERMS, u_k uniform in
 * [-1, 1], phi_k in [0, 2 pi). Log input adds it (in nepers), linear input multiplies by it.
 * 0 (the default) turns it off; the validation loader never has it.
 */
void pf_loader_set_eq(pf_loader *l, double eq_db);
/** The curve of example @p idx in pass (@p seed, @p epoch), in nepers, into @p g [bins]. */
void pf_loader_eq_curve(uint64_t seed, uint64_t epoch, uint64_t idx, double eq_db, int bins,
                        float *g);

/**
 * Start a pass: examples in split order (@p shuffle 0) or permuted by a Fisher-Yates shuffle
 * drawn from the counter-based RNG keyed by (@p seed, PF_STREAM_TRAIN_SHUFFLE, @p epoch); the
 * prefetch thread starts filling the first batch. A pass still running is stopped first.
 */
void pf_loader_start(pf_loader *l, uint64_t seed, uint64_t epoch, int shuffle);
/** pf_loader_start, then skip the first @p batch batches of the pass (none are read): the pass
 *  a checkpoint taken after @p batch steps of the epoch goes on with. */
void pf_loader_start_at(pf_loader *l, uint64_t seed, uint64_t epoch, int shuffle, size_t batch);
/**
 * The next batch of the pass, or this part's rows of it (pf_loader_set_part); the previous one
 * is handed back to the prefetch thread.
 * @param x     out: [cap][planes][bins][frames] (cap = pf_loader_part_cap, the batch on one
 *              part), rows past *@p rows are zero
 * @param idx   out: split index of each of the *@p rows examples
 * @return 1 with a batch, 0 at the end of the pass, -1 with @p err filled (a read failed or a
 *         value is not finite or beyond its bin's /stats/sumsq: the message names the shard
 *         and the example)
 */
int pf_loader_next(pf_loader *l, const float **x, const size_t **idx, size_t *rows,
                   pf_error *err);
/** The whole batch pf_loader_next last handed out: the split index of each of its *@p all
 *  rows (every part's, in order); NULL and 0 before the first. */
void pf_loader_batch_all(const pf_loader *l, const size_t **idx, size_t *all);

/**
 * Read only part @p part of @p parts of every batch (data-parallel training: part = rank):
 * rows [lo, lo + rows) of pf_loader_part_rows; the order of the batches and of the examples in
 * them stays that of one part. Stops a running pass; parts below 2 mean the whole batch.
 */
void pf_loader_set_part(pf_loader *l, int part, int parts);
/** The most rows a part gets: ceil(batch / parts) (the batch with one part). */
size_t pf_loader_part_cap(const pf_loader *l);
/** Rows [*@p lo, *@p lo + *@p rows) of a batch of @p all rows are part @p part of @p parts':
 *  lo = all part / parts (floor), contiguous, every row in exactly one part. */
void pf_loader_part_rows(size_t all, int part, int parts, size_t *lo, size_t *rows);

#endif
