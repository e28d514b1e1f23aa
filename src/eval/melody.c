/* Frame metrics of pitch tracks with mir_eval.melody's definitions (mir_eval 0.7, binary
 * voicing), step by step as its to_cent_voicing, resample_melody_series and metric functions
 * compute them, so the numbers agree with it to the last bit (tests/test_melody.c checks).
 * Where numpy or scipy does the work, the comment names the call reproduced. */
#include "pitchforge/melody.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

const double pf_melody_tolerances[PF_MELODY_TOLS] = {50, 25, 10};

#define BASE_HZ 10.0 /* mir_eval's base_frequency for cents */

double pf_melody_signed_f0(double f0_hz, int voiced)
{
    return voiced && f0_hz != 0 ? fabs(f0_hz) : -fabs(f0_hz);
}

/* mir_eval.melody.hz2cents of one value (of |f|; 0 stays 0). */
static double hz_to_cents(double f_hz)
{
    return f_hz != 0 ? 1200.0 * log2(fabs(f_hz) / BASE_HZ) : 0.0;
}

/* np.round(x, 10): scale, round half to even, unscale. */
static double round10(double x)
{
    return rint(x * 1e10) / 1e10;
}

static int check_track(const pf_melody_track *t, const char *what, pf_error *err)
{
    if (!t || !t->n || !t->time_s || !t->f0_hz)
        return PF_FAIL(err, PF_EINVAL, "melody: the %s track is empty", what);
    for (size_t i = 0; i < t->n; i++) {
        double x = t->time_s[i];
        if (!isfinite(x) || x < 0 || (i && !(x > t->time_s[i - 1])))
            return PF_FAIL(err, PF_EINVAL,
                           "melody: %s time %zu (%g s) is not finite, >= 0 and after the one "
                           "before",
                           what, i, x);
        if (!isfinite(t->f0_hz[i]))
            return PF_FAIL(err, PF_EINVAL, "melody: %s f0 %zu is not finite", what, i);
    }
    return 0;
}

/* A track as to_cent_voicing first shapes it: a frame at time 0 holding the first f0 when the
 * track starts later, then voicing (f0 > 0) and cents of |f0|. Arrays of *n + 1 values. */
typedef struct series {
    size_t n;
    double *t, *v, *c;
} series;

static void series_init(series *s, const pf_melody_track *tr)
{
    size_t lead = tr->time_s[0] > 0;
    s->n = tr->n + lead;
    s->t = pf_calloc(3 * (s->n + 1), sizeof *s->t);
    s->v = s->t + s->n + 1, s->c = s->v + s->n + 1;
    for (size_t i = 0; i < s->n; i++) {
        size_t k = i < lead ? 0 : i - lead;
        double f = tr->f0_hz[k];
        s->t[i] = i < lead ? 0.0 : tr->time_s[k];
        s->v[i] = f > 0 ? 1.0 : 0.0;
        s->c[i] = hz_to_cents(f);
    }
}

/* np.allclose(a, b): |a - b| <= 1e-8 + 1e-5 |b| everywhere. */
static int allclose(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(fabs(a[i] - b[i]) <= 1e-8 + 1e-5 * fabs(b[i]))) return 0;
    return 1;
}

/* np.interp(x, xp, yp) for x in [xp[0], xp[n-1]], with j the last index where xp[j] <= x:
 * numpy's formula, including its exact hit and its NaN fallbacks. */
static double interp_at(const double *xp, const double *yp, size_t n, size_t j, double x)
{
    if (j == n - 1 || xp[j] == x) return yp[j];
    double slope = (yp[j + 1] - yp[j]) / (xp[j + 1] - xp[j]);
    double y = slope * (x - xp[j]) + yp[j];
    if (isnan(y)) {
        y = slope * (x - xp[j + 1]) + yp[j + 1];
        if (isnan(y) && yp[j] == yp[j + 1]) y = yp[j];
    }
    return y;
}

/*
 * resample_melody_series(times, cents, voicing, times_new, 'linear') for binary voicing:
 * times rounded to 1e-10 s; a frame (max(times_new), 0, 0) appended when times_new reach past
 * the end; cents linear over the zeros held at the last nonzero value, then zeroed where
 * interp1d(..., 'zero') of the raw cents is 0; voicing by interp1d 'zero' (the previous
 * frame's value; the last frame's at the last time). @p s is rounded and extended in place.
 */
