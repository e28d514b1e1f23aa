/* sha256 of files and buffers (nettle; the only nettle user). */
#include <errno.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>

#include "pitchforge/shard.h"

/** Write the digest of @p ctx as lowercase hex into @p hex. */
static void digest_hex(struct sha256_ctx *ctx, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    uint8_t d[SHA256_DIGEST_SIZE];
    sha256_digest(ctx, sizeof d, d);
    for (size_t i = 0; i < sizeof d; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}

void pf_sha256_hex(const void *data, size_t len, char hex[65])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, len, data);
    digest_hex(&ctx, hex);
}

int pf_sha256_file(const char *path, char hex[65], pf_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return PF_FAIL(err, PF_EIO, "cannot open %s: %s", path, strerror(errno));
    struct sha256_ctx ctx;
    unsigned char buf[1 << 16];
    size_t n;
    sha256_init(&ctx);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sha256_update(&ctx, n, buf);
    int failed = ferror(f);
    fclose(f);
    if (failed) return PF_FAIL(err, PF_EIO, "cannot read %s", path);
    digest_hex(&ctx, hex);
    return 0;
}
