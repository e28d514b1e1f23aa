/* generate: the pipeline joining synth, dsp and data — one worker per thread, one shard a job. */
#include "core/util.h"
#include "pitchforge/generate.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/parallel.h"
#include "note_render.h"
#include "pitchforge/dsp.h"
#include "pitchforge/rng.h"
#include "pitchforge/synth.h"
#include "pitchforge/version.h"

/* ---- run-wide context shared by workers ---- */

typedef struct run {
    const pf_manifest *m;
    const pf_plan *plan;
    const pf_generate_opts *opts;
    size_t *jobs; /* indices into plan->shards still to make */
    size_t n_jobs, pending_notes;
    pf_shard_meta meta;
    char *keys_off; /* meta.audit_keys_off */
    char **sf_sha;
    atomic_size_t next_job;
    atomic_size_t notes_done, examples_done, rejected_done; /* for the progress line */
    atomic_int failed;
    pthread_mutex_t lock; /* guards rep, err and digests */
    pf_shard_digest *digests; /* sha256 of the shards made, taken right after each commit */
    size_t n_digests;
    pf_generate_report *rep;
    pf_error *err;
    double t0;
} run;

/* ---- one worker: its own synth, resampler, FFT plans and buffers ---- */

typedef struct worker {
    run *r;
    pf_note_renderer nr; /* synth, resampler, nr.audio: the current note at the audio rate */
    pf_spectrogram *spec;
    pf_yin *yin;
    size_t audio_len, seg_len;
    float *audio, *stripped, *seg, *spec_out;
    int strip; /* the current note has its fundamental notched out */
    int16_t *seg_i16;
    pf_stage_times t;
    uint64_t rejected[PF_REJECT_COUNT];
    size_t examples[PF_SPLIT_COUNT], per_kind[3];
    size_t kept_seen, rejected_seen; /* of those, already added to the run's progress counts */
    pf_error err;
} worker;

static void worker_release(worker *w)
{
    pf_note_renderer_release(&w->nr);
    pf_spectrogram_free(w->spec);
    pf_yin_free(w->yin);
    free(w->stripped);
    free(w->seg);
    free(w->spec_out);
    free(w->seg_i16);
}

static int worker_init(worker *w, run *r)
{
    const pf_manifest *m = r->m;
    memset(w, 0, sizeof *w);
    w->r = r;
    if (pf_note_renderer_init(&w->nr, m, &w->err))
        return -1;
    w->seg_len = pf_manifest_segment_len(m);
    w->spec = pf_spectrogram_new(&m->spectrogram, w->seg_len, &w->err);
    w->yin = w->spec ? pf_yin_new(w->seg_len, m->audio.rate_hz, PF_AUDIT_FMIN_HZ,
                                  PF_AUDIT_FMAX_HZ, &w->err)
                     : NULL;
    if (!w->yin)
        return -1;
    w->audio_len = w->nr.audio_len;
    w->audio = w->nr.audio;
    w->stripped = pf_calloc(w->audio_len, sizeof *w->stripped);
    w->seg = pf_calloc(w->seg_len, sizeof *w->seg);
    w->seg_i16 = pf_calloc(w->seg_len, sizeof *w->seg_i16);
    w->spec_out = pf_calloc(pf_spectrogram_size(w->spec), sizeof *w->spec_out);
    return 0;
}

/* First sample of segment @p kind in the 16 kHz note (attack at 0, sustain centred in the
 * held part, decay at note-off). */
static size_t segment_offset(const worker *w, int kind)
{
    const pf_manifest *m = w->r->m;
    double held = m->render.note_s * m->audio.rate_hz;
    size_t off = kind == PF_SEG_ATTACK    ? 0
                 : kind == PF_SEG_SUSTAIN ? (size_t)llround(held / 2 - (double)w->seg_len / 2)
                                          : (size_t)llround(held);
    return off + w->seg_len > w->audio_len ? w->audio_len - w->seg_len : off;
}

/* ---- per-example stages ---- */

