/* ntfs.h - the Windows partition, built as a sparse NTFS file in the stage:
 * formatted by mkntfs, filled by wimlib in NTFS-3G mode so that security
 * descriptors, reparse points and short names come out as Windows wants. */
#ifndef WINTOGO_NTFS_H
#define WINTOGO_NTFS_H

#include "wintogo/ctx.h"

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
};

/* Makes the sparse file, formats it and applies the image onto it. */
int ntfs_build(struct wtg_ctx *ctx, const struct ntfs_request *req);

#endif
