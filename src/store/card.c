/* The dataset card: README.md beside the shards, made from the shards alone (their labels and
 * attributes), so `generate` and `index` after a many-machine run write the same card. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/util.h"
#include "core/mem.h"
#include "core/yaml.h"
#include "pitchforge/generate.h"
#include "pitchforge/card.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"
#include "store/card_int.h"

/* Per-instrument tallies for the label-audit table. */
typedef struct inst_stats {
    char *label;
    int split;
    size_t examples, checks[PF_PITCH_CHECK_COUNT];
    double *cents; /* pitch errors of examples within tolerance or merely off */
    size_t n_cents;
} inst_stats;

typedef struct card {
    inst_stats *inst;
    size_t n_inst;
    pf_card_counts counts;
    size_t octave[11], checks[PF_PITCH_CHECK_COUNT], shards;
} card;

static inst_stats *find_instrument(card *c, const char *label, int split)
{
    for (size_t i = 0; i < c->n_inst; i++)
        if (strcmp(c->inst[i].label, label) == 0) {
            if (c->inst[i].split != split)
                c->inst[i].split = -1; /* seen in two splits (split.by random or octave) */
            return &c->inst[i];
        }
    c->inst = pf_reallocarray(c->inst, c->n_inst + 1, sizeof *c->inst);
    c->inst[c->n_inst] = (inst_stats){.label = pf_strdup(label), .split = split};
    return &c->inst[c->n_inst++];
}

static void tally(card *c, const pf_label *l, int split)
{
    c->counts.examples[split]++;
    c->counts.per_kind[l->segment % PF_SEG_COUNT]++;
    if (l->midi >= 0 && l->midi <= 127) c->octave[l->midi / 12]++; /* -1: a negative */
    c->counts.per_source[l->source < PF_SOURCE_COUNT ? l->source : 0]++;
    c->checks[l->pitch_check % PF_PITCH_CHECK_COUNT]++;
    inst_stats *s = find_instrument(c, l->instrument ? l->instrument : "?", split);
    s->examples++;
    s->checks[l->pitch_check % PF_PITCH_CHECK_COUNT]++;
    if (l->source == PF_SOURCE_NOTE &&
        (l->pitch_check == PF_PITCH_OK || l->pitch_check == PF_PITCH_OFF)) {
        s->cents = pf_reallocarray(s->cents, s->n_cents + 1, sizeof *s->cents);
        s->cents[s->n_cents++] = l->pitch_error_cents;
    }
}

static int read_shard(card *c, const char *dir, const char *name, pf_error *err)
{
    char path[4096];
    pf_shard_job job;
    pf_shard_info info;
    pf_label *rows;
    size_t n;
    pf_path_join(path, sizeof path, dir, name);
    pf_shard_name_parse(name, &job);
    if (pf_shard_info_read(path, &info, err) || pf_shard_read_labels(path, &rows, &n, err))
        return -1;
    for (int r = 0; r < PF_REJECT_COUNT; r++)
        c->counts.rejected[r] += info.rejected[r];
    for (size_t i = 0; i < n; i++)
        tally(c, &rows[i], job.split);
    pf_labels_free(rows, n);
    c->shards++;
    return 0;
}

static int cmp_inst(const void *a, const void *b)
{
    return strcmp(((const inst_stats *)a)->label, ((const inst_stats *)b)->label);
}

static void write_counts(FILE *f, const card *c)
{
    fprintf(f, "## Counts\n\n| split | examples |\n|---|---:|\n");
    for (int s = 0; s < PF_SPLIT_COUNT; s++)
        fprintf(f, "| %s | %zu |\n", pf_split_names[s], c->counts.examples[s]);
    fprintf(f, "\n| segment | examples |\n|---|---:|\n");
    for (int k = 0; k < PF_SEG_COUNT; k++)
        if (c->counts.per_kind[k] || k < 3)
            fprintf(f, "| %s | %zu |\n", pf_segment_names[k], c->counts.per_kind[k]);
    fprintf(f, "\n| source | examples |\n|---|---:|\n");
    for (int k = 0; k < PF_SOURCE_COUNT; k++)
        if (c->counts.per_source[k] || k == PF_SOURCE_NOTE)
            fprintf(f, "| %s%s | %zu |\n", k ? "negative: " : "", pf_source_names[k],
                    c->counts.per_source[k]);
    fprintf(f, "\n| octave | examples |\n|---|---:|\n");
    for (int o = 0; o < 11; o++)
        if (c->octave[o])
            fprintf(f, "| %d | %zu |\n", o - 1, c->octave[o]);
    fprintf(f, "\n| label audit (`pitch_check`) | examples |\n|---|---:|\n");
    for (int k = 0; k < PF_PITCH_CHECK_COUNT; k++)
        fprintf(f, "| %s | %zu |\n", pf_pitch_check_names[k], c->checks[k]);
    fprintf(f, "\n## Rejected by the quality gate\n\n| reason | segments |\n|---|---:|\n");
    for (int r = 0; r < PF_REJECT_COUNT; r++)
        fprintf(f, "| %s | %llu |\n", pf_reject_names[r],
                (unsigned long long)c->counts.rejected[r]);
}

