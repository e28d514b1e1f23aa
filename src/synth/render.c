/*
 * Note rendering through FluidSynth (the only file that includes fluidsynth.h).
 *
 * Determinism: before each note the synth is system-reset (channels, reverb and chorus state
 * cleared), every voice is killed, and the rest of FluidSynth's current 64-frame block is
 * drained, so the note-on lands on a block boundary and the output depends only on the note.
 * The note-off takes effect at the first block boundary at or after hold_frames (up to 63
 * frames late), the same for every render.
 *
 * Pitch: the detune is a per-key MIDI tuning (pitch[key] = 100 * key + cents). FluidSynth turns
 * a voice's pitch into Hz by truncating it to whole cents, so we play round(cents) and add half a
 * cent to the table: truncation then rounds, which keeps whole-cent pitches exact and leaves
 * vibrato (a continuously moving pitch) unbiased. docs/synth-pitch.md follows a voice's pitch
 * through FluidSynth 2.3.1 (key, tuning, pitch wheel, LFOs, envelope) and lists the presets that
 * move their own pitch; pf_note.steady_pitch switches that off.
 */
#include "pitchforge/synth.h"

#include <errno.h>
#include <fluidsynth.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/error.h"

#define PF_FLUID_BLOCK 64    /* FluidSynth's internal block (FLUID_BUFSIZE) */
#define PF_RENDER_CHUNK 4096 /* frames per fluid_synth_process call */
#define PF_CHANNEL 0         /* the MIDI channel every note is played on */
#define PF_TUNING_BANK 0     /* the MIDI tuning program used for the detune */
#define PF_TUNING_PROG 0
#define PF_MAX_VOICES 256    /* synth.polyphony: the most voices a voice list can hold */

struct pf_synth {
    fluid_settings_t *settings;
    fluid_synth_t *synth;
    int *sfont_ids; /* FluidSynth ids, indexed by our slot */
    int n_sfonts;
    size_t frames_out; /* frames written since creation, to find the block boundary */
    double rate_hz;
    int fx; /* reverb or chorus on */
    float scratch[PF_RENDER_CHUNK]; /* where discarded frames go */
};

/* ---- logging: FluidSynth's log goes to a per-thread buffer that errors quote ---- */

static _Thread_local char fluid_last_msg[256];
static pthread_once_t log_once = PTHREAD_ONCE_INIT;

/* Keep FluidSynth's latest error or warning for our messages; print nothing. */
static void pf_fluid_log(int level, const char *message, void *data)
{
    (void)data;
    if (level <= FLUID_WARN && message)
        snprintf(fluid_last_msg, sizeof fluid_last_msg, "%s", message);
}

/* Route every FluidSynth log level to pf_fluid_log (the log function is process-wide). */
static void pf_fluid_log_install(void)
{
    for (int level = 0; level < LAST_LOG_LEVEL; level++)
        fluid_set_log_function(level, pf_fluid_log, NULL);
}

/* Install the log route once and forget the previous message. */
static void pf_fluid_log_begin(void)
{
    pthread_once(&log_once, pf_fluid_log_install);
    fluid_last_msg[0] = '\0';
}

/* FluidSynth's last message, or a generic one. */
static const char *pf_fluid_why(void)
{
    return fluid_last_msg[0] ? fluid_last_msg : "FluidSynth reported a failure";
}

/* ---- soundfont files ---- */

/* Check that @p path is a readable SoundFont: PF_EIO if it cannot be opened, else PF_EINVAL. */
static int pf_soundfont_check(const char *path, pf_error *err)
{
    if (!path)
        return PF_FAIL(err, PF_EINVAL, "soundfont path is NULL");
    FILE *f = fopen(path, "rb");
    if (!f)
        return PF_FAIL(err, PF_EIO, "cannot open soundfont '%s': %s", path, strerror(errno));
    fclose(f);
    if (!fluid_is_soundfont(path))
        return PF_FAIL(err, PF_EINVAL, "'%s' is not a SoundFont (SF2/SF3)", path);
    return 0;
}

