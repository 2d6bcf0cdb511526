/* vhdx.c - a VHDX virtual disk opened for reading (see vhdx.h and
 * vhdx_format.h). */
#include "wintogo/vhdx.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libvhdi.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/crc32c.h"
#include "wintogo/log.h"
#include "wintogo/util.h"
#include "wintogo/vhdx_format.h"

#define COPY_CHUNK MIB
#define ZERO_RUN (64 * 1024)   /* zero runs this long stay holes in a copy */
#define METADATA_READ_MAX (16 * MIB)

struct vhdx {
	char *path;
	int fd;
	libvhdi_file_t *lib;
	struct vhdx_disk_info info;
	uint64_t *block_offset;    /* per block: its byte offset in the file, 0 if not stored */
};

/* Where the BAT and the metadata are, from a region table. */
struct regions {
	uint64_t bat_offset, metadata_offset;
	uint32_t bat_length, metadata_length;
};

static int truncated(struct wtg_ctx *ctx, const struct vhdx *v, const char *what, uint64_t end)
{
	return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' is truncated: its %s ends at byte %llu but the file has %llu bytes; copy it again",
			 v->path, what, (unsigned long long)end, (unsigned long long)v->info.file_size);
}

static int damaged(struct wtg_ctx *ctx, const struct vhdx *v, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* "'X' is damaged: WHY; copy it again" */
static int damaged(struct wtg_ctx *ctx, const struct vhdx *v, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' is damaged: %s; copy it again", v->path, why);
}

/* Whether the bytes [offset, offset + length) lie inside the file.  Both
 * come from the file, so their sum may not even fit in 64 bits. */
static int check_span(struct wtg_ctx *ctx, const struct vhdx *v, const char *what, uint64_t offset,
		      uint64_t length)
{
	uint64_t end;

	if (__builtin_add_overflow(offset, length, &end))
		return damaged(ctx, v, "its %s (%llu bytes at byte %llu) would end past the largest file offset",
			       what, (unsigned long long)length, (unsigned long long)offset);
	if (end > v->info.file_size)
		return truncated(ctx, v, what, end);
	return 0;
}

/* Reads len bytes at offset; a file too short for them is truncated. */
static int read_at(struct wtg_ctx *ctx, struct vhdx *v, void *buf, size_t len, uint64_t offset, const char *what)
{
	ssize_t n;
	int ret = check_span(ctx, v, what, offset, len);

	if (ret < 0)
		return ret;
	/* check_span put offset + len below the file size, so below INT64_MAX */
	n = pread(v->fd, buf, len, (off_t)offset);
	if (n != (ssize_t)len)
		return log_syserr(ctx, n < 0 ? errno : EIO, "cannot read the %s of '%s'", what, v->path);
	return 0;
}

static bool header_valid(struct vhdx_header *h)
{
	uint32_t sum = le32toh(h->checksum);
	bool ok;

	h->checksum = 0;
	ok = le32toh(h->signature) == VHDX_HEADER_SIGNATURE && crc32c(0, h, sizeof(*h)) == sum &&
	     le16toh(h->version) == 1;
	h->checksum = htole32(sum);
	return ok;
}

static bool is_zero_guid(const uint8_t g[16])
{
	static const uint8_t zero[16];

	return !memcmp(g, zero, 16);
}

/* The current header: of the valid ones, the higher sequence number. */
static int read_header(struct wtg_ctx *ctx, struct vhdx *v)
{
	struct vhdx_header *h = xmalloc(2 * sizeof(*h)), *cur = NULL;
	int ret;

	ret = read_at(ctx, v, &h[0], sizeof(*h), VHDX_HEADER1_OFFSET, "first header");
	if (!ret)
		ret = read_at(ctx, v, &h[1], sizeof(*h), VHDX_HEADER2_OFFSET, "second header");
	if (ret < 0)
		goto out;
	for (int i = 0; i < 2; i++)
		if (header_valid(&h[i]) && (!cur || le64toh(h[i].sequence_number) >
							    le64toh(cur->sequence_number)))
			cur = &h[i];
	if (!cur) {
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' has no valid VHDX header (bad signature or CRC-32C): the file is damaged; copy it again",
				v->path);
		goto out;
	}
	if (!is_zero_guid(cur->log_guid)) {
		ret = log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "'%s' has log entries to replay (it was not closed cleanly); attach and detach it once in Windows or Hyper-V, or run `qemu-img check -r all` on it",
				v->path);
		goto out;
	}
	/* no log to replay, so it is never read; but it must be in the file */
	ret = check_span(ctx, v, "log", le64toh(cur->log_offset), le32toh(cur->log_length));
