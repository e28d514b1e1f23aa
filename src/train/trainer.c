/*
 * pf_train: epochs of (shuffled train pass, val pass, metrics line, checkpoint), then model.h5.
 * Every random draw is keyed by the training seed and a counter (epoch for the shuffle, step
 * for dropout), so a resumed run repeats the uninterrupted one bit for bit.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/interrupt.h"
#include "core/lock.h"
#include "core/util.h"
#include "core/mem.h"
#include "pitchforge/rng.h"
#include "pitchforge/shard.h"
#include "pitchforge/train.h"
#include "train/checkpoint.h"
#include "train/loader.h"
#include "train/optim.h"
#include "train/trainer.h"
#include "train/tuning.h"
#include "pitchforge/checksum.h"
#include "pitchforge/dataset.h"
#include "pitchforge/error.h"
#include "pitchforge/nn.h"
#include "pitchforge/pitch.h"

typedef struct run {
    const pf_train_config *c;
    const pf_train_opts *o;
    pf_model_spec spec;      /**< the config's layers with the dataset's input shape */
    pf_loader *train, *val;
    pf_model *model;
    pf_optimizer opt;
    pf_dist *dist;           /**< the run's processes (NULL: this one alone) */
    int rank, ranks;         /**< this process's rank and how many (1 alone) */
    size_t n_out, batch;     /**< batch: rows of this rank's part (the config's on one rank) */
    float *y, *dy;           /**< [batch][n_out] outputs, dLoss/dy of this rank's rows */
    float *t;                /**< [config batch][n_out] targets (val: of the whole batch) */
    float *yall;             /**< [config batch][n_out] val outputs of every rank (y alone) */
    double exchange_s;       /**< this epoch's seconds in the gradient and loss sums */
    double *est, *ref;       /**< [val size] decoded and true f0 ([val size][frames] for frames) */
    double *conf;            /**< frames: [val size][frames] the largest bin's sigmoid */
    int frames;              /**< spectrogram columns an example (the input's width) */
    pf_model_meta meta;
    char *ck_path, *metrics_path, *model_path;
    int epoch0;              /**< epochs done before this run (resume) */
    size_t val_columns;      /**< frames: columns in r->est / r->conf of the last val pass */
    /* the epoch under way: train batches done, sum of loss x rows and rows (from the
     * checkpoint on resume), for mid-epoch checkpoints */
    size_t ep_batch, ep_seen;
    double ep_sum;
    uint64_t ck_step;        /**< step of the last checkpoint */
    double ck_time;          /**< when it was written (pf_now_s) */
    int ck_written;          /**< this run wrote one */
    pf_dir_lock *lock;       /**< the output folder's */
    char init_sha256[65];    /**< sha256 (hex) of init.model's file, "" without init */
} run;

/* ---- setup ---- */


/* The dataset's spectrogram settings, recorded in the model so predict computes the same. */
static int spectrogram_settings(const char *dataset, pf_model_meta *meta, pf_error *err)
{
    static const char *const names[] = {"sample_rate", "stft_length", "stft_overlap", "stft_nfft",
                                        "spectrogram_mode", "spectrogram_scaling"};
    char *v[6] = {0};
    int rc = 0;
    for (int i = 0; i < 6 && !rc; i++)
        rc = pf_shard_attr_text(dataset, names[i], &v[i], err);
    if (!rc) {
        meta->sample_rate = atof(v[0]);
        meta->stft_length = atoi(v[1]);
        meta->stft_overlap = atoi(v[2]);
        meta->stft_nfft = atoi(v[3]);
        snprintf(meta->spec_mode, sizeof meta->spec_mode, "%s", v[4]);
        snprintf(meta->spec_scaling, sizeof meta->spec_scaling, "%s", v[5]);
        pf_shard_info info;
        rc = pf_dataset_split_info_read(dataset, "train", &info, err);
        int hop = meta->stft_length - meta->stft_overlap;
        meta->segment_len = !rc && info.audio_len ? (int)info.audio_len
                                                  : (int)(info.frames - 1) * hop + meta->stft_length;
    }
    for (int i = 0; i < 6; i++)
        free(v[i]);
    char *sha = NULL; /* the training data, for inspect (optional: older indexes lack it) */
    if (!rc && pf_shard_attr_text(dataset, "manifest_sha256", &sha, NULL) == 0)
        snprintf(meta->data_sha256, sizeof meta->data_sha256, "%s", sha);
    free(sha);
    return rc;
}

/* frames: every voiced column of the train labels must fall inside the bins, unless
 * target.outside is unvoiced (pf_target_encode_frames then lights no bin for it). */
static int check_frame_bins(const run *r, pf_error *err)
{
    const pf_train_config *c = r->c;
    if (c->outside_unvoiced) return 0;
    double lo = c->bins_lo_midi, hi = lo + (c->n_bins - 1) * c->bins_step;
    const float *f = pf_loader_f0_frames(r->train);
    for (size_t i = 0; i < pf_loader_size(r->train) * (size_t)r->frames; i++) {
        double m = f[i] > 0 ? pf_hz_to_midi(f[i]) : lo;
        if (!(m >= lo && m <= hi))
            return PF_FAIL(err, PF_EINVAL, "%s: train example %zu has a column at %.2f Hz (MIDI "
                           "%.2f), outside the bins (MIDI %.1f to %.1f): lower target.bins_lo, "
                           "raise target.n_bins or set target.outside: unvoiced",
                           c->file, i / (size_t)r->frames, f[i], m, lo, hi);
    }
    return 0;
}

