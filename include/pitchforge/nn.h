/* pitchforge: the pitch model — layers on oneDNN, a model as a layer sequence, model files. */
#ifndef PITCHFORGE_NN_H
#define PITCHFORGE_NN_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"

#define PF_MODEL_SCHEMA "pitchforge-model/1"
#define PF_ENSEMBLE_SCHEMA "pitchforge-ensemble/1"
#define PF_ENSEMBLE_MAX 16 /**< members an ensemble file may hold */

/** Layer kinds. Shapes are NCHW float32; `dense` flattens its input. */
typedef enum pf_layer_kind {
    PF_LAYER_CONV = 0, /**< 2-D convolution, `out` filters, `kernel` x `kernel`, stride 1,
                            'same' zero padding, with bias; on an input of height 1 the kernel is
                            1 x `kernel` (a convolution along W only) */
    PF_LAYER_MAXPOOL,  /**< `pool` x `pool` max pooling, stride `pool`, floor of the size; on an
                            input of height 1, 1 x `pool` */
    PF_LAYER_RELU,
    PF_LAYER_DROPOUT,   /**< inverted dropout with probability `p` (identity at inference) */
    PF_LAYER_DENSE,     /**< inner product to `out` units, with bias; flattens C*H*W */
    PF_LAYER_TIMESTATS, /**< [C=1][H bins][W frames] -> [1][1][H*(2+K)]: per bin the mean and
                             std over time and the magnitudes of the first `k` (K) modulation
                             frequencies (DFT along time, bins 1..K, divided by W) */
    /** timestats_map: the same statistics as a map [2+K][1][H]: channel 0 the means, 1 the
        stds, 1+j modulation frequency j; for convolutions along frequency */
    PF_LAYER_TIMESTATS_MAP,
    /** harmonics: a height-1 map along linear frequency [C][1][W] (W bins `hz` Hz apart) to
        [C*K][1][OUT] along log frequency: OUT bins `step` cents apart from MIDI `lo`; channel
        group g samples each input channel, by linear interpolation, at m_g times the bin's
        frequency with m_0 = 1/2 and m_g = g for g >= 1 (0 beyond the last input bin). No
        parameters: it lines a note's harmonics up across channels, so convolutions along its
        output are shared by every pitch */
    PF_LAYER_HARMONICS,
    PF_LAYER_COUNT
} pf_layer_kind;

/** Names as written in configs and model files ("conv", "maxpool", ...). */
extern const char *const pf_layer_names[PF_LAYER_COUNT];

/** One layer of a model description. Unused fields are 0. */
typedef struct pf_layer_spec {
    pf_layer_kind kind;
    int out;    /**< conv filters / dense units */
    int kernel; /**< conv kernel size (odd) */
    int pool;   /**< maxpool size */
    float p;    /**< dropout probability in [0, 1) */
    int k;      /**< timestats: modulation frequencies kept; harmonics: channel groups */
    float lo, step, hz; /**< harmonics: first output bin (MIDI), its step (cents), input bin Hz */
} pf_layer_spec;

/** A model: input shape and layers; the last layer's output size is the model's output. */
typedef struct pf_model_spec {
    int in_c, in_h, in_w; /**< 1, 513, 90 */
    pf_layer_spec *layers;
    size_t n_layers;
} pf_model_spec;

typedef struct pf_model pf_model;

/** One layer's output shape for one example, and its parameter count. */
typedef struct pf_layer_shape {
    int c, h, w;     /**< output [c][h][w] */
    size_t n_params; /**< weights and biases */
} pf_layer_shape;

/**
 * Infer every layer's output shape and parameter count without building the model.
 * @param shapes out: [spec->n_layers], caller-owned
 * @return 0, or -1 with @p err filled (a layer that does not fit its input, as pf_model_new)
 */
int pf_model_spec_shapes(const pf_model_spec *spec, pf_layer_shape *shapes, pf_error *err);

/**
 * Make a model for batches of @p batch examples, on @p threads CPU threads (oneDNN), with
 * every parameter in one allocation and every gradient in another. Parameters start at zero;
 * call pf_model_init_params or load them.
 * @return the model (free with pf_model_free), or NULL with @p err filled (bad shapes, ...)
 */
pf_model *pf_model_new(const pf_model_spec *spec, int batch, int threads, pf_error *err);
/** Free the model; NULL is accepted. */
void pf_model_free(pf_model *m);

/** The batch size the model was made for. */
int pf_model_batch(const pf_model *m);
/** Output values per example. */
size_t pf_model_out_size(const pf_model *m);
/** Input values per example (in_c * in_h * in_w). */
size_t pf_model_in_size(const pf_model *m);
/** Number of parameters (weights and biases of every layer). */
size_t pf_model_n_params(const pf_model *m);
/** All parameters, one contiguous array of pf_model_n_params floats (owned by the model). */
float *pf_model_params(pf_model *m);
/** All gradients, laid out as the parameters (owned by the model). */
float *pf_model_grads(pf_model *m);

/** Where layer @p i's parameters sit in the arrays, and their PyTorch shapes. */
typedef struct pf_param_view {
    size_t weight_off, weight_len, bias_off, bias_len; /**< 0 lengths: no parameters */
    int weight_rank;
    int64_t weight_shape[4]; /**< conv [out][in][kh][kw], dense [out][in] (PyTorch layout) */
} pf_param_view;
/** Fill @p v for layer @p i; returns -1 if @p i is out of range. */
int pf_model_param_view(const pf_model *m, size_t i, pf_param_view *v);

