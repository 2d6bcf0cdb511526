/* digest.c - SHA-256 of buffers, files and SHA256SUMS entries (see digest.h). */
#include "wintogo/digest.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

/* Large reads: the hash, not the system calls, should be the limit. */
#define READ_CHUNK (4 * MIB)

struct digest {
	EVP_MD_CTX *ctx;
};

static void openssl_failed(void)
{
	util_fatal("OpenSSL cannot compute SHA-256 (out of memory?)");
}

struct digest *digest_new(void)
{
	struct digest *d = xcalloc(1, sizeof(*d));

	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || !EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL))
		openssl_failed();
	return d;
}

void digest_update(struct digest *d, const void *buf, size_t len)
{
	if (!EVP_DigestUpdate(d->ctx, buf, len))
		openssl_failed();
}

void digest_final(struct digest *d, uint8_t out[SHA256_BYTES])
{
	if (!EVP_DigestFinal_ex(d->ctx, out, NULL) ||
	    !EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL))
		openssl_failed();
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

void sha256_buffer(const void *buf, size_t len, uint8_t out[SHA256_BYTES])
{
	if (!EVP_Digest(buf, len, out, NULL, EVP_sha256(), NULL))
		openssl_failed();
}

const char *sha256_hex(const uint8_t sha[SHA256_BYTES], char hex[SHA256_HEX_MAX])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < SHA256_BYTES; i++) {
		hex[2 * i] = digits[sha[i] >> 4];
		hex[2 * i + 1] = digits[sha[i] & 15];
	}
	hex[2 * SHA256_BYTES] = '\0';
	return hex;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The 64 digits at hex (more may follow); 0 or -EINVAL. */
static int parse_digits(const char *hex, uint8_t sha_ret[SHA256_BYTES])
{
	uint8_t sha[SHA256_BYTES];

	for (int i = 0; i < SHA256_BYTES; i++) {
		int hi = hex_value(hex[2 * i]), lo = hi < 0 ? -1 : hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		sha[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(sha_ret, sha, sizeof(sha));
	return 0;
}

int sha256_parse(const char *hex, uint8_t sha_ret[SHA256_BYTES])
{
	if (strlen(hex) != 2 * SHA256_BYTES)
		return -EINVAL;
	return parse_digits(hex, sha_ret);
}

int sha256_file(struct wtg_ctx *ctx, const char *path,
		uint8_t sha_ret[SHA256_BYTES])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct digest *d = NULL;
	char *buf = NULL;
	uint64_t done = 0, total;
	struct stat sb;
	int ret = 0;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", path);
	if (fstat(fd, &sb) < 0) {
		ret = log_syserr(ctx, errno, "cannot look at '%s'", path);
		goto out;
	}
	total = (uint64_t)sb.st_size;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	buf = xmalloc(READ_CHUNK);
	d = digest_new();
	progress_report(ctx, PROGRESS_HASH, 0, total);
	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = log_syserr(ctx, errno, "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;
		digest_update(d, buf, (size_t)n);
		done += (uint64_t)n;
		ret = progress_report(ctx, PROGRESS_HASH, done, total);
		if (ret < 0)
			goto out;
	}
	digest_final(d, sha_ret);
out:
	digest_free(d);
	free(buf);
	close(fd);
	return ret;
}

/* sha256sum escapes names with a backslash or newline: "\HEX  a\\b\nc". */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (*s == '\\' && s[1]) {
			s++;
			*out++ = *s == 'n' ? '\n' : *s;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* One line of a SHA256SUMS file: its name and hash, or false if it is
 * not an entry (a comment, a blank line, another format). */
static bool parse_entry(char *line, char **name_ret, uint8_t sha_ret[SHA256_BYTES])
{
	bool escaped = line[0] == '\\';
	char *name;

	if (!strncmp(line, "SHA256 (", 8)) {
		char *end = strstr(line, ") = ");

		if (!end || strlen(end + 4) != 2 * SHA256_BYTES || parse_digits(end + 4, sha_ret))
			return false;
		*end = '\0';
		*name_ret = line + 8;
		return true;
	}
	if (escaped)
		line++;
	if (strlen(line) < 2 * SHA256_BYTES + 2 || line[2 * SHA256_BYTES] != ' ' ||
	    (line[2 * SHA256_BYTES + 1] != ' ' && line[2 * SHA256_BYTES + 1] != '*') ||
	    parse_digits(line, sha_ret))
		return false;
	name = line + 2 * SHA256_BYTES + 2;
	if (escaped)
		unescape(name);
	*name_ret = name;
	return true;
}

int sha256sums_lookup(struct wtg_ctx *ctx, const char *sums, const char *file, uint8_t sha_ret[SHA256_BYTES])
{
	const char *want = path_base(file);
	FILE *f = fopen(sums, "re");
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	bool found = false;
	int ret = 0;

	if (!f)
		return log_syserr(ctx, errno, "cannot open '%s'", sums);
	while (!found && (len = getline(&line, &size, f)) >= 0) {
		uint8_t sha[SHA256_BYTES];
		char *name;

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!parse_entry(line, &name, sha))
			continue;
		if (!strcmp(name, want) || !strcmp(path_base(name), want)) {
			memcpy(sha_ret, sha, sizeof(sha));
			found = true;
		}
	}
	if (!found && ferror(f))
		ret = log_syserr(ctx, EIO, "cannot read '%s'", sums);
	else if (!found)
		ret = log_error(ctx, WTG_ERR_NOT_FOUND, "'%s' has no SHA-256 entry for '%s'; give the right file, or the hash with --sha256 HEX",
				sums, want);
	free(line);
	fclose(f);
	return ret;
}
