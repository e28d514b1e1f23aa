/* Training config: YAML -> pf_train_config with defaults; every error names FILE:LINE:COL. */
#include <ctype.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/schema.h"
#include "pitchforge/manifest.h"
#include "pitchforge/shard.h"
#include "pitchforge/train.h"
#include "pitchforge/checksum.h"
#include "pitchforge/error.h"
#include "pitchforge/nn.h"
#include "pitchforge/pitch.h"

static const char *const target_names[] = {"hz", "midi", "bins", "frames", NULL};
static const char *const optim_names[] = {"adam", "sgd", NULL};
static const char *const loss_names[] = {"mse", "bce", NULL};
static const char *const input_names[] = {"log", "linear", NULL};
static const char *const weights_names[] = {"float32", "float16", NULL};
static const char *const preset_names[] = {"seed", "fast", "track", NULL};
static const char *const tuning_names[] = {"written", "measured", NULL};
static const char *const outside_names[] = {"refuse", "unvoiced", NULL};
/* Layer kinds as written in configs (the order of pf_layer_kind). */
static const char *const kind_names[] = {
    "conv", "maxpool", "relu", "dropout", "dense", "timestats", "timestats_map", "harmonics", NULL};

/* ---- readers of their own ---- */

static int read_input(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                      void *base)
{
    pf_train_config *c = base;
    int input;
    (void)map;
    if (!n)
        return 0;
    if (pf_yget_enum(x->d, n, k->names, &input, x->err))
        return -1;
    snprintf(c->input, sizeof c->input, "%s", k->names[input]);
    return 0;
}

static int check_dataset(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                         void *base)
{
    (void)k, (void)n;
    if (!((pf_train_config *)base)->dataset)
        return pf_yfail(x->err, x->d, map, "missing key 'dataset' (a dataset.h5 made by generate)");
    return 0;
}

/* init.member: 1 unless given (init is off when the section is absent). */
static int read_member(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                       void *base)
{
    pf_train_config *c = base;
    long v;
    (void)map;
    if (!n)
        return c->init_member = 1, 0;
    if (pf_yget_int(x->d, n, (long)k->min, (long)k->max, &v, x->err))
        return -1;
    c->init_member = (int)v;
    return 0;
}

static int check_init(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                      void *base)
{
    (void)k, (void)n;
    if (!((pf_train_config *)base)->init_model)
        return pf_yfail(x->err, x->d, map, "init needs 'model' (a model.h5 or an ensemble file)");
    return 0;
}

/* ---- target and loss ---- */

/* bins_lo: a MIDI number or a note name ("C2"). */
static int read_bins_lo(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                        void *base)
{
    pf_train_config *c = base;
    (void)map;
    if (!n)
        return 0;
    if (n->type == PF_Y_SCALAR && isalpha((unsigned char)n->value[0])) {
        int m = pf_note_parse(n->value);
        if (m < 0)
            return pf_yfail(x->err, x->d, n, "'%s' is not a note name (like C2) or a MIDI number",
                            n->value);
        c->bins_lo_midi = m;
        return 0;
    }
    return pf_yget_double(x->d, n, k->min, k->max, &c->bins_lo_midi, x->err);
}

static int read_step_cents(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n,
                           const pf_ynode *map, void *base)
{
    pf_train_config *c = base;
    double cents;
    (void)map;
    if (!n)
        return 0;
    if (pf_yget_double(x->d, n, k->min, k->max, &cents, x->err))
        return -1;
    c->bins_step = cents / 100;
    return 0;
}

static int check_bins(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                      void *base)
{
    const pf_train_config *c = base;
    (void)k, (void)n;
    if (c->bins_lo_midi + (c->n_bins - 1) * c->bins_step > 140)
        return pf_yfail(x->err, x->d, map, "the bins reach MIDI %.1f, above 140 (fewer n_bins?)",
                        c->bins_lo_midi + (c->n_bins - 1) * c->bins_step);
    return 0;
}

