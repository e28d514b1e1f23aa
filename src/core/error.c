/* Error records: fill, prefix, name. */
#include "pitchforge/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int pf_error_set(pf_error *err, int code, const char *file, int line, const char *fmt, ...)
{
    if (!err)
        return -1;
    err->code = code;
    err->file = file;
    err->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int pf_error_prefix(pf_error *err, const char *fmt, ...)
{
    if (!err)
        return -1;
    char head[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    /* the message may be cut at the buffer's end: truncation is intended */
    size_t n = strlen(head);
    if (n > sizeof err->msg - 3)
        n = sizeof err->msg - 3;
    memcpy(err->msg, head, n);
    memcpy(err->msg + n, ": ", 2);
    size_t rest = sizeof err->msg - n - 3;
    size_t m = strnlen(old, rest);
    memcpy(err->msg + n + 2, old, m);
    err->msg[n + 2 + m] = '\0';
    return -1;
}

void pf_error_clear(pf_error *err)
{
    if (!err)
        return;
    err->code = PF_OK;
    err->file = NULL;
    err->line = 0;
    err->msg[0] = '\0';
}

const char *pf_strerror(int code)
{
    static const char *const names[] = {
        [PF_OK] = "ok",
        [PF_EINVAL] = "invalid input",
        [PF_EIO] = "I/O error",
        [PF_ESCHEMA] = "schema error",
        [PF_ECONFIG] = "configuration error",
        [PF_ELIB] = "library error",
        [PF_EINTERNAL] = "internal error",
        [PF_EEXIST] = "output exists",
        [PF_EBUSY] = "output in use",
        [PF_EINTR] = "interrupted",
    };
    if (code < 0 || code >= (int)(sizeof names / sizeof names[0]) || !names[code])
        return "unknown error";
    return names[code];
}
