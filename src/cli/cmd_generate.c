/* pitchforge generate: options -> pf_generate / pf_generate_dry_run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/interrupt.h"
#include "core/mem.h"
#include "core/parallel.h"
#include "core/util.h"
#include "pitchforge/generate.h"
#include "pitchforge/error.h"
#include "pitchforge/manifest.h"
#include "pitchforge/pitch.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"

static const char usage[] =
    "usage: pitchforge generate MANIFEST [-o DIR] [-j N] [--part K/N] [--resume] [--force]\n"
    "                           [--dry-run] [--json] [-q]\n"
    "\n"
    "Render the notes a manifest describes into labelled HDF5 shards, dataset.h5 and a\n"
    "dataset card (README.md) in the manifest's output folder.\n"
    "\n"
    "  -o, --output DIR  write to DIR instead of the manifest's 'output'\n"
    "  -j, --jobs N      worker threads, 1 to 64 (default: all cores, at most 64); the bytes\n"
    "                    do not depend on N\n"
    "  --part K/N        make only part K of N (shards j with j mod N = K-1), for many\n"
    "                    machines; then 'pitchforge index DIR' joins the parts. Without\n"
    "                    --part, a Slurm job array (SLURM_ARRAY_TASK_ID, _COUNT, _MIN) or an\n"
    "                    mpirun rank (OMPI_COMM_WORLD_RANK, _SIZE) chooses the part\n"
    "  --resume          keep the shards already whole (after a crash or Ctrl-C), make the\n"
    "                    rest; a damaged shard or one of another manifest is named and remade\n"
    "  --force           replace what DIR holds: another manifest's shards and dataset.h5 are\n"
    "                    deleted, this manifest's shards made again (kept with --resume).\n"
    "                    Without --resume or --force, a DIR holding shards is refused\n"
    "  --dry-run         print the plan (examples per split, instrument, octave, segment, disk)\n"
    "                    and exit without rendering\n"
    "  --json            print a JSON summary on stdout when done\n"
    "  -q, --quiet       no progress line (a shard --resume remakes is still named)\n"
    "\n"
    "Manifest errors are reported as FILE:LINE:COL: message before any work (exit 1).\n"
    "One run writes DIR at a time (a lock, DIR/.pitchforge.lock; parts share it, each locking\n"
    "its own part): a second is refused at once, naming the first. Ctrl-C or SIGTERM stops\n"
    "after the current notes: the shards being written are removed, the whole ones kept, and\n"
    "the command to resume is printed (exit 130 or 143).\n";

typedef struct gen_args {
    const char *manifest, *output;
    int jobs, dry_run, json, quiet, resume, force, part, parts;
} gen_args;

/* Parse "K/N" with 1 <= K <= N. */
static int parse_part(const char *s, int *k, int *n)
{
    char tail;
    return sscanf(s, "%d/%d%c", k, n, &tail) == 2 && *n >= 1 && *k >= 1 && *k <= *n ? 0 : -1;
}

static long env_long(const char *name)
{
    return pf_cli_parse_count(getenv(name));
}

/* The part from a Slurm job array or an Open MPI launch when --part is not given. */
static void part_from_env(gen_args *a)
{
    long id = env_long("SLURM_ARRAY_TASK_ID"), count = env_long("SLURM_ARRAY_TASK_COUNT");
    long min = env_long("SLURM_ARRAY_TASK_MIN");
    if (id >= 0 && count > 0) {
        a->part = (int)(id - (min >= 0 ? min : 0) + 1);
        a->parts = (int)count;
        return;
    }
    long rank = env_long("OMPI_COMM_WORLD_RANK"), size = env_long("OMPI_COMM_WORLD_SIZE");
    if (rank >= 0 && size > 0) {
        a->part = (int)rank + 1;
        a->parts = (int)size;
    }
}