/* bins: every train label must fall inside the bins, else the target is cut off; a negative
 * (f0 0: no pitch) is trained as no bin lit, which hz and midi cannot say. */
static int check_bins(const run *r, pf_error *err)
{
    const pf_train_config *c = r->c;
    const double *f0 = pf_loader_f0(r->train);
    if (c->target == PF_TARGET_FRAMES) return check_frame_bins(r, err);
    for (size_t i = 0; c->target != PF_TARGET_BINS && i < pf_loader_size(r->train); i++)
        if (!(f0[i] > 0))
            return PF_FAIL(err, PF_EINVAL, "%s: train example %zu has no pitch (a negative): "
                           "target %s cannot say so; use target bins or frames", c->file, i,
                           c->target == PF_TARGET_HZ ? "hz" : "midi");
    if (c->target != PF_TARGET_BINS)
        return 0;
    double lo = c->bins_lo_midi, hi = lo + (c->n_bins - 1) * c->bins_step;
    for (size_t i = 0; i < pf_loader_size(r->train); i++) {
        if (!(f0[i] > 0)) continue;
        double m = pf_hz_to_midi(f0[i]);
        if (!(m >= lo && m <= hi))
            return PF_FAIL(err, PF_EINVAL, "%s: train example %zu has f0 %.2f Hz (MIDI %.2f), "
                           "outside the bins (MIDI %.1f to %.1f): lower target.bins_lo or raise "
                           "target.n_bins", c->file, i, f0[i], m, lo, hi);
    }
    return 0;
}

/* Move the train labels by the tuning measured before the loaders opened (then free it). */
static int apply_tuning(run *r, pf_tuning *tuning, pf_error *err)
{
    const pf_train_config *c = r->c;
    int rc = pf_tuning_apply(tuning, pf_loader_size(r->train), pf_loader_f0_mut(r->train), err);
    pf_tuning_report t = tuning->report;
    pf_tuning_free(tuning);
    if (rc)
        return pf_error_prefix(err, "%s: target.tuning: %s", c->file, c->dataset);
    if (r->o && r->o->verbose)
        fprintf(stderr, "train: measured tuning: %zu of %zu train labels moved, %zu (preset, key) "
                "groups, median |shift| %.2f cents\n", t.moved, pf_loader_size(r->train),
                t.groups, t.median_shift);
    return 0;
}

static int open_data(run *r, pf_error *err)
{
    const pf_train_config *c = r->c;
    int log_input = !strcmp(c->input, "log");
    pf_tuning tuning = {0};
    if (pf_train_memory_check(c, err)) return -1;
    if (c->tuning_measured && pf_tuning_measure(c->dataset, "train", c->limit_train, &tuning, err))
        return pf_error_prefix(err, "%s: target.tuning", c->file);
    r->train = pf_loader_open(c->dataset, "train", c->limit_train, c->batch, log_input, err);
    if (!r->train || !(r->val = pf_loader_open(c->dataset, "val", c->limit_val, c->batch,
                                                log_input, err))) {
        pf_tuning_free(&tuning);
        return -1;
    }
    if (c->tuning_measured && apply_tuning(r, &tuning, err))
        return -1;
    pf_loader_set_eq(r->train, c->eq_db);
    pf_loader_set_part(r->train, r->rank, r->ranks);
    pf_loader_set_part(r->val, r->rank, r->ranks);
    r->spec = c->model;
    r->spec.layers = pf_calloc(c->model.n_layers, sizeof *r->spec.layers);
    memcpy(r->spec.layers, c->model.layers, c->model.n_layers * sizeof *c->model.layers);
    pf_loader_shape(r->train, &r->spec.in_c, &r->spec.in_h, &r->spec.in_w);
    r->frames = r->spec.in_w;
    if (c->target == PF_TARGET_FRAMES &&
        (pf_loader_read_frames(r->train, err) || pf_loader_read_frames(r->val, err)))
        return pf_error_prefix(err, "%s: target frames", c->file);
    return check_bins(r, err);
}

static int make_model(run *r, pf_error *err)
{
    const pf_train_config *c = r->c;
    int threads = c->threads > 0 ? c->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    threads = pf_nn_threads_allowed(threads);
    r->meta.train_threads = threads > 0 ? threads : 1;
    r->batch = pf_loader_part_cap(r->train); /* c->batch on one rank */
    r->model = pf_model_new(&r->spec, (int)r->batch, r->meta.train_threads, err);
    if (!r->model)
        return pf_error_prefix(err, "%s: model", c->file);
    r->n_out = pf_model_out_size(r->model);
    size_t want = c->target == PF_TARGET_FRAMES ? (size_t)c->n_bins * (size_t)r->frames
                                                : (size_t)pf_target_n_out(c);
    if (r->n_out != want)
        return PF_FAIL(err, PF_EINVAL, "%s: the model has %zu outputs, target %s needs %zu%s",
                       c->file, r->n_out, pf_target_name(c->target), want,
                       c->target == PF_TARGET_FRAMES ? " (bins x frames: layers that keep the "
                                                       "time axis and the bins)" : "");
    pf_model_init_params(r->model, c->seed);
    pf_optimizer_init(&r->opt, c, pf_model_n_params(r->model));
    r->opt.threads = threads > 0 ? threads : 1;
    r->y = pf_calloc(r->batch * r->n_out, sizeof *r->y);
    r->t = pf_calloc((size_t)c->batch * r->n_out, sizeof *r->t);
    r->dy = pf_calloc(r->batch * r->n_out, sizeof *r->dy);
    r->yall = r->ranks > 1 ? pf_calloc((size_t)c->batch * r->n_out, sizeof *r->yall) : r->y;
    r->meta.train_ranks = r->ranks > 1 ? r->ranks : 0;
    size_t per = c->target == PF_TARGET_FRAMES ? (size_t)r->frames : 1;
    r->est = pf_calloc(pf_loader_size(r->val) * per, sizeof *r->est);
    r->ref = pf_calloc(pf_loader_size(r->val) * per, sizeof *r->ref);
    r->conf = pf_calloc(pf_loader_size(r->val) * per, sizeof *r->conf);
    pf_target_meta(c, &r->meta);
    r->meta.norm_mean = (float *)pf_loader_norm_mean(r->train);
    r->meta.norm_std = (float *)pf_loader_norm_std(r->train);
    r->meta.norm_len = pf_loader_norm_len(r->train);
    r->meta.config_text = c->text;
    r->meta.half = c->weights_half;
    return spectrogram_settings(c->dataset, &r->meta, err);
}

