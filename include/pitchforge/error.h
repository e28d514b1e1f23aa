/* pitchforge: status codes and the error record every library call fills. */
#ifndef PITCHFORGE_ERROR_H
#define PITCHFORGE_ERROR_H

/** Status codes carried in pf_error.code (0 is success). */
typedef enum pf_code {
    PF_OK = 0,
    PF_EINVAL,   /**< bad argument or bad input value */
    PF_EIO,      /**< file system or I/O failure */
    PF_ESCHEMA,  /**< a file of another schema or version, or a damaged file */
    PF_ECONFIG,  /**< a manifest or config error (message is FILE:LINE:COL: ...) */
    PF_ELIB,     /**< a third-party library reported a failure */
    PF_EINTERNAL, /**< a bug: an invariant did not hold */
    PF_EEXIST,    /**< the output holds earlier work: resume it or replace it (--resume, --force) */
    PF_EBUSY,     /**< another run holds the output folder's lock */
    PF_EINTR      /**< stopped on request (SIGINT, SIGTERM: pf_interrupted) */
} pf_code;

/** An error: code, the source place that raised it, and a message for the user. */
typedef struct pf_error {
    int code;
    const char *file; /**< source file that raised it (static string) */
    int line;
    char msg[1024];
} pf_error;

/**
 * Fill @p err (may be NULL) and return -1, so callers write `return PF_FAIL(err, ...)`.
 * @param err   error to fill, or NULL to discard
 * @param code  a pf_code
 * @param file  source file (__FILE__)
 * @param line  source line (__LINE__)
 * @param fmt   printf-style message for the user
 * @return always -1
 */
int pf_error_set(pf_error *err, int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Prefix @p err's message with "prefix: " (context added by a caller); returns -1. */
int pf_error_prefix(pf_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Clear @p err to PF_OK with an empty message. */
void pf_error_clear(pf_error *err);

/** A short name for @p code ("invalid input", "I/O error", ...); never NULL. */
const char *pf_strerror(int code);

#define PF_FAIL(err, code, ...) pf_error_set((err), (code), __FILE__, __LINE__, __VA_ARGS__)

#endif
