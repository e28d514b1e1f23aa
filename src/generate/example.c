/* generate, one note: render and resample, then each segment through its stages: cut, quality
 * gate, pitch check (YIN on the raw segment), augment, quantize, STFT, append to the shard. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/util.h"
#include "generate/generate_int.h"
#include "pitchforge/augment.h"
#include "pitchforge/example.h"
#include "pitchforge/level.h"
#include "pitchforge/manifest.h"
#include "pitchforge/pitch.h"
#include "pitchforge/plan.h"
#include "pitchforge/rng.h"
#include "pitchforge/shard.h"
#include "pitchforge/spectrogram.h"
#include "pitchforge/yin.h"
#include "synth/note.h"

void pf_worker_release(worker *w)
{
    pf_note_renderer_release(&w->nr);
    pf_spectrogram_free(w->spec);
    pf_yin_free(w->yin);
    pf_yin_free(w->yin_col);
    free(w->f0_frames);
    free(w->a_audio), free(w->part_a), free(w->part_b), free(w->f0_a), free(w->f0_b);
    free(w->a_blocks);
    free(w->stripped);
    free(w->seg);
    free(w->spec_out);
    free(w->seg_i16);
}

int pf_worker_init(worker *w, run *r)
{
    const pf_manifest *m = r->m;
    memset(w, 0, sizeof *w);
    w->r = r;
    if (pf_note_renderer_init(&w->nr, m, &w->err)) return -1;
    w->seg_len = pf_manifest_segment_len(m);
    w->spec = pf_spectrogram_new(&m->spectrogram, w->seg_len, &w->err);
    w->yin = w->spec ? pf_yin_new(w->seg_len, m->audio.rate_hz, PF_AUDIT_FMIN_HZ, PF_AUDIT_FMAX_HZ,
                                  &w->err)
                     : NULL;
    if (!w->yin) return -1;
    w->audio_len = w->nr.audio_len;
    w->audio = w->nr.audio;
    w->stripped = pf_calloc(w->audio_len, sizeof *w->stripped);
    w->seg = pf_calloc(w->seg_len, sizeof *w->seg);
    w->seg_i16 = pf_calloc(w->seg_len, sizeof *w->seg_i16);
    w->spec_out = pf_calloc(pf_spectrogram_size(w->spec), sizeof *w->spec_out);
    size_t bins;
    pf_spec_shape(&m->spectrogram, w->seg_len, &bins, &w->frames);
    w->f0_frames = pf_calloc(w->frames, sizeof *w->f0_frames);
    w->f0_a = pf_calloc(w->frames, sizeof *w->f0_a);
    w->f0_b = pf_calloc(w->frames, sizeof *w->f0_b);
    w->a_audio = pf_calloc(w->audio_len, sizeof *w->a_audio);
    w->part_a = pf_calloc(w->seg_len, sizeof *w->part_a);
    w->part_b = pf_calloc(w->seg_len, sizeof *w->part_b);
    w->a_blocks = pf_calloc(w->nr.n_blocks, sizeof *w->a_blocks);
    w->col_len = (size_t)llround(PF_COLUMN_AUDIT_S * m->audio.rate_hz);
    w->col_len = w->col_len < w->seg_len ? w->col_len : w->seg_len;
    if (!pf_manifest_expressive(m)) return 0;
    w->yin_col = pf_yin_new(w->col_len, m->audio.rate_hz, PF_AUDIT_FMIN_HZ, PF_AUDIT_FMAX_HZ,
                            &w->err);
    if (!w->yin_col) return -1;
    return 0;
}

/* First sample of segment @p kind in the 16 kHz note (attack at 0, sustain centred in the
 * held part, decay at note-off). */