/* Quality gate on the raw segment: returns a pf_reject reason or -1 when it passes. */
static int gate(const worker *w, pf_label *lab)
{
    double peak = pf_peak_abs(w->seg, w->seg_len);
    if (isnan(peak))
        return PF_REJECT_NONFINITE;
    lab->rms_dbfs = (float)pf_rms_dbfs(w->seg, w->seg_len);
    if (peak >= w->r->m->segments.clip_level)
        return PF_REJECT_CLIPPED;
    if (!(lab->rms_dbfs >= w->r->m->segments.min_rms_dbfs))
        return PF_REJECT_SILENT;
    return -1;
}

/* Classify a measured f0 against the label: ok, an octave (+-1, +-2) off, or off. */
static int classify_pitch(double err_cents, double tol)
{
    if (fabs(err_cents) <= tol)
        return PF_PITCH_OK;
    for (int k = -2; k <= 2; k++)
        if (k && fabs(err_cents - 1200.0 * k) <= tol)
            return PF_PITCH_OCTAVE;
    return PF_PITCH_OFF;
}

/* Label audit: independent YIN estimate on the raw segment. */
static int audit(worker *w, pf_label *lab)
{
    lab->measured_f0_hz = 0;
    lab->pitch_error_cents = NAN;
    lab->pitch_check = PF_PITCH_SKIPPED;
    if (w->r->m->quality.pitch_check == PF_PCHECK_OFF)
        return 0;
    double f0, ap;
    if (pf_yin_estimate(w->yin, w->seg, w->seg_len, &f0, &ap, &w->err))
        return -1;
    lab->measured_f0_hz = (float)f0;
    if (f0 <= 0) {
        lab->pitch_check = PF_PITCH_UNVOICED;
        return 0;
    }
    lab->pitch_error_cents = (float)(1200.0 * log2(f0 / lab->f0_hz));
    lab->pitch_check = (uint8_t)classify_pitch(lab->pitch_error_cents, w->r->m->quality.max_cents);
    return 0;
}

/* Strip the fundamental of a whole note (drawn from (seed, note id)): notching the note before
 * cutting keeps the filter's start-up transient out of the segments. */
static void strip_note(worker *w, const pf_note_job *nj)
{
    const pf_manifest *m = w->r->m;
    pf_rng rng;
    pf_rng_init(&rng, m->seed, PF_STREAM_STRIP, nj->note_id);
    w->strip = pf_rng_uniform(&rng) < m->augment.strip_fundamental;
    if (!w->strip)
        return;
    memcpy(w->stripped, w->audio, w->audio_len * sizeof *w->audio);
    pf_notch_apply(w->stripped, w->audio_len, pf_midi_to_hz(nj->midi, nj->cents), m->audio.rate_hz,
                   m->augment.strip_q);
}

/* Augmentations drawn from (seed, example id), applied in a fixed order, recorded as labels:
 * the (stripped) segment, noise, peak normalization, volume. */
static void augment(worker *w, pf_label *lab)
{
    const pf_manifest *m = w->r->m;
    pf_rng rng;
    pf_rng_init(&rng, m->seed, PF_STREAM_AUGMENT, lab->example_id);
    double u_noise = pf_rng_uniform(&rng);
    double snr = pf_rng_range(&rng, m->augment.snr_lo, m->augment.snr_hi);
    double vol = pf_rng_range(&rng, m->augment.volume_lo, m->augment.volume_hi);
    lab->strip_fundamental = (uint8_t)w->strip;
    if (w->strip)
        memcpy(w->seg, w->stripped + lab->segment_offset, w->seg_len * sizeof *w->seg);
    lab->noise_snr_db = NAN;
    if (m->augment.noise && u_noise < m->augment.noise_p) {
        lab->noise_snr_db = (float)snr;
        pf_noise_add(w->seg, w->seg_len, m->augment.noise_kind, snr, &rng);
    }
    if (m->audio.normalize == PF_NORM_PEAK)
        pf_peak_normalize(w->seg, w->seg_len, 1.0);
    lab->volume = (float)vol;
    for (size_t i = 0; i < w->seg_len; i++)
        w->seg[i] *= (float)vol;
}

/* Quantize to the stored int16 form and back, so the spectrogram is of exactly /audio. */
static void quantize(worker *w)
{
    if (w->r->m->store.audio != PF_AUDIO_INT16)
        return;
    for (size_t i = 0; i < w->seg_len; i++) {
        long q = lrintf(w->seg[i] * 32767.0f);
        q = q > 32767 ? 32767 : q < -32767 ? -32767 : q;
        w->seg_i16[i] = (int16_t)q;
        w->seg[i] = (float)q / 32767.0f;
    }
}

