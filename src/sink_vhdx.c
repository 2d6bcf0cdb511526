/* sink_vhdx.c - a dynamic VHDX (MS-VHDX, see vhdx_format.h), written
 * straight from the extents, without a raw intermediate file.
 *
 *   0         file type identifier; headers 1 and 2 and region tables 1
 *             and 2 (written last, when the BAT's place is known)
 *   1 MiB     the log: 1 MiB, empty (LogGuid zero: nothing to replay)
 *   2 MiB     the metadata region: its table and the five items (file
 *             parameters, virtual disk size, page 83 data, logical and
 *             physical sector size)
 *   3 MiB..   the payload blocks, appended in guest order as the data
 *             arrives; a block is stored only once a byte of it is not
 *             zero, and 64 KiB runs of zeros inside it stay holes
 *   then      the BAT: stored blocks FULLY_PRESENT, all others ZERO
 *
 * So the file is the stored blocks plus about 4 MiB and the BAT, and with
 * small blocks (1 MiB by default) only a little larger than its data.
 * With SINK_FIXED every block is stored, in order, from 3 MiB on, and the
 * file parameters say LeaveBlocksAllocated: a fixed VHDX (what Windows
 * boots natively without growing it); its blocks of zeros stay holes in
 * the file, which write --vhdx puts into clusters of its own.
 * Written as TARGET.partial and renamed when complete. */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/crc32c.h"
#include "wintogo/guid.h"
#include "wintogo/log.h"
#include "wintogo/outfile.h"
#include "wintogo/sink.h"
#include "wintogo/util.h"
#include "wintogo/vhdx_format.h"

#define LOG_OFFSET (1 * MIB)
#define LOG_LENGTH MIB
#define METADATA_OFFSET (2 * MIB)
#define METADATA_LENGTH MIB
#define DATA_OFFSET (3 * MIB)
#define CHUNK (64 * 1024)   /* zero runs this long are not written */
#define CREATOR "wintogo"

struct vhdx_out {
	struct outfile out;
	uint32_t block_size;
	uint64_t blocks;           /* of the virtual disk */
	uint32_t *block_mib;       /* per block: its file offset in MiB, 0 if not stored */
	uint64_t file_end;         /* where the next block goes */
	uint8_t *chunk;
	bool fixed;                /* every block stored, LeaveBlocksAllocated */
};

uint64_t sink_vhdx_file_bytes(uint64_t disk_bytes, uint32_t block_size, unsigned logical_sector)
{
	uint64_t blocks = (disk_bytes + block_size - 1) / block_size;
	uint64_t entries = vhdx_bat_entries(blocks, vhdx_chunk_ratio(logical_sector, block_size));

	return DATA_OFFSET + blocks * block_size + round_up(entries ? entries * 8 : 1, VHDX_ALIGN);
}

static int write_at(struct wtg_ctx *ctx, struct vhdx_out *v, const void *buf, size_t len, uint64_t offset)
{
	int ret = pwrite_all(v->out.fd, buf, len, offset);

	return ret < 0 ? log_syserr(ctx, -ret, "cannot write '%s'", v->out.partial) : 0;
}

static int vhdx_open(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct vhdx_out *v = xcalloc(1, sizeof(*v));

	sink->priv = v;
	v->out.fd = -1;
	v->block_size = sink->format.block_size;
	v->blocks = (sink->size + v->block_size - 1) / v->block_size;
	v->block_mib = xcalloc(v->blocks ? v->blocks : 1, sizeof(uint32_t));
	v->file_end = DATA_OFFSET;
	v->chunk = xmalloc(CHUNK);
	v->fixed = sink->flags & SINK_FIXED;
	for (uint64_t b = 0; v->fixed && b < v->blocks; b++) {
		v->block_mib[b] = (uint32_t)(v->file_end / MIB);
		v->file_end += v->block_size;
	}
	if (sink->size % sink->format.logical_sector || sink->size > VHDX_MAX_SIZE)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "cannot write '%s': a VHDX disk is whole %u-byte sectors, at most 64 TiB",
				 sink->target, sink->format.logical_sector);
	return outfile_open(ctx, &v->out, sink->target, sink->force);
}

/* Data in a block is written where the block is stored; the block is
 * placed at the end of the file when its first non-zero data arrives.
 * Extents come in increasing order, so blocks are stored in guest order. */
/* Bytes arrive in increasing order; a block is given its place in the
 * file when its first non-zero chunk arrives, so blocks that are all
 * zeros take no room. */
