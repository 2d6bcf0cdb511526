/* sink_raw.c - a raw disk image file.  It is written as TARGET.partial,
 * sparse (holes stay holes: only the extents are written), and renamed to
 * TARGET only when complete and on disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/copy.h"
#include "wintogo/log.h"
#include "wintogo/sink.h"
#include "wintogo/util.h"

struct raw_state {
	int fd;
	char *partial;
};

static int raw_open(struct sink *sink)
{
	struct raw_state *st = xcalloc(1, sizeof(*st));
	struct stat sb;

	st->fd = -1;
	st->partial = xasprintf("%s.partial", sink->target);
	sink->priv = st;
	if (stat(sink->target, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return log_error(-EISDIR, "'%s' is a directory; give the name of the disk image to write",
					 sink->target);
		if (!S_ISREG(sb.st_mode))
			return log_error(-EINVAL, "'%s' is not a regular file; wintogo writes disk image files here",
					 sink->target);
		if (!sink->force)
			return log_error(-EEXIST, "'%s' already exists; use --force to replace it",
					 sink->target);
	}
	/* a .partial file is always ours, left by an interrupted run */
	st->fd = open(st->partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (st->fd < 0)
		return log_errno(-errno, "cannot create '%s'", st->partial);
	if (ftruncate(st->fd, (off_t)sink->size) < 0)
		return log_errno(-errno, "cannot make '%s' %llu bytes long", st->partial,
				 (unsigned long long)sink->size);
	return 0;
}

static int raw_write(struct sink *sink, uint64_t offset, const void *buf, size_t len)
{
	struct raw_state *st = sink->priv;
	int ret = pwrite_all(st->fd, buf, len, offset);

	return ret < 0 ? log_errno(ret, "cannot write '%s'", st->partial) : 0;
}

static int raw_sync(struct sink *sink, const char **path_ret)
{
	struct raw_state *st = sink->priv;

	if (fsync(st->fd) < 0)
		return log_errno(-errno, "cannot write '%s' to disk", st->partial);
	*path_ret = st->partial;
	return 0;
}

static int raw_finish(struct sink *sink)
{
	struct raw_state *st = sink->priv;
	int ret = 0;

	if (fsync(st->fd) < 0)
		return log_errno(-errno, "cannot write '%s' to disk", st->partial);
	if (close(st->fd) < 0)
		ret = log_errno(-errno, "cannot close '%s'", st->partial);
	st->fd = -1;
	if (!ret && rename(st->partial, sink->target) < 0)
		ret = log_errno(-errno, "cannot rename '%s' to '%s'", st->partial, sink->target);
	if (!ret)
		ret = fsync_parent(sink->target);
	if (!ret) {
		free(st->partial);
		free(st);
		sink->priv = NULL;
	}
	return ret;
}

static void raw_abort(struct sink *sink)
{
	struct raw_state *st = sink->priv;

	if (!st)
		return;
	if (st->fd >= 0) {
		close(st->fd);
		unlink(st->partial);
	} else if (access(st->partial, F_OK) == 0) {
		unlink(st->partial);
	}
	free(st->partial);
	free(st);
	sink->priv = NULL;
}

const struct sink_ops sink_raw_ops = {
	.name = "raw image",
	.open = raw_open,
	.write = raw_write,
	.sync = raw_sync,
	.finish = raw_finish,
	.abort = raw_abort,
};