/* Per instrument: split, examples, median offset in cents, octave-error and off shares. */
static void write_instruments(FILE *f, card *c)
{
    fprintf(f, "\n## Instruments and the label audit\n\n"
               "`measured_f0_hz` is an independent YIN estimate on each kept segment. The median "
               "offset is over segments within tolerance or off (octave errors excluded); a "
               "preset with a large offset or many octave errors does not sound where its "
               "written note says (see `quality` in manifests/README.md).\n\n"
               "| instrument | split | examples | median offset (cents) | octave errors | off "
               "| unvoiced |\n|---|---|---:|---:|---:|---:|---:|\n");
    if (c->n_inst) qsort(c->inst, c->n_inst, sizeof *c->inst, cmp_inst); /* NULL when none */
    for (size_t i = 0; i < c->n_inst; i++) {
        inst_stats *s = &c->inst[i];
        double med = NAN, n = s->examples ? (double)s->examples : 1;
        if (s->n_cents) {
            qsort(s->cents, s->n_cents, sizeof *s->cents, pf_cmp_double);
            med = s->cents[s->n_cents / 2];
        }
        fprintf(f, "| %s | %s | %zu | %+.1f | %.1f%% | %.1f%% | %.1f%% |\n", s->label,
                s->split >= 0 ? pf_split_names[s->split] : "several", s->examples, med,
                100.0 * (double)s->checks[PF_PITCH_OCTAVE] / n,
                100.0 * (double)s->checks[PF_PITCH_OFF] / n,
                100.0 * (double)s->checks[PF_PITCH_UNVOICED] / n);
    }
}

/* The manifest's `name`, read from the manifest text a shard stores (no soundfont needed). */
static char *manifest_name(const char *text)
{
    pf_ydoc doc;
    pf_error err = {0};
    char *name = NULL;
    if (pf_ydoc_parse(&doc, "manifest", text, strlen(text), &err) == 0) {
        const pf_ynode *n = pf_ymap_get(doc.root, "name");
        if (n && n->type == PF_Y_SCALAR)
            name = pf_strdup(n->value);
    }
    pf_ydoc_release(&doc);
    return name ? name : pf_strdup("pitchforge dataset");
}

static void write_header(FILE *f, const card *c, const char *first, const char *command,
                         double seconds)
{
    static const char *const keys[] = {"manifest", "seed", "manifest_sha256", "spectrogram_mode",
                                       "spectrogram_scaling", "stft_length", "stft_overlap",
                                       "stft_nfft", "sample_rate", "soundfont_ids",
                                       "soundfont_sha256", "generator_version"};
    char *v[12] = {0};
    pf_error err = {0};
    for (int i = 0; i < 12; i++)
        if (pf_shard_attr_text(first, keys[i], &v[i], &err))
            v[i] = pf_strdup("?");
    char *name = manifest_name(v[0]);
    size_t total = c->counts.examples[0] + c->counts.examples[1] + c->counts.examples[2];
    fprintf(f, "# Dataset card: %s\n\n", name);
    fprintf(f, "%zu examples in %zu shards. Spectrograms %s (%s scaling), Hann %s / overlap %s / "
               "nfft %s at %s Hz. Seed %s, manifest sha256 `%s`, soundfonts %s (sha256 %s), made "
               "by %s.\n\n",
            total, c->shards, v[3], v[4], v[5], v[6], v[7], v[8], v[1], v[2], v[9], v[10], v[11]);
    fprintf(f, "Made by `%s`. Every shard stores the manifest it was made from (attribute "
               "`manifest`). Read the data with h5py through `dataset.h5`: one group of virtual "
               "datasets per split, `/stats` (per-bin mean and std of the training split) and "
               "`/checksums` (check with `pitchforge verify`).\n\n",
            command ? command : "pitchforge generate");
    if (seconds > 0)
        fprintf(f, "Generation took %.1f s.\n\n", seconds);
    fprintf(f, "## Manifest\n\n```yaml\n%s%s```\n\n", v[0],
            v[0][0] && v[0][strlen(v[0]) - 1] == '\n' ? "" : "\n");
    free(name);
    for (int i = 0; i < 12; i++)
        free(v[i]);
}

/* The keys the key audit left out, from the shard attribute audit_keys_off (when present). */
static void write_excluded_keys(FILE *f, const char *first)
{
    char *text = NULL;
    pf_error err = {0};
    if (pf_shard_attr_text(first, "audit_keys_off", &text, &err)) return;
    fprintf(f, "\n## Keys left out by the key audit\n\n"
               "Measured from the spectrum of the exact note (`quality.key_max_cents`); these keys "
               "are not in the dataset.\n\n"
               "| instrument | key | velocity | offset (cents) |\n|---|---|---:|---:|\n");
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *fld[4] = {line, NULL, NULL, NULL};
        for (int i = 1; i < 4 && fld[i - 1]; i++) {
            char *tab = strchr(fld[i - 1], '\t');
            fld[i] = tab ? (*tab = '\0', tab + 1) : NULL;
        }
        if (fld[3]) fprintf(f, "| %s | %s | %s | %s |\n", fld[0], fld[1], fld[2], fld[3]);
    }
    free(text);
}