out:
	free(h);
	return ret;
}

static int read_regions(struct wtg_ctx *ctx, struct vhdx *v, struct regions *r)
{
	static const uint8_t bat_id[] = VHDX_GUID_BAT, metadata_id[] = VHDX_GUID_METADATA;
	uint8_t *table = xmalloc(VHDX_REGION_TABLE_SIZE);
	struct vhdx_region_table_header *h = (void *)table;
	const struct vhdx_region_entry *e = (const void *)(table + sizeof(*h));
	uint32_t count = 0;
	bool valid = false;
	int ret = 0;

	for (int i = 0; i < 2 && !valid && !ret; i++) {
		uint32_t sum;

		ret = read_at(ctx, v, table, VHDX_REGION_TABLE_SIZE,
			      i ? VHDX_REGION2_OFFSET : VHDX_REGION1_OFFSET, "region table");
		sum = le32toh(h->checksum);
		h->checksum = 0;
		count = le32toh(h->entry_count);
		valid = !ret && le32toh(h->signature) == VHDX_REGION_SIGNATURE &&
			count <= VHDX_MAX_ENTRIES && crc32c(0, table, VHDX_REGION_TABLE_SIZE) == sum;
	}
	if (!ret && !valid)
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' has no valid VHDX region table (bad signature or CRC-32C): the file is damaged; copy it again",
				v->path);
	*r = (struct regions){ 0 };
	for (uint32_t i = 0; i < count && !ret; i++) {
		uint64_t offset = le64toh(e[i].file_offset);
		uint32_t length = le32toh(e[i].length);

		if (!memcmp(e[i].guid, bat_id, 16)) {
			r->bat_offset = offset;
			r->bat_length = length;
		} else if (!memcmp(e[i].guid, metadata_id, 16)) {
			r->metadata_offset = offset;
			r->metadata_length = length;
		} else if (le32toh(e[i].required) & 1) {
			ret = log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "'%s' has a required VHDX region that wintogo does not know; it is from a newer VHDX version wintogo cannot read",
					v->path);
		}
		if (!ret)
			ret = check_span(ctx, v, !memcmp(e[i].guid, bat_id, 16)        ? "BAT"
						 : !memcmp(e[i].guid, metadata_id, 16) ? "metadata region"
										       : "region",
					 offset, length);
	}
	if (!ret && (!r->bat_length || r->metadata_length < VHDX_METADATA_TABLE_SIZE))
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' has no BAT or no metadata region: the file is damaged; copy it again",
				v->path);
	free(table);
	return ret;
}

/* Copies the metadata item id (exactly len bytes) out of the region of
 * region_len bytes, after checking that the item lies inside it. */
static int find_item(struct wtg_ctx *ctx, const struct vhdx *v, const uint8_t *region,
		     uint32_t region_len, const uint8_t id[16], const char *name, void *out, uint32_t len)
{
	const struct vhdx_metadata_table_header *h = (const void *)region;
	const struct vhdx_metadata_entry *e = (const void *)(region + sizeof(*h));
	uint16_t count = le16toh(h->entry_count);

	/* at most 2047 entries of 32 bytes after the header: the 64 KiB table */
	static_assert(sizeof(*h) + VHDX_MAX_ENTRIES * sizeof(*e) <= VHDX_METADATA_TABLE_SIZE,
		      "the metadata entries fit in the metadata table");
	for (uint16_t i = 0; i < count && i < VHDX_MAX_ENTRIES; i++) {
		uint32_t off = le32toh(e[i].offset), item_len = le32toh(e[i].length), end;

		if (memcmp(e[i].item_id, id, 16))
			continue;
		if (item_len != len)
			return damaged(ctx, v, "its %s metadata item is %u bytes long, not %u", name,
				       item_len, len);
		if (off < VHDX_METADATA_TABLE_SIZE || __builtin_add_overflow(off, item_len, &end) ||
		    end > region_len)
			return damaged(ctx, v, "its %s metadata item (%u bytes at byte %u of the metadata region) lies outside the region's %u bytes",
				       name, item_len, off, region_len);
		memcpy(out, region + off, len);
		return 0;
	}
	return damaged(ctx, v, "its %s metadata item is missing", name);
}