static void fill_note_labels(const worker *w, const pf_note_job *nj, pf_label *lab)
{
    const pf_instrument *in = &w->r->plan->instruments[nj->instrument];
    *lab = (pf_label){.f0_hz = pf_midi_to_hz(nj->midi, nj->cents), .midi = nj->midi,
                      .cents = nj->cents, .octave = (int8_t)(nj->midi / 12 - 1),
                      .pitch_class = (int8_t)(nj->midi % 12), .velocity = nj->velocity,
                      .program = (uint8_t)in->program, .bank = (uint16_t)in->bank,
                      .soundfont = (uint8_t)in->soundfont, .instrument = in->label};
}

/* One segment of a rendered note: gate, audit, augment, quantize, STFT, append. */
static int process_segment(worker *w, const pf_note_job *nj, int slot, pf_shard_writer *sw)
{
    const pf_manifest *m = w->r->m;
    pf_label lab;
    fill_note_labels(w, nj, &lab);
    lab.segment = (uint8_t)m->segments.kind[slot];
    lab.example_id = nj->note_id * (uint64_t)m->segments.n_kinds + (uint64_t)slot;
    lab.segment_offset = (uint32_t)segment_offset(w, lab.segment);
    memcpy(w->seg, w->audio + lab.segment_offset, w->seg_len * sizeof *w->seg);
    int reason = gate(w, &lab);
    double t = pf_now_s();
    if (reason < 0 && audit(w, &lab))
        return -1;
    double t2 = pf_now_s();
    w->t.audit += t2 - t;
    if (reason < 0 && m->quality.pitch_check == PF_PCHECK_DROP && lab.pitch_check != PF_PITCH_OK)
        reason = PF_REJECT_PITCH;
    if (reason >= 0) {
        pf_shard_count_reject(sw, (pf_reject)reason, 1);
        w->rejected[reason]++;
        return 0;
    }
    augment(w, &lab);
    quantize(w);
    double t3 = pf_now_s();
    w->t.augment += t3 - t2;
    if (pf_spectrogram_compute(w->spec, w->seg, w->seg_len, w->spec_out, &w->err))
        return -1;
    double t4 = pf_now_s();
    w->t.stft += t4 - t3;
    const void *audio = m->store.audio == PF_AUDIO_INT16     ? (const void *)w->seg_i16
                        : m->store.audio == PF_AUDIO_FLOAT32 ? (const void *)w->seg
                                                             : NULL;
    if (pf_shard_append(sw, &lab, w->spec_out, audio, &w->err))
        return -1;
    w->t.write += pf_now_s() - t4;
    w->examples[nj->split]++;
    w->per_kind[lab.segment]++;
    return 0;
}

/* Render and resample one note, then its segments. */
static int process_note(worker *w, const pf_note_job *nj, pf_shard_writer *sw)
{
    const pf_instrument *in = &w->r->plan->instruments[nj->instrument];
    double sec[2] = {0, 0};
    if (pf_note_renderer_run(&w->nr, in, nj->midi, nj->velocity, nj->cents, sec, &w->err))
        return -1;
    w->t.render += sec[0];
    w->t.resample += sec[1];
    double t2 = pf_now_s();
    strip_note(w, nj);
    w->t.augment += pf_now_s() - t2;
    for (int slot = 0; slot < w->r->m->segments.n_kinds; slot++)
        if (process_segment(w, nj, slot, sw))
            return -1;
    return 0;
}

/* ---- progress ---- */

static void progress(run *r, int final)
{
    if (!r->opts->progress)
        return;
    size_t done = atomic_load(&r->notes_done), total = r->pending_notes;
    size_t kept = atomic_load(&r->examples_done), rejected = atomic_load(&r->rejected_done);
    double el = pf_now_s() - r->t0, rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 ? (double)(total - done) / rate : 0;
    fprintf(stderr,
            "\rgenerate: %zu/%zu notes (%.0f%%)  %zu examples, %.0f/s  %zu rejected  ETA %.0fs   ",
            done, total, total ? 100.0 * (double)done / (double)total : 100.0, kept,
            el > 0 ? (double)kept / el : 0, rejected, eta);
    if (final)
        fputc('\n', stderr);
}

