/* Tests for src/core/dist.c. Run plainly (make test) it is one process: the sums leave their
 * buffers, the gather copies, and a launcher's 2 tasks without MPI are refused. tests/e2e_mpi.sh
 * runs it again under mpirun -n 3: every rank's sum must equal, bit for bit, the sum taken here
 * in rank order ((r0 + r1) + r2) from values chosen so that any other grouping rounds
 * differently; the gather must put every rank's values in rank order; the broadcast copies
 * rank 0's bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pitchforge/dist.h"

static pf_dist *dist;

/* Rank @p k's value @p i: large terms that cancel and small ones that are lost or kept
 * depending on the order they are added in. */
static double value(int k, size_t i)
{
    static const double big[] = {1e8, -1e8, 0.5, 3.25e7, -3.25e7};
    return big[(size_t)k % 5] * (1 + (double)(i % 7) / 3) + (double)((i * 31 + (size_t)k) % 17) / 9;
}

static void test_rank_and_size(void **state)
{
    (void)state;
    const char *n = getenv("OMPI_COMM_WORLD_SIZE");
    assert_int_equal(pf_dist_size(dist), n ? atoi(n) : 1);
    assert_in_range(pf_dist_rank(dist), 0, pf_dist_size(dist) - 1);
    assert_int_equal(pf_dist_size(NULL), 1);
    assert_int_equal(pf_dist_rank(NULL), 0);
    print_message("rank %d of %d (%s)\n", pf_dist_rank(dist), pf_dist_size(dist),
                  pf_dist_library(dist));
}

/* pf_dist_sum_f32 and _f64 of @p n values against the rank-order sum, bit for bit. */
static void check_sums(size_t n)
{
    int p = pf_dist_size(dist), me = pf_dist_rank(dist);
    float *f = calloc(n + 1, sizeof *f), *fw = calloc(n + 1, sizeof *fw);
    double *d = calloc(n + 1, sizeof *d), *dw = calloc(n + 1, sizeof *dw);
    for (size_t i = 0; i < n; i++) {
        f[i] = (float)value(me, i), d[i] = value(me, i);
        fw[i] = (float)value(0, i), dw[i] = value(0, i);
        for (int k = 1; k < p; k++)
            fw[i] += (float)value(k, i), dw[i] += value(k, i);
    }
    pf_error err = {0};
    assert_int_equal(pf_dist_sum_f32(dist, f, n, &err), 0);
    assert_int_equal(pf_dist_sum_f64(dist, d, n, &err), 0);
    assert_memory_equal(f, fw, (n + 1) * sizeof *f);
    assert_memory_equal(d, dw, (n + 1) * sizeof *d);
    free(f), free(fw), free(d), free(dw);
}

static void test_sum_in_rank_order(void **state)
{
    (void)state;
    check_sums(0);
    check_sums(1); /* fewer values than ranks: some chunks empty */
    check_sums(2);
    check_sums(1001);
    if (pf_dist_size(dist) == 3) { /* the order shows: another grouping rounds otherwise */
        float a = (float)value(0, 0), b = (float)value(1, 0), c = (float)value(2, 0);
        print_message("(r0 + r1) + r2 = %.9g, r0 + (r1 + r2) = %.9g\n", (a + b) + c, a + (b + c));
    }
}

static void test_gather_in_rank_order(void **state)
{
    (void)state;
    int p = pf_dist_size(dist), me = pf_dist_rank(dist);
    size_t *counts = calloc((size_t)p, sizeof *counts), total = 0;
    for (int k = 0; k < p; k++)
        counts[k] = (size_t)k + 1, total += counts[k];
    float mine[64], *all = calloc(total, sizeof *all);
    for (size_t j = 0; j < counts[me]; j++)
        mine[j] = (float)(me * 100 + (int)j);
    pf_error err = {0};
    assert_int_equal(pf_dist_gather_f32(dist, mine, all, counts, &err), 0);
    size_t at = 0;
    for (int k = 0; k < p; k++)
        for (size_t j = 0; j < counts[k]; j++)
            assert_true(all[at++] == (float)(k * 100 + (int)j));
    free(counts), free(all);
}

static void test_bcast_and_barrier(void **state)
{
    (void)state;
    unsigned char buf[257];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = pf_dist_rank(dist) == 0 ? (unsigned char)(i * 7 + 1) : 0;
    pf_error err = {0};
    assert_int_equal(pf_dist_bcast(dist, buf, sizeof buf, &err), 0);
    for (size_t i = 0; i < sizeof buf; i++)
        assert_int_equal(buf[i], (unsigned char)(i * 7 + 1));
    assert_int_equal(pf_dist_barrier(dist, &err), 0);
}

/* srun -n 2 without --mpi=pmix: the tasks have SLURM_STEP_NUM_TASKS but no PMI; each would
 * train alone and write the same files. Refused (plain run only: under mpirun MPI is up). */
static void test_tasks_without_mpi_refused(void **state)
{
    (void)state;
    if (getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK"))
        skip();
    setenv("SLURM_STEP_NUM_TASKS", "2", 1);
    pf_error err = {0};
    pf_dist *d = pf_dist_init(&err);
    unsetenv("SLURM_STEP_NUM_TASKS");
    assert_null(d);
    assert_int_equal(err.code, PF_EINVAL);
    assert_non_null(strstr(err.msg, "started 2 tasks but this process's MPI world has 1"));
    setenv("SLURM_STEP_NUM_TASKS", "1", 1); /* one task: alone, fine */
    d = pf_dist_init(&err);
    unsetenv("SLURM_STEP_NUM_TASKS");
    assert_non_null(d);
    assert_int_equal(pf_dist_size(d), 1);
    pf_dist_free(d);
    pf_dist_free(NULL);
}

static int setup(void **state)
{
    (void)state;
    pf_error err = {0};
    dist = pf_dist_init(&err);
    return dist ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pf_dist_free(dist);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rank_and_size),
        cmocka_unit_test(test_sum_in_rank_order),
        cmocka_unit_test(test_gather_in_rank_order),
        cmocka_unit_test(test_bcast_and_barrier),
        cmocka_unit_test(test_tasks_without_mpi_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
