/* sha256 of files and buffers (nettle; the only nettle user). */
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pitchforge/shard.h"
#include "pitchforge/checksum.h"
#include "pitchforge/error.h"

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

/** Hash @p fd by reading it (files that cannot be mapped). */
static int sha256_read(int fd, struct sha256_ctx *ctx)
{
    unsigned char buf[1 << 16];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        sha256_update(ctx, (size_t)n, buf);
    return n < 0 ? -1 : 0;
}

/* Bytes mapped at a time: the whole file is never resident in this process at once. */
#define MAP_WINDOW ((size_t)16 << 20)

/** Hash the @p size bytes of @p fd through read-only mappings; -1 when it cannot be mapped. */
static int sha256_mapped(int fd, size_t size, struct sha256_ctx *ctx)
{
    for (size_t off = 0; off < size; off += MAP_WINDOW) {
        size_t len = size - off < MAP_WINDOW ? size - off : MAP_WINDOW;
        void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, (off_t)off);
        if (map == MAP_FAILED) return off ? -2 : -1;
        madvise(map, len, MADV_SEQUENTIAL);
        sha256_update(ctx, len, map);
        munmap(map, len);
    }
    return 0;
}

/* Mapped rather than read: a shard just written is hashed straight from the page cache, without
 * copying its hundreds of MB through a buffer first. */
int pf_sha256_file(const char *path, char hex[65], pf_error *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return PF_FAIL(err, PF_EIO, "cannot open %s: %s", path, strerror(errno));
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    struct stat st;
    int rc = fstat(fd, &st);
    if (!rc && st.st_size > 0) rc = sha256_mapped(fd, (size_t)st.st_size, &ctx);
    if (rc == -1) rc = sha256_read(fd, &ctx); /* nothing hashed yet: read it instead */
    int e = errno;
    close(fd);
    if (rc) return PF_FAIL(err, PF_EIO, "cannot read %s: %s", path, strerror(e));
    digest_hex(&ctx, hex);
    return 0;
}
