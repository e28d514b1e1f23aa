/* pitchforge ensemble: several trained models in one file, their outputs averaged. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "pitchforge/nn.h"
#include "pitchforge/error.h"

static const char usage[] =
    "usage: pitchforge ensemble -o OUT MODEL MODEL...\n"
    "\n"
    "Write OUT, one file holding every MODEL (model.h5 files made by train) unchanged. eval and\n"
    "predict read it like a model: each member sees the spectrogram prepared its own way, and\n"
    "their per-bin probabilities are averaged before the one decoding. The members must take\n"
    "the same spectrograms and have the same target (kind and bins). At most 16 members.\n"
    "\n"
    "  -o OUT        the ensemble file to write (written whole, or not at all)\n";

static int run_ensemble(int argc, char **argv)
{
    const char *out = NULL, *models[PF_ENSEMBLE_MAX];
    size_t n = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-')
            return pf_cli_usage(&pf_cmd_ensemble, "unexpected argument '%s'", argv[i]);
        else if (n == PF_ENSEMBLE_MAX)
            return pf_cli_usage(&pf_cmd_ensemble, "at most %d models", PF_ENSEMBLE_MAX);
        else
            models[n++] = argv[i];
    }
    if (!out) return pf_cli_usage(&pf_cmd_ensemble, "-o OUT is needed");
    if (n < 2) return pf_cli_usage(&pf_cmd_ensemble, "two or more MODEL files are needed");
    pf_error err = {0};
    if (pf_ensemble_save(out, models, n, &err)) return pf_cli_fail(&err);
    printf("ensemble: %zu models -> %s\n", n, out);
    return 0;
}

const pf_command pf_cmd_ensemble = {"ensemble", "join trained models into one, outputs averaged",
                                    usage, run_ensemble};
