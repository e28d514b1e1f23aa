/* Units, descriptions and dimension scales, so that h5ls -v / h5dump say what a file holds. */
#include "store/describe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

const char *const pf_describe_scale_attrs[PF_DESCRIBE_N_SCALE_ATTRS] = {
    "DIMENSION_LIST", "DIMENSION_LABELS", "REFERENCE_LIST", "CLASS", "NAME"};

/** One label: its units ("none": a category, an id or text) and what it is. */
typedef struct label_doc {
    const char *name, *units, *description;
} label_doc;

static const label_doc labels[] = {
    {"f0_hz", "Hz", "requested pitch: 440 * 2^((midi - 69 + cents / 100) / 12); 0 for a negative"},
    {"midi", "none", "MIDI key played (C4 = 60); -1 for a negative"},
    {"cents", "cents", "detune applied in the synth"},
    {"octave", "none", "midi / 12 - 1 (C4 is octave 4)"},
    {"pitch_class", "none", "midi mod 12, C = 0"},
    {"velocity", "none", "MIDI velocity, 1..127"},
    {"program", "none", "General MIDI program, 0..127"},
    {"bank", "none", "soundfont bank"},
    {"soundfont", "none", "index into the root attribute soundfont_ids"},
    {"instrument", "none", "soundfont id / bank / program and preset name"},
    {"segment", "none", "which part of the note the window holds (enum)"},
    {"example_id", "none", "stable id of the example in the generation plan"},
    {"rms_dbfs", "dBFS", "level of the raw segment before augmentation"},
    {"volume", "1", "linear gain applied after peak normalization"},
    {"strip_fundamental", "none", "the fundamental was notched out (bool)"},
    {"noise_snr_db", "dB", "signal-to-noise ratio of the added noise; NaN when none"},
    {"segment_offset", "samples", "first sample of the segment in the note's render at the "
                                  "audio rate"},
    {"measured_f0_hz", "Hz", "independent YIN estimate on the raw segment; 0 = unvoiced"},
    {"pitch_error_cents", "cents", "1200 * log2(measured_f0_hz / f0_hz); NaN when unvoiced or "
                                   "not checked"},
    {"pitch_check", "none", "label audit verdict (enum)"},
    {"source", "none", "a note, or the kind of negative example (enum)"},
    {"f0_frames", "Hz", "f0 the synth played at each spectrogram column (dimension 1, time_s); "
                        "0 = unvoiced"},
};
#define N_LABELS (sizeof labels / sizeof labels[0])

static int write_axis(pf_h5id root, const char *name, const double *v, size_t n, const char *units,
                      const char *what, pf_error *err)
{
    pf_h5id t = pf_h5_type(PF_H5_F64);
    int rc = pf_h5_write_1d(root, name, t, n, v, err) ||
             pf_h5_describe(root, name, units, what, err);
    pf_h5_close(t);
    return rc ? -1 : 0;
}

int pf_describe_axes(pf_h5id root, const pf_axes *a, pf_error *err)
{
    size_t n = a->bins > a->frames ? a->bins : a->frames;
    double *v = pf_calloc(n ? n : 1, sizeof *v);
    for (size_t k = 0; k < a->bins; k++)
        v[k] = (double)k * a->rate_hz / a->nfft;
    int rc = write_axis(root, "freq_hz", v, a->bins, "Hz", "centre frequency of each "
                        "spectrogram bin: k * sample_rate / stft_nfft", err);
    for (size_t k = 0; k < a->frames; k++)
        v[k] = (a->length / 2 + (double)k * (a->length - a->overlap)) / a->rate_hz;
    rc = rc || write_axis(root, "time_s", v, a->frames, "s", "centre of each spectrogram column "
                          "from the segment's first sample: (stft_length / 2 + k * hop) / "
                          "sample_rate", err);
    free(v);
    return rc ? -1 : 0;
}

/* The spectrogram's units for its mode and scaling (FS: full scale, the audio / its scale). */
static const char *spec_units(const pf_axes *a)
{
    int density = !strcmp(a->scaling, "density");
    if (!strcmp(a->mode, "psd")) return density ? "FS^2/Hz" : "FS^2";
    if (!strcmp(a->mode, "log-magnitude")) return density ? "ln(FS/sqrt(Hz))" : "ln(FS)";
    return density ? "FS/sqrt(Hz)" : "FS";
}

/* "group/name" (or "name" for the root) into @p buf. */
static const char *path_in(const char *group, const char *name, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s%s", group, *group ? "/" : "", name);
    return buf;
}