/* A worker finished a note: add its examples and rejections since the last note to the run's
 * counts, and redraw the progress line every 64 notes. */
static void note_done(worker *w)
{
    size_t kept = 0, rejected = 0;
    for (int s = 0; s < PF_SPLIT_COUNT; s++)
        kept += w->examples[s];
    for (int k = 0; k < PF_REJECT_COUNT; k++)
        rejected += (size_t)w->rejected[k];
    atomic_fetch_add(&w->r->examples_done, kept - w->kept_seen);
    atomic_fetch_add(&w->r->rejected_done, rejected - w->rejected_seen);
    w->kept_seen = kept, w->rejected_seen = rejected;
    if (atomic_fetch_add(&w->r->notes_done, 1) % 64 == 63) progress(w->r, 0);
}

/* ---- shards ---- */

static int shard_path(const run *r, const pf_shard_job *job, char *buf, size_t size)
{
    char name[64];
    pf_shard_name(job, name, sizeof name);
    return snprintf(buf, size, "%s/%s", r->m->output, name) >= (int)size ? -1 : 0;
}

/* Keep the digest of a shard just committed, for the index. */
static void record_digest(run *r, const pf_shard_digest *d)
{
    pthread_mutex_lock(&r->lock);
    r->digests = pf_reallocarray(r->digests, r->n_digests + 1, sizeof *r->digests);
    r->digests[r->n_digests++] = *d;
    pthread_mutex_unlock(&r->lock);
}

static int process_shard(worker *w, const pf_shard_job *job)
{
    run *r = w->r;
    char path[4096];
    if (shard_path(r, job, path, sizeof path))
        return PF_FAIL(&w->err, PF_EINVAL, "output path too long: %s", r->m->output);
    pf_shard_meta meta = r->meta;
    meta.split = pf_split_names[job->split];
    meta.shard_index = job->index;
    meta.shard_count = job->count;
    pf_shard_writer *sw = pf_shard_create(path, &meta, &w->err);
    if (!sw)
        return -1;
    for (size_t i = 0; i < job->n; i++) {
        if (atomic_load(&r->failed) ||
            process_note(w, &r->plan->notes[r->plan->order[job->first + i]], sw)) {
            pf_shard_abort(sw);
            return -1;
        }
        note_done(w);
    }
    pf_shard_digest d;
    pf_shard_name(job, d.name, sizeof d.name);
    if (pf_shard_commit(sw, d.sha256, &w->err))
        return -1;
    record_digest(r, &d);
    return 0;
}

static void worker_merge(run *r, worker *w)
{
    pthread_mutex_lock(&r->lock);
    pf_generate_report *rep = r->rep;
    for (int i = 0; i < PF_REJECT_COUNT; i++)
        rep->rejected[i] += w->rejected[i];
    for (int i = 0; i < PF_SPLIT_COUNT; i++)
        rep->examples[i] += w->examples[i];
    for (int i = 0; i < 3; i++)
        rep->per_kind[i] += w->per_kind[i];
    rep->stages.render += w->t.render, rep->stages.resample += w->t.resample;
    rep->stages.audit += w->t.audit, rep->stages.augment += w->t.augment;
    rep->stages.stft += w->t.stft, rep->stages.write += w->t.write;
    if (w->err.code && !r->err->code)
        *r->err = w->err;
    pthread_mutex_unlock(&r->lock);
}

/* One worker (part t of nt, pf_parallel_run): shard jobs in turn until none is left. */
static void worker_main(void *arg, int t, int nt)
{
    (void)t, (void)nt;
    run *r = arg;
    worker w;
    int rc = worker_init(&w, r);
    while (!rc) {
        size_t j = atomic_fetch_add(&r->next_job, 1);
        if (j >= r->n_jobs || atomic_load(&r->failed))
            break;
        rc = process_shard(&w, &r->plan->shards[r->jobs[j]]);
    }
    if (rc)
        atomic_store(&r->failed, 1);
    worker_merge(r, &w);
    worker_release(&w);
}