/* Settings shared by every synth we make; NULL (with @p err) on failure. */
static fluid_settings_t *pf_settings_new(pf_error *err)
{
    fluid_settings_t *st = new_fluid_settings();
    if (!st) {
        PF_FAIL(err, PF_ELIB, "new_fluid_settings: %s", pf_fluid_why());
        return NULL;
    }
    fluid_settings_setint(st, "synth.lock-memory", 0);
    fluid_settings_setint(st, "synth.cpu-cores", 1);
    fluid_settings_setint(st, "synth.verbose", 0);
    fluid_settings_setint(st, "synth.polyphony", PF_MAX_VOICES);
    fluid_settings_setint(st, "synth.midi-channels", 16);
    fluid_settings_setint(st, "synth.audio-channels", 1);
    fluid_settings_setint(st, "synth.audio-groups", 1);
    return st;
}

/* Order presets by (bank, program). */
static int pf_preset_cmp(const void *a, const void *b)
{
    const pf_preset *x = a, *y = b;
    if (x->bank != y->bank)
        return x->bank < y->bank ? -1 : 1;
    return (x->program > y->program) - (x->program < y->program);
}

/* Copy every preset of @p sf into a new array (sorted), *n its length. */
static pf_preset *pf_presets_collect(fluid_sfont_t *sf, size_t *n)
{
    size_t cap = 64, len = 0;
    pf_preset *v = pf_malloc(cap * sizeof *v);
    fluid_sfont_iteration_start(sf);
    for (fluid_preset_t *p; (p = fluid_sfont_iteration_next(sf));) {
        if (len == cap)
            v = pf_reallocarray(v, cap *= 2, sizeof *v);
        const char *name = fluid_preset_get_name(p);
        v[len].bank = fluid_preset_get_banknum(p);
        v[len].program = fluid_preset_get_num(p);
        snprintf(v[len].name, sizeof v[len].name, "%s", name ? name : "");
        len++;
    }
    qsort(v, len, sizeof *v, pf_preset_cmp);
    *n = len;
    return v;
}

/*
 * Synth creation and soundfont loads, one at a time in the process:
 * - the first new_fluid_synth sets up FluidSynth's global tables and default modulators, and a
 *   second one running meanwhile skips that and copies them half made (FluidSynth 2.3.1): its
 *   notes then sound different (tests/test_render.c's two-thread test: 2 runs in 13);
 * - FluidSynth shares a file's samples between synths through its sample cache, but two loads
 *   running at once both miss it and each keep a copy (FluidR3: 141 MB a worker). One after the
 *   other, the second takes the first one's samples.
 */
static pthread_mutex_t fluid_mutex = PTHREAD_MUTEX_INITIALIZER;

/* new_fluid_synth under fluid_mutex. */
static fluid_synth_t *synth_create(fluid_settings_t *st)
{
    pthread_mutex_lock(&fluid_mutex);
    fluid_synth_t *synth = new_fluid_synth(st);
    pthread_mutex_unlock(&fluid_mutex);
    return synth;
}

int pf_soundfont_presets(const char *path, pf_preset **presets, size_t *n, pf_error *err)
{
    pf_fluid_log_begin();
    if (pf_soundfont_check(path, err) < 0)
        return -1;
    int rc = -1;
    fluid_synth_t *synth = NULL;
    fluid_settings_t *st = pf_settings_new(err);
    if (!st)
        return -1;
    fluid_settings_setint(st, "synth.dynamic-sample-loading", 1); /* names only, no samples */
    synth = synth_create(st);
    if (!synth) {
        PF_FAIL(err, PF_ELIB, "new_fluid_synth: %s", pf_fluid_why());
        goto done;
    }
    int id = fluid_synth_sfload(synth, path, 0);
    fluid_sfont_t *sf = id == FLUID_FAILED ? NULL : fluid_synth_get_sfont_by_id(synth, id);
    if (!sf) {
        PF_FAIL(err, PF_EINVAL, "cannot load soundfont '%s': %s", path, pf_fluid_why());
        goto done;
    }
    *presets = pf_presets_collect(sf, n);
    rc = 0;
done:
    delete_fluid_synth(synth);
    delete_fluid_settings(st);
    return rc;
}

