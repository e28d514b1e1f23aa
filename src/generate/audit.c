/* Label audit, before planning: measure where each preset really sounds and leave out those
 * beyond the manifest's bounds (preset audit, quality.pitch_check: drop-preset), then each key
 * of the presets kept that sounds off its written pitch (key audit, quality.key_max_cents). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/interrupt.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "core/util.h"
#include "generate/generate_int.h"
#include "pitchforge/error.h"
#include "pitchforge/generate.h"
#include "pitchforge/keymeter.h"
#include "pitchforge/manifest.h"
#include "pitchforge/pitch.h"
#include "pitchforge/plan.h"
#include "pitchforge/refine.h"
#include "pitchforge/synth.h"
#include "pitchforge/yin.h"
#include "synth/note.h"

/* Probe notes per preset: every 5th semitone over the planned range. */
#define PROBE_STEP 5

typedef struct probe {
    pf_note_renderer nr;
    pf_yin *yin;
    size_t seg_len;
    pf_key_meter *meter; /* key audit: over the held part from a fifth of the hold on */
    size_t held_from;
} probe;

static void probe_release(probe *p)
{
    pf_note_renderer_release(&p->nr);
    pf_yin_free(p->yin);
    pf_key_meter_free(p->meter);
}

static int probe_init(probe *p, const pf_manifest *m, pf_error *err)
{
    memset(p, 0, sizeof *p);
    if (pf_note_renderer_init(&p->nr, m, err)) return -1;
    p->seg_len = pf_manifest_segment_len(m);
    p->yin = pf_yin_new(p->seg_len, m->audio.rate_hz, PF_AUDIT_FMIN_HZ, PF_AUDIT_FMAX_HZ, err);
    if (!p->yin) return -1;
    if (!(m->quality.key_max_cents > 0)) return 0; /* no key audit: no meter */
    p->held_from = p->nr.hold / 5;
    p->meter = pf_key_meter_new(p->nr.hold - p->held_from, m->render.rate_hz, err);
    return p->meter ? 0 : -1;
}

/* Error in cents of the sustain segment of one exact note; NAN when unvoiced. */
static int probe_note(probe *p, const pf_instrument *in, int midi, double *cents, pf_error *err)
{
    double f0;
    if (pf_note_renderer_run(&p->nr, in, midi, 80, 0, NULL, err)) return -1;
    size_t off = p->nr.audio_len / 3 > p->seg_len / 2 ? p->nr.audio_len / 3 - p->seg_len / 2 : 0;
    if (pf_yin_estimate(p->yin, p->nr.audio + off, p->seg_len, &f0, NULL, err)) return -1;
    *cents = f0 > 0 ? pf_cents(f0, pf_midi_to_hz(midi, 0)) : NAN;
    return 0;
}

/* Exclude @p in when its median offset or octave-error share is beyond the manifest's bounds. */
static int audit_one(probe *p, const pf_manifest *m, const pf_instrument *in, uint8_t *exclude,
                     pf_error *err)
{
    int lo = (m->notes.octave_lo + 1) * 12, hi = (m->notes.octave_hi + 2) * 12 - 1;
    lo = lo > in->range_lo ? lo : in->range_lo;
    hi = hi < in->range_hi ? hi : in->range_hi;
    double near[32];
    int n_near = 0, n_oct = 0, n = 0;
    for (int midi = lo; midi <= hi && n < 32; midi += PROBE_STEP, n++) {
        double c;
        if (probe_note(p, in, midi, &c, err)) return -1;
        double folded = c - 1200.0 * round(c / 1200.0);
        if (isnan(c)) continue;
        if (fabs(c) > 600.0 && fabs(folded) <= m->quality.max_cents)
            n_oct++;
        else
            near[n_near++] = c;
    }
    qsort(near, (size_t)n_near, sizeof *near, pf_cmp_double);
    double median = n_near ? near[n_near / 2] : 0;
    *exclude = n == 0 || fabs(median) > m->quality.preset_max_median_cents ||
               (double)n_oct / n > m->quality.preset_max_octave_share;
    return 0;
}

/* Keys left out, in instrument and key order. */
typedef struct key_list {
    pf_excluded_key *keys;
    size_t n, cap;
} key_list;

/* Key audit of @p in (index @p idx): each planned key, exact, at every velocity of the manifest;
 * a key is left out at the first velocity that sounds more than quality.key_max_cents off (or
 * shows no clear harmonic peak). */
