/* pitchforge verify: check a dataset folder against its dataset.h5. */
#include <stdio.h>

#include "cli/cli.h"
#include "pitchforge/shard.h"
#include "pitchforge/error.h"
#include "pitchforge/verify.h"

static const char usage[] =
    "usage: pitchforge verify DIR\n"
    "\n"
    "Check every shard listed in DIR/dataset.h5: present, with the sha256 the index records,\n"
    "whole (every row of every dataset readable, counts that agree, /stats matching the data),\n"
    "from the index's manifest, named as its attributes say, every label of its type and in\n"
    "range; no example twice; no shard files the index does not list; and dataset.h5 itself:\n"
    "per-split counts and attributes, /stats as the train shards give it. Prints one line per\n"
    "problem and exits 1 when there is any, naming the damaged and missing shards; regenerate\n"
    "them (pitchforge generate --resume) and rebuild the index (pitchforge index DIR).\n";

static int run_verify(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return pf_cli_usage(&pf_cmd_verify, "a single DIR is needed");
    pf_error err = {0};
    pf_verify_report rep;
    if (pf_verify(argv[1], &rep, stderr, &err)) return pf_cli_fail(&err);
    fprintf(stderr, "verify: %zu shards ok, %zu examples\n", rep.ok, rep.examples);
    return 0;
}

const pf_command pf_cmd_verify = {"verify", "check a dataset's shards against dataset.h5", usage,
                                  run_verify};
