/*
 * Output folder locks: one run writes a folder at a time (or the parts of one run, each its own
 * part). flock(2) on DIR/.pitchforge.lock, and for a part on DIR/.pitchforge.part-K-of-N.lock;
 * each lock file holds its holder's "pid P on host H: WHAT (since TIME)", which a refused run
 * quotes. The kernel drops a lock when its holder dies (kill -9 included), so a lock is never
 * stale; the holder removes its lock file when it releases it.
 */
#ifndef PF_CORE_LOCK_H
#define PF_CORE_LOCK_H

#include "pitchforge/error.h"

typedef struct pf_dir_lock pf_dir_lock;

/**
 * Lock output folder @p dir (it must exist) against other pitchforge runs, without waiting.
 * A whole run (@p parts 0) locks the folder exclusively. Part @p part of @p parts locks it
 * shared (other parts may write beside it, a whole run may not) and its own part exclusively
 * (a second run of the same part may not). On a file system without flock (a Lustre mount
 * without -o flock: EOPNOTSUPP, ENOLCK, ENOSYS) the run goes on unlocked.
 * @param what  who locks, e.g. the command line: recorded in the lock file
 * @return the lock (release with pf_dir_unlock), or NULL with @p err filled: PF_EBUSY naming
 *         the run that holds it, PF_EIO when the lock file cannot be made
 */
pf_dir_lock *pf_dir_lock_take(const char *dir, int part, int parts, const char *what,
                              pf_error *err);
/** Release @p l and remove the lock files no other run holds; NULL is accepted. */
void pf_dir_unlock(pf_dir_lock *l);

/** The name of the folder's lock file (hidden: index and verify never list it). */
#define PF_LOCK_NAME ".pitchforge.lock"

#endif
