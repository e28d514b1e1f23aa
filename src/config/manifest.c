/* Manifest: YAML -> pf_manifest with DESIGN §3 defaults; every error names FILE:LINE:COL. */
#include "pitchforge/manifest.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/mem.h"
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
static const char *const segment_kind_names[] = {"attack", "sustain", "decay", NULL};
static const char *const store_audio_names[] = {"none", "int16", "float32", NULL};
static const char *const normalize_names[] = {"peak", "none", NULL};
static const char *const noise_kind_names[] = {"white", "pink", NULL};
static const char *const compression_names[] = {"none", "gzip", NULL};
static const char *const resampler_names[] = {"sinc_best", "sinc_medium", "sinc_fastest", "linear",
                                              "soxr_lq",   "soxr_mq",     "soxr_hq",      "soxr_vhq",
                                              NULL};

typedef struct mctx {
    pf_manifest *m;
    const pf_ydoc *d;
    pf_error *err;
} mctx;

/* ---- notes ---- */

static int get_note(mctx *c, const pf_ynode *n, int *out)
{
    long v;
    if (n->type == PF_Y_SCALAR && !isdigit((unsigned char)n->value[0])) {
        if ((*out = pf_note_parse(n->value)) < 0)
            return pf_yfail(c->err, c->d, n, "'%s' is not a note name (like C4 or F#2)", n->value);
        return 0;
    }
    if (pf_yget_int(c->d, n, 0, 127, &v, c->err))
        return -1;
    *out = (int)v;
    return 0;
}

/* ---- small typed helpers for optional keys ---- */

static int opt_double(mctx *c, const pf_ynode *map, const char *key, double lo, double hi,
                      double *out)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    return n ? pf_yget_double(c->d, n, lo, hi, out, c->err) : 0;
}

static int opt_int(mctx *c, const pf_ynode *map, const char *key, long lo, long hi, int *out)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    long v;
    if (!n)
        return 0;
    if (pf_yget_int(c->d, n, lo, hi, &v, c->err))
        return -1;
    *out = (int)v;
    return 0;
}

static int opt_bool(mctx *c, const pf_ynode *map, const char *key, int *out)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    return n ? pf_yget_bool(c->d, n, out, c->err) : 0;
}

static int opt_enum(mctx *c, const pf_ynode *map, const char *key, const char *const *names,
                    int *out)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    return n ? pf_yget_enum(c->d, n, names, out, c->err) : 0;
}

static int opt_range(mctx *c, const pf_ynode *map, const char *key, double lo, double hi,
                     double *out_lo, double *out_hi)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    double r[2];
    if (!n)
        return 0;
    if (pf_yget_range(c->d, n, lo, hi, r, c->err))
        return -1;
    *out_lo = r[0];
    *out_hi = r[1];
    return 0;
}

static int opt_string(mctx *c, const pf_ynode *map, const char *key, char **out)
{
    const pf_ynode *n = pf_ymap_get(map, key);
    const char *s;
    if (!n)
        return 0;
    if (pf_yget_string(c->d, n, &s, c->err))
        return -1;
    if (!*s)
        return pf_yfail(c->err, c->d, n, "'%s' must not be empty", key);
    free(*out);
    *out = pf_strdup(s);
    return 0;
}

