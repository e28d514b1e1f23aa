/* The dataset card: README.md beside the shards, made from the shards' own labels. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/generate.h"

/* Per-instrument tallies for the label audit table. */
typedef struct inst_stats {
    size_t examples, checks[PF_PITCH_CHECK_COUNT];
    double *cents; /* pitch errors of examples within tolerance or merely off */
    size_t n_cents;
} inst_stats;

typedef struct card {
    const pf_plan *plan;
    inst_stats *inst;
    size_t split[PF_SPLIT_COUNT], octave[11], segment[3], checks[PF_PITCH_CHECK_COUNT];
} card;

static size_t find_instrument(const pf_plan *p, const char *label)
{
    for (size_t i = 0; i < p->n_instruments; i++)
        if (strcmp(p->instruments[i].label, label) == 0)
            return i;
    return (size_t)-1;
}

static void tally(card *c, const pf_label *l, int split)
{
    c->split[split]++;
    c->octave[(l->midi / 12) % 11]++;
    c->segment[l->segment % 3]++;
    c->checks[l->pitch_check % PF_PITCH_CHECK_COUNT]++;
    size_t i = find_instrument(c->plan, l->instrument);
    if (i == (size_t)-1)
        return;
    inst_stats *s = &c->inst[i];
    s->examples++;
    s->checks[l->pitch_check % PF_PITCH_CHECK_COUNT]++;
    if (l->pitch_check == PF_PITCH_OK || l->pitch_check == PF_PITCH_OFF) {
        s->cents = pf_reallocarray(s->cents, s->n_cents + 1, sizeof *s->cents);
        s->cents[s->n_cents++] = l->pitch_error_cents;
    }
}

static int read_shards(card *c, const char *dir, pf_error *err)
{
    char name[64], path[4096];
    for (size_t k = 0; k < c->plan->n_shards; k++) {
        pf_shard_name(&c->plan->shards[k], name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        pf_label *rows;
        size_t n;
        if (pf_shard_read_labels(path, &rows, &n, err))
            return -1;
        for (size_t i = 0; i < n; i++)
            tally(c, &rows[i], c->plan->shards[k].split);
        pf_labels_free(rows, n);
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void write_counts(FILE *f, const card *c, const pf_generate_report *rep)
{
    fprintf(f, "## Counts\n\n| split | examples |\n|---|---:|\n");
    for (int s = 0; s < PF_SPLIT_COUNT; s++)
        fprintf(f, "| %s | %zu |\n", pf_split_names[s], c->split[s]);
    fprintf(f, "\n| segment | examples |\n|---|---:|\n");
    for (int k = 0; k < 3; k++)
        fprintf(f, "| %s | %zu |\n", pf_segment_names[k], c->segment[k]);
    fprintf(f, "\n| octave | examples |\n|---|---:|\n");
    for (int o = 0; o < 11; o++)
        if (c->octave[o])
            fprintf(f, "| %d | %zu |\n", o - 1, c->octave[o]);
    fprintf(f, "\n## Rejected by the quality gate\n\n| reason | segments |\n|---|---:|\n");
    for (int r = 0; r < PF_REJECT_COUNT; r++)
        fprintf(f, "| %s | %llu |\n", pf_reject_names[r], (unsigned long long)rep->rejected[r]);
    if (rep->excluded_presets)
        fprintf(f, "\nPresets left out by the preset audit: %zu.\n", rep->excluded_presets);
}

/* Per instrument: split, examples, median offset in cents, octave-error and off shares. */
static void write_instruments(FILE *f, const card *c)
{
    fprintf(f, "\n## Instruments and the label audit\n\n"
               "`measured_f0_hz` is an independent YIN estimate on each kept segment; the median "
               "offset is over segments within tolerance or off (octave errors excluded).\n\n"
               "| instrument | split | examples | median offset (cents) | octave errors | off "
               "| unvoiced |\n|---|---|---:|---:|---:|---:|---:|\n");
    for (size_t i = 0; i < c->plan->n_instruments; i++) {
        inst_stats *s = &c->inst[i];
        double med = NAN, n = s->examples ? (double)s->examples : 1;
        if (s->n_cents) {
            qsort(s->cents, s->n_cents, sizeof *s->cents, cmp_double);
            med = s->cents[s->n_cents / 2];
        }
        int sp = c->plan->instruments[i].split;
        fprintf(f, "| %s | %s | %zu | %+.1f | %.1f%% | %.1f%% | %.1f%% |\n",
                c->plan->instruments[i].label, sp >= 0 ? pf_split_names[sp] : "mixed",
                s->examples, med, 100.0 * (double)s->checks[PF_PITCH_OCTAVE] / n,
                100.0 * (double)s->checks[PF_PITCH_OFF] / n,
                100.0 * (double)s->checks[PF_PITCH_UNVOICED] / n);
    }
}

static void write_card(FILE *f, const card *c, const pf_manifest *m, const pf_generate_report *rep,
                       const char *command)
{
    size_t total = c->split[0] + c->split[1] + c->split[2];
    fprintf(f, "# Dataset card: %s\n\n", m->name);
    fprintf(f, "%zu examples (%zu notes, %d segments of %g ms each at %g Hz), spectrograms %s/%s, "
               "Hann %d / overlap %d / nfft %d. Seed %llu, manifest sha256 `%s`.\n\n",
            total, rep->notes, m->segments.n_kinds, m->segments.length_ms, m->audio.rate_hz,
            pf_spec_mode_names[m->spectrogram.mode], pf_spec_scaling_names[m->spectrogram.scaling],
            m->spectrogram.length, m->spectrogram.overlap, m->spectrogram.nfft,
            (unsigned long long)m->seed, m->sha256);
    fprintf(f, "Made by:\n\n```\n%s\n```\n\nin %.1f s. Read it with h5py through `dataset.h5` "
               "(one group of virtual datasets per split, `/stats`, `/checksums`).\n\n",
            command ? command : "pitchforge generate", rep->seconds);
    write_counts(f, c, rep);
    write_instruments(f, c);
}

int pf_card_write(const char *dir, const pf_manifest *m, const pf_plan *plan,
                  const pf_generate_report *rep, const char *command, pf_error *err)
{
    card c = {.plan = plan, .inst = pf_calloc(plan->n_instruments + 1, sizeof *c.inst)};
    char path[4096], tmp[4200];
    int rc = read_shards(&c, dir, err);
    snprintf(path, sizeof path, "%s/README.md", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = rc ? NULL : fopen(tmp, "w");
    if (!rc && !f)
        rc = PF_FAIL(err, PF_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    if (f) {
        write_card(f, &c, m, rep, command);
        if (fclose(f) || rename(tmp, path))
            rc = PF_FAIL(err, PF_EIO, "%s: cannot write: %s", path, strerror(errno));
    }
    for (size_t i = 0; i < plan->n_instruments; i++)
        free(c.inst[i].cents);
    free(c.inst);
    return rc;
}
