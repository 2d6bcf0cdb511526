/* devices.h - the disks of this machine, and whether wintogo may write one.
 *
 * Facts the kernel knows come from sysfs (/sys/block/NAME: size, sector
 * sizes, removable and read-only bits, rotational, vendor/model/serial, the
 * transport from the device's path in /sys/devices); what is on the disk
 * comes from libblkid (partition table, file system types and labels);
 * what is in use comes from /proc/self/mountinfo and /proc/swaps, matched
 * by device number.  What is built on a disk (LUKS, LVM, RAID: the
 * holders in sysfs, and theirs) counts as the disk: a root file system on
 * LVM on /dev/sda2 makes sda the system disk.  A loop device is judged
 * with the file behind it (by device and inode number).  Each disk gets a
 * verdict: ok, or the reason wintogo refuses it.  The same verdict is
 * checked again right before a write, of the disk then open.
 *
 * The roots are injectable so that tests can feed fake trees. */
#ifndef WINTOGO_DEVICES_H
#define WINTOGO_DEVICES_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct device_roots {
	const char *sysfs;   /* default "/sys" */
	const char *dev;     /* default "/dev" */
	const char *proc;    /* default "/proc": self/mountinfo, swaps */
};

/* The context's test roots (ctx->hooks: a fake sysfs, /dev, /proc), else
 * the real ones. */
void device_roots_default(const struct wtg_ctx *ctx, struct device_roots *roots);

enum device_verdict {
	DEVICE_OK,
	DEVICE_SYSTEM,       /* holds /, /boot, /boot/efi, /usr or active swap */
	DEVICE_MOUNTED,      /* a file system on it is mounted */
	DEVICE_IN_USE,       /* held by device mapper or md (LUKS, LVM, RAID) */
	DEVICE_SOURCE,       /* holds the source image */
	DEVICE_READ_ONLY,
	DEVICE_TOO_SMALL,    /* for the image given */
	DEVICE_NOT_A_DISK,   /* partition, loop without backing file, ram, zram */
};

struct device_partition {
	char *name;          /* "sdb1" */
	dev_t devno;
	uint64_t start;      /* bytes */
	uint64_t size;
	char *fstype;        /* from libblkid, or NULL */
	char *label;
	char *mountpoint;    /* first mount point, or NULL */
	bool swap;
};

struct device {
	char *name;          /* "sdb" */
	char *path;          /* "/dev/sdb" */
	dev_t devno;
	uint64_t size;
	unsigned logical_sector, physical_sector;
	char *vendor, *model, *serial;
	const char *transport;   /* usb, nvme, sata, mmc, virtio, scsi, loop, ... */
	bool removable, read_only, rotational;
	char *backing_file;  /* loop devices */
	bool probed;         /* libblkid could read it (pttype, fstype are known) */
	bool ambivalent;     /* it found both a partition table and a file system */
	char *pttype;        /* "gpt", "dos", or NULL */
	bool blank;          /* no partition table nor signature, zeros at the
				start: what a write cut off leaves (layout_is_blank) */
	size_t n_table_parts;  /* the entries in its table, whether the kernel shows them or not */
	char *fstype;        /* a file system on the whole disk, no table: "ext4", or NULL */
	char *label;
	struct device_partition *parts;
	size_t n_parts;
	char *mountpoint;    /* the whole disk mounted itself */
	bool swap;
	enum device_verdict verdict;
	char *reason;        /* one line: why, for a refusal */
	bool unmountable;    /* mounted, and only its own file systems stand in */
	                     /* the way (device_unmount in unmount.h) */
};

struct device_list {
	struct device *items;
	size_t count;
};

/* What the verdict depends on besides the disk. */
struct device_context {
	const char *image;       /* the source image, or NULL */
	uint64_t min_size;       /* bytes the image needs, or 0 */
};

/* Every block device under SYSFS/block, judged against ctx, USB disks
 * first.  Devices that cannot hold a Windows To Go disk at all (ram,
 * zram) are listed with verdict DEVICE_NOT_A_DISK. */
int devices_scan(struct wtg_ctx *ctx, const struct device_roots *roots, const struct device_context *dc,
		 struct device_list *list_ret);
void device_list_release(struct device_list *list);

/* The disk at path, judged: the disk whose device number the node at
 * path has (whatever its name: /dev/sdb, a /dev/disk/by-id link, a node
 * made with mknod elsewhere), found in sysfs by that number.  A partition
 * or anything that is no whole disk is refused (-WTG_ERR_TARGET_INVALID,
 * logged), as is a path that is no block device this machine has. */
int device_find(struct wtg_ctx *ctx, const struct device_roots *roots, const struct device_context *dc,
		const char *path, struct device_list *list, struct device **device_ret);

/* The disk with device number devno, judged; path is how the user named
 * it, for the messages.  As device_find. */
int device_find_devno(struct wtg_ctx *ctx, const struct device_roots *roots, const struct device_context *dc,
		      dev_t devno, const char *path, struct device_list *list, struct device **device_ret);

/* "ok", "system", "mounted", "in-use", "source", "read-only", "too-small",
 * "not-a-disk". */
const char *device_verdict_name(enum device_verdict verdict);

/* The error code (error.h) of refusing a disk with this verdict: disk-in-use
 * for a system, mounted, held or source disk, disk-read-only,
 * target-too-small, else target-invalid. */
enum wtg_err device_verdict_error(enum device_verdict verdict);

/* What is on the disk, in one line, to be shown before it is erased:
 * "2 partitions: sdb1 29.3 GiB vfat 'KINGSTON', sdb2 100.0 MiB (no file
 * system)", "a GPT partition table with 0 partitions", "an ext4 file
 * system labelled 'PHOTOS'", "no partition table", or, when it could not
 * be read, "unknown (cannot read it)".  With each_partition false, the
 * partitions are counted, not named ("a GPT partition table with 2
 * partitions").  Labels are what the disk says: the front end makes them
 * safe to print.  The caller frees it. */
char *device_contents_text(const struct device *d, bool each_partition);

/* A field of /proc/self/mountinfo as it is meant: the kernel escapes
 * spaces and such as \040.  Allocated. */
char *mountinfo_unescape(const char *s);

/* Whether `list` shows the disk without --all: USB, MMC or removable. */
bool device_is_portable(const struct device *d);

#endif
