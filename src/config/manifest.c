/* Manifest: YAML -> pf_manifest with DESIGN §3 defaults; every error names FILE:LINE:COL. */
#include "pitchforge/manifest.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/mem.h"
#include "core/schema.h"
#include "core/yaml.h"
#include "pitchforge/augment.h"
#include "pitchforge/checksum.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"
#include "pitchforge/pitch.h"
#include "pitchforge/resample.h"
#include "pitchforge/shard.h"
#include "pitchforge/spectrogram.h"

const char *const pf_split_by_names[] = {"instrument", "random", "soundfont", "octave", NULL};
const char *const pf_pitch_policy_names[] = {"flag", "drop", "drop-preset", "off", NULL};
const char *const pf_spec_mode_names[] = {"magnitude", "psd", "complex", "log-magnitude", NULL};
const char *const pf_spec_scaling_names[] = {"density", "spectrum", NULL};
static const char *const segment_kind_names[] = {"attack", "sustain", "decay", "onset",
                                                 "release", "gap",    NULL};
static const char *const store_audio_names[] = {"none", "int16", "float32", NULL};
static const char *const normalize_names[] = {"peak", "none", NULL};
static const char *const noise_kind_names[] = {"white", "pink", "brown", NULL};
static const char *const compression_names[] = {"none", "gzip", NULL};
static const char *const resampler_names[] = {"sinc_best", "sinc_medium", "sinc_fastest", "linear",
                                              "soxr_lq",   "soxr_mq",     "soxr_hq",      "soxr_vhq",
                                              NULL};

/* The manifest being filled, for readers of one entry that look at others. */
#define MAN(x) ((const pf_manifest *)(x)->root)

/* ---- notes ---- */

static int get_note(pf_schema_ctx *x, const pf_ynode *n, int *out)
{
    long v;
    if (n->type == PF_Y_SCALAR && !isdigit((unsigned char)n->value[0])) {
        if ((*out = pf_note_parse(n->value)) < 0)
            return pf_yfail(x->err, x->d, n, "'%s' is not a note name (like C4 or F#2)", n->value);
        return 0;
    }
    if (pf_yget_int(x->d, n, 0, 127, &v, x->err))
        return -1;
    *out = (int)v;
    return 0;
}

/* ---- soundfonts ---- */

/* Resolve a soundfont path: as given, beside the manifest, then Debian's soundfont folders. */
static char *resolve_soundfont(const char *manifest_file, const char *path)
{
    char buf[4096];
    if (access(path, R_OK) == 0)
        return pf_strdup(path);
    if (path[0] == '/')
        return NULL;
    const char *slash = strrchr(manifest_file, '/');
    if (slash) {
        snprintf(buf, sizeof buf, "%.*s/%s", (int)(slash - manifest_file), manifest_file, path);
        if (access(buf, R_OK) == 0)
            return pf_strdup(buf);
    }
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    static const char *const dirs[] = {"/usr/share/sounds/sf2", "/usr/share/sounds/sf3",
                                       "/usr/share/soundfonts"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        pf_path_join(buf, sizeof buf, dirs[i], base);
        if (access(buf, R_OK) == 0)
            return pf_strdup(buf);
    }
    return NULL;
}

/* soundfonts[].path: read after id; both must be there, and the file must be found. */
static int read_sf_path(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                        void *base)
{
    pf_soundfont_ref *sf = base;
    const char *path = NULL;
    if (n && pf_yget_string(x->d, n, &path, x->err))
        return -1;
    if (n && !*path)
        return pf_yfail(x->err, x->d, n, "'%s' must not be empty", k->key);
    if (!sf->id || !path)
        return pf_yfail(x->err, x->d, map, "a soundfont needs both 'id' and 'path'");
    sf->path = resolve_soundfont(MAN(x)->file, path);
    if (!sf->path)
        return pf_yfail(x->err, x->d, n,
                        "soundfont '%s' not found (run 'make deps' to install the GM soundfonts)",
                        path);
    return 0;
}

/* A key that must be there and be a non-empty list; -1 with the error filled when not. */
static int required_list(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map)
{
    if (!n) return pf_yfail(x->err, x->d, map, "missing key '%s'", k->key);
    if (n->type != PF_Y_SEQ || n->n == 0)
        return pf_yfail(x->err, x->d, n, "'%s' must be a non-empty list", k->key);
    return 0;
}

static int read_soundfonts(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n,
                           const pf_ynode *map, void *base)
{
    pf_manifest *m = base;
    if (required_list(x, k, n, map)) return -1;
    if (n->n > 255)
        return pf_yfail(x->err, x->d, n, "at most 255 soundfonts");
    m->soundfonts = pf_calloc(n->n, sizeof *m->soundfonts);
    for (size_t i = 0; i < n->n; i++) {
        pf_soundfont_ref *sf = &m->soundfonts[i];
        m->n_soundfonts = i + 1;
        sf->line = n->items[i]->line;
        sf->col = n->items[i]->col;
        if (pf_schema_read(x, k->sub, n->items[i], sf))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(m->soundfonts[j].id, sf->id) == 0)
                return pf_yfail(x->err, x->d, n->items[i], "soundfont id '%s' is used twice",
                                sf->id);
    }
    return 0;
}

/* ---- instruments ---- */

static int read_instr_soundfont(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n,
                                const pf_ynode *map, void *base)
{
    const pf_manifest *m = MAN(x);
    pf_instrument_spec *in = base;
    const char *id;
    (void)k, (void)map;
    if (!n)
        return 0;
    if (pf_yget_string(x->d, n, &id, x->err))
        return -1;
    for (size_t i = 0; i < m->n_soundfonts; i++)
        if (strcmp(m->soundfonts[i].id, id) == 0)
            return in->soundfont = (int)i, 0;
    return pf_yfail(x->err, x->d, n, "no soundfont with id '%s' in 'soundfonts'", id);
}