/* ---- init: start from another network ---- */

/* How many leading layers @p a and @p b share; all of both when it equals both counts. */
static size_t layers_shared(const pf_model_spec *a, const pf_model_spec *b)
{
    size_t i = 0, n = a->n_layers < b->n_layers ? a->n_layers : b->n_layers;
    while (i < n && !memcmp(&a->layers[i], &b->layers[i], sizeof a->layers[i]))
        i++;
    return i;
}

/* NULL when network @p spec / @p meta is the one this run trains, else what differs (in @p buf). */
static const char *init_mismatch(const run *r, const pf_model_spec *spec, const pf_model_meta *meta,
                                 char buf[64])
{
    size_t i = layers_shared(spec, &r->spec);
    if (i != spec->n_layers || i != r->spec.n_layers) {
        snprintf(buf, 64, "layers (from layer %zu; %zu layers there, %zu here)", i + 1,
                 spec->n_layers, r->spec.n_layers);
        return buf;
    }
    if (strcmp(meta->input, r->meta.input)) return "input (log or linear)";
    return pf_model_mismatch(spec, meta, &r->spec, &r->meta);
}

/* Network init.member of init.model: check it, take its normalization for both splits and,
 * when @p weights (not on --resume, whose checkpoint has them), its weights; note the file's
 * sha256 (a resumed run must start from the same file). */
static int apply_init(run *r, int weights, pf_error *err)
{
    const pf_train_config *c = r->c;
    size_t n;
    if (pf_model_file_count(c->init_model, &n, err))
        return pf_error_prefix(err, "%s: init.model", c->file);
    if ((size_t)c->init_member > n)
        return PF_FAIL(err, PF_EINVAL, "%s: init.member is %d, but %s holds %zu network%s", c->file,
                       c->init_member, c->init_model, n, n == 1 ? "" : "s");
    pf_model_spec spec;
    pf_model_meta meta;
    pf_model *m =
        pf_model_load_member(c->init_model, (size_t)c->init_member - 1, 1, 1, &spec, &meta, err);
    if (!m) return pf_error_prefix(err, "%s: init.model", c->file);
    char buf[64];
    const char *what = init_mismatch(r, &spec, &meta, buf);
    int rc = what ? PF_FAIL(err, PF_EINVAL,
                            "%s: network %d of %s differs from this config's in "
                            "its %s; init needs the same network",
                            c->file, c->init_member, c->init_model, what)
                  : 0;
    if (!rc && (pf_loader_set_norm(r->train, meta.norm_mean, meta.norm_std, meta.norm_len, err) ||
                pf_loader_set_norm(r->val, meta.norm_mean, meta.norm_std, meta.norm_len, err)))
        rc = pf_error_prefix(err, "%s: init.model %s", c->file, c->init_model);
    if (!rc && pf_sha256_file(c->init_model, r->init_sha256, err))
        rc = pf_error_prefix(err, "%s: init.model", c->file);
    if (!rc && weights)
        memcpy(pf_model_params(r->model), pf_model_params(m),
               pf_model_n_params(r->model) * sizeof(float));
    pf_model_free(m);
    pf_model_spec_release(&spec);
    pf_model_meta_release(&meta);
    return rc;
}

/* ---- resume ---- */

/* The settings a resumed run must share with the checkpoint's (epochs may grow). */
static const char *changed_setting(const pf_train_config *a, const pf_train_config *b)
{
    size_t shared = layers_shared(&a->model, &b->model);
    if (shared != a->model.n_layers || shared != b->model.n_layers) return "model";
    if (a->target != b->target || a->bins_lo_midi != b->bins_lo_midi ||
        a->bins_step != b->bins_step || a->n_bins != b->n_bins || a->blur_cents != b->blur_cents ||
        a->tuning_measured != b->tuning_measured || a->outside_unvoiced != b->outside_unvoiced)
        return "target";
    if (strcmp(a->input, b->input) || a->loss != b->loss)
        return "input or loss";
    if (a->optimizer != b->optimizer || a->lr != b->lr || a->momentum != b->momentum ||
        a->beta1 != b->beta1 || a->beta2 != b->beta2 || a->eps != b->eps ||
        a->weight_decay != b->weight_decay || a->lr_decay != b->lr_decay)
        return "optimizer";
    if (a->batch != b->batch || a->seed != b->seed || a->limit_train != b->limit_train)
        return "batch, seed or limit.train";
    if (a->eq_db != b->eq_db) return "augment";
    if ((a->init_model == NULL) != (b->init_model == NULL) ||
        (a->init_model && strcmp(a->init_model, b->init_model)) || a->init_member != b->init_member)
        return "init";
    return NULL;
}

