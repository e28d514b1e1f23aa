/* The dataset card as a Hugging Face dataset card: front matter, licenses, fields, loading,
 * limitations, citation. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/yaml.h"
#include "io/h5.h"
#include "store/card_int.h"

/** A soundfont pitchforge knows the license of (Debian's copyright file for its package). */
typedef struct sf_license {
    const char *file, *package, *spdx, *hub, *text;
} sf_license;

static const sf_license licenses[] = {
    {"FluidR3_GM.sf2", "fluid-soundfont-gm", "MIT", "mit",
     "MIT; Copyright 2000-2002, 2008 Frank Wen (samples partly public domain)"},
    {"TimGM6mb.sf2", "timgm6mb-soundfont", "GPL-2.0-only", "gpl-2.0",
     "GPL-2; Copyright 2004 Tim Brechbill"},
    {"MuseScore_General.sf3", "musescore-general-soundfont", "MIT", "mit",
     "MIT, parts public domain or CC0; Copyright 2018-2021 S. Christian Collins, Fluid (R3) "
     "2000-2002, 2008 Frank Wen and others"},
};
#define N_LICENSES (sizeof licenses / sizeof licenses[0])

/* The license of the soundfont at @p path (by file name), or NULL when unknown. */
static const sf_license *license_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (size_t i = 0; i < N_LICENSES; i++)
        if (!strcmp(base, licenses[i].file)) return &licenses[i];
    return NULL;
}

/* The manifest's soundfonts: *ids and *paths point into @p doc (n of each, caller frees the
 * arrays). */
static size_t soundfonts(const pf_ydoc *doc, const char ***ids, const char ***paths)
{
    const pf_ynode *list = pf_ymap_get(doc->root, "soundfonts");
    size_t n = list && list->type == PF_Y_SEQ ? list->n : 0, k = 0;
    *ids = pf_calloc(n + 1, sizeof **ids);
    *paths = pf_calloc(n + 1, sizeof **paths);
    for (size_t i = 0; i < n; i++) {
        const pf_ynode *id = pf_ymap_get(list->items[i], "id");
        const pf_ynode *p = pf_ymap_get(list->items[i], "path");
        if (!id || !p || id->type != PF_Y_SCALAR || p->type != PF_Y_SCALAR) continue;
        (*ids)[k] = id->value, (*paths)[k++] = p->value;
    }
    return k;
}

/* The Hub's size category for @p n examples. */
static const char *size_category(size_t n)
{
    static const char *const names[] = {"n<1K", "1K<n<10K", "10K<n<100K", "100K<n<1M",
                                        "1M<n<10M", "10M<n<100M", "100M<n<1B", "n>1B"};
    size_t limit = 1000;
    int i = 0;
    while (i < 7 && n >= limit)
        limit *= 10, i++;
    return names[i];
}

void pf_card_front_matter(FILE *f, const pf_card_facts *k)
{
    pf_ydoc doc;
    const char **ids, **paths;
    size_t n = pf_ydoc_parse(&doc, "manifest", k->manifest, strlen(k->manifest), NULL) == 0
                   ? soundfonts(&doc, &ids, &paths)
                   : (ids = NULL, paths = NULL, 0);
    fprintf(f, "---\nlicense:\n");
    const char *seen[N_LICENSES + 2] = {0};
    size_t n_seen = 0;
    for (size_t i = 0; i < n; i++) {
        const sf_license *l = license_of(paths[i]);
        const char *hub = l ? l->hub : "other";
        int dup = 0;
        for (size_t j = 0; j < n_seen; j++)
            dup |= !strcmp(seen[j], hub);
        if (!dup && n_seen < N_LICENSES + 2) fprintf(f, "- %s\n", seen[n_seen++] = hub);
    }
    if (!n_seen) fprintf(f, "- other\n");
    fprintf(f, "pretty_name: %s\ntask_categories:\n- audio-classification\n"
               "tags:\n- pitch-estimation\n- music\n- midi\n- spectrogram\n- synthetic\n"
               "- hdf5\nsize_categories:\n- %s\n---\n\n",
            k->name, size_category(k->examples));
    free(ids);
    free(paths);
    pf_ydoc_release(&doc);
}

void pf_card_licenses(FILE *f, const pf_card_facts *k)
{
    pf_ydoc doc;
    const char **ids = NULL, **paths = NULL;
    size_t n = pf_ydoc_parse(&doc, "manifest", k->manifest, strlen(k->manifest), NULL) == 0
                   ? soundfonts(&doc, &ids, &paths)
                   : 0;
    fprintf(f, "## Soundfonts and licenses\n\nEvery sound was rendered from these soundfonts; "
               "the audio and spectrograms derive from their samples, so their licenses apply "
               "to this data (from the Debian packages' copyright files).\n\n"
               "| id | file | license (SPDX) | copyright | Debian package |\n|---|---|---|---|---|\n");
    for (size_t i = 0; i < n; i++) {
        const sf_license *l = license_of(paths[i]);
        fprintf(f, "| %s | `%s` | %s | %s | %s |\n", ids[i], paths[i], l ? l->spdx : "unknown",
                l ? l->text : "not known to pitchforge: see the soundfont's own license",
                l ? l->package : "-");
    }
    fprintf(f, "\n");
    free(ids);
    free(paths);
    pf_ydoc_release(&doc);
}

