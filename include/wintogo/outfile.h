/* outfile.h - an output file written under a temporary name (TARGET.partial)
 * and renamed to TARGET only when complete and on disk, so a failed or
 * interrupted run never leaves a file that looks finished.
 *
 * The .partial is owned while it is written: its run holds an exclusive
 * flock(2) on it from creation until it has been renamed to TARGET (the
 * kernel drops it when a run dies, even by SIGKILL).  Another run that
 * finds the .partial locked refuses with -WTG_ERR_TARGET_BUSY, naming
 * the process; one that finds it unlocked knows its run is gone and
 * replaces it.  A name written with its own outfile (the manifest beside
 * an image) is opened before the image is renamed and renamed after it,
 * so two runs cannot publish one's image with the other's manifest. */
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
 * TARGET.partial, never through a symlink, and locks it.  A .partial
 * another run holds is refused (-WTG_ERR_TARGET_BUSY: "'x.img' is being
 * written by process N"); one nobody holds is stale and replaced.
 * Logged. */
int outfile_open(struct wtg_ctx *ctx, struct outfile *out, const char *target, bool force);

/* Fails with -WTG_ERR_TARGET_BUSY (logged) when another run is writing
 * target now, so that a run can refuse before it plans and stages; the
 * .partial is not touched. */
int outfile_check_busy(struct wtg_ctx *ctx, const char *target);

/* fsync, rename to the target, fsync its folder, close (which lets the
 * lock go).  Logged. */
int outfile_commit(struct wtg_ctx *ctx, struct outfile *out);

/* Removes the .partial file, if any, then closes it; frees the names. */
void outfile_abort(struct outfile *out);

#endif
