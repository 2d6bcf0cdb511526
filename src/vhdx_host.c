/* vhdx_host.c - the VHDX a disk boots Windows from (see vhdx_host.h).
 *
 * libntfs-3g opens a volume by name; a partition inside a disk image has
 * none, so it is given a device of our own (struct ntfs_device_operations)
 * whose reads are preads of the image at the partition's offset, bounded
 * by the partition's end.  The volume is mounted read-only and nothing
 * else of that device is ever called for writing. */
#include "wintogo/vhdx_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>  /* before libntfs-3g, which declares a timespec of its own without it */
#include <unistd.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/volume.h>

#include "wintogo/bcd_vhdx.h"
#include "wintogo/esp.h"
#include "wintogo/guid.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"
#include "wintogo/vhdx_boot.h"
#include "wintogo/vhdx_windows.h"

#define CHUNK MIB

/* --- finding it --- */

/* The BCD on the disk's ESP (or MBR system partition): the UEFI store,
 * else the BIOS one, copied into stage.  0 with *found false when there
 * is none. */
static int read_store(struct wtg_ctx *ctx, const char *disk, const char *stage, char **bcd_ret,
		      bool *found_ret)
{
	static const char *const stores[] = { "::/EFI/Microsoft/Boot/BCD", "::/Boot/BCD" };
	uint64_t offset, size;
	int ret = layout_find_esp(ctx, disk, &offset, &size);

	*found_ret = false;
	if (ret == -WTG_ERR_NOT_BOOTABLE)
		return 0;
	*bcd_ret = stage_path(stage, "BCD");
	for (size_t i = 0; !ret && !*found_ret && i < ARRAY_SIZE(stores); i++)
		ret = esp_try_read_file(ctx, disk, offset, stores[i], *bcd_ret, found_ret);
	return ret;
}

/* Whether e is the partition dev names on the disk of table t. */
static bool names_entry(const struct bcd_device *dev, const struct layout_table *t, const struct layout_entry *e)
{
	char part[GUID_STR_LEN], disk[GUID_STR_LEN];
	unsigned long signature;

	if (dev->style == BCD_STYLE_MBR) {
		signature = strtoul(t->id ? t->id : "", NULL, 16);
		return !strcmp(t->label, "dos") && e->offset == dev->mbr_offset && signature == dev->mbr_signature;
	}
	guid_format(&dev->partition, part);
	guid_format(&dev->disk, disk);
	return !strcmp(t->label, "gpt") && e->uuid && t->id && !strcasecmp(e->uuid, part) && !strcasecmp(t->id, disk);
}

static int match_host(struct wtg_ctx *ctx, const char *disk, const struct bcd_vhdx_device *dev,
		      struct vhdx_host *host_ret)
{
	struct layout_table t;
	int ret = layout_read_table(ctx, disk, 0, &t);

	if (ret == -ENOENT)
		ret = layout_read_table(ctx, disk, 4096, &t);
	if (ret < 0)
		return ret == -ENOENT ? log_error(ctx, WTG_ERR_NOT_BOOTABLE, "'%s' has no partition table", disk)
				      : ret;
	ret = -WTG_ERR_NOT_BOOTABLE;
	for (size_t i = 0; i < t.count && ret; i++) {
		if (names_entry(&dev->host, &t, &t.entries[i])) {
			*host_ret = (struct vhdx_host){
				.partition = t.entries[i].number,
				.offset = t.entries[i].offset,
				.size = t.entries[i].size,
				.path = xstrdup(dev->path),
			};
			ret = 0;
		}
	}
	layout_table_release(&t);
	if (ret)
		log_error(ctx, WTG_ERR_NOT_BOOTABLE, "the BCD of '%s' boots Windows from %s on a partition this disk does not have; was it copied from another disk?",
			  disk, dev->path);
	return ret;
}

int vhdx_host_find(struct wtg_ctx *ctx, const char *disk, struct vhdx_host *host_ret)
{
	struct bcd_vhdx_device dev;
	char *stage = NULL, *bcd = NULL;
	bool found = false;
	int ret = stage_create(ctx, stage_default_parent(ctx), &stage);

	if (!ret)
		ret = read_store(ctx, disk, stage, &bcd, &found);
	if (!ret && found)
		found = vhdx_boot_device_in_store(ctx, bcd, &dev);
	if (!ret && found) {
		ret = match_host(ctx, disk, &dev, host_ret);
		bcd_vhdx_release(&dev);
	}
	free(bcd);
	stage_remove(stage);
	return ret < 0 ? ret : found;
}

