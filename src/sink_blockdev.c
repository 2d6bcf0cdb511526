/* sink_blockdev.c - a whole disk (a USB stick, an SSD), written in place.
 *
 * The device is opened with O_EXCL, which the kernel refuses while a file
 * system on it is mounted or another program holds it exclusively, and
 * which keeps anything from mounting it while the partitions are staged.
 * Right before the first byte of the stream, every signature libblkid
 * finds on the disk (file systems, RAID, the partition tables, the backup
 * GPT at its end) is wiped, so that nothing of the old contents is taken
 * for the new.  Then the stream is written in order (zeros where the
 * partition table goes), then the partition table (write.h); after it,
 * the kernel is asked to read the new partition table.
 *
 * write --direct builds the Windows partition on the disk itself before
 * the stream (sink_blockdev_build_in_place): the signatures are wiped
 * first then, so that a write cut off during the long build leaves no
 * partition table either, and the partition is reached through a loop
 * device over its range of this sink's descriptor (loopdev.h). */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/loopdev.h"
#include "wintogo/sink.h"
#include "wintogo/util.h"

struct blockdev {
	int fd;
	bool wiped;
};

static int bd_open(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct blockdev *bd = xcalloc(1, sizeof(*bd));
	uint64_t size = 0;
	struct stat sb;

	sink->priv = bd;
	bd->fd = open(sink->target, O_RDWR | O_EXCL | O_CLOEXEC);
	if (bd->fd < 0 && errno == EBUSY)
		return log_error(ctx, WTG_ERR_DISK_IN_USE, "'%s' is in use (mounted, or open in another program); close or unmount it first",
				 sink->target);
	if (bd->fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s' for writing", sink->target);
	if (fstat(bd->fd, &sb) < 0 || !S_ISBLK(sb.st_mode))
		return log_error(ctx, WTG_ERR_DISK_CHANGED, "'%s' is no longer a block device", sink->target);
	sink->devno = sb.st_rdev;
	if (ioctl(bd->fd, BLKGETSIZE64, &size) < 0 || size < sink->size)
		return log_error(ctx, WTG_ERR_DISK_CHANGED, "'%s' is smaller than planned; was the disk changed?", sink->target);
	return 0;
}

/* Wipes every signature libblkid finds, as wipefs --all does. */
static int wipe_signatures(struct sink *sink, int fd)
{
	struct wtg_ctx *ctx = sink->ctx;
	blkid_probe pr = blkid_new_probe();
	int ret = 0, n = 0;

	if (!pr || blkid_probe_set_device(pr, fd, 0, 0) < 0) {
		ret = log_error(ctx, WTG_ERR_NO_MEMORY, "cannot look for old signatures on '%s'", sink->target);
		goto out;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC | BLKID_PARTS_FORCE_GPT);
	while (blkid_do_probe(pr) == 0 && n++ < 64) {
		if (blkid_do_wipe(pr, 0) < 0) {
			ret = log_syserr(ctx, errno, "cannot wipe an old signature on '%s'", sink->target);
			break;
		}
	}
out:
	blkid_free_probe(pr);
	return ret;
}

/* Wiped when it is first written, not at open: a failure while staging
 * leaves the disk as it was. */
static int wipe_once(struct sink *sink)
{
	struct blockdev *bd = sink->priv;
	int ret;

	if (bd->wiped)
		return 0;
	ret = wipe_signatures(sink, bd->fd);
	/* on the disk before anything else is: the kernel reads it at once */
	if (!ret && fsync(bd->fd) < 0)
		ret = log_syserr(sink->ctx, errno, "cannot write to '%s'", sink->target);
	bd->wiped = !ret;
	return ret;
}

int sink_blockdev_build_in_place(struct sink *sink, uint64_t offset, uint64_t length, struct loopdev *lo_ret)
{
	struct blockdev *bd = sink->priv;
	int ret;

	if (sink->ops != &sink_blockdev_ops || offset > sink->size || length > sink->size - offset)
		return log_error(sink->ctx, WTG_ERR_INTERNAL, "internal error: bytes %llu to %llu of '%s' cannot be built in place",
				 (unsigned long long)offset, (unsigned long long)(offset + length), sink->target);
	ret = wipe_once(sink);
	return ret ? ret : loopdev_attach(sink->ctx, bd->fd, offset, length, sink->target, lo_ret);
}

static int bd_write(struct sink *sink, uint64_t offset, const void *buf, size_t len)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct blockdev *bd = sink->priv;
	int ret = wipe_once(sink);

	if (ret < 0)
		return ret;
	ret = pwrite_all(bd->fd, buf, len, offset);
	if (ret < 0)
		return log_syserr(ctx, -ret, "cannot write '%s' at byte %llu", sink->target,
				 (unsigned long long)offset);
	return 0;
}

static int bd_sync(struct sink *sink, const char **path_ret)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct blockdev *bd = sink->priv;

	if (fsync(bd->fd) < 0)
		return log_syserr(ctx, errno, "cannot write the last blocks to '%s'", sink->target);
	*path_ret = sink->target;
	return 0;
}

static int bd_finish(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct blockdev *bd = sink->priv;
	int ret = 0;

	if (fsync(bd->fd) < 0)
		ret = log_syserr(ctx, errno, "cannot write the last blocks to '%s'", sink->target);
	/* the kernel may not parse partition tables at all (then EINVAL): a
	 * replug or partx shows the partitions; the disk is written either way */
	if (!ret && ioctl(bd->fd, BLKRRPART) < 0 && errno != EINVAL)
		log_warn(ctx, "the kernel did not reread the partition table of '%s' (%s); unplug and replug the disk to see its partitions",
			 sink->target, strerror(errno));
	return ret;
}

static void bd_abort(struct sink *sink)
{
	struct blockdev *bd = sink->priv;

	if (!bd)
		return;
	if (bd->fd >= 0)
		close(bd->fd);
	free(bd);
	sink->priv = NULL;
}

const struct sink_ops sink_blockdev_ops = {
	.name = "disk",
	.in_place = true,
	.open = bd_open,
	.write = bd_write,
	.sync = bd_sync,
	.finish = bd_finish,
	.abort = bd_abort,
};
