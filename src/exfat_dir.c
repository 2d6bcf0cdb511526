/* exfat_dir.c - the root folders of an exFAT volume, read from its bytes
 * (see exfat_dir.h). */
#include "wintogo/exfat_dir.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/util.h"

#define ENTRY_BYTES 32
#define TYPE_END 0x00            /* no entries after this one */
#define TYPE_FILE 0x85
#define TYPE_STREAM 0xC0
#define TYPE_NAME 0xC1
#define ATTR_DIRECTORY 0x10
#define FAT_LAST 0xFFFFFFF7u     /* from here on: bad cluster, end of chain */
/* a root directory with our few entries fits in one cluster; this is far
 * more than any stick's root holds, and bounds what a damaged one costs */
#define ROOT_MAX_BYTES (4 * MIB)

struct geometry {
	uint64_t fat, heap;      /* byte offsets in the volume */
	uint32_t clusters, root;
	unsigned cluster_bytes;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_geometry(int fd, uint64_t offset, uint64_t size, struct geometry *g)
{
	uint8_t bs[512];
	unsigned sector_shift, cluster_shift;
	int ret = pread_all(fd, bs, sizeof(bs), offset);

	if (ret < 0)
		return ret == -ENODATA ? -EINVAL : ret;
	if (memcmp(bs + 3, "EXFAT   ", 8) || bs[510] != 0x55 || bs[511] != 0xAA)
		return -EINVAL;
	sector_shift = bs[108];
	cluster_shift = bs[109];
	/* the specification's ranges: 512 B to 4 KiB sectors, clusters to 32 MiB */
	if (sector_shift < 9 || sector_shift > 12 || sector_shift + cluster_shift > 25)
		return -EINVAL;
	g->fat = (uint64_t)le32(bs + 80) << sector_shift;
	g->heap = (uint64_t)le32(bs + 88) << sector_shift;
	g->clusters = le32(bs + 92);
	g->root = le32(bs + 96);
	g->cluster_bytes = 1u << (sector_shift + cluster_shift);
	if (g->root < 2 || g->clusters < 1 || g->root - 2 >= g->clusters || g->heap >= size ||
	    g->fat + ((uint64_t)g->clusters + 2) * 4 > size ||
	    g->heap + (uint64_t)g->clusters * g->cluster_bytes > size)
		return -EINVAL;
	return 0;
}

/* The root directory's clusters, followed through the FAT, into one buffer. */
static int read_root(int fd, uint64_t offset, const struct geometry *g, uint8_t **buf_ret, size_t *len_ret)
{
	size_t max = ROOT_MAX_BYTES / g->cluster_bytes ? ROOT_MAX_BYTES / g->cluster_bytes : 1;
	uint8_t *buf = NULL;
	size_t n = 0;
	uint32_t c = g->root;
	int ret = 0;

	while (!ret && c >= 2 && c < FAT_LAST && n < max) {
		uint8_t next[4];

		if (c - 2 >= g->clusters) {
			ret = -EINVAL;
			break;
		}
		buf = xrealloc(buf, (n + 1) * g->cluster_bytes);
		ret = pread_all(fd, buf + n * g->cluster_bytes, g->cluster_bytes,
				offset + g->heap + (uint64_t)(c - 2) * g->cluster_bytes);
		if (!ret)
			ret = pread_all(fd, next, 4, offset + g->fat + (uint64_t)c * 4);
		n++;
		c = le32(next);
	}
	if (ret < 0) {
		free(buf);
		return ret == -ENODATA ? -EINVAL : ret;
	}
	*buf_ret = buf;
	*len_ret = n * g->cluster_bytes;
	return 0;
}

/* UTF-16LE (count units) to UTF-8; an unpaired surrogate becomes U+FFFD. */
static char *utf8_of(const uint8_t *u16, size_t count)
{
	char *out = xmalloc(count * 3 + 1), *p = out;

	for (size_t i = 0; i < count; i++) {
		uint32_t c = (uint32_t)u16[2 * i] | (uint32_t)u16[2 * i + 1] << 8;

		if (c >= 0xD800 && c < 0xDC00 && i + 1 < count) {
			uint32_t lo = (uint32_t)u16[2 * i + 2] | (uint32_t)u16[2 * i + 3] << 8;

			if (lo >= 0xDC00 && lo < 0xE000) {
				c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
				i++;
			}
		}
		if (c >= 0xD800 && c < 0xE000)
			c = 0xFFFD;
		if (c < 0x80) {
			*p++ = (char)c;
		} else if (c < 0x800) {
			*p++ = (char)(0xC0 | c >> 6);
			*p++ = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			*p++ = (char)(0xE0 | c >> 12);
			*p++ = (char)(0x80 | (c >> 6 & 0x3F));
			*p++ = (char)(0x80 | (c & 0x3F));
		} else {
			*p++ = (char)(0xF0 | c >> 18);
			*p++ = (char)(0x80 | (c >> 12 & 0x3F));
			*p++ = (char)(0x80 | (c >> 6 & 0x3F));
			*p++ = (char)(0x80 | (c & 0x3F));
		}
	}
	*p = '\0';
	return out;
}

/* The name of the file set whose File entry is at e (secondaries entries
 * after it, all inside end), or NULL when it is not a whole one. */
static char *set_name(const uint8_t *e, const uint8_t *end, unsigned secondaries)
{
	uint8_t units[255 * 2];
	unsigned length, have = 0;

	if (secondaries < 2 || e + (size_t)(secondaries + 1) * ENTRY_BYTES > end ||
	    e[ENTRY_BYTES] != TYPE_STREAM)
		return NULL;
	length = e[ENTRY_BYTES + 3];
	for (unsigned k = 2; k <= secondaries && have < length; k++) {
		const uint8_t *n = e + (size_t)k * ENTRY_BYTES;

		if (n[0] != TYPE_NAME)
			return NULL;
		for (unsigned u = 0; u < 15 && have < length; u++, have++)
			memcpy(units + 2 * have, n + 2 + 2 * u, 2);
	}
	return length && have == length ? utf8_of(units, length) : NULL;
}

int exfat_root_folders(int fd, uint64_t offset, uint64_t size, char ***names_ret, size_t *n_ret)
{
	struct geometry g;
	uint8_t *root = NULL;
	size_t len = 0, n = 0;
	char **names = NULL;
	int ret = read_geometry(fd, offset, size, &g);

	if (!ret)
		ret = read_root(fd, offset, &g, &root, &len);
	for (size_t at = 0; !ret && at + ENTRY_BYTES <= len; at += ENTRY_BYTES) {
		const uint8_t *e = root + at;
		unsigned secondaries = e[1];
		char *name;

		if (e[0] == TYPE_END)
			break;
		if (e[0] != TYPE_FILE)
			continue;  /* the label, bitmap, up-case table, deleted entries */
		if ((e[4] & ATTR_DIRECTORY) && (name = set_name(e, root + len, secondaries))) {
			names = xrealloc(names, (n + 1) * sizeof(*names));
			names[n++] = name;
		}
		at += (size_t)secondaries * ENTRY_BYTES;
	}
	free(root);
	if (ret < 0) {
		exfat_names_free(names, n);
		return ret;
	}
	*names_ret = names;
	*n_ret = n;
	return 0;
}

void exfat_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
