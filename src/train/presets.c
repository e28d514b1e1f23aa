/* Model presets: the blog's seed network and a fast one, as layer tables (easy to change). */
#include <string.h>

#include "core/mem.h"
#include "pitchforge/train.h"
#include "pitchforge/error.h"
#include "pitchforge/nn.h"

#define CONV(n) {.kind = PF_LAYER_CONV, .out = (n), .kernel = 3}
#define POOL {.kind = PF_LAYER_MAXPOOL, .pool = 2}
#define DROP(q) {.kind = PF_LAYER_DROPOUT, .p = (q)}
#define RELU {.kind = PF_LAYER_RELU}
#define DENSE(n) {.kind = PF_LAYER_DENSE, .out = (n)}
#define TSTATS(K) {.kind = PF_LAYER_TIMESTATS, .k = (K)}

/*
 * seed: the blog's network. Input dropout, then 4 x (conv 3x3, ReLU, 2x2 max-pool, dropout
 * 0.25) with 64, 128, 128, 256 filters; dense 256 + ReLU + dropout, dense 64 + ReLU, output.
 * On [1][513][90]: 256 x 32 x 5 = 40960 features into dense 256, about 11 M parameters.
 */
static const pf_layer_spec seed_layers[] = {
    DROP(0.25f), CONV(64),  RELU,      POOL, DROP(0.25f), CONV(128), RELU, POOL,
    DROP(0.25f), CONV(128), RELU,      POOL, DROP(0.25f), CONV(256), RELU, POOL,
    DROP(0.25f), DENSE(256), RELU, DROP(0.5f), DENSE(64), RELU,
};

/*
 * fast: per-bin statistics along time plus the whole modulation spectrum along time
 * (timestats, k = 45: the 3.5 ms hop's Nyquist, where the period of octave-2 and -3 notes
 * shows), then dense 512 and 256 with ReLU; chosen by measurement (docs/fast-model.md: k = 4..16
 * leave octave 2 at RPA50 0.08-0.09, k = 45 reaches 0.65 there after two epochs).
 */
static const pf_layer_spec fast_layers[] = {
    TSTATS(45), DENSE(512), RELU, DROP(0.1f), DENSE(256), RELU,
};

#define CONV1(n) {.kind = PF_LAYER_CONV, .out = (n), .kernel = 1}
#define HARM_TARGET(K) {.kind = PF_LAYER_HARMONICS, .k = (K)} /* bins filled from the target */

/*
 * track: an answer for every spectrogram column (target frames). A 3 x 3 convolution over
 * frequency and time (16 filters), then harmonics keeping the time axis: the 16 maps sampled
 * along log frequency at the target's bins, at 1/2, 1, 2 and 3 times each bin's frequency (64
 * channels); a 1 x 1 convolution mixes them to 16, a 3 x 3 convolution over bins and time, and
 * the output convolution (one channel: [bins][frames] logits). 16 channels, not 8: oneDNN 2.6
 * has no fast kernel for 8-channel convolutions here (0.28 against 35 examples/s training).
 */
static const pf_layer_spec track_layers[] = {
    CONV(16), RELU, HARM_TARGET(4), CONV1(16), RELU, CONV(16), RELU,
};

typedef struct preset {
    const char *name;
    const pf_layer_spec *layers;
    size_t n;
} preset;

static const preset presets[] = {
    {"seed", seed_layers, sizeof seed_layers / sizeof seed_layers[0]},
    {"fast", fast_layers, sizeof fast_layers / sizeof fast_layers[0]},
    {"track", track_layers, sizeof track_layers / sizeof track_layers[0]},
};

int pf_model_preset(const char *name, int n_out, pf_model_spec *spec, pf_error *err)
{
    if (!name || !spec || n_out < 1)
        return PF_FAIL(err, PF_EINVAL, "pf_model_preset: bad argument");
    for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
        const preset *p = &presets[i];
        if (strcmp(p->name, name))
            continue;
        *spec = (pf_model_spec){.in_c = 1, .in_h = 513, .in_w = 90, .n_layers = p->n + 1};
        spec->layers = pf_calloc(p->n + 1, sizeof *spec->layers);
        memcpy(spec->layers, p->layers, p->n * sizeof *p->layers);
        spec->layers[p->n] = (pf_layer_spec)DENSE(n_out);
        return 0;
    }
    return PF_FAIL(err, PF_EINVAL, "no model preset '%s' (known: seed, fast, track)", name);
}
