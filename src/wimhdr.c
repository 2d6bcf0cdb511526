/* wimhdr.c - a WIM's header, checked, and the bytes wimlib reads to open
 * it (see wimhdr.h).  The layout is that of wimlib's header.c and
 * blob_table.c. */
#include "wintogo/wimhdr.h"

#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define WIM_MAGIC "MSWIM\0\0\0"
#define PWM_MAGIC "WLPWM\0\0\0"     /* a pipable WIM (wimlib's own) */
#define WIM_VERSION_DEFAULT 0x10D00
#define WIM_VERSION_SOLID 0xE00
#define RESHDR_FLAG_COMPRESSED 0x04
#define RESHDR_FLAG_SOLID 0x10
#define SOLID_RESOURCE_MAGIC UINT64_C(0x100000000)
/* a solid resource starts with its size, chunk size and compression */
#define SOLID_HEADER_SIZE 16
/* no real blob table comes near this: refuse to read more into memory */
#define BLOB_TABLE_MAX (512 * MIB)
/* nor does an XML document (an install.wim of 11 editions has 40 KiB);
 * wimlib reads it whole and libxml2 makes a tree several times as big */
#define XML_MAX (32 * MIB)
/* the least an image takes in the UTF-16 XML: "<IMAGE/>" */
#define XML_IMAGE_MIN 16

struct reshdr_disk {
	uint8_t size_in_wim[7];
	uint8_t flags;
	uint64_t offset_in_wim;
	uint64_t uncompressed_size;
} __attribute__((packed));
static_assert(sizeof(struct reshdr_disk) == 24, "WIM resource header is 24 bytes");

struct wim_header_disk {
	char magic[8];
	uint32_t hdr_size;
	uint32_t wim_version;
	uint32_t wim_flags;
	uint32_t chunk_size;
	uint8_t guid[16];
	uint16_t part_number;
	uint16_t total_parts;
	uint32_t image_count;
	struct reshdr_disk blob_table;
	struct reshdr_disk xml_data;
	struct reshdr_disk boot_metadata;
	uint32_t boot_index;
	struct reshdr_disk integrity_table;
	uint8_t unused[60];
} __attribute__((packed));
static_assert(sizeof(struct wim_header_disk) == 208, "WIM header is 208 bytes");

struct blob_entry_disk {
	struct reshdr_disk reshdr;
	uint16_t part_number;
	uint32_t refcnt;
	uint8_t hash[20];
} __attribute__((packed));
static_assert(sizeof(struct blob_entry_disk) == 50, "WIM blob table entry is 50 bytes");

struct reshdr {
	uint64_t size_in_wim;
	uint8_t flags;
	uint64_t offset;
	uint64_t uncompressed_size;
};

static struct reshdr get_reshdr(const struct reshdr_disk *d)
{
	struct reshdr r = {
		.flags = d->flags,
		.offset = le64toh(d->offset_in_wim),
		.uncompressed_size = le64toh(d->uncompressed_size),
	};

	for (int i = 6; i >= 0; i--)
		r.size_in_wim = r.size_in_wim << 8 | d->size_in_wim[i];
	return r;
}

/* Writes the end of a sentence about the file into why (which may be
 * NULL); returns 0, false for the checks that return it. */
PRINTF_LIKE(3, 4) static int why_not(char *why, size_t why_size, const char *fmt, ...)
{
	va_list ap;

	if (why && why_size) {
		va_start(ap, fmt);
		vsnprintf(why, why_size, fmt, ap);
		va_end(ap);
	}
	return 0;
}

/* Whether resource r (what) lies inside a file of file_size bytes, and
 * what it needs in memory (its uncompressed size) is no more than max
 * (0: no limit, for the resources wimlib does not read whole). */
