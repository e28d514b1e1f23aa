/* pitchforge: the dataset card, DIR/README.md, written from the shards alone. */
#ifndef PITCHFORGE_CARD_H
#define PITCHFORGE_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"

/** Counts the dataset card gathers from the shards. */
typedef struct pf_card_counts {
    size_t examples[PF_SPLIT_COUNT];
    size_t per_kind[PF_SEG_COUNT];
    size_t per_source[PF_SOURCE_COUNT]; /**< notes, then negatives by kind */
    uint64_t rejected[PF_REJECT_COUNT];
} pf_card_counts;

/**
 * Write the dataset card DIR/README.md from the shards alone (labels and attributes): counts
 * per split, segment, octave and audit verdict, rejected segments by reason, each instrument's
 * split, median pitch offset and octave-error share, the manifest.
 * @param command  the command to name as the maker; @p seconds > 0 is reported as run time
 * @param counts   out (may be NULL): the totals
 */
int pf_card_write(const char *dir, const char *command, double seconds, pf_card_counts *counts,
                  pf_error *err);

#endif
