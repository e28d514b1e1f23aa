/* Tests for src/core/parallel.c: every part of pf_parallel_run runs exactly once with the part
 * count it was given, part 0 on the caller's thread and the others on threads of their own, the
 * count cut to 1..PF_PARALLEL_MAX; every index of the loop runs exactly once, on more than one
 * thread when the machine has more than one core; an empty loop runs nothing. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/parallel.h"

enum { N = 10000 };

typedef struct visits {
    atomic_int count[N];
    pthread_t thread[N];
} visits;

static void visit(void *arg, size_t i)
{
    visits *v = arg;
    atomic_fetch_add(&v->count[i], 1);
    v->thread[i] = pthread_self();
    for (volatile int k = 0; k < 2000; k++) /* a little work, so the threads overlap */
        ;
}

static void test_each_index_once(void **state)
{
    (void)state;
    static visits v;
    memset(&v, 0, sizeof v);
    pf_parallel_for(N, visit, &v);
    size_t others = 0;
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(atomic_load(&v.count[i]), 1);
        others += !pthread_equal(v.thread[i], v.thread[0]);
    }
    print_message("%zu of %d indexes ran on another thread than index 0's\n", others, N);
    if (sysconf(_SC_NPROCESSORS_ONLN) > 1) assert_true(others > 0);
}

static void test_empty_and_one(void **state)
{
    (void)state;
    static visits v;
    memset(&v, 0, sizeof v);
    pf_parallel_for(0, visit, &v);
    for (size_t i = 0; i < N; i++)
        assert_int_equal(atomic_load(&v.count[i]), 0);
    pf_parallel_for(1, visit, &v);
    assert_int_equal(atomic_load(&v.count[0]), 1);
    assert_true(pthread_equal(v.thread[0], pthread_self()));
    assert_int_equal(atomic_load(&v.count[1]), 0);
}

typedef struct parts {
    atomic_int count[PF_PARALLEL_MAX + 1];
    int nt[PF_PARALLEL_MAX + 1];
    pthread_t thread[PF_PARALLEL_MAX + 1];
} parts;

static void part_visit(void *arg, int t, int nt)
{
    parts *p = arg;
    atomic_fetch_add(&p->count[t], 1);
    p->nt[t] = nt;
    p->thread[t] = pthread_self();
}

/* Run nt parts and check that parts 0..want-1 ran once each with nt = want, none beyond. */
static void check_parts(int nt, int want)
{
    static parts p;
    memset(&p, 0, sizeof p);
    pf_parallel_run(nt, part_visit, &p);
    for (int t = 0; t <= PF_PARALLEL_MAX; t++)
        assert_int_equal(atomic_load(&p.count[t]), t < want);
    for (int t = 0; t < want; t++)
        assert_int_equal(p.nt[t], want);
    assert_true(pthread_equal(p.thread[0], pthread_self()));
    for (int t = 1; t < want; t++) /* a thread of its own (all are joined, so ids may recur) */
        assert_false(pthread_equal(p.thread[t], pthread_self()));
}

static void test_parts(void **state)
{
    (void)state;
    check_parts(1, 1);
    check_parts(2, 2);
    check_parts(7, 7);
    check_parts(0, 1);
    check_parts(-3, 1);
    check_parts(PF_PARALLEL_MAX + 5, PF_PARALLEL_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_index_once),
        cmocka_unit_test(test_empty_and_one),
        cmocka_unit_test(test_parts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
