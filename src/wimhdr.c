/* wimhdr.c - the bytes wimlib reads to open a WIM (see wimhdr.h).  The
 * layout is that of wimlib's header.c and blob_table.c. */
#include "wintogo/wimhdr.h"

#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/util.h"

#define WIM_MAGIC "MSWIM\0\0\0"
#define WIM_VERSION_SOLID 0xE00
#define RESHDR_FLAG_COMPRESSED 0x04
#define RESHDR_FLAG_SOLID 0x10
#define SOLID_RESOURCE_MAGIC UINT64_C(0x100000000)
/* a solid resource starts with its size, chunk size and compression */
#define SOLID_HEADER_SIZE 16
/* no real blob table comes near this: refuse to read more into memory */
#define BLOB_TABLE_MAX (512 * MIB)

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
