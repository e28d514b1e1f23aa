/* generate's shards: which ones this run makes (its part, less those --resume keeps), their
 * paths, and stale files of another plan removed. */
#include <dirent.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/mem.h"
#include "core/util.h"
#include "generate/generate_int.h"
#include "pitchforge/error.h"
#include "pitchforge/generate.h"
#include "pitchforge/plan.h"
#include "pitchforge/shard.h"
#include "pitchforge/verify.h"

int pf_run_shard_path(const run *r, const pf_shard_job *job, char *buf, size_t size)
{
    char name[64];
    pf_shard_name(job, name, sizeof name);
    return pf_path_join(buf, size, r->m->output, name);
}

/* Index of shard @p name in the plan, or -1 if it is not one of the plan's. */
static long plan_shard(const pf_plan *p, const char *name)
{
    pf_shard_job job;
    if (pf_shard_name_parse(name, &job)) return -1;
    for (size_t i = 0; i < p->n_shards; i++)
        if (p->shards[i].split == job.split && p->shards[i].index == job.index &&
            p->shards[i].count == job.count)
            return (long)i;
    return -1;
}

/* What an output folder holds, as pf_run_check_output sorts it. */
typedef struct holdings {
    size_t mine;           /* this manifest's shards in this run's part (damaged ones too) */
    size_t other;          /* shards of another manifest or plan */
    int index_mine, index_other; /* dataset.h5 of this manifest (whole runs only), of another */
    char example[256];     /* the first other shard by name (or dataset.h5) */
    char sha[17];          /* its manifest_sha256, shortened ("" unreadable) */
} holdings;

static int in_part(const run *r, long k)
{
    return r->opts->parts <= 0 || (int)((size_t)k % (size_t)r->opts->parts) == r->opts->part - 1;
}

/* Sort one file of the folder (a shard, or dataset.h5) into @p h. */
static void survey_file(const run *r, const char *name, holdings *h)
{
    int index = !strcmp(name, "dataset.h5");
    long k = index ? -1 : plan_shard(r->plan, name);
    if (!index && pf_shard_name_parse(name, &(pf_shard_job){0})) return; /* not ours to judge */
    char path[4096], *sha = NULL;
    pf_error ignored = {0};
    if (pf_path_join(path, sizeof path, r->m->output, name)) return;
    pf_shard_attr_text(path, "manifest_sha256", &sha, &ignored);
    int same = sha && !strcmp(sha, r->m->sha256);
    if (index ? same : k >= 0 && (same || !sha)) { /* an unreadable planned shard: ours, damaged */
        if (index) h->index_mine = r->opts->parts <= 0;
        else h->mine += in_part(r, k);
    } else {
        if (index) h->index_other = 1;
        else h->other++;
        if (!h->example[0] || !strcmp(h->example, "dataset.h5") ||
            (!index && strcmp(name, h->example) < 0)) { /* the first shard by name, if any */
            snprintf(h->example, sizeof h->example, "%s", name);
            snprintf(h->sha, sizeof h->sha, "%.16s", sha ? sha : "");
        }
    }
    free(sha);
}

/* 1 when DIR/README.md is there and is not a card pitchforge wrote (no "pitchforge" in its
 * first 64 KB): the user's own file, which the card would replace. */
static int foreign_readme(const char *dir)
{
    char path[4096], buf[65536];
    if (pf_path_join(path, sizeof path, dir, "README.md")) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, "pitchforge") == NULL;
}

