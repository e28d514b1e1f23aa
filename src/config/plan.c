/* Plan: enumerate notes, draw detunes by (seed, note id), split by hashed key, fill shards. */
#include "pitchforge/plan.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/rng.h"
#include "pitchforge/error.h"
#include "pitchforge/manifest.h"
#include "pitchforge/synth.h"

const char *const pf_split_names[PF_SPLIT_COUNT] = {"train", "val", "test"};

void pf_shard_name(const pf_shard_job *job, char *buf, size_t size)
{
    snprintf(buf, size, "%s-%05d-of-%05d.h5", pf_split_names[job->split], job->index, job->count);
}

int pf_shard_name_parse(const char *name, pf_shard_job *job)
{
    char split[8];
    int a, b, len = 0;
    if (sscanf(name, "%5[a-z]-%5d-of-%5d.h5%n", split, &a, &b, &len) != 3 ||
        (size_t)len != strlen(name) || a < 0 || a >= b)
        return -1;
    for (int s = 0; s < PF_SPLIT_COUNT; s++)
        if (strcmp(split, pf_split_names[s]) == 0) {
            *job = (pf_shard_job){.split = s, .index = a, .count = b};
            return 0;
        }
    return -1;
}

static int cmp_shard_names(const void *a, const void *b)
{
    pf_shard_job x, y;
    pf_shard_name_parse(*(char *const *)a, &x);
    pf_shard_name_parse(*(char *const *)b, &y);
    return x.split != y.split ? x.split - y.split : x.index - y.index;
}

int pf_shard_list(const char *dir, char ***names, size_t *n, pf_error *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    pf_shard_job job;
    *names = NULL;
    *n = 0;
    if (!d)
        return PF_FAIL(err, PF_EIO, "%s: cannot open folder: %s", dir, strerror(errno));
    while ((e = readdir(d)))
        if (pf_shard_name_parse(e->d_name, &job) == 0) {
            *names = pf_reallocarray(*names, *n + 1, sizeof **names);
            (*names)[(*n)++] = pf_strdup(e->d_name);
        }
    closedir(d);
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_shard_names);
    return 0;
}

void pf_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- instruments ---- */

static const pf_preset *find_preset(const pf_preset_list *l, int bank, int program)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->presets[i].bank == bank && l->presets[i].program == program)
            return &l->presets[i];
    return NULL;
}

static void add_instrument(const pf_manifest *m, const pf_instrument_spec *s, const pf_preset *p,
                           pf_instrument **out, size_t *n)
{
    *out = pf_reallocarray(*out, *n + 1, sizeof **out);
    pf_instrument *in = &(*out)[(*n)++];
    *in = (pf_instrument){.soundfont = s->soundfont, .bank = p->bank, .program = p->program,
                          .range_lo = s->range_lo, .range_hi = s->range_hi, .split = -1,
                          .line = s->line, .col = s->col};
    snprintf(in->preset_name, sizeof in->preset_name, "%s", p->name);
    snprintf(in->label, sizeof in->label, "%s/%03d/%03d %s", m->soundfonts[s->soundfont].id,
             p->bank, p->program, p->name);
}

static int is_listed(const pf_instrument *list, size_t n, const pf_instrument_spec *s, int program)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].soundfont == s->soundfont && list[i].bank == s->bank &&
            list[i].program == program)
            return 1;
    return 0;
}

int pf_plan_instruments(const pf_manifest *m, const pf_preset_list *presets, pf_instrument **out,
                        size_t *n, pf_error *err)
{
    *out = NULL;
    *n = 0;
    for (size_t i = 0; i < m->n_instruments; i++) {
        const pf_instrument_spec *s = &m->instruments[i];
        const pf_preset_list *l = &presets[s->soundfont];
        int lo = s->program < 0 ? 0 : s->program, hi = s->program < 0 ? 111 : s->program;
        for (int prog = lo; prog <= hi; prog++) {
            const pf_preset *p = find_preset(l, s->program < 0 ? 0 : s->bank, prog);
            if (!p && s->program >= 0) {
                free(*out);
                *out = NULL;
                return PF_FAIL(err, PF_ECONFIG, "%s:%d:%d: soundfont '%s' has no program %d in bank %d",
                               m->file, s->line, s->col, m->soundfonts[s->soundfont].id,
                               s->program, s->bank);
            }
            if (!p || is_listed(*out, *n, s, prog))
                continue;
            add_instrument(m, s, p, out, n);
        }
    }
    return 0;
}

