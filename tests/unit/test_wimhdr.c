/* Unit tests of wimhdr.c: the header check and the bytes wimlib reads to
 * open a WIM, from headers and blob tables built here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "wintogo/wimhdr.h"

#define FILE_SIZE 8192
static uint8_t wim[FILE_SIZE];

static int read_mem(void *ctx, uint64_t offset, void *buf, size_t len)
{
	(void)ctx;
	if (offset + len > FILE_SIZE)
		return -EIO;
	memcpy(buf, wim + offset, len);
	return 0;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A resource header: 7-byte size, flags, offset, uncompressed size. */
static void put_reshdr(uint8_t *p, uint64_t size, uint8_t flags, uint64_t offset, uint64_t usize)
{
	put_le(p, size, 7);
	p[7] = flags;
	put_le(p + 8, offset, 8);
	put_le(p + 16, usize, 8);
}

/* A header with its blob table (entries) at 4096 and its XML at 6000. */
static void make_wim(uint32_t version, unsigned entries)
{
	memset(wim, 0, sizeof(wim));
	memcpy(wim, "MSWIM\0\0\0", 8);
	put_le(wim + 8, 208, 4);
	put_le(wim + 12, version, 4);
	put_reshdr(wim + 48, entries * 50, 0x02, 4096, entries * 50);
	put_reshdr(wim + 72, 1000, 0x02, 6000, 1000);
}

static bool has_range(const struct byte_range *r, size_t n, uint64_t offset, uint64_t length)
{
	for (size_t i = 0; i < n; i++)
		if (r[i].offset == offset && r[i].length == length)
			return true;
	return false;
}

/* wimhdr_check_header on the header made: its code, and the reason has
 * want in it. */
static void check_is(int want_code, const char *want, const char *desc)
{
	char why[WIMHDR_WHY_SIZE];
	int ret = wimhdr_check_header(wim, WIMHDR_SIZE, FILE_SIZE, why, sizeof(why));

	if (!ok(ret == want_code && (!want || strstr(why, want)), desc))
		printf("# got %d '%s', want %d '%s'\n", ret, why, want_code, want ? want : "");
}

static void header_checks(void)
{
	make_wim(0x10d00, 2);
	put_le(wim + 40, 1, 2);
	put_le(wim + 42, 1, 2);
	put_le(wim + 44, 1, 4);
	check_is(0, NULL, "a sane header passes");
	put_le(wim + 44, 3, 4);
	check_is(-WTG_ERR_IMAGE_DAMAGED, "more than its blob table can list (2)",
		 "more images than blob table entries");
	put_le(wim + 40, 2, 2);
	put_le(wim + 42, 2, 2);
	check_is(0, NULL, "but a later part of a split set has no metadata entries");
	put_le(wim + 44, 1645683454, 4);
	check_is(-WTG_ERR_IMAGE_DAMAGED, "more than its XML can describe",
		 "more images than its XML could describe");
	make_wim(0x10d00, 2);
	put_le(wim + 40, 0, 2);
	check_is(-WTG_ERR_IMAGE_DAMAGED, "part 0 of 0", "part 0 of 0");
	make_wim(0x10d00, 2);
	put_le(wim + 40, 1, 2);
	put_le(wim + 42, 1, 2);
	put_reshdr(wim + 48, 101, 0x02, 4096, 101);
	check_is(-WTG_ERR_IMAGE_DAMAGED, "not a whole number of 50-byte entries",
		 "a blob table of 101 bytes");
	put_reshdr(wim + 48, 100, 0x02, 4096, UINT64_C(0x100000000000778));
	check_is(-WTG_ERR_IMAGE_DAMAGED, "takes 100 in the file", "an uncompressed table bigger than it takes");
	put_reshdr(wim + 48, 100, 0x06, 4096, UINT64_C(1) << 40);
	check_is(-WTG_ERR_IMAGE_DAMAGED, "in memory", "a compressed table of 1 TiB");
	put_reshdr(wim + 48, 100, 0x02, UINT64_MAX - 50, 100);
	check_is(-WTG_ERR_IMAGE_DAMAGED, "past the end", "a table offset that wraps around");
	put_reshdr(wim + 48, 100, 0x02, 100, 100);
	check_is(-WTG_ERR_IMAGE_DAMAGED, "inside its header", "a table inside the header");
	put_reshdr(wim + 48, 100, 0x02, 4096, 100);
	put_reshdr(wim + 124, UINT64_C(0xFFFFFFFFFFFFFF), 0, 8000, 0);
	check_is(-WTG_ERR_IMAGE_DAMAGED, "integrity table", "an integrity table past the end");
	put_reshdr(wim + 124, 0, 0, 0, 0);
	put_le(wim + 8, 209, 4);
	check_is(-WTG_ERR_IMAGE_DAMAGED, "not 208", "a header size of 209");
	put_le(wim + 8, 208, 4);
	put_le(wim + 12, 0x10b00, 4);
	check_is(-WTG_ERR_IMAGE_UNSUPPORTED, "0x10b00", "an unknown version");
	put_le(wim + 12, 0x10d00, 4);
	memcpy(wim, "WLPWM\0\0\0", 8);
	check_is(0, NULL, "a pipable WIM's header");
	memcpy(wim, "MSWIN\0\0\0", 8);
	check_is(-WTG_ERR_NOT_AN_IMAGE, "no WIM header", "no magic");
	ok(wimhdr_check_header(wim, 100, FILE_SIZE, NULL, 0) == -WTG_ERR_NOT_AN_IMAGE,
	   "fewer bytes than a header, and no reason asked for");
}

