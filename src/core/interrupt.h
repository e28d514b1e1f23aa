/* Stop on request: a signal handler (src/cli) sets a flag, long loops of the library poll it
 * and return PF_EINTR after cleaning up; only src/cli decides to exit. */
#ifndef PF_CORE_INTERRUPT_H
#define PF_CORE_INTERRUPT_H

/** Ask running work to stop, for signal @p sig (> 0). Async-signal-safe: it only stores
 *  @p sig in a lock-free atomic, so a signal handler may call it. */
void pf_interrupt_request(int sig);
/** The signal that asked work to stop, or 0 when none did. Cheap: poll it once a step. */
int pf_interrupted(void);
/** Forget a request (tests). */
void pf_interrupt_clear(void);

#endif
