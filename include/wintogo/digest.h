/* digest.h - SHA-256 with OpenSSL's EVP interface (which uses the CPU's
 * SHA extensions where it has them): of buffers, incrementally, of whole
 * files with progress (the source check before a write), as hex, and
 * looked up in a SHA256SUMS file.
 *
 * OpenSSL fails a SHA-256 only when memory runs out; like the x*
 * allocators in util.h, that ends the program. */
#ifndef WINTOGO_DIGEST_H
#define WINTOGO_DIGEST_H

#include "wintogo/ctx.h"

#include <stddef.h>
#include <stdint.h>

#include "wintogo/progress.h"

#define SHA256_BYTES 32
#define SHA256_HEX_MAX 65   /* 64 lowercase hex digits and a NUL */

/* An incremental SHA-256; digest_final() leaves it ready for the next. */
struct digest;

struct digest *digest_new(void);
void digest_update(struct digest *d, const void *buf, size_t len);
void digest_final(struct digest *d, uint8_t out[SHA256_BYTES]);
void digest_free(struct digest *d);

void sha256_buffer(const void *buf, size_t len, uint8_t out[SHA256_BYTES]);

/* Lowercase hex, as sha256sum prints it. */
const char *sha256_hex(const uint8_t sha[SHA256_BYTES], char hex[SHA256_HEX_MAX]);
/* Parses exactly 64 hex digits (either case).  Returns 0 or -EINVAL
 * (nothing logged: the caller names the value). */
int sha256_parse(const char *hex, uint8_t sha_ret[SHA256_BYTES]);

/* Hashes the whole file at path, reporting PROGRESS_HASH in bytes.
 * Stops with -WTG_ERR_INTERRUPTED when the work is stopped (ctx.h).
 * Errors are logged. */
int sha256_file(struct wtg_ctx *ctx, const char *path,
		uint8_t sha_ret[SHA256_BYTES]);

/* Finds the entry for file in the SHA256SUMS file sums: the format
 * sha256sum writes ("HEX  NAME", "HEX *NAME", with a leading backslash
 * for escaped names) or the BSD one ("SHA256 (NAME) = HEX").  An entry
 * matches when its name, or its last path component, is file's last path
 * component.  No entry for file is an error (logged),
 * -WTG_ERR_NOT_FOUND; so is a sums file that cannot be opened (its errno's
 * code) or read. */
int sha256sums_lookup(struct wtg_ctx *ctx, const char *sums, const char *file, uint8_t sha_ret[SHA256_BYTES]);

#endif
