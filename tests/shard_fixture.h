/*
 * Shared by tests/test_shard.c and tests/test_index.c: temp folders, a fake shard with known
 * values, the expected values as JSON + raw floats for the h5py checks in tests/ref/, and a
 * runner for those checks.
 */
#ifndef PF_TESTS_SHARD_FIXTURE_H
#define PF_TESTS_SHARD_FIXTURE_H

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pitchforge/shard.h"
#include "pitchforge/error.h"
#include "pitchforge/example.h"

#define UNUSED __attribute__((unused))

/** A fresh folder under $PF_TEST_TMP (or /tmp); the caller frees the string. */
static UNUSED char *fx_tmpdir(const char *tag)
{
    const char *base = getenv("PF_TEST_TMP");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/%s.XXXXXX", base && *base ? base : "/tmp", tag);
    if (!mkdtemp(tmpl)) {
        perror(tmpl);
        abort();
    }
    return strdup(tmpl);
}

/** "dir/name" in a static ring of buffers (enough for one expression's worth of paths). */
static UNUSED const char *fx_path(const char *dir, const char *name)
{
    static char ring[8][1024];
    static int at;
    char *p = ring[at++ % 8];
    snprintf(p, sizeof ring[0], "%s/%s", dir, name);
    return p;
}

/** Share of @p path's pages in the page cache (mincore over a read-only mapping); -1 on error. */
static UNUSED double fx_resident_share(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st)) return close(fd), -1;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), pages = ((size_t)st.st_size + page - 1) / page;
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return close(fd), -1;
    unsigned char *vec = malloc(pages);
    int rc = mincore(map, (size_t)st.st_size, vec);
    size_t in = 0;
    for (size_t i = 0; i < pages; i++)
        in += vec[i] & 1;
    free(vec);
    munmap(map, (size_t)st.st_size);
    close(fd);
    return rc ? -1 : (double)in / (double)pages;
}

/** 1 when @p dir is on tmpfs (whose pages are the files: nothing to drop from a page cache). */
static UNUSED int fx_on_tmpfs(const char *dir)
{
    struct statfs fs;
    return !statfs(dir, &fs) && fs.f_type == 0x01021994; /* TMPFS_MAGIC */
}

/** Read @p path whole (the bytes are thrown away), so its pages are in the page cache. */
static UNUSED void fx_read_all(const char *path)
{
    char buf[65536];
    FILE *f = fopen(path, "rb");
    while (f && fread(buf, 1, sizeof buf, f) == sizeof buf)
        ;
    if (f) fclose(f);
}

