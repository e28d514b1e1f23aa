/* pitchforge index: rebuild dataset.h5 from finished shards. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/lock.h"
#include "pitchforge/generate.h"
#include "pitchforge/card.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"

static const char usage[] =
    "usage: pitchforge index DIR\n"
    "\n"
    "(Re)build DIR/dataset.h5 from the shards in DIR: virtual datasets per split, /stats and\n"
    "/checksums, and the dataset card DIR/README.md. Refuses, naming them, when shards are\n"
    "missing, damaged or of another manifest than the first shard (each is read whole, as\n"
    "verify does), or when two shards hold the same file or the same example.\n"
    "Use it after 'generate --part K/N' runs on many machines. Refused while a generate run\n"
    "(or a part) writes DIR, naming it.\n";

static int run_index(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-')
        return pf_cli_usage(&pf_cmd_index, "a single DIR is needed");
    pf_error err = {0};
    pf_index_report rep;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "pitchforge generate --part K/N (every part), then pitchforge index %s",
             argv[1]);
    /* no generate run may be writing the folder (a missing one is the index's to report) */
    pf_dir_lock *lock = NULL;
    const char *self = cmd + strlen("pitchforge generate --part K/N (every part), then ");
    if (access(argv[1], F_OK) == 0 && !(lock = pf_dir_lock_take(argv[1], 0, 0, self, &err)))
        return pf_cli_fail(&err);
    /* the card first (not in place), so that a failure leaves both as they were */
    int rc = pf_card_stage(argv[1], cmd, 0, NULL, &err) || pf_index_build(argv[1], &rep, &err);
    rc = pf_card_publish(argv[1], !rc, &err) || rc;
    pf_dir_unlock(lock);
    if (rc) return pf_cli_fail(&err);
    fprintf(stderr, "index: %zu shards, train %zu, val %zu, test %zu examples -> %s/dataset.h5\n",
            rep.shards, rep.examples[0], rep.examples[1], rep.examples[2], argv[1]);
    return 0;
}

const pf_command pf_cmd_index = {"index", "rebuild dataset.h5 from finished shards", usage,
                                 run_index};
