/* Per-column labels of a segment (docs/shard-format.md, "Voicing"): the pitch the synth played
 * at each spectrogram column's centre, 0 where the clean render is quiet. */
#include <math.h>
#include <stddef.h>

#include "generate/generate_int.h"
#include "pitchforge/level.h"
#include "pitchforge/pitch.h"

double pf_column_time_s(const pf_spec_config *spec, long seg_offset, size_t k)
{
    size_t hop = (size_t)(spec->length - spec->overlap);
    return ((double)seg_offset + spec->length / 2.0 + (double)(k * hop)) / spec->rate_hz;
}

/* Block @p b's offset, the first and last holding before and after the note's blocks. */
static double block_at(const pf_column_pitch *p, long b)
{
    b = b < 0 ? 0 : b >= (long)p->n_blocks ? (long)p->n_blocks - 1 : b;
    return p->blocks[b];
}

/* The played offset at @p t_s: the staircase of block values read at t, linearly between the
 * centres of the two blocks around it (the staircase's local mean, what any window sees; on a
 * steady stretch exactly the block's value). */
static double block_cents(const pf_column_pitch *p, double t_s)
{
    double u = t_s * p->synth_rate_hz / PF_EXPRESSION_BLOCK - 0.5, b = floor(u);
    double c0 = block_at(p, (long)b), c1 = block_at(p, (long)b + 1);
    return c0 + (u - b) * (c1 - c0);
}

void pf_column_f0(const pf_column_pitch *p, long seg_offset, float *f0, size_t frames)
{
    for (size_t k = 0; k < frames; k++) {
        double cents = p->cents;
        if (p->blocks)
            cents += block_cents(p, pf_column_time_s(p->spec, seg_offset, k));
        f0[k] = (float)pf_midi_to_hz(p->midi, cents);
    }
}

double pf_frame_peak_dbfs(const pf_spec_config *spec, const float *x, size_t n)
{
    size_t len = (size_t)spec->length, hop = (size_t)(spec->length - spec->overlap);
    double peak = -INFINITY;
    for (size_t i = 0; i + len <= n; i += hop) {
        double l = pf_rms_dbfs(x + i, len);
        peak = l > peak ? l : peak;
    }
    return peak;
}

void pf_column_voicing(const pf_spec_config *spec, const float *seg, size_t n, double peak_dbfs,
                       float *f0, size_t frames)
{
    size_t len = (size_t)spec->length, hop = (size_t)(spec->length - spec->overlap);
    for (size_t k = 0; k < frames && k * hop + len <= n; k++)
        if (!(pf_rms_dbfs(seg + k * hop, len) >= peak_dbfs - PF_VOICED_BELOW_PEAK_DB)) f0[k] = 0;
}