static int parse_args(int argc, char **argv, gen_args *a)
{
    *a = (gen_args){.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN)};
    a->jobs = a->jobs > PF_PARALLEL_MAX ? PF_PARALLEL_MAX : a->jobs;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if ((!strcmp(s, "-o") || !strcmp(s, "--output")) && i + 1 < argc)
            a->output = argv[++i];
        else if ((!strcmp(s, "-j") || !strcmp(s, "--jobs")) && i + 1 < argc) {
            long j = pf_cli_parse_count(argv[++i]);
            if (j < 1 || j > PF_PARALLEL_MAX)
                return pf_cli_usage(&pf_cmd_generate, "-j takes a number of threads, 1 to %d",
                                    PF_PARALLEL_MAX);
            a->jobs = (int)j;
        } else if (!strcmp(s, "--part") && i + 1 < argc) {
            if (parse_part(argv[++i], &a->part, &a->parts))
                return pf_cli_usage(&pf_cmd_generate, "--part takes K/N with 1 <= K <= N");
        } else if (!strcmp(s, "--resume"))
            a->resume = 1;
        else if (!strcmp(s, "--force"))
            a->force = 1;
        else if (!strcmp(s, "--dry-run"))
            a->dry_run = 1;
        else if (!strcmp(s, "--json"))
            a->json = 1;
        else if (!strcmp(s, "-q") || !strcmp(s, "--quiet"))
            a->quiet = 1;
        else if (s[0] == '-' || a->manifest)
            return pf_cli_usage(&pf_cmd_generate, "unexpected argument '%s'", s);
        else
            a->manifest = s;
    }
    if (!a->manifest)
        return pf_cli_usage(&pf_cmd_generate, "a MANIFEST is needed");
    a->jobs = a->jobs > 0 ? a->jobs : 1;
    if (!a->parts)
        part_from_env(a);
    if (a->parts && (a->part < 1 || a->part > a->parts))
        return pf_cli_usage(&pf_cmd_generate, "part %d of %d is out of range", a->part, a->parts);
    return 0;
}

/* Keys left out by the key audit that the summary names one by one. */
#define PF_KEYS_LISTED 20

static void print_json(const pf_generate_report *r, const char *out)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    size_t total = r->examples[0] + r->examples[1] + r->examples[2];
    printf("{\"output\": \"%s\", \"notes\": %zu, \"examples\": %zu, \"splits\": {\"train\": %zu, "
           "\"val\": %zu, \"test\": %zu}, \"segments\": {",
           out, r->notes, total, r->examples[0], r->examples[1], r->examples[2]);
    for (int k = 0, first = 1; k < PF_SEG_COUNT; k++)
        if (k < 3 || r->per_kind[k])
            printf("%s\"%s\": %zu", first ? "" : ", ", pf_segment_names[k], r->per_kind[k]), first = 0;
    printf("}, \"negatives\": {");
    for (int k = 1, first = 1; k < PF_SOURCE_COUNT; k++)
        if (r->per_source[k])
            printf("%s\"%s\": %zu", first ? "" : ", ", pf_source_names[k], r->per_source[k]), first = 0;
    printf("}, \"rejected\": {");
    for (int i = 0; i < PF_REJECT_COUNT; i++)
        printf("%s\"%s\": %llu", i ? ", " : "", pf_reject_names[i],
               (unsigned long long)r->rejected[i]);
    printf("}, \"shards_made\": %zu, \"shards_kept\": %zu", r->shards_made, r->shards_kept);
    printf(", \"excluded_presets\": %zu, \"excluded_keys\": [", r->excluded_presets);
    for (size_t k = 0; k < r->n_excluded_keys; k++) {
        const pf_excluded_key *ko = &r->excluded_keys[k];
        char note[8], cents[32] = "null";
        pf_note_name(ko->midi, note, sizeof note);
        if (!isnan(ko->cents)) snprintf(cents, sizeof cents, "%.2f", ko->cents);
        printf("%s{\"instrument\": ", k ? ", " : "");
        pf_json_string(stdout, r->excluded_key_names[k]);
        printf(", \"key\": \"%s\", \"midi\": %d, \"velocity\": %d, \"cents\": %s}", note, ko->midi,
               ko->velocity, cents);
    }
    printf("], \"seconds\": %.3f, \"examples_per_s\": %.1f, "
           "\"stage_seconds\": {\"render\": %.3f, \"resample\": %.3f, \"audit\": %.3f, "
           "\"augment\": %.3f, \"stft\": %.3f, \"write\": %.3f}, \"peak_rss_mb\": %.1f}\n",
           r->seconds, r->seconds > 0 ? (double)total / r->seconds : 0, r->stages.render,
           r->stages.resample, r->stages.audit, r->stages.augment, r->stages.stft, r->stages.write,
           (double)ru.ru_maxrss / 1024.0);
}