static int read_metadata(struct wtg_ctx *ctx, struct vhdx *v, const struct regions *r)
{
	static const uint8_t params_id[] = VHDX_GUID_FILE_PARAMETERS,
			     size_id[] = VHDX_GUID_VIRTUAL_DISK_SIZE,
			     page83_id[] = VHDX_GUID_PAGE83_DATA,
			     logical_id[] = VHDX_GUID_LOGICAL_SECTOR_SIZE,
			     physical_id[] = VHDX_GUID_PHYSICAL_SECTOR_SIZE;
	/* items are at most 1 MiB each: read no more than this of the region */
	uint32_t length = r->metadata_length < METADATA_READ_MAX ? r->metadata_length
								  : METADATA_READ_MAX;
	uint8_t *region = xmalloc(length);
	struct vhdx_disk_info *info = &v->info;
	struct vhdx_file_parameters params;
	uint8_t disk_id[16];
	uint64_t size;
	uint32_t logical, physical, block;
	int ret;

	ret = read_at(ctx, v, region, length, r->metadata_offset, "metadata region");
	if (ret < 0)
		goto out;
	if (memcmp(region, VHDX_METADATA_SIGNATURE, 8)) {
		ret = damaged(ctx, v, "its metadata table has no signature");
		goto out;
	}
	ret = find_item(ctx, v, region, length, params_id, "file parameters", &params, sizeof(params));
	if (!ret)
		ret = find_item(ctx, v, region, length, size_id, "virtual disk size", &size, sizeof(size));
	if (!ret)
		ret = find_item(ctx, v, region, length, page83_id, "page 83 data", disk_id, sizeof(disk_id));
	if (!ret)
		ret = find_item(ctx, v, region, length, logical_id, "logical sector size", &logical,
				sizeof(logical));
	if (!ret)
		ret = find_item(ctx, v, region, length, physical_id, "physical sector size", &physical,
				sizeof(physical));
	if (ret < 0)
		goto out;
	if (le32toh(params.flags) & VHDX_PARAM_HAS_PARENT) {
		ret = log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "'%s' is a differencing VHDX (it has a parent disk); merge it into its parent first (Merge-VHD, or Edit Disk in Hyper-V Manager)",
				v->path);
		goto out;
	}
	/* Every size is bounded to what MS-VHDX allows before anything is
	 * computed from it: the block and BAT arithmetic below relies on it. */
	block = le32toh(params.block_size);
	logical = le32toh(logical);
	physical = le32toh(physical);
	size = le64toh(size);
	if (block < VHDX_BLOCK_MIN || block > VHDX_BLOCK_MAX || (block & (block - 1)))
		ret = damaged(ctx, v, "its block size (%u bytes) is not a power of two from 1 to 256 MiB", block);
	else if ((logical != 512 && logical != 4096) || (physical != 512 && physical != 4096))
		ret = damaged(ctx, v, "its sector sizes (%u logical, %u physical) are neither 512 nor 4096 bytes",
			      logical, physical);
	else if (!size || size > VHDX_MAX_SIZE || size % logical)
		ret = damaged(ctx, v, "its virtual disk size (%llu bytes) is not whole sectors up to 64 TiB",
			      (unsigned long long)size);
	if (ret < 0)
		goto out;
	info->virtual_size = size;
	info->logical_sector = logical;
	info->physical_sector = physical;
	info->block_size = block;
	info->fixed = le32toh(params.flags) & VHDX_PARAM_LEAVE_BLOCKS_ALLOCATED;
	memcpy(info->disk_id.bytes, disk_id, 16);
