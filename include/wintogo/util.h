/* util.h - small helpers: allocation that cannot fail, sizes as text,
 * byte ranges, a durable rename. */
#ifndef WINTOGO_UTIL_H
#define WINTOGO_UTIL_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIB (UINT64_C(1) << 20)
#define GIB (UINT64_C(1) << 30)

/* Ends the process (abort) after telling the handler what went wrong: for
 * failures no caller could handle (no memory).  The front end installs a
 * handler that prints; the core itself never prints. */
void util_set_fatal_handler(void (*handler)(const char *what));
void util_fatal(const char *what) __attribute__((noreturn));

/* Allocation failures end the program: there is nothing sensible to do. */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
/* Memory aligned for O_DIRECT I/O, whatever the sector size; free() it. */
#define IO_ALIGN 4096
void *xaligned(size_t size);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parses a size as util-linux does: a plain byte count, or a number
 * (with a fraction: "1.5G") and a unit, K, M, G, T, P, E or KiB, MiB...
 * for powers of 1024 and KB, MB... for powers of 1000, in either case
 * ("64GB" is 64,000,000,000 bytes, what a "64 GB" stick holds; "64G" is
 * 64 GiB).  A fraction is rounded down to a byte.  Returns 0 or -EINVAL
 * (not a size) / -ERANGE (more than 2^64 - 1). */
int parse_size(const char *text, uint64_t *bytes_ret);

/* Parses a whole non-negative decimal number.  Returns 0 or -EINVAL. */
int parse_uint(const char *text, uint64_t max, uint64_t *value_ret);

/* Formats bytes for people: "512 B", "14.2 MiB", "32.0 GiB". */
#define SIZE_TEXT_MAX 32
const char *format_size(uint64_t bytes, char buf[SIZE_TEXT_MAX]);

/* write or pwrite until all len bytes are written: EINTR and short writes
 * go on.  Returns 0 or -errno of the call that failed, never a stale one:
 * a write that writes nothing without an error (a full device that says
 * no more) is -ENOSPC.  Not logged: the caller names the file. */
int write_all(int fd, const void *buf, size_t len);
int pwrite_all(int fd, const void *buf, size_t len, uint64_t offset);

/* pread until all len bytes are read (EINTR and short reads go on).
 * Returns 0, -errno, or -ENODATA when the file ends first (for the
 * caller to call it truncated).  Not logged. */
int pread_all(int fd, void *buf, size_t len, uint64_t offset);

/* The last component of path: "dir/install.wim" -> "install.wim". */
const char *path_base(const char *path);

/* Syncs the folder of path, so that a rename into it lasts (logged). */
int fsync_parent(struct wtg_ctx *ctx, const char *path);

/* Bytes [offset, offset + length) of a file or disk. */
struct byte_range {
	uint64_t offset;
	uint64_t length;
};

/* True when all len (> 0) bytes at p are zero. */
static inline bool mem_is_zero(const void *p, size_t len)
{
	const unsigned char *b = p;

	return b[0] == 0 && !memcmp(b, b + 1, len - 1);
}

/* Rounds up to a multiple of align (a power of two or not). */
static inline uint64_t round_up(uint64_t value, uint64_t align)
{
	return (value + align - 1) / align * align;
}

#endif