int main(void)
{
	struct byte_range *r = NULL;
	size_t n = 0;

	plan(12 + 16);
	header_checks();
	make_wim(0x10d00, 2);
	is_int(wimhdr_open_ranges(FILE_SIZE, read_mem, NULL, &r, &n), 0, "a WIM: ranges");
	is_int((long long)n, 3, "header, blob table and XML");
	ok(has_range(r, n, 0, 208) && has_range(r, n, 4096, 100) && has_range(r, n, 6000, 1000),
	   "at the offsets its header gives");
	free(r);

	/* a solid WIM: two resources, one of them solid, then a blob in it */
	make_wim(0xE00, 3);
	put_reshdr(wim + 4096, 300, 0x04, 500, 900);
	put_reshdr(wim + 4096 + 50, 1200, 0x10, 1000, UINT64_C(0x100000000));
	put_reshdr(wim + 4096 + 100, 77, 0x10, 0, 77);
	r = NULL;
	is_int(wimhdr_open_ranges(FILE_SIZE, read_mem, NULL, &r, &n), 0, "an ESD: ranges");
	is_int((long long)n, 4, "and one more for its solid resource");
	ok(has_range(r, n, 1000, 16), "the solid resource's 16-byte header");
	free(r);

	make_wim(0xE00, 1);
	put_reshdr(wim + 4096, 1200, 0x10, FILE_SIZE - 8, UINT64_C(0x100000000));
	r = NULL;
	is_int(wimhdr_open_ranges(FILE_SIZE, read_mem, NULL, &r, &n), -EINVAL,
	       "a solid header past the end: copy it all");
	ok(r == NULL, "and no ranges");

	make_wim(0x10d00, 1);
	put_reshdr(wim + 72, 5000, 0x02, 6000, 5000);
	is_int(wimhdr_open_ranges(FILE_SIZE, read_mem, NULL, &r, &n), -EINVAL,
	       "an XML past the end: copy it all");
	make_wim(0x10d00, 1);
	memcpy(wim, "WLPWM\0\0\0", 8);
	is_int(wimhdr_open_ranges(FILE_SIZE, read_mem, NULL, &r, &n), -EINVAL,
	       "a pipable WIM: copy it all");
	is_int(wimhdr_open_ranges(100, read_mem, NULL, &r, &n), -EINVAL,
	       "a file shorter than a header: copy it all");
	make_wim(0xE00, 1);
	put_reshdr(wim + 48, 50, 0x04, 4096, 50);
	is_int(wimhdr_open_ranges(FILE_SIZE, read_mem, NULL, &r, &n), -EINVAL,
	       "a compressed blob table in an ESD: copy it all");
	return done_testing();
}