/* Run the shard jobs on opts->jobs threads (the calling thread counts as one). */
static int run_workers(run *r)
{
    pf_parallel_run(r->opts->jobs, worker_main, r);
    return atomic_load(&r->failed) ? -1 : 0;
}

/* ---- output folder ---- */

static int make_dirs(const char *path, pf_error *err)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return PF_FAIL(err, PF_EINVAL, "output path too long");
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p)
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return PF_FAIL(err, PF_EIO, "%s: cannot create folder: %s", buf, strerror(errno));
        if (!(*p = c))
            break;
    }
    if (access(path, W_OK))
        return PF_FAIL(err, PF_EIO, "%s: folder is not writable: %s", path, strerror(errno));
    return 0;
}

/* Index of shard @p name in the plan, or -1 if it is not one of the plan's. */
static long plan_shard(const pf_plan *p, const char *name)
{
    pf_shard_job job;
    if (pf_shard_name_parse(name, &job))
        return -1;
    for (size_t i = 0; i < p->n_shards; i++)
        if (p->shards[i].split == job.split && p->shards[i].index == job.index &&
            p->shards[i].count == job.count)
            return (long)i;
    return -1;
}

/* Remove shard files of another plan, and temp files of this run's shards (a crashed run's),
 * so the index sees only this plan. Other parts' temp files are left alone. */
static void remove_stale(const run *r)
{
    DIR *d = opendir(r->m->output);
    struct dirent *e;
    char path[4096], base[256];
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        int tmp = l > 4 && l < sizeof base && strcmp(e->d_name + l - 4, ".tmp") == 0;
        snprintf(base, sizeof base, "%.*s", (int)(tmp ? l - 4 : l), e->d_name);
        long k = plan_shard(r->plan, base);
        int mine = 0;
        for (size_t j = 0; tmp && k >= 0 && j < r->n_jobs; j++)
            mine |= r->jobs[j] == (size_t)k;
        int shard = pf_shard_name_parse(base, &(pf_shard_job){0}) == 0;
        if ((tmp && mine) || (!tmp && shard && k < 0))
            if (snprintf(path, sizeof path, "%s/%s", r->m->output, e->d_name) < (int)sizeof path)
                unlink(path);
    }
    if (d)
        closedir(d);
}

/* The shards this run makes: its part's, less those --resume finds whole. */
static void select_jobs(run *r)
{
    const pf_generate_opts *o = r->opts;
    char path[4096];
    r->jobs = pf_calloc(r->plan->n_shards + 1, sizeof *r->jobs);
    for (size_t j = 0; j < r->plan->n_shards; j++) {
        if (o->parts > 0 && (int)(j % (size_t)o->parts) != o->part - 1)
            continue;
        if (o->resume && shard_path(r, &r->plan->shards[j], path, sizeof path) == 0 &&
            access(path, F_OK) == 0) {
            pf_error ignored = {0};
            if (pf_shard_check(path, r->m->sha256, &ignored) == 0) {
                r->rep->shards_kept++;
                continue;
            }
        }
        r->jobs[r->n_jobs++] = j;
        r->pending_notes += r->plan->shards[j].n;
    }
}

/* ---- soundfonts and presets ---- */

int pf_preset_lists_load(const pf_manifest *m, pf_preset_list **lists, pf_error *err)
{
    *lists = pf_calloc(m->n_soundfonts, sizeof **lists);
    for (size_t i = 0; i < m->n_soundfonts; i++)
        if (pf_soundfont_presets(m->soundfonts[i].path, &(*lists)[i].presets, &(*lists)[i].n, err)) {
            pf_error_prefix(err, "%s:%d:%d", m->file, m->soundfonts[i].line, m->soundfonts[i].col);
            err->code = PF_ECONFIG;
            return -1;
        }
    return 0;
}

void pf_preset_lists_free(pf_preset_list *lists, size_t n)
{
    for (size_t i = 0; lists && i < n; i++)
        free(lists[i].presets);
    free(lists);
}