static int check_resume(const run *r, const pf_checkpoint *ck, pf_error *err)
{
    pf_train_config old;
    if (ck->n_params != pf_model_n_params(r->model))
        return PF_FAIL(err, PF_EINVAL, "%s holds %zu parameters, the model of %s has %zu",
                       r->ck_path, ck->n_params, r->c->file, pf_model_n_params(r->model));
    if (pf_train_config_parse(&old, r->ck_path, ck->config_text, strlen(ck->config_text), err)) {
        pf_train_config_release(&old);
        return pf_error_prefix(err, "the config stored in the checkpoint");
    }
    const char *what = changed_setting(&old, r->c);
    pf_train_config_release(&old);
    if (what)
        return PF_FAIL(err, PF_EINVAL, "%s: the %s settings differ from those of %s; resume "
                       "only with the same settings (epochs may grow), or train without --resume",
                       r->c->file, what, r->ck_path);
    if (r->c->init_model && ck->init_sha256 && strcmp(ck->init_sha256, r->init_sha256))
        return PF_FAIL(err, PF_EINVAL,
                       "%s: init.model %s is not the file the run of %s started "
                       "from (its sha256 differs); resume only from the same network, or train "
                       "without --resume",
                       r->c->file, r->c->init_model, r->ck_path);
    return 0;
}

/* Keep the lines of metrics.jsonl of epochs up to @p epoch (none when 0). */
static int metrics_truncate(const char *path, int epoch, pf_error *err)
{
    FILE *in = epoch > 0 ? fopen(path, "r") : NULL;
    char line[4096], *tmp = pf_malloc(strlen(path) + 5);
    snprintf(tmp, strlen(path) + 5, "%s.tmp", path);
    pf_error ignored = {0};
    FILE *out = pf_tmp_open(tmp, &ignored);
    int e;
    while (in && out && fgets(line, sizeof line, in))
        if (sscanf(line, "{\"epoch\": %d", &e) == 1 && e <= epoch)
            fputs(line, out);
    if (in)
        fclose(in);
    int rc = !out || fclose(out) || rename(tmp, path) ? -1 : 0;
    if (rc)
        PF_FAIL(err, PF_EIO, "cannot write %s: %s", path, strerror(errno));
    free(tmp);
    return rc;
}

static int resume(run *r, pf_error *err)
{
    pf_checkpoint ck;
    int rc = pf_checkpoint_load(r->ck_path, &ck, err) || check_resume(r, &ck, err) ? -1 : 0;
    if (!rc) {
        memcpy(pf_model_params(r->model), ck.params, ck.n_params * sizeof(float));
        memcpy(r->opt.m, ck.m, ck.n_params * sizeof(float));
        memcpy(r->opt.v, ck.v, ck.n_params * sizeof(float));
        r->opt.step = r->ck_step = ck.step;
        r->epoch0 = ck.epoch;
        int ranks = ck.ranks > 1 ? ck.ranks : 1;
        if (ranks != r->ranks && r->o && r->o->verbose)
            fprintf(stderr, "train: %s was written by a run on %d process%s, this one has %d: "
                    "it continues, but not bit for bit as the uninterrupted run would "
                    "(docs/training.md)\n", r->ck_path, ranks, ranks == 1 ? "" : "es", r->ranks);
        r->ep_batch = (size_t)ck.batch, r->ep_seen = (size_t)ck.loss_examples;
        r->ep_sum = ck.loss_sum;
    }
    pf_checkpoint_release(&ck);
    return rc ? -1 : metrics_truncate(r->metrics_path, r->epoch0, err);
}

/* Write checkpoint.h5: @p epoch epochs done, and r->ep_batch batches of the next. */
static int save_checkpoint(run *r, int epoch, pf_error *err)
{
    pf_checkpoint ck = {.epoch = epoch,
                        .step = r->opt.step,
                        .batch = r->ep_batch,
                        .loss_sum = r->ep_sum,
                        .loss_examples = r->ep_seen,
                        .seed = r->c->seed,
                        .n_params = r->opt.n,
                        .params = pf_model_params(r->model),
                        .m = r->opt.m,
                        .v = r->opt.v,
                        .config_text = r->c->text,
                        .init_sha256 = r->c->init_model ? r->init_sha256 : NULL,
                        .threads = r->meta.train_threads,
                        .ranks = r->ranks};
    /* rank 0 writes; every rank keeps the same count of when (the same steps everywhere) */
    if (r->rank == 0 && pf_checkpoint_save(r->ck_path, &ck, err)) return -1;
    r->ck_step = r->opt.step, r->ck_time = pf_now_s(), r->ck_written = 1;
    return 0;
}

/* A checkpoint inside the epoch is due: checkpoint_every steps or checkpoint_minutes since
 * the last one. */
static int checkpoint_due(const run *r)
{
    const pf_train_config *c = r->c;
    return (c->checkpoint_every > 0 && r->opt.step - r->ck_step >= (uint64_t)c->checkpoint_every) ||
           (c->checkpoint_minutes > 0 && pf_now_s() - r->ck_time >= 60.0 * c->checkpoint_minutes);
}

