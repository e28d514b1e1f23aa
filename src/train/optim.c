/* Adam and SGD with momentum, elementwise in a fixed order (so the same inputs, same bits);
 * contiguous chunks of the parameters on threads of their own (each element's arithmetic is
 * the same on any chunking, so the bits do not depend on the thread count). */
#include "train/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/train.h"
#include "core/parallel.h"

/* Fewest parameters a thread gets: below it, starting a thread costs more than it saves. */
#define MIN_CHUNK ((size_t)1 << 16)

/* One step's constants, shared by the chunks. */
typedef struct job {
    pf_optimizer *o;
    float *p;
    const float *g;
    float b1, b2, c1, c2, wd, step_size, bc2_sqrt, eps; /* Adam */
    float mu, lr;                                       /* SGD */
    int first;                                          /* SGD: first step */
} job;

void pf_optimizer_init(pf_optimizer *o, const pf_train_config *c, size_t n)
{
    *o = (pf_optimizer){.kind = c->optimizer, .lr = c->lr, .momentum = c->momentum,
                        .beta1 = c->beta1, .beta2 = c->beta2, .eps = c->eps,
                        .weight_decay = c->weight_decay, .n = n, .threads = 1};
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

/* PyTorch's Adam on [i0, i1): p -= lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps). */
static void adam_chunk(const job *j, size_t i0, size_t i1)
{
    float b1 = j->b1, b2 = j->b2, c1 = j->c1, c2 = j->c2, wd = j->wd;
    float step_size = j->step_size, bc2_sqrt = j->bc2_sqrt, eps = j->eps;
    float *restrict m = j->o->m, *restrict v = j->o->v, *restrict pr = j->p;
    const float *restrict gr = j->g;
    /* restrict locals and -fno-math-errno let this vectorize; each lane does the same IEEE
     * operations as the scalar loop, so the bits do not change */
    for (size_t i = i0; i < i1; i++) {
        float gi = gr[i] + wd * pr[i];
        m[i] = b1 * m[i] + c1 * gi;
        v[i] = b2 * v[i] + c2 * gi * gi;
        pr[i] -= step_size * m[i] / (sqrtf(v[i]) / bc2_sqrt + eps);
    }
}

/* PyTorch's SGD on [i0, i1): buf = momentum * buf + g (buf = g on the first step); p -= lr * buf. */
static void sgd_chunk(const job *j, size_t i0, size_t i1)
{
    float mu = j->mu, lr = j->lr, wd = j->wd;
    float *m = j->o->m, *p = j->p;
    for (size_t i = i0; i < i1; i++) {
        float gi = j->g[i] + wd * p[i];
        m[i] = j->first || mu == 0 ? gi : mu * m[i] + gi;
        p[i] -= lr * m[i];
    }
}

/* Part t of nt (pf_parallel_run): parameters [n t / nt, n (t + 1) / nt). */
static void step_part(void *arg, int t, int nt)
{
    const job *j = arg;
    size_t n = j->o->n, i0 = n * (size_t)t / (size_t)nt, i1 = n * (size_t)(t + 1) / (size_t)nt;
    if (j->o->kind == PF_OPTIM_SGD)
        sgd_chunk(j, i0, i1);
    else
        adam_chunk(j, i0, i1);
}

/* The step's constants in float, as PyTorch's alpha and value arguments. */
static job make_job(pf_optimizer *o, float *p, const float *g)
{
    double t = (double)o->step;
    return (job){.o = o, .p = p, .g = g, .b1 = (float)o->beta1, .b2 = (float)o->beta2,
                 .c1 = (float)(1.0 - o->beta1), .c2 = (float)(1.0 - o->beta2),
                 .wd = (float)o->weight_decay,
                 .step_size = (float)(o->lr / (1.0 - pow(o->beta1, t))),
                 .bc2_sqrt = (float)sqrt(1.0 - pow(o->beta2, t)), .eps = (float)o->eps,
                 .mu = (float)o->momentum, .lr = (float)o->lr, .first = o->step == 1};
}

void pf_optimizer_step(pf_optimizer *o, float *params, const float *grads)
{
    o->step++;
    job j = make_job(o, params, grads);
    size_t most = o->n / MIN_CHUNK;
    int nt = o->threads < 1 ? 1 : o->threads;
    if ((size_t)nt > most)
        nt = most < 1 ? 1 : (int)most;
    if (nt == 1)
        step_part(&j, 0, 1);
    else
        pf_parallel_run(nt, step_part, &j);
}
