/* How much memory a training run needs, checked before the loaders and the model allocate. */
#include <stdlib.h>

#include "core/mem.h"
#include "core/util.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/nn.h"
#include "train/trainer.h"

double pf_train_memory_need(const pf_train_config *c, int in_c, int in_h, int in_w,
                            double *per_example, pf_error *err)
{
    pf_model_spec spec = c->model;
    spec.in_c = in_c, spec.in_h = in_h, spec.in_w = in_w;
    size_t n = spec.n_layers;
    pf_layer_shape *sh = pf_calloc(n ? n : 1, sizeof *sh);
    if (pf_model_spec_shapes(&spec, sh, err)) {
        free(sh);
        return -1;
    }
    double in = (double)in_c * in_h * in_w, act = 0, params = 0, out = in;
    for (size_t i = 0; i < n; i++) {
        double size = (double)sh[i].c * sh[i].h * sh[i].w;
        act += size, params += (double)sh[i].n_params, out = size;
    }
    free(sh);
    /* floats: 4 loader slots + the model's input, activations + gradients, y, t and dy */
    *per_example = 4.0 * (5 * in + 2 * act + 3 * out);
    return *per_example * c->batch + 4.0 * 4 * params;
}

int pf_train_memory_check(const pf_train_config *c, pf_error *err)
{
    pf_shard_info info;
    if (pf_dataset_split_info_read(c->dataset, "train", &info, NULL)) return 0;
    double per, need = pf_train_memory_need(c, (int)info.planes, (int)info.bins,
                                            (int)info.frames, &per, err);
    double avail = pf_mem_available_bytes();
    if (need < 0) return pf_error_prefix(err, "%s: model", c->file);
    if (avail <= 0 || need <= avail) return 0;
    char n[32], p[32], a[32];
    pf_human_bytes(need, n, sizeof n);
    pf_human_bytes(per, p, sizeof p);
    pf_human_bytes(avail, a, sizeof a);
    return PF_FAIL(err, PF_EINVAL, "%s: batch %d needs about %s of memory (%s an example), this "
                   "machine has %s available: lower batch", c->file, c->batch, n, p, a);
}