static int describe_spectrogram(pf_h5id root, const char *group, const pf_axes *a, pf_error *err)
{
    char p[128], what[256];
    path_in(group, "spectrogram", p, sizeof p);
    if (!pf_h5_exists(root, p)) return 0;
    unsigned f = a->planes == 2 ? 2 : 1; /* the frequency dimension */
    snprintf(what, sizeof what, "%s spectrogram (scipy.signal.spectrogram mode %s, scaling %s) "
             "of /audio; [example, %sfrequency, time]", a->mode, a->mode, a->scaling,
             a->planes == 2 ? "real/imaginary, " : "");
    return pf_h5_describe(root, p, spec_units(a), what, err) ||
                   pf_h5_dim_scale(root, NULL, p, 0, "example", err) ||
                   (a->planes == 2 && pf_h5_dim_scale(root, NULL, p, 1, "plane", err)) ||
                   pf_h5_dim_scale(root, "freq_hz", p, f, "frequency", err) ||
                   pf_h5_dim_scale(root, "time_s", p, f + 1, "time", err)
               ? -1
               : 0;
}

static int describe_audio(pf_h5id root, const char *group, pf_error *err)
{
    char p[128];
    path_in(group, "audio", p, sizeof p);
    if (!pf_h5_exists(root, p)) return 0;
    return pf_h5_describe(root, p, "FS * scale", "the segment at sample_rate, before the STFT; "
                          "divide by the attribute scale for full-scale units; [example, sample]",
                          err) ||
                   pf_h5_dim_scale(root, NULL, p, 0, "example", err) ||
                   pf_h5_dim_scale(root, NULL, p, 1, "sample", err)
               ? -1
               : 0;
}

static int describe_labels(pf_h5id root, const char *group, pf_error *err)
{
    char g[96], p[160];
    path_in(group, "labels", g, sizeof g);
    int rc = pf_h5_exists(root, g) ? pf_h5_describe(root, g, NULL, "one dataset per label; row i "
                                                    "describes example i", err) : 0;
    for (size_t i = 0; i < N_LABELS && !rc; i++) {
        path_in(g, labels[i].name, p, sizeof p);
        if (!pf_h5_exists(root, p)) continue;
        rc = pf_h5_describe(root, p, labels[i].units, labels[i].description, err) ||
             pf_h5_dim_scale(root, NULL, p, 0, "example", err) ||
             (!strcmp(labels[i].name, "f0_frames") &&
              pf_h5_dim_scale(root, "time_s", p, 1, "time", err));
    }
    return rc ? -1 : 0;
}

int pf_describe_data(pf_h5id root, const char *group, const pf_axes *a, pf_error *err)
{
    return describe_spectrogram(root, group, a, err) || describe_audio(root, group, err) ||
                   describe_labels(root, group, err)
               ? -1
               : 0;
}

/* @p pattern with x replaced by the spectrogram's units @p u: "ln(x)" -> "ln(FS/sqrt(Hz))". */
static void stats_units(const char *pattern, const char *u, char *buf, size_t size)
{
    const char *x = strchr(pattern, 'x');
    if (!x) {
        snprintf(buf, size, "%s", pattern);
        return;
    }
    int bare = x[1] != '^'; /* "x^2" needs parentheses around a compound unit */
    snprintf(buf, size, bare ? "%.*s%s%s" : "%.*s(%s)%s", (int)(x - pattern), pattern, u, x + 1);
}

int pf_describe_stats(pf_h5id root, const pf_axes *a, int index, pf_error *err)
{
    static const label_doc shard[] = {
        {"sum", "x", "per bin, over every example and column: sum of the values x"},
        {"sumsq", "x^2", "per bin: sum of the squared values"},
        {"log_sum", "ln(x)", "per bin: sum of ln(|x| + 1e-6)"},
        {"log_sumsq", "ln(x)^2", "per bin: sum of ln(|x| + 1e-6)^2"},
        {"count", "1", "per bin: values summed (examples x columns)"}};
    static const label_doc dataset[] = {
        {"mean", "x", "train split, per bin: mean of the spectrogram values x"},
        {"std", "x", "train split, per bin: standard deviation (population)"},
        {"log_mean", "ln(x)", "train split, per bin: mean of ln(|x| + 1e-6)"},
        {"log_std", "ln(x)", "train split, per bin: standard deviation of ln(|x| + 1e-6)"},
        {"count", "1", "train split, per bin: values behind the statistics (examples x columns)"}};
    const label_doc *d = index ? dataset : shard;
    char p[64], units[64];
    int rc = 0;
    for (int i = 0; i < 5 && !rc; i++) {
        path_in("stats", d[i].name, p, sizeof p);
        if (!pf_h5_exists(root, p)) continue;
        stats_units(d[i].units, spec_units(a), units, sizeof units);
        rc = pf_h5_describe(root, p, units, d[i].description, err) ||
             (a->planes == 1 && pf_h5_dim_scale(root, "freq_hz", p, 0, "frequency", err));
    }
    return rc ? -1 : 0;
}