/* Stopped on request during epoch @p epoch: checkpoint where the run is, and say so. */
static int interrupted(run *r, int epoch, pf_error *err)
{
    if (r->o && r->o->progress)
        fputc('\n', stderr);
    if (save_checkpoint(r, epoch - 1, err))
        return pf_error_prefix(err, "interrupted, and the checkpoint could not be written");
    return PF_FAIL(err, PF_EINTR, "interrupted (signal %d) in epoch %d after batch %zu of %zu "
                   "(step %llu): %s holds the run so far", pf_interrupted(), epoch, r->ep_batch,
                   pf_loader_batches(r->train), (unsigned long long)r->opt.step, r->ck_path);
}

/* ---- epochs ---- */

static void encode_batch(run *r, const pf_loader *l, const size_t *idx, size_t rows)
{
    const double *f0 = pf_loader_f0(l);
    const float *fr = pf_loader_f0_frames(l);
    size_t w = (size_t)r->frames;
    for (size_t i = 0; i < rows; i++)
        if (r->c->target == PF_TARGET_FRAMES)
            pf_target_encode_frames(r->c, fr + idx[i] * w, r->frames, r->t + i * r->n_out);
        else
            pf_target_encode(r->c, f0[idx[i]], r->t + i * r->n_out);
}

/* frames: decode the @p rows outputs in r->y into r->est and r->conf from frame @p at on, and
 * their labels into r->ref; returns the frames filled. */
static size_t decode_frames(run *r, const size_t *idx, size_t rows, size_t at)
{
    const float *fr = pf_loader_f0_frames(r->val);
    size_t w = (size_t)r->frames;
    for (size_t i = 0; i < rows; i++, at += w) {
        pf_target_decode_frames(&r->meta, r->yall + i * r->n_out, r->frames, r->est + at,
                                r->conf + at);
        for (size_t k = 0; k < w; k++)
            r->ref[at + k] = fr[idx[i] * w + k];
    }
    return rows * w;
}

static void progress(const run *r, int epoch, size_t b, double loss, size_t seen, double t0)
{
    if (!r->o || !r->o->progress)
        return;
    double el = pf_now_s() - t0, per = b ? el / (double)b : 0;
    size_t nb = pf_loader_batches(r->train);
    /* the ETA of the run: this epoch's remaining batches and the epochs after it at this pace */
    double eta = per * ((double)(nb - (b < nb ? b : nb)) + (double)nb * (r->c->epochs - epoch));
    char when[32];
    pf_format_duration(eta, when, sizeof when);
    fprintf(stderr, "\rtrain: epoch %d/%d  batch %zu/%zu  loss %.5g  %.1f examples/s  ETA %s   ",
            epoch, r->c->epochs, b, nb, loss, el > 0 ? (double)seen / el : 0, when);
}

/* The dropout seed of rank @p rank at step @p step: the (rank + 1)-th draw of the step's stream
 * (rank 0's is one process's). */
static uint64_t step_seed(const pf_train_config *c, uint64_t step, int rank)
{
    pf_rng g;
    pf_rng_init(&g, c->seed, PF_STREAM_TRAIN_STEP, step);
    uint64_t s = pf_rng_u64(&g);
    for (int k = 0; k < rank; k++)
        s = pf_rng_u64(&g);
    return s;
}

/* Sum the ranks' losses and gradients in rank order (the time to *@p exchange_s); the gradient
 * only when the loss is finite. */
static int exchange(pf_dist *d, pf_model *m, double *loss, double *exchange_s,
                    pf_error *err)
{
    if (pf_dist_size(d) == 1)
        return 0;
    double t0 = pf_now_s();
    int rc = pf_dist_sum_f64(d, loss, 1, err) ||
             (isfinite(*loss) && pf_dist_sum_f32(d, pf_model_grads(m), pf_model_n_params(m), err));
    *exchange_s += pf_now_s() - t0;
    return rc ? pf_error_prefix(err, "the gradient exchange") : 0;
}

/* pf_train_step on this rank's @p rows of a batch of @p all rows over the ranks of @p d. */
static int train_step_part(pf_model *m, pf_optimizer *o, const pf_train_config *c,
                           pf_dist *d, const float *x, size_t rows, size_t all,
                           const float *t, float *y, float *dy, double *loss, double *exchange_s,
                           pf_error *err)
{
    size_t n_out = pf_model_out_size(m);
    if (pf_model_forward(m, x, y, 1, step_seed(c, o->step, pf_dist_rank(d)), err))
        return -1;
    memset(dy, 0, (size_t)pf_model_batch(m) * n_out * sizeof *dy);
    *loss = pf_loss_eval_part(c->loss, y, t, rows, n_out, all, dy);
    if (pf_dist_size(d) == 1 && !isfinite(*loss))
        return 0;
    if (pf_model_backward(m, dy, err) || exchange(d, m, loss, exchange_s, err))
        return -1;
    if (isfinite(*loss))
        pf_optimizer_step(o, pf_model_params(m), pf_model_grads(m));
    return 0;
}

int pf_train_step(pf_model *m, pf_optimizer *o, const pf_train_config *c, const float *x,
                  size_t rows, const float *t, float *y, float *dy, double *loss, pf_error *err)
{
    double ignored = 0;
    return train_step_part(m, o, c, NULL, x, rows, rows, t, y, dy, loss, &ignored, err);
}

