/* Stop on request (core/interrupt.h). */
#include "core/interrupt.h"

#include <stdatomic.h>

_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler needs a lock-free atomic int");

static atomic_int requested;

void pf_interrupt_request(int sig)
{
    atomic_store(&requested, sig);
}

int pf_interrupted(void)
{
    return atomic_load_explicit(&requested, memory_order_relaxed);
}

void pf_interrupt_clear(void)
{
    atomic_store(&requested, 0);
}
