/* pf_parallel_run: nt parts on nt threads, the caller's among them; pf_parallel_for: threads
 * that take the next index from one atomic counter. */
#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

typedef struct loop {
    void (*fn)(void *arg, size_t i);
    void *arg;
    size_t n;
    atomic_size_t next;
} loop;

typedef struct part {
    void (*fn)(void *arg, int t, int nt);
    void *arg;
    int t, nt;
} part;

static void *part_thread(void *p)
{
    part *j = p;
    j->fn(j->arg, j->t, j->nt);
    return NULL;
}

void pf_parallel_run(int nt, void (*fn)(void *arg, int t, int nt), void *arg)
{
    nt = nt < 1 ? 1 : nt > PF_PARALLEL_MAX ? PF_PARALLEL_MAX : nt;
    pthread_t th[PF_PARALLEL_MAX];
    part parts[PF_PARALLEL_MAX];
    int started = 0; /* parts 1..started run on threads of their own */
    for (int t = 1; t < nt; t++) {
        parts[t] = (part){fn, arg, t, nt};
        if (pthread_create(&th[t], NULL, part_thread, &parts[t])) break;
        started = t;
    }
    for (int t = started + 1; t < nt; t++) /* parts whose thread did not start: run here */
        fn(arg, t, nt);
    fn(arg, 0, nt);
    for (int t = 1; t <= started; t++)
        pthread_join(th[t], NULL);
}

static void loop_part(void *p, int t, int nt)
{
    (void)t, (void)nt;
    loop *l = p;
    for (size_t i; (i = atomic_fetch_add(&l->next, 1)) < l->n;)
        l->fn(l->arg, i);
}

void pf_parallel_for(size_t n, void (*fn)(void *arg, size_t i), void *arg)
{
    loop l = {.fn = fn, .arg = arg, .n = n};
    atomic_init(&l.next, 0);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    size_t nt = cores < 1 ? 1 : (size_t)cores;
    nt = nt > n ? n : nt;
    pf_parallel_run(nt > PF_PARALLEL_MAX ? PF_PARALLEL_MAX : (int)nt, loop_part, &l);
}