static const char *const kind_names[PF_H5_KIND_COUNT] = {
    "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"};

/* One table row for dataset @p name of the open shard @p sh. */
static void field_row(FILE *f, pf_h5id sh, const char *name)
{
    int rank;
    uint64_t d[PF_H5_MAX_RANK];
    pf_h5_kind kind;
    pf_h5id ds = pf_h5_dset_open(sh, name, NULL);
    if (ds < 0 || pf_h5_dset_shape(ds, &rank, d, NULL)) {
        pf_h5_close(ds);
        return;
    }
    char shape[96] = "[N", *units = NULL, *what = NULL;
    for (int i = 1; i < rank; i++)
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape), ", %" PRIu64, d[i]);
    strcat(shape, "]");
    if (pf_h5_attr_exists(ds, "units")) units = pf_h5_attr_read_str(ds, "units", NULL);
    if (pf_h5_attr_exists(ds, "description")) what = pf_h5_attr_read_str(ds, "description", NULL);
    const char *type = pf_h5_dset_is_half(ds)       ? "float16"
                       : pf_h5_dset_kind(ds, &kind) ? pf_h5_dset_class(ds)
                                                    : kind_names[kind];
    fprintf(f, "| `%s` | %s | %s | %s | %s |\n", name, type, shape, units ? units : "",
            what ? what : "");
    free(units);
    free(what);
    pf_h5_close(ds);
}

void pf_card_fields(FILE *f, const pf_card_facts *k)
{
    fprintf(f, "## Fields\n\nPer split in `dataset.h5` (`/train/...`, `/val/...`, `/test/...`) "
               "and in every shard; N is the number of examples. Units and descriptions are "
               "the datasets' own `units` and `description` attributes; `/freq_hz` and "
               "`/time_s` are the frequency and time axes (HDF5 dimension scales).\n\n"
               "| field | type | shape | units | meaning |\n|---|---|---|---|---|\n");
    pf_h5_lock();
    pf_h5id sh = pf_h5_open(k->first_shard, 0, NULL);
    char **names = NULL, path[96];
    size_t n = 0;
    if (sh >= 0) {
        field_row(f, sh, "spectrogram");
        field_row(f, sh, "audio");
        if (!pf_h5_list(sh, "labels", &names, &n, NULL))
            for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof path, "labels/%s", names[i]);
                field_row(f, sh, path);
                free(names[i]);
            }
        free(names);
    }
    pf_h5_close(sh);
    pf_h5_unlock();
    fprintf(f, "\n");
}

void pf_card_usage(FILE *f, const pf_card_facts *k)
{
    fprintf(f, "## How to load\n\nWith h5py, from this folder (`dataset.h5` reads every shard "
               "through virtual datasets; the shards must stay beside it):\n\n```python\n"
               "import h5py\n\nwith h5py.File(\"dataset.h5\", \"r\") as f:\n");
    if (k->has_spectrogram)
        fprintf(f, "    spec = f[\"train/spectrogram\"][0]        # one example, [bins, frames]\n");
    if (k->has_audio)
        fprintf(f, "    audio = f[\"train/audio\"][0] / f[\"train/audio\"].attrs[\"scale\"]  "
                   "# float signal at sample_rate\n");
    fprintf(f, "    f0_hz = f[\"train/labels/f0_hz\"][:]        # every train label, Hz\n"
               "    f0_frames = f[\"train/labels/f0_frames\"][0]  # Hz per column, 0 = unvoiced\n"
               "    freq_hz, time_s = f[\"freq_hz\"][:], f[\"time_s\"][:]  # the axes\n");
    if (k->has_spectrogram)
        fprintf(f, "    mean, std = f[\"stats/mean\"][:], f[\"stats/std\"][:]  # per bin, train\n");
    fprintf(f, "```\n\nFor PyTorch, pitchforge's `examples/pitch_dataset.py` has a `Dataset` that "
               "opens `dataset.h5` once per loader worker and normalizes with `/stats`. "
               "`pitchforge verify .` checks every shard against `/checksums`.\n\n");
    fprintf(f, "## Known limitations\n\n"
               "- Synthetic: every sound is a General MIDI soundfont preset played by FluidSynth, "
               "one note at a time (no polyphony, no real instruments, singers, rooms or "
               "microphones beyond what the manifest adds).\n"
               "- The labels are the pitch the synth was asked to play; a preset whose samples "
               "are out of tune sounds elsewhere (the label audit below measures each preset's "
               "offset; `pitch_check` flags examples).\n");
    if (!k->steady_pitch)
        fprintf(f, "- Presets with their own vibrato or pitch envelope move around the labelled "
                   "pitch (see \"Pitch labels\").\n");
    if (!k->negatives)
        fprintf(f, "- No examples without pitch (silence, noise, drums): a model trained only on "
                   "this data has never seen one.\n");
    fprintf(f, "- Splits are as the manifest's `split` says; with `split.by: instrument` no preset "
               "is in two splits, otherwise the same presets appear in train and test.\n\n");
    fprintf(f, "## How to cite\n\n```bibtex\n@misc{pitchforge_%s,\n  title = {%s: pitch-labelled "
               "notes rendered from General MIDI soundfonts},\n  note = {Generated by %s, manifest "
               "sha256 %s}\n}\n```\n\nand the soundfonts' authors, as their licenses above ask.\n",
            k->name, k->name, k->version, k->manifest_sha256);
}