size_t pf_example_bytes(const pf_manifest *m)
{
    size_t bins = (size_t)m->spectrogram.nfft / 2 + 1;
    size_t seg = pf_manifest_segment_len(m);
    size_t hop = (size_t)(m->spectrogram.length - m->spectrogram.overlap);
    size_t frames = (seg - (size_t)m->spectrogram.length) / hop + 1;
    size_t planes = m->spectrogram.mode == PF_SPEC_COMPLEX ? 2 : 1;
    size_t audio = m->store.audio == PF_AUDIO_INT16 ? 2 : m->store.audio == PF_AUDIO_FLOAT32 ? 4 : 0;
    return planes * bins * frames * 4 + audio * seg + 96;
}

/* The key audit's findings as the shards store them (attribute audit_keys_off). */
static char *keys_off_text(const pf_generate_report *rep)
{
    size_t cap = 1 + rep->n_excluded_keys * 160, len = 0; /* a line: < 96 + 40 bytes */
    char *t = pf_calloc(cap, 1);
    for (size_t k = 0; k < rep->n_excluded_keys && len < cap; k++) {
        const pf_key_off *ko = &rep->excluded_keys[k];
        char note[8];
        pf_note_name(ko->midi, note, sizeof note);
        len += (size_t)snprintf(t + len, cap - len, "%s\t%s\t%d\t%.2f\n",
                                rep->excluded_key_names[k], note, ko->velocity, ko->cents);
    }
    return t;
}

static void meta_init(run *r)
{
    const pf_manifest *m = r->m;
    pf_shard_meta *mt = &r->meta;
    const char **ids = pf_calloc(m->n_soundfonts, sizeof *ids);
    for (size_t i = 0; i < m->n_soundfonts; i++)
        ids[i] = m->soundfonts[i].id;
    size_t seg = pf_manifest_segment_len(m), hop = (size_t)(m->spectrogram.length - m->spectrogram.overlap);
    *mt = (pf_shard_meta){
        .generator_version = "pitchforge " PF_VERSION, .manifest_text = m->text,
        .manifest_sha256 = m->sha256, .seed = m->seed, .soundfont_ids = ids,
        .soundfont_sha256 = (const char *const *)r->sf_sha, .n_soundfonts = m->n_soundfonts,
        .fluidsynth_version = pf_synth_version(), .libsamplerate_version = pf_resampler_version(),
        .resampler = pf_resampler_name(m->audio.resampler),
        .resampler_version = pf_resampler_kind_version(m->audio.resampler),
        .fftw_version = pf_fft_version(), .sample_rate = m->audio.rate_hz,
        .stft_length = m->spectrogram.length, .stft_overlap = m->spectrogram.overlap,
        .stft_nfft = m->spectrogram.nfft,
        .spectrogram_mode = pf_spec_mode_names[m->spectrogram.mode],
        .spectrogram_scaling = pf_spec_scaling_names[m->spectrogram.scaling],
        .bins = (size_t)m->spectrogram.nfft / 2 + 1,
        .frames = (seg - (size_t)m->spectrogram.length) / hop + 1,
        .planes = m->spectrogram.mode == PF_SPEC_COMPLEX ? 2 : 1, .audio_len = seg,
        .store_audio = m->store.audio, .gzip = m->store.gzip};
    r->keys_off = keys_off_text(r->rep);
    mt->audit_keys_off = r->keys_off;
}

static int hash_soundfonts(run *r, pf_error *err)
{
    r->sf_sha = pf_calloc(r->m->n_soundfonts, sizeof *r->sf_sha);
    for (size_t i = 0; i < r->m->n_soundfonts; i++) {
        r->sf_sha[i] = pf_calloc(65, 1);
        if (pf_sha256_file(r->m->soundfonts[i].path, r->sf_sha[i], err))
            return -1;
    }
    return 0;
}

/* Soundfont hashing on its own thread, overlapping the plan (FluidR3 is 141 MB). */
typedef struct sf_hash {
    run *r;
    pf_error err;
    int rc;
} sf_hash;

static void *hash_main(void *arg)
{
    sf_hash *h = arg;
    h->rc = hash_soundfonts(h->r, &h->err);
    return NULL;
}

static void run_release(run *r)
{
    for (size_t i = 0; r->sf_sha && i < r->m->n_soundfonts; i++)
        free(r->sf_sha[i]);
    free(r->sf_sha);
    free((void *)r->meta.soundfont_ids);
    free(r->jobs);
    free(r->digests);
    free(r->keys_off);
    pthread_mutex_destroy(&r->lock);
}