static int nan_stop(const run *r, int epoch, const char *what, pf_error *err)
{
    if (r->o && r->o->progress)
        fputc('\n', stderr);
    if (epoch > 1 || r->ck_written)
        return PF_FAIL(err, PF_EINVAL, "epoch %d: the %s is not finite (diverged: lower "
                       "optimizer.lr?); stopped; %s holds the last good state (step %llu)",
                       epoch, what, r->ck_path, (unsigned long long)r->ck_step);
    return PF_FAIL(err, PF_EINVAL, "epoch %d: the %s is not finite (diverged: lower "
                   "optimizer.lr?); stopped before any checkpoint", epoch, what);
}

static int train_epoch(run *r, int epoch, pf_epoch_metrics *em, pf_error *err)
{
    const float *x;
    const size_t *idx, *idx_all;
    size_t rows, all, seen = 0; /* by this run, for the rate */
    double t0 = pf_now_s(), loss = 0;
    int got;
    r->opt.lr = r->c->lr * pow(r->c->lr_decay, epoch - 1);
    r->exchange_s = 0;
    pf_loader_start_at(r->train, r->c->seed, (uint64_t)epoch, 1, r->ep_batch);
    while ((got = pf_loader_next(r->train, &x, &idx, &rows, err)) == 1) {
        pf_loader_batch_all(r->train, &idx_all, &all);
        encode_batch(r, r->train, idx, rows);
        if (train_step_part(r->model, &r->opt, r->c, r->dist, x, rows, all, r->t, r->y, r->dy,
                            &loss, &r->exchange_s, err))
            return -1;
        if (!isfinite(loss))
            return nan_stop(r, epoch, "training loss", err);
        r->ep_sum += loss * (double)all;
        r->ep_seen += all;
        r->ep_batch++;
        seen += all;
        progress(r, epoch, r->ep_batch, r->ep_sum / (double)r->ep_seen, seen, t0);
        if (pf_interrupted()) return interrupted(r, epoch, err);
        if (checkpoint_due(r) && save_checkpoint(r, epoch - 1, err)) return -1;
    }
    em->seconds = pf_now_s() - t0;
    em->exchange_seconds = r->exchange_s;
    em->train_loss = r->ep_seen ? r->ep_sum / (double)r->ep_seen : NAN;
    em->examples_per_s = em->seconds > 0 ? (double)seen / em->seconds : 0;
    return got;
}

/* frames: mir_eval's frame metrics over the @p n val columns decoded into r->est and r->conf
 * (voiced from @p threshold), against their labels in r->ref. */
static void score_frames_at(const run *r, size_t n, double threshold, pf_melody_scores *s)
{
    unsigned char *voiced = pf_calloc(n + 1, 1);
    for (size_t i = 0; i < n; i++)
        voiced[i] = r->conf[i] >= threshold;
    pf_melody_counts c = {0};
    pf_melody_count_hz(r->ref, r->est, voiced, n, &c);
    pf_melody_scores_from(&c, s);
    free(voiced);
}

/* The per-epoch metrics: voiced at PF_FRAMES_VOICED, one threshold for every epoch. */
static void score_frames(const run *r, size_t n, pf_melody_scores *s)
{
    score_frames_at(r, n, PF_FRAMES_VOICED, s);
}

/*
 * frames: the voicing threshold of the model file, chosen on the last val pass (@p n columns):
 * of 0.05, 0.10 .. 0.95, the one with the best overall accuracy (mir_eval's OA), the nearest
 * to PF_FRAMES_VOICED among equals. Voicing is a decision after the network, as CREPE's
 * threshold is; val chooses it, as it chooses the epoch.
 */
static void choose_voicing(run *r, size_t n)
{
    if (!n) return; /* no val split: readers keep PF_FRAMES_VOICED */
    double best_t = PF_FRAMES_VOICED, best_oa = -1, at_default = 0;
    for (int k = 1; k <= 19; k++) {
        double t = 0.05 * k;
        pf_melody_scores s;
        score_frames_at(r, n, t, &s);
        if (k == 10) at_default = s.oa[0];
        if (s.oa[0] > best_oa + 1e-12 ||
            (fabs(s.oa[0] - best_oa) <= 1e-12 &&
             fabs(t - PF_FRAMES_VOICED) < fabs(best_t - PF_FRAMES_VOICED)))
            best_oa = s.oa[0], best_t = t;
    }
    r->meta.voicing_threshold = best_t;
    if (r->o && r->o->verbose)
        fprintf(stderr, "voicing threshold %.2f, chosen on val: OA %.4f (%.4f at %.2f)\n", best_t,
                best_oa, at_default, PF_FRAMES_VOICED);
}

/* Every rank's outputs of the val batch of @p all rows into r->yall, in rank order (each ran
 * its part: pf_loader_part_rows). */
static int gather_outputs(run *r, size_t all, pf_error *err)
{
    if (r->ranks == 1)
        return 0;
    size_t *counts = pf_calloc((size_t)r->ranks, sizeof *counts), lo;
    for (int k = 0; k < r->ranks; k++) {
        pf_loader_part_rows(all, k, r->ranks, &lo, &counts[k]);
        counts[k] *= r->n_out;
    }
    int rc = pf_dist_gather_f32(r->dist, r->y, r->yall, counts, err);
    free(counts);
    return rc ? pf_error_prefix(err, "the validation outputs") : 0;
}

/* The val pass: each rank runs its part of every batch, then every rank scores the whole batch
 * (the same numbers as one process given the same weights). */
