/* ntfs.h - the Windows partition, built as a sparse NTFS file in the stage:
 * formatted by mkntfs, filled by wimlib in NTFS-3G mode so that security
 * descriptors, reparse points and short names come out as Windows wants.
 *
 * A tight stage: NTFS-3G spreads the files over the whole volume (a
 * thousand runs of data with free space between them on a 3 GiB disk,
 * each a jump a flash stick pays for with a merge), so the volume is made
 * only as large as the image needs plus a headroom (ntfs_tight_bytes),
 * filled there, and grown to the partition's size afterwards by
 * ntfsresize: the data lies in one compact run at the partition's start,
 * the rest is free space the stream skips. */
#ifndef WINTOGO_NTFS_H
#define WINTOGO_NTFS_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/progress.h"
#include "wintogo/wim.h"

struct ntfs_request {
	const char *path;          /* the file to make */
	uint64_t bytes;
	unsigned sector_size;
	uint64_t start_sector;     /* hidden sectors: Windows will not boot without */
	struct wim_source *source;
	int index;
	uint64_t tight_bytes;      /* 0: formatted at bytes; else at tight_bytes, */
	                           /* applied, then grown to bytes */
	const char *label;         /* NULL: "Windows" */
	bool in_target;            /* path is the target's own file (locked, ours): */
	                           /* emptied and sized, never created nor removed */
	bool on_device;            /* path is a block device of exactly bytes, the */
	                           /* target's partition (write --direct): formatted */
	                           /* as it is, never tight */
	const char *shown_as;      /* in messages, if not path (a /proc/self/fd name) */
};

/* Makes the sparse file and formats it, empty, at bytes (write --vhdx's
 * host volume). */
int ntfs_make_empty(struct wtg_ctx *ctx, const struct ntfs_request *req);

/* The size to stage a Windows partition of bytes at for image (plus
 * added_bytes of files servicing puts in): its files, the clusters and
 * metadata they take, and a margin (see ntfs_tight.c); 0 when that is not
 * smaller than bytes (a full-size stage then).  A test build may set the
 * headroom itself (ctx->hooks.stage_headroom). */
uint64_t ntfs_tight_bytes(const struct wtg_ctx *ctx, const struct wim_image *image, uint64_t added_bytes,
			  uint64_t bytes);

/* Grows the NTFS volume in the file path to bytes: the file extended,
 * then ntfsresize; and the check it schedules for Windows' next boot
 * cleared by ntfsfix -d (the volume was checked by ntfsresize itself,
 * and a chkdsk at a Windows To Go's first boot only costs time). */
int ntfs_grow(struct wtg_ctx *ctx, const char *path, uint64_t bytes);

/* Makes the sparse file, formats it and applies the image onto it; with
 * a tight_bytes, formats and applies at that size, then grows it, and
 * when NTFS-3G fails to write the tight volume (too little headroom: an
 * image with more metadata than estimated), says so (log_info) and does
 * it all again at the full size.  In the target's own file (in_target)
 * (or on_device) a thread starts the writeback every 100 ms meanwhile,
 * so that the fsync at the end finds little left to write. */
int ntfs_build(struct wtg_ctx *ctx, const struct ntfs_request *req);

/* What write --direct reads to hash, and the read-back compares: the byte
 * ranges of the NTFS volume on path (bytes long; shown in messages) that
 * hold anything, its clusters in use ($Bitmap) and what lies past its last
 * cluster (the backup boot sector), in increasing order.  The rest is
 * free space, whose old contents NTFS never reads.  add's failure stops
 * the walk and is returned. */
typedef int (*ntfs_range_fn)(void *user, uint64_t offset, uint64_t length);
int ntfs_used_ranges(struct wtg_ctx *ctx, const char *path, const char *shown, uint64_t bytes,
		     ntfs_range_fn add, void *user);

#endif