static bool resource_fits(const struct reshdr *r, const char *what, uint64_t file_size,
			  uint64_t max, char *why, size_t why_size)
{
	uint64_t end;

	if (!r->size_in_wim && !r->uncompressed_size)
		return true;  /* none: only the XML must be there, and wimlib says so */
	if (__builtin_add_overflow(r->offset, r->size_in_wim, &end) || end > file_size)
		return why_not(why, why_size, "its %s (%" PRIu64 " bytes at %" PRIu64 ") ends past the end of the file (%" PRIu64 " bytes), which is truncated or damaged",
			       what, r->size_in_wim, r->offset, file_size);
	if (r->offset < WIMHDR_SIZE)
		return why_not(why, why_size, "its %s starts inside its header (at %" PRIu64 ")", what,
			       r->offset);
	/* wimlib reads an uncompressed resource's uncompressed size */
	if (!(r->flags & RESHDR_FLAG_COMPRESSED) && r->uncompressed_size > r->size_in_wim)
		return why_not(why, why_size, "its uncompressed %s is %" PRIu64 " bytes but takes %" PRIu64 " in the file",
			       what, r->uncompressed_size, r->size_in_wim);
	if (max && r->uncompressed_size > max)
		return why_not(why, why_size, "its %s would be %" PRIu64 " bytes in memory, more than a Windows image's could be (%" PRIu64 ")",
			       what, r->uncompressed_size, max);
	return true;
}

int wimhdr_check_header(const void *bytes, size_t len, uint64_t file_size, char *why,
			size_t why_size)
{
	const struct wim_header_disk *hdr = bytes;
	struct reshdr table, xml, boot, integrity;
	uint32_t version, image_count;
	uint16_t part, parts;

	why_not(why, why_size, "%s", "");
	if (len < sizeof(*hdr) || file_size < sizeof(*hdr)) {
		why_not(why, why_size, "it is shorter than a WIM header");
		return -WTG_ERR_NOT_AN_IMAGE;
	}
	if (memcmp(hdr->magic, WIM_MAGIC, sizeof(hdr->magic)) &&
	    memcmp(hdr->magic, PWM_MAGIC, sizeof(hdr->magic))) {
		why_not(why, why_size, "it has no WIM header");
		return -WTG_ERR_NOT_AN_IMAGE;
	}
	if (le32toh(hdr->hdr_size) != sizeof(*hdr)) {
		why_not(why, why_size, "its header size is %" PRIu32 " bytes, not %zu",
			le32toh(hdr->hdr_size), sizeof(*hdr));
		return -WTG_ERR_IMAGE_DAMAGED;
	}
	version = le32toh(hdr->wim_version);
	if (version != WIM_VERSION_DEFAULT && version != WIM_VERSION_SOLID) {
		why_not(why, why_size, "it is of WIM version 0x%" PRIx32 ", which wimlib does not read",
			version);
		return -WTG_ERR_IMAGE_UNSUPPORTED;
	}
	part = le16toh(hdr->part_number);
	parts = le16toh(hdr->total_parts);
	if (!part || !parts || part > parts) {
		why_not(why, why_size, "its header says it is part %u of %u", part, parts);
		return -WTG_ERR_IMAGE_DAMAGED;
	}
	table = get_reshdr(&hdr->blob_table);
	xml = get_reshdr(&hdr->xml_data);
	boot = get_reshdr(&hdr->boot_metadata);
	integrity = get_reshdr(&hdr->integrity_table);
	if (!resource_fits(&table, "blob table", file_size, BLOB_TABLE_MAX, why, why_size) ||
	    !resource_fits(&xml, "XML", file_size, XML_MAX, why, why_size) ||
	    !resource_fits(&boot, "boot metadata", file_size, 0, why, why_size) ||
	    !resource_fits(&integrity, "integrity table", file_size, 0, why, why_size))
		return -WTG_ERR_IMAGE_DAMAGED;
	if (table.uncompressed_size % sizeof(struct blob_entry_disk)) {
		why_not(why, why_size, "its blob table's size (%" PRIu64 " bytes) is not a whole number of %zu-byte entries",
			table.uncompressed_size, sizeof(struct blob_entry_disk));
		return -WTG_ERR_IMAGE_DAMAGED;
	}
	/* every image has an entry for its metadata in the first part's blob
	 * table, and an IMAGE element in every part's XML */
	image_count = le32toh(hdr->image_count);
	if (part == 1 && image_count > table.uncompressed_size / sizeof(struct blob_entry_disk)) {
		why_not(why, why_size, "its header says it holds %" PRIu32 " images, more than its blob table can list (%" PRIu64 ")",
			image_count, table.uncompressed_size / sizeof(struct blob_entry_disk));
		return -WTG_ERR_IMAGE_DAMAGED;
	}
	if (image_count > xml.uncompressed_size / XML_IMAGE_MIN) {
		why_not(why, why_size, "its header says it holds %" PRIu32 " images, more than its XML can describe (%" PRIu64 ")",
			image_count, xml.uncompressed_size / XML_IMAGE_MIN);
		return -WTG_ERR_IMAGE_DAMAGED;
	}
	return 0;
}