/* ---- synthesizer ---- */

/* Check a config: rate 8..96 kHz (FluidSynth's range), gain 0..10. */
static int pf_synth_config_check(const pf_synth_config *cfg, pf_error *err)
{
    if (!cfg)
        return PF_FAIL(err, PF_EINVAL, "synth: config is NULL");
    if (!(cfg->rate_hz >= 8000 && cfg->rate_hz <= 96000))
        return PF_FAIL(err, PF_EINVAL, "synth: sample rate %g Hz is outside 8000..96000",
                       cfg->rate_hz);
    if (!(cfg->gain >= 0 && cfg->gain <= 10))
        return PF_FAIL(err, PF_EINVAL, "synth: gain %g is outside 0..10", cfg->gain);
    return 0;
}

pf_synth *pf_synth_new(const pf_synth_config *cfg, pf_error *err)
{
    pf_fluid_log_begin();
    if (pf_synth_config_check(cfg, err) < 0)
        return NULL;
    fluid_settings_t *st = pf_settings_new(err);
    if (!st)
        return NULL;
    fluid_settings_setnum(st, "synth.sample-rate", cfg->rate_hz);
    fluid_settings_setnum(st, "synth.gain", cfg->gain);
    fluid_settings_setint(st, "synth.reverb.active", cfg->reverb ? 1 : 0);
    fluid_settings_setint(st, "synth.chorus.active", cfg->chorus ? 1 : 0);
    fluid_synth_t *synth = synth_create(st);
    if (!synth) {
        PF_FAIL(err, PF_ELIB, "new_fluid_synth: %s", pf_fluid_why());
        delete_fluid_settings(st);
        return NULL;
    }
    pf_synth *s = pf_calloc(1, sizeof *s);
    s->settings = st;
    s->synth = synth;
    s->rate_hz = cfg->rate_hz;
    s->fx = cfg->reverb || cfg->chorus;
    return s;
}

int pf_synth_load(pf_synth *s, const char *path, int *sf_slot, pf_error *err)
{
    pf_fluid_log_begin();
    if (pf_soundfont_check(path, err) < 0)
        return -1;
    pthread_mutex_lock(&fluid_mutex);
    int id = fluid_synth_sfload(s->synth, path, 0);
    pthread_mutex_unlock(&fluid_mutex);
    if (id == FLUID_FAILED)
        return PF_FAIL(err, PF_EINVAL, "cannot load soundfont '%s': %s", path, pf_fluid_why());
    s->sfont_ids = pf_reallocarray(s->sfont_ids, (size_t)s->n_sfonts + 1, sizeof *s->sfont_ids);
    s->sfont_ids[s->n_sfonts] = id;
    if (sf_slot)
        *sf_slot = s->n_sfonts;
    s->n_sfonts++;
    return 0;
}

double pf_synth_applied_cents(double cents)
{
    return round(cents);
}

