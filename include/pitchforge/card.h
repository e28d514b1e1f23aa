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

/**
 * pf_card_write in two steps, so that the card and dataset.h5 change together: write the card
 * to DIR/README.md.tmp (removed on failure); pf_card_publish then puts it in place.
 * @param command, seconds, counts  as for pf_card_write
 * @return 0, or -1 with @p err (README.md untouched)
 */
int pf_card_stage(const char *dir, const char *command, double seconds, pf_card_counts *counts,
                  pf_error *err);

/**
 * Rename DIR/README.md.tmp (written by pf_card_stage) to DIR/README.md when @p ok, else remove
 * it (then @p err is left alone and 0 returned).
 * @return 0, or -1 with @p err
 */
int pf_card_publish(const char *dir, int ok, pf_error *err);

#endif
