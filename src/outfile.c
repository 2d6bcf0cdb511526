/* outfile.c - output files written under a temporary name (see outfile.h). */
#include "wintogo/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

int outfile_open(struct wtg_ctx *ctx, struct outfile *out, const char *target, bool force)
{
	struct stat sb;

	*out = (struct outfile){ .target = xstrdup(target), .fd = -1 };
	out->partial = xasprintf("%s.partial", target);
	if (stat(target, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is a directory; give the name of the file to write",
					 target);
		if (!S_ISREG(sb.st_mode))
			return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is not a regular file; wintogo writes a new file here",
					 target);
		if (!force)
			return log_error(ctx, WTG_ERR_TARGET_EXISTS, "'%s' already exists; use --force to replace it", target);
	}
	/* a .partial file is always ours, left by an interrupted run: remove it
	 * rather than open it, so that a symlink of that name is never followed */
	if (unlink(out->partial) < 0 && errno != ENOENT)
		return log_syserr(ctx, errno, "cannot remove the stale '%s'", out->partial);
	out->fd = open(out->partial, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out->fd < 0)
		return log_syserr(ctx, errno, "cannot create '%s'", out->partial);
	out->created = true;
	return 0;
}

int outfile_commit(struct wtg_ctx *ctx, struct outfile *out)
{
	int ret = 0;

	if (fsync(out->fd) < 0)
		return log_syserr(ctx, errno, "cannot write '%s' to disk", out->partial);
	if (close(out->fd) < 0)
		ret = log_syserr(ctx, errno, "cannot close '%s'", out->partial);
	out->fd = -1;
	if (!ret && rename(out->partial, out->target) < 0)
		ret = log_syserr(ctx, errno, "cannot rename '%s' to '%s'", out->partial, out->target);
	if (!ret)
		ret = fsync_parent(ctx, out->target);
	if (!ret) {
		free(out->partial);
		out->partial = NULL;
	}
	return ret;
}

void outfile_abort(struct outfile *out)
{
	if (out->fd >= 0)
		close(out->fd);
	/* partial is set until a commit succeeds; it exists once fd was opened */
	if (out->partial && out->created)
		unlink(out->partial);
	out->fd = -1;
	free(out->partial);
	free(out->target);
	*out = (struct outfile){ .fd = -1 };
}