static const char *const fx_sf_ids[] = {"fluidr3", "timgm6mb"};
static const char *const fx_sf_sha[] = {
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"};

/** Shard metadata with the given shape, audio store and split. */
static UNUSED pf_shard_meta fx_meta(size_t bins, size_t frames, size_t planes, pf_store_audio audio,
                                    int gzip, const char *split, int index, int count)
{
    pf_shard_meta m = {
        .generator_version = "pitchforge 0.1.0-test",
        .manifest_text = "seed: 7\n# a manifest with a \"quote\" and ünïcödé\nsplits: ...\n",
        .manifest_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        .seed = 7,
        .soundfont_ids = fx_sf_ids,
        .soundfont_sha256 = fx_sf_sha,
        .n_soundfonts = 2,
        .fluidsynth_version = "2.3.1",
        .libsamplerate_version = "0.2.2",
        .fftw_version = "fftw-3.3.10",
        .sample_rate = 16000,
        .stft_length = 256,
        .stft_overlap = 192,
        .stft_nfft = 1024,
        .spectrogram_mode = "magnitude",
        .spectrogram_scaling = "density",
        .bins = bins,
        .frames = frames,
        .planes = planes,
        .audio_len = 11,
        .store_audio = audio,
        .gzip = gzip,
        .split = split,
        .shard_index = index,
        .shard_count = count,
    };
    return m;
}

static const char *const fx_instruments[] = {"fluidr3/0/0 Yamaha Grand Piano",
                                             "timgm6mb/0/73 Flûte", "fluidr3/128/0 Standard"};

/** The label of example @p id (every field varies with @p id); every third is a negative (each
 *  kind in turn) labelled as generate labels one, so that the labels pass pf_label_check. */
static UNUSED pf_label fx_label(uint64_t id)
{
    int midi = 21 + (int)(id * 7 % 88);
    pf_label l = {
        .example_id = id,
        .midi = (int16_t)midi,
        .cents = (float)((int)(id % 5) - 2) * 3.5f,
        .octave = (int8_t)(midi / 12 - 1),
        .pitch_class = (int8_t)(midi % 12),
        .velocity = (uint8_t)(40 + id % 80),
        .program = (uint8_t)(id % 128),
        .bank = (uint16_t)(id % 3 == 2 ? 128 : 0),
        .soundfont = (uint8_t)(id % 2),
        .instrument = fx_instruments[id % 3],
        .segment = (uint8_t)(id % PF_SEG_COUNT),
        .segment_offset = (int32_t)(id * 1000) - 500,
        .rms_dbfs = -20.0f - (float)id / 8,
        .volume = 0.5f + (float)id / 64,
        .strip_fundamental = (uint8_t)(id % 4 == 1),
        .noise_snr_db = id % 2 ? 30.0f + (float)id : NAN,
        .measured_f0_hz = id % 5 == 3 ? 0 : 440.25f + (float)id,
        .pitch_error_cents = id % 5 == 3 ? NAN : 1.25f * (float)id,
        .pitch_check = (uint8_t)(id % 5),
        .source = (uint8_t)(id % 3 == 1 ? 1 + id / 3 % 6 : PF_SOURCE_NOTE),
    };
    l.f0_hz = 440.0 * pow(2.0, (midi - 69 + l.cents / 100.0) / 12.0);
    if (l.source != PF_SOURCE_NOTE)
        l.midi = l.octave = l.pitch_class = -1, l.cents = 0, l.f0_hz = 0;
    return l;
}

/** 1 when example @p id is written with f0_frames NULL (f0_hz at every column). */
static UNUSED int fx_f0_steady(uint64_t id)
{
    return id % 4 == 0;
}

/** f0 of example @p id at column @p k as written: f0_hz for steady ids, else a glide with
 *  every fifth column unvoiced (0). */
static UNUSED float fx_f0_frame(uint64_t id, size_t k)
{
    double f0 = fx_label(id).f0_hz;
    if (fx_f0_steady(id)) return (float)f0;
    return (k + id) % 5 == 0 ? 0.0f : (float)(f0 * (1.0 + 0.002 * (double)k));
}

/** Fill @p out[@p frames] with fx_f0_frame(@p id, k). */
static UNUSED void fx_f0_frames(uint64_t id, float *out, size_t frames)
{
    for (size_t k = 0; k < frames; k++)
        out[k] = fx_f0_frame(id, k);
}

/** Spectrogram value of example @p id at flat index @p k. */
static UNUSED float fx_spec(uint64_t id, size_t k)
{
    return (float)(sin(0.37 * (double)id + 0.011 * (double)k) * (1.0 + (double)(k % 7)));
}

/** Fill @p spec (@p len floats) and @p audio (audio_len of the store type) for @p id. */
static UNUSED void fx_example(uint64_t id, float *spec, size_t len, const pf_shard_meta *m,
                              void *audio)
{
    for (size_t k = 0; k < len; k++)
        spec[k] = fx_spec(id, k);
    for (size_t k = 0; k < m->audio_len && audio; k++) {
        double v = sin(0.1 * (double)(id + k));
        if (m->store_audio == PF_AUDIO_INT16)
            ((int16_t *)audio)[k] = (int16_t)(v * 32000);
        else
            ((float *)audio)[k] = (float)v;
    }
}

/** Write a shard of @p n examples with ids first_id.. to @p path; 0 or -1 with @p err. */
static UNUSED int fx_write_shard(const char *path, const pf_shard_meta *m, size_t n,
                                 uint64_t first_id, pf_error *err)
{
    size_t len = m->planes * m->bins * m->frames;
    float *spec = malloc(len * sizeof *spec), *f0 = malloc(m->frames * sizeof *f0);
    float audio[64];
    pf_shard_writer *w = pf_shard_create(path, m, err);
    int rc = w ? 0 : -1;
    for (size_t i = 0; i < n && !rc; i++) {
        pf_label l = fx_label(first_id + i);
        fx_example(first_id + i, spec, len, m, audio);
        fx_f0_frames(first_id + i, f0, m->frames);
        l.f0_frames = fx_f0_steady(first_id + i) ? NULL : f0;
        rc = pf_shard_append(w, &l, spec, m->store_audio ? audio : NULL, err);
    }
    free(f0);
    if (!rc) {
        pf_shard_count_reject(w, PF_REJECT_SILENT, 3);
        pf_shard_count_reject(w, PF_REJECT_PITCH, first_id + 1);
        rc = pf_shard_commit(w, NULL, err);
    } else {
        pf_shard_abort(w);
    }
    free(spec);
    return rc;
}

/** Print a float for JSON (NaN as the token NaN, which Python's json accepts). */
static UNUSED void fx_json_num(FILE *f, double v, int digits)
{
    if (isnan(v))
        fprintf(f, "NaN");
    else
        fprintf(f, "%.*g", digits, v);
}

/** Write the labels of ids first..first+n-1 as JSON columns to @p f. */
static UNUSED void fx_json_labels(FILE *f, uint64_t first, size_t n)
{
#define FX_COL(name, expr, digits)                                                                 \
    fprintf(f, "  \"%s\": [", name);                                                               \
    for (size_t i = 0; i < n; i++) {                                                               \
        pf_label l = fx_label(first + i);                                                          \
        fx_json_num(f, (double)(expr), digits);                                                    \
        fprintf(f, i + 1 < n ? ", " : "");                                                         \
    }                                                                                              \
    fprintf(f, "],\n");
    FX_COL("f0_hz", l.f0_hz, 17);
    FX_COL("midi", l.midi, 17);
    FX_COL("cents", l.cents, 9);
    FX_COL("octave", l.octave, 17);
    FX_COL("pitch_class", l.pitch_class, 17);
    FX_COL("velocity", l.velocity, 17);
    FX_COL("program", l.program, 17);
    FX_COL("bank", l.bank, 17);
    FX_COL("soundfont", l.soundfont, 17);
    FX_COL("segment", l.segment, 17);
    FX_COL("example_id", l.example_id, 20);
    FX_COL("rms_dbfs", l.rms_dbfs, 9);
    FX_COL("volume", l.volume, 9);
    FX_COL("strip_fundamental", l.strip_fundamental, 17);
    FX_COL("noise_snr_db", l.noise_snr_db, 9);
    FX_COL("segment_offset", l.segment_offset, 17);
    FX_COL("measured_f0_hz", l.measured_f0_hz, 9);
    FX_COL("pitch_error_cents", l.pitch_error_cents, 9);
    FX_COL("pitch_check", l.pitch_check, 17);
    FX_COL("source", l.source, 17);
#undef FX_COL
    fprintf(f, "  \"instrument\": [");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "\"%s\"%s", fx_label(first + i).instrument, i + 1 < n ? ", " : "");
    fprintf(f, "]\n");
}

