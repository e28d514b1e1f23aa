/* generate --dry-run: the plan in numbers, without rendering anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "generate/generate_int.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "core/util.h"
#include "pitchforge/generate.h"
#include "pitchforge/manifest.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"
#include "pitchforge/spectrogram.h"

static void print_splits(const pf_plan *p, int kinds, size_t ex_bytes, FILE *out)
{
    size_t shards[PF_SPLIT_COUNT] = {0};
    for (size_t i = 0; i < p->n_shards; i++)
        shards[p->shards[i].split]++;
    fprintf(out, "\n%-8s %10s %10s %8s\n", "split", "notes", "examples", "shards");
    for (int s = 0; s < PF_SPLIT_COUNT; s++)
        fprintf(out, "%-8s %10zu %10zu %8zu\n", pf_split_names[s], p->notes_per_split[s],
                p->notes_per_split[s] * (size_t)kinds, shards[s]);
    char disk[32];
    pf_human_bytes((double)(p->n_notes * (size_t)kinds * ex_bytes), disk, sizeof disk);
    fprintf(out, "%-8s %10zu %10zu %8zu   disk about %s (%zu bytes an example)\n", "total",
            p->n_notes, p->n_notes * (size_t)kinds, p->n_shards, disk, ex_bytes);
}

static void print_instruments(const pf_plan *p, int kinds, FILE *out)
{
    size_t *count = pf_calloc(p->n_instruments, sizeof *count);
    int *split = pf_calloc(p->n_instruments, sizeof *split);
    for (size_t i = 0; i < p->n_notes; i++) {
        if (p->notes[i].source != PF_SOURCE_NOTE) continue; /* print_negatives */
        count[p->notes[i].instrument]++;
        split[p->notes[i].instrument] = p->notes[i].split;
    }
    fprintf(out, "\n%-44s %-6s %9s\n", "instrument", "split", "examples");
    for (size_t i = 0; i < p->n_instruments; i++)
        if (count[i])
            fprintf(out, "%-44s %-6s %9zu\n", p->instruments[i].label,
                p->instruments[i].split >= 0 ? pf_split_names[p->instruments[i].split]
                                             : pf_split_names[split[i]],
                count[i] * (size_t)kinds);
    free(count);
    free(split);
}

/* Negatives by kind (all splits). */
static void print_negatives(const pf_plan *p, int kinds, FILE *out)
{
    size_t count[PF_SOURCE_COUNT] = {0}, total = 0;
    for (size_t i = 0; i < p->n_notes; i++)
        count[p->notes[i].source]++, total += p->notes[i].source != PF_SOURCE_NOTE;
    if (!total) return;
    fprintf(out, "\n%-14s %9s\n", "negatives", "examples");
    for (int k = 1; k < PF_SOURCE_COUNT; k++)
        if (count[k]) fprintf(out, "%-14s %9zu\n", pf_source_names[k], count[k] * (size_t)kinds);
}

static void print_octaves(const pf_plan *p, int kinds, FILE *out)
{
    size_t count[11] = {0};
    for (size_t i = 0; i < p->n_notes; i++)
        if (p->notes[i].source == PF_SOURCE_NOTE) count[p->notes[i].midi / 12]++;
    fprintf(out, "\n%-8s %9s\n", "octave", "examples");
    for (int o = 0; o < 11; o++)
        if (count[o]) fprintf(out, "%-8d %9zu\n", o - 1, count[o] * (size_t)kinds);
}

int pf_generate_dry_run(const pf_manifest *m, FILE *out, pf_error *err)
{
    pf_preset_list *lists;
    pf_plan p;
    if (pf_preset_lists_load(m, &lists, err)) return -1;
    int rc = pf_plan_build(m, lists, NULL, &p, err);
    pf_preset_lists_free(lists, m->n_soundfonts);
    if (rc) return -1;
    int kinds = m->segments.n_kinds;
    fprintf(out, "plan for %s -> %s (seed %llu, manifest sha256 %.12s)\n", m->file, m->output,
            (unsigned long long)m->seed, m->sha256);
    fprintf(out,
            "%zu instruments, %zu notes, %d segments a note; the quality gate may drop "
            "some%s\n",
            p.n_instruments, p.n_notes, kinds,
            m->quality.pitch_check == PF_PCHECK_DROP_PRESET || m->quality.key_max_cents > 0
                ? "; the label audit (drop-preset, key_max_cents) runs only in a real run"
                : "");
    print_splits(&p, kinds, pf_example_bytes(m), out);
    print_instruments(&p, kinds, out);
    print_negatives(&p, kinds, out);
    print_octaves(&p, kinds, out);
    fprintf(out, "\n%-8s %9s\n", "segment", "examples");
    for (int k = 0; k < kinds; k++)
        fprintf(out, "%-8s %9zu\n", pf_segment_names[m->segments.kind[k]], p.n_notes);
    pf_plan_release(&p);
    return 0;
}

size_t pf_example_bytes(const pf_manifest *m)
{
    size_t bins, frames, seg = pf_manifest_segment_len(m);
    pf_spec_shape(&m->spectrogram, seg, &bins, &frames);
    size_t planes = m->spectrogram.mode == PF_SPEC_COMPLEX ? 2 : 1;
    size_t audio = m->store.audio == PF_AUDIO_INT16     ? 2
                   : m->store.audio == PF_AUDIO_FLOAT32 ? 4
                                                        : 0;
    size_t value = m->store.spectrogram == PF_SPEC_STORE_FLOAT32   ? 4
                   : m->store.spectrogram == PF_SPEC_STORE_FLOAT16 ? 2
                                                                   : 0;
    return planes * bins * frames * value + audio * seg + 96;
}
