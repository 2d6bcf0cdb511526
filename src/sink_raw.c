/* sink_raw.c - a raw disk image file.  It is written as TARGET.partial,
 * sparse (holes stay holes: only the extents are written), and renamed to
 * TARGET only when complete and on disk (outfile.h).  A partition may be
 * built in the .partial itself (sink_raw_build_in_place), where a file
 * system can insert room before it. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/outfile.h"
#include "wintogo/sink.h"
#include "wintogo/util.h"

static int raw_open(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct outfile *out = xcalloc(1, sizeof(*out));
	int ret;

	sink->priv = out;
	ret = outfile_open(ctx, out, sink->target, sink->force);
	if (!ret && ftruncate(out->fd, (off_t)sink->size) < 0)
		ret = log_syserr(ctx, errno, "cannot make '%s' %llu bytes long", out->partial,
				(unsigned long long)sink->size);
	return ret;
}

static int raw_write(struct sink *sink, uint64_t offset, const void *buf, size_t len)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct outfile *out = sink->priv;
	int ret = pwrite_all(out->fd, buf, len, offset);

	return ret < 0 ? log_syserr(ctx, -ret, "cannot write '%s'", out->partial) : 0;
}

static int raw_sync(struct sink *sink, const char **path_ret)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct outfile *out = sink->priv;

	if (fsync(out->fd) < 0)
		return log_syserr(ctx, errno, "cannot write '%s' to disk", out->partial);
	*path_ret = out->partial;
	return 0;
}

static int raw_finish(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	return outfile_commit(ctx, sink->priv);
}

static void raw_abort(struct sink *sink)
{
	struct outfile *out = sink->priv;

	if (!out)
		return;
	outfile_abort(out);
	free(out);
	sink->priv = NULL;
}

int sink_raw_build_in_place(struct sink *sink, uint64_t offset, const char **path_ret)
{
	struct outfile *out = sink->priv;
	bool ok;
	int fd;

	*path_ret = NULL;
	if (sink->ops != &sink_raw_ops || !out || !offset)
		return 0;
	fd = out->fd;
	/* tried on the .partial itself, still all holes: one block, the room
	 * inserted before it, then holes of the disk's size again */
	ok = ftruncate(fd, 0) == 0 && ftruncate(fd, 4096) == 0 &&
	     fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, (off_t)offset) == 0;
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)sink->size) < 0)
		return log_syserr(sink->ctx, errno, "cannot make '%s' %llu bytes long", out->partial,
				  (unsigned long long)sink->size);
	if (ok)
		*path_ret = out->partial;
	return 0;
}

int sink_raw_place(struct sink *sink, uint64_t offset)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct outfile *out = sink->priv;

	if (fallocate(out->fd, FALLOC_FL_INSERT_RANGE, 0, (off_t)offset) < 0)
		return log_syserr(ctx, errno, "cannot make room for the partitions before the Windows partition in '%s'",
				  out->partial);
	if (ftruncate(out->fd, (off_t)sink->size) < 0)
		return log_syserr(ctx, errno, "cannot make '%s' %llu bytes long", out->partial,
				  (unsigned long long)sink->size);
	return 0;
}

const struct sink_ops sink_raw_ops = {
	.name = "raw image",
	.in_place = true,
	.open = raw_open,
	.write = raw_write,
	.sync = raw_sync,
	.finish = raw_finish,
	.abort = raw_abort,
};
