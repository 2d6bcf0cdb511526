/* loopdev.c - a loop device over a range of a disk (see loopdev.h). */
#include "wintogo/loopdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "wintogo/log.h"

/* LOOP_CTL_GET_FREE hands out the same free device to two programs that
 * ask at once; the one whose LOOP_CONFIGURE finds it busy asks again. */
#define ATTACH_TRIES 16

static int configure(int loop_fd, int backing_fd, uint64_t offset, uint64_t length, bool direct_io)
{
	int sector = 0;
	struct loop_config config = {
		.fd = (uint32_t)backing_fd,
		.info = {
			.lo_offset = offset,
			.lo_sizelimit = length,
			.lo_flags = LO_FLAGS_AUTOCLEAR | (direct_io ? LO_FLAGS_DIRECT_IO : 0),
		},
	};

	/* the disk's own sector size (4096 on some disks), so that what is
	 * built on the loop device is laid out for the disk, and direct I/O
	 * is aligned for it */
	if (ioctl(backing_fd, BLKSSZGET, &sector) == 0 && sector > 512)
		config.block_size = (uint32_t)sector;
	snprintf((char *)config.info.lo_file_name, sizeof(config.info.lo_file_name), "wintogo");
	return ioctl(loop_fd, LOOP_CONFIGURE, &config) < 0 ? -errno : 0;
}

int loopdev_attach(struct wtg_ctx *ctx, int backing_fd, uint64_t offset, uint64_t length, const char *shown,
		   struct loopdev *lo_ret)
{
	struct loopdev lo = LOOPDEV_INIT;
	uint64_t size = 0;
	int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC), ret = -EBUSY;

	if (control < 0)
		return log_syserr(ctx, errno, "cannot open /dev/loop-control to build '%s' in place (is the loop module loaded? are you root?)",
				  shown);
	for (int tries = 0; tries < ATTACH_TRIES && ret == -EBUSY; tries++) {
		int n = ioctl(control, LOOP_CTL_GET_FREE);

		if (n < 0) {
			ret = -errno;
			break;
		}
		snprintf(lo.path, sizeof(lo.path), "/dev/loop%d", n);
		lo.fd = open(lo.path, O_RDWR | O_CLOEXEC);
		if (lo.fd < 0) {
			ret = -errno;
			break;
		}
		/* direct I/O needs the range aligned to the disk's blocks; where
		 * the kernel refuses it, the loop device caches as any file */
		ret = configure(lo.fd, backing_fd, offset, length, true);
		lo.direct_io = !ret;
		if (ret == -EINVAL)
			ret = configure(lo.fd, backing_fd, offset, length, false);
		if (ret) {
			close(lo.fd);
			lo.fd = -1;
		}
	}
	close(control);
	if (ret)
		return log_syserr(ctx, -ret, "cannot set up a loop device over '%s' to build its Windows partition in place",
				  shown);
	/* the kernel rounds nothing here, but a range past the disk's end
	 * would come out shorter: the build must not find less than planned */
	if (ioctl(lo.fd, BLKGETSIZE64, &size) < 0 || size != length) {
		loopdev_release(&lo);
		return log_error(ctx, WTG_ERR_DISK_CHANGED, "the loop device over '%s' is %llu bytes, not the %llu planned; was the disk changed?",
				 shown, (unsigned long long)size, (unsigned long long)length);
	}
	*lo_ret = lo;
	return 0;
}

void loopdev_release(struct loopdev *lo)
{
	if (lo->fd >= 0)
		close(lo->fd);
	lo->fd = -1;
}
