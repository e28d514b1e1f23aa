/* Private FFT wrapper over single-precision FFTW (see fft.h). */
#include "dsp/fft.h"

#include <fftw3.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "pitchforge/error.h"
#include "pitchforge/spectrogram.h"

_Static_assert(sizeof(pf_cfloat) == sizeof(fftwf_complex), "pf_cfloat must match fftwf_complex");

struct pf_fft_plan {
    fftwf_plan plan;
};

/* The FFTW planner (plan creation and destruction) is not thread-safe. */
static pthread_mutex_t planner_lock = PTHREAD_MUTEX_INITIALIZER;

/* Planner flags: ESTIMATE only, so plans are chosen without timing and runs are repeatable. */
enum { PF_FFT_FLAGS = FFTW_ESTIMATE };

static void *fft_alloc(size_t n, size_t elem)
{
    if (n == 0) n = 1;
    size_t bytes;
    if (pf_mul_size(n, elem, &bytes)) abort(); /* size overflow: treated as out of memory */
    void *p = fftwf_malloc(bytes);
    if (!p) abort(); /* STYLE rule 3: out of memory aborts */
    memset(p, 0, bytes);
    return p;
}

float *pf_fft_alloc_real(size_t n)
{
    return fft_alloc(n, sizeof(float));
}

pf_cfloat *pf_fft_alloc_complex(size_t n)
{
    return fft_alloc(n, sizeof(pf_cfloat));
}

void pf_fft_free(void *p)
{
    if (p) fftwf_free(p);
}

pf_fft_batch pf_fft_batch_contiguous(int n, int howmany)
{
    pf_fft_batch b = {n, howmany, 1, n, 1, n / 2 + 1};
    return b;
}

static int batch_check(const pf_fft_batch *b, pf_error *err)
{
    if (!b || b->n < 1 || b->howmany < 1)
        return PF_FAIL(err, PF_EINVAL, "fft: bad batch (n %d, howmany %d)", b ? b->n : 0,
                       b ? b->howmany : 0);
    return 0;
}

/* Wrap a freshly made FFTW plan, or report that FFTW declined. */
static pf_fft_plan *plan_wrap(fftwf_plan fp, const char *kind, int n, pf_error *err)
{
    if (!fp) {
        PF_FAIL(err, PF_ELIB, "fft: FFTW could not plan a %s transform of size %d", kind, n);
        return NULL;
    }
    pf_fft_plan *p = pf_malloc(sizeof *p);
    p->plan = fp;
    return p;
}

pf_fft_plan *pf_fft_plan_r2c(const pf_fft_batch *b, float *in, pf_cfloat *out, pf_error *err)
{
    if (batch_check(b, err)) return NULL;
    int n = b->n;
    pthread_mutex_lock(&planner_lock);
    fftwf_plan fp = fftwf_plan_many_dft_r2c(1, &n, b->howmany, in, NULL, b->istride, b->idist,
                                            (fftwf_complex *)out, NULL, b->ostride, b->odist,
                                            PF_FFT_FLAGS | FFTW_PRESERVE_INPUT);
    pthread_mutex_unlock(&planner_lock);
    return plan_wrap(fp, "real-to-complex", n, err);
}

pf_fft_plan *pf_fft_plan_c2c(const pf_fft_batch *b, pf_cfloat *in, pf_cfloat *out, pf_error *err)
{
    if (batch_check(b, err)) return NULL;
    int n = b->n;
    pthread_mutex_lock(&planner_lock);
    fftwf_plan fp = fftwf_plan_many_dft(1, &n, b->howmany, (fftwf_complex *)in, NULL, b->istride,
                                        b->idist, (fftwf_complex *)out, NULL, b->ostride, b->odist,
                                        FFTW_FORWARD, PF_FFT_FLAGS);
    pthread_mutex_unlock(&planner_lock);
    return plan_wrap(fp, "complex", n, err);
}

pf_fft_plan *pf_fft_plan_c2r(const pf_fft_batch *b, pf_cfloat *in, float *out, pf_error *err)
{
    if (batch_check(b, err)) return NULL;
    int n = b->n;
    pthread_mutex_lock(&planner_lock);
    fftwf_plan fp =
        fftwf_plan_many_dft_c2r(1, &n, b->howmany, (fftwf_complex *)in, NULL, b->istride, b->idist,
                                out, NULL, b->ostride, b->odist, PF_FFT_FLAGS);
    pthread_mutex_unlock(&planner_lock);
    return plan_wrap(fp, "complex-to-real", n, err);
}

void pf_fft_execute(const pf_fft_plan *p)
{
    fftwf_execute(p->plan);
}

void pf_fft_plan_free(pf_fft_plan *p)
{
    if (!p) return;
    pthread_mutex_lock(&planner_lock);
    fftwf_destroy_plan(p->plan);
    pthread_mutex_unlock(&planner_lock);
    free(p);
}

const char *pf_fft_version(void)
{
    return fftwf_version;
}
