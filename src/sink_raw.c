/* sink_raw.c - a raw disk image file.  It is written as TARGET.partial,
 * sparse (holes stay holes), and renamed to TARGET only when complete and
 * on disk. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
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

static int raw_write(struct sink *sink, const struct extent *e)
{
	struct raw_state *st = sink->priv;
	enum copy_side side;
	int ret = copy_range(e->fd, e->src_offset, st->fd, e->offset, e->length, &side);

	if (ret < 0 && side == COPY_READ)
		return log_errno(ret == -ENODATA ? -EIO : ret, "cannot read the %s stage",
				 e->what);
	if (ret < 0)
		return log_errno(ret, "cannot write '%s'", st->partial);
	return 0;
}

static int fsync_parent(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			ret = log_errno(-errno, "cannot sync the folder of '%s'", path);
		close(fd);
	}
	free(copy);
	return ret;
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
	.finish = raw_finish,
	.abort = raw_abort,
};