/* loss: by target unless given, and then it must fit the target. */
static int read_loss(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                     void *base)
{
    pf_train_config *c = base;
    int loss = pf_target_is_bins(c) ? PF_LOSS_BCE : PF_LOSS_MSE;
    (void)map;
    if (n && pf_yget_enum(x->d, n, k->names, &loss, x->err))
        return -1;
    if (n && (loss == PF_LOSS_BCE) != pf_target_is_bins(c))
        return pf_yfail(x->err, x->d, n, "loss %s does not fit target %s (bins and frames take "
                        "bce, hz and midi take mse)", k->names[loss], target_names[c->target]);
    c->loss = (pf_loss)loss;
    return 0;
}

/* ---- optimizer ---- */

static int read_betas(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                      void *base)
{
    pf_train_config *c = base;
    (void)k, (void)map;
    if (!n)
        return 0;
    if (n->type != PF_Y_SEQ || n->n != 2)
        return pf_yfail(x->err, x->d, n, "betas must be [beta1, beta2]");
    return pf_yget_double(x->d, n->items[0], 0, 0.999999, &c->beta1, x->err) ||
                   pf_yget_double(x->d, n->items[1], 0, 0.999999999, &c->beta2, x->err)
               ? -1
               : 0;
}

/* ---- model ---- */

/* A layer as read: the spec and the settings stored only for some kinds. */
typedef struct layer_in {
    pf_layer_spec l;
    double p, lo, step, hz;
} layer_in;

static int read_layer_kind(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n,
                           const pf_ynode *map, void *base)
{
    layer_in *in = base;
    int kind;
    if (!n)
        return pf_yfail(x->err, x->d, map,
                        "a layer needs 'kind' (conv, maxpool, relu, dropout, "
                        "dense, timestats, timestats_map, harmonics)");
    if (pf_yget_enum(x->d, n, k->names, &kind, x->err))
        return -1;
    in->l = (pf_layer_spec){.kind = (pf_layer_kind)kind, .kernel = 3, .pool = 2, .k = 8};
    return 0;
}

#define LF(f) offsetof(layer_in, f)
static const pf_key layer_rows[] = {
    {.key = "kind", .kind = PF_KEY_CUSTOM, .fn = read_layer_kind, .names = kind_names,
     .def = "required", .values = "`conv`, `maxpool`, `relu`, `dropout`, `dense`, `timestats`, "
                                  "`timestats_map`, `harmonics`",
     .help = "the layer (a bare name is a layer with no settings)"},
    {.key = "out", .kind = PF_KEY_INT, .min = 1, .max = 1 << 20, .off = LF(l.out),
     .help = "conv: filters; dense: outputs; harmonics: bins"},
    {.key = "kernel", .kind = PF_KEY_INT, .min = 1, .max = 63, .off = LF(l.kernel),
     .help = "conv: kernel size (odd)"},
    {.key = "pool", .kind = PF_KEY_INT, .min = 1, .max = 64, .off = LF(l.pool),
     .help = "maxpool: pool size"},
    {.key = "p", .kind = PF_KEY_DOUBLE, .min = 0, .max = 0.99, .off = LF(p),
     .help = "dropout: share dropped"},
    {.key = "k", .kind = PF_KEY_INT, .min = 0, .max = 1024, .off = LF(l.k),
     .help = "timestats, timestats_map: modulation magnitudes; harmonics: channel groups"},
    {.key = "lo", .kind = PF_KEY_DOUBLE, .min = 0, .max = 127, .off = LF(lo),
     .help = "harmonics: MIDI of bin 0"},
    {.key = "step", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1200, .off = LF(step),
     .help = "harmonics: bin width in cents"},
    {.key = "hz", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1e6, .off = LF(hz),
     .help = "harmonics: the input's bin spacing (sample rate / nfft)"},
};
static const layer_in layer_defaults = {.l = {.kernel = 3, .pool = 2, .k = 8}, .p = 0.5};
static const pf_keys layer_keys = {"model.layers[]", layer_rows,
                                   sizeof layer_rows / sizeof layer_rows[0], &layer_defaults};

