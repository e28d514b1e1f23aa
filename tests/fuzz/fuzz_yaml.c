/*
 * libFuzzer target: the YAML readers (src/core/yaml.c) and the two schemas on top of them, the
 * dataset manifest (src/config/manifest.c) and the training config (src/train/config.c). Each
 * input is parsed as both; a refusal is a normal outcome, a sanitizer report or a crash is not.
 * Built and run by `make fuzz` (docs/fuzzing.md).
 */
#include <stddef.h>
#include <stdint.h>

#include "pitchforge/error.h"
#include "pitchforge/manifest.h"
#include "pitchforge/train.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pf_error err = {0};
    pf_manifest m;
    pf_manifest_parse(&m, "fuzz.yaml", (const char *)data, size, &err);
    pf_manifest_release(&m);

    pf_train_config c;
    pf_train_config_parse(&c, "fuzz.yaml", (const char *)data, size, &err);
    pf_train_config_release(&c);
    return 0;
}