/* Check a note against the synth and the output length. */
static int pf_note_check(const pf_synth *s, const pf_note *note, size_t n, pf_error *err)
{
    if (note->sf_slot < 0 || note->sf_slot >= s->n_sfonts)
        return PF_FAIL(err, PF_EINVAL, "note: soundfont slot %d not loaded (%d loaded)",
                       note->sf_slot, s->n_sfonts);
    if (note->midi < 0 || note->midi > 127)
        return PF_FAIL(err, PF_EINVAL, "note: MIDI key %d is outside 0..127", note->midi);
    if (note->velocity < 1 || note->velocity > 127)
        return PF_FAIL(err, PF_EINVAL, "note: velocity %d is outside 1..127", note->velocity);
    if (note->pitch_cents && (!note->n_pitch_blocks || !n))
        return PF_FAIL(err, PF_EINVAL, "note: a moving pitch needs blocks and an output");
    if (!(note->cents >= -100 && note->cents <= 100))
        return PF_FAIL(err, PF_EINVAL, "note: detune %g cents is outside -100..100", note->cents);
    if (note->hold_frames > (size_t)-1 - note->release_frames ||
        n != note->hold_frames + note->release_frames)
        return PF_FAIL(err, PF_EINVAL, "note: output holds %zu frames, note needs %zu + %zu", n,
                       note->hold_frames, note->release_frames);
    return 0;
}

/*
 * Render @p n frames, mono (L+R)/2, into @p out (NULL discards them). FluidSynth adds the left
 * and then the right channel (and the reverb and chorus, when on) into the same zeroed buffer,
 * which is then halved: without effects the same floats as 0.5f * (L + R) from two buffers (the
 * bench dataset came out byte-identical), without the copies.
 * Returns 0, or -1 with @p err filled.
 */
static int pf_synth_write(pf_synth *s, float *out, size_t n, pf_error *err)
{
    while (n > 0) {
        int len = n < PF_RENDER_CHUNK ? (int)n : PF_RENDER_CHUNK;
        float *buf = out ? out : s->scratch, *mix[2] = {buf, buf};
        memset(buf, 0, (size_t)len * sizeof *buf);
        if (fluid_synth_process(s->synth, len, s->fx ? 2 : 0, mix, 2, mix) != FLUID_OK)
            return PF_FAIL(err, PF_ELIB, "fluid_synth_process: %s", pf_fluid_why());
        for (int i = 0; out && i < len; i++)
            out[i] *= 0.5f;
        if (out)
            out += len;
        n -= (size_t)len;
        s->frames_out += (size_t)len;
    }
    return 0;
}

/*
 * Clear reverb and chorus. system_reset leaves their delay lines ringing (FluidSynth 2.3.1), and
 * setting the sample rate is the one public call that rebuilds them; it is deprecated but kept.
 */
static void pf_synth_fx_clear(pf_synth *s)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    fluid_synth_set_sample_rate(s->synth, (float)s->rate_hz);
#pragma GCC diagnostic pop
}

/* Silence everything, clear effects, and drain the current block so the next note starts fresh. */
static int pf_synth_reset(pf_synth *s, pf_error *err)
{
    /*
     * Order matters: system_reset only releases sounding voices (a piano keeps ringing for its
     * release time), and an all_sounds_off queued before it is undone by the note-off it queues
     * after. Reset first, then kill every voice outright.
     */
    if (fluid_synth_system_reset(s->synth) != FLUID_OK ||
        fluid_synth_all_sounds_off(s->synth, -1) != FLUID_OK)
        return PF_FAIL(err, PF_ELIB, "synth reset: %s", pf_fluid_why());
    if (s->fx)
        pf_synth_fx_clear(s);
    /*
     * Frames left in FluidSynth's current block were computed before the reset: drop them. Then
     * render one silent block so the mixer carries out the kills before the next note-on; else a
     * note-on on the same key releases the killed voice, which brings it back to life.
     */
    size_t rest = (PF_FLUID_BLOCK - s->frames_out % PF_FLUID_BLOCK) % PF_FLUID_BLOCK;
    return pf_synth_write(s, NULL, rest + PF_FLUID_BLOCK, err);
}