/* A layer: `relu` (a scalar) or {kind: conv, out: 64, kernel: 3} and the like. */
static int parse_layer(pf_schema_ctx *x, const pf_ynode *n, pf_layer_spec *out)
{
    layer_in in = {.p = 0.5};
    pf_layer_spec *l = &in.l;
    if (n->type == PF_Y_MAP ? pf_schema_read(x, &layer_keys, n, &in)
                            : read_layer_kind(x, &layer_rows[0], n, n, &in))
        return -1;
    int kind = (int)l->kind;
    l->p = kind == PF_LAYER_DROPOUT ? (float)in.p : 0;
    if (kind == PF_LAYER_HARMONICS) {
        if (l->out == 0 || in.step <= 0 || in.hz <= 0)
            return pf_yfail(x->err, x->d, n,
                            "a harmonics layer needs out (bins), lo (MIDI), step (cents) and hz "
                            "(the input's bin spacing: sample rate / nfft)");
        l->lo = (float)in.lo, l->step = (float)in.step, l->hz = (float)in.hz;
    }
    if ((kind == PF_LAYER_CONV || kind == PF_LAYER_DENSE) && l->out == 0)
        return pf_yfail(x->err, x->d, n, "a %s layer needs 'out'", kind_names[kind]);
    if (kind == PF_LAYER_CONV && l->kernel % 2 == 0)
        return pf_yfail(x->err, x->d, n, "conv kernel must be odd ('same' padding)");
    *out = *l;
    return 0;
}

/* The output layer appended to the hidden ones: dense to n_out, or for frames a 3 x 3
 * convolution to one channel, so the bins and the time axis the layers kept are the output. */
static pf_layer_spec output_layer(const pf_train_config *c, int n_out)
{
    if (c->target == PF_TARGET_FRAMES)
        return (pf_layer_spec){.kind = PF_LAYER_CONV, .out = 1, .kernel = 3};
    return (pf_layer_spec){.kind = PF_LAYER_DENSE, .out = n_out};
}

/* A preset's harmonics layer takes the target's bins (out 0: not given): n_bins from bins_lo
 * in bins_step, over the default spectrogram's 15.625 Hz bins (16 kHz, 1024-point FFT). */
static void fill_harmonics(pf_train_config *c)
{
    for (size_t i = 0; i < c->model.n_layers; i++) {
        pf_layer_spec *s = &c->model.layers[i];
        if (s->kind != PF_LAYER_HARMONICS || s->out) continue;
        s->out = c->n_bins, s->lo = (float)c->bins_lo_midi;
        s->step = (float)(100.0 * c->bins_step), s->hz = 15.625f;
    }
}

/* layers: the hidden layers; the output layer (output_layer) is appended. */
static int parse_layers(pf_schema_ctx *x, pf_train_config *c, const pf_ynode *n, int n_out)
{
    if (n->type != PF_Y_SEQ || n->n == 0 || n->n > 256)
        return pf_yfail(x->err, x->d, n, "'layers' must be a list of 1 to 256 layers");
    pf_model_spec *s = &c->model;
    s->layers = pf_calloc(n->n + 1, sizeof *s->layers);
    for (size_t i = 0; i < n->n; i++) {
        if (parse_layer(x, n->items[i], &s->layers[i]))
            return -1;
        s->n_layers = i + 1;
    }
    s->layers[n->n] = output_layer(c, n_out);
    s->n_layers = n->n + 1;
    return 0;
}

/* model: a preset (fast unless given) or layers, not both; read after the target (n_out). */
static int read_model(pf_schema_ctx *x, const pf_key *k, const pf_ynode *s, const pf_ynode *map,
                      void *base)
{
    pf_train_config *c = base;
    int preset = 1, n_out = pf_target_n_out(c);
    const pf_ynode *layers = s ? pf_ymap_get(s, "layers") : NULL, *p;
    (void)map;
    if (s && pf_schema_check_keys(x, k->sub, s))
        return -1;
    if (s && pf_ymap_get(s, "preset") && layers)
        return pf_yfail(x->err, x->d, s, "give either 'preset' or 'layers', not both");
    if (layers)
        return parse_layers(x, c, layers, n_out);
    if (s && (p = pf_ymap_get(s, "preset")) && pf_yget_enum(x->d, p, preset_names, &preset, x->err))
        return -1;
    c->preset = pf_strdup(preset_names[preset]);
    int in_c = c->model.in_c, in_h = c->model.in_h, in_w = c->model.in_w;
    if (pf_model_preset(c->preset, n_out, &c->model, x->err))
        return -1;
    c->model.layers[c->model.n_layers - 1] = output_layer(c, n_out);
    fill_harmonics(c);
    c->model.in_c = in_c, c->model.in_h = in_h, c->model.in_w = in_w;
    return 0;
}

