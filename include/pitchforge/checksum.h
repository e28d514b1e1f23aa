/* pitchforge: sha256 of files and buffers (nettle stays inside). */
#ifndef PITCHFORGE_CHECKSUM_H
#define PITCHFORGE_CHECKSUM_H

#include "pitchforge/error.h"
#include <stddef.h>

/** sha256 of the file at @p path as 64 hex chars + NUL in @p hex. */
int pf_sha256_file(const char *path, char hex[65], pf_error *err);
/** sha256 of @p len bytes as 64 hex chars + NUL in @p hex. */
void pf_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
