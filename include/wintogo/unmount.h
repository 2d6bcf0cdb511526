/* unmount.h - the file systems of a disk the user chose, unmounted so that
 * it can be written (write --unmount, or the confirmation on a terminal),
 * and kept from being mounted again while it is written.
 *
 * Only a disk whose verdict is "mounted" because of its own file systems
 * (devices.h: unmountable) is ever unmounted: never the system's, a
 * swap, the source's, or anything built on it (LUKS, LVM, md).  Where
 * udisks runs (the desktop's automounter), the file systems are
 * unmounted through it (udisksctl unmount), so that the desktop knows;
 * what is left, or everything without udisks, by umount2(2). */
#ifndef WINTOGO_UNMOUNT_H
#define WINTOGO_UNMOUNT_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "wintogo/devices.h"

struct mounted_fs {
	char *source;       /* "/dev/sdb1" */
	char *mountpoint;
	dev_t devno;
};

struct mounted_list {
	struct mounted_fs *items;
	size_t count;
};

/* Every mount of d (the whole disk or a partition), from the proc root's
 * mountinfo, the deepest mount point first. */
void mounted_list_of(const struct device_roots *roots, const struct device *d, struct mounted_list *list_ret);
void mounted_list_release(struct mounted_list *list);

/* Whether udisks runs here (its /run/udisks2 and udisksctl). */
bool udisks_running(void);

/* Unmounts every file system of d.  First looks for processes that use
 * any of them (their cwd, root, program or an open file, as fuser -m
 * finds them): with one, refuses (-WTG_ERR_DISK_IN_USE, logged with each
 * process's PID and name) and unmounts nothing.  Each unmount is logged
 * (log_info); one that fails is logged and ends it. */
int device_unmount(struct wtg_ctx *ctx, const struct device_roots *roots, const struct device *d);

#endif
