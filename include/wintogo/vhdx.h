/* vhdx.h - a VHDX virtual disk (Hyper-V, Disk2vhd, Windows dev VMs) opened
 * for reading.
 *
 * libvhdi reads the virtual disk; but libvhdi (20210425, Debian 12) tells
 * neither the block size, nor the physical sector size, nor which blocks
 * are stored, and it opens files whose BAT points past their end.  So the
 * headers, region tables, metadata and BAT are also read here (with their
 * CRC-32C), and every file wintogo cannot read completely is refused when
 * opened, before anything is written: a file that is not VHDX, truncated,
 * with no valid header or region table, with a BAT entry past the end, a
 * differencing disk (it has a parent), a log still to replay.  Every
 * offset and size in the file is untrusted: sums are checked for overflow,
 * each structure must lie inside the file and each metadata item inside
 * its region, and the block size (1 to 256 MiB, a power of two), sector
 * sizes (512 or 4096) and virtual size (whole sectors, at most 64 TiB)
 * are bounded before anything is computed from them. */
#ifndef WINTOGO_VHDX_H
#define WINTOGO_VHDX_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/extents.h"
#include "wintogo/guid.h"

struct vhdx_disk_info {
	uint64_t virtual_size;
	uint32_t logical_sector;
	uint32_t physical_sector;
	uint32_t block_size;
	uint64_t blocks;             /* of the virtual disk */
	uint64_t stored_blocks;      /* FULLY_PRESENT: the others read as zeros */
	bool fixed;                  /* blocks stay allocated (a fixed VHDX) */
	struct guid disk_id;         /* page 83 data */
	uint64_t file_size;
};

struct vhdx;


/* Opens and checks path (see above).  Every refusal is logged as one line
 * naming the file and saying what to do: -WTG_ERR_NOT_AN_IMAGE (not
 * VHDX), -WTG_ERR_IMAGE_DAMAGED (truncated, bad CRC-32C, a BAT entry past
 * the end), -WTG_ERR_IMAGE_UNSUPPORTED (differencing, a log to replay, a
 * required region of a newer version). */
int vhdx_open(struct wtg_ctx *ctx, const char *path, struct vhdx **vhdx_ret);
void vhdx_close(struct vhdx *vhdx);

const struct vhdx_disk_info *vhdx_info(const struct vhdx *vhdx);
const char *vhdx_path(const struct vhdx *vhdx);

/* Adds the stored blocks to list as extents of the virtual disk, read
 * straight from the VHDX file (a block is one run in the file). */
int vhdx_add_extents(struct wtg_ctx *ctx, struct vhdx *vhdx, struct extent_list *list);

/* Reads length bytes of the virtual disk at offset into buf (libvhdi).
 * Bytes past the end of the virtual disk are -WTG_ERR_IMAGE_DAMAGED
 * (logged): the offsets come from the partition table inside it. */
int vhdx_read(struct wtg_ctx *ctx, struct vhdx *vhdx, uint64_t offset, void *buf, size_t length);

/* Whether the virtual disk starts with a partition table (an MBR, or a
 * GPT with 512- or 4096-byte sectors), as a raw disk image must to be
 * taken for one; -WTG_ERR_NO_WINDOWS (logged) if not: a blank VHDX. */
int vhdx_check_partition_table(struct wtg_ctx *ctx, struct vhdx *vhdx);

/* Copies bytes [offset, offset + length) of the virtual disk (cut at its
 * end) into fd at fd_offset: only the stored blocks, and of those only
 * what is not zero, so fd stays as sparse as the virtual disk.  A write
 * that stops short is -WTG_ERR_NO_SPACE. */
int vhdx_copy_range(struct wtg_ctx *ctx, struct vhdx *vhdx, uint64_t offset, uint64_t length, int fd,
		    uint64_t fd_offset);

#endif
