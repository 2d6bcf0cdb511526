/* fuzz_vhdx.c - the VHDX reader (vhdx.h): headers, region tables,
 * metadata and BAT, then libvhdi's reads and the extents of the stored
 * blocks.
 *
 * The headers and region tables carry a CRC-32C, which random mutations
 * almost never keep right, so nearly every input would stop there.  For an
 * input whose byte 8 (the first byte of the creator string, which nothing
 * reads) is odd, the harness recomputes those checksums first, so that
 * mutations of the fields behind them get through; an even one is taken
 * as it is, checksums and all. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wintogo/crc32c.h"
#include "wintogo/extents.h"
#include "wintogo/vhdx.h"
#include "wintogo/vhdx_format.h"

static void fix_checksum(uint8_t *file, size_t size, size_t at, size_t len)
{
	uint32_t sum;

	if (size < at + len)
		return;
	memset(file + at + 4, 0, 4);  /* the checksum follows the signature in both */
	sum = htole32(crc32c(0, file + at, len));
	memcpy(file + at + 4, &sum, 4);
}

/* Reads that lie in the virtual disk must succeed or fail with a logged
 * error; never crash, never read outside buf. */
static void check_reads(struct wtg_ctx *ctx, struct vhdx *v, const struct vhdx_disk_info *info)
{
	uint64_t sector = info->logical_sector;
	uint64_t at[] = { 0, info->virtual_size / 2 / sector * sector, info->virtual_size - sector,
			  info->block_size < info->virtual_size ? info->block_size - sector : 0 };
	uint8_t *buf = malloc(sector);

	FUZZ_ASSERT(buf);
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		int ret = vhdx_read(ctx, v, at[i], buf, sector);

		if (ret)
			fuzz_assert_failed_cleanly(ctx, ret);
	}
	free(buf);
}

/* The extents of the stored blocks lie inside the virtual disk and the
 * file, and never overlap (extents_finish checks that too). */
static void check_extents(struct wtg_ctx *ctx, struct vhdx *v, const struct vhdx_disk_info *info)
{
	struct extent_list list = { 0 };
	int ret = vhdx_add_extents(ctx, v, &list);

	if (!ret)
		ret = extents_finish(ctx, &list);
	if (ret) {
		fuzz_assert_failed_cleanly(ctx, ret);
	} else {
		FUZZ_ASSERT(list.bytes <= info->stored_blocks * (uint64_t)info->block_size);
		for (size_t i = 0; i < list.count; i++) {
			const struct extent *e = &list.items[i];

			FUZZ_ASSERT(e->length && e->offset + e->length <= info->virtual_size);
			FUZZ_ASSERT(e->src_offset + e->length <= info->file_size);
		}
	}
	extents_release(&list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wtg_ctx ctx;
	struct vhdx *v = NULL;
	uint8_t *file = malloc(size ? size : 1);
	int ret;

	FUZZ_ASSERT(file);
	memcpy(file, data, size);
	if (size > 8 && (file[8] & 1)) {
		fix_checksum(file, size, VHDX_HEADER1_OFFSET, VHDX_HEADER_SIZE);
		fix_checksum(file, size, VHDX_HEADER2_OFFSET, VHDX_HEADER_SIZE);
		fix_checksum(file, size, VHDX_REGION1_OFFSET, VHDX_REGION_TABLE_SIZE);
		fix_checksum(file, size, VHDX_REGION2_OFFSET, VHDX_REGION_TABLE_SIZE);
	}
	fuzz_ctx_init(&ctx);
	ret = vhdx_open(&ctx, fuzz_file(file, size), &v);
	if (ret) {
		fuzz_assert_failed_cleanly(&ctx, ret);
	} else {
		const struct vhdx_disk_info *info = vhdx_info(v);

		/* what vhdx_open promises to have checked */
		FUZZ_ASSERT(info->file_size == size);
		FUZZ_ASSERT(info->logical_sector == 512 || info->logical_sector == 4096);
		FUZZ_ASSERT(info->block_size >= VHDX_BLOCK_MIN && info->block_size <= VHDX_BLOCK_MAX);
		FUZZ_ASSERT(info->virtual_size && info->virtual_size % info->logical_sector == 0);
		FUZZ_ASSERT(info->stored_blocks <= info->blocks);
		check_reads(&ctx, v, info);
		check_extents(&ctx, v, info);
		vhdx_close(v);
	}
	wtg_ctx_release(&ctx);
	free(file);
	return 0;
}
