/* Training config: YAML -> pf_train_config with defaults; every error names FILE:LINE:COL. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/yaml.h"
#include "pitchforge/manifest.h"
#include "pitchforge/shard.h"
#include "pitchforge/train.h"
#include "pitchforge/checksum.h"
#include "pitchforge/error.h"
#include "pitchforge/nn.h"
#include "pitchforge/pitch.h"

static const char *const target_names[] = {"hz", "midi", "bins", NULL};
static const char *const optim_names[] = {"adam", "sgd", NULL};
static const char *const loss_names[] = {"mse", "bce", NULL};
static const char *const input_names[] = {"log", "linear", NULL};
static const char *const weights_names[] = {"float32", "float16", NULL};
static const char *const preset_names[] = {"seed", "fast", NULL};
/* Layer kinds as written in configs (the order of pf_layer_kind). */
static const char *const kind_names[] = {
    "conv", "maxpool", "relu", "dropout", "dense", "timestats", "timestats_map", "harmonics", NULL};

typedef struct cctx {
    pf_train_config *c;
    const pf_ydoc *d;
    pf_error *err;
} cctx;

/* ---- typed optional keys ---- */

static int opt_double(cctx *x, const pf_ynode *map, const char *key, double lo, double hi,
                      double *out)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    return n ? pf_yget_double(x->d, n, lo, hi, out, x->err) : 0;
}

static int opt_int(cctx *x, const pf_ynode *map, const char *key, long lo, long hi, int *out)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    long v;
    if (!n)
        return 0;
    if (pf_yget_int(x->d, n, lo, hi, &v, x->err))
        return -1;
    *out = (int)v;
    return 0;
}

static int opt_size(cctx *x, const pf_ynode *map, const char *key, size_t *out)
{
    int v = (int)*out;
    if (opt_int(x, map, key, 0, 1L << 30, &v))
        return -1;
    *out = (size_t)v;
    return 0;
}

static int opt_enum(cctx *x, const pf_ynode *map, const char *key, const char *const *names,
                    int *out)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    return n ? pf_yget_enum(x->d, n, names, out, x->err) : 0;
}

static int opt_string(cctx *x, const pf_ynode *map, const char *key, char **out)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    const char *s;
    if (!n)
        return 0;
    if (pf_yget_string(x->d, n, &s, x->err))
        return -1;
    if (!*s)
        return pf_yfail(x->err, x->d, n, "'%s' must not be empty", key);
    free(*out);
    *out = pf_strdup(s);
    return 0;
}

/* A section: optional mapping with a fixed key list; NULL means "all defaults". */
static const pf_ynode *section(cctx *x, const char *key, const char *const *keys, int *rc)
{
    const pf_ynode *n = pf_ymap_get(x->d->root, key);
    *rc = n ? pf_ycheck_keys(x->d, n, keys, x->err) : 0;
    return n;
}

/* ---- top level ---- */

static int parse_top(cctx *x)
{
    static const char *const keys[] = {
        "dataset", "output", "model",   "target", "input",   "loss",    "optimizer", "batch",
        "epochs",  "seed",   "threads", "limit",  "weights", "augment", "init",      NULL};
    const pf_ynode *root = x->d->root, *seed = pf_ymap_get(root, "seed");
    int input = strcmp(x->c->input, "log") ? 1 : 0;
    if (pf_ycheck_keys(x->d, root, keys, x->err) || opt_string(x, root, "dataset", &x->c->dataset) ||
        opt_string(x, root, "output", &x->c->output) ||
        opt_enum(x, root, "input", input_names, &input) ||
        opt_enum(x, root, "weights", weights_names, &x->c->weights_half) ||
        opt_int(x, root, "batch", 1, 1 << 16, &x->c->batch) ||
        opt_int(x, root, "epochs", 0, 1 << 20, &x->c->epochs) ||
        opt_int(x, root, "threads", 0, 1024, &x->c->threads))
        return -1;
    snprintf(x->c->input, sizeof x->c->input, "%s", input_names[input]);
    if (!x->c->dataset)
        return pf_yfail(x->err, x->d, root, "missing key 'dataset' (a dataset.h5 made by generate)");
    if (seed) {
        double v;
        if (pf_yget_double(x->d, seed, 0, 9007199254740992.0, &v, x->err))
            return -1;
        if (v != floor(v))
            return pf_yfail(x->err, x->d, seed, "seed must be a whole number");
        x->c->seed = (uint64_t)v;
    }
    return 0;
}

static int parse_limit(cctx *x)
{
    static const char *const keys[] = {"train", "val", NULL};
    int rc;
    const pf_ynode *s = section(x, "limit", keys, &rc);
    if (rc || !s)
        return rc;
    return opt_size(x, s, "train", &x->c->limit_train) || opt_size(x, s, "val", &x->c->limit_val)
               ? -1
               : 0;
}

/* augment: {eq_db: X}, the random EQ of the training examples (pf_loader_set_eq). */
static int parse_augment(cctx *x)
{
    static const char *const keys[] = {"eq_db", NULL};
    int rc;
    const pf_ynode *s = section(x, "augment", keys, &rc);
    if (rc || !s) return rc;
    return opt_double(x, s, "eq_db", 0, 40, &x->c->eq_db);
}