/* ---- the schema: one row per key ---- */

#define CF(f) offsetof(pf_train_config, f)
#define ROWS(name, rows) {name, rows, sizeof rows / sizeof rows[0], NULL}

static const pf_key model_rows[] = {
    {.key = "preset", .kind = PF_KEY_ENUM, .names = preset_names, .off = PF_KEY_NO_FIELD,
     .def = "`fast`", .help = "a network of src/train/presets.c"},
    {.key = "layers", .kind = PF_KEY_CUSTOM, .sub = &layer_keys, .def = "—",
     .values = "a list of 1 to 256 layers",
     .help = "the hidden layers, instead of a preset; a dense output layer is appended"},
};
static const pf_key target_rows[] = {
    {.key = "kind", .kind = PF_KEY_ENUM, .names = target_names, .off = CF(target),
     .help = "what the model predicts"},
    {.key = "bins_lo", .kind = PF_KEY_CUSTOM, .fn = read_bins_lo, .min = 0, .max = 127,
     .def = "`35`", .values = "0..127 or a note name", .help = "bins: MIDI of bin 0's centre"},
    {.key = "step_cents", .kind = PF_KEY_CUSTOM, .fn = read_step_cents, .min = 1, .max = 100,
     .def = "`20`", .values = "1..100", .help = "bins: bin width"},
    {.key = "n_bins", .kind = PF_KEY_INT, .min = 2, .max = 4096, .off = CF(n_bins),
     .help = "bins: how many (the last at most MIDI 140)"},
    {.key = "blur_cents", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1200, .off = CF(blur_cents),
     .help = "bins: std of the Gaussian target blur"},
    {.key = "tuning", .kind = PF_KEY_ENUM, .names = tuning_names, .off = CF(tuning_measured),
     .help = "train labels as written, or moved by their key's audited tuning"},
    {.key = "outside", .kind = PF_KEY_ENUM, .names = outside_names, .off = CF(outside_unvoiced),
     .help = "frames: a voiced column outside the bins refuses the dataset, or is trained as "
             "unvoiced (the model learns to say no pitch beyond its range)"},
    {.kind = PF_KEY_CHECK, .fn = check_bins},
};
static const pf_key optimizer_rows[] = {
    {.key = "kind", .kind = PF_KEY_ENUM, .names = optim_names, .off = CF(optimizer),
     .help = "as torch.optim"},
    {.key = "lr", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1e6, .off = CF(lr),
     .help = "learning rate"},
    {.key = "momentum", .kind = PF_KEY_DOUBLE, .min = 0, .max = 0.999999, .off = CF(momentum),
     .help = "sgd's momentum"},
    {.key = "betas", .kind = PF_KEY_CUSTOM, .fn = read_betas, .def = "`[0.9, 0.999]`",
     .values = "[beta1, beta2] in 0..0.999999, 0..0.999999999", .help = "adam's betas"},
    {.key = "eps", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1, .off = CF(eps), .help = "adam's eps"},
    {.key = "weight_decay", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1e3, .off = CF(weight_decay),
     .help = "L2 added to the gradient"},
    {.key = "lr_decay", .kind = PF_KEY_DOUBLE, .min = 1e-6, .max = 1, .off = CF(lr_decay),
     .help = "epoch e runs at lr x lr_decay^(e-1)"},
};
static const pf_key limit_rows[] = {
    {.key = "train", .kind = PF_KEY_SIZE, .min = 0, .max = 1 << 30, .off = CF(limit_train),
     .help = "first N train examples (0: all)"},
    {.key = "val", .kind = PF_KEY_SIZE, .min = 0, .max = 1 << 30, .off = CF(limit_val),
     .help = "first N val examples (0: all)"},
};
static const pf_key augment_rows[] = {
    {.key = "eq_db", .kind = PF_KEY_DOUBLE, .min = 0, .max = 40, .off = CF(eq_db),
     .help = "random EQ of the training examples, up to this many dB (0: off)"},
};
static const pf_key init_rows[] = {
    {.key = "model", .kind = PF_KEY_STRING, .off = CF(init_model),
     .help = "start from this model.h5 or ensemble file's weights (fine-tuning)"},
    {.key = "member", .kind = PF_KEY_CUSTOM, .fn = read_member, .min = 1, .max = 16, .def = "`1`",
     .values = "1..16", .help = "which network of an ensemble file"},
    {.kind = PF_KEY_CHECK, .fn = check_init},
};
static const pf_keys model_keys = ROWS("model", model_rows),
                     target_keys = ROWS("target", target_rows),
                     optimizer_keys = ROWS("optimizer", optimizer_rows),
                     limit_keys = ROWS("limit", limit_rows),
                     augment_keys = ROWS("augment", augment_rows),
                     init_keys = ROWS("init", init_rows);

