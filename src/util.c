/* util.c - allocation that cannot fail, sizes as text (see util.h). */
#include "wintogo/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wintogo/log.h"

/* The one process-wide hook of the core: what cannot fail gracefully
 * (memory, OpenSSL's own state) ends the process, and only the front end
 * may say so on the terminal. */
static void (*fatal_handler)(const char *what);

void util_set_fatal_handler(void (*handler)(const char *what))
{
	fatal_handler = handler;
}

void util_fatal(const char *what)
{
	if (fatal_handler)
		fatal_handler(what);
	abort();
}

static void *check_alloc(void *p)
{
	if (!p)
		util_fatal("out of memory");
	return p;
}

void *xmalloc(size_t size)
{
	return check_alloc(malloc(size ? size : 1));
}

void *xcalloc(size_t n, size_t size)
{
	return check_alloc(calloc(n ? n : 1, size ? size : 1));
}

void *xrealloc(void *p, size_t size)
{
	return check_alloc(realloc(p, size ? size : 1));
}

void *xaligned(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, IO_ALIGN, size ? size : 1))
		p = NULL;
	return check_alloc(p);
}

char *xstrdup(const char *s)
{
	return check_alloc(strdup(s));
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		check_alloc(NULL);
	return s;
}

int parse_uint(const char *text, uint64_t max, uint64_t *value_ret)
{
	unsigned long long v;
	char *end;

	if (!text || !isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*value_ret = v;
	return 0;
}

/* The multiplier of a size's unit: "K", "KiB" (1024), "KB" (1000)...
 * 0 for what is no unit. */
static uint64_t size_unit(const char *u)
{
	static const char letters[] = "KMGTPE";
	const char *l = *u ? strchr(letters, toupper((unsigned char)*u)) : NULL;
	uint64_t base, mult = 1;

	if (!l)
		return 0;
	if (!u[1] || ((u[1] == 'i' || u[1] == 'I') && (u[2] == 'B' || u[2] == 'b') && !u[3]))
		base = 1024;
	else if ((u[1] == 'B' || u[1] == 'b') && !u[2])
		base = 1000;
	else
		return 0;
	for (const char *p = letters; p <= l; p++)
		mult *= base;  /* at most 1024^6 = 2^60: no overflow */
	return mult;
}

int parse_size(const char *text, uint64_t *bytes_ret)
{
	unsigned long long whole;
	uint64_t mult = 1, frac = 0, scale = 1, bytes;
	const char *p;
	char *end;

	if (!text || !isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	whole = strtoull(text, &end, 10);
	if (errno)
		return -ERANGE;
	p = end;
	/* "1.5G", as util-linux takes it: the fraction of the unit, rounded
	 * down to a byte; six digits are more than a byte's worth of a TiB */
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++) {
			if (scale == 1000000)
				return -EINVAL;
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
		if (scale == 1)
			return -EINVAL;
	}
	if (*p) {
		mult = size_unit(p);
		if (!mult)
			return -EINVAL;
	} else if (scale > 1) {
		return -EINVAL;  /* a fraction of a byte */
	}
	if (whole > UINT64_MAX / mult)
		return -ERANGE;
	bytes = whole * mult;
	/* frac < 10^6 and mult <= 2^60 could overflow: divide first */
	if (scale > 1) {
		uint64_t part = mult / scale * frac + mult % scale * frac / scale;

		if (bytes > UINT64_MAX - part)
			return -ERANGE;
		bytes += part;
	}
	*bytes_ret = bytes;
	return 0;
}

const char *format_size(uint64_t bytes, char buf[SIZE_TEXT_MAX])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)bytes;
	int i = -1;

	if (bytes < 1024) {
		snprintf(buf, SIZE_TEXT_MAX, "%llu B", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && i < (int)ARRAY_SIZE(units) - 1) {
		v /= 1024;
		i++;
	}
	snprintf(buf, SIZE_TEXT_MAX, "%.1f %s", v, units[i]);
	return buf;
}

int fsync_parent(struct wtg_ctx *ctx, const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			ret = log_syserr(ctx, errno, "cannot sync the folder of '%s'", path);
		close(fd);
	}
	free(copy);
	return ret;
}

/* One write of write_all or pwrite_all: n bytes written, or -errno.
 * errno is read only when the call says it failed, so that a short write
 * is never blamed on what an earlier call left in errno. */
static ssize_t write_once(int fd, const void *p, size_t len, bool at, uint64_t offset)
{
	ssize_t n;

	do
		n = at ? pwrite(fd, p, len, (off_t)offset) : write(fd, p, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* nothing written and no error: the device is full but does not say */
	return n == 0 ? -ENOSPC : n;
}

static int write_loop(int fd, const void *buf, size_t len, bool at, uint64_t offset)
{
	const char *p = buf;

	if (at && offset > (uint64_t)INT64_MAX - len)
		return -EFBIG;
	while (len) {
		ssize_t n = write_once(fd, p, len, at, offset);

		if (n < 0)
			return (int)n;
		p += n;
		offset += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	return write_loop(fd, buf, len, false, 0);
}

int pwrite_all(int fd, const void *buf, size_t len, uint64_t offset)
{
	return write_loop(fd, buf, len, true, offset);
}

int pread_all(int fd, void *buf, size_t len, uint64_t offset)
{
	char *p = buf;

	if (offset > (uint64_t)INT64_MAX - len)
		return -EINVAL;
	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		p += n;
		offset += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

const char *path_base(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}
