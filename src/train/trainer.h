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

#endif
