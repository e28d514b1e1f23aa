/* One training step as pf_train takes it, for the trainer and bench/bench_nn.c. */
#ifndef PF_TRAIN_TRAINER_H
#define PF_TRAIN_TRAINER_H

#include <stddef.h>

#include "pitchforge/nn.h"
#include "pitchforge/train.h"
#include "train/optim.h"

/**
 * One optimizer step on a batch: forward in training mode (dropout keyed by @p c's seed and
 * @p o's step count), @p c's loss over the first @p rows rows and its gradient, backward and,
 * when the loss is finite, @p o's step on the model's parameters. B = pf_model_batch(@p m),
 * K = pf_model_out_size(@p m).
 * @param x     input [B][pf_model_in_size(m)]
 * @param rows  rows in use (at most B; the rest of @p dy is zero)
 * @param t     targets [B][K] (the first @p rows rows are read)
 * @param y     out: model outputs [B][K]
 * @param dy    out: dLoss/dy [B][K]
 * @param loss  out: the loss; when it is not finite nothing was updated
 * @return 0, or -1 with @p err filled (a layer failed)
 */
int pf_train_step(pf_model *m, pf_optimizer *o, const pf_train_config *c, const float *x,
                  size_t rows, const float *t, float *y, float *dy, double *loss, pf_error *err);

/**
 * The memory a run of @p c needs, estimated before anything large is allocated: the loaders'
 * prefetch slots (2 splits x 2 batches) and the model's input, every layer's activations and
 * their gradients, the outputs, targets and their gradient ([batch][out] each), and parameters,
 * gradients and Adam's two moments.
 * @param in_c, in_h, in_w  one example's input shape (the dataset's spectrogram)
 * @param per_example       out: the bytes that grow with the batch, for one example
 * @return the bytes, or -1 with @p err filled (the layers do not fit the input)
 */
double pf_train_memory_need(const pf_train_config *c, int in_c, int in_h, int in_w,
                            double *per_example, pf_error *err);
/** Refuse (-1, PF_EINVAL naming the config, its batch and both figures) a run of @p c that
 *  needs more memory than the machine has available (pf_mem_available_bytes); the input shape
 *  is the dataset's (a dataset that cannot be read is left to the loader to report). */
int pf_train_memory_check(const pf_train_config *c, pf_error *err);

#endif
