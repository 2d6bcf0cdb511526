/* outfile.h - an output file written under a temporary name (TARGET.partial)
 * and renamed to TARGET only when complete and on disk, so a failed or
 * interrupted run never leaves a file that looks finished. */
#ifndef WINTOGO_OUTFILE_H
#define WINTOGO_OUTFILE_H

#include "wintogo/ctx.h"

#include <stdbool.h>

struct outfile {
	char *target;
	char *partial;
	int fd;
	bool created;   /* the .partial file exists and is ours to remove */
};

/* Refuses an existing target unless force (-WTG_ERR_TARGET_EXISTS) and
 * anything not a regular file (-WTG_ERR_TARGET_INVALID), then creates
 * TARGET.partial (replacing a stale one).  Logged. */
int outfile_open(struct wtg_ctx *ctx, struct outfile *out, const char *target, bool force);

/* fsync, close, rename to the target, fsync its folder.  Logged. */
int outfile_commit(struct wtg_ctx *ctx, struct outfile *out);

/* Closes and removes the .partial file, if any; frees the names. */
void outfile_abort(struct outfile *out);

#endif