/* A section: optional mapping with a fixed key list; NULL node means "all defaults". */
static const pf_ynode *section(mctx *c, const char *key, const char *const *keys, int *rc)
{
    const pf_ynode *n = pf_ymap_get(c->d->root, key);
    *rc = n ? pf_ycheck_keys(c->d, n, keys, c->err) : 0;
    return n;
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

static int parse_soundfont(mctx *c, const pf_ynode *n, pf_soundfont_ref *sf)
{
    static const char *const keys[] = {"id", "path", NULL};
    char *path = NULL;
    sf->line = n->line;
    sf->col = n->col;
    if (pf_ycheck_keys(c->d, n, keys, c->err) || opt_string(c, n, "id", &sf->id) ||
        opt_string(c, n, "path", &path))
        return free(path), -1;
    if (!sf->id || !path) {
        free(path);
        return pf_yfail(c->err, c->d, n, "a soundfont needs both 'id' and 'path'");
    }
    sf->path = resolve_soundfont(c->m->file, path);
    if (!sf->path) {
        pf_yfail(c->err, c->d, pf_ymap_get(n, "path"),
                 "soundfont '%s' not found (run 'make deps' to install the GM soundfonts)", path);
        free(path);
        return -1;
    }
    free(path);
    return 0;
}

static int parse_soundfonts(mctx *c)
{
    const pf_ynode *n = pf_ymap_get(c->d->root, "soundfonts");
    if (!n)
        return pf_yfail(c->err, c->d, c->d->root, "missing key 'soundfonts'");
    if (n->type != PF_Y_SEQ || n->n == 0)
        return pf_yfail(c->err, c->d, n, "'soundfonts' must be a non-empty list");
    if (n->n > 255)
        return pf_yfail(c->err, c->d, n, "at most 255 soundfonts");
    c->m->soundfonts = pf_calloc(n->n, sizeof *c->m->soundfonts);
    for (size_t i = 0; i < n->n; i++) {
        c->m->n_soundfonts = i + 1;
        if (parse_soundfont(c, n->items[i], &c->m->soundfonts[i]))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->m->soundfonts[j].id, c->m->soundfonts[i].id) == 0)
                return pf_yfail(c->err, c->d, n->items[i], "soundfont id '%s' is used twice",
                                c->m->soundfonts[i].id);
    }
    return 0;
}

/* ---- instruments ---- */

static int find_soundfont(mctx *c, const pf_ynode *n, int *out)
{
    const char *id;
    if (pf_yget_string(c->d, n, &id, c->err))
        return -1;
    for (size_t i = 0; i < c->m->n_soundfonts; i++)
        if (strcmp(c->m->soundfonts[i].id, id) == 0)
            return *out = (int)i, 0;
    return pf_yfail(c->err, c->d, n, "no soundfont with id '%s' in 'soundfonts'", id);
}

