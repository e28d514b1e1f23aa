/* pitchforge: a shard or dataset.h5 described for a reader. */
#ifndef PITCHFORGE_INSPECT_H
#define PITCHFORGE_INSPECT_H

#include "pitchforge/error.h"
#include <stdio.h>

/** Print schema, counts, label histograms and attributes of a shard or dataset.h5 to @p out. */
int pf_inspect(const char *path, FILE *out, pf_error *err);
/** Print a model or ensemble file to @p out: per network its target, input, spectrogram
 *  settings, training data (manifest sha256), layers with output shapes and parameter counts,
 *  and the training config (pf_inspect calls it for such files). */
int pf_model_inspect(const char *path, FILE *out, pf_error *err);

#endif