static int val_epoch(run *r, int epoch, pf_epoch_metrics *em, pf_error *err)
{
    const float *x;
    const size_t *idx;
    size_t rows, all, n = 0;
    double sum = 0;
    int got;
    const double *f0 = pf_loader_f0(r->val);
    pf_loader_start(r->val, r->c->seed, 0, 0);
    while ((got = pf_loader_next(r->val, &x, &idx, &rows, err)) == 1) {
        if (pf_interrupted()) /* the train pass is done: the checkpoint says so */
            return interrupted(r, epoch, err);
        if (pf_model_forward(r->model, x, r->y, 0, 0, err))
            return -1;
        pf_loader_batch_all(r->val, &idx, &all);
        if (gather_outputs(r, all, err))
            return -1;
        encode_batch(r, r->val, idx, all);
        sum += pf_loss_eval(r->c->loss, r->yall, r->t, all, r->n_out, NULL) * (double)all;
        if (r->c->target == PF_TARGET_FRAMES) {
            n += decode_frames(r, idx, all, n);
            continue;
        }
        for (size_t i = 0; i < all; i++, n++) {
            r->est[n] = pf_target_decode(&r->meta, r->yall + i * r->n_out, r->n_out);
            r->ref[n] = f0[idx[i]];
        }
    }
    if (got)
        return -1;
    if (r->c->target == PF_TARGET_FRAMES) { /* n counts frames */
        r->val_columns = n;
        em->val_loss = n ? sum / (double)(n / (size_t)r->frames) : NAN;
        score_frames(r, n, &em->val_frames);
        em->val_rpa50 = em->val_frames.rpa[0], em->val_rca50 = em->val_frames.rca[0];
        em->val_mae_hz = em->val_median_cents = NAN;
        return 0;
    }
    em->val_loss = n ? sum / (double)n : NAN;
    em->val_mae_hz = pf_mae_hz(r->est, r->ref, n);
    em->val_median_cents = pf_median_abs_cents(r->est, r->ref, n);
    em->val_rpa50 = pf_rpa(r->est, r->ref, n, 50);
    em->val_rca50 = pf_rca(r->est, r->ref, n, 50);
    return 0;
}

/* A JSON number, or null when not finite. */
static void json_num(FILE *f, const char *key, double v, int last)
{
    if (isfinite(v))
        fprintf(f, "\"%s\": %.9g%s", key, v, last ? "" : ", ");
    else
        fprintf(f, "\"%s\": null%s", key, last ? "" : ", ");
}

static int metrics_append(const run *r, const pf_epoch_metrics *m, pf_error *err)
{
    FILE *f = fopen(r->metrics_path, "a");
    if (!f)
        return PF_FAIL(err, PF_EIO, "cannot append to %s: %s", r->metrics_path, strerror(errno));
    fprintf(f, "{\"epoch\": %d, \"step\": %llu, ", m->epoch, (unsigned long long)r->opt.step);
    json_num(f, "lr", r->opt.lr, 0);
    json_num(f, "train_loss", m->train_loss, 0);
    json_num(f, "val_loss", m->val_loss, 0);
    json_num(f, "val_mae_hz", m->val_mae_hz, 0);
    json_num(f, "val_median_cents", m->val_median_cents, 0);
    json_num(f, "val_rpa50", m->val_rpa50, 0);
    json_num(f, "val_rca50", m->val_rca50, 0);
    if (r->c->target == PF_TARGET_FRAMES) {
        json_num(f, "val_vr", m->val_frames.vr, 0);
        json_num(f, "val_vfa", m->val_frames.vfa, 0);
        json_num(f, "val_rpa10", m->val_frames.rpa[2], 0);
        json_num(f, "val_oa", m->val_frames.oa[0], 0);
    }
    json_num(f, "examples_per_s", m->examples_per_s, 0);
    if (r->ranks > 1) { /* absent on one process: its lines as before */
        fprintf(f, "\"ranks\": %d, ", r->ranks);
        json_num(f, "exchange_seconds", m->exchange_seconds, 0);
    }
    json_num(f, "seconds", m->seconds, 1);
    fputs("}\n", f);
    int bad = fflush(f) || fsync(fileno(f)); /* on disk before the checkpoint is */
    return fclose(f) || bad ? PF_FAIL(err, PF_EIO, "cannot write %s", r->metrics_path) : 0;
}

static void log_epoch(const run *r, const pf_epoch_metrics *m)
{
    if (r->o && r->o->progress)
        fputc('\n', stderr);
    if (!r->o || !r->o->verbose)
        return;
    fprintf(stderr, "epoch %d/%d: train loss %.5g, val loss %.5g, MAE %.2f Hz, median %.1f "
                    "cents, RPA50 %.3f, RCA50 %.3f, %.1f examples/s, %.1f s\n",
            m->epoch, r->c->epochs, m->train_loss, m->val_loss, m->val_mae_hz,
            m->val_median_cents, m->val_rpa50, m->val_rca50, m->examples_per_s, m->seconds);
}

static int run_epoch(run *r, int epoch, pf_epoch_metrics *m, pf_error *err)
{
    *m = (pf_epoch_metrics){.epoch = epoch};
    if (pf_interrupted()) return interrupted(r, epoch, err);
    if (train_epoch(r, epoch, m, err) || val_epoch(r, epoch, m, err))
        return -1;
    if (!isfinite(m->val_loss))
        return nan_stop(r, epoch, "validation loss", err);
    log_epoch(r, m);
    r->ep_batch = r->ep_seen = 0, r->ep_sum = 0; /* every rank: the next epoch starts at 0 */
    if (r->rank > 0) /* rank 0 writes the files */
        return 0;
    /* the line first: a crash between the two leaves a line past the checkpoint, which
     * --resume drops (metrics_truncate), never a checkpoint without its line */
    return metrics_append(r, m, err) || save_checkpoint(r, epoch, err) ? -1 : 0;
}