/* Select the note's preset on PF_CHANNEL and tune its key by the applied detune. */
static int pf_synth_prepare(pf_synth *s, const pf_note *note, pf_error *err)
{
    int id = s->sfont_ids[note->sf_slot];
    if (fluid_synth_program_select(s->synth, PF_CHANNEL, id, note->bank, note->program) !=
        FLUID_OK)
        return PF_FAIL(err, PF_EINVAL, "soundfont slot %d has no preset bank %d program %d",
                       note->sf_slot, note->bank, note->program);
    double pitch[128];
    for (int k = 0; k < 128; k++)
        pitch[k] = 100.0 * k + 0.5; /* +0.5: FluidSynth's truncation then rounds */
    pitch[note->midi] += pf_synth_applied_cents(note->cents);
    if (fluid_synth_activate_key_tuning(s->synth, PF_TUNING_BANK, PF_TUNING_PROG, "pitchforge",
                                        pitch, 0) != FLUID_OK ||
        fluid_synth_activate_tuning(s->synth, PF_CHANNEL, PF_TUNING_BANK, PF_TUNING_PROG, 0) !=
            FLUID_OK)
        return PF_FAIL(err, PF_ELIB, "MIDI tuning: %s", pf_fluid_why());
    return 0;
}

/*
 * Hold voice @p v at its sustained pitch: fold the modulation envelope's sustained pitch offset
 * (depth x sustain level, FluidSynth's own formula) into the fine tune, then zero the envelope's
 * and both LFOs' pitch depths. The voice has started but not rendered: FluidSynth queues the
 * resulting parameter updates behind the voice's start, so its first block plays them.
 */
static void pf_voice_steady(fluid_voice_t *v)
{
    static const int gens[] = {GEN_VIBLFOTOPITCH, GEN_MODLFOTOPITCH, GEN_MODENVTOPITCH,
                               GEN_FINETUNE};
    float level = 1.0f - 0.001f * fluid_voice_gen_get(v, GEN_MODENVSUSTAIN);
    level = level < 0.0f ? 0.0f : level > 1.0f ? 1.0f : level;
    fluid_voice_gen_incr(v, GEN_FINETUNE, fluid_voice_gen_get(v, GEN_MODENVTOPITCH) * level);
    for (size_t i = 0; i + 1 < sizeof gens / sizeof gens[0]; i++)
        fluid_voice_gen_set(v, gens[i], 0.0f);
    for (size_t i = 0; i < sizeof gens / sizeof gens[0]; i++)
        fluid_voice_update_param(v, gens[i]);
}

/*
 * Apply pf_voice_steady to every sounding voice of key @p key on PF_CHANNEL.
 * FluidSynth hands a voice's parameter updates to the mixer when a public synth call returns
 * (fluid_synth_api_exit flushes its event queue); fluid_voice_update_param is not one, so its
 * updates would wait for the next call, the note-off. The closing fluid_synth_get_pitch_bend
 * is that call: the updates reach the mixer before the note's first block.
 */
static void pf_synth_steady_voices(pf_synth *s, int key)
{
    fluid_voice_t *voices[PF_MAX_VOICES + 1];
    fluid_synth_get_voicelist(s->synth, voices, PF_MAX_VOICES + 1, -1);
    for (int i = 0; i < PF_MAX_VOICES && voices[i]; i++)
        if (fluid_voice_is_on(voices[i]) && fluid_voice_get_channel(voices[i]) == PF_CHANNEL &&
            fluid_voice_get_key(voices[i]) == key)
            pf_voice_steady(voices[i]);
    int bend;
    fluid_synth_get_pitch_bend(s->synth, PF_CHANNEL, &bend); /* flushes the updates */
}

/* Reset, select and tune, then send the note-on: the note starts at the next block boundary. */
static int pf_synth_start(pf_synth *s, const pf_note *note, pf_error *err)
{
    if (pf_synth_reset(s, err) < 0 || pf_synth_prepare(s, note, err) < 0)
        return -1;
    if (fluid_synth_noteon(s->synth, PF_CHANNEL, note->midi, note->velocity) != FLUID_OK)
        return PF_FAIL(err, PF_ELIB, "note-on key %d: %s", note->midi, pf_fluid_why());
    if (note->steady_pitch)
        pf_synth_steady_voices(s, note->midi);
    return 0;
}

