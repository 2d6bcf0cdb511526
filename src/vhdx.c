/* vhdx.c - a VHDX virtual disk opened for reading (see vhdx.h and
 * vhdx_format.h). */
#include "wintogo/vhdx.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <libvhdi.h>
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

/* Reads len bytes at offset; a file too short for them is truncated. */
static int read_at(struct wtg_ctx *ctx, struct vhdx *v, void *buf, size_t len, uint64_t offset, const char *what)
{
	ssize_t n;

	if (offset + len > v->info.file_size)
		return truncated(ctx, v, what, offset + len);
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
	uint64_t log_end;
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
	log_end = le64toh(cur->log_offset) + le32toh(cur->log_length);
	if (log_end > v->info.file_size)
		ret = truncated(ctx, v, "log", log_end);
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
		if (!ret && offset + length > v->info.file_size)
			ret = truncated(ctx, v, !memcmp(e[i].guid, bat_id, 16) ? "BAT" : "metadata region",
					offset + length);
	}
	if (!ret && (!r->bat_length || r->metadata_length < VHDX_METADATA_TABLE_SIZE))
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' has no BAT or no metadata region: the file is damaged; copy it again",
				v->path);
	free(table);
	return ret;
}

/* Copies the metadata item id (exactly len bytes) out of the region. */
static bool find_item(const uint8_t *region, uint32_t region_len, const uint8_t id[16],
		      void *out, uint32_t len)
{
	const struct vhdx_metadata_table_header *h = (const void *)region;
	const struct vhdx_metadata_entry *e = (const void *)(region + sizeof(*h));
	uint16_t count = le16toh(h->entry_count);

	for (uint16_t i = 0; i < count && i < VHDX_MAX_ENTRIES; i++) {
		uint32_t off = le32toh(e[i].offset);

		if (memcmp(e[i].item_id, id, 16) || le32toh(e[i].length) != len ||
		    off < VHDX_METADATA_TABLE_SIZE || off + len > region_len)
			continue;
		memcpy(out, region + off, len);
		return true;
	}
	return false;
}

static int damaged(struct wtg_ctx *ctx, const struct vhdx *v, const char *what)
{
	return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' is damaged: %s; copy it again", v->path, what);
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
	if (!find_item(region, length, params_id, &params, sizeof(params)) ||
	    !find_item(region, length, size_id, &size, sizeof(size)) ||
	    !find_item(region, length, page83_id, disk_id, sizeof(disk_id)) ||
	    !find_item(region, length, logical_id, &logical, sizeof(logical)) ||
	    !find_item(region, length, physical_id, &physical, sizeof(physical))) {
		ret = damaged(ctx, v, "a required metadata item is missing");
		goto out;
	}
	if (le32toh(params.flags) & VHDX_PARAM_HAS_PARENT) {
		ret = log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "'%s' is a differencing VHDX (it has a parent disk); merge it into its parent first (Merge-VHD, or Edit Disk in Hyper-V Manager)",
				v->path);
		goto out;
	}
	block = le32toh(params.block_size);
	info->virtual_size = le64toh(size);
	info->logical_sector = le32toh(logical);
	info->physical_sector = le32toh(physical);
	info->block_size = block;
	info->fixed = le32toh(params.flags) & VHDX_PARAM_LEAVE_BLOCKS_ALLOCATED;
	memcpy(info->disk_id.bytes, disk_id, 16);
	if (block < VHDX_BLOCK_MIN || block > VHDX_BLOCK_MAX || (block & (block - 1)))
		ret = damaged(ctx, v, "its block size is not a power of two from 1 to 256 MiB");
	else if ((info->logical_sector != 512 && info->logical_sector != 4096) ||
		 (info->physical_sector != 512 && info->physical_sector != 4096))
		ret = damaged(ctx, v, "its sector sizes are neither 512 nor 4096 bytes");
	else if (!info->virtual_size || info->virtual_size > VHDX_MAX_SIZE ||
		 info->virtual_size % info->logical_sector)
		ret = damaged(ctx, v, "its virtual disk size is not whole sectors up to 64 TiB");
out:
	free(region);
	return ret;
}

static int read_bat(struct wtg_ctx *ctx, struct vhdx *v, const struct regions *r)
{
	struct vhdx_disk_info *info = &v->info;
	uint64_t ratio = vhdx_chunk_ratio(info->logical_sector, info->block_size);
	uint64_t entries, *bat = NULL;
	int ret = 0;

	info->blocks = (info->virtual_size + info->block_size - 1) / info->block_size;
	entries = vhdx_bat_entries(info->blocks, ratio);
	if (entries * 8 > r->bat_length)
		return damaged(ctx, v, "its BAT is too small for its virtual disk");
	bat = xmalloc(entries * 8);
	v->block_offset = xcalloc(info->blocks, sizeof(uint64_t));
	ret = read_at(ctx, v, bat, entries * 8, r->bat_offset, "BAT");
	for (uint64_t b = 0; b < info->blocks && !ret; b++) {
		uint64_t entry = le64toh(bat[vhdx_bat_index(b, ratio)]);
		uint64_t offset = entry >> VHDX_BAT_OFFSET_SHIFT << VHDX_BAT_OFFSET_SHIFT;
		char why[160];

		switch (entry & VHDX_BAT_STATE_MASK) {
		case VHDX_PAYLOAD_FULLY_PRESENT:
			if (offset < VHDX_ALIGN || offset + info->block_size > info->file_size) {
				snprintf(why, sizeof(why), "block %llu of its BAT points to byte %llu, past the end of the file (%llu bytes) or into its header",
					 (unsigned long long)b, (unsigned long long)offset,
					 (unsigned long long)info->file_size);
				ret = damaged(ctx, v, why);
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

static uint64_t vhdx_block_length(const struct vhdx *v, uint64_t block)
{
	uint64_t start = block * v->info.block_size;
	uint64_t left = v->info.virtual_size - start;

	return left < v->info.block_size ? left : v->info.block_size;
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
						"vhdx block", false });
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
	ssize_t n = libvhdi_file_read_buffer_at_offset(v->lib, buf, length, (off64_t)offset, &error);

	if (n != (ssize_t)length)
		return n < 0 ? lib_error(ctx, v, error, "read") :
		       log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "cannot read byte %llu of the virtual disk in '%s': it ends there",
				 (unsigned long long)offset, v->path);
	return 0;
}

int vhdx_copy_range(struct wtg_ctx *ctx, struct vhdx *v, uint64_t offset, uint64_t length, int fd, uint64_t fd_offset)
{
	uint8_t *buf = xmalloc(COPY_CHUNK);
	uint64_t pos = offset, end = offset + length;
	int ret = 0;

	if (end > v->info.virtual_size)
		end = v->info.virtual_size;
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
			if (pwrite(fd, buf + at, run, (off_t)dest) != (ssize_t)run)
				ret = log_syserr(ctx, errno ? errno : EIO, "cannot write the stage copy of '%s'",
						v->path);
		}
		pos += n;
	}
	free(buf);
	return ret;
}