static int read_program(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                        void *base)
{
    pf_instrument_spec *in = base;
    long v;
    (void)map;
    if (n->type == PF_Y_SCALAR && strcmp(n->value, "all-melodic") == 0)
        return in->program = -1, 0;
    if (n->type == PF_Y_SCALAR && !isdigit((unsigned char)n->value[0]))
        return pf_yfail(x->err, x->d, n, "program must be 0..127 or all-melodic, found '%s'",
                        n->value);
    if (pf_yget_int(x->d, n, (long)k->min, (long)k->max, &v, x->err))
        return -1;
    in->program = (int)v;
    return 0;
}

/* An instrument needs its program, and its soundfont unless only one is listed. */
static int check_instrument(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n,
                            const pf_ynode *map, void *base)
{
    (void)k, (void)n, (void)base;
    if (!pf_ymap_get(map, "soundfont") && MAN(x)->n_soundfonts != 1)
        return pf_yfail(x->err, x->d, map, "instrument needs 'soundfont' (several are listed)");
    if (!pf_ymap_get(map, "program"))
        return pf_yfail(x->err, x->d, map, "instrument needs 'program'");
    return 0;
}

static int read_instr_range(pf_schema_ctx *x, const pf_key *k, const pf_ynode *r,
                            const pf_ynode *map, void *base)
{
    pf_instrument_spec *in = base;
    (void)k, (void)map;
    if (!r)
        return 0;
    if (r->type != PF_Y_SEQ || r->n != 2)
        return pf_yfail(x->err, x->d, r, "range must be [low note, high note]");
    if (get_note(x, r->items[0], &in->range_lo) || get_note(x, r->items[1], &in->range_hi))
        return -1;
    if (in->range_lo > in->range_hi)
        return pf_yfail(x->err, x->d, r, "range has its low note above its high note");
    return 0;
}

static int read_instruments(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n,
                            const pf_ynode *map, void *base)
{
    pf_manifest *m = base;
    if (required_list(x, k, n, map)) return -1;
    m->instruments = pf_calloc(n->n, sizeof *m->instruments);
    m->n_instruments = n->n;
    for (size_t i = 0; i < n->n; i++) {
        const pf_ynode *e = n->items[i];
        m->instruments[i] = (pf_instrument_spec){.range_hi = 127, .line = e->line, .col = e->col};
        if (pf_schema_read(x, k->sub, e, &m->instruments[i]))
            return -1;
    }
    return 0;
}

/* ---- notes ---- */

static int read_octaves(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                        void *base)
{
    pf_manifest *m = base;
    double r[2];
    (void)map;
    if (!n)
        return 0;
    if (pf_yget_range(x->d, n, k->min, k->max, r, x->err))
        return -1;
    if (r[0] != floor(r[0]) || r[1] != floor(r[1]))
        return pf_yfail(x->err, x->d, n, "octaves must be whole numbers");
    m->notes.octave_lo = (int)r[0];
    m->notes.octave_hi = (int)r[1];
    return 0;
}

static int read_pitch_classes(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n,
                              const pf_ynode *map, void *base)
{
    pf_manifest *m = base;
    int *pcs = m->notes.pitch_class, seen[12] = {0};
    (void)k, (void)map;
    if (!n || (n->type == PF_Y_SCALAR && strcmp(n->value, "all") == 0))
        return 0;
    if (n->type != PF_Y_SEQ || n->n == 0 || n->n > 12)
        return pf_yfail(x->err, x->d, n, "pitch_classes must be 'all' or a list of 1-12 names");
    for (size_t i = 0; i < n->n; i++) {
        const pf_ynode *e = n->items[i];
        int pc = -1;
        for (int j = 0; j < 12 && e->type == PF_Y_SCALAR; j++)
            if (strcmp(e->value, pf_pitch_class_names[j]) == 0)
                pc = j;
        long v;
        if (pc < 0 && pf_yget_int(x->d, e, 0, 11, &v, x->err))
            return pf_yfail(x->err, x->d, e, "'%s' is not a pitch class (C, C#, ... B or 0-11)",
                            e->type == PF_Y_SCALAR ? e->value : "?");
        pc = pc < 0 ? (int)v : pc;
        if (seen[pc]++)
            return pf_yfail(x->err, x->d, e, "pitch class %s is listed twice", pf_pitch_class_names[pc]);
        pcs[i] = pc;
    }
    m->notes.n_pitch_classes = (int)n->n;
    return 0;
}

static int read_velocities(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n,
                           const pf_ynode *map, void *base)
{
    pf_manifest *m = base;
    (void)map;
    if (!n)
        return 0;
    if (n->type != PF_Y_SEQ || n->n == 0 || n->n > 16)
        return pf_yfail(x->err, x->d, n, "velocities must be a list of 1 to 16 values");
    for (size_t i = 0; i < n->n; i++) {
        long v;
        if (pf_yget_int(x->d, n->items[i], (long)k->min, (long)k->max, &v, x->err))
            return -1;
        m->notes.velocity[i] = (int)v;
    }
    m->notes.n_velocities = (int)n->n;
    return 0;
}

/* ---- segments, augment, spectrogram, store, split ---- */

static int read_kinds(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                      void *base)
{
    pf_manifest *m = base;
    int seen[PF_SEG_COUNT] = {0};
    (void)map;
    if (!n)
        return 0;
    if (n->type != PF_Y_SEQ || n->n == 0 || n->n > PF_SEG_COUNT)
        return pf_yfail(x->err, x->d, n,
                        "kinds must list 1-6 of attack, sustain, decay, onset, release, gap");
    for (size_t i = 0; i < n->n; i++) {
        int kind;
        if (pf_yget_enum(x->d, n->items[i], k->names, &kind, x->err))
            return -1;
        if (seen[kind]++)
            return pf_yfail(x->err, x->d, n->items[i], "segment kind listed twice");
        m->segments.kind[i] = kind;
    }
    m->segments.n_kinds = (int)n->n;
    return 0;
}

