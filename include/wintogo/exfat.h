/* exfat.h - an exFAT file system in a staged file: formatted by
 * mkfs.exfat (exfatprogs) and filled through a FUSE mount of it by
 * exfat-fuse, the one packaged writer of exFAT files that needs no kernel
 * driver (this kernel, like many, has none, and exfatprogs writes no files).
 *
 * exfat-fuse, run as root, mounts only a block device (it asks FUSE for
 * "blkdev"), so the file is attached to a loop device first, with
 * autoclear: it goes away when the last holder closes it, also when the
 * run is killed.  That mount (fuseblk) is unmounted synchronously: once
 * the unmount returns, exfat-fuse has written everything, and the loop
 * device is flushed into the file before it is let go.  Without root there
 * is no loop device and a plain FUSE mount gives no such guarantee, so
 * exfat_check_can_fill refuses. */
#ifndef WINTOGO_EXFAT_H
#define WINTOGO_EXFAT_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

/* Fails (logged, before anything is written) when this run cannot fill an
 * exFAT image: not root, no /dev/fuse, no loop devices, or a program
 * missing; what names the option that wants it, for the message. */
int exfat_check_can_fill(struct wtg_ctx *ctx, const char *what);

/* Formats the file at path (its size is the volume's) with label, and
 * sets its volume serial (tune.exfat) when serial is not 0.  Logged. */
int exfat_format(struct wtg_ctx *ctx, const char *path, const char *label, uint32_t serial);

struct exfat_mount {
	char *dir;      /* the mount point */
	int loop_fd;    /* the loop device the file is attached to */
	bool mounted;
};

/* Mounts the exFAT file at path on dir (an empty folder, an absolute
 * path) read-write.  Logged.  exfat_unmount undoes it. */
int exfat_mount(struct wtg_ctx *ctx, const char *path, const char *dir, struct exfat_mount *m_ret);

/* Unmounts (when mounted), flushes the loop device, lets it go; frees dir.
 * Returns the first failure (logged); safe on a zeroed struct with
 * loop_fd -1. */
int exfat_unmount(struct wtg_ctx *ctx, struct exfat_mount *m);

#endif
