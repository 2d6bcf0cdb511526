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

#include "wintogo/log.h"
#include "wintogo/sink.h"
#include "wintogo/util.h"

#define COPY_CHUNK (8 * MIB)

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

/* The buffered way, where copy_file_range cannot (other file systems). */
static int copy_buffered(int in, uint64_t in_off, int out, uint64_t out_off, uint64_t len,
			 const char *partial)
{
	char *buf = xmalloc(COPY_CHUNK);
	int ret = 0;

	while (len) {
		size_t want = len < COPY_CHUNK ? len : COPY_CHUNK;
		ssize_t n = pread(in, buf, want, (off_t)in_off);

		if (n <= 0) {
			ret = log_errno(n < 0 ? -errno : -EIO, "cannot read the stage");
			break;
		}
		if (pwrite(out, buf, (size_t)n, (off_t)out_off) != n) {
			ret = log_errno(-errno, "cannot write '%s'", partial);
			break;
		}
		in_off += (uint64_t)n;
		out_off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	free(buf);
	return ret;
}

static int raw_write(struct sink *sink, const struct extent *e)
{
	struct raw_state *st = sink->priv;
	loff_t in_off = (loff_t)e->src_offset, out_off = (loff_t)e->offset;
	uint64_t left = e->length;

	while (left) {
		size_t want = left < COPY_CHUNK ? left : COPY_CHUNK;
		ssize_t n = copy_file_range(e->fd, &in_off, st->fd, &out_off, want, 0);

		if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
			      errno == EOPNOTSUPP))
			return copy_buffered(e->fd, (uint64_t)in_off, st->fd, (uint64_t)out_off,
					     left, st->partial);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return log_errno(n < 0 ? -errno : -EIO, "cannot write '%s'", st->partial);
		left -= (uint64_t)n;
	}
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
