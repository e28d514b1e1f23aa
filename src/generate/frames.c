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

size_t pf_column_count(const pf_spec_config *spec, size_t n)
{
    size_t bins, frames;
    pf_spec_shape(spec, n, &bins, &frames);
    return frames;
}

double pf_column_dbfs(const pf_spec_config *spec, const float *x, size_t k)
{
    return pf_rms_dbfs(x + k * (size_t)(spec->length - spec->overlap), (size_t)spec->length);
}

int pf_column_voiced(double dbfs, double peak_dbfs)
{
    return dbfs >= peak_dbfs - PF_VOICED_BELOW_PEAK_DB;
}

double pf_frame_peak_dbfs(const pf_spec_config *spec, const float *x, size_t n)
{
    double peak = -INFINITY;
    for (size_t k = 0, m = pf_column_count(spec, n); k < m; k++) {
        double l = pf_column_dbfs(spec, x, k);
        peak = l > peak ? l : peak;
    }
    return peak;
}

void pf_column_voicing(const pf_spec_config *spec, const float *seg, size_t n, double peak_dbfs,
                       float *f0, size_t frames)
{
    for (size_t k = 0, m = pf_column_count(spec, n); k < frames && k < m; k++)
        if (!pf_column_voiced(pf_column_dbfs(spec, seg, k), peak_dbfs)) f0[k] = 0;
}