/* Read by step: the plain top-level keys, then dataset's presence, the seed, the sections; the
 * target before the loss and the model, which depend on it. */
static const pf_key top_rows[] = {
    {.key = "dataset", .kind = PF_KEY_STRING, .off = CF(dataset), .def = "required",
     .help = "a dataset.h5 made by `generate`"},
    {.key = "output", .kind = PF_KEY_STRING, .off = CF(output), .def = "`out/<config name>`",
     .help = "folder for checkpoint.h5, metrics.jsonl, model.h5"},
    {.key = "model", .kind = PF_KEY_CUSTOM, .fn = read_model, .sub = &model_keys, .step = 8,
     .def = "`{preset: fast}`", .values = "a mapping", .help = "the network"},
    {.key = "target", .kind = PF_KEY_SECTION, .sub = &target_keys, .step = 5},
    {.key = "input", .kind = PF_KEY_CUSTOM, .fn = read_input, .names = input_names,
     .def = "`log`", .values = "`log`, `linear`", .help = "the spectrogram as given to the model"},
    {.key = "loss", .kind = PF_KEY_CUSTOM, .fn = read_loss, .names = loss_names, .step = 6,
     .def = "by target", .values = "`mse`, `bce`", .help = "mse for hz and midi, bce for bins"},
    {.key = "optimizer", .kind = PF_KEY_SECTION, .sub = &optimizer_keys, .step = 7},
    {.key = "batch", .kind = PF_KEY_INT, .min = 1, .max = 1 << 16, .off = CF(batch), .step = 1,
     .help = "examples per step"},
    {.key = "epochs", .kind = PF_KEY_INT, .min = 0, .max = 1 << 20, .off = CF(epochs), .step = 1,
     .help = "passes over the train split"},
    {.key = "seed", .kind = PF_KEY_U64, .min = 0, .max = 9007199254740992.0, .off = CF(seed),
     .step = 3, .help = "key of every random draw"},
    {.key = "threads", .kind = PF_KEY_INT, .min = 0, .max = 1024, .off = CF(threads), .step = 1,
     .help = "oneDNN threads; 0 = every core"},
    {.key = "checkpoint_every", .kind = PF_KEY_INT, .min = 0, .max = 1 << 30,
     .off = CF(checkpoint_every), .step = 1,
     .help = "also write checkpoint.h5 every N steps inside an epoch (0: at epoch ends only)"},
    {.key = "checkpoint_minutes", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1e6,
     .off = CF(checkpoint_minutes), .step = 1,
     .help = "... and at least every this many minutes of training (0: off)"},
    {.key = "limit", .kind = PF_KEY_SECTION, .sub = &limit_keys, .step = 4},
    {.key = "weights", .kind = PF_KEY_ENUM, .names = weights_names, .off = CF(weights_half),
     .help = "how model.h5 stores weights"},
    {.key = "augment", .kind = PF_KEY_SECTION, .sub = &augment_keys, .step = 4},
    {.key = "init", .kind = PF_KEY_SECTION, .sub = &init_keys, .step = 4},
    {.kind = PF_KEY_CHECK, .fn = check_dataset, .step = 2},
};
static const pf_keys config_keys = ROWS("", top_rows);