out:
	free(region);
	return ret;
}

static uint64_t vhdx_block_length(const struct vhdx *v, uint64_t block)
{
	uint64_t start = block * v->info.block_size;
	uint64_t left = v->info.virtual_size - start;

	return left < v->info.block_size ? left : v->info.block_size;
}

static int read_bat(struct wtg_ctx *ctx, struct vhdx *v, const struct regions *r)
{
	struct vhdx_disk_info *info = &v->info;
	/* read_metadata bounded the sizes: the ratio is 16 to 32768, there
	 * are at most 2^26 blocks and the BAT is at most 2^29 + 2^25 bytes */
	uint64_t ratio = vhdx_chunk_ratio(info->logical_sector, info->block_size);
	uint64_t entries, bat_bytes, *bat = NULL;
	int ret = 0;

	info->blocks = (info->virtual_size + info->block_size - 1) / info->block_size;
	entries = vhdx_bat_entries(info->blocks, ratio);
	if (__builtin_mul_overflow(entries, sizeof(uint64_t), &bat_bytes) || bat_bytes > r->bat_length)
		return damaged(ctx, v, "its BAT (%u bytes) is too small for its virtual disk (%llu entries)",
			       r->bat_length, (unsigned long long)entries);
	bat = xmalloc(bat_bytes);
	v->block_offset = xcalloc(info->blocks, sizeof(uint64_t));
	ret = read_at(ctx, v, bat, bat_bytes, r->bat_offset, "BAT");
	for (uint64_t b = 0; b < info->blocks && !ret; b++) {
		uint64_t entry = le64toh(bat[vhdx_bat_index(b, ratio)]);
		uint64_t offset = entry >> VHDX_BAT_OFFSET_SHIFT << VHDX_BAT_OFFSET_SHIFT, end;

		switch (entry & VHDX_BAT_STATE_MASK) {
		case VHDX_PAYLOAD_FULLY_PRESENT:
			/* the offset is up to 2^64 - 1 MiB: adding a block may wrap */
			if (offset < VHDX_ALIGN ||
			    __builtin_add_overflow(offset, vhdx_block_length(v, b), &end) ||
			    end > info->file_size) {
				ret = damaged(ctx, v, "block %llu of its BAT points to byte %llu, past the end of the file (%llu bytes) or into its header",
					      (unsigned long long)b, (unsigned long long)offset,
					      (unsigned long long)info->file_size);
				break;
			}
			v->block_offset[b] = offset;
			info->stored_blocks++;
			break;
		case VHDX_PAYLOAD_PARTIALLY_PRESENT:
			ret = damaged(ctx, v, "a block is partially present, which only a differencing disk may have");
			break;
		default:
			break;  /* not present, undefined, zero, unmapped: zeros */
		}
	}
	free(bat);
	return ret;
}

static int lib_error(struct wtg_ctx *ctx, const struct vhdx *v, libvhdi_error_t *error, const char *action)
{
	char text[512] = "";

	if (error) {
		libvhdi_error_sprint(error, text, sizeof(text));
		libvhdi_error_free(&error);
	}
	for (char *c = text; *c; c++)  /* one line */
		if (*c == '\n')
			*c = ' ';
	return log_error(ctx, WTG_ERR_IO, "libvhdi cannot %s '%s': %s", action, v->path, text);
}