static int audit_keys(probe *p, const pf_manifest *m, const pf_instrument *in, uint32_t idx,
                      key_list *out, pf_error *err)
{
    int keys[128], n = pf_plan_keys(m, in, keys);
    for (int q = 0; q < n; q++)
        for (int v = 0; v < m->notes.n_velocities; v++) {
            int vel = m->notes.velocity[v];
            double c;
            if (pf_note_renderer_run(&p->nr, in, keys[q], vel, 0, NULL, err) ||
                pf_key_meter_measure(p->meter, p->nr.render + p->held_from,
                                     p->nr.hold - p->held_from, pf_midi_to_hz(keys[q], 0), &c, NULL,
                                     err))
                return -1;
            if (!isnan(c) && fabs(c) <= m->quality.key_max_cents) continue;
            if (out->n == out->cap)
                out->cap = out->cap ? 2 * out->cap : 64,
                out->keys = pf_reallocarray(out->keys, out->cap, sizeof *out->keys);
            out->keys[out->n++] = (pf_excluded_key){
                .instrument = idx, .midi = (uint8_t)keys[q], .velocity = (uint8_t)vel, .cents = c};
            break;
        }
    return 0;
}

/* One audit part's instruments, findings and error. */
typedef struct audit_job {
    const pf_manifest *m;
    const pf_instrument *ins;
    size_t n;
    uint8_t *preset_off;
    key_list keys;
    size_t next; /* merge cursor into keys */
    int rc;
    pf_error err;
} audit_job;

/* Part t of nt (pf_parallel_run): instruments t, t + nt, t + 2 nt, ... with its own probe. */
static void audit_part(void *arg, int t, int nt)
{
    audit_job *j = (audit_job *)arg + t;
    const pf_manifest *m = j->m;
    probe p;
    j->rc = probe_init(&p, m, &j->err);
    for (size_t i = (size_t)t; !j->rc && i < j->n; i += (size_t)nt) {
        if (pf_interrupted()) { /* Ctrl-C: nothing is written yet */
            j->rc = PF_FAIL(&j->err, PF_EINTR, "interrupted (signal %d) during the label audit, "
                            "before any shard", pf_interrupted());
            break;
        }
        if (m->quality.pitch_check == PF_PCHECK_DROP_PRESET)
            j->rc = audit_one(&p, m, &j->ins[i], &j->preset_off[i], &j->err);
        if (!j->rc && m->quality.key_max_cents > 0 && !j->preset_off[i])
            j->rc = audit_keys(&p, m, &j->ins[i], (uint32_t)i, &j->keys, &j->err);
    }
    probe_release(&p);
}

/* Join the parts' key lists in instrument order (instrument i is part i % jobs's). */
static void merge_keys(audit_job *jobs, int n_jobs, size_t n, pf_audit *a)
{
    size_t total = 0;
    for (int t = 0; t < n_jobs; t++)
        total += jobs[t].keys.n;
    a->keys = pf_calloc(total ? total : 1, sizeof *a->keys);
    for (size_t i = 0; i < n; i++) {
        audit_job *j = &jobs[i % (size_t)n_jobs];
        while (j->next < j->keys.n && j->keys.keys[j->next].instrument == i)
            a->keys[a->n_keys++] = j->keys.keys[j->next++];
    }
}

int pf_label_audit(const pf_manifest *m, const pf_instrument *ins, size_t n, int jobs, pf_audit *a,
                   pf_error *err)
{
    memset(a, 0, sizeof *a);
    a->n = n;
    a->preset_off = pf_calloc(n ? n : 1, 1);
    if (m->quality.pitch_check != PF_PCHECK_DROP_PRESET && !(m->quality.key_max_cents > 0))
        return 0;
    jobs = jobs < 1 ? 1 : (size_t)jobs > n ? (int)(n ? n : 1) : jobs;
    jobs = jobs > PF_PARALLEL_MAX ? PF_PARALLEL_MAX : jobs;
    audit_job *j = pf_calloc((size_t)jobs, sizeof *j);
    int rc = 0;
    for (int t = 0; t < jobs; t++)
        j[t] = (audit_job){.m = m, .ins = ins, .n = n, .preset_off = a->preset_off};
    pf_parallel_run(jobs, audit_part, j);
    for (int t = 0; t < jobs && !rc; t++)
        if (j[t].rc) rc = -1, *err = j[t].err;
    if (!rc) merge_keys(j, jobs, n, a);
    for (int t = 0; t < jobs; t++)
        free(j[t].keys.keys);
    free(j);
    if (rc) pf_audit_release(a);
    return rc;
}
