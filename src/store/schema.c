/* pf_schema_check: refuse another schema or version, saying which and what to do. */
#include "store/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pitchforge/dataset.h"
#include "pitchforge/shard.h"
#include "pitchforge/version.h"

/** String attribute @p name of @p f, or NULL when absent (pf_malloc'd). */
static char *attr_or_null(pf_h5id f, const char *name)
{
    return pf_h5_attr_exists(f, name) ? pf_h5_attr_read_str(f, name, NULL) : NULL;
}

/** The message for a file of another schema or version @p got. */
static int other_version(pf_h5id f, const char *at, const char *got, const char *want,
                         pf_error *err)
{
    char *by = attr_or_null(f, "generator_version");
    int rc =
        PF_FAIL(err, PF_ESCHEMA,
                "%sschema '%s', but this pitchforge (%s) reads '%s': regenerate the dataset "
                "with this version (pitchforge generate MANIFEST), or use %s%s",
                at, got, PF_VERSION, want, by && *by ? by : "the pitchforge release that wrote it",
                by && *by ? ", which wrote it" : "");
    free(by);
    return rc;
}

int pf_schema_check(pf_h5id f, const char *path, const char *want, pf_error *err)
{
    char at[1100] = "";
    if (path) snprintf(at, sizeof at, "%.1000s: ", path);
    char *got = attr_or_null(f, "schema");
    int rc = 0;
    if (!got)
        rc = PF_FAIL(err, PF_ESCHEMA, "%sno schema attribute: not a pitchforge file (expected %s)",
                     at, want);
    else if (!strcmp(got, want))
        rc = 0;
    else if (!strcmp(got, PF_DATASET_SCHEMA))
        rc = PF_FAIL(err, PF_ESCHEMA,
                     "%sa dataset index (schema %s), not a shard (%s): read a split of it with "
                     "pf_dataset_* or `pitchforge inspect`",
                     at, got, want);
    else if (!strcmp(got, PF_SHARD_SCHEMA))
        rc = PF_FAIL(err, PF_ESCHEMA,
                     "%sa shard (schema %s), not a dataset index (%s): give the dataset.h5 beside "
                     "it (pitchforge index DIR builds it)",
                     at, got, want);
    else
        rc = other_version(f, at, got, want, err);
    free(got);
    return rc;
}