/* libvhdi opens the file too, and must see the disk we saw. */
static int open_lib(struct wtg_ctx *ctx, struct vhdx *v)
{
	libvhdi_error_t *error = NULL;
	size64_t size = 0;
	uint32_t sector = 0;

	if (libvhdi_file_initialize(&v->lib, &error) != 1)
		return lib_error(ctx, v, error, "start for");
	if (libvhdi_file_open(v->lib, v->path, LIBVHDI_OPEN_READ, &error) != 1)
		return lib_error(ctx, v, error, "open");
	if (libvhdi_file_get_media_size(v->lib, &size, &error) != 1 ||
	    libvhdi_file_get_bytes_per_sector(v->lib, &sector, &error) != 1)
		return lib_error(ctx, v, error, "read the size of");
	if (size != v->info.virtual_size || sector != v->info.logical_sector)
		return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "libvhdi reads '%s' as %llu bytes of %u-byte sectors, but its metadata says %llu of %u; the file is damaged",
				 v->path, (unsigned long long)size, sector,
				 (unsigned long long)v->info.virtual_size, v->info.logical_sector);
	return 0;
}

int vhdx_open(struct wtg_ctx *ctx, const char *path, struct vhdx **vhdx_ret)
{
	struct vhdx *v = xcalloc(1, sizeof(*v));
	struct regions r;
	struct stat sb;
	char sig[8];
	int ret;

	v->path = xstrdup(path);
	v->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (v->fd < 0 || fstat(v->fd, &sb) < 0) {
		ret = log_syserr(ctx, errno, "cannot open '%s'", path);
		goto fail;
	}
	v->info.file_size = (uint64_t)sb.st_size;
	if (pread(v->fd, sig, sizeof(sig), 0) != (ssize_t)sizeof(sig) ||
	    memcmp(sig, VHDX_SIGNATURE, sizeof(sig))) {
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is not a VHDX file (no \"vhdxfile\" signature)", path);
		goto fail;
	}
	ret = read_header(ctx, v);
	if (!ret)
		ret = read_regions(ctx, v, &r);
	if (!ret)
		ret = read_metadata(ctx, v, &r);
	if (!ret)
		ret = read_bat(ctx, v, &r);
	if (!ret)
		ret = open_lib(ctx, v);
	if (ret < 0)
		goto fail;
	*vhdx_ret = v;
	return 0;
fail:
	vhdx_close(v);
	return ret;
}

void vhdx_close(struct vhdx *v)
{
	if (!v)
		return;
	if (v->lib) {
		libvhdi_file_close(v->lib, NULL);
		libvhdi_file_free(&v->lib, NULL);
	}
	if (v->fd >= 0)
		close(v->fd);
	free(v->block_offset);
	free(v->path);
	free(v);
}

const struct vhdx_disk_info *vhdx_info(const struct vhdx *v)
{
	return &v->info;
}

const char *vhdx_path(const struct vhdx *v)
{
	return v->path;
}

/* Adds e, joined to the last extent when it continues it in both places. */
static void add_run(struct extent_list *list, const struct extent *e)
{
	struct extent *last = list->count ? &list->items[list->count - 1] : NULL;

	if (last && last->fd == e->fd && last->offset + last->length == e->offset &&
	    last->src_offset + last->length == e->src_offset) {
		last->length += e->length;
		list->bytes += e->length;
	} else {
		extents_append(list, e);
	}
}

/* The data runs of one stored block: holes in the file read as zeros
 * (qemu-img leaves them inside blocks), so they need not be sent. */