static long segment_offset(const worker *w, int kind, uint64_t example_id, long *b_at, int *step)
{
    const pf_manifest *m = w->r->m;
    double rate = m->audio.rate_hz, held = m->render.note_s * rate, seg = (double)w->seg_len;
    pf_rng r;
    pf_rng_init(&r, m->seed, PF_STREAM_SEGMENT, example_id);
    double u = pf_rng_uniform(&r), gap = (0.02 + 0.13 * pf_rng_uniform(&r)) * rate;
    *step = (int)pf_rng_below(&r, 15) - 7; /* the gap's second note: within a fifth */
    *b_at = 0;
    if (kind == PF_SEG_ONSET) /* the note-on 20 ms .. (length - 50 ms) into the window */
        return -llround(0.02 * rate + u * (seg - 0.07 * rate));
    if (kind == PF_SEG_RELEASE) /* the note-off 50 ms from either end */
        return llround(held - (0.05 * rate + u * (seg - 0.1 * rate)));
    if (kind == PF_SEG_GAP) { /* the note-off, the gap, the next note-on 50 ms before the end */
        double off = 0.05 * rate + u * (seg - gap - 0.1 * rate);
        *b_at = llround(off + gap);
        return llround(held - off);
    }
    size_t at = kind == PF_SEG_ATTACK    ? 0
                : kind == PF_SEG_SUSTAIN ? (size_t)llround(held / 2 - seg / 2)
                                         : (size_t)llround(held);
    return (long)(at + w->seg_len > w->audio_len ? w->audio_len - w->seg_len : at);
}

/* w->seg = @p src (the note at the audio rate, from its note-on) from @p off on, 0 outside it. */
static void cut(worker *w, const float *src, long off)
{
    for (size_t i = 0; i < w->seg_len; i++) {
        long j = off + (long)i;
        w->seg[i] = j >= 0 && j < (long)w->audio_len ? src[j] : 0.0f;
    }
}

/* ---- per-example stages ---- */

/* Quality gate on the raw segment: returns a pf_reject reason or -1 when it passes. */
static int gate(const worker *w, pf_label *lab)
{
    double peak = pf_peak_abs(w->seg, w->seg_len);
    if (isnan(peak)) return PF_REJECT_NONFINITE;
    lab->rms_dbfs = (float)pf_rms_dbfs(w->seg, w->seg_len);
    if (peak >= w->r->m->segments.clip_level) return PF_REJECT_CLIPPED;
    if (lab->source != PF_SOURCE_NOTE) return -1; /* a negative may be as quiet as it likes */
    if (!(lab->rms_dbfs >= w->r->m->segments.min_rms_dbfs)) return PF_REJECT_SILENT;
    return -1;
}

