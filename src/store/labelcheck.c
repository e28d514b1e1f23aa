/* pf_label_check: is one stored label row what generate writes (ranges, and the labels that
 * follow from others), so that a NaN, a 1e30 or a stray enum in a shard is refused. */
#include <inttypes.h>
#include <math.h>

#include "pitchforge/example.h"
#include "pitchforge/pitch.h"
#include "store/schema.h"

/** One rule: the label it reads, what must hold (for the message), and the test. */
typedef struct label_rule {
    const char *name;
    const char *must;
    double (*value)(const pf_label *l);
    int (*ok)(const pf_label *l);
} label_rule;

static int is_note(const pf_label *l) { return l->source == PF_SOURCE_NOTE; }
static int nan_or_finite(double v) { return isnan(v) || isfinite(v); }

static double v_source(const pf_label *l) { return l->source; }
static double v_segment(const pf_label *l) { return l->segment; }
static double v_check(const pf_label *l) { return l->pitch_check; }
static double v_strip(const pf_label *l) { return l->strip_fundamental; }
static double v_midi(const pf_label *l) { return l->midi; }
static double v_octave(const pf_label *l) { return l->octave; }
static double v_class(const pf_label *l) { return l->pitch_class; }
static double v_cents(const pf_label *l) { return l->cents; }
static double v_f0(const pf_label *l) { return l->f0_hz; }
static double v_velocity(const pf_label *l) { return l->velocity; }
static double v_program(const pf_label *l) { return l->program; }
static double v_volume(const pf_label *l) { return l->volume; }
static double v_rms(const pf_label *l) { return l->rms_dbfs; }
static double v_snr(const pf_label *l) { return l->noise_snr_db; }
static double v_measured(const pf_label *l) { return l->measured_f0_hz; }
static double v_error(const pf_label *l) { return l->pitch_error_cents; }

static int ok_source(const pf_label *l) { return l->source < PF_SOURCE_COUNT; }
static int ok_segment(const pf_label *l) { return l->segment < PF_SEG_COUNT; }
static int ok_check(const pf_label *l) { return l->pitch_check < PF_PITCH_CHECK_COUNT; }
static int ok_strip(const pf_label *l) { return l->strip_fundamental <= 1; }
static int ok_midi(const pf_label *l)
{
    return is_note(l) ? l->midi >= 0 && l->midi <= 127 : l->midi == -1;
}
static int ok_octave(const pf_label *l)
{
    return l->octave == (is_note(l) ? l->midi / 12 - 1 : -1);
}
static int ok_class(const pf_label *l)
{
    return l->pitch_class == (is_note(l) ? l->midi % 12 : -1);
}
static int ok_cents(const pf_label *l)
{
    return is_note(l) ? fabsf(l->cents) <= PF_LABEL_MAX_CENTS : l->cents == 0;
}
/** f0_hz is pf_midi_to_hz(midi, cents) to 1e-9 (the writer's own formula: libm may differ by an
 *  ulp elsewhere), 0 for a negative. NaN fails every comparison. */
static int ok_f0(const pf_label *l)
{
    double want = is_note(l) ? pf_midi_to_hz(l->midi, l->cents) : 0;
    return fabs(l->f0_hz - want) <= 1e-9 * want;
}
static int ok_velocity(const pf_label *l) { return l->velocity <= 127; }
static int ok_program(const pf_label *l) { return l->program <= 127; }
static int ok_volume(const pf_label *l) { return isfinite(l->volume) && l->volume >= 0; }
static int ok_rms(const pf_label *l) { return !isnan(l->rms_dbfs) && l->rms_dbfs < INFINITY; }
static int ok_snr(const pf_label *l) { return nan_or_finite(l->noise_snr_db); }
static int ok_measured(const pf_label *l)
{
    return l->measured_f0_hz >= 0 && l->measured_f0_hz < PF_LABEL_MAX_HZ;
}
static int ok_error(const pf_label *l) { return nan_or_finite(l->pitch_error_cents); }

/* source first: the rules after it depend on whether the row is a note. */
static const label_rule rules[] = {
    {"source", "one of the enum's 7 values", v_source, ok_source},
    {"segment", "one of the enum's 6 values", v_segment, ok_segment},
    {"pitch_check", "one of the enum's 5 values", v_check, ok_check},
    {"strip_fundamental", "0 or 1", v_strip, ok_strip},
    {"midi", "0..127 for a note, -1 for a negative", v_midi, ok_midi},
    {"octave", "midi / 12 - 1 (-1 for a negative)", v_octave, ok_octave},
    {"pitch_class", "midi mod 12 (-1 for a negative)", v_class, ok_class},
    {"cents", "within +-100 for a note, 0 for a negative", v_cents, ok_cents},
    {"f0_hz", "440 * 2^((midi - 69 + cents/100) / 12) for a note, 0 for a negative", v_f0,
     ok_f0},
    {"velocity", "0..127", v_velocity, ok_velocity},
    {"program", "0..127", v_program, ok_program},
    {"volume", "finite and >= 0", v_volume, ok_volume},
    {"rms_dbfs", "a number or -inf (digital silence)", v_rms, ok_rms},
    {"noise_snr_db", "finite, or NaN for no noise", v_snr, ok_snr},
    {"measured_f0_hz", "finite, >= 0 and below 1 MHz", v_measured, ok_measured},
    {"pitch_error_cents", "finite, or NaN when not measured", v_error, ok_error},
};

int pf_label_check(const pf_label *l, uint64_t row, pf_error *err)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (!rules[i].ok(l))
            return PF_FAIL(err, PF_ESCHEMA, "/labels/%s row %" PRIu64 " holds %g (it must be %s)",
                           rules[i].name, row, rules[i].value(l), rules[i].must);
    return 0;
}
