/*
 * Writes the HDF5 seeds of fuzz_h5 into the folder given (`make fuzz` runs it; the files are
 * made with this build's writers rather than committed): three tiny shards (float32 spectrograms
 * with int16 audio, plain and gzip'd; float16 spectrograms without audio), a dataset.h5,
 * a model file (timestats, dense, relu, dense; float16 weights, a config, per-bin normalization)
 * and an ensemble of two models.
 * usage: make_seeds DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/nn.h"
#include "pitchforge/shard.h"

#include "../shard_fixture.h"

/* Two shards of split "train" in @p dir (int16 audio; the second gzip'd), their index, and
 * f16.h5 beside them (float16 spectrograms, no audio; not indexed: a dataset has one kind). */
static int write_dataset(const char *dir, pf_error *err)
{
    pf_shard_meta a = fx_meta(5, 3, 1, PF_AUDIO_INT16, 0, "train", 0, 2);
    pf_shard_meta b = fx_meta(5, 3, 1, PF_AUDIO_INT16, 1, "train", 1, 2);
    pf_shard_meta c = fx_meta(5, 3, 1, PF_AUDIO_NONE, 0, "val", 0, 1);
    c.store_spec = PF_SPEC_STORE_FLOAT16;
    pf_index_report rep;
    if (fx_write_shard(fx_path(dir, "train-00000-of-00002.h5"), &a, 2, 0, err) ||
        fx_write_shard(fx_path(dir, "train-00001-of-00002.h5"), &b, 3, 2, err) ||
        pf_index_build(dir, &rep, err))
        return -1;
    return fx_write_shard(fx_path(dir, "f16.h5"), &c, 2, 5, err);
}

/* A model file at @p path: in_h bins of in_w frames, @p half weights. */
static int write_model(const char *path, int half, pf_error *err)
{
    pf_layer_spec L[] = {{.kind = PF_LAYER_TIMESTATS, .k = 1},
                         {.kind = PF_LAYER_DENSE, .out = 4},
                         {.kind = PF_LAYER_RELU},
                         {.kind = PF_LAYER_DENSE, .out = 3}};
    pf_model_spec spec = {1, 5, 3, L, 4};
    float mean[5] = {0.5f, 1, 1.5f, 2, 2.5f}, std[5] = {1, 2, 3, 4, 5};
    pf_model_meta meta = {.target = "bins",
                          .bins_lo_midi = 60,
                          .bins_step = 0.2,
                          .n_bins = 3,
                          .input = "log",
                          .norm_mean = mean,
                          .norm_std = std,
                          .norm_len = 5,
                          .config_text = "model: {layers: [relu]}\nbatch: 2\n",
                          .sample_rate = 16000,
                          .segment_len = 11,
                          .stft_length = 256,
                          .stft_overlap = 192,
                          .stft_nfft = 1024,
                          .spec_mode = "magnitude",
                          .spec_scaling = "density",
                          .half = half,
                          .train_threads = 1};
    pf_model *m = pf_model_new(&spec, 1, 1, err);
    int rc = m ? pf_model_save(path, m, &spec, &meta, err) : -1;
    pf_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    char *models[2] = {strdup(fx_path(dir, "model.h5")), strdup(fx_path(dir, "model-half.h5"))};
    pf_error err = {0};
    int rc = write_dataset(dir, &err) || write_model(models[0], 0, &err) ||
             write_model(models[1], 1, &err) ||
             pf_ensemble_save(fx_path(dir, "ensemble.h5"), (const char *const *)models, 2, &err);
    if (rc) fprintf(stderr, "make_seeds: %s\n", err.msg);
    free(models[0]);
    free(models[1]);
    return rc ? 1 : 0;
}
