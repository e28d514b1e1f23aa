/* generate's shard attributes: versions, manifest, soundfont hashes, the key audit's findings. */
#include <stdio.h>
#include <stdlib.h>

#include "core/mem.h"
#include "generate/generate_int.h"
#include "pitchforge/checksum.h"
#include "pitchforge/error.h"
#include "pitchforge/generate.h"
#include "pitchforge/manifest.h"
#include "pitchforge/pitch.h"
#include "pitchforge/plan.h"
#include "pitchforge/resample.h"
#include "pitchforge/shard.h"
#include "pitchforge/spectrogram.h"
#include "pitchforge/synth.h"
#include "pitchforge/version.h"

/* The key audit's findings as the shards store them (attribute audit_keys_off). */
static char *excluded_keys_text(const pf_generate_report *rep)
{
    size_t cap = 1 + rep->n_excluded_keys * 160, len = 0; /* a line: < 96 + 40 bytes */
    char *t = pf_calloc(cap, 1);
    for (size_t k = 0; k < rep->n_excluded_keys && len < cap; k++) {
        const pf_excluded_key *ko = &rep->excluded_keys[k];
        char note[8];
        pf_note_name(ko->midi, note, sizeof note);
        len += (size_t)snprintf(t + len, cap - len, "%s\t%s\t%d\t%.2f\n",
                                rep->excluded_key_names[k], note, ko->velocity, ko->cents);
    }
    return t;
}

void pf_run_meta_init(run *r)
{
    const pf_manifest *m = r->m;
    pf_shard_meta *mt = &r->meta;
    const char **ids = pf_calloc(m->n_soundfonts, sizeof *ids);
    for (size_t i = 0; i < m->n_soundfonts; i++)
        ids[i] = m->soundfonts[i].id;
    size_t bins, frames, seg = pf_manifest_segment_len(m);
    pf_spec_shape(&m->spectrogram, seg, &bins, &frames);
    *mt = (pf_shard_meta){.generator_version = "pitchforge " PF_VERSION,
                          .manifest_text = m->text,
                          .manifest_sha256 = m->sha256,
                          .seed = m->seed,
                          .soundfont_ids = ids,
                          .soundfont_sha256 = (const char *const *)r->sf_sha,
                          .n_soundfonts = m->n_soundfonts,
                          .fluidsynth_version = pf_synth_version(),
                          .libsamplerate_version = pf_resampler_version(),
                          .resampler = pf_resampler_name(m->audio.resampler),
                          .resampler_version = pf_resampler_kind_version(m->audio.resampler),
                          .fftw_version = pf_fft_version(),
                          .sample_rate = m->audio.rate_hz,
                          .stft_length = m->spectrogram.length,
                          .stft_overlap = m->spectrogram.overlap,
                          .stft_nfft = m->spectrogram.nfft,
                          .spectrogram_mode = pf_spec_mode_names[m->spectrogram.mode],
                          .spectrogram_scaling = pf_spec_scaling_names[m->spectrogram.scaling],
                          .bins = bins,
                          .frames = frames,
                          .planes = m->spectrogram.mode == PF_SPEC_COMPLEX ? 2 : 1,
                          .audio_len = seg,
                          .store_audio = m->store.audio,
                          .store_spec = m->store.spectrogram,
                          .gzip = m->store.gzip};
    r->excluded_keys = excluded_keys_text(r->rep);
    mt->audit_keys_off = r->excluded_keys;
    mt->steady_pitch = m->render.steady_pitch;
}

int pf_run_hash_soundfonts(run *r, pf_error *err)
{
    r->sf_sha = pf_calloc(r->m->n_soundfonts, sizeof *r->sf_sha);
    for (size_t i = 0; i < r->m->n_soundfonts; i++) {
        r->sf_sha[i] = pf_calloc(65, 1);
        if (pf_sha256_file(r->m->soundfonts[i].path, r->sf_sha[i], err)) return -1;
    }
    return 0;
}