/* init: {model: PATH, member: N}, the weights a run starts from (fine-tuning). */
static int parse_init(cctx *x)
{
    static const char *const keys[] = {"model", "member", NULL};
    int rc;
    const pf_ynode *s = section(x, "init", keys, &rc);
    if (rc || !s) return rc;
    x->c->init_member = 1;
    if (opt_string(x, s, "model", &x->c->init_model) ||
        opt_int(x, s, "member", 1, 16, &x->c->init_member))
        return -1;
    if (!x->c->init_model)
        return pf_yfail(x->err, x->d, s, "init needs 'model' (a model.h5 or an ensemble file)");
    return 0;
}

/* ---- target and loss ---- */

/* bins_lo: a MIDI number or a note name ("C2"). */
static int parse_bins_lo(cctx *x, const pf_ynode *n)
{
    if (n->type == PF_Y_SCALAR && isalpha((unsigned char)n->value[0])) {
        int m = pf_note_parse(n->value);
        if (m < 0)
            return pf_yfail(x->err, x->d, n, "'%s' is not a note name (like C2) or a MIDI number",
                            n->value);
        x->c->bins_lo_midi = m;
        return 0;
    }
    return pf_yget_double(x->d, n, 0, 127, &x->c->bins_lo_midi, x->err);
}

static int parse_target(cctx *x)
{
    static const char *const keys[] = {"kind", "bins_lo", "step_cents", "n_bins", "blur_cents",
                                       "tuning", NULL};
    static const char *const tuning_names[] = {"written", "measured", NULL};
    int rc, kind = (int)x->c->target;
    double step_cents = x->c->bins_step * 100;
    const pf_ynode *s = section(x, "target", keys, &rc), *lo;
    if (rc || !s)
        return rc;
    if (opt_enum(x, s, "kind", target_names, &kind) ||
        ((lo = pf_ymap_get(s, "bins_lo")) && parse_bins_lo(x, lo)) ||
        opt_double(x, s, "step_cents", 1, 100, &step_cents) ||
        opt_int(x, s, "n_bins", 2, 4096, &x->c->n_bins) ||
        opt_double(x, s, "blur_cents", 0, 1200, &x->c->blur_cents) ||
        opt_enum(x, s, "tuning", tuning_names, &x->c->tuning_measured))
        return -1;
    x->c->target = (pf_target)kind;
    x->c->bins_step = step_cents / 100;
    if (x->c->bins_lo_midi + (x->c->n_bins - 1) * x->c->bins_step > 140)
        return pf_yfail(x->err, x->d, s, "the bins reach MIDI %.1f, above 140 (fewer n_bins?)",
                        x->c->bins_lo_midi + (x->c->n_bins - 1) * x->c->bins_step);
    return 0;
}

static int parse_loss(cctx *x)
{
    const pf_ynode *n = pf_ymap_get(x->d->root, "loss");
    int loss = x->c->target == PF_TARGET_BINS ? PF_LOSS_BCE : PF_LOSS_MSE;
    if (n && pf_yget_enum(x->d, n, loss_names, &loss, x->err))
        return -1;
    if (n && (loss == PF_LOSS_BCE) != (x->c->target == PF_TARGET_BINS))
        return pf_yfail(x->err, x->d, n, "loss %s does not fit target %s (bins take bce, hz and "
                        "midi take mse)", loss_names[loss], target_names[x->c->target]);
    x->c->loss = (pf_loss)loss;
    return 0;
}

/* ---- optimizer ---- */

static int parse_betas(cctx *x, const pf_ynode *s)
{
    const pf_ynode *n = pf_ymap_get(s, "betas");
    if (!n)
        return 0;
    if (n->type != PF_Y_SEQ || n->n != 2)
        return pf_yfail(x->err, x->d, n, "betas must be [beta1, beta2]");
    return pf_yget_double(x->d, n->items[0], 0, 0.999999, &x->c->beta1, x->err) ||
                   pf_yget_double(x->d, n->items[1], 0, 0.999999999, &x->c->beta2, x->err)
               ? -1
               : 0;
}

static int parse_optimizer(cctx *x)
{
    static const char *const keys[] = {"kind", "lr", "momentum", "betas", "eps", "weight_decay",
                                       "lr_decay", NULL};
    int rc, kind = (int)x->c->optimizer;
    const pf_ynode *s = section(x, "optimizer", keys, &rc);
    if (rc || !s)
        return rc;
    if (opt_enum(x, s, "kind", optim_names, &kind) || opt_double(x, s, "lr", 0, 1e6, &x->c->lr) ||
        opt_double(x, s, "momentum", 0, 0.999999, &x->c->momentum) || parse_betas(x, s) ||
        opt_double(x, s, "eps", 0, 1, &x->c->eps) ||
        opt_double(x, s, "weight_decay", 0, 1e3, &x->c->weight_decay) ||
        opt_double(x, s, "lr_decay", 1e-6, 1, &x->c->lr_decay))
        return -1;
    x->c->optimizer = (pf_optim)kind;
    return 0;
}

