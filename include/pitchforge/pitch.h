/* pitchforge: pitch units in one place: MIDI keys, Hz, cents and note names. */
#ifndef PITCHFORGE_PITCH_H
#define PITCHFORGE_PITCH_H

#include <stddef.h>

/** f0 in Hz of @p midi detuned by @p cents: 440 * 2^((midi - 69 + cents/100) / 12) (pow), the
 *  formula of every stored label (DESIGN §1). */
double pf_midi_to_hz(double midi, double cents);
/** A continuous MIDI pitch in Hz, 440 * exp2((midi - 69) / 12): the model's bins and the
 *  harmonics layer. exp2 and pow differ in the last bit for about 1 argument in 1000, so the
 *  two stay apart: each keeps the bits of what was computed with it. */
double pf_midi_to_hz_exp2(double midi);
/** The continuous MIDI pitch of @p hz: 69 + 12 log2(hz / 440). */
double pf_hz_to_midi(double hz);
/** Cents from @p ref_hz to @p hz: 1200 log2(hz / ref_hz) (no checks: see pf_cents_error). */
double pf_cents(double hz, double ref_hz);
/** The frequency ratio of @p cents: 2^(cents / 1200). */
double pf_cents_ratio(double cents);

/** "C", "C#", "D", ... "B": pitch class k's name. */
extern const char *const pf_pitch_class_names[12];
/** Parse a note name ("A4", "C#3", "Bb-1") into a MIDI key; -1 if not a note. */
int pf_note_parse(const char *name);
/** Write the name of MIDI key @p midi ("C#4") into @p buf (at least 8 bytes). */
void pf_note_name(int midi, char *buf, size_t size);
/**
 * Name the note nearest @p f0_hz and the offset from it: "A4" and +12 for 445 Hz (+50 reads as
 * the note above, -50).
 * @param name  at least 8 bytes
 */
void pf_pitch_note(double f0_hz, char *name, size_t size, int *cents);

#endif
