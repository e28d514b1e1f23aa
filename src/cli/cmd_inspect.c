/* pitchforge inspect: what a shard or dataset.h5 holds. */
#include <stdio.h>

#include "cli/cli.h"
#include "pitchforge/shard.h"
#include "pitchforge/error.h"
#include "pitchforge/inspect.h"

static const char usage[] =
    "usage: pitchforge inspect FILE\n"
    "\n"
    "Print the schema, shapes, counts, label histograms and attributes of a shard or of\n"
    "dataset.h5 (every /stats dataset too); of a model or ensemble file (model.h5,\n"
    "models/pitch.h5): per network its target, input, spectrogram settings, the training\n"
    "data's manifest sha256, each layer with its output shape and parameter count, and the\n"
    "training config.\n";

static int run_inspect(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return pf_cli_usage(&pf_cmd_inspect, "a single FILE is needed");
    if (pf_cli_file_arg(&pf_cmd_inspect, argv[1])) return 2;
    pf_error err = {0};
    return pf_inspect(argv[1], stdout, &err) ? pf_cli_fail(&err) : 0;
}

const pf_command pf_cmd_inspect = {"inspect", "show what a shard, dataset.h5 or model file holds", usage,
                                   run_inspect};