int pf_run_check_output(const run *r, pf_error *err)
{
    if (!r->opts->force && foreign_readme(r->m->output))
        return PF_FAIL(err, PF_EEXIST, "%s/README.md is not a dataset card pitchforge wrote, and "
                       "generate writes the card there: move it, --force replaces it, or choose "
                       "another folder (-o DIR)", r->m->output);
    holdings h = {0};
    DIR *d = opendir(r->m->output);
    struct dirent *e;
    while (d && (e = readdir(d)))
        survey_file(r, e->d_name, &h);
    if (d) closedir(d);
    const char *dir = r->m->output;
    if ((h.other || h.index_other) && !r->opts->force)
        return PF_FAIL(err, PF_EEXIST, "%s holds another dataset (%zu shard%s%s of manifest "
                       "%s%s, e.g. %s): --force deletes it and writes this one there, or choose "
                       "another folder (-o DIR)", dir, h.other, h.other == 1 ? "" : "s",
                       h.index_other ? " and its dataset.h5" : "", h.sha[0] ? h.sha : "(unreadable)",
                       h.sha[0] ? "..." : "", h.example);
    if ((h.mine || h.index_mine) && !r->opts->resume && !r->opts->force)
        return PF_FAIL(err, PF_EEXIST, "%s already holds this manifest's dataset (%zu shard%s%s%s "
                       "from an earlier run): --resume keeps the whole shards and makes the "
                       "rest, --force makes them all again", dir, h.mine, h.mine == 1 ? "" : "s",
                       r->opts->parts > 0 ? " of this part" : "",
                       h.index_mine ? " and dataset.h5" : "");
    char path[4096];
    if (h.index_other && pf_path_join(path, sizeof path, dir, "dataset.h5") == 0)
        unlink(path); /* --force: the other dataset's index goes with its shards */
    return 0;
}

/* Remove shard files of another plan, and temp files of this run's shards (a crashed run's),
 * so the index sees only this plan. Other parts' temp files are left alone. */
void pf_run_remove_stale(const run *r)
{
    DIR *d = opendir(r->m->output);
    struct dirent *e;
    char path[4096], base[256];
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        int tmp = l > 4 && l < sizeof base && strcmp(e->d_name + l - 4, ".tmp") == 0;
        snprintf(base, sizeof base, "%.*s", (int)(tmp ? l - 4 : l), e->d_name);
        long k = plan_shard(r->plan, base);
        int mine = 0;
        for (size_t j = 0; tmp && k >= 0 && j < r->n_jobs; j++)
            mine |= r->jobs[j] == (size_t)k;
        int shard = pf_shard_name_parse(base, &(pf_shard_job){0}) == 0;
        if ((tmp && mine) || (!tmp && shard && k < 0))
            if (pf_path_join(path, sizeof path, r->m->output, e->d_name) == 0) unlink(path);
    }
    if (d) closedir(d);
}

/* Bytes of the file at @p path (0 when there is none). */
static double file_bytes(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (double)st.st_size : 0;
}

int pf_run_check_space(run *r)
{
    struct statvfs vfs;
    if (statvfs(r->m->output, &vfs)) return 0; /* no figure: the writes report a full disk */
    double need = (double)r->pending_notes * r->m->segments.n_kinds * pf_example_bytes(r->m);
    double avail = (double)vfs.f_bavail * (double)vfs.f_frsize;
    char path[4096];
    for (size_t j = 0; j < r->n_jobs; j++) /* replaced shards give their space back */
        if (pf_run_shard_path(r, &r->plan->shards[r->jobs[j]], path, sizeof path) == 0)
            avail += file_bytes(path);
    if (need <= avail) return 0;
    char n[32], a[32];
    pf_human_bytes(need, n, sizeof n);
    pf_human_bytes(avail, a, sizeof a);
    return PF_FAIL(r->err, PF_EIO, "%s: the shards to make need about %s (%zu notes), the disk "
                   "has %s free: free space, use another -o DIR, or split the run over "
                   "machines (--part K/N)", r->m->output, n, r->pending_notes, a);
}

/* The shards this run makes: its part's, less those --resume finds whole (pf_shard_check: the
 * others are named on opts->log with what is wrong). */
void pf_run_select_jobs(run *r)
{
    const pf_generate_opts *o = r->opts;
    char path[4096];
    r->jobs = pf_calloc(r->plan->n_shards + 1, sizeof *r->jobs);
    for (size_t j = 0; j < r->plan->n_shards; j++) {
        if (o->parts > 0 && (int)(j % (size_t)o->parts) != o->part - 1) continue;
        if (o->resume && pf_run_shard_path(r, &r->plan->shards[j], path, sizeof path) == 0 &&
            access(path, F_OK) == 0) {
            pf_error why = {0};
            if (pf_shard_check(path, r->m->sha256, &why) == 0) {
                r->rep->shards_kept++;
                continue;
            }
            if (o->log) fprintf(o->log, "generate: remaking %s\n", why.msg);
        }
        r->jobs[r->n_jobs++] = j;
        r->pending_notes += r->plan->shards[j].n;
    }
}