/* augment.noise: none, true or false, or a mapping of its keys (which turns it on). */
static int read_noise(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                      void *base)
{
    pf_manifest *m = base;
    (void)map;
    if (!n)
        return 0;
    if (n->type == PF_Y_SCALAR) {
        if (strcmp(n->value, "none") == 0)
            return m->augment.noise = 0, 0;
        return pf_yget_bool(x->d, n, &m->augment.noise, x->err);
    }
    m->augment.noise = 1;
    return pf_schema_read(x, k->sub, n, m);
}

static int check_stft(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                      void *base)
{
    const pf_spec_config *sp = &((pf_manifest *)base)->spectrogram;
    (void)k, (void)n;
    if (sp->overlap >= sp->length)
        return pf_yfail(x->err, x->d, map, "overlap (%d) must be below length (%d)", sp->overlap,
                        sp->length);
    if (sp->nfft < sp->length)
        return pf_yfail(x->err, x->d, map, "nfft (%d) must be at least length (%d)", sp->nfft,
                        sp->length);
    return 0;
}

/* store: the gzip level in effect; a shard without a spectrogram needs its audio. */
static int check_store(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                       void *base)
{
    pf_manifest *m = base;
    (void)k, (void)n;
    m->store.gzip = m->store.compression ? m->store.gzip_level : 0;
    if (m->store.spectrogram == PF_SPEC_STORE_NONE && m->store.audio == PF_AUDIO_NONE)
        return pf_yfail(x->err, x->d, pf_ymap_get(map, "spectrogram"),
                        "store.spectrogram: none needs the audio to compute it from, but "
                        "store.audio is none too (use int16 or float32)");
    return 0;
}

static int check_split(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                       void *base)
{
    const pf_manifest *m = base;
    (void)k, (void)n;
    if (m->split.val + m->split.test > 1 + 1e-9)
        return pf_yfail(x->err, x->d, map, "val + test (%g) is more than all of the data",
                        m->split.val + m->split.test);
    return 0;
}

/* ---- top level ---- */

