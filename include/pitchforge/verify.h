/* pitchforge: checking shards and a dataset folder: whole, of this manifest, against their
 * checksums. */
#ifndef PITCHFORGE_VERIFY_H
#define PITCHFORGE_VERIFY_H

#include "pitchforge/error.h"
#include <stddef.h>
#include <stdio.h>

/**
 * Check that the shard at @p path is whole and belongs to this run: schema pitchforge-shard/2;
 * /labels/f0_frames float [N, frames], every value finite and >= 0; attribute manifest_sha256
 * equal to @p manifest_sha256 (not checked when NULL); attribute n_examples equal to the
 * length of /spectrogram, /audio (when present) and every /labels/<name>; every row of those
 * datasets readable (read once, in blocks of rows, about 4 MiB at a time, so a truncated file
 * or a corrupt compressed chunk is caught); and /stats/sum equal to the per-bin sums
 * recomputed from /spectrogram in the writer's order (so a changed spectrogram value is caught
 * even without a checksum), and /stats/sumsq the same way, /stats/count n_examples * frames; the
 * attributes split, shard_index and shard_count those of the file name (when @p path's last
 * part is a shard name: a shard copied over another is refused); /audio int16 or float32 of
 * rank 2; every label column of the writer present with its type, each row in range
 * (src/store/schema.h, pf_label_check: f0_hz from midi and cents, enums, negatives' -1 and 0,
 * ...) and no example_id twice. `generate --resume` uses it to decide which shards are done,
 * `index` on every shard it did not just write, `verify` on every listed shard.
 * @param path             the shard file
 * @param manifest_sha256  hex digest the shard must carry, or NULL
 * @return 0, or -1 with @p err filled (PF_ESCHEMA: another schema, another manifest, counts
 *         that disagree, sums that differ; PF_EIO: unreadable) and a message that starts with
 *         @p path and says what is wrong
 */
int pf_shard_check(const char *path, const char *manifest_sha256, pf_error *err);

/** What pf_verify found. */
typedef struct pf_verify_report {
    size_t shards;   /**< shards listed in dataset.h5's /checksums */
    size_t ok;       /**< listed shards present, with the listed sha256, passing pf_shard_check */
    size_t damaged;  /**< present but with another sha256 or failing pf_shard_check */
    size_t missing;  /**< listed but absent (or not a shard file name) */
    size_t unlisted; /**< shard files in the folder that /checksums does not list */
    size_t mismatch; /**< splits whose example or shard counts in dataset.h5 differ from the
                          shards', duplicate rows, and problems of dataset.h5 itself */
    size_t examples; /**< examples in the ok shards */
} pf_verify_report;

/**
 * Check the dataset folder @p dir against its index DIR/dataset.h5: every shard listed in
 * /checksums must exist, have the listed sha256 (pf_sha256_file) and pass pf_shard_check (with
 * the index's manifest_sha256); no other shard file may sit in @p dir; each split's example and
 * shard counts in dataset.h5 must match its shards; and dataset.h5 itself must agree with the
 * shards: /stats recomputed from the train shards' sums bit for bit (every value finite), each
 * split group's n_examples and n_shards, every /<split>/labels/<name> spanning the split, a
 * manifest_sha256 attribute, and no example_id in two shards (problem lines "index:
 * dataset.h5: ...", counted in @p rep->mismatch). Goes through every shard and writes one
 * line per problem to @p log (when non-NULL), e.g.
 * "damaged: train-00001-of-00004.h5: sha256 mismatch (...)" or "missing: val-00000-of-00001.h5:
 * listed in dataset.h5 but not in DIR".
 * @param dir  the dataset folder
 * @param rep  filled in every case (may be NULL)
 * @param log  problem lines, or NULL
 * @return 0 when all is well; -1 with @p err filled when anything is wrong (PF_ESCHEMA, message
 *         "DIR: 3 of 12 shards damaged or missing: NAME, ...") or dataset.h5 is unreadable
 *         (PF_EIO / PF_ESCHEMA)
 */
int pf_verify(const char *dir, pf_verify_report *rep, FILE *log, pf_error *err);

#endif
