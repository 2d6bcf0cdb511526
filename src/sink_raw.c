/* sink_raw.c - a raw disk image file.  It is written as TARGET.partial,
 * sparse (holes stay holes: only the extents are written), and renamed to
 * TARGET only when complete and on disk (outfile.h).  A partition may be
 * built for the .partial without a stage (sink_raw_build_in_place): in it,
 * where the file system can insert room before it, or beside it in an
 * unnamed file of the same file system whose blocks are then shared into
 * it (a reflink). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/outfile.h"
#include "wintogo/sink.h"
#include "wintogo/util.h"

/* FICLONERANGE's offsets and length: a multiple of the file system's
 * block, which no file system here makes larger than this */
#define CLONE_ALIGN 65536

struct raw_image {
	struct outfile out;
	enum { BUILT_STAGED, BUILT_INSERTED, BUILT_CLONED } built;
	int beside_fd;              /* BUILT_CLONED: the O_TMPFILE it is built in */
	char beside_path[32];       /* "/proc/self/fd/N", for mkntfs and wimlib */
};

static int raw_open(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct raw_image *raw = xcalloc(1, sizeof(*raw));
	struct outfile *out = &raw->out;
	int ret;

	raw->beside_fd = -1;
	sink->priv = raw;
	ret = outfile_open(ctx, out, sink->target, sink->force);
	if (!ret && ftruncate(out->fd, (off_t)sink->size) < 0)
		ret = log_syserr(ctx, errno, "cannot make '%s' %llu bytes long", out->partial,
				(unsigned long long)sink->size);
	return ret;
}

static int raw_write(struct sink *sink, uint64_t offset, const void *buf, size_t len)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct outfile *out = &((struct raw_image *)sink->priv)->out;
	int ret = pwrite_all(out->fd, buf, len, offset);

	return ret < 0 ? log_syserr(ctx, -ret, "cannot write '%s'", out->partial) : 0;
}

static int raw_sync(struct sink *sink, const char **path_ret)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct outfile *out = &((struct raw_image *)sink->priv)->out;

	if (fsync(out->fd) < 0)
		return log_syserr(ctx, errno, "cannot write '%s' to disk", out->partial);
	*path_ret = out->partial;
	return 0;
}

static int raw_finish(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct raw_image *raw = sink->priv;

	return outfile_commit(ctx, &raw->out);
}

static void raw_abort(struct sink *sink)
{
	struct raw_image *raw = sink->priv;

	if (!raw)
		return;
	if (raw->beside_fd >= 0)
		close(raw->beside_fd);
	outfile_abort(&raw->out);
	free(raw);
	sink->priv = NULL;
}

static int restore_size(struct sink *sink, struct outfile *out)
{
	if (ftruncate(out->fd, 0) < 0 || ftruncate(out->fd, (off_t)sink->size) < 0)
		return log_syserr(sink->ctx, errno, "cannot make '%s' %llu bytes long", out->partial,
				  (unsigned long long)sink->size);
	return 0;
}

/* Tried on fd, a file of no data: one block, the room inserted before
 * it (the caller makes it what it was again). */
static bool can_insert(int fd, uint64_t offset)
{
	return ftruncate(fd, 0) == 0 && ftruncate(fd, 4096) == 0 &&
	       fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, (off_t)offset) == 0;
}

/* An unnamed file of the folder of path. */
static int unnamed_beside(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(slash ? dir : ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	free(dir);
	return fd;
}

/* An unnamed file beside path whose first block can be shared into
 * dest_fd (at its start, which the caller makes what it was again); -1
 * where not (another file system, no O_TMPFILE, no reflinks). */
static int clonable_beside(const char *path, int dest_fd)
{
	static const char block[CLONE_ALIGN];
	struct file_clone_range probe = { .src_length = CLONE_ALIGN };
	int fd = unnamed_beside(path);

	if (fd < 0)
		return -1;
	probe.src_fd = fd;
	if (pwrite_all(fd, block, sizeof(block), 0) < 0 || ioctl(dest_fd, FICLONERANGE, &probe) < 0 ||
	    ftruncate(fd, 0) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool clone_aligned(uint64_t offset, uint64_t length)
{
	return offset % CLONE_ALIGN == 0 && length % CLONE_ALIGN == 0;
}

bool sink_raw_builds_in_place(const char *target, uint64_t offset, uint64_t length)
{
	int fd = unnamed_beside(target), beside = -1;
	bool yes;

	if (fd < 0)
		return false;
	yes = can_insert(fd, offset);
	if (!yes && clone_aligned(offset, length))
		beside = clonable_beside(target, fd);
	yes |= beside >= 0;
	if (beside >= 0)
		close(beside);
	close(fd);
	return yes;
}

int sink_raw_build_in_place(struct sink *sink, uint64_t offset, uint64_t length, const char **path_ret,
			    const char **partial_ret)
{
	struct raw_image *raw = sink->priv;
	struct outfile *out;
	bool inserts;
	int ret;

	*path_ret = NULL;
	if (sink->ops != &sink_raw_ops || !raw || !offset)
		return 0;
	out = &raw->out;
	*partial_ret = out->partial;
	inserts = can_insert(out->fd, offset);
	if (!inserts && clone_aligned(offset, length))
		raw->beside_fd = clonable_beside(out->partial, out->fd);
	ret = restore_size(sink, out);
	if (ret < 0)
		return ret;
	if (inserts) {
		raw->built = BUILT_INSERTED;
		*path_ret = out->partial;
	} else if (raw->beside_fd >= 0) {
		raw->built = BUILT_CLONED;
		snprintf(raw->beside_path, sizeof(raw->beside_path), "/proc/self/fd/%d", raw->beside_fd);
		*path_ret = raw->beside_path;
	}
	return 0;
}

int sink_raw_place(struct sink *sink, uint64_t offset)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct raw_image *raw = sink->priv;
	struct outfile *out = &raw->out;
	struct file_clone_range clone = { .src_fd = raw->beside_fd, .dest_offset = offset };
	struct stat st;

	if (raw->built == BUILT_INSERTED &&
	    fallocate(out->fd, FALLOC_FL_INSERT_RANGE, 0, (off_t)offset) < 0)
		return log_syserr(ctx, errno, "cannot make room for the partitions before the Windows partition in '%s'",
				  out->partial);
	if (raw->built == BUILT_CLONED) {
		if (fstat(raw->beside_fd, &st) < 0)
			return log_syserr(ctx, errno, "cannot read the size of the Windows partition built for '%s'",
					  out->partial);
		clone.src_length = (uint64_t)st.st_size;
		if (ioctl(out->fd, FICLONERANGE, &clone) < 0)
			return log_syserr(ctx, errno, "cannot share the Windows partition's blocks into '%s'", out->partial);
		close(raw->beside_fd);
		raw->beside_fd = -1;
	}
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