/* ---- splits ---- */

/* Split of key index @p rank among @p n keys ranked by hash: val first, then test, then train. */
static int split_of_rank(const pf_manifest *m, size_t rank, size_t n)
{
    size_t n_val = (size_t)llround(m->split.val * (double)n);
    size_t n_test = (size_t)llround(m->split.test * (double)n);
    if (n >= 3 && m->split.val > 0 && n_val == 0)
        n_val = 1;
    if (n >= 3 && m->split.test > 0 && n_test == 0)
        n_test = 1;
    int all = m->split.val + m->split.test >= 1 - 1e-9; /* a held-out set: no train split */
    if (all)
        n_test = n - (n_val < n ? n_val : n);
    while (!all && n_val + n_test >= n && (n_val || n_test))
        n_test ? n_test-- : n_val--;
    return rank < n_val ? PF_VAL : rank < n_val + n_test ? PF_TEST : PF_TRAIN;
}

typedef struct keyed {
    uint64_t hash;
    size_t index;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    return x->hash < y->hash ? -1 : x->hash > y->hash ? 1 : (x->index > y->index) - (x->index < y->index);
}

/* Assign a split to each of @p n string keys by ranking their hashes. */
static void split_keys(const pf_manifest *m, const char *const *keys, size_t n, int *split)
{
    keyed *k = pf_calloc(n, sizeof *k);
    for (size_t i = 0; i < n; i++)
        k[i] = (keyed){pf_hash64(m->seed ^ PF_STREAM_SPLIT, keys[i], strlen(keys[i])), i};
    qsort(k, n, sizeof *k, cmp_keyed);
    for (size_t r = 0; r < n; r++)
        split[k[r].index] = split_of_rank(m, r, n);
    free(k);
}

static void split_instruments(const pf_manifest *m, pf_plan *p)
{
    size_t n = m->split.by == PF_SPLIT_SOUNDFONT ? m->n_soundfonts : p->n_instruments;
    const char **keys = pf_calloc(n, sizeof *keys);
    int *split = pf_calloc(n, sizeof *split);
    for (size_t i = 0; i < n; i++)
        keys[i] = m->split.by == PF_SPLIT_SOUNDFONT ? m->soundfonts[i].id : p->instruments[i].label;
    split_keys(m, keys, n, split);
    for (size_t i = 0; i < p->n_instruments; i++)
        p->instruments[i].split =
            m->split.by == PF_SPLIT_SOUNDFONT ? split[p->instruments[i].soundfont] : split[i];
    free(keys);
    free(split);
}

static void split_octaves(const pf_manifest *m, int *octave_split)
{
    char names[11][8];
    const char *keys[11];
    size_t n = (size_t)(m->notes.octave_hi - m->notes.octave_lo + 1);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], sizeof names[i], "%d", m->notes.octave_lo + (int)i);
        keys[i] = names[i];
    }
    split_keys(m, keys, n, octave_split);
}

/* Split of one note for the manifest's split.by. */
/* Note @p note_id's split by a seeded hash of its id, with the manifest's val and test shares. */
static int random_split(const pf_manifest *m, uint64_t note_id)
{
    double u = (double)(pf_hash64(m->seed ^ PF_STREAM_SPLIT, &note_id, sizeof note_id) >> 11) *
               0x1.0p-53;
    return u < m->split.val ? PF_VAL : u < m->split.val + m->split.test ? PF_TEST : PF_TRAIN;
}

static int note_split(const pf_manifest *m, const pf_plan *p, const pf_note_job *nj,
                      const int *octave_split)
{
    if (m->split.by == PF_SPLIT_OCTAVE)
        return octave_split[nj->midi / 12 - 1 - m->notes.octave_lo];
    if (m->split.by != PF_SPLIT_RANDOM)
        return p->instruments[nj->instrument].split;
    return random_split(m, nj->note_id);
}

/* ---- notes ---- */

static float draw_cents(const pf_manifest *m, uint64_t note_id, int copy)
{
    if (m->detune.include_exact && copy == 0)
        return 0.0f;
    pf_rng r;
    pf_rng_init(&r, m->seed, PF_STREAM_DETUNE, note_id);
    /* whole cents: FluidSynth 2.3 resolves voice pitch to the cent, so labels stay exact */
    return (float)round(pf_rng_range(&r, m->detune.cents_lo, m->detune.cents_hi));
}