static void print_summary(const pf_generate_report *r, const char *out)
{
    size_t total = r->examples[0] + r->examples[1] + r->examples[2];
    uint64_t rej = 0;
    for (int i = 0; i < PF_REJECT_COUNT; i++)
        rej += r->rejected[i];
    char pace[96] = "";
    if (!r->shards_kept) /* a throughput only for what this run made */
        snprintf(pace, sizeof pace, ", %.0f examples/s", r->seconds > 0 ? (double)total / r->seconds : 0);
    else if (!r->shards_made)
        snprintf(pace, sizeof pace, ", nothing to make: all %zu shards were whole", r->shards_kept);
    else
        snprintf(pace, sizeof pace, ", %zu shards made, %zu kept", r->shards_made, r->shards_kept);
    fprintf(stderr, "generate: %zu examples (train %zu, val %zu, test %zu), %llu segments "
                    "rejected, %.1f s%s -> %s\n",
            total, r->examples[0], r->examples[1], r->examples[2], (unsigned long long)rej,
            r->seconds, pace, out);
    if (r->excluded_presets || r->n_excluded_keys)
        fprintf(stderr, "generate: the label audit left out %zu presets and %zu keys%s\n",
                r->excluded_presets, r->n_excluded_keys, r->n_excluded_keys ? ":" : "");
    for (size_t k = 0; k < r->n_excluded_keys && k < PF_KEYS_LISTED; k++) {
        char note[8];
        pf_note_name(r->excluded_keys[k].midi, note, sizeof note);
        if (isnan(r->excluded_keys[k].cents))
            fprintf(stderr, "  %s %s: no clear harmonic peak (velocity %d)\n",
                    r->excluded_key_names[k], note, r->excluded_keys[k].velocity);
        else
            fprintf(stderr, "  %s %s: %+.1f cents (velocity %d)\n", r->excluded_key_names[k], note,
                    r->excluded_keys[k].cents, r->excluded_keys[k].velocity);
    }
    if (r->n_excluded_keys > PF_KEYS_LISTED)
        fprintf(stderr, "  ... and %zu more (--json lists them all)\n",
                r->n_excluded_keys - PF_KEYS_LISTED);
}

/* Print @p err; after an interrupt also the command that resumes the run. */
static int fail(const pf_error *err, int argc, char **argv)
{
    if (err->code != PF_EINTR) return pf_cli_fail(err);
    char *again = pf_cli_command_line(pf_cli_program(), argc, argv, "--force", "--resume");
    int rc = pf_cli_interrupted(err, again);
    free(again);
    return rc;
}

static int run_generate(int argc, char **argv)
{
    gen_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc)
        return rc;
    pf_error err = {0};
    pf_manifest m;
    if (pf_manifest_load(&m, a.manifest, &err)) {
        pf_manifest_release(&m);
        return pf_cli_fail(&err);
    }
    if (a.output) {
        free(m.output);
        m.output = pf_strdup(a.output);
    }
    if (a.dry_run) {
        rc = pf_generate_dry_run(&m, stdout, &err) ? pf_cli_fail(&err) : 0;
        pf_manifest_release(&m);
        return rc;
    }
    char *cmd = pf_cli_command_line("pitchforge", argc, argv, NULL, NULL);
    pf_generate_opts o = {.jobs = a.jobs, .progress = !a.quiet && isatty(2), .command = cmd,
                          .part = a.part, .parts = a.parts, .resume = a.resume, .force = a.force,
                          .log = stderr};
    pf_generate_report rep;
    pf_cli_catch_signals();
    rc = pf_generate(&m, &o, &rep, &err) ? fail(&err, argc, argv) : 0;
    if (!rc && !a.quiet)
        print_summary(&rep, m.output);
    if (!rc && !a.quiet && a.parts)
        fprintf(stderr, "generate: part %d of %d done; once every part is, run "
                        "'pitchforge index %s'\n", a.part, a.parts, m.output);
    if (!rc && a.json)
        print_json(&rep, m.output);
    pf_generate_report_release(&rep);
    free(cmd);
    pf_manifest_release(&m);
    return rc;
}

const pf_command pf_cmd_generate = {"generate", "render a manifest into labelled HDF5 shards",
                                    usage, run_generate};