/** Write @p n examples' spectrograms (ids first..) as raw float32 to @p spec_path and their
 *  audio (store type) to @p audio_path. */
static UNUSED void fx_raw(const char *spec_path, const char *audio_path, const pf_shard_meta *m,
                          uint64_t first, size_t n)
{
    size_t len = m->planes * m->bins * m->frames;
    float *spec = malloc(len * sizeof *spec), audio[64];
    FILE *f = fopen(spec_path, "wb"), *a = fopen(audio_path, "wb");
    for (size_t i = 0; i < n; i++) {
        fx_example(first + i, spec, len, m, audio);
        fwrite(spec, sizeof *spec, len, f);
        fwrite(audio, m->store_audio == PF_AUDIO_INT16 ? 2 : 4, m->audio_len, a);
    }
    fclose(f);
    fclose(a);
    free(spec);
}

/** Write what a shard written by fx_write_shard(m, n, first) must hold as JSON to @p path. */
static UNUSED void fx_json_expect(const char *path, const pf_shard_meta *m, uint64_t first,
                                  size_t n)
{
    static const char *const audio_names[] = {"none", "int16", "float32"};
    FILE *f = fopen(path, "w");
    fprintf(f,
            "{\"n\": %zu, \"planes\": %zu, \"bins\": %zu, \"frames\": %zu, "
            "\"audio\": \"%s\", \"audio_len\": %zu, \"gzip\": %d,\n",
            n, m->planes, m->bins, m->frames, audio_names[m->store_audio], m->audio_len, m->gzip);
    fprintf(f,
            "\"attrs\": {\"schema\": \"%s\", \"generator_version\": \"%s\", "
            "\"manifest_sha256\": \"%s\", \"seed\": %llu, \"fluidsynth_version\": \"%s\", "
            "\"libsamplerate_version\": \"%s\", \"fftw_version\": \"%s\", "
            "\"hdf5_version\": \"%s\", \"sample_rate\": %g, \"stft_window\": \"hann\", "
            "\"stft_length\": %d, \"stft_overlap\": %d, \"stft_nfft\": %d, "
            "\"spectrogram_mode\": \"%s\", \"spectrogram_scaling\": \"%s\", "
            "\"split\": \"%s\", \"shard_index\": %d, \"shard_count\": %d, "
            "\"n_examples\": %zu, \"rejected_silent\": 3, \"rejected_clipped\": 0, "
            "\"rejected_nonfinite\": 0, \"rejected_pitch\": %llu, "
            "\"soundfont_ids\": [\"%s\", \"%s\"], \"soundfont_sha256\": [\"%s\", \"%s\"]},\n",
            PF_SHARD_SCHEMA, m->generator_version, m->manifest_sha256, (unsigned long long)m->seed,
            m->fluidsynth_version, m->libsamplerate_version, m->fftw_version, pf_hdf5_version(),
            m->sample_rate, m->stft_length, m->stft_overlap, m->stft_nfft, m->spectrogram_mode,
            m->spectrogram_scaling, m->split, m->shard_index, m->shard_count, n,
            (unsigned long long)(first + 1), fx_sf_ids[0], fx_sf_ids[1], fx_sf_sha[0],
            fx_sf_sha[1]);
    fprintf(f, "\"labels\": {\n");
    fx_json_labels(f, first, n);
    fprintf(f, "  ,\"f0_frames\": [");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s[", i ? ", " : "");
        for (size_t k = 0; k < m->frames; k++)
            fprintf(f, "%s%.9g", k ? ", " : "", fx_f0_frame(first + i, k));
        fprintf(f, "]");
    }
    fprintf(f, "]\n}}\n");
    fclose(f);
}

/** Run `$PY tests/ref/<script> args` (from the repo root); returns its exit status. */
static UNUSED int fx_python(const char *script, const char *args)
{
    const char *py = getenv("PY");
    const char *src = getenv("PF_SRC");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s/tests/ref/%s %s 2>&1", py && *py ? py : "/usr/bin/python3",
             src && *src ? src : ".", script, args);
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    char line[1024];
    while (fgets(line, sizeof line, p))
        fprintf(stderr, "    [%s] %s", script, line);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/** 1 when @p path exists. */
static UNUSED int fx_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

#endif