/* u < p, drawn from @p r (always drawn, so later draws do not depend on p). */
static int chance(pf_rng *r, double p)
{
    return pf_rng_uniform(r) < p;
}

void pf_plan_expression(const pf_manifest *m, uint64_t note_id, pf_expression *e)
{
    pf_rng r;
    pf_rng_init(&r, m->seed, PF_STREAM_EXPRESSION, note_id);
    memset(e, 0, sizeof *e);
    /* every draw is made, in this order, whichever parts are on */
    int vib = chance(&r, m->expression.vibrato.p), scoop = chance(&r, m->expression.scoop.p);
    int fall = chance(&r, m->expression.fall.p), legato = chance(&r, m->expression.legato.p);
    double rate = pf_rng_range(&r, m->expression.vibrato.rate_lo, m->expression.vibrato.rate_hi);
    double depth = pf_rng_range(&r, m->expression.vibrato.depth_lo, m->expression.vibrato.depth_hi);
    double delay = pf_rng_range(&r, m->expression.vibrato.delay_lo, m->expression.vibrato.delay_hi);
    double phase = pf_rng_uniform(&r);
    double sc = pf_rng_range(&r, m->expression.scoop.cents_lo, m->expression.scoop.cents_hi);
    double ss = pf_rng_range(&r, m->expression.scoop.s_lo, m->expression.scoop.s_hi);
    double fc = pf_rng_range(&r, m->expression.fall.cents_lo, m->expression.fall.cents_hi);
    double fs = pf_rng_range(&r, m->expression.fall.s_lo, m->expression.fall.s_hi);
    long span = lround(m->expression.legato.semis_hi) - lround(m->expression.legato.semis_lo) + 1;
    long semis = lround(m->expression.legato.semis_lo) + (long)pf_rng_below(&r, (uint64_t)span);
    double glide = pf_rng_range(&r, m->expression.legato.glide_lo, m->expression.legato.glide_hi);
    double at = pf_rng_range(&r, m->expression.legato.at_lo, m->expression.legato.at_hi);
    if (vib) {
        e->vib_rate_hz = rate, e->vib_depth_cents = depth;
        e->vib_delay_s = delay, e->vib_phase = phase;
    }
    if (scoop) e->scoop_cents = sc, e->scoop_s = ss;
    if (fall) {
        e->fall_cents = fc, e->fall_s = fs;
        e->fall_start_s = m->render.note_s - fs > 0 ? m->render.note_s - fs : 0;
    }
    if (legato) e->glide_cents = 100.0 * (double)semis, e->glide_start_s = at, e->glide_s = glide;
}

static void push_note(pf_plan *p, size_t *cap, pf_note_job nj)
{
    if (p->n_notes == *cap)
        p->notes = pf_reallocarray(p->notes, *cap = *cap * 2 + 1024, sizeof *p->notes);
    p->notes[p->n_notes++] = nj;
}

int pf_plan_keys(const pf_manifest *m, const pf_instrument *in, int keys[128])
{
    int n = 0;
    for (int oct = m->notes.octave_lo; oct <= m->notes.octave_hi; oct++)
        for (int k = 0; k < m->notes.n_pitch_classes; k++) {
            int midi = (oct + 1) * 12 + m->notes.pitch_class[k];
            if (midi >= in->range_lo && midi <= in->range_hi && midi <= 127) keys[n++] = midi;
        }
    return n;
}

/* Enumerate instrument x planned key x velocity x copy, skipping the keys the audit left out. */
static void enumerate_notes(const pf_manifest *m, pf_plan *p, const int *octave_split)
{
    size_t cap = 0;
    int copies = m->detune.copies + (m->detune.include_exact ? 1 : 0);
    for (size_t i = 0; i < p->n_instruments; i++) {
        const pf_instrument *in = &p->instruments[i];
        int keys[128], n_keys = pf_plan_keys(m, in, keys);
        for (int q = 0; q < n_keys; q++) {
            int midi = keys[q];
            if (in->excluded_keys[midi / 64] >> (midi % 64) & 1) continue;
            for (int v = 0; v < m->notes.n_velocities; v++)
                for (int c = 0; c < copies; c++) {
                    pf_note_job nj = {.note_id = p->n_notes,
                                      .instrument = (uint32_t)i,
                                      .midi = (uint8_t)midi,
                                      .velocity = (uint8_t)m->notes.velocity[v]};
                    nj.cents = draw_cents(m, nj.note_id, c);
                    nj.split = (uint8_t)note_split(m, p, &nj, octave_split);
                    push_note(p, &cap, nj);
                }
        }
    }
}