/* ---- model ---- */

/* A layer: `relu` (a scalar) or {kind: conv, out: 64, kernel: 3} and the like. */
static int parse_layer(cctx *x, const pf_ynode *n, pf_layer_spec *l)
{
    static const char *const keys[] = {"kind", "out", "kernel", "pool", "p",
                                       "k",    "lo",  "step",   "hz",   NULL};
    int kind;
    double p = 0.5, lo = 0, step = 0, hz = 0;
    const pf_ynode *k = n->type == PF_Y_MAP ? pf_ymap_get(n, "kind") : n;
    if (n->type == PF_Y_MAP && pf_ycheck_keys(x->d, n, keys, x->err))
        return -1;
    if (!k)
        return pf_yfail(x->err, x->d, n,
                        "a layer needs 'kind' (conv, maxpool, relu, dropout, "
                        "dense, timestats, timestats_map, harmonics)");
    if (pf_yget_enum(x->d, k, kind_names, &kind, x->err))
        return -1;
    *l = (pf_layer_spec){.kind = (pf_layer_kind)kind, .kernel = 3, .pool = 2, .k = 8};
    if (n->type == PF_Y_MAP &&
        (opt_int(x, n, "out", 1, 1 << 20, &l->out) || opt_int(x, n, "kernel", 1, 63, &l->kernel) ||
         opt_int(x, n, "pool", 1, 64, &l->pool) || opt_double(x, n, "p", 0, 0.99, &p) ||
         opt_int(x, n, "k", 0, 1024, &l->k) || opt_double(x, n, "lo", 0, 127, &lo) ||
         opt_double(x, n, "step", 0, 1200, &step) || opt_double(x, n, "hz", 0, 1e6, &hz)))
        return -1;
    l->p = kind == PF_LAYER_DROPOUT ? (float)p : 0;
    if (kind == PF_LAYER_HARMONICS) {
        if (l->out == 0 || step <= 0 || hz <= 0)
            return pf_yfail(x->err, x->d, n,
                            "a harmonics layer needs out (bins), lo (MIDI), step (cents) and hz "
                            "(the input's bin spacing: sample rate / nfft)");
        l->lo = (float)lo, l->step = (float)step, l->hz = (float)hz;
    }
    if ((kind == PF_LAYER_CONV || kind == PF_LAYER_DENSE) && l->out == 0)
        return pf_yfail(x->err, x->d, n, "a %s layer needs 'out'", kind_names[kind]);
    if (kind == PF_LAYER_CONV && l->kernel % 2 == 0)
        return pf_yfail(x->err, x->d, n, "conv kernel must be odd ('same' padding)");
    return 0;
}

/* layers: the hidden layers; the output layer (dense to n_out) is appended. */
static int parse_layers(cctx *x, const pf_ynode *n, int n_out)
{
    if (n->type != PF_Y_SEQ || n->n == 0 || n->n > 256)
        return pf_yfail(x->err, x->d, n, "'layers' must be a list of 1 to 256 layers");
    pf_model_spec *s = &x->c->model;
    s->layers = pf_calloc(n->n + 1, sizeof *s->layers);
    for (size_t i = 0; i < n->n; i++) {
        if (parse_layer(x, n->items[i], &s->layers[i]))
            return -1;
        s->n_layers = i + 1;
    }
    s->layers[n->n] = (pf_layer_spec){.kind = PF_LAYER_DENSE, .out = n_out};
    s->n_layers = n->n + 1;
    return 0;
}

static int parse_model(cctx *x)
{
    static const char *const keys[] = {"preset", "layers", NULL};
    int rc, preset = 1;
    int n_out = pf_target_n_out(x->c);
    const pf_ynode *s = section(x, "model", keys, &rc), *layers = s ? pf_ymap_get(s, "layers") : NULL;
    if (rc)
        return rc;
    if (s && pf_ymap_get(s, "preset") && layers)
        return pf_yfail(x->err, x->d, s, "give either 'preset' or 'layers', not both");
    if (layers)
        return parse_layers(x, layers, n_out);
    if (s && opt_enum(x, s, "preset", preset_names, &preset))
        return -1;
    x->c->preset = pf_strdup(preset_names[preset]);
    int in_c = x->c->model.in_c, in_h = x->c->model.in_h, in_w = x->c->model.in_w;
    if (pf_model_preset(x->c->preset, n_out, &x->c->model, x->err))
        return -1;
    x->c->model.in_c = in_c, x->c->model.in_h = in_h, x->c->model.in_w = in_w;
    return 0;
}

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

static int parse_all(cctx *x)
{
    if (x->d->root->type != PF_Y_MAP)
        return pf_yfail(x->err, x->d, x->d->root, "a training config is a mapping of keys");
    int (*const steps[])(cctx *) = {parse_top,    parse_limit, parse_augment,   parse_init,
                                    parse_target, parse_loss,  parse_optimizer, parse_model};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i](x))
            return -1;
    if (!x->c->output)
        x->c->output = default_output(x->c->file);
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
    cctx x = {.c = c, .d = &doc, .err = err};
    int rc = parse_all(&x);
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
