/* verify.h - reading a target back and comparing it with the SHA-256 of
 * the blocks written to it (extents.h), generic over a file descriptor:
 * a disk image file now, a block device when its sink comes.
 *
 * Reads must come from the medium, not from the page cache that still
 * holds what was just written: verify_open() opens the target with
 * O_DIRECT (reads then go in whole logical sectors, or pages for a file,
 * into aligned memory; verify handles that); where a file system has no
 * O_DIRECT (tmpfs, which has no medium behind its cache anyway) it drops
 * the file's cached pages with posix_fadvise(POSIX_FADV_DONTNEED) (they
 * are clean after the fsync the sink did first).
 *
 * verify_blocks() reads in order from one thread and hashes on others
 * (see verify.c); it calls ctx's callbacks from the calling thread only. */
#ifndef WINTOGO_VERIFY_H
#define WINTOGO_VERIFY_H

#include "wintogo/ctx.h"

#include <stddef.h>
#include <stdint.h>

#include "wintogo/extents.h"
#include "wintogo/progress.h"

/* A target opened for reading back; align is 1, or the sector size that
 * O_DIRECT reads must be aligned to. */
struct readback {
	int fd;
	unsigned align;
	uint64_t size;      /* of the file or device */
	const char *name;   /* for messages */
};

/* Opens path (a file or block device) for reading back past the cache.
 * Close it with verify_close(). */
int verify_open(struct wtg_ctx *ctx, const char *path, struct readback *rb_ret);
void verify_close(struct readback *rb);

struct verify_report {
	size_t *bad;        /* indexes of the blocks that differ, in order */
	size_t n_bad;
	uint64_t bytes;     /* bytes read back */
};

/* Reads back every block and compares its SHA-256, reporting
 * PROGRESS_VERIFY in bytes.  Blocks that differ are not an error here:
 * they are listed in the report, for the caller to name.  Errors (a read
 * fails, the target ends early, Ctrl-C) are logged and returned. */
int verify_blocks(struct wtg_ctx *ctx, const struct readback *rb, const struct block_list *blocks, struct verify_report *report_ret);
void verify_report_release(struct verify_report *report);

/* The first byte where the target and src (its bytes from src_offset on)
 * differ within [offset, offset + length) on the target: *at_ret, with
 * what each holds there, and 0.  1 when they do not differ (a block that
 * read back wrong once); failures are logged and return their code. */
int verify_first_difference(struct wtg_ctx *ctx, const struct readback *rb, uint64_t offset, uint64_t length,
			    int src_fd, uint64_t src_offset, uint64_t *at_ret,
			    uint8_t *got_ret, uint8_t *want_ret);

#endif