static int add_block(struct wtg_ctx *ctx, struct vhdx *v, uint64_t block, struct extent_list *list)
{
	uint64_t start = v->block_offset[block], end = start + vhdx_block_length(v, block);
	uint64_t guest = block * v->info.block_size;
	off_t pos = (off_t)start;

	while ((uint64_t)pos < end) {
		off_t data = lseek(v->fd, pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;
		if (data < 0)
			return log_syserr(ctx, errno, "cannot find the data of '%s'", v->path);
		if ((uint64_t)data >= end)
			break;
		hole = lseek(v->fd, data, SEEK_HOLE);
		if (hole < 0)
			return log_syserr(ctx, errno, "cannot find the holes of '%s'", v->path);
		if ((uint64_t)hole > end)
			hole = (off_t)end;
		add_run(list, &(struct extent){ guest + ((uint64_t)data - start),
						(uint64_t)(hole - data), v->fd, (uint64_t)data,
						"vhdx block", false, false });
		pos = hole;
	}
	return 0;
}

int vhdx_add_extents(struct wtg_ctx *ctx, struct vhdx *v, struct extent_list *list)
{
	int ret = 0;

	for (uint64_t b = 0; b < v->info.blocks && !ret; b++)
		if (v->block_offset[b])
			ret = add_block(ctx, v, b, list);
	return ret;
}

int vhdx_read(struct wtg_ctx *ctx, struct vhdx *v, uint64_t offset, void *buf, size_t length)
{
	libvhdi_error_t *error = NULL;
	ssize_t n;

	/* offsets come from the partition table inside the disk: bound them
	 * here, before libvhdi takes them as a signed off64_t */
	if (offset > v->info.virtual_size || length > v->info.virtual_size - offset)
		return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "cannot read %zu bytes at byte %llu of the virtual disk in '%s': it ends at byte %llu",
				 length, (unsigned long long)offset, v->path,
				 (unsigned long long)v->info.virtual_size);
	n = libvhdi_file_read_buffer_at_offset(v->lib, buf, length, (off64_t)offset, &error);
	if (n != (ssize_t)length)
		return n < 0 ? lib_error(ctx, v, error, "read") :
		       log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "cannot read byte %llu of the virtual disk in '%s': it ends there",
				 (unsigned long long)offset, v->path);
	return 0;
}

int vhdx_check_partition_table(struct wtg_ctx *ctx, struct vhdx *v)
{
	/* an MBR's boot signature, or a GPT header in LBA 1 of either sector size */
	uint8_t head[4096 + 512];
	size_t n = v->info.virtual_size < sizeof(head) ? (size_t)v->info.virtual_size : sizeof(head);
	int ret;

	memset(head, 0, sizeof(head));
	ret = vhdx_read(ctx, v, 0, head, n);
	if (ret < 0)
		return ret;
	if ((head[510] == 0x55 && head[511] == 0xaa) || !memcmp(head + 512, "EFI PART", 8) ||
	    !memcmp(head + 4096, "EFI PART", 8))
		return 0;
	return log_error(ctx, WTG_ERR_NO_WINDOWS, "the virtual disk in '%s' has no partition table (no GPT, no MBR): it is blank; give a VHDX with Windows installed on it",
			 v->path);
}

int vhdx_copy_range(struct wtg_ctx *ctx, struct vhdx *v, uint64_t offset, uint64_t length, int fd, uint64_t fd_offset)
{
	uint8_t *buf = NULL;
	uint64_t pos = offset, end, last;
	int ret = 0;

	/* the range ends at the end of the virtual disk, even when the sum
	 * would wrap; and it must end inside what a file can hold */
	if (__builtin_add_overflow(offset, length, &end) || end > v->info.virtual_size)
		end = v->info.virtual_size;
	if (pos < end && (__builtin_add_overflow(fd_offset, end - pos, &last) || last > INT64_MAX)) {
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "cannot copy %llu bytes of the virtual disk in '%s' to byte %llu of a file: it would end past the largest file offset",
				(unsigned long long)(end - pos), v->path, (unsigned long long)fd_offset);
		goto out;
	}
	buf = xmalloc(COPY_CHUNK);
	while (pos < end && !ret) {
		uint64_t block = pos / v->info.block_size;
		uint64_t n = end - pos;

		if (!v->block_offset[block]) {
			pos = (block + 1) * v->info.block_size;
			continue;
		}
		if (n > COPY_CHUNK - pos % COPY_CHUNK)
			n = COPY_CHUNK - pos % COPY_CHUNK;
		ret = vhdx_read(ctx, v, pos, buf, n);
		for (uint64_t at = 0; at < n && !ret; at += ZERO_RUN) {
			size_t run = n - at < ZERO_RUN ? n - at : ZERO_RUN;
			uint64_t dest = fd_offset + (pos + at - offset);

			if (mem_is_zero(buf + at, run))
				continue;
			ret = pwrite_all(fd, buf + at, run, dest);
			if (ret < 0)
				ret = log_syserr(ctx, -ret, "cannot write the stage copy of '%s'", v->path);
		}
		pos += n;
	}
out:
	free(buf);
	return ret;
}