/* What the labels say of pitch that moves: the presets' own modulation, on or off. */
static void write_pitch_note(FILE *f, const char *first)
{
    char *text = NULL;
    pf_error err = {0};
    int steady = !pf_shard_attr_text(first, "steady_pitch", &text, &err) && text && atoi(text);
    free(text);
    fprintf(f, "\n## Pitch labels\n\n`f0_frames` holds the pitch the synth played at each "
               "spectrogram column (0: unvoiced, by the clean render's level; "
               "docs/shard-format.md, \"Voicing\"). ");
    if (steady)
        fprintf(f, "Each preset's own pitch modulation (vibrato LFO, modulation LFO and "
                   "modulation envelope to pitch) was switched off for the render "
                   "(`render.steady_pitch`), the envelope's sustained offset kept, so every pitch "
                   "change in the audio is one the labels hold (docs/synth-pitch.md).\n");
    else
        fprintf(f, "The presets played as the soundfont says (`render.steady_pitch: false`): "
                   "presets with a vibrato LFO or a pitch envelope (tools/sf2_pitchmod.py lists "
                   "them: FluidR3 22 of 158 melodic presets, TimGM6mb 35 of 128, MuseScore_General "
                   "52 of 273) wobble around the written pitch the labels hold.\n");
}

/* The shard attribute @p name as text ("" when absent). */
static char *attr_or_empty(const char *first, const char *name)
{
    char *v = NULL;
    return pf_shard_attr_text(first, name, &v, NULL) ? pf_strdup("") : v;
}

/* What the hub sections need: strings in @p v[4] (the caller frees them). */
static void facts_read(const card *c, const char *first, char *v[4], pf_card_facts *k)
{
    static const char *const keys[4] = {"manifest", "generator_version", "manifest_sha256",
                                        "steady_pitch"};
    for (int i = 0; i < 4; i++)
        v[i] = attr_or_empty(first, keys[i]);
    pf_shard_info info;
    int ok = pf_shard_info_read(first, &info, NULL) == 0;
    size_t total = c->counts.examples[0] + c->counts.examples[1] + c->counts.examples[2];
    *k = (pf_card_facts){.manifest = v[0], .first_shard = first, .version = v[1],
                         .manifest_sha256 = v[2], .examples = total,
                         .negatives = total - c->counts.per_source[PF_SOURCE_NOTE],
                         .steady_pitch = atoi(v[3]),
                         .has_spectrogram = ok && info.store_spec != PF_SPEC_STORE_NONE,
                         .has_audio = ok && info.audio_len > 0};
}

/* Write the card to DIR/README.md.tmp, left there for pf_card_publish. */
static int write_file(const char *dir, card *c, const char *first, const char *command,
                      double seconds, pf_error *err)
{
    char path[4096], *v[4];
    pf_out o;
    pf_card_facts k;
    snprintf(path, sizeof path, "%s/README.md", dir);
    if (pf_out_open(&o, path, err)) return -1;
    facts_read(c, first, v, &k);
    char *name = manifest_name(v[0]);
    k.name = name;
    pf_card_front_matter(o.f, &k);
    write_header(o.f, c, first, command, seconds);
    pf_card_licenses(o.f, &k);
    pf_card_fields(o.f, &k);
    write_counts(o.f, c);
    write_pitch_note(o.f, first);
    write_instruments(o.f, c);
    write_excluded_keys(o.f, first);
    fprintf(o.f, "\n");
    pf_card_usage(o.f, &k);
    free(name);
    for (int i = 0; i < 4; i++)
        free(v[i]);
    return pf_out_close(&o, err);
}

int pf_card_publish(const char *dir, int ok, pf_error *err)
{
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/README.md", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (ok) return pf_file_publish(tmp, path, err);
    unlink(tmp);
    return 0;
}

int pf_card_write(const char *dir, const char *command, double seconds, pf_card_counts *counts,
                  pf_error *err)
{
    return pf_card_stage(dir, command, seconds, counts, err) || pf_card_publish(dir, 1, err)
               ? -1
               : 0;
}

int pf_card_stage(const char *dir, const char *command, double seconds, pf_card_counts *counts,
                  pf_error *err)
{
    card c = {0};
    char **names, first[4096];
    size_t n;
    if (pf_shard_list(dir, &names, &n, err))
        return -1;
    int rc = n ? 0 : PF_FAIL(err, PF_EIO, "%s: no shards to describe", dir);
    for (size_t i = 0; !rc && i < n; i++)
        rc = read_shard(&c, dir, names[i], err);
    if (!rc) {
        pf_path_join(first, sizeof first, dir, names[0]);
        rc = write_file(dir, &c, first, command, seconds, err);
    }
    if (!rc && counts)
        *counts = c.counts;
    for (size_t i = 0; i < c.n_inst; i++) {
        free(c.inst[i].label);
        free(c.inst[i].cents);
    }
    free(c.inst);
    pf_names_free(names, n);
    return rc;
}