/* Move the audit's findings into @p rep: the count of presets and each key with its label. */
static void report_audit(const pf_audit *a, const pf_instrument *ins, pf_generate_report *rep)
{
    for (size_t i = 0; i < a->n; i++)
        rep->excluded_presets += a->preset_off[i];
    if (!a->n_keys) return;
    rep->n_excluded_keys = a->n_keys;
    rep->excluded_keys = pf_calloc(a->n_keys, sizeof *rep->excluded_keys);
    rep->excluded_key_names = pf_calloc(a->n_keys, sizeof *rep->excluded_key_names);
    for (size_t k = 0; k < a->n_keys; k++) {
        rep->excluded_keys[k] = a->keys[k];
        snprintf(rep->excluded_key_names[k], sizeof rep->excluded_key_names[k], "%s",
                 ins[a->keys[k].instrument].label);
    }
}

static int build_plan(const pf_manifest *m, int jobs, pf_plan *plan, pf_generate_report *rep,
                      pf_error *err)
{
    pf_preset_list *lists;
    int rc = pf_preset_lists_load(m, &lists, err);
    pf_audit audit = {0};
    if (!rc && (m->quality.pitch_check == PF_PCHECK_DROP_PRESET || m->quality.key_max_cents > 0)) {
        pf_instrument *ins;
        size_t n;
        rc = pf_plan_instruments(m, lists, &ins, &n, err);
        if (!rc) {
            rc = pf_label_audit(m, ins, n, jobs, &audit, err);
            if (!rc && rep) report_audit(&audit, ins, rep);
            free(ins);
        }
    }
    if (!rc) rc = pf_plan_build(m, lists, audit.n ? &audit : NULL, plan, err);
    pf_audit_release(&audit);
    pf_preset_lists_free(lists, m->n_soundfonts);
    return rc;
}

void pf_generate_report_release(pf_generate_report *rep)
{
    if (!rep) return;
    free(rep->excluded_keys);
    free(rep->excluded_key_names);
    rep->excluded_keys = NULL, rep->excluded_key_names = NULL, rep->n_excluded_keys = 0;
}

/* After every shard: dataset.h5, the card, and the totals of the whole dataset. */
static int finish(run *r)
{
    pf_index_report ir;
    pf_card_counts cc;
    if (pf_index_build_with(r->m->output, r->digests, r->n_digests, &ir, r->err) ||
        pf_card_write(r->m->output, r->opts->command, pf_now_s() - r->t0, &cc, r->err))
        return -1;
    memcpy(r->rep->examples, cc.examples, sizeof cc.examples);
    memcpy(r->rep->per_kind, cc.per_kind, sizeof cc.per_kind);
    memcpy(r->rep->rejected, cc.rejected, sizeof cc.rejected);
    return 0;
}

int pf_generate(const pf_manifest *m, const pf_generate_opts *opts, pf_generate_report *rep,
                pf_error *err)
{
    memset(rep, 0, sizeof *rep);
    pf_plan plan = {0};
    run r = {.m = m, .plan = &plan, .opts = opts, .rep = rep, .err = err, .t0 = pf_now_s()};
    pthread_mutex_init(&r.lock, NULL);
    sf_hash h = {.r = &r};
    pthread_t hasher;
    int threaded = pthread_create(&hasher, NULL, hash_main, &h) == 0;
    int rc = build_plan(m, opts->jobs > 0 ? opts->jobs : 1, &plan, rep, err);
    if (!rc)
        rc = make_dirs(m->output, err);
    if (threaded)
        pthread_join(hasher, NULL);
    else
        hash_main(&h);
    if (!rc && h.rc)
        rc = (*err = h.err, -1);
    if (!rc) {
        meta_init(&r);
        select_jobs(&r);
        remove_stale(&r);
        rep->notes = r.pending_notes;
        rep->shards_made = r.n_jobs;
        rc = run_workers(&r);
        progress(&r, 1);
    }
    if (!rc && opts->parts == 0)
        rc = finish(&r);
    rep->seconds = pf_now_s() - r.t0;
    run_release(&r);
    pf_plan_release(&plan);
    return rc;
}