static void resample(series *s, const double *times_new, size_t m, double *c_out, double *v_out)
{
    double *tn = pf_calloc(m, sizeof *tn), *held = pf_calloc(s->n + 1, sizeof *held);
    for (size_t i = 0; i < m; i++)
        tn[i] = round10(times_new[i]);
    for (size_t i = 0; i < s->n; i++)
        s->t[i] = round10(s->t[i]);
    if (tn[m - 1] > s->t[s->n - 1]) /* room for one more: series_init allocated n + 1 */
        s->t[s->n] = tn[m - 1], s->c[s->n] = 0, s->v[s->n] = 0, s->n++;
    for (size_t i = 0; i < s->n; i++)
        held[i] = i && s->c[i] == 0 ? held[i - 1] : s->c[i];
    size_t j = 0;
    for (size_t i = 0; i < m; i++) {
        while (j + 1 < s->n && s->t[j + 1] <= tn[i])
            j++;
        double lin = interp_at(s->t, held, s->n, j, tn[i]);
        c_out[i] = s->c[j] != 0 ? lin : 0.0;
        v_out[i] = s->v[j];
    }
    free(held);
    free(tn);
}

int pf_melody_to_cent_voicing(const pf_melody_track *ref, const pf_melody_track *est,
                              pf_melody_frames *f, pf_error *err)
{
    memset(f, 0, sizeof *f);
    if (check_track(ref, "reference", err) || check_track(est, "estimate", err)) return -1;
    series r, e;
    series_init(&r, ref);
    series_init(&e, est);
    f->n = r.n;
    f->ref_voicing = pf_calloc(4 * f->n, sizeof *f->ref_voicing);
    f->ref_cent = f->ref_voicing + f->n;
    f->est_voicing = f->ref_cent + f->n, f->est_cent = f->est_voicing + f->n;
    memcpy(f->ref_voicing, r.v, f->n * sizeof *r.v);
    memcpy(f->ref_cent, r.c, f->n * sizeof *r.c);
    if (e.n == r.n && allclose(e.t, r.t, r.n)) { /* the same grid: taken as it is */
        memcpy(f->est_voicing, e.v, f->n * sizeof *e.v);
        memcpy(f->est_cent, e.c, f->n * sizeof *e.c);
    } else
        resample(&e, r.t, r.n, f->est_cent, f->est_voicing);
    free(r.t);
    free(e.t);
    return 0;
}

void pf_melody_frames_release(pf_melody_frames *f)
{
    if (!f) return;
    free(f->ref_voicing); /* one allocation holds the four arrays */
    memset(f, 0, sizeof *f);
}

/* One frame's share of every metric: voicing_recall, voicing_false_alarm, and the pitch tests
 * of raw_pitch_accuracy, raw_chroma_accuracy and overall_accuracy (only frames where both
 * cents are nonzero are compared; strictly below the tolerance is correct). */
static void count_frame(double rv, double rc, double ev, double ec, pf_melody_counts *c)
{
    c->frames++;
    if (!(rv > 0)) {
        c->est_voiced_on_unvoiced += ev > 0;
        return;
    }
    c->ref_voiced++;
    c->est_voiced_on_voiced += ev > 0;
    if (ec == 0 || rc == 0) return;
    double d = fabs(rc - ec), octave = 1200.0 * floor(d / 1200 + 0.5);
    for (int k = 0; k < PF_MELODY_TOLS; k++) {
        int ok = d < pf_melody_tolerances[k];
        c->pitch_ok[k] += ok;
        c->chroma_ok[k] += fabs(d - octave) < pf_melody_tolerances[k];
        c->overall_ok[k] += ok && ev > 0;
    }
}

void pf_melody_count(const pf_melody_frames *f, pf_melody_counts *c)
{
    for (size_t i = 0; i < f->n; i++)
        count_frame(f->ref_voicing[i], f->ref_cent[i], f->est_voicing[i], f->est_cent[i], c);
}

