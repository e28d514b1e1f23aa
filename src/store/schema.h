/* The one schema check of shards and dataset indexes, shared by the readers, verify, inspect
 * and the trainer's loader (STYLE rule 10: say which version was found and what to do). */
#ifndef PF_STORE_SCHEMA_H
#define PF_STORE_SCHEMA_H

#include "io/h5.h"
#include "pitchforge/error.h"

/**
 * Check that root attribute `schema` of the open file @p f is @p want (PF_SHARD_SCHEMA or
 * PF_DATASET_SCHEMA). Otherwise fill @p err (PF_ESCHEMA) with a message naming @p path (left out
 * when NULL, for callers that prefix it), the schema found, the one expected and what to do:
 * regenerate the dataset with this version, or use the pitchforge that wrote it (named from the
 * file's `generator_version` when it has one). A shard given for an index (or the reverse) is
 * said to be one.
 * @return 0 or -1
 */
int pf_schema_check(pf_h5id f, const char *path, const char *want, pf_error *err);

/**
 * Check that every shard the dataset index @p f (opened from @p path) lists in /checksums
 * exists beside it and HDF5 opens it: a read through the virtual datasets would return fill
 * values for a lost or truncated shard instead of failing. Call it once per open of dataset.h5.
 * @param split  only the shards of this split ("train", ...), or NULL for all of them
 * @return 0, or -1 with @p err (PF_EIO naming the shard and suggesting `pitchforge verify DIR`;
 *         PF_ESCHEMA when there is no /checksums)
 */
int pf_dataset_check_sources(pf_h5id f, const char *path, const char *split, pf_error *err);

#endif