void vhdx_host_release(struct vhdx_host *host)
{
	free(host->path);
	*host = (struct vhdx_host){ 0 };
}

/* --- reading it: the partition as a libntfs-3g device --- */

struct range_device {
	int fd;
	uint64_t base, size;
	s64 pos;
};

static int range_open(struct ntfs_device *dev, int flags)
{
	if ((flags & O_ACCMODE) != O_RDONLY) {
		errno = EROFS;
		return -1;
	}
	NDevSetOpen(dev);
	NDevSetReadOnly(dev);
	return 0;
}

static int range_close(struct ntfs_device *dev)
{
	NDevClearOpen(dev);
	return 0;
}

static s64 range_pread(struct ntfs_device *dev, void *buf, s64 count, s64 offset)
{
	struct range_device *r = dev->d_private;
	uint64_t done = 0;

	if (count < 0 || offset < 0) {
		errno = EINVAL;
		return -1;
	}
	/* nothing past the partition's end: that is another partition */
	if ((uint64_t)offset >= r->size)
		return 0;
	if ((uint64_t)count > r->size - (uint64_t)offset)
		count = (s64)(r->size - (uint64_t)offset);
	while (done < (uint64_t)count) {
		ssize_t n = pread(r->fd, (char *)buf + done, (size_t)count - done,
				  (off_t)(r->base + (uint64_t)offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (s64)done : -1;
		if (n == 0)
			break;
		done += (uint64_t)n;
	}
	return (s64)done;
}

static s64 range_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct range_device *r = dev->d_private;
	s64 base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? r->pos : whence == SEEK_END ? (s64)r->size : -1;

	if (base < 0 || offset < -base) {
		errno = EINVAL;
		return -1;
	}
	r->pos = base + offset;
	return r->pos;
}

static s64 range_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct range_device *r = dev->d_private;
	s64 n = range_pread(dev, buf, count, r->pos);

	if (n > 0)
		r->pos += n;
	return n;
}

static s64 range_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	(void)dev, (void)buf, (void)count;
	errno = EROFS;
	return -1;
}

static s64 range_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 offset)
{
	(void)dev, (void)buf, (void)count, (void)offset;
	errno = EROFS;
	return -1;
}

static int range_sync(struct ntfs_device *dev)
{
	(void)dev;
	return 0;
}

static int range_stat(struct ntfs_device *dev, struct stat *sb)
{
	struct range_device *r = dev->d_private;

	memset(sb, 0, sizeof(*sb));
	sb->st_mode = S_IFREG | 0400;
	sb->st_size = (off_t)r->size;
	return 0;
}

static int range_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	(void)dev, (void)request, (void)argp;
	errno = ENOTTY;
	return -1;
}

static struct ntfs_device_operations range_ops = {
	.open = range_open,
	.close = range_close,
	.seek = range_seek,
	.read = range_read,
	.write = range_write,
	.pread = range_pread,
	.pwrite = range_pwrite,
	.sync = range_sync,
	.stat = range_stat,
	.ioctl = range_ioctl,
};

static int ntfs_fail(struct wtg_ctx *ctx, const char *disk, const struct vhdx_host *host, const char *what)
{
	int err = errno ? errno : EIO;

	return log_syserr(ctx, err, "cannot %s on partition %u of '%s' (libntfs-3g)", what, host->partition, disk);
}

/* The file's path for libntfs-3g: the BCD's backslashes as slashes. */
static char *ntfs_path(const char *bcd_path)
{
	char *p = xstrdup(bcd_path);

	for (char *c = p; *c; c++)
		if (*c == '\\')
			*c = '/';
	return p;
}

/* Copies na into out, leaving its all-zero chunks holes. */
static int copy_out(struct wtg_ctx *ctx, ntfs_attr *na, int out, const char *file)
{
	uint8_t *buf = xmalloc(CHUNK);
	uint64_t size = (uint64_t)na->data_size, done = 0;
	int ret = progress_report(ctx, PROGRESS_COPY, 0, size);

	while (!ret && done < size) {
		size_t want = size - done < CHUNK ? (size_t)(size - done) : CHUNK;
		s64 n = ntfs_attr_pread(na, (s64)done, (s64)want, buf);

		if (n != (s64)want) {
			ret = log_syserr(ctx, n < 0 && errno ? errno : EIO, "cannot read the VHDX at byte %llu (libntfs-3g)",
					 (unsigned long long)done);
			break;
		}
		if (!mem_is_zero(buf, want) && pwrite_all(out, buf, want, (off_t)done) < 0)
			ret = log_syserr(ctx, errno, "cannot write '%s'", file);
		done += want;
		if (!ret)
			ret = progress_report(ctx, PROGRESS_COPY, done, size);
	}
	if (!ret && ftruncate(out, (off_t)size) < 0)
		ret = log_syserr(ctx, errno, "cannot write '%s'", file);
	free(buf);
	return ret;
}