/* ---- defaults, entry points ---- */

static void set_defaults(pf_train_config *c)
{
    c->model = (pf_model_spec){.in_c = 1, .in_h = 513, .in_w = 90};
    c->target = PF_TARGET_BINS;
    c->bins_lo_midi = 35; /* B1: a semitone under C2, room for -50 cents and the blur */
    c->bins_step = 0.2;
    c->n_bins = 370;      /* up to MIDI 108.8: B7 + 50 cents and the blur */
    c->blur_cents = 25;
    snprintf(c->input, sizeof c->input, "log");
    c->optimizer = PF_OPTIM_ADAM;
    c->lr = 1e-3, c->lr_decay = 1, c->momentum = 0.9, c->beta1 = 0.9, c->beta2 = 0.999, c->eps = 1e-8;
    c->batch = 32, c->epochs = 10, c->threads = 0, c->seed = 1;
    c->checkpoint_every = 1000, c->checkpoint_minutes = 10;
}

/* "out/NAME" from the config file's base name without its extension. */
static char *default_output(const char *file)
{
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    size_t len = strcspn(base, ".");
    char *s = pf_malloc(len + 8);
    snprintf(s, len + 8, "out/%.*s", (int)(len ? len : 5), len ? base : "train");
    return s;
}

static int parse_all(pf_schema_ctx *x, pf_train_config *c)
{
    if (x->d->root->type != PF_Y_MAP)
        return pf_yfail(x->err, x->d, x->d->root, "a training config is a mapping of keys");
    if (pf_schema_read(x, &config_keys, x->d->root, c))
        return -1;
    if (!c->output)
        c->output = default_output(c->file);
    return 0;
}

int pf_train_config_parse(pf_train_config *c, const char *name, const char *text, size_t len,
                          pf_error *err)
{
    memset(c, 0, sizeof *c);
    c->file = pf_strdup(name);
    set_defaults(c);
    c->text = pf_malloc(len + 1);
    memcpy(c->text, text, len);
    c->text[len] = '\0';
    pf_sha256_hex(text, len, c->sha256);
    pf_ydoc doc;
    if (pf_ydoc_parse(&doc, name, text, len, err)) {
        pf_ydoc_release(&doc);
        return -1;
    }
    pf_schema_ctx x = {.d = &doc, .err = err, .root = c};
    const pf_ynode *r = doc.root;
    int swapped = pf_ymap_get(r, "instruments") &&
                  !pf_ymap_get(r, "model");
    int rc = swapped ? PF_FAIL(err, PF_ECONFIG, "%s: this is a dataset manifest (it has "
                               "'instruments'), not a training config: 'pitchforge generate %s' "
                               "makes the data; train takes a config such as "
                               "manifests/train-tiny.yaml", name, name)
                     : parse_all(&x, c);
    pf_ydoc_release(&doc);
    return rc;
}

int pf_train_config_load(pf_train_config *c, const char *path, pf_error *err)
{
    char *text;
    size_t len;
    memset(c, 0, sizeof *c);
    if (pf_read_text(path, &text, &len, err))
        return -1;
    int rc = pf_train_config_parse(c, path, text, len, err);
    free(text);
    return rc;
}

void pf_train_config_release(pf_train_config *c)
{
    if (!c)
        return;
    free(c->file);
    free(c->text);
    free(c->dataset);
    free(c->output);
    free(c->preset);
    free(c->init_model);
    free(c->model.layers);
    memset(c, 0, sizeof *c);
}

char *pf_train_config_keys_markdown(void)
{
    pf_train_config c;
    memset(&c, 0, sizeof c);
    set_defaults(&c);
    return pf_schema_markdown(&config_keys, &c);
}