static int parse_program(mctx *c, const pf_ynode *n, int *out)
{
    long v;
    if (n->type == PF_Y_SCALAR && strcmp(n->value, "all-melodic") == 0)
        return *out = -1, 0;
    if (n->type == PF_Y_SCALAR && !isdigit((unsigned char)n->value[0]))
        return pf_yfail(c->err, c->d, n, "program must be 0..127 or all-melodic, found '%s'",
                        n->value);
    if (pf_yget_int(c->d, n, 0, 127, &v, c->err))
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_instrument(mctx *c, const pf_ynode *n, pf_instrument_spec *in)
{
    static const char *const keys[] = {"soundfont", "program", "bank", "range", NULL};
    *in = (pf_instrument_spec){.range_hi = 127, .line = n->line, .col = n->col};
    if (pf_ycheck_keys(c->d, n, keys, c->err) || opt_int(c, n, "bank", 0, 16383, &in->bank))
        return -1;
    const pf_ynode *sf = pf_ymap_get(n, "soundfont"), *prog = pf_ymap_get(n, "program");
    if (!sf && c->m->n_soundfonts != 1)
        return pf_yfail(c->err, c->d, n, "instrument needs 'soundfont' (several are listed)");
    if (!prog)
        return pf_yfail(c->err, c->d, n, "instrument needs 'program'");
    if ((sf && find_soundfont(c, sf, &in->soundfont)) || parse_program(c, prog, &in->program))
        return -1;
    const pf_ynode *r = pf_ymap_get(n, "range");
    if (!r)
        return 0;
    if (r->type != PF_Y_SEQ || r->n != 2)
        return pf_yfail(c->err, c->d, r, "range must be [low note, high note]");
    if (get_note(c, r->items[0], &in->range_lo) || get_note(c, r->items[1], &in->range_hi))
        return -1;
    if (in->range_lo > in->range_hi)
        return pf_yfail(c->err, c->d, r, "range has its low note above its high note");
    return 0;
}

static int parse_instruments(mctx *c)
{
    const pf_ynode *n = pf_ymap_get(c->d->root, "instruments");
    if (!n)
        return pf_yfail(c->err, c->d, c->d->root, "missing key 'instruments'");
    if (n->type != PF_Y_SEQ || n->n == 0)
        return pf_yfail(c->err, c->d, n, "'instruments' must be a non-empty list");
    c->m->instruments = pf_calloc(n->n, sizeof *c->m->instruments);
    c->m->n_instruments = n->n;
    for (size_t i = 0; i < n->n; i++)
        if (parse_instrument(c, n->items[i], &c->m->instruments[i]))
            return -1;
    return 0;
}

/* ---- notes ---- */

static int parse_pitch_classes(mctx *c, const pf_ynode *n)
{
    int *pcs = c->m->notes.pitch_class, seen[12] = {0};
    if (n->type == PF_Y_SCALAR && strcmp(n->value, "all") == 0)
        return 0;
    if (n->type != PF_Y_SEQ || n->n == 0 || n->n > 12)
        return pf_yfail(c->err, c->d, n, "pitch_classes must be 'all' or a list of 1-12 names");
    for (size_t i = 0; i < n->n; i++) {
        const pf_ynode *e = n->items[i];
        int pc = -1;
        for (int k = 0; k < 12 && e->type == PF_Y_SCALAR; k++)
            if (strcmp(e->value, pf_pitch_class_names[k]) == 0)
                pc = k;
        long v;
        if (pc < 0 && pf_yget_int(c->d, e, 0, 11, &v, c->err))
            return pf_yfail(c->err, c->d, e, "'%s' is not a pitch class (C, C#, ... B or 0-11)",
                            e->type == PF_Y_SCALAR ? e->value : "?");
        pc = pc < 0 ? (int)v : pc;
        if (seen[pc]++)
            return pf_yfail(c->err, c->d, e, "pitch class %s is listed twice", pf_pitch_class_names[pc]);
        pcs[i] = pc;
    }
    c->m->notes.n_pitch_classes = (int)n->n;
    return 0;
}

static int parse_velocities(mctx *c, const pf_ynode *n)
{
    if (n->type != PF_Y_SEQ || n->n == 0 || n->n > 16)
        return pf_yfail(c->err, c->d, n, "velocities must be a list of 1 to 16 values");
    for (size_t i = 0; i < n->n; i++) {
        long v;
        if (pf_yget_int(c->d, n->items[i], 1, 127, &v, c->err))
            return -1;
        c->m->notes.velocity[i] = (int)v;
    }
    c->m->notes.n_velocities = (int)n->n;
    return 0;
}

static int parse_notes(mctx *c)
{
    static const char *const keys[] = {"octaves", "pitch_classes", "velocities", NULL};
    int rc;
    const pf_ynode *s = section(c, "notes", keys, &rc);
    if (rc || !s)
        return rc;
    double lo = c->m->notes.octave_lo, hi = c->m->notes.octave_hi;
    if (opt_range(c, s, "octaves", -1, 9, &lo, &hi))
        return -1;
    if (lo != floor(lo) || hi != floor(hi))
        return pf_yfail(c->err, c->d, pf_ymap_get(s, "octaves"), "octaves must be whole numbers");
    c->m->notes.octave_lo = (int)lo;
    c->m->notes.octave_hi = (int)hi;
    const pf_ynode *pc = pf_ymap_get(s, "pitch_classes"), *v = pf_ymap_get(s, "velocities");
    if (pc && parse_pitch_classes(c, pc))
        return -1;
    return v ? parse_velocities(c, v) : 0;
}

/* ---- the flat sections ---- */

static int parse_detune(mctx *c)
{
    static const char *const keys[] = {"cents", "copies", "include_exact", NULL};
    int rc;
    const pf_ynode *s = section(c, "detune", keys, &rc);
    if (rc || !s)
        return rc;
    return opt_range(c, s, "cents", -100, 100, &c->m->detune.cents_lo, &c->m->detune.cents_hi) ||
                   opt_int(c, s, "copies", 0, 1000, &c->m->detune.copies) ||
                   opt_bool(c, s, "include_exact", &c->m->detune.include_exact)
               ? -1
               : 0;
}

static int parse_render(mctx *c)
{
    static const char *const keys[] = {"sample_rate", "note_s", "release_s", "gain",
                                       "reverb",      "chorus", NULL};
    int rc;
    const pf_ynode *s = section(c, "render", keys, &rc);
    if (rc || !s)
        return rc;
    return opt_double(c, s, "sample_rate", 8000, 192000, &c->m->render.rate_hz) ||
                   opt_double(c, s, "note_s", 0.01, 60, &c->m->render.note_s) ||
                   opt_double(c, s, "release_s", 0, 60, &c->m->render.release_s) ||
                   opt_double(c, s, "gain", 0.0001, 10, &c->m->render.gain) ||
                   opt_bool(c, s, "reverb", &c->m->render.reverb) ||
                   opt_bool(c, s, "chorus", &c->m->render.chorus)
               ? -1
               : 0;
}

static int parse_kinds(mctx *c, const pf_ynode *n)
{
    int seen[3] = {0};
    if (n->type != PF_Y_SEQ || n->n == 0 || n->n > 3)
        return pf_yfail(c->err, c->d, n, "kinds must list 1-3 of attack, sustain, decay");
    for (size_t i = 0; i < n->n; i++) {
        int k;
        if (pf_yget_enum(c->d, n->items[i], segment_kind_names, &k, c->err))
            return -1;
        if (seen[k]++)
            return pf_yfail(c->err, c->d, n->items[i], "segment kind listed twice");
        c->m->segments.kind[i] = k;
    }
    c->m->segments.n_kinds = (int)n->n;
    return 0;
}

static int parse_segments(mctx *c)
{
    static const char *const keys[] = {"length_ms", "kinds", "min_rms_dbfs", "clip_level", NULL};
    int rc;
    const pf_ynode *s = section(c, "segments", keys, &rc);
    if (rc || !s)
        return rc;
    const pf_ynode *k = pf_ymap_get(s, "kinds");
    return opt_double(c, s, "length_ms", 20, 10000, &c->m->segments.length_ms) ||
                   opt_double(c, s, "min_rms_dbfs", -200, 0, &c->m->segments.min_rms_dbfs) ||
                   opt_double(c, s, "clip_level", 0.01, 100, &c->m->segments.clip_level) ||
                   (k && parse_kinds(c, k))
               ? -1
               : 0;
}

static int parse_quality(mctx *c)
{
    static const char *const keys[] = {
        "pitch_check",   "max_cents", "preset_max_median_cents", "preset_max_octave_share",
        "key_max_cents", NULL};
    int rc, p = (int)c->m->quality.pitch_check;
    const pf_ynode *s = section(c, "quality", keys, &rc);
    if (rc || !s)
        return rc;
    if (opt_enum(c, s, "pitch_check", pf_pitch_policy_names, &p) ||
        opt_double(c, s, "max_cents", 1, 600, &c->m->quality.max_cents) ||
        opt_double(c, s, "preset_max_median_cents", 0, 1200,
                   &c->m->quality.preset_max_median_cents) ||
        opt_double(c, s, "preset_max_octave_share", 0, 1, &c->m->quality.preset_max_octave_share) ||
        opt_double(c, s, "key_max_cents", 0, 50, &c->m->quality.key_max_cents))
        return -1;
    c->m->quality.pitch_check = (pf_pitch_policy)p;
    return 0;
}

static int parse_noise(mctx *c, const pf_ynode *n)
{
    static const char *const keys[] = {"kind", "snr_db", "p", NULL};
    int kind = (int)c->m->augment.noise_kind;
    if (n->type == PF_Y_SCALAR) {
        int on;
        if (strcmp(n->value, "none") == 0)
            return c->m->augment.noise = 0, 0;
        if (pf_yget_bool(c->d, n, &on, c->err))
            return -1;
        return c->m->augment.noise = on, 0;
    }
    c->m->augment.noise = 1;
    if (pf_ycheck_keys(c->d, n, keys, c->err) ||
        opt_enum(c, n, "kind", noise_kind_names, &kind) ||
        opt_range(c, n, "snr_db", -20, 120, &c->m->augment.snr_lo, &c->m->augment.snr_hi) ||
        opt_double(c, n, "p", 0, 1, &c->m->augment.noise_p))
        return -1;
    c->m->augment.noise_kind = (pf_noise_kind)kind;
    return 0;
}

static int parse_augment(mctx *c)
{
    static const char *const keys[] = {"volume", "strip_fundamental", "strip_q", "noise", NULL};
    int rc;
    const pf_ynode *s = section(c, "augment", keys, &rc);
    if (rc || !s)
        return rc;
    const pf_ynode *noise = pf_ymap_get(s, "noise");
    return opt_range(c, s, "volume", 0.0001, 1, &c->m->augment.volume_lo,
                     &c->m->augment.volume_hi) ||
                   opt_double(c, s, "strip_fundamental", 0, 1, &c->m->augment.strip_fundamental) ||
                   opt_double(c, s, "strip_q", 0.1, 100, &c->m->augment.strip_q) ||
                   (noise && parse_noise(c, noise))
               ? -1
               : 0;
}

static int parse_audio(mctx *c)
{
    static const char *const keys[] = {"sample_rate", "resampler", "normalize", NULL};
    int rc, rs = (int)c->m->audio.resampler, norm = (int)c->m->audio.normalize;
    const pf_ynode *s = section(c, "audio", keys, &rc);
    if (rc || !s)
        return rc;
    if (opt_double(c, s, "sample_rate", 4000, 96000, &c->m->audio.rate_hz) ||
        opt_enum(c, s, "resampler", resampler_names, &rs) ||
        opt_enum(c, s, "normalize", normalize_names, &norm))
        return -1;
    c->m->audio.resampler = (pf_resampler_kind)rs;
    c->m->audio.normalize = (pf_normalize)norm;
    return 0;
}

static int parse_spectrogram(mctx *c)
{
    static const char *const keys[] = {"window", "length", "overlap", "nfft", "mode", "scaling",
                                       NULL};
    static const char *const windows[] = {"hann", NULL};
    int rc, w = 0, mode = (int)c->m->spectrogram.mode, sc = (int)c->m->spectrogram.scaling;
    pf_spec_config *sp = &c->m->spectrogram;
    const pf_ynode *s = section(c, "spectrogram", keys, &rc);
    if (rc || !s)
        return rc;
    if (opt_enum(c, s, "window", windows, &w) || opt_int(c, s, "length", 16, 16384, &sp->length) ||
        opt_int(c, s, "overlap", 0, 16383, &sp->overlap) ||
        opt_int(c, s, "nfft", 16, 65536, &sp->nfft) ||
        opt_enum(c, s, "mode", pf_spec_mode_names, &mode) ||
        opt_enum(c, s, "scaling", pf_spec_scaling_names, &sc))
        return -1;
    sp->mode = (pf_spec_mode)mode;
    sp->scaling = (pf_spec_scaling)sc;
    if (sp->overlap >= sp->length)
        return pf_yfail(c->err, c->d, s, "overlap (%d) must be below length (%d)", sp->overlap,
                        sp->length);
    if (sp->nfft < sp->length)
        return pf_yfail(c->err, c->d, s, "nfft (%d) must be at least length (%d)", sp->nfft,
                        sp->length);
    return 0;
}

static int parse_store(mctx *c)
{
    static const char *const keys[] = {"audio", "compression", "gzip_level", NULL};
    int rc, audio = (int)c->m->store.audio, comp = c->m->store.gzip ? 1 : 0, level = 4;
    const pf_ynode *s = section(c, "store", keys, &rc);
    if (rc || !s)
        return rc;
    if (opt_enum(c, s, "audio", store_audio_names, &audio) ||
        opt_enum(c, s, "compression", compression_names, &comp) ||
        opt_int(c, s, "gzip_level", 1, 9, &level))
        return -1;
    c->m->store.audio = (pf_store_audio)audio;
    c->m->store.gzip = comp ? level : 0;
    return 0;
}

static int parse_split(mctx *c)
{
    static const char *const keys[] = {"by", "val", "test", NULL};
    int rc, by = (int)c->m->split.by;
    const pf_ynode *s = section(c, "split", keys, &rc);
    if (rc || !s)
        return rc;
    if (opt_enum(c, s, "by", pf_split_by_names, &by) ||
        opt_double(c, s, "val", 0, 1, &c->m->split.val) ||
        opt_double(c, s, "test", 0, 1, &c->m->split.test))
        return -1;
    c->m->split.by = (pf_split_by)by;
    if (c->m->split.val + c->m->split.test > 1 + 1e-9)
        return pf_yfail(c->err, c->d, s, "val + test (%g) is more than all of the data",
                        c->m->split.val + c->m->split.test);
    return 0;
}

static int parse_shards(mctx *c)
{
    static const char *const keys[] = {"examples", NULL};
    int rc;
    const pf_ynode *s = section(c, "shards", keys, &rc);
    if (rc || !s)
        return rc;
    return opt_int(c, s, "examples", 1, 1 << 20, &c->m->shards.examples);
}

static int parse_top(mctx *c)
{
    static const char *const keys[] = {"name",     "seed",     "output",      "soundfonts",
                                       "instruments", "notes", "detune",      "render",
                                       "segments", "quality",  "augment",     "audio",
                                       "spectrogram", "store", "split",       "shards", NULL};
    const pf_ynode *root = c->d->root, *seed = pf_ymap_get(root, "seed");
    if (pf_ycheck_keys(c->d, root, keys, c->err) || opt_string(c, root, "name", &c->m->name) ||
        opt_string(c, root, "output", &c->m->output))
        return -1;
    if (seed) {
        double v;
        if (pf_yget_double(c->d, seed, 0, 9007199254740992.0, &v, c->err))
            return -1;
        if (v != floor(v))
            return pf_yfail(c->err, c->d, seed, "seed must be a whole number");
        c->m->seed = (uint64_t)v;
    }
    for (const char *p = c->m->name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
            return pf_yfail(c->err, c->d, pf_ymap_get(root, "name"),
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
    m->segments.length_ms = 330, m->segments.min_rms_dbfs = -60, m->segments.clip_level = 1.0;
    m->segments.kind[0] = PF_SEG_ATTACK, m->segments.kind[1] = PF_SEG_SUSTAIN;
    m->segments.kind[2] = PF_SEG_DECAY, m->segments.n_kinds = 3;
    m->quality.pitch_check = PF_PCHECK_FLAG, m->quality.max_cents = 50;
    m->quality.preset_max_median_cents = 50, m->quality.preset_max_octave_share = 0.1;
    m->augment.volume_lo = 0.2, m->augment.volume_hi = 1.0, m->augment.strip_fundamental = 0.2;
    m->augment.strip_q = 2.0, m->augment.noise = 1, m->augment.noise_kind = PF_NOISE_PINK;
    m->augment.snr_lo = 10, m->augment.snr_hi = 40, m->augment.noise_p = 0.3;
    m->audio.rate_hz = 16000, m->audio.resampler = PF_RS_SOXR_HQ;
    m->audio.normalize = PF_NORM_PEAK;
    m->spectrogram = (pf_spec_config){.length = 256, .overlap = 200, .nfft = 1024,
                                      .rate_hz = 16000, .mode = PF_SPEC_MAGNITUDE,
                                      .scaling = PF_SCALE_DENSITY};
    m->store.audio = PF_AUDIO_INT16, m->store.gzip = 0;
    m->split.by = PF_SPLIT_INSTRUMENT, m->split.val = 0.1, m->split.test = 0.1;
    m->shards.examples = 4096;
}

size_t pf_manifest_segment_len(const pf_manifest *m)
{
    return (size_t)llround(m->segments.length_ms * m->audio.rate_hz / 1000.0);
}

size_t pf_manifest_release_frames(const pf_manifest *m)
{
    int decay = 0;
    for (int k = 0; k < m->segments.n_kinds; k++)
        decay |= m->segments.kind[k] == PF_SEG_DECAY;
    double need = (decay ? m->segments.length_ms / 1000.0 : 0) + 0.020;
    double s = m->render.release_s < need ? m->render.release_s : need;
    return (size_t)llround(s * m->render.rate_hz);
}

/* Checks that span sections: segments must fit the render, the STFT must fit a segment. */
static int cross_check(mctx *c)
{
    const pf_manifest *m = c->m;
    const pf_ynode *root = c->d->root;
    double seg_s = m->segments.length_ms / 1000.0;
    if (m->render.note_s < 2 * seg_s)
        return pf_yfail(c->err, c->d, pf_ymap_get(root, "render") ? pf_ymap_get(root, "render") : root,
                        "render.note_s (%g s) must hold two segments of %g ms (attack, sustain)",
                        m->render.note_s, m->segments.length_ms);
    if (m->render.release_s < seg_s)
        return pf_yfail(c->err, c->d, pf_ymap_get(root, "render") ? pf_ymap_get(root, "render") : root,
                        "render.release_s (%g s) must hold the decay segment of %g ms",
                        m->render.release_s, m->segments.length_ms);
    if (pf_manifest_segment_len(m) < (size_t)m->spectrogram.length)
        return pf_yfail(c->err, c->d, root, "a segment is shorter than the STFT window");
    if (m->notes.octave_lo * 12 + 12 > 127)
        return pf_yfail(c->err, c->d, root, "notes.octaves start above MIDI 127");
    if (!m->detune.include_exact && m->detune.copies == 0)
        return pf_yfail(c->err, c->d, pf_ymap_get(root, "detune") ? pf_ymap_get(root, "detune") : root,
                        "detune gives no notes: copies is 0 and include_exact is false");
    return 0;
}

static int parse_all(mctx *c)
{
    if (c->d->root->type != PF_Y_MAP)
        return pf_yfail(c->err, c->d, c->d->root, "a manifest is a mapping of keys");
    int (*const steps[])(mctx *) = {parse_top,      parse_soundfonts, parse_instruments,
                                    parse_notes,    parse_detune,     parse_render,
                                    parse_segments, parse_quality,    parse_augment,
                                    parse_audio,    parse_spectrogram, parse_store,
                                    parse_split,    parse_shards,     cross_check};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (steps[i](c))
            return -1;
    c->m->spectrogram.rate_hz = c->m->audio.rate_hz;
    if (!c->m->output) {
        size_t n = strlen(c->m->name) + 5;
        c->m->output = pf_malloc(n);
        snprintf(c->m->output, n, "out/%s", c->m->name);
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
    mctx c = {.m = m, .d = &doc, .err = err};
    int rc = parse_all(&c);
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