/* ---- negatives ---- */

/* The GM drum kit's unpitched keys (snares, claps, hi-hats, cymbals, tambourine, vibraslap,
 * cabasa, maracas, guiro): no kicks, toms, congas, bongos, timbales, agogos, cowbell, whistles,
 * blocks, claves, cuicas or triangles, whose sound has a pitch. */
static const uint8_t unpitched_keys[] = {37, 38, 39, 40, 42, 44, 46, 49, 51, 52,
                                         53, 54, 55, 57, 58, 59, 69, 70, 73, 74};

/* The first drum kit (bank 128, lowest program) of the first soundfont that has one, added to
 * the plan's instruments; its index, or -1 with @p err filled when no soundfont has one. */
static long add_drum_kit(const pf_manifest *m, const pf_preset_list *presets, pf_plan *p,
                         pf_error *err)
{
    for (size_t s = 0; s < m->n_soundfonts; s++)
        for (size_t i = 0; i < presets[s].n; i++) {
            const pf_preset *q = &presets[s].presets[i];
            if (q->bank != 128) continue;
            pf_instrument_spec spec = {.soundfont = (int)s, .range_hi = 127};
            size_t n = p->n_instruments;
            add_instrument(m, &spec, q, &p->instruments, &n);
            return (long)(p->n_instruments = n) - 1;
        }
    return PF_FAIL(err, PF_ECONFIG, "%s: negatives.percussion needs a GM drum kit (bank 128) in a "
                   "soundfont, and none of the manifest's has one", m->file);
}

/* One negative of kind @p source: a random split (as split.by random), a drum key and a
 * velocity for percussion, drawn from (seed, PF_STREAM_NEGATIVE, note_id). */
static pf_note_job negative_job(const pf_manifest *m, const pf_plan *p, int source, long drum)
{
    pf_note_job nj = {.note_id = p->n_notes, .source = (uint8_t)source};
    pf_rng r;
    pf_rng_init(&r, m->seed, PF_STREAM_NEGATIVE, nj.note_id);
    size_t k = (size_t)pf_rng_below(&r, sizeof unpitched_keys);
    int v = m->notes.velocity[pf_rng_below(&r, (uint64_t)m->notes.n_velocities)];
    if (source == PF_SOURCE_PERCUSSION)
        nj.instrument = (uint32_t)drum, nj.midi = unpitched_keys[k], nj.velocity = (uint8_t)v;
    nj.split = (uint8_t)random_split(m, nj.note_id);
    return nj;
}

/* After the notes: round(share x notes) negatives of each kind the manifest asks for. */
static int add_negatives(const pf_manifest *m, const pf_preset_list *presets, pf_plan *p,
                         pf_error *err)
{
    size_t notes = p->n_notes, cap = p->n_notes;
    long drum = -1;
    if (m->negatives.share[PF_SOURCE_PERCUSSION] > 0 &&
        (drum = add_drum_kit(m, presets, p, err)) < 0)
        return -1;
    for (int s = PF_SOURCE_SILENCE; s < PF_SOURCE_COUNT; s++) {
        size_t n = (size_t)llround(m->negatives.share[s] * (double)notes);
        for (size_t i = 0; i < n; i++)
            push_note(p, &cap, negative_job(m, p, s, drum));
    }
    return 0;
}

/* ---- shards ---- */

/* Notes a shard holds: shards.examples over the segments a note gives, at least one. */
static size_t notes_per_shard(const pf_manifest *m, const pf_plan *p)
{
    size_t per_shard = (size_t)m->shards.examples / (size_t)p->n_kinds;
    return per_shard ? per_shard : 1;
}