int vhdx_host_extract(struct wtg_ctx *ctx, const char *disk, const struct vhdx_host *host, const char *file)
{
	struct range_device r = { .fd = -1, .base = host->offset, .size = host->size };
	struct ntfs_device *dev = NULL;
	ntfs_volume *vol = NULL;
	ntfs_inode *ni = NULL;
	ntfs_attr *na = NULL;
	char *path = ntfs_path(host->path);
	int out = -1, ret = 0;

	r.fd = open(disk, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		ret = log_syserr(ctx, errno, "cannot open '%s'", disk);
	if (!ret) {
		dev = ntfs_device_alloc(disk, 0, &range_ops, &r);
		if (!dev)
			ret = log_syserr(ctx, errno, "cannot read partition %u of '%s'", host->partition, disk);
	}
	if (!ret) {
		vol = ntfs_device_mount(dev, NTFS_MNT_RDONLY);
		if (!vol) {
			ret = ntfs_fail(ctx, disk, host, "open the NTFS");
			ntfs_device_free(dev);
		}
	}
	if (!ret && !(ni = ntfs_pathname_to_inode(vol, NULL, path)))
		ret = ntfs_fail(ctx, disk, host, errno == ENOENT ? "find the VHDX its BCD boots from" : "open the VHDX");
	if (!ret && !(na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0)))
		ret = ntfs_fail(ctx, disk, host, "open the VHDX's data");
	if (!ret && (NAttrCompressed(na) || NAttrSparse(na) || NAttrEncrypted(na)))
		ret = log_error(ctx, WTG_ERR_NOT_BOOTABLE, "%s on partition %u of '%s' is compressed, sparse or encrypted: Windows cannot boot from it, and it is not read",
				host->path, host->partition, disk);
	/* a file that is neither sparse nor compressed has a cluster for each
	 * byte: one larger than its partition is a damaged volume */
	if (!ret && (na->data_size < 0 || (uint64_t)na->data_size > host->size))
		ret = log_error(ctx, WTG_ERR_NOT_BOOTABLE, "%s on partition %u of '%s' says it holds %lld bytes, more than its partition: the NTFS is damaged",
				host->path, host->partition, disk, (long long)na->data_size);
	if (!ret) {
		out = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (out < 0)
			ret = log_syserr(ctx, errno, "cannot create '%s'", file);
	}
	if (!ret)
		ret = copy_out(ctx, na, out, file);
	if (out >= 0 && close(out) < 0 && !ret)
		ret = log_syserr(ctx, errno, "cannot write '%s'", file);
	if (ret && out >= 0)
		unlink(file);
	if (na)
		ntfs_attr_close(na);
	if (ni)
		ntfs_inode_close(ni);
	if (vol)
		ntfs_umount(vol, FALSE);  /* frees dev */
	if (r.fd >= 0)
		close(r.fd);
	free(path);
	return ret;
}

int vhdx_host_capture(struct wtg_ctx *ctx, const char *disk, struct wim_source **source_ret)
{
	struct vhdx_host host = { 0 };
	char *stage = NULL, *file = NULL, *shown = NULL;
	int ret = vhdx_host_find(ctx, disk, &host);

	if (ret == 0)
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is a disk image that boots no Windows from a VHDX; give a WIM, ESD, SWM, ISO or VHDX (dd copies a disk as it is)",
				disk);
	if (ret < 0)
		return ret;
	ret = stage_create(ctx, stage_default_parent(ctx), &stage);
	if (!ret) {
		file = stage_path(stage, "windows.vhdx");
		shown = xasprintf("%s:%s", disk, host.path);
		log_info(ctx, "'%s' boots Windows from %s on its partition %u: reading that Windows", disk,
			 host.path, host.partition);
		ret = vhdx_host_extract(ctx, disk, &host, file);
	}
	if (!ret)
		ret = vhdx_windows_capture_as(ctx, file, shown, source_ret);
	free(shown);
	free(file);
	stage_remove(stage);
	vhdx_host_release(&host);
	return ret;
}