static int vhdx_write(struct sink *sink, uint64_t offset, const void *buf, size_t len)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct vhdx_out *v = sink->priv;
	const uint8_t *p = buf;

	while (len) {
		uint64_t block = offset / v->block_size, in_block = offset % v->block_size;
		size_t n = len;
		int ret;

		if (n > CHUNK - offset % CHUNK)
			n = (size_t)(CHUNK - offset % CHUNK);
		if (!mem_is_zero(p, n)) {
			if (!v->block_mib[block]) {
				v->block_mib[block] = (uint32_t)(v->file_end / MIB);
				v->file_end += v->block_size;
			}
			ret = write_at(ctx, v, p, n, (uint64_t)v->block_mib[block] * MIB + in_block);
			if (ret < 0)
				return ret;
		}
		offset += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* What reads back as the disk is the virtual disk, not this file. */
static int vhdx_sync(struct sink *sink, const char **path_ret)
{
	struct wtg_ctx *ctx = sink->ctx;
	(void)path_ret;
	return log_error(ctx, WTG_ERR_INTERNAL, "internal error: '%s' is a VHDX image; check it with qemu-img check, not by reading it back",
			 sink->target);
}

static int write_bat(struct vhdx_out *v, const struct sink *sink, uint64_t offset,
		     uint32_t *length_ret)
{
	struct wtg_ctx *ctx = sink->ctx;
	uint64_t ratio = vhdx_chunk_ratio(sink->format.logical_sector, v->block_size);
	uint64_t entries = vhdx_bat_entries(v->blocks, ratio);
	uint64_t length = round_up(entries ? entries * 8 : 1, VHDX_ALIGN);
	uint64_t *bat = xcalloc(1, length);
	int ret;

	/* the sector bitmap entries between the payload entries stay 0:
	 * NOT_PRESENT, as a disk without a parent has them */
	for (uint64_t b = 0; b < v->blocks; b++)
		bat[vhdx_bat_index(b, ratio)] = htole64(
			v->block_mib[b] ? (uint64_t)v->block_mib[b] << VHDX_BAT_OFFSET_SHIFT |
						  VHDX_PAYLOAD_FULLY_PRESENT
					: VHDX_PAYLOAD_ZERO);
	ret = write_at(ctx, v, bat, length, offset);
	free(bat);
	*length_ret = (uint32_t)length;
	return ret;
}

static void meta_entry(struct vhdx_metadata_entry *e, const uint8_t id[16], uint32_t offset,
		       uint32_t length, uint32_t flags)
{
	memcpy(e->item_id, id, 16);
	e->offset = htole32(offset);
	e->length = htole32(length);
	e->flags = htole32(flags);
}

static int write_metadata(struct vhdx_out *v, const struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	static const uint8_t params_id[] = VHDX_GUID_FILE_PARAMETERS,
			     size_id[] = VHDX_GUID_VIRTUAL_DISK_SIZE,
			     page83_id[] = VHDX_GUID_PAGE83_DATA,
			     logical_id[] = VHDX_GUID_LOGICAL_SECTOR_SIZE,
			     physical_id[] = VHDX_GUID_PHYSICAL_SECTOR_SIZE;
	const uint32_t vd = VHDX_META_IS_VIRTUAL_DISK | VHDX_META_IS_REQUIRED;
	/* the table, then the items from 64 KiB on */
	uint8_t *region = xcalloc(1, VHDX_METADATA_TABLE_SIZE + 64);
	struct vhdx_metadata_table_header *h = (void *)region;
	struct vhdx_metadata_entry *e = (void *)(region + sizeof(*h));
	uint8_t *items = region + VHDX_METADATA_TABLE_SIZE;
	struct vhdx_file_parameters params = { htole32(v->block_size), htole32(v->fixed ? VHDX_PARAM_LEAVE_BLOCKS_ALLOCATED : 0) };
	uint64_t size = htole64(sink->size);
	uint32_t logical = htole32(sink->format.logical_sector);
	uint32_t physical = htole32(sink->format.physical_sector);
	struct guid disk_id;
	int ret;

	memcpy(h->signature, VHDX_METADATA_SIGNATURE, 8);
	h->entry_count = htole16(5);
	ret = guid_make(ctx, &disk_id, sink->format.seeded, sink->format.seed, "vhdx page 83");
	if (ret < 0)
		goto out;
	meta_entry(&e[0], params_id, VHDX_METADATA_TABLE_SIZE, 8, VHDX_META_IS_REQUIRED);
	memcpy(items, &params, 8);
	meta_entry(&e[1], size_id, VHDX_METADATA_TABLE_SIZE + 8, 8, vd);
	memcpy(items + 8, &size, 8);
	meta_entry(&e[2], page83_id, VHDX_METADATA_TABLE_SIZE + 16, 16, vd);
	guid_to_mixed_endian(&disk_id, items + 16);
	meta_entry(&e[3], logical_id, VHDX_METADATA_TABLE_SIZE + 32, 4, vd);
	memcpy(items + 32, &logical, 4);
	meta_entry(&e[4], physical_id, VHDX_METADATA_TABLE_SIZE + 36, 4, vd);
	memcpy(items + 36, &physical, 4);
	ret = write_at(ctx, v, region, VHDX_METADATA_TABLE_SIZE + 64, METADATA_OFFSET);
out:
	free(region);
	return ret;
}

static void region_entry(struct vhdx_region_entry *e, const uint8_t id[16], uint64_t offset,
			 uint32_t length)
{
	memcpy(e->guid, id, 16);
	e->file_offset = htole64(offset);
	e->length = htole32(length);
	e->required = htole32(1);
}

static int write_region_tables(struct wtg_ctx *ctx, struct vhdx_out *v, uint64_t bat_offset, uint32_t bat_length)
{
	static const uint8_t bat_id[] = VHDX_GUID_BAT, metadata_id[] = VHDX_GUID_METADATA;
	uint8_t *table = xcalloc(1, VHDX_REGION_TABLE_SIZE);
	struct vhdx_region_table_header *h = (void *)table;
	struct vhdx_region_entry *e = (void *)(table + sizeof(*h));
	int ret;

	h->signature = htole32(VHDX_REGION_SIGNATURE);
	h->entry_count = htole32(2);
	region_entry(&e[0], bat_id, bat_offset, bat_length);
	region_entry(&e[1], metadata_id, METADATA_OFFSET, METADATA_LENGTH);
	h->checksum = htole32(crc32c(0, table, VHDX_REGION_TABLE_SIZE));
	ret = write_at(ctx, v, table, VHDX_REGION_TABLE_SIZE, VHDX_REGION1_OFFSET);
	if (!ret)
		ret = write_at(ctx, v, table, VHDX_REGION_TABLE_SIZE, VHDX_REGION2_OFFSET);
	free(table);
	return ret;
}

/* Both headers, the second one current (the higher sequence number). */
static int write_headers(struct wtg_ctx *ctx, struct vhdx_out *v, const struct sink_format *f)
{
	struct vhdx_header *h = xcalloc(1, sizeof(*h));
	struct guid file_write, data_write;
	int ret = guid_make(ctx, &file_write, f->seeded, f->seed, "vhdx file write");

	if (!ret)
		ret = guid_make(ctx, &data_write, f->seeded, f->seed, "vhdx data write");
	h->signature = htole32(VHDX_HEADER_SIGNATURE);
	guid_to_mixed_endian(&file_write, h->file_write_guid);
	guid_to_mixed_endian(&data_write, h->data_write_guid);
	h->version = htole16(1);
	h->log_length = htole32(LOG_LENGTH);
	h->log_offset = htole64(LOG_OFFSET);
	for (uint64_t seq = 1; seq <= 2 && !ret; seq++) {
		h->sequence_number = htole64(seq);
		h->checksum = 0;
		h->checksum = htole32(crc32c(0, h, sizeof(*h)));
		ret = write_at(ctx, v, h, sizeof(*h), seq == 1 ? VHDX_HEADER1_OFFSET : VHDX_HEADER2_OFFSET);
	}
	free(h);
	return ret;
}

static int write_identifier(struct wtg_ctx *ctx, struct vhdx_out *v)
{
	struct vhdx_file_identifier id = { 0 };

	memcpy(id.signature, VHDX_SIGNATURE, 8);
	for (size_t i = 0; i < sizeof(CREATOR) - 1; i++)
		id.creator[i] = htole16((uint16_t)CREATOR[i]);
	return write_at(ctx, v, &id, sizeof(id), 0);
}

static int vhdx_finish(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct vhdx_out *v = sink->priv;
	uint64_t bat_offset = round_up(v->file_end, VHDX_ALIGN);
	uint32_t bat_length = 0;
	int ret;

	ret = write_bat(v, sink, bat_offset, &bat_length);
	if (!ret)
		ret = write_metadata(v, sink);
	if (!ret)
		ret = write_region_tables(ctx, v, bat_offset, bat_length);
	if (!ret)
		ret = write_headers(ctx, v, &sink->format);
	if (!ret)
		ret = write_identifier(ctx, v);
	if (!ret)
		ret = outfile_commit(ctx, &v->out);
	return ret;
}

static void vhdx_free(struct sink *sink)
{
	struct vhdx_out *v = sink->priv;

	if (!v)
		return;
	outfile_abort(&v->out);
	free(v->block_mib);
	free(v->chunk);
	free(v);
	sink->priv = NULL;
}

const struct sink_ops sink_vhdx_ops = {
	.name = "VHDX image",
	.open = vhdx_open,
	.write = vhdx_write,
	.sync = vhdx_sync,
	.finish = vhdx_finish,
	.abort = vhdx_free,
};