/* Classify a measured f0 against the label: ok, an octave (+-1, +-2) off, or off. */
static int classify_pitch(double err_cents, double tol)
{
    if (fabs(err_cents) <= tol) return PF_PITCH_OK;
    for (int k = -2; k <= 2; k++)
        if (k && fabs(err_cents - 1200.0 * k) <= tol) return PF_PITCH_OCTAVE;
    return PF_PITCH_OFF;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The audit of a moving note, column by column: YIN on PF_COLUMN_AUDIT_S around every
 * PF_COLUMN_AUDIT_EVERY-th voiced column against that column's label; the segment's error is
 * the median of theirs, its measured f0 the estimate nearest its middle. */
static int audit_columns(worker *w, pf_label *lab)
{
    float errs[256];
    size_t n = 0, hop = (size_t)(w->r->m->spectrogram.length - w->r->m->spectrogram.overlap);
    lab->pitch_check = PF_PITCH_UNVOICED;
    for (size_t k = 0; k < w->frames && n < 256; k += PF_COLUMN_AUDIT_EVERY) {
        if (!(w->f0_frames[k] > 0)) continue;
        size_t c = k * hop + (size_t)w->r->m->spectrogram.length / 2;
        size_t at = c > w->col_len / 2 ? c - w->col_len / 2 : 0;
        at = at + w->col_len > w->seg_len ? w->seg_len - w->col_len : at;
        double f0;
        if (pf_yin_estimate(w->yin_col, w->seg + at, w->col_len, &f0, NULL, &w->err)) return -1;
        if (f0 <= 0) continue;
        errs[n++] = (float)pf_cents(f0, w->f0_frames[k]);
        if (k <= w->frames / 2 || !(lab->measured_f0_hz > 0)) lab->measured_f0_hz = (float)f0;
    }
    if (!n) return 0;
    qsort(errs, n, sizeof *errs, cmp_float);
    lab->pitch_error_cents = errs[n / 2];
    lab->pitch_check = (uint8_t)classify_pitch(errs[n / 2], w->r->m->quality.max_cents);
    return 0;
}

/* The audit of a negative: it passes (ok) when YIN finds no pitch in the raw segment, and is
 * `off` with the pitch YIN found otherwise. */
static int audit_negative(worker *w, pf_label *lab)
{
    double f0;
    if (pf_yin_estimate(w->yin, w->seg, w->seg_len, &f0, NULL, &w->err)) return -1;
    lab->measured_f0_hz = (float)f0;
    lab->pitch_check = f0 > 0 ? PF_PITCH_OFF : PF_PITCH_OK;
    return 0;
}

/* Label audit: independent YIN estimate on the raw segment. */
static int audit(worker *w, pf_label *lab)
{
    lab->measured_f0_hz = 0;
    lab->pitch_error_cents = NAN;
    lab->pitch_check = PF_PITCH_SKIPPED;
    if (w->r->m->quality.pitch_check == PF_PCHECK_OFF) return 0;
    if (lab->source == PF_SOURCE_NOTE && (w->nr.moving || lab->segment == PF_SEG_GAP))
        return audit_columns(w, lab);
    if (lab->source != PF_SOURCE_NOTE) return audit_negative(w, lab);
    double f0, ap;
    if (pf_yin_estimate(w->yin, w->seg, w->seg_len, &f0, &ap, &w->err)) return -1;
    lab->measured_f0_hz = (float)f0;
    if (f0 <= 0) {
        lab->pitch_check = PF_PITCH_UNVOICED;
        return 0;
    }
    lab->pitch_error_cents = (float)(pf_cents(f0, lab->f0_hz));
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
    w->strip = nj->source == PF_SOURCE_NOTE && pf_rng_uniform(&rng) < m->augment.strip_fundamental;
    if (!w->strip) return;
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
    lab->strip_fundamental = (uint8_t)(w->strip && lab->segment != PF_SEG_GAP);
    if (w->strip && lab->segment != PF_SEG_GAP) cut(w, w->stripped, lab->segment_offset);
    lab->noise_snr_db = NAN;
    if (m->augment.noise && u_noise < m->augment.noise_p) {
        lab->noise_snr_db = (float)snr;
        pf_noise_add(w->seg, w->seg_len, m->augment.noise_kind, snr, &rng);
    }
    if (m->audio.normalize == PF_NORM_PEAK) pf_peak_normalize(w->seg, w->seg_len, 1.0);
    lab->volume = (float)vol;
    for (size_t i = 0; i < w->seg_len; i++)
        w->seg[i] *= (float)vol;
}

/* Quantize to the stored int16 form and back, so the spectrogram is of exactly /audio:
 * q = round(x * 32768) clamped to [-32768, 32767], x = q / 32768 (libsndfile's, soundfile's and
 * torchaudio's convention; PF_AUDIO_INT16_SCALE). */
static void quantize(worker *w)
{
    const float scale = (float)PF_AUDIO_INT16_SCALE;
    if (w->r->m->store.audio != PF_AUDIO_INT16) return;
    for (size_t i = 0; i < w->seg_len; i++) {
        long q = lrintf(w->seg[i] * scale);
        q = q > 32767 ? 32767 : q < -32768 ? -32768 : q;
        w->seg_i16[i] = (int16_t)q;
        w->seg[i] = (float)q / scale;
    }
}

/* The labels of a negative: no pitch (f0 0, midi, octave and pitch class -1); a drum kit's
 * preset and velocity for percussion, "negative/KIND" as the instrument for the others. */
static void fill_negative_labels(const worker *w, const pf_note_job *nj, pf_label *lab)
{
    static const char *const names[PF_SOURCE_COUNT] = {
        "", "negative/silence", "negative/near_silence", "negative/white", "negative/pink",
        "negative/brown", ""};
    *lab = (pf_label){.midi = -1, .octave = -1, .pitch_class = -1, .source = nj->source,
                      .instrument = names[nj->source]};
    if (nj->source != PF_SOURCE_PERCUSSION) return;
    const pf_instrument *in = &w->r->plan->instruments[nj->instrument];
    lab->velocity = nj->velocity, lab->program = (uint8_t)in->program;
    lab->bank = (uint16_t)in->bank, lab->soundfont = (uint8_t)in->soundfont;
    lab->instrument = in->label;
}

static void fill_note_labels(const worker *w, const pf_note_job *nj, pf_label *lab)
{
    if (nj->source != PF_SOURCE_NOTE) {
        fill_negative_labels(w, nj, lab);
        return;
    }
    const pf_instrument *in = &w->r->plan->instruments[nj->instrument];
    *lab = (pf_label){.f0_hz = pf_midi_to_hz(nj->midi, nj->cents),
                      .midi = nj->midi,
                      .cents = nj->cents,
                      .octave = (int8_t)(nj->midi / 12 - 1),
                      .pitch_class = (int8_t)(nj->midi % 12),
                      .velocity = nj->velocity,
                      .program = (uint8_t)in->program,
                      .bank = (uint16_t)in->bank,
                      .soundfont = (uint8_t)in->soundfont,
                      .instrument = in->label};
}

/* The current segment's column labels into w->f0_frames: the pitch played at each column
 * (docs/expression.md), 0 where the clean segment is quiet (PF_VOICED_BELOW_PEAK_DB). */
static void column_labels(worker *w, const pf_note_job *nj, long seg_offset)
{
    const pf_manifest *m = w->r->m;
    pf_column_pitch p = {.spec = &m->spectrogram, .synth_rate_hz = m->render.rate_hz,
                         .midi = nj->midi, .cents = nj->cents,
                         .blocks = w->nr.moving ? w->nr.blocks : NULL, .n_blocks = w->nr.n_blocks};
    if (nj->source != PF_SOURCE_NOTE) {
        memset(w->f0_frames, 0, w->frames * sizeof *w->f0_frames);
        return;
    }
    pf_column_f0(&p, seg_offset, w->f0_frames, w->frames);
    pf_column_voicing(&m->spectrogram, w->seg, w->seg_len, w->peak_dbfs, w->f0_frames, w->frames);
}

/* The second note of the current note's gap window, once per note: the note's own audio, its
 * expression's blocks and loudest window kept aside (w->a_*), then key midi + @p step (within
 * the instrument's range; the note's own key again when that one was left out by the key
 * audit) rendered still at the same velocity into w->audio. */
static int second_note(worker *w, const pf_note_job *nj, int step)
{
    const pf_instrument *in = &w->r->plan->instruments[nj->instrument];
    int key = nj->midi + step;
    key = key < in->range_lo ? in->range_lo : key > in->range_hi ? in->range_hi : key;
    if (in->excluded_keys[key / 64] >> (key % 64) & 1) key = nj->midi;
    memcpy(w->a_audio, w->audio, w->audio_len * sizeof *w->audio);
    w->a_moving = w->nr.moving, w->a_peak = w->peak_dbfs, w->b_key = key;
    if (w->nr.moving) memcpy(w->a_blocks, w->nr.blocks, w->nr.n_blocks * sizeof *w->a_blocks);
    pf_note_renderer_express(&w->nr, NULL);
    double sec[2] = {0, 0};
    if (pf_note_renderer_run(&w->nr, in, key, nj->velocity, 0, sec, &w->err)) return -1;
    w->t.render += sec[0], w->t.resample += sec[1];
    w->b_peak = pf_frame_peak_dbfs(&w->r->m->spectrogram, w->audio, w->audio_len);
    w->b_ready = 1;
    return 0;
}

/* Column k's label in a gap window: the pitch of whichever note is voiced there (each by its
 * own note's loudest window), the louder one where both are. */
static void gap_labels(worker *w, const float *fa, const float *fb)
{
    const pf_spec_config *sp = &w->r->m->spectrogram;
    for (size_t k = 0, m = pf_column_count(sp, w->seg_len); k < w->frames && k < m; k++) {
        double la = pf_column_dbfs(sp, w->part_a, k), lb = pf_column_dbfs(sp, w->part_b, k);
        int va = pf_column_voiced(la, w->a_peak), vb = pf_column_voiced(lb, w->b_peak);
        w->f0_frames[k] = va && vb ? (la >= lb ? fa[k] : fb[k]) : va ? fa[k] : vb ? fb[k] : 0.0f;
    }
}

/* x[i] *= a raised-cosine fade from 1 at @p at to 0 at at + @p len, and 0 after it. */
static void fade_out(float *x, size_t n, long at, long len)
{
    for (long i = at < 0 ? 0 : at; i < (long)n; i++)
        x[i] *= i >= at + len ? 0.0f : (float)(0.5 + 0.5 * cos(M_PI * (double)(i - at) / (double)len));
}

/* A gap window (PF_SEG_GAP) into w->seg and w->f0_frames: the note from @p off (its note-off
 * inside, its release cut short by a PF_GAP_FADE_S fade from there), silence, and the second
 * note from its note-on at @p b_at samples into the window. */
static int gap_segment(worker *w, const pf_note_job *nj, long off, long b_at, int step)
{
    const pf_manifest *m = w->r->m;
    if (!w->b_ready && second_note(w, nj, step)) return -1;
    cut(w, w->a_audio, off);
    memcpy(w->part_a, w->seg, w->seg_len * sizeof *w->seg);
    fade_out(w->part_a, w->seg_len, llround(m->render.note_s * m->audio.rate_hz) - off,
             (long)llround(PF_GAP_FADE_S * m->audio.rate_hz));
    cut(w, w->audio, -b_at);
    memcpy(w->part_b, w->seg, w->seg_len * sizeof *w->seg);
    for (size_t i = 0; i < w->seg_len; i++)
        w->seg[i] = w->part_a[i] + w->part_b[i];
    pf_column_pitch a = {.spec = &m->spectrogram, .synth_rate_hz = m->render.rate_hz,
                         .midi = nj->midi, .cents = nj->cents,
                         .blocks = w->a_moving ? w->a_blocks : NULL, .n_blocks = w->nr.n_blocks};
    pf_column_pitch b = a;
    b.midi = w->b_key, b.cents = 0, b.blocks = NULL;
    pf_column_f0(&a, off, w->f0_a, w->frames);
    pf_column_f0(&b, -b_at, w->f0_b, w->frames);
    gap_labels(w, w->f0_a, w->f0_b);
    return 0;
}

/* One segment of a rendered note: gate, audit, augment, quantize, STFT, append. */
static int process_segment(worker *w, const pf_note_job *nj, int slot, pf_shard_writer *sw)
{
    const pf_manifest *m = w->r->m;
    pf_label lab;
    fill_note_labels(w, nj, &lab);
    lab.segment = (uint8_t)m->segments.kind[slot];
    lab.example_id = nj->note_id * (uint64_t)m->segments.n_kinds + (uint64_t)slot;
    long b_at;
    int step;
    long off = segment_offset(w, lab.segment, lab.example_id, &b_at, &step);
    lab.segment_offset = (int32_t)off;
    if (lab.segment == PF_SEG_GAP && nj->source == PF_SOURCE_NOTE) { /* a negative: one window */
        if (gap_segment(w, nj, off, b_at, step)) return -1;
    } else {
        cut(w, w->audio, off);
        column_labels(w, nj, off);
    }
    lab.f0_frames = w->f0_frames;
    int reason = gate(w, &lab);
    double t = pf_now_s();
    if (reason < 0 && audit(w, &lab)) return -1;
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
    if (pf_spectrogram_compute(w->spec, w->seg, w->seg_len, w->spec_out, &w->err)) return -1;
    double t4 = pf_now_s();
    w->t.stft += t4 - t3;
    const void *audio = m->store.audio == PF_AUDIO_INT16     ? (const void *)w->seg_i16
                        : m->store.audio == PF_AUDIO_FLOAT32 ? (const void *)w->seg
                                                             : NULL;
    if (pf_shard_append(sw, &lab, w->spec_out, audio, &w->err)) return -1;
    w->t.write += pf_now_s() - t4;
    w->examples[nj->split]++;
    w->per_kind[lab.segment]++;
    return 0;
}

/* A negative without a synth: the whole "note" as silence or noise at a level drawn from
 * (seed, PF_STREAM_NEGATIVE_AUDIO, note_id). */
static void negative_audio(worker *w, const pf_note_job *nj)
{
    const pf_manifest *m = w->r->m;
    static const pf_noise_kind kind[PF_SOURCE_COUNT] = {
        [PF_SOURCE_NEAR_SILENCE] = PF_NOISE_WHITE, [PF_SOURCE_WHITE] = PF_NOISE_WHITE,
        [PF_SOURCE_PINK] = PF_NOISE_PINK, [PF_SOURCE_BROWN] = PF_NOISE_BROWN};
    pf_rng r;
    pf_rng_init(&r, m->seed, PF_STREAM_NEGATIVE_AUDIO, nj->note_id);
    double near = pf_rng_range(&r, m->negatives.near_lo, m->negatives.near_hi);
    double level = pf_rng_range(&r, m->negatives.level_lo, m->negatives.level_hi);
    if (nj->source == PF_SOURCE_SILENCE)
        memset(w->audio, 0, w->audio_len * sizeof *w->audio);
    else
        pf_noise_fill(w->audio, w->audio_len, kind[nj->source],
                      nj->source == PF_SOURCE_NEAR_SILENCE ? near : level, &r);
}

/* Render and resample the note (a drum key for percussion), or make a negative's noise. */
static int make_audio(worker *w, const pf_note_job *nj, double sec[2])
{
    if (nj->source != PF_SOURCE_NOTE && nj->source != PF_SOURCE_PERCUSSION) {
        pf_note_renderer_express(&w->nr, NULL);
        negative_audio(w, nj);
        return 0;
    }
    const pf_instrument *in = &w->r->plan->instruments[nj->instrument];
    pf_expression e;
    pf_plan_expression(w->r->m, nj->note_id, &e);
    pf_note_renderer_express(&w->nr, nj->source == PF_SOURCE_NOTE ? &e : NULL);
    return pf_note_renderer_run(&w->nr, in, nj->midi, nj->velocity, nj->cents, sec, &w->err);
}

int pf_worker_note(worker *w, const pf_note_job *nj, pf_shard_writer *sw)
{
    double sec[2] = {0, 0};
    if (make_audio(w, nj, sec)) return -1;
    w->t.render += sec[0];
    w->t.resample += sec[1];
    double t2 = pf_now_s();
    w->peak_dbfs = pf_frame_peak_dbfs(&w->r->m->spectrogram, w->audio, w->audio_len);
    strip_note(w, nj);
    w->t.augment += pf_now_s() - t2;
    /* a gap window renders a second note into w->audio: the other windows come first */
    const pf_manifest *m = w->r->m;
    w->b_ready = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int slot = 0; slot < m->segments.n_kinds; slot++)
            if ((m->segments.kind[slot] == PF_SEG_GAP) == pass &&
                process_segment(w, nj, slot, sw))
                return -1;
    return 0;
}
