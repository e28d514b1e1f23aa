/* Pitch units (pitchforge/pitch.h). */
#include "pitchforge/pitch.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

const char *const pf_pitch_class_names[12] = {"C",  "C#", "D",  "D#", "E",  "F",
                                              "F#", "G",  "G#", "A",  "A#", "B"};

double pf_midi_to_hz(double midi, double cents)
{
    return 440.0 * pow(2.0, (midi - 69.0 + cents / 100.0) / 12.0);
}

double pf_midi_to_hz_exp2(double midi)
{
    return 440.0 * exp2((midi - 69.0) / 12.0);
}

double pf_hz_to_midi(double hz)
{
    return 69.0 + 12.0 * log2(hz / 440.0);
}

double pf_cents(double hz, double ref_hz)
{
    return 1200.0 * log2(hz / ref_hz);
}

double pf_cents_ratio(double cents)
{
    return pow(2.0, cents / 1200.0);
}

int pf_note_parse(const char *s)
{
    static const int base[7] = {9, 11, 0, 2, 4, 5, 7}; /* A B C D E F G */
    char c = (char)toupper((unsigned char)s[0]);
    if (c < 'A' || c > 'G') return -1;
    int pc = base[c - 'A'];
    const char *p = s + 1;
    if (*p == '#' || *p == 'b') pc += *p++ == '#' ? 1 : -1;
    char *end;
    long oct = strtol(p, &end, 10);
    if (end == p || *end || oct < -1 || oct > 9) return -1;
    long midi = (oct + 1) * 12 + pc;
    return midi < 0 || midi > 127 ? -1 : (int)midi;
}

void pf_note_name(int midi, char *buf, size_t size)
{
    snprintf(buf, size, "%s%d", pf_pitch_class_names[((midi % 12) + 12) % 12], midi / 12 - 1);
}

void pf_pitch_note(double f0_hz, char *name, size_t size, int *cents)
{
    double midi = pf_hz_to_midi(f0_hz);
    long k = lround(midi);
    *cents = (int)lround(100.0 * (midi - (double)k));
    if (*cents == 50) /* +50 reads as the note above, -50 */
        k++, *cents = -50;
    pf_note_name((int)k, name, size);
}