static int check_name(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *map,
                      void *base)
{
    (void)k, (void)n;
    for (const char *p = ((pf_manifest *)base)->name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
            return pf_yfail(x->err, x->d, pf_ymap_get(map, "name"),
                            "name may hold only letters, digits, '-', '_' and '.'");
    return 0;
}

/* ---- defaults and cross-checks ---- */

static void set_defaults(pf_manifest *m)
{
    m->name = pf_strdup("pitch-default");
    m->seed = 20200222;
    m->notes.octave_lo = 2;
    m->notes.octave_hi = 7;
    m->notes.n_pitch_classes = 12;
    for (int i = 0; i < 12; i++)
        m->notes.pitch_class[i] = i;
    m->notes.velocity[0] = 48, m->notes.velocity[1] = 80, m->notes.velocity[2] = 112;
    m->notes.n_velocities = 3;
    m->detune.cents_lo = -50, m->detune.cents_hi = 50, m->detune.copies = 5;
    m->detune.include_exact = 1;
    m->render.rate_hz = 44100, m->render.note_s = 1.0, m->render.release_s = 0.5;
    m->render.gain = 0.5;
    m->expression.vibrato.rate_lo = 4, m->expression.vibrato.rate_hi = 7;
    m->expression.vibrato.depth_lo = 10, m->expression.vibrato.depth_hi = 80;
    m->expression.vibrato.delay_lo = 0, m->expression.vibrato.delay_hi = 0.3;
    m->expression.scoop.cents_lo = -200, m->expression.scoop.cents_hi = 200;
    m->expression.scoop.s_lo = 0.03, m->expression.scoop.s_hi = 0.15;
    m->expression.fall.cents_lo = -300, m->expression.fall.cents_hi = 300;
    m->expression.fall.s_lo = 0.05, m->expression.fall.s_hi = 0.2;
    m->expression.legato.semis_lo = -12, m->expression.legato.semis_hi = 12;
    m->expression.legato.glide_lo = 0, m->expression.legato.glide_hi = 0.15;
    m->expression.legato.at_lo = 0.35, m->expression.legato.at_hi = 0.6;
    m->segments.length_ms = 330, m->segments.min_rms_dbfs = -60, m->segments.clip_level = 1.0;
    m->segments.kind[0] = PF_SEG_ATTACK, m->segments.kind[1] = PF_SEG_SUSTAIN;
    m->segments.kind[2] = PF_SEG_DECAY, m->segments.n_kinds = 3;
    m->quality.pitch_check = PF_PCHECK_FLAG, m->quality.max_cents = 50;
    m->quality.preset_max_median_cents = 50, m->quality.preset_max_octave_share = 0.1;
    m->augment.volume_lo = 0.2, m->augment.volume_hi = 1.0, m->augment.strip_fundamental = 0.2;
    m->augment.strip_q = 2.0, m->augment.noise = 1, m->augment.noise_kind = PF_NOISE_PINK;
    m->augment.snr_lo = 10, m->augment.snr_hi = 40, m->augment.noise_p = 0.3;
    m->negatives.level_lo = -60, m->negatives.level_hi = -10;
    m->negatives.near_lo = -110, m->negatives.near_hi = -70;
    m->audio.rate_hz = 16000, m->audio.resampler = PF_RS_SOXR_HQ;
    m->audio.normalize = PF_NORM_PEAK;
    m->spectrogram = (pf_spec_config){.length = 256, .overlap = 200, .nfft = 1024,
                                      .rate_hz = 16000, .mode = PF_SPEC_MAGNITUDE,
                                      .scaling = PF_SCALE_DENSITY};
    m->store.audio = PF_AUDIO_INT16, m->store.gzip = 0, m->store.gzip_level = 4;
    m->split.by = PF_SPLIT_INSTRUMENT, m->split.val = 0.1, m->split.test = 0.1;
    m->shards.examples = 4096;
}

int pf_manifest_expressive(const pf_manifest *m)
{
    return m->expression.vibrato.p > 0 || m->expression.scoop.p > 0 || m->expression.fall.p > 0 ||
           m->expression.legato.p > 0;
}

size_t pf_manifest_segment_len(const pf_manifest *m)
{
    return (size_t)llround(m->segments.length_ms * m->audio.rate_hz / 1000.0);
}

size_t pf_manifest_release_frames(const pf_manifest *m)
{
    int decay = 0;
    for (int k = 0; k < m->segments.n_kinds; k++)
        decay |= m->segments.kind[k] == PF_SEG_DECAY || m->segments.kind[k] == PF_SEG_RELEASE ||
                 m->segments.kind[k] == PF_SEG_GAP;
    double need = (decay ? m->segments.length_ms / 1000.0 : 0) + 0.020;
    double s = m->render.release_s < need ? m->render.release_s : need;
    return (size_t)llround(s * m->render.rate_hz);
}

/* The STFT of a segment as generate computes and stores it: refused here, at the spectrogram
 * section, when pf_spectrogram_new or the shard writer would refuse it. */
static int check_stft_fits(pf_schema_ctx *x, const pf_manifest *m, const pf_ynode *root)
{
    const pf_ynode *at = pf_ymap_get(root, "spectrogram");
    pf_spec_config c = m->spectrogram;
    size_t bins, frames, n = pf_manifest_segment_len(m), planes = c.mode == PF_SPEC_COMPLEX ? 2 : 1;
    pf_error e = {0};
    c.rate_hz = m->audio.rate_hz;
    if (pf_spec_config_check(&c, n, &e))
        return pf_yfail(x->err, x->d, at ? at : root, "%s (segments of %zu samples)", e.msg, n);
    pf_spec_shape(&c, n, &bins, &frames);
    if (planes * bins * frames > PF_SHARD_MAX_SPEC_VALUES) /* each factor below 2^30: no wrap */
        return pf_yfail(x->err, x->d, at ? at : root,
                        "a spectrogram of %zu x %zu x %zu values is more than a shard holds (%zu)",
                        planes, bins, frames, PF_SHARD_MAX_SPEC_VALUES);
    return 0;
}

/* Checks that span sections: segments must fit the render, the STFT must fit a segment. */
static int cross_check(pf_schema_ctx *x, const pf_key *k, const pf_ynode *n, const pf_ynode *root,
                       void *base)
{
    const pf_manifest *m = base;
    const pf_ynode *render = pf_ymap_get(root, "render"), *detune = pf_ymap_get(root, "detune");
    double seg_s = m->segments.length_ms / 1000.0;
    (void)k, (void)n;
    if (m->render.note_s < 2 * seg_s)
        return pf_yfail(x->err, x->d, render ? render : root,
                        "render.note_s (%g s) must hold two segments of %g ms (attack, sustain)",
                        m->render.note_s, m->segments.length_ms);
    if (m->render.release_s < seg_s)
        return pf_yfail(x->err, x->d, render ? render : root,
                        "render.release_s (%g s) must hold the decay segment of %g ms",
                        m->render.release_s, m->segments.length_ms);
    if (pf_manifest_segment_len(m) < (size_t)m->spectrogram.length)
        return pf_yfail(x->err, x->d, root, "a segment is shorter than the STFT window");
    if (check_stft_fits(x, m, root)) return -1;
    if (m->notes.octave_lo * 12 + 12 > 127)
        return pf_yfail(x->err, x->d, root, "notes.octaves start above MIDI 127");
    if (!m->detune.include_exact && m->detune.copies == 0)
        return pf_yfail(x->err, x->d, detune ? detune : root,
                        "detune gives no notes: copies is 0 and include_exact is false");
    return 0;
}

/* ---- the schema: one row per key ----
 * A new key is one row here (and its field in pf_manifest); then paste the output of
 * `pitchforge help manifest-keys` into manifests/README.md's key table (test_manifest checks). */

#define MF(f) offsetof(pf_manifest, f)
#define ROWS(name, rows) {name, rows, sizeof rows / sizeof rows[0], NULL}
#define SECTION(k, keys) {.key = k, .kind = PF_KEY_SECTION, .sub = &keys, .step = 2}

static const pf_key soundfont_rows[] = {
    {.key = "id", .kind = PF_KEY_STRING, .off = offsetof(pf_soundfont_ref, id), .def = "required",
     .help = "the name instruments use for it"},
    {.key = "path", .kind = PF_KEY_CUSTOM, .fn = read_sf_path, .def = "required",
     .values = "a file",
     .help = "as written, else beside the manifest, else by file name in /usr/share/sounds/sf2, "
             "sf3, /usr/share/soundfonts"},
};
static const pf_instrument_spec instrument_defaults = {.range_hi = 127};
static const pf_key instrument_rows[] = {
    {.key = "soundfont", .kind = PF_KEY_CUSTOM, .fn = read_instr_soundfont, .step = 1,
     .def = "the only one", .values = "an `id`",
     .help = "may be left out when only one soundfont is listed"},
    {.key = "program", .kind = PF_KEY_CUSTOM, .fn = read_program, .min = 0, .max = 127, .step = 1,
     .def = "required", .values = "0..127, `all-melodic`",
     .help = "GM program; `all-melodic`: bank 0, programs 0..111 the soundfont has. A program the "
             "soundfont lacks is refused with its line"},
    {.key = "bank", .kind = PF_KEY_INT, .min = 0, .max = 16383,
     .off = offsetof(pf_instrument_spec, bank), .help = "MIDI bank"},
    {.key = "range", .kind = PF_KEY_CUSTOM, .fn = read_instr_range, .step = 1,
     .def = "every key", .values = "[low, high] notes",
     .help = "playable notes, inclusive (names like `G3` or MIDI numbers)"},
    {.kind = PF_KEY_CHECK, .fn = check_instrument},
};
static const pf_keys soundfont_keys = ROWS("soundfonts[]", soundfont_rows);
static const pf_keys instrument_keys = {"instruments[]", instrument_rows,
                                        sizeof instrument_rows / sizeof instrument_rows[0],
                                        &instrument_defaults};

static const pf_key notes_rows[] = {
    {.key = "octaves", .kind = PF_KEY_CUSTOM, .fn = read_octaves, .min = -1, .max = 9,
     .def = "`[2, 7]`", .values = "[low, high] in -1..9, whole",
     .help = "octave range, inclusive (C2..B7; C4 = MIDI 60)"},
    {.key = "pitch_classes", .kind = PF_KEY_CUSTOM, .fn = read_pitch_classes, .def = "`all`",
     .values = "`all`, or 1 to 12 of `C`, `C#`, ... `B` or 0..11",
     .help = "pitch classes of every octave"},
    {.key = "velocities", .kind = PF_KEY_CUSTOM, .fn = read_velocities, .min = 1, .max = 127,
     .def = "`[48, 80, 112]`", .values = "1 to 16 of 1..127", .help = "MIDI velocities"},
};
static const pf_key detune_rows[] = {
    {.key = "cents", .kind = PF_KEY_RANGE, .min = -100, .max = 100, .off = MF(detune.cents_lo),
     .off2 = MF(detune.cents_hi),
     .help = "range of the random detune, drawn in whole cents (FluidSynth 2.3 resolves a voice's "
             "pitch to the cent) and applied inside FluidSynth with a key tuning, so the label is "
             "exact"},
    {.key = "copies", .kind = PF_KEY_INT, .min = 0, .max = 1000, .off = MF(detune.copies),
     .help = "detuned copies of every note"},
    {.key = "include_exact", .kind = PF_KEY_BOOL, .off = MF(detune.include_exact),
     .help = "also render every note undetuned"},
};
static const pf_key render_rows[] = {
    {.key = "sample_rate", .kind = PF_KEY_DOUBLE, .min = 8000, .max = 96000,
     .off = MF(render.rate_hz), .help = "FluidSynth's rate"},
    {.key = "note_s", .kind = PF_KEY_DOUBLE, .min = 0.01, .max = 60, .off = MF(render.note_s),
     .help = "seconds between note-on and note-off (must hold attack + sustain segments)"},
    {.key = "release_s", .kind = PF_KEY_DOUBLE, .min = 0, .max = 60, .off = MF(render.release_s),
     .help = "seconds after note-off (must hold the decay segment); only the decay segment plus "
             "20 ms for the resampler is rendered"},
    {.key = "gain", .kind = PF_KEY_DOUBLE, .min = 0.0001, .max = 10, .off = MF(render.gain),
     .help = "FluidSynth's master gain"},
    {.key = "reverb", .kind = PF_KEY_BOOL, .off = MF(render.reverb),
     .help = "FluidSynth's reverb"},
    {.key = "chorus", .kind = PF_KEY_BOOL, .off = MF(render.chorus),
     .help = "FluidSynth's chorus"},
    {.key = "steady_pitch", .kind = PF_KEY_BOOL, .off = MF(render.steady_pitch),
     .help = "switch each preset's own pitch modulation off (vibrato LFO, modulation LFO and "
             "envelope to pitch; the envelope's sustained offset kept), so the label is what was "
             "asked (docs/synth-pitch.md). Turned on by any `expression`"},
};
static const pf_key vibrato_rows[] = {
    {.key = "p", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1, .off = MF(expression.vibrato.p),
     .help = "share of notes with vibrato"},
    {.key = "rate_hz", .kind = PF_KEY_RANGE, .min = 0.1, .max = 20,
     .off = MF(expression.vibrato.rate_lo), .off2 = MF(expression.vibrato.rate_hi),
     .help = "vibrato rate drawn per note"},
    {.key = "depth_cents", .kind = PF_KEY_RANGE, .min = 0, .max = 200,
     .off = MF(expression.vibrato.depth_lo), .off2 = MF(expression.vibrato.depth_hi),
     .help = "peak deviation drawn per note (80: the pitch swings +-80 cents)"},
    {.key = "delay_s", .kind = PF_KEY_RANGE, .min = 0, .max = 60,
     .off = MF(expression.vibrato.delay_lo), .off2 = MF(expression.vibrato.delay_hi),
     .help = "onset delay after the note-on; the vibrato fades in over its first period"},
};
static const pf_key scoop_rows[] = {
    {.key = "p", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1, .off = MF(expression.scoop.p),
     .help = "share of notes that start off their pitch and bend into it"},
    {.key = "cents", .kind = PF_KEY_RANGE, .min = -1200, .max = 1200,
     .off = MF(expression.scoop.cents_lo), .off2 = MF(expression.scoop.cents_hi),
     .help = "where the note starts, from its pitch"},
    {.key = "s", .kind = PF_KEY_RANGE, .min = 0.001, .max = 60, .off = MF(expression.scoop.s_lo),
     .off2 = MF(expression.scoop.s_hi), .help = "how long the bend into the pitch takes"},
};
static const pf_key fall_rows[] = {
    {.key = "p", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1, .off = MF(expression.fall.p),
     .help = "share of notes that bend away at their end (a fall, or a rise)"},
    {.key = "cents", .kind = PF_KEY_RANGE, .min = -1200, .max = 1200,
     .off = MF(expression.fall.cents_lo), .off2 = MF(expression.fall.cents_hi),
     .help = "where the note ends, from its pitch (reached at the note-off)"},
    {.key = "s", .kind = PF_KEY_RANGE, .min = 0.001, .max = 60, .off = MF(expression.fall.s_lo),
     .off2 = MF(expression.fall.s_hi), .help = "how long the bend takes"},
};
static const pf_key legato_rows[] = {
    {.key = "p", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1, .off = MF(expression.legato.p),
     .help = "share of notes that glide to a second note and hold it (a legato pair in one "
             "voice)"},
    {.key = "semitones", .kind = PF_KEY_RANGE, .min = -24, .max = 24,
     .off = MF(expression.legato.semis_lo), .off2 = MF(expression.legato.semis_hi),
     .help = "the interval, a whole number of semitones drawn per note (0: no glide)"},
    {.key = "glide_s", .kind = PF_KEY_RANGE, .min = 0, .max = 60,
     .off = MF(expression.legato.glide_lo), .off2 = MF(expression.legato.glide_hi),
     .help = "the glide's length (0: a jump)"},
    {.key = "at_s", .kind = PF_KEY_RANGE, .min = 0, .max = 60, .off = MF(expression.legato.at_lo),
     .off2 = MF(expression.legato.at_hi),
     .help = "when the glide starts, after the note-on"},
};
static const pf_keys vibrato_keys = ROWS("expression.vibrato", vibrato_rows),
                     scoop_keys = ROWS("expression.scoop", scoop_rows),
                     fall_keys = ROWS("expression.fall", fall_rows),
                     legato_keys = ROWS("expression.legato", legato_rows);
static const pf_key expression_rows[] = {
    SECTION("vibrato", vibrato_keys),
    SECTION("scoop", scoop_keys),
    SECTION("fall", fall_keys),
    SECTION("legato", legato_keys),
};
static const pf_key segments_rows[] = {
    {.key = "length_ms", .kind = PF_KEY_DOUBLE, .min = 20, .max = 10000,
     .off = MF(segments.length_ms), .help = "segment length (5280 samples at 16 kHz)"},
    {.key = "kinds", .kind = PF_KEY_CUSTOM, .fn = read_kinds, .names = segment_kind_names,
     .step = 1, .def = "`[attack, sustain, decay]`", .values = "1 to 6 of these names",
     .help = "which segments to cut: `attack` starts at note-on, `sustain` is centred in the held "
             "part, `decay` starts at note-off; `onset` holds the note-on 20 ms to 50 ms before "
             "its end (silence before it), `release` the note-off 50 ms from either end, `gap` "
             "the note's end, a silence of 20-150 ms and a second note of the same preset within "
             "a fifth (the times drawn per example; docs/shard-format.md)"},
    {.key = "min_rms_dbfs", .kind = PF_KEY_DOUBLE, .min = -200, .max = 0,
     .off = MF(segments.min_rms_dbfs),
     .help = "quality gate: quieter raw segments are dropped as `silent`"},
    {.key = "clip_level", .kind = PF_KEY_DOUBLE, .min = 0.01, .max = 100,
     .off = MF(segments.clip_level),
     .help = "quality gate: raw segments whose peak reaches this are dropped as `clipped` "
             "(non-finite ones as `nonfinite`)"},
};
static const pf_key quality_rows[] = {
    {.key = "pitch_check", .kind = PF_KEY_ENUM, .names = pf_pitch_policy_names,
     .off = MF(quality.pitch_check),
     .help = "label audit: an independent YIN estimate on every kept segment (`measured_f0_hz`, "
             "`pitch_error_cents`, `pitch_check` labels). `flag` keeps all; `drop` drops "
             "segments whose measured pitch is more than `max_cents` from the label (reason "
             "`pitch`); `drop-preset` renders probe notes before planning and leaves out presets "
             "beyond the two bounds below; `off` skips the audit"},
    {.key = "max_cents", .kind = PF_KEY_DOUBLE, .min = 1, .max = 600, .off = MF(quality.max_cents),
     .help = "tolerance of the audit; within it of the label +-1 or +-2 octaves is an `octave` "
             "error"},
    {.key = "preset_max_median_cents", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1200,
     .off = MF(quality.preset_max_median_cents),
     .help = "`drop-preset`: largest allowed median offset of a preset"},
    {.key = "preset_max_octave_share", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1,
     .off = MF(quality.preset_max_octave_share),
     .help = "`drop-preset`: largest allowed share of octave errors"},
    {.key = "key_max_cents", .kind = PF_KEY_DOUBLE, .min = 0, .max = 50,
     .off = MF(quality.key_max_cents),
     .help = "key audit (0: off), with any `pitch_check`: before planning, every planned key of "
             "every preset kept is rendered exact at each of the manifest's velocities and "
             "measured by the key tuning meter (spectral peaks of harmonics 1-3, not YIN; "
             "docs/dsp.md); a key more than this many cents off its written pitch at any "
             "velocity, or without a clear harmonic peak, is left out of the plan. `generate` "
             "names those keys with their offsets (stderr; `excluded_keys` in `--json`). Costs "
             "one render per key and velocity (about 40 s for manifests/heldout-musescore.yaml on "
             "one core)"},
};
static const pf_key noise_rows[] = {
    {.key = "kind", .kind = PF_KEY_ENUM, .names = noise_kind_names, .off = MF(augment.noise_kind),
     .help = "white, pink or brown noise"},
    {.key = "snr_db", .kind = PF_KEY_RANGE, .min = -20, .max = 120, .off = MF(augment.snr_lo),
     .off2 = MF(augment.snr_hi), .help = "signal-to-noise ratio drawn per example, in dB"},
    {.key = "p", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1, .off = MF(augment.noise_p),
     .help = "share of examples with noise"},
};
static const pf_keys noise_keys = ROWS("augment.noise", noise_rows);
static const pf_key augment_rows[] = {
    {.key = "volume", .kind = PF_KEY_RANGE, .min = 0.0001, .max = 1, .off = MF(augment.volume_lo),
     .off2 = MF(augment.volume_hi),
     .help = "gain drawn per example after peak normalization (label `volume`)"},
    {.key = "strip_fundamental", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1,
     .off = MF(augment.strip_fundamental),
     .help = "share of notes whose fundamental is notched out (zero-phase RBJ notch at f0 over "
             "the whole note before cutting, so no filter transient lands in a segment; label "
             "`strip_fundamental`)"},
    {.key = "strip_q", .kind = PF_KEY_DOUBLE, .min = 0.1, .max = 100, .off = MF(augment.strip_q),
     .help = "quality factor of that notch"},
    {.key = "noise", .kind = PF_KEY_CUSTOM, .fn = read_noise, .sub = &noise_keys, .def = "on",
     .values = "`none`, `true`, `false`, or a mapping of the keys below",
     .help = "added noise (label `noise_snr_db`, NaN when none); a mapping turns it on"},
};
#define NEG(name, src, text)                                                                   \
    {.key = name, .kind = PF_KEY_DOUBLE, .min = 0, .max = 10, .off = MF(negatives.share[src]),  \
     .help = text}
static const pf_key negatives_rows[] = {
    NEG("silence", PF_SOURCE_SILENCE, "digital silence, as a share of the notes"),
    NEG("near_silence", PF_SOURCE_NEAR_SILENCE, "white noise at `near_silence_dbfs`"),
    NEG("white", PF_SOURCE_WHITE, "white noise at `level_dbfs`"),
    NEG("pink", PF_SOURCE_PINK, "pink noise at `level_dbfs`"),
    NEG("brown", PF_SOURCE_BROWN, "brown noise (a leaky integrator of white) at `level_dbfs`"),
    NEG("percussion", PF_SOURCE_PERCUSSION,
        "a key of the first GM drum kit (bank 128) of the manifest's soundfonts, among the "
        "unpitched ones (snares, claps, hi-hats, cymbals, tambourine, cabasa, maracas, guiro; "
        "no kicks, toms, whistles or blocks), at one of the manifest's velocities"),
    {.key = "level_dbfs", .kind = PF_KEY_RANGE, .min = -120, .max = 0,
     .off = MF(negatives.level_lo), .off2 = MF(negatives.level_hi),
     .help = "RMS level of the noise negatives, drawn per negative"},
    {.key = "near_silence_dbfs", .kind = PF_KEY_RANGE, .min = -200, .max = -40,
     .off = MF(negatives.near_lo), .off2 = MF(negatives.near_hi),
     .help = "RMS level of near silence, drawn per negative"},
};
static const pf_key audio_rows[] = {
    {.key = "sample_rate", .kind = PF_KEY_DOUBLE, .min = 4000, .max = 96000,
     .off = MF(audio.rate_hz), .help = "output rate"},
    {.key = "resampler", .kind = PF_KEY_ENUM, .names = resampler_names, .off = MF(audio.resampler),
     .help = "converter: libsamplerate's `sinc_*` and `linear`, or libsoxr's `soxr_*`. The "
             "default was chosen by measurement (docs/resampler.md): 0.4 ms a note, aliases at "
             "least 135 dB down from 8.1 to 20 kHz, flat within 0.006 dB to 7 kHz; sinc_fastest "
             "costs 8 ms and is 13.8 dB down at 7 kHz"},
    {.key = "normalize", .kind = PF_KEY_ENUM, .names = normalize_names, .off = MF(audio.normalize),
     .help = "`peak` scales each segment to full scale before the volume gain"},
};
static const char *const window_names[] = {"hann", NULL};
static const pf_key spectrogram_rows[] = {
    {.key = "window", .kind = PF_KEY_ENUM, .names = window_names, .off = PF_KEY_NO_FIELD,
     .def = "`hann`", .help = "periodic Hann, as scipy's `get_window('hann', n)`"},
    {.key = "length", .kind = PF_KEY_INT, .min = 16, .max = 16384, .off = MF(spectrogram.length),
     .help = "STFT window length in samples (513 bins x 90 frames for 5280 samples with the "
             "defaults)"},
    {.key = "overlap", .kind = PF_KEY_INT, .min = 0, .max = 16383, .off = MF(spectrogram.overlap),
     .help = "samples shared by neighbouring windows, below `length`"},
    {.key = "nfft", .kind = PF_KEY_INT, .min = 16, .max = 65536, .off = MF(spectrogram.nfft),
     .help = "FFT length, at least `length`"},
    {.key = "mode", .kind = PF_KEY_ENUM, .names = pf_spec_mode_names, .off = MF(spectrogram.mode),
     .help = "`complex` stores real and imaginary planes ([N, 2, 513, 90]); `log-magnitude` is "
             "ln(magnitude + 1e-6); equal to scipy.signal.spectrogram with the same names"},
    {.key = "scaling", .kind = PF_KEY_ENUM, .names = pf_spec_scaling_names,
     .off = MF(spectrogram.scaling), .help = "as scipy"},
    {.kind = PF_KEY_CHECK, .fn = check_stft},
};
static const pf_key store_rows[] = {
    {.key = "audio", .kind = PF_KEY_ENUM, .names = store_audio_names, .off = MF(store.audio),
     .help = "`/audio` as `int16` (value / 32768 is the float signal the spectrogram was computed "
             "from, as libsndfile, soundfile and torchaudio read int16), `float32`, or `none`"},
    {.key = "compression", .kind = PF_KEY_ENUM, .names = compression_names,
     .off = MF(store.compression),
     .help = "`gzip` (with shuffle) on /spectrogram and /audio; saves ~10% on float spectra at "
             "~25x the write cost"},
    {.key = "gzip_level", .kind = PF_KEY_INT, .min = 1, .max = 9, .off = MF(store.gzip_level),
     .help = "gzip level"},
    {.key = "spectrogram", .kind = PF_KEY_ENUM, .names = pf_store_spec_names,
     .off = MF(store.spectrogram),
     .help = "`/spectrogram` as `float32` (185 KB an example), `float16` (IEEE half, numpy's "
             "float16: half the bytes, relative error at most 2^-11, values below 6.1e-5 "
             "subnormal and below 3e-8 zero; docs/performance.md) or `none` (only `/audio`; "
             "readers compute the same float32 spectrogram from it, bit for bit; needs "
             "`store.audio`)"},
    {.kind = PF_KEY_CHECK, .fn = check_store},
};
static const pf_key split_rows[] = {
    {.key = "by", .kind = PF_KEY_ENUM, .names = pf_split_by_names, .off = MF(split.by),
     .help = "`instrument` (held-out instruments, as NSynth), `soundfont`, `octave` or `random` "
             "(per note, so a note's segments stay together)"},
    {.key = "val", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1, .off = MF(split.val),
     .help = "share of val (val + test <= 1). For instrument/soundfont/octave splits the keys are "
             "ranked by a seeded hash and the first round(share x keys) go to val, then test (at "
             "least one each when there are 3 or more keys)"},
    {.key = "test", .kind = PF_KEY_DOUBLE, .min = 0, .max = 1, .off = MF(split.test),
     .help = "share of test; `test: 1` makes a held-out test set with no train split"},
    {.kind = PF_KEY_CHECK, .fn = check_split},
};
static const pf_key shards_rows[] = {
    {.key = "examples", .kind = PF_KEY_INT, .min = 1, .max = 1 << 20, .off = MF(shards.examples),
     .help = "examples per shard (at most; a note's segments share a shard). A split may have at "
             "most 99999 shards (their names hold five digits): a plan needing more is refused"},
};
static const pf_keys notes_keys = ROWS("notes", notes_rows),
                     detune_keys = ROWS("detune", detune_rows),
                     render_keys = ROWS("render", render_rows),
                     expression_keys = ROWS("expression", expression_rows),
                     segments_keys = ROWS("segments", segments_rows),
                     quality_keys = ROWS("quality", quality_rows),
                     augment_keys = ROWS("augment", augment_rows),
                     audio_keys = ROWS("audio", audio_rows),
                     negatives_keys = ROWS("negatives", negatives_rows),
                     spectrogram_keys = ROWS("spectrogram", spectrogram_rows),
                     store_keys = ROWS("store", store_rows), split_keys = ROWS("split", split_rows),
                     shards_keys = ROWS("shards", shards_rows);

/* Read by step: name and output, then seed and the name's letters, then the sections. */
static const pf_key top_rows[] = {
    {.key = "name", .kind = PF_KEY_STRING, .off = MF(name), .values = "letters, digits, `-_.`",
     .help = "dataset name; the output folder defaults to `out/NAME`"},
    {.key = "seed", .kind = PF_KEY_U64, .min = 0, .max = 9007199254740992.0, .off = MF(seed),
     .step = 1,
     .help = "all randomness comes from (seed, example id)"},
    {.key = "output", .kind = PF_KEY_STRING, .off = MF(output), .def = "`out/NAME`",
     .help = "output folder; `generate -o DIR` overrides it"},
    {.kind = PF_KEY_CHECK, .fn = check_name, .step = 1},
    {.key = "soundfonts", .kind = PF_KEY_CUSTOM, .fn = read_soundfonts, .sub = &soundfont_keys,
     .step = 2, .def = "required", .values = "a list of `{id, path}`",
     .help = "the soundfonts instruments come from"},
    {.key = "instruments", .kind = PF_KEY_CUSTOM, .fn = read_instruments,
     .sub = &instrument_keys, .step = 2, .def = "required",
     .values = "a list of `{soundfont, program, bank, range}`",
     .help = "the presets to render"},
    SECTION("notes", notes_keys),
    SECTION("detune", detune_keys),
    SECTION("render", render_keys),
    SECTION("expression", expression_keys),
    SECTION("segments", segments_keys),
    SECTION("quality", quality_keys),
    SECTION("augment", augment_keys),
    SECTION("negatives", negatives_keys),
    SECTION("audio", audio_keys),
    SECTION("spectrogram", spectrogram_keys),
    SECTION("store", store_keys),
    SECTION("split", split_keys),
    SECTION("shards", shards_keys),
    {.kind = PF_KEY_CHECK, .fn = cross_check, .step = 2},
};
static const pf_keys manifest_keys = ROWS("", top_rows);

static int parse_all(pf_schema_ctx *x, pf_manifest *m)
{
    if (x->d->root->type != PF_Y_MAP)
        return pf_yfail(x->err, x->d, x->d->root, "a manifest is a mapping of keys");
    if (pf_schema_read(x, &manifest_keys, x->d->root, m))
        return -1;
    m->spectrogram.rate_hz = m->audio.rate_hz;
    if (pf_manifest_expressive(m)) m->render.steady_pitch = 1;
    if (!m->output) {
        size_t n = strlen(m->name) + 5;
        m->output = pf_malloc(n);
        snprintf(m->output, n, "out/%s", m->name);
    }
    return 0;
}

int pf_manifest_parse(pf_manifest *m, const char *name, const char *text, size_t len, pf_error *err)
{
    memset(m, 0, sizeof *m);
    m->file = pf_strdup(name);
    set_defaults(m);
    pf_ydoc doc;
    if (pf_ydoc_parse(&doc, name, text, len, err)) {
        pf_ydoc_release(&doc);
        return -1;
    }
    m->text = pf_malloc(len + 1);
    memcpy(m->text, text, len);
    m->text[len] = '\0';
    m->text_len = len;
    pf_sha256_hex(text, len, m->sha256);
    pf_schema_ctx x = {.d = &doc, .err = err, .root = m};
    const pf_ynode *r = doc.root;
    int swapped = pf_ymap_get(r, "dataset") && pf_ymap_get(r, "model") &&
                  !pf_ymap_get(r, "instruments");
    int rc = swapped ? PF_FAIL(err, PF_ECONFIG, "%s: this is a training config (it has 'dataset' "
                               "and 'model'), not a dataset manifest: 'pitchforge train %s' "
                               "trains with it", name, name)
                     : parse_all(&x, m);
    pf_ydoc_release(&doc);
    return rc;
}

int pf_manifest_load(pf_manifest *m, const char *path, pf_error *err)
{
    char *text;
    size_t len;
    memset(m, 0, sizeof *m);
    if (pf_read_text(path, &text, &len, err))
        return -1;
    int rc = pf_manifest_parse(m, path, text, len, err);
    free(text);
    return rc;
}

void pf_manifest_release(pf_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_soundfonts; i++) {
        free(m->soundfonts[i].id);
        free(m->soundfonts[i].path);
    }
    free(m->soundfonts);
    free(m->instruments);
    free(m->file);
    free(m->text);
    free(m->name);
    free(m->output);
    memset(m, 0, sizeof *m);
}

char *pf_manifest_keys_markdown(void)
{
    pf_manifest m;
    memset(&m, 0, sizeof m);
    set_defaults(&m);
    char *s = pf_schema_markdown(&manifest_keys, &m);
    pf_manifest_release(&m);
    return s;
}
