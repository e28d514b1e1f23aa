/* pitchforge: a shard or dataset.h5 described for a reader. */
#ifndef PITCHFORGE_INSPECT_H
#define PITCHFORGE_INSPECT_H

#include "pitchforge/error.h"
#include <stdio.h>

/** Print schema, counts, label histograms and attributes of a shard or dataset.h5 to @p out. */
int pf_inspect(const char *path, FILE *out, pf_error *err);

#endif
