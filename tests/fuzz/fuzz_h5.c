/*
 * libFuzzer target: the HDF5 readers the tools open files with. Each input is written to a
 * temporary file (the readers take a path, as the tools give them) and opened as a shard
 * (src/store/shard.c: info, labels, per-column f0, spectrograms, attributes; src/store/verify.c:
 * pf_shard_check; src/store/inspect.c: pf_inspect, which also reads a dataset.h5) and as a model
 * or ensemble file (src/nn/modelfile.c: pf_model_file_count, pf_model_load_member). A refusal is
 * a normal outcome, a sanitizer report or a crash is not. Built and run by `make fuzz`
 * (docs/fuzzing.md).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pitchforge/error.h"
#include "pitchforge/inspect.h"
#include "pitchforge/nn.h"
#include "pitchforge/shard.h"
#include "pitchforge/verify.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Most floats a spectrogram or f0 read may ask for here (the readers allow far more; the fuzzer
 * looks for memory errors, not for how much a valid file may make us allocate). */
#define FUZZ_MAX_VALUES ((size_t)1 << 20)

static char dir[512], path[600];
static FILE *devnull;

static void cleanup(void)
{
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *base = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/pf-fuzz-h5.XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir) || !(devnull = fopen("/dev/null", "w"))) {
        perror(dir);
        abort();
    }
    snprintf(path, sizeof path, "%s/fuzz.h5", dir);
    atexit(cleanup);
    return 0;
}

/* Write the input to the temporary file; 0 when it is there whole. */
static int put_file(const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    ssize_t w = size ? write(fd, data, size) : 0;
    close(fd);
    return w == (ssize_t)size ? 0 : -1;
}

/* A shard's readers, as verify, show, inspect and train call them. */
static void read_shard(void)
{
    pf_error err = {0};
    pf_shard_check(path, NULL, &err);
    pf_inspect(path, devnull, &err);
    char *text = NULL;
    if (!pf_shard_attr_text(path, "schema", &text, &err)) free(text);
    pf_label *rows = NULL;
    size_t n = 0;
    if (!pf_shard_read_labels(path, &rows, &n, &err)) pf_labels_free(rows, n);
    pf_shard_info info;
    if (pf_shard_info_read(path, &info, &err) || info.n == 0) return;
    if (info.frames && info.frames <= FUZZ_MAX_VALUES) {
        float *f0 = malloc(info.frames * sizeof *f0);
        pf_shard_read_f0_frames(path, info.n - 1, 1, f0, &err);
        free(f0);
    }
    size_t len = info.planes * info.bins * info.frames;
    if (len && len <= FUZZ_MAX_VALUES && info.bins <= FUZZ_MAX_VALUES &&
        info.frames <= FUZZ_MAX_VALUES && info.planes <= 2) {
        float *spec = malloc(len * sizeof *spec);
        pf_shard_read_spectrogram(path, 0, spec, len, &err);
        pf_shard_read_spectrogram(path, info.n - 1, spec, len, &err);
        free(spec);
    }
}

/* A model or ensemble file, as predict, eval, ensemble and train's init load it. */
static void read_model(void)
{
    pf_error err = {0};
    size_t n = 0;
    if (pf_model_file_count(path, &n, &err)) return;
    for (size_t i = 0; i < n && i < 3; i++) {
        pf_model_spec spec;
        pf_model_meta meta;
        pf_model *m = pf_model_load_member(path, i, 1, 1, &spec, &meta, &err);
        if (!m) continue;
        pf_model_free(m);
        pf_model_spec_release(&spec);
        pf_model_meta_release(&meta);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (put_file(data, size)) return 0;
    read_shard();
    read_model();
    return 0;
}
