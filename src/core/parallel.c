/* pf_parallel_for: threads that take the next index from one atomic counter. */
#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define PF_PARALLEL_MAX 64

typedef struct loop {
    void (*fn)(void *arg, size_t i);
    void *arg;
    size_t n;
    atomic_size_t next;
} loop;

static void *loop_thread(void *p)
{
    loop *l = p;
    for (size_t i; (i = atomic_fetch_add(&l->next, 1)) < l->n;)
        l->fn(l->arg, i);
    return NULL;
}

void pf_parallel_for(size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
    loop l = {.fn = fn, .arg = arg, .n = n};
    atomic_init(&l.next, 0);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = cores < 1 ? 1 : (size_t)cores;
    nt = nt > n ? n : nt;
    nt = nt > PF_PARALLEL_MAX ? PF_PARALLEL_MAX : nt;
    pthread_t th[PF_PARALLEL_MAX];
    size_t started = 0;
    while (started + 1 < nt && pthread_create(&th[started], NULL, loop_thread, &l) == 0)
        started++;
    loop_thread(&l);
    for (size_t t = 0; t < started; t++)
        pthread_join(th[t], NULL);
}