int wimhdr_check(struct wtg_ctx *ctx, const char *name, uint64_t file_size, wimhdr_read_fn read,
		 void *user)
{
	uint8_t hdr[WIMHDR_SIZE];
	char why[WIMHDR_WHY_SIZE];
	int ret;

	if (file_size < sizeof(hdr))
		return -WTG_ERR_NOT_AN_IMAGE;
	ret = read(user, 0, hdr, sizeof(hdr));
	/* wimlib opens a pipable WIM file by the copy of its header at its end
	 * (the one at its start was written before its sizes were known) */
	if (!ret && !memcmp(hdr, PWM_MAGIC, 8))
		ret = read(user, file_size - sizeof(hdr), hdr, sizeof(hdr));
	if (ret < 0)
		return ret;
	ret = wimhdr_check_header(hdr, sizeof(hdr), file_size, why, sizeof(why));
	if (ret == -WTG_ERR_IMAGE_DAMAGED)
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' is damaged: %s; download or copy it again",
				name, why);
	else if (ret == -WTG_ERR_IMAGE_UNSUPPORTED)
		ret = log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "'%s' cannot be used: %s; give a WIM, ESD or SWM file made by Windows or wimlib",
				name, why);
	return ret;
}

struct range_list {
	struct byte_range *items;
	size_t count;
	uint64_t file_size;
};

/* Adds a range; false when it does not lie inside the file. */
static bool add_range(struct range_list *list, uint64_t offset, uint64_t length)
{
	if (offset > list->file_size || length > list->file_size - offset)
		return false;
	if (!length)
		return true;
	list->items = xrealloc(list->items, (list->count + 1) * sizeof(*list->items));
	list->items[list->count++] = (struct byte_range){ offset, length };
	return true;
}

/* The header of every solid resource that the blob table names. */
static int add_solid_headers(struct range_list *list, const struct reshdr *table,
			     wimhdr_read_fn read, void *user)
{
	struct blob_entry_disk *entries;
	size_t n = table->size_in_wim / sizeof(*entries);
	int ret = 0;

	if ((table->flags & RESHDR_FLAG_COMPRESSED) || table->size_in_wim > BLOB_TABLE_MAX)
		return -EINVAL;
	entries = xmalloc(table->size_in_wim);
	ret = read(user, table->offset, entries, table->size_in_wim);
	for (size_t i = 0; i < n && !ret; i++) {
		struct reshdr r = get_reshdr(&entries[i].reshdr);

		if ((r.flags & RESHDR_FLAG_SOLID) && r.uncompressed_size == SOLID_RESOURCE_MAGIC &&
		    !add_range(list, r.offset, SOLID_HEADER_SIZE))
			ret = -EINVAL;
	}
	free(entries);
	return ret;
}

int wimhdr_open_ranges(uint64_t file_size, wimhdr_read_fn read, void *user,
		       struct byte_range **ranges_ret, size_t *count_ret)
{
	struct wim_header_disk hdr;
	struct range_list list = { .file_size = file_size };
	struct reshdr table, xml;
	int ret = file_size < sizeof(hdr) ? -EINVAL : read(user, 0, &hdr, sizeof(hdr));

	if (ret < 0)
		goto out;
	if (memcmp(hdr.magic, WIM_MAGIC, sizeof(hdr.magic)) || le32toh(hdr.hdr_size) != sizeof(hdr)) {
		ret = -EINVAL;
		goto out;
	}
	table = get_reshdr(&hdr.blob_table);
	xml = get_reshdr(&hdr.xml_data);
	if (!add_range(&list, 0, sizeof(hdr)) ||
	    !add_range(&list, table.offset, table.size_in_wim) ||
	    !add_range(&list, xml.offset, xml.size_in_wim))
		ret = -EINVAL;
	if (!ret && le32toh(hdr.wim_version) == WIM_VERSION_SOLID)
		ret = add_solid_headers(&list, &table, read, user);
out:
	if (ret < 0) {
		free(list.items);
		return ret;
	}
	*ranges_ret = list.items;
	*count_ret = list.count;
	return 0;
}
