/* pf_model_inspect: a model or ensemble file described for a reader (pitchforge inspect). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/error.h"
#include "pitchforge/inspect.h"
#include "pitchforge/nn.h"

/* "1,234,567" */
static const char *grouped(size_t v, char *buf, size_t size)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%zu", v), o = 0;
    for (int i = 0; i < n && o + 2 < (int)size; i++) {
        if (i && (n - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* A layer's settings as its config line gives them ("out 16, kernel 3"). */
static void layer_settings(const pf_layer_spec *s, char *buf, size_t size)
{
    switch (s->kind) {
    case PF_LAYER_CONV: snprintf(buf, size, "out %d, kernel %d", s->out, s->kernel); break;
    case PF_LAYER_MAXPOOL: snprintf(buf, size, "pool %d", s->pool); break;
    case PF_LAYER_DROPOUT: snprintf(buf, size, "p %g", s->p); break;
    case PF_LAYER_DENSE: snprintf(buf, size, "out %d", s->out); break;
    case PF_LAYER_TIMESTATS:
    case PF_LAYER_TIMESTATS_MAP: snprintf(buf, size, "k %d", s->k); break;
    case PF_LAYER_HARMONICS:
        snprintf(buf, size, "k %d, out %d, lo %g, step %g, hz %g", s->k, s->out, s->lo, s->step,
                 s->hz);
        break;
    default: buf[0] = '\0';
    }
}

/* The layer table: kind, settings, output shape of one example, parameters. */
static int layers_print(FILE *out, const pf_model_spec *spec, pf_error *err)
{
    pf_layer_shape *sh = pf_calloc(spec->n_layers ? spec->n_layers : 1, sizeof *sh);
    if (pf_model_spec_shapes(spec, sh, err)) return free(sh), -1;
    size_t total = 0;
    char set[96], num[32];
    fprintf(out, "  layers       %zu, input [%d, %d, %d]\n", spec->n_layers, spec->in_c,
            spec->in_h, spec->in_w);
    fprintf(out, "    %2s  %-13s %-40s %-16s %10s\n", "#", "kind", "settings", "output", "params");
    for (size_t i = 0; i < spec->n_layers; i++) {
        char shape[48];
        layer_settings(&spec->layers[i], set, sizeof set);
        snprintf(shape, sizeof shape, "[%d, %d, %d]", sh[i].c, sh[i].h, sh[i].w);
        fprintf(out, "    %2zu  %-13s %-40s %-16s %10s\n", i, pf_layer_names[spec->layers[i].kind],
                set, shape, grouped(sh[i].n_params, num, sizeof num));
        total += sh[i].n_params;
    }
    fprintf(out, "    %-73s %10s\n", "total", grouped(total, num, sizeof num));
    free(sh);
    return 0;
}

/* Target, input, spectrogram settings and the training data of one network. */
static void meta_print(FILE *out, const pf_model_meta *m)
{
    fprintf(out, "  target       %s", m->target[0] ? m->target : "?");
    if (!strcmp(m->target, "bins") || !strcmp(m->target, "frames"))
        fprintf(out, ": %d bins of %g cents from MIDI %g", m->n_bins, m->bins_step * 100,
                m->bins_lo_midi);
    if (m->voicing_threshold > 0)
        fprintf(out, ", voiced from %.2f (chosen on val)", m->voicing_threshold);
    fprintf(out, "\n  input        %s spectrogram, normalized per bin (%zu means and stds)\n",
            m->input[0] ? m->input : "linear", m->norm_len);
    if (m->sample_rate > 0)
        fprintf(out, "  spectrogram  %g Hz, %d samples, window %d, overlap %d, nfft %d, %s %s\n",
                m->sample_rate, m->segment_len, m->stft_length, m->stft_overlap, m->stft_nfft,
                m->spec_mode, m->spec_scaling);
    if (m->train_threads > 0) fprintf(out, "  trained on   %d threads\n", m->train_threads);
    fprintf(out, "  data         manifest sha256 %s\n",
            m->data_sha256[0] ? m->data_sha256 : "(not recorded by the trainer that wrote it)");
}

/* The training config, verbatim, indented. */
static void config_print(FILE *out, const char *text)
{
    if (!text) return;
    fprintf(out, "  config\n    ");
    for (const char *p = text; *p; p++)
        fprintf(out, p[0] == '\n' && p[1] ? "\n    " : "%c", *p);
    fprintf(out, "\n");
}

static int member_print(FILE *out, const char *path, size_t i, size_t n, pf_error *err)
{
    pf_model_spec spec = {0};
    pf_model_meta meta = {0};
    pf_model *m = pf_model_load_member(path, i, 1, 1, &spec, &meta, err);
    if (!m) return -1;
    if (n > 1) fprintf(out, "member %zu of %zu\n", i + 1, n);
    meta_print(out, &meta);
    int rc = layers_print(out, &spec, err);
    config_print(out, meta.config_text);
    pf_model_free(m);
    pf_model_spec_release(&spec);
    pf_model_meta_release(&meta);
    return rc;
}

int pf_model_inspect(const char *path, FILE *out, pf_error *err)
{
    size_t n;
    if (pf_model_file_count(path, &n, err)) return -1;
    fprintf(out, "model %s\n  schema       %s", path, n > 1 ? PF_ENSEMBLE_SCHEMA : PF_MODEL_SCHEMA);
    fprintf(out, n > 1 ? ", %zu members (predict averages their probabilities)\n" : "\n", n);
    for (size_t i = 0; i < n; i++)
        if (member_print(out, path, i, n, err)) return -1;
    return 0;
}
