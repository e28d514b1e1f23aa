/* A note's pitch curve (include/pitchforge/expression.h, docs/expression.md). */
#include "pitchforge/expression.h"

#include <math.h>

/* 0 before @p t0, 1 after t0 + @p len, a raised cosine between (a step at t0 when len is 0). */
static double ramp(double t, double t0, double len)
{
    if (t <= t0) return 0;
    if (len <= 0 || t >= t0 + len) return 1;
    return 0.5 - 0.5 * cos(M_PI * (t - t0) / len);
}

static double vibrato(const pf_expression *e, double t)
{
    if (!(e->vib_rate_hz > 0) || e->vib_depth_cents == 0 || t < e->vib_delay_s) return 0;
    double u = t - e->vib_delay_s, fade = ramp(u, 0, 1.0 / e->vib_rate_hz);
    return fade * e->vib_depth_cents * sin(2 * M_PI * (e->vib_rate_hz * u + e->vib_phase));
}

double pf_expression_cents(const pf_expression *e, double t_s)
{
    double c = e->scoop_cents * (1 - ramp(t_s, 0, e->scoop_s));
    c += e->fall_cents * ramp(t_s, e->fall_start_s, e->fall_s);
    c += e->glide_cents * ramp(t_s, e->glide_start_s, e->glide_s);
    return c + vibrato(e, t_s);
}

void pf_expression_blocks(const pf_expression *e, double rate_hz, int32_t *out, size_t n_blocks)
{
    for (size_t b = 0; b < n_blocks; b++) {
        double t = ((double)(b * PF_EXPRESSION_BLOCK) + PF_EXPRESSION_BLOCK / 2.0) / rate_hz;
        out[b] = (int32_t)lround(pf_expression_cents(e, t));
    }
}

int pf_expression_moves(const pf_expression *e)
{
    return (e->vib_rate_hz > 0 && e->vib_depth_cents != 0) || e->scoop_cents != 0 ||
           e->fall_cents != 0 || e->glide_cents != 0;
}