/* Block b's pitch offset of a moving note (the last value holds). */
static float pf_note_block_cents(const pf_note *note, size_t b)
{
    return (float)note->pitch_cents[b < note->n_pitch_blocks ? b : note->n_pitch_blocks - 1];
}

/*
 * Render frames [@p from, @p from + @p n) of a note (from its note-on) into @p out, setting the
 * channel's fine tune to each block's offset at the block's first frame, when it changes. The
 * note-on sits on a block boundary (pf_synth_reset), so frame 64 b starts FluidSynth's block b.
 */
static int pf_synth_write_moving(pf_synth *s, const pf_note *note, float *out, size_t from,
                                 size_t n, float *now, pf_error *err)
{
    for (size_t end = from + n; from < end;) {
        size_t b = from / PF_FLUID_BLOCK, stop = (b + 1) * PF_FLUID_BLOCK;
        float c = pf_note_block_cents(note, b);
        while (stop < end && pf_note_block_cents(note, stop / PF_FLUID_BLOCK) == c)
            stop += PF_FLUID_BLOCK; /* one call for a run of blocks at one pitch */
        if (from % PF_FLUID_BLOCK == 0 && c != *now) {
            if (fluid_synth_set_gen(s->synth, PF_CHANNEL, GEN_FINETUNE, c) != FLUID_OK)
                return PF_FAIL(err, PF_ELIB, "pitch %g cents: %s", (double)c, pf_fluid_why());
            *now = c;
        }
        size_t len = (stop < end ? stop : end) - from;
        if (pf_synth_write(s, out, len, err) < 0) return -1;
        out += len, from += len;
    }
    return 0;
}

/* The note's frames from the note-on: held, the note-off, the release; moving or not. */
static int pf_synth_play(pf_synth *s, const pf_note *note, float *out, pf_error *err)
{
    float now = 0; /* the channel's fine tune after the reset */
    size_t h = note->hold_frames, r = note->release_frames;
    if (!note->pitch_cents) {
        if (pf_synth_write(s, out, h, err) < 0) return -1;
    } else if (pf_synth_write_moving(s, note, out, 0, h, &now, err) < 0)
        return -1;
    /* A note-off for a voice that already ended is not an error. */
    fluid_synth_noteoff(s->synth, PF_CHANNEL, note->midi);
    if (!note->pitch_cents) return pf_synth_write(s, out ? out + h : NULL, r, err);
    return pf_synth_write_moving(s, note, out + h, h, r, &now, err);
}

int pf_synth_render(pf_synth *s, const pf_note *note, float *out, size_t n, pf_error *err)
{
    pf_fluid_log_begin();
    if (!s || !note || (n && !out))
        return PF_FAIL(err, PF_EINVAL, "synth render: NULL argument");
    if (pf_note_check(s, note, n, err) < 0)
        return -1;
    /*
     * A killed voice slot remembers its last mixing gains, and the next voice in that slot ramps
     * from them over its first block. Play the note itself for one block first, so the slots it
     * will take hold its own gains whatever was rendered before (a fresh synth does the same).
     */
    if (pf_synth_start(s, note, err) < 0 || pf_synth_write(s, NULL, PF_FLUID_BLOCK, err) < 0 ||
        pf_synth_start(s, note, err) < 0)
        return -1;
    return pf_synth_play(s, note, out, err);
}

void pf_synth_free(pf_synth *s)
{
    if (!s)
        return;
    delete_fluid_synth(s->synth);
    delete_fluid_settings(s->settings);
    free(s->sfont_ids);
    free(s);
}

double pf_synth_rate(const pf_synth *s)
{
    return s->rate_hz;
}

const char *pf_synth_version(void)
{
    return fluid_version_str();
}