/* ---- entry ---- */

static void run_release(run *r)
{
    pf_loader_free(r->train);
    pf_loader_free(r->val);
    pf_model_free(r->model);
    pf_optimizer_release(&r->opt);
    free(r->spec.layers);
    if (r->yall != r->y)
        free(r->yall);
    free(r->y), free(r->t), free(r->dy), free(r->est), free(r->ref), free(r->conf);
    free(r->ck_path), free(r->metrics_path), free(r->model_path);
    pf_dir_unlock(r->lock);
}

/* An earlier run's files in the output folder are not overwritten unless asked (--resume
 * continues it, --force replaces it). */
static int check_earlier(const run *r, pf_error *err)
{
    struct stat st;
    char what[64] = "";
    if (r->o && (r->o->resume || r->o->force)) return 0;
    if (stat(r->model_path, &st) == 0) strcat(what, ", model.h5");
    if (stat(r->ck_path, &st) == 0) strcat(what, ", checkpoint.h5");
    if (stat(r->metrics_path, &st) == 0 && st.st_size > 0) strcat(what, ", metrics.jsonl");
    if (!what[0]) return 0;
    return PF_FAIL(err, PF_EEXIST, "%s holds an earlier run (%s): --resume continues it from its "
                   "checkpoint, --force replaces it, or set another output in %s", r->c->output,
                   what + 2, r->c->file);
}

/* The output folder, locked, and refused when it holds an earlier run not to be touched. */
static int take_output(run *r, pf_error *err)
{
    const pf_train_config *c = r->c;
    if (pf_mkdirs(c->output, err)) return -1;
    char what[1200];
    snprintf(what, sizeof what, "pitchforge train %s", c->file);
    r->lock = pf_dir_lock_take(c->output, 0, 0, r->o && r->o->command ? r->o->command : what, err);
    return r->lock ? check_earlier(r, err) : -1;
}

/* A fresh run: the files of an earlier one go (only --force gets here with any). */
static int start_fresh(run *r, pf_error *err)
{
    if ((unlink(r->model_path) && errno != ENOENT) || (unlink(r->ck_path) && errno != ENOENT))
        return PF_FAIL(err, PF_EIO, "%s: cannot remove the earlier run's files: %s",
                       r->c->output, strerror(errno));
    return metrics_truncate(r->metrics_path, 0, err);
}

/* Every rank starts from rank 0's state: weights, optimizer moments, step, epochs done. */
static int share_state(run *r, pf_error *err)
{
    if (r->ranks == 1)
        return 0;
    size_t bytes = r->opt.n * sizeof(float);
    uint64_t counters[4] = {r->opt.step, (uint64_t)r->epoch0, r->ep_batch, r->ep_seen};
    if (pf_dist_bcast(r->dist, pf_model_params(r->model), bytes, err) ||
        pf_dist_bcast(r->dist, r->opt.m, bytes, err) ||
        pf_dist_bcast(r->dist, r->opt.v, bytes, err) ||
        pf_dist_bcast(r->dist, counters, sizeof counters, err) ||
        pf_dist_bcast(r->dist, &r->ep_sum, sizeof r->ep_sum, err))
        return pf_error_prefix(err, "sharing rank 0's starting state");
    r->opt.step = counters[0], r->epoch0 = (int)counters[1];
    r->ep_batch = (size_t)counters[2], r->ep_seen = (size_t)counters[3];
    return 0;
}

static int run_all(run *r, pf_epoch_metrics *last, pf_error *err)
{
    const pf_train_config *c = r->c;
    int resuming = r->o && r->o->resume;
    if ((r->rank == 0 && take_output(r, err)) || open_data(r, err) || make_model(r, err) ||
        (c->init_model && apply_init(r, !resuming, err)))
        return -1;
    if ((r->rank == 0 && (resuming ? resume(r, err) : start_fresh(r, err))) ||
        share_state(r, err))
        return -1;
    r->ck_time = pf_now_s();
    for (int e = r->epoch0 + 1; e <= c->epochs; e++)
        if (run_epoch(r, e, last, err))
            return -1;
    if (c->target == PF_TARGET_FRAMES) { /* a val pass of the final weights, unless just run */
        pf_epoch_metrics m = {0};
        if (r->epoch0 >= c->epochs && val_epoch(r, c->epochs, &m, err)) return -1;
        choose_voicing(r, r->val_columns);
    }
    if (r->rank == 0 && pf_model_save(r->model_path, r->model, &r->spec, &r->meta, err))
        return pf_error_prefix(err, "%s", r->model_path);
    return 0;
}

int pf_train(const pf_train_config *c, const pf_train_opts *o, pf_epoch_metrics *last,
             pf_error *err)
{
    if (!c || !c->dataset || !c->output)
        return PF_FAIL(err, PF_EINVAL, "pf_train: no config");
    run r = {.c = c, .o = o, .dist = o ? o->dist : NULL};
    r.rank = pf_dist_rank(r.dist), r.ranks = pf_dist_size(r.dist);
    pf_epoch_metrics scratch = {0};
    r.ck_path = pf_path_dup(c->output, "checkpoint.h5");
    r.metrics_path = pf_path_dup(c->output, "metrics.jsonl");
    r.model_path = pf_path_dup(c->output, "model.h5");
    int rc = run_all(&r, last ? last : &scratch, err);
    run_release(&r);
    return rc;
}