/**
 * Initialize parameters as PyTorch does by default (kaiming-uniform weights with a = sqrt(5),
 * uniform biases in +-1/sqrt(fan_in)), drawn from the counter-based generator keyed by @p seed.
 */
void pf_model_init_params(pf_model *m, uint64_t seed);

/**
 * Forward pass of one batch.
 * @param x         [batch][in_c][in_h][in_w]
 * @param y         out: [batch][out_size]
 * @param training  1: dropout on, activations kept for pf_model_backward
 * @param step_seed seed of this step's dropout masks (counter-based: same seed, same masks)
 */
int pf_model_forward(pf_model *m, const float *x, float *y, int training, uint64_t step_seed,
                     pf_error *err);
/**
 * Backward pass of the last training forward: @p dy is dLoss/dy [batch][out_size]; the
 * gradients of every parameter are written (not accumulated) to pf_model_grads.
 */
int pf_model_backward(pf_model *m, const float *dy, pf_error *err);
/**
 * pf_model_backward that also writes dLoss/dx to @p dx [batch][in_c][in_h][in_w] (NULL: as
 * pf_model_backward; the first layer's input gradient is only computed when asked).
 */
int pf_model_backward_dx(pf_model *m, const float *dy, float *dx, pf_error *err);

/* ---- model files (schema pitchforge-model/1, HDF5) ---- */

/** What a model file holds besides the weights: how to feed it and read it. */
typedef struct pf_model_meta {
    char target[16];      /**< "hz" | "midi" | "bins" */
    double bins_lo_midi;  /**< bins: centre of bin 0, in MIDI units */
    double bins_step;     /**< bins: width in semitones (0.2 = 20 cents) */
    int n_bins;
    char input[16];       /**< "linear" | "log": compression before normalization */
    float *norm_mean, *norm_std; /**< [in_h] per-bin normalization (owned) */
    size_t norm_len;
    char *config_text;    /**< the training config, verbatim (owned, may be NULL) */
    /* the spectrograms the model was trained on (from the dataset; 0 / "" when unknown, and
     * readers then assume the defaults: 16 kHz, 5280 samples, 256 / 200 / 1024, magnitude) */
    double sample_rate;
    int segment_len, stft_length, stft_overlap, stft_nfft;
    char spec_mode[16], spec_scaling[16];
    int half;             /**< save: store weights as IEEE half (float16, rounded to nearest
                               even); loading converts them back to float exactly */
    int train_threads;    /**< the trainer's thread count (0: unknown, not written); a
                               network with dense layers may depend on it (docs/training.md) */
    double voicing_threshold; /**< frames: a column is voiced when its largest bin's
                                   probability reaches this, chosen on val by the trainer
                                   (0: not written; readers take PF_FRAMES_VOICED) */
    char data_sha256[65]; /**< the training data: its dataset.h5's manifest_sha256 (hex; ""
                               when unknown, not written) */
    int train_ranks;      /**< the trainer's MPI processes, each with train_threads (0 or 1:
                               one process, not written) */
} pf_model_meta;

/** @p threads, or fewer when OpenMP's thread limit (OMP_THREAD_LIMIT) is lower: the threads
 *  oneDNN's primitives can have, and so the most a model plans for (and a run records). */
int pf_nn_threads_allowed(int threads);

/** Write @p m and @p meta to @p path (temp name + rename), weights in PyTorch layout. */
int pf_model_save(const char *path, pf_model *m, const pf_model_spec *spec,
                  const pf_model_meta *meta, pf_error *err);
/**
 * Read a model file: its spec (layers allocated; free with pf_model_spec_release), meta
 * (release with pf_model_meta_release) and a model made for @p batch on @p threads threads.
 * Another schema is refused (PF_ESCHEMA) naming the version found.
 */
pf_model *pf_model_load(const char *path, int batch, int threads, pf_model_spec *spec,
                        pf_model_meta *meta, pf_error *err);
void pf_model_spec_release(pf_model_spec *spec);
/**
 * How many networks @p path holds: 1 for a model file, the member count for an ensemble file
 * (schema pitchforge-ensemble/1: /members/00, /members/01, ... each holding what a model
 * file's root holds).
 */
int pf_model_file_count(const char *path, size_t *n, pf_error *err);
/** pf_model_load of network @p i of @p path: the model file itself (i = 0) or member i. */
pf_model *pf_model_load_member(const char *path, size_t i, int batch, int threads,
                               pf_model_spec *spec, pf_model_meta *meta, pf_error *err);
/**
 * What keeps two networks (their specs and metas) from one ensemble: "input shape",
 * "spectrogram settings" or "target (kind or bins)"; NULL when they may be averaged.
 */
const char *pf_model_mismatch(const pf_model_spec *sa, const pf_model_meta *a,
                              const pf_model_spec *sb, const pf_model_meta *b);
/**
 * Write an ensemble file at @p path (temp name + rename) holding the networks of the @p n
 * model files @p members, each copied whole and unchanged. They must agree on the input,
 * the spectrogram settings and the target (its kind and bins); refused otherwise, naming the
 * file and what differs.
 */
int pf_ensemble_save(const char *path, const char *const *members, size_t n, pf_error *err);
void pf_model_meta_release(pf_model_meta *meta);

#endif
