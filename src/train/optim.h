/* Optimizers on the flat parameter and gradient arrays (Adam, SGD with momentum), as PyTorch. */
#ifndef PF_TRAIN_OPTIM_H
#define PF_TRAIN_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/train.h"

/** Optimizer state: hyperparameters, step count and the per-parameter moments. */
typedef struct pf_optimizer {
    pf_optim kind;
    double lr, momentum, beta1, beta2, eps, weight_decay;
    size_t n;      /**< parameters */
    uint64_t step; /**< steps taken */
    int threads;   /**< threads a step may use (1 after init); any count gives the same bits */
    float *m;      /**< [n] Adam: first moment; SGD: momentum buffer */
    float *v;      /**< [n] Adam: second moment; SGD: unused (zeros) */
} pf_optimizer;

/** Set up @p o for @p n parameters with @p c's optimizer settings, on one thread (set
 *  o->threads for more); moments start at zero. */
void pf_optimizer_init(pf_optimizer *o, const pf_train_config *c, size_t n);
/** Free the moments (a zeroed optimizer is accepted). */
void pf_optimizer_release(pf_optimizer *o);
/**
 * One step, as torch.optim.Adam / torch.optim.SGD (dampening 0, no Nesterov) with L2 weight
 * decay added to the gradient: updates @p params [n] from @p grads [n]; deterministic. With
 * o->threads > 1 and enough parameters, fixed contiguous chunks of [0, n) run on threads of
 * their own; the update is elementwise, so the bits are those of one thread.
 */
void pf_optimizer_step(pf_optimizer *o, float *params, const float *grads);

#endif
