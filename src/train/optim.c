/* Adam and SGD with momentum, elementwise in a fixed order (so the same inputs, same bits). */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/train.h"

void pf_optimizer_init(pf_optimizer *o, const pf_train_config *c, size_t n)
{
    *o = (pf_optimizer){.kind = c->optimizer, .lr = c->lr, .momentum = c->momentum,
                        .beta1 = c->beta1, .beta2 = c->beta2, .eps = c->eps,
                        .weight_decay = c->weight_decay, .n = n};
    o->m = pf_calloc(n ? n : 1, sizeof *o->m);
    o->v = pf_calloc(n ? n : 1, sizeof *o->v);
}

void pf_optimizer_release(pf_optimizer *o)
{
    if (!o)
        return;
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

/* PyTorch's Adam: p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps). */
static void adam_step(pf_optimizer *o, float *p, const float *g)
{
    double t = (double)o->step;
    float b1 = (float)o->beta1, b2 = (float)o->beta2, wd = (float)o->weight_decay;
    float c1 = (float)(1.0 - o->beta1), c2 = (float)(1.0 - o->beta2); /* as PyTorch's alpha */
    float step_size = (float)(o->lr / (1.0 - pow(o->beta1, t)));
    float bc2_sqrt = (float)sqrt(1.0 - pow(o->beta2, t)), eps = (float)o->eps;
    float *restrict m = o->m, *restrict v = o->v, *restrict pr = p;
    const float *restrict gr = g;
    /* restrict locals and -fno-math-errno let this vectorize; each lane does the same IEEE
     * operations as the scalar loop, so the bits do not change */
    for (size_t i = 0; i < o->n; i++) {
        float gi = gr[i] + wd * pr[i];
        m[i] = b1 * m[i] + c1 * gi;
        v[i] = b2 * v[i] + c2 * gi * gi;
        pr[i] -= step_size * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
    }
}

/* PyTorch's SGD: buf = momentum * buf + g (buf = g on the first step); p -= lr * buf. */
static void sgd_step(pf_optimizer *o, float *p, const float *g)
{
    float mu = (float)o->momentum, lr = (float)o->lr, wd = (float)o->weight_decay;
    int first = o->step == 1;
    for (size_t i = 0; i < o->n; i++) {
        float gi = g[i] + wd * p[i];
        o->m[i] = first || mu == 0 ? gi : mu * o->m[i] + gi;
        p[i] -= lr * o->m[i];
    }
}

void pf_optimizer_step(pf_optimizer *o, float *params, const float *grads)
{
    o->step++;
    if (o->kind == PF_OPTIM_SGD)
        sgd_step(o, params, grads);
    else
        adam_step(o, params, grads);
}
