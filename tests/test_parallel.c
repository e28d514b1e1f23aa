/* Tests for src/core/parallel.c: every index of the loop runs exactly once, on more than one
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_index_once),
        cmocka_unit_test(test_empty_and_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
