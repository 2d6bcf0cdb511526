/* loopdev.h - a loop device over a byte range of a disk, so that programs
 * that take a whole device (mkntfs, wimlib's NTFS-3G mode) can build one
 * partition of it in place before the disk has a partition table (write
 * --direct: the table is written last, so the partition has no node of
 * its own yet).
 *
 * The loop device reads and writes the range through the file descriptor
 * given (the disk wintogo opened and judged, O_EXCL: nothing is opened by
 * name again), with direct I/O where the kernel takes it for the range, so
 * that what is written is not cached twice (once for the loop device, once
 * for the disk).  It is set up to detach itself when its last user closes
 * it (LO_FLAGS_AUTOCLEAR): a wintogo that is killed leaves no loop device
 * behind.  Needs root (or the loop devices' group), as writing a disk does. */
#ifndef WINTOGO_LOOPDEV_H
#define WINTOGO_LOOPDEV_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

struct loopdev {
	int fd;                  /* open while the range is in use; -1 */
	char path[32];           /* "/dev/loopN" */
	bool direct_io;          /* the kernel took LO_FLAGS_DIRECT_IO */
};

#define LOOPDEV_INIT { .fd = -1 }

/* Attaches a free loop device to bytes [offset, offset + length) of
 * backing_fd (both multiples of 512); shown names the disk in messages.
 * The loop device is read-write and exactly length bytes long. */
int loopdev_attach(struct wtg_ctx *ctx, int backing_fd, uint64_t offset, uint64_t length, const char *shown,
		   struct loopdev *lo_ret);

/* Closes it (the kernel detaches it once nothing else holds it open);
 * nothing for a loopdev never attached. */
void loopdev_release(struct loopdev *lo);

#endif
