/*
 * Measured tuning of training labels. A soundfont sample does not sound exactly at the key
 * its preset maps it to: FluidR3 and TimGM6mb keys sit a few cents off (median |offset| 3
 * cents), and the label audit's YIN sees it consistently (its estimates of one preset and key
 * agree within 0.4 cents across velocities, detunes and segments). With `target.tuning:
 * measured` the trainer moves each train label by the median audit offset of its (preset, key)
 * so that the model learns the pitch the note sounds at, not the key's nominal one.
 */
#ifndef PF_TRAIN_TUNING_H
#define PF_TRAIN_TUNING_H

#include <stddef.h>

#include "pitchforge/error.h"

/** What pf_tuning_apply did. */
typedef struct pf_tuning_report {
    size_t groups;          /**< (preset, key) groups with at least one audited example */
    size_t moved;           /**< examples whose label was moved */
    double median_shift;    /**< median |shift| over moved examples, cents */
} pf_tuning_report;

/** The measured tuning of a split. */
typedef struct pf_tuning {
    size_t n;               /**< examples (the first n of the split) */
    double *f0;             /**< [n] the split's f0_hz labels as dataset.h5 has them */
    double *shift_cents;    /**< [n] the median audit offset of the example's (preset, key);
                                 NAN when no example of the group passed the audit */
    pf_tuning_report report;
} pf_tuning;

/**
 * Measure the tuning of the first @p limit examples (0: all) of @p split of @p dataset: for
 * each preset (soundfont, bank, program) and key (`midi`), the median `pitch_error_cents` of
 * its examples whose `pitch_check` is ok. Reads dataset.h5's virtual label datasets, so call
 * it before the split's shards are opened elsewhere in the process (HDF5 reads a virtual
 * dataset's fill value from a source file open with other settings). A dataset made without
 * the label audit is refused. Release with pf_tuning_free.
 */
int pf_tuning_measure(const char *dataset, const char *split, size_t limit, pf_tuning *t,
                      pf_error *err);
/**
 * Move @p f0 [n] (the same split in the same order: checked against t->f0) by the measured
 * shifts: f0 x 2^(shift / 1200); groups without a measurement keep their labels.
 */
int pf_tuning_apply(const pf_tuning *t, size_t n, double *f0, pf_error *err);
void pf_tuning_free(pf_tuning *t);

#endif