void pf_melody_count_hz(const double *ref_hz, const double *est_hz, const unsigned char *est_voiced,
                        size_t n, pf_melody_counts *c)
{
    for (size_t i = 0; i < n; i++) {
        double e = est_voiced ? pf_melody_signed_f0(est_hz[i], est_voiced[i]) : est_hz[i];
        count_frame(ref_hz[i] > 0, hz_to_cents(ref_hz[i]), e > 0, hz_to_cents(e), c);
    }
}

void pf_melody_scores_from(const pf_melody_counts *c, pf_melody_scores *s)
{
    memset(s, 0, sizeof *s);
    s->frames = c->frames, s->voiced = c->ref_voiced;
    if (!c->frames) return; /* mir_eval: every metric of empty arrays is 0 */
    size_t unvoiced = c->frames - c->ref_voiced;
    double nv = (double)c->ref_voiced;
    s->vr = c->ref_voiced ? (double)c->est_voiced_on_voiced / nv : 1.0;
    s->vfa = unvoiced ? (double)c->est_voiced_on_unvoiced / (double)unvoiced : 0.0;
    for (int k = 0; k < PF_MELODY_TOLS; k++) {
        s->rpa[k] = c->ref_voiced ? (double)c->pitch_ok[k] / nv : 0.0;
        s->rca[k] = c->ref_voiced ? (double)c->chroma_ok[k] / nv : 0.0;
        s->oa[k] = ((double)c->overall_ok[k] + (double)(unvoiced - c->est_voiced_on_unvoiced)) /
                   (double)c->frames;
    }
}

int pf_melody_evaluate(const pf_melody_track *ref, const pf_melody_track *est, pf_melody_scores *s,
                       pf_error *err)
{
    pf_melody_frames f;
    if (pf_melody_to_cent_voicing(ref, est, &f, err)) return -1;
    pf_melody_counts c = {0};
    pf_melody_count(&f, &c);
    pf_melody_scores_from(&c, s);
    pf_melody_frames_release(&f);
    return 0;
}

/* ---- MDB-stem-synth's CSV ---- */

/* Parse "time,f0" (spaces allowed around both) into @p t and @p f; 0 when it is one. */
static int parse_line(const char *s, double *t, double *f)
{
    char *end;
    errno = 0;
    *t = strtod(s, &end);
    if (end == s || errno) return -1;
    for (s = end; *s == ' ' || *s == '\t'; s++) {
    }
    if (*s++ != ',') return -1;
    *f = strtod(s, &end);
    if (end == s || errno) return -1;
    for (s = end; *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'; s++) {
    }
    return *s ? -1 : 0;
}

int pf_melody_read_csv(const char *path, double **time_s, double **f0_hz, size_t *n, pf_error *err)
{
    *time_s = *f0_hz = NULL, *n = 0;
    FILE *in = fopen(path, "r");
    if (!in) return PF_FAIL(err, PF_EIO, "%s: %s", path, strerror(errno));
    char line[512];
    size_t cap = 0, lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, in)) {
        lineno++;
        if (strspn(line, " \t\r\n") == strlen(line)) continue;
        double t, f;
        if (parse_line(line, &t, &f) || !isfinite(t) || !isfinite(f) || f < 0) {
            rc =
                PF_FAIL(err, PF_EINVAL, "%s:%zu: expected 'time,f0' (seconds, Hz >= 0), got '%.*s'",
                        path, lineno, (int)strcspn(line, "\r\n"), line);
            break;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 1024;
            *time_s = pf_reallocarray(*time_s, cap, sizeof **time_s);
            *f0_hz = pf_reallocarray(*f0_hz, cap, sizeof **f0_hz);
        }
        (*time_s)[*n] = t, (*f0_hz)[(*n)++] = f;
    }
    if (!rc && ferror(in)) rc = PF_FAIL(err, PF_EIO, "%s: read error", path);
    if (!rc && !*n) rc = PF_FAIL(err, PF_EINVAL, "%s: no frames", path);
    fclose(in);
    if (rc) free(*time_s), free(*f0_hz), *time_s = *f0_hz = NULL, *n = 0;
    return rc;
}