/* Refuse a split that needs more shards than names allow (PF_SHARDS_MAX). */
static int check_shard_counts(const pf_manifest *m, const pf_plan *p, pf_error *err)
{
    size_t n[PF_SPLIT_COUNT] = {0}, per_shard = notes_per_shard(m, p);
    for (size_t i = 0; i < p->n_notes; i++)
        n[p->notes[i].split]++;
    for (int s = 0; s < PF_SPLIT_COUNT; s++)
        if ((n[s] + per_shard - 1) / per_shard > PF_SHARDS_MAX)
            return PF_FAIL(err, PF_ECONFIG,
                           "%s: split %s needs %zu shards of %d examples; shard names allow %d a "
                           "split: raise shards.examples",
                           m->file, pf_split_names[s], (n[s] + per_shard - 1) / per_shard,
                           m->shards.examples, PF_SHARDS_MAX);
    return 0;
}

/* Shuffle each split's notes with its own seeded stream, then cut them into even shards. */
static void make_shards(const pf_manifest *m, pf_plan *p)
{
    size_t per_shard = notes_per_shard(m, p);
    p->order = pf_calloc(p->n_notes ? p->n_notes : 1, sizeof *p->order);
    size_t pos = 0;
    for (int s = 0; s < PF_SPLIT_COUNT; s++) {
        size_t first = pos;
        for (size_t i = 0; i < p->n_notes; i++)
            if (p->notes[i].split == s)
                p->order[pos++] = (uint32_t)i;
        size_t n = pos - first;
        p->notes_per_split[s] = n;
        pf_rng r;
        pf_rng_init(&r, m->seed, PF_STREAM_SHUFFLE, (uint64_t)s);
        for (size_t i = n; i > 1; i--) {
            size_t j = (size_t)pf_rng_below(&r, i);
            uint32_t t = p->order[first + i - 1];
            p->order[first + i - 1] = p->order[first + j];
            p->order[first + j] = t;
        }
        size_t count = (n + per_shard - 1) / per_shard;
        p->shards = pf_reallocarray(p->shards, p->n_shards + count + 1, sizeof *p->shards);
        for (size_t k = 0; k < count; k++) {
            size_t a = first + k * n / count, b = first + (k + 1) * n / count;
            p->shards[p->n_shards++] = (pf_shard_job){.split = s, .index = (int)k,
                                                      .count = (int)count, .first = a, .n = b - a};
        }
    }
}

int pf_plan_build(const pf_manifest *m, const pf_preset_list *presets, const pf_audit *audit,
                  pf_plan *plan, pf_error *err)
{
    memset(plan, 0, sizeof *plan);
    pf_instrument *all;
    size_t n_all;
    if (pf_plan_instruments(m, presets, &all, &n_all, err))
        return -1;
    plan->instruments = pf_calloc(n_all + 1, sizeof *plan->instruments);
    for (size_t k = 0; audit && k < audit->n_keys; k++) {
        const pf_excluded_key *ko = &audit->keys[k];
        if (ko->instrument < n_all)
            all[ko->instrument].excluded_keys[ko->midi / 64] |= 1ull << (ko->midi % 64);
    }
    for (size_t i = 0; i < n_all; i++)
        if (!audit || i >= audit->n || !audit->preset_off[i])
            plan->instruments[plan->n_instruments++] = all[i];
    free(all);
    if (plan->n_instruments == 0)
        return PF_FAIL(err, PF_ECONFIG, "%s: no instruments left to render", m->file);
    plan->n_kinds = m->segments.n_kinds;
    int octave_split[11] = {0};
    if (m->split.by == PF_SPLIT_OCTAVE)
        split_octaves(m, octave_split);
    else if (m->split.by != PF_SPLIT_RANDOM)
        split_instruments(m, plan);
    enumerate_notes(m, plan, octave_split);
    if (plan->n_notes == 0)
        return PF_FAIL(err, PF_ECONFIG, "%s: the notes and instrument ranges give no notes", m->file);
    if (add_negatives(m, presets, plan, err)) return -1;
    if (check_shard_counts(m, plan, err)) {
        pf_plan_release(plan);
        return -1;
    }
    make_shards(m, plan);
    return 0;
}

void pf_audit_release(pf_audit *a)
{
    if (!a) return;
    free(a->preset_off);
    free(a->keys);
    memset(a, 0, sizeof *a);
}

void pf_plan_release(pf_plan *plan)
{
    if (!plan)
        return;
    free(plan->instruments);
    free(plan->notes);
    free(plan->order);
    free(plan->shards);
    memset(plan, 0, sizeof *plan);
}
