/* devices.c - the disks of this machine and their verdicts (see devices.h). */
#include "wintogo/devices.h"

#include <blkid.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/util.h"

/* Mount points whose disk runs this system. */
static const char *const system_mounts[] = { "/", "/boot", "/boot/efi", "/usr" };

void device_roots_default(const struct wtg_ctx *ctx, struct device_roots *roots)
{
	const char *sysfs = ctx->hooks.sysfs_root, *dev = ctx->hooks.dev_root;
	const char *proc = ctx->hooks.proc_root;

	roots->sysfs = sysfs && *sysfs ? sysfs : "/sys";
	roots->dev = dev && *dev ? dev : "/dev";
	roots->proc = proc && *proc ? proc : "/proc";
}

const char *device_verdict_name(enum device_verdict v)
{
	static const char *const names[] = {
		[DEVICE_OK] = "ok",           [DEVICE_SYSTEM] = "system",
		[DEVICE_MOUNTED] = "mounted", [DEVICE_IN_USE] = "in-use",
		[DEVICE_SOURCE] = "source",
		[DEVICE_READ_ONLY] = "read-only", [DEVICE_TOO_SMALL] = "too-small",
		[DEVICE_NOT_A_DISK] = "not-a-disk",
	};

	return (unsigned)v < ARRAY_SIZE(names) ? names[v] : "?";
}

enum wtg_err device_verdict_error(enum device_verdict verdict)
{
	switch (verdict) {
	case DEVICE_SYSTEM:
	case DEVICE_MOUNTED:
	case DEVICE_IN_USE:
	case DEVICE_SOURCE:
		return WTG_ERR_DISK_IN_USE;
	case DEVICE_READ_ONLY:
		return WTG_ERR_DISK_READ_ONLY;
	case DEVICE_TOO_SMALL:
		return WTG_ERR_TARGET_TOO_SMALL;
	default:
		return WTG_ERR_TARGET_INVALID;
	}
}

/* A sysfs attribute, trimmed; NULL when absent or empty. */
static char *attr(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name), buf[512];
	FILE *f = fopen(path, "re");
	size_t len = 0;

	free(path);
	if (!f)
		return NULL;
	len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = '\0';
	while (len && isspace((unsigned char)buf[len - 1]))
		buf[--len] = '\0';
	return len ? xstrdup(buf) : NULL;
}

static uint64_t attr_u64(const char *dir, const char *name, uint64_t missing)
{
	char *s = attr(dir, name);
	uint64_t v = s ? strtoull(s, NULL, 10) : missing;

	free(s);
	return v;
}

static dev_t attr_devno(const char *dir)
{
	char *s = attr(dir, "dev");
	unsigned maj = 0, min = 0;

	if (s)
		sscanf(s, "%u:%u", &maj, &min);
	free(s);
	return makedev(maj, min);
}

/* The bus a disk hangs on, from where its sysfs directory really is. */
static const char *transport_of(const char *sysfs_dir, const char *name)
{
	char real[PATH_MAX];

	if (!strncmp(name, "loop", 4))
		return "loop";
	if (!strncmp(name, "zram", 4))
		return "zram";
	if (!strncmp(name, "ram", 3))
		return "ram";
	if (!realpath(sysfs_dir, real))
		return "unknown";
	if (strstr(real, "/usb"))
		return "usb";
	if (strstr(real, "/nvme"))
		return "nvme";
	if (strstr(real, "/mmc"))
		return "mmc";
	if (strstr(real, "/ata"))
		return "sata";
	if (strstr(real, "/virtio"))
		return "virtio";
	if (strstr(real, "/host") || strstr(real, "/target"))
		return "scsi";
	if (strstr(real, "/virtual/"))
		return "virtual";
	return "unknown";
}

/* vendor/model/serial live on the device (SCSI, MMC) or its NVMe controller. */
static char *identity(const char *dir, const char *name)
{
	char *device = xasprintf("%s/device", dir), *parent = xasprintf("%s/device/device", dir);
	char *v = attr(device, name);

	if (!v)
		v = attr(parent, name);
	if (!v && !strcmp(name, "model"))
		v = attr(device, "name");  /* MMC cards */
	free(device);
	free(parent);
	return v;
}

static void probe_contents(const struct device_roots *roots, struct device *d)
{
	char *path = xasprintf("%s/%s", roots->dev, d->name);
	blkid_probe pr = blkid_new_probe_from_filename(path);
	const char *value;
	int rc;

	if (!pr) {
		free(path);
		return;  /* no node (a fake tree) or no permission: leave it unknown */
	}
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	/* superblocks are probed too (libblkid's default): a file system on
	 * the whole disk, without a partition table, is what a disk holds */
	rc = blkid_do_safeprobe(pr);
	d->probed = rc >= 0 || rc == -2;
	/* a partition table and a file system both: which one counts is not
	 * ours to guess (libblkid would not either) */
	d->ambivalent = rc == -2;
	if (d->probed && blkid_probe_lookup_value(pr, "PTTYPE", &value, NULL) == 0) {
		blkid_partlist parts;

		d->pttype = xstrdup(value);  /* before value is overwritten */
		parts = blkid_probe_get_partitions(pr);
		d->n_table_parts = parts && blkid_partlist_numof_partitions(parts) > 0
					   ? (size_t)blkid_partlist_numof_partitions(parts) : 0;
	}
	if (d->probed && !d->pttype && blkid_probe_lookup_value(pr, "TYPE", &value, NULL) == 0)
		d->fstype = xstrdup(value);
	if (d->fstype && blkid_probe_lookup_value(pr, "LABEL", &value, NULL) == 0)
		d->label = xstrdup(value);
	blkid_free_probe(pr);
	d->blank = !d->pttype && layout_is_blank(path);
	free(path);
	for (size_t i = 0; i < d->n_parts; i++) {
		struct device_partition *p = &d->parts[i];

		path = xasprintf("%s/%s", roots->dev, p->name);
		pr = blkid_new_probe_from_filename(path);
		free(path);
		if (!pr)
			continue;
		if (blkid_do_safeprobe(pr) == 0) {
			if (blkid_probe_lookup_value(pr, "TYPE", &value, NULL) == 0)
				p->fstype = xstrdup(value);
			if (blkid_probe_lookup_value(pr, "LABEL", &value, NULL) == 0)
				p->label = xstrdup(value);
		}
		blkid_free_probe(pr);
	}
}

static int by_start(const void *a, const void *b)
{
	const struct device_partition *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void read_partitions(const char *dir, struct device *d)
{
	DIR *dp = opendir(dir);
	struct dirent *e;

	while (dp && (e = readdir(dp))) {
		char *sub;
		struct device_partition p = { 0 };

		if (strncmp(e->d_name, d->name, strlen(d->name)) || !strcmp(e->d_name, d->name))
			continue;
		sub = xasprintf("%s/%s", dir, e->d_name);
		if (access(sub, F_OK) == 0 && attr_u64(sub, "partition", 0)) {
			p.name = xstrdup(e->d_name);
			p.devno = attr_devno(sub);
			p.start = attr_u64(sub, "start", 0) * 512;
			p.size = attr_u64(sub, "size", 0) * 512;
			d->parts = xrealloc(d->parts, (d->n_parts + 1) * sizeof(p));
			d->parts[d->n_parts++] = p;
		}
		free(sub);
	}
	if (dp)
		closedir(dp);
	/* in the disk's order, not the directory's */
	if (d->n_parts)
		qsort(d->parts, d->n_parts, sizeof(*d->parts), by_start);
}

/* Where each device number is mounted or swapped, from the proc root. */
struct usage {
	dev_t *mounted;
	char **mountpoints;
	char **sources;  /* what was mounted, as mount names it: "/dev/sdb1" */
	size_t n_mounted;
	char **swaps;  /* swap files and devices, as /proc/swaps names them */
	size_t n_swaps;
};

char *mountinfo_unescape(const char *s)
{
	char *out = xstrdup(s), *o = out;

	for (const char *p = s; *p; p++) {
		if (p[0] == '\\' && isdigit((unsigned char)p[1]) && isdigit((unsigned char)p[2]) &&
		    isdigit((unsigned char)p[3])) {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static void read_usage(const struct device_roots *roots, struct usage *u)
{
	char *path = xasprintf("%s/self/mountinfo", roots->proc), line[4096];
	FILE *f = fopen(path, "re");

	free(path);
	while (f && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mnt[4096], source[4096] = "";
		const char *dash = strstr(line, " - ");

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - FSTYPE SOURCE OPTIONS */
		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &maj, &min, mnt) != 3)
			continue;
		if (dash)
			sscanf(dash + 3, "%*s %4095s", source);
		u->mounted = xrealloc(u->mounted, (u->n_mounted + 1) * sizeof(dev_t));
		u->mountpoints = xrealloc(u->mountpoints, (u->n_mounted + 1) * sizeof(char *));
		u->sources = xrealloc(u->sources, (u->n_mounted + 1) * sizeof(char *));
		u->mounted[u->n_mounted] = makedev(maj, min);
		u->sources[u->n_mounted] = mountinfo_unescape(source);
		u->mountpoints[u->n_mounted++] = mountinfo_unescape(mnt);
	}
	if (f)
		fclose(f);
	path = xasprintf("%s/swaps", roots->proc);
	f = fopen(path, "re");
	free(path);
	while (f && fgets(line, sizeof(line), f)) {
		char name[4096];

		if (line[0] != '/' || sscanf(line, "%4095s", name) != 1)
			continue;
		u->swaps = xrealloc(u->swaps, (u->n_swaps + 1) * sizeof(char *));
		u->swaps[u->n_swaps++] = mountinfo_unescape(name);
	}
	if (f)
		fclose(f);
}

static void release_usage(struct usage *u)
{
	for (size_t i = 0; i < u->n_mounted; i++) {
		free(u->mountpoints[i]);
		free(u->sources[i]);
	}
	free(u->sources);
	for (size_t i = 0; i < u->n_swaps; i++)
		free(u->swaps[i]);
	free(u->mounted);
	free(u->mountpoints);
	free(u->swaps);
}

/* Whether mount i is of the device NAME: by number, or by the source a
 * FUSE file system (ntfs-3g) names, as it has a number of its own. */
static bool mount_is(const struct device_roots *roots, const struct usage *u, size_t i,
		     dev_t devno, const char *name)
{
	char real[PATH_MAX] = "";
	const char *base;

	if (u->mounted[i] == devno)
		return true;
	if (u->sources[i][0] != '/')
		return false;
	base = realpath(u->sources[i], real) ? strrchr(real, '/') : strrchr(u->sources[i], '/');
	return base && !strcmp(base + 1, name) &&
	       (!strncmp(u->sources[i], roots->dev, strlen(roots->dev)) || !strncmp(real, "/dev/", 5));
}

static const char *mountpoint_of(const struct device_roots *roots, const struct usage *u,
				 dev_t devno, const char *name, bool *system)
{
	const char *first = NULL;

	for (size_t i = 0; i < u->n_mounted; i++) {
		if (!mount_is(roots, u, i, devno, name))
			continue;
		if (!first)
			first = u->mountpoints[i];
		for (size_t k = 0; k < ARRAY_SIZE(system_mounts); k++)
			if (!strcmp(u->mountpoints[i], system_mounts[k])) {
				*system = true;
				first = u->mountpoints[i];
			}
	}
	return first;
}

/* /proc/swaps names a device as it was given (/dev/sda2, or a symlink). */
static bool is_swap(const struct device_roots *roots, const struct usage *u, const char *name)
{
	char *path = xasprintf("%s/%s", roots->dev, name), real[PATH_MAX];
	bool found = false;

	for (size_t i = 0; i < u->n_swaps && !found; i++) {
		const char *base = realpath(u->swaps[i], real) ? strrchr(real, '/') : NULL;

		found = !strcmp(u->swaps[i], path) || (base && !strcmp(base + 1, name) &&
						      !strncmp(real, "/dev/", 5));
	}
	free(path);
	return found;
}

/* The device name the mount holding path comes from ("sdb1"), or NULL. */
static const char *image_mount_source(const struct usage *u, const char *path)
{
	char real[PATH_MAX];
	size_t best = 0;
	const char *source = NULL;

	if (!path || !realpath(path, real))
		return NULL;
	for (size_t i = 0; i < u->n_mounted; i++) {
		size_t len = strlen(u->mountpoints[i]);

		if (len < best || strncmp(real, u->mountpoints[i], len) ||
		    (real[len] != '/' && real[len] != '\0' && len > 1))
			continue;
		best = len;
		source = u->sources[i];
	}
	return source && source[0] == '/' ? path_base(source) : NULL;
}

/* A device built on a disk or its partitions: dm-0 (LUKS, LVM) or md0. */
struct holder {
	char *name;       /* "dm-0" */
	char *label;      /* its device-mapper name ("vg-root"), or NULL */
	char *on;         /* what it is built on: "sdb2" */
	dev_t devno;
};

struct holder_list {
	struct holder *items;
	size_t count;
};

#define HOLDER_DEPTH_MAX 8  /* LUKS on LVM on RAID is three */

/* The holders of the device at sysfs dir (named name), theirs, and so on. */
static void collect_holders(const struct device_roots *roots, const char *dir, const char *name,
			    struct holder_list *h, int depth)
{
	char *holders = xasprintf("%s/holders", dir);
	DIR *dp = opendir(holders);
	struct dirent *e;

	free(holders);
	while (dp && (e = readdir(dp))) {
		bool seen = false;
		char *sub, *dm;

		if (e->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < h->count && !seen; i++)
			seen = !strcmp(h->items[i].name, e->d_name);
		if (seen)
			continue;
		sub = xasprintf("%s/block/%s", roots->sysfs, e->d_name);
		dm = xasprintf("%s/dm", sub);
		h->items = xrealloc(h->items, (h->count + 1) * sizeof(*h->items));
		h->items[h->count++] = (struct holder){ .name = xstrdup(e->d_name), .label = attr(dm, "name"),
							.on = xstrdup(name), .devno = attr_devno(sub) };
		if (depth < HOLDER_DEPTH_MAX)
			collect_holders(roots, sub, e->d_name, h, depth + 1);
		free(dm);
		free(sub);
	}
	if (dp)
		closedir(dp);
}

static void release_holders(struct holder_list *h)
{
	for (size_t i = 0; i < h->count; i++) {
		free(h->items[i].name);
		free(h->items[i].label);
		free(h->items[i].on);
	}
	free(h->items);
}

/* "dm-0 (vg-root)" or "md0", newly allocated. */
static char *holder_text(const struct holder *h)
{
	return h->label ? xasprintf("%s (%s)", h->name, h->label) : xstrdup(h->name);
}

/* Whether the loop device d reads the file image: the kernel's own
 * device and inode numbers of its backing file when the node can be
 * asked, else the file sysfs names. */
static bool loop_backed_by(const struct device *d, const struct stat *image)
{
	struct loop_info64 info;
	struct stat backing;
	int fd = open(d->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool asked = false, same = false;

	if (fd >= 0) {
		struct stat node;

		/* the node must be this disk (a fake /dev in tests is not) */
		if (fstat(fd, &node) == 0 && S_ISBLK(node.st_mode) && node.st_rdev == d->devno &&
		    ioctl(fd, LOOP_GET_STATUS64, &info) == 0) {
			asked = true;
			same = (dev_t)info.lo_device == image->st_dev && (ino_t)info.lo_inode == image->st_ino;
		}
		close(fd);
	}
	if (!asked && d->backing_file && stat(d->backing_file, &backing) == 0)
		same = backing.st_dev == image->st_dev && backing.st_ino == image->st_ino;
	return same;
}

static void set_verdict(struct device *d, enum device_verdict v, char *reason)
{
	if (d->verdict != DEVICE_OK) {
		free(reason);  /* the first refusal found is the one reported */
		return;
	}
	d->verdict = v;
	d->reason = reason;
}

/* What is built on the disk or its partitions: a system mount or swap on
 * it makes the disk the system disk; the source image on it makes it the
 * source; anything else is in use.  In that order of precedence (the
 * first verdict set is the one reported). */
static bool judge_holders(const struct device_roots *roots, const struct usage *u, const struct stat *image,
			  const char *sysfs_dir, struct device *d)
{
	struct holder_list h = { 0 };
	bool held;

	collect_holders(roots, sysfs_dir, d->name, &h, 0);
	for (size_t i = 0; i < d->n_parts; i++) {
		char *part_dir = xasprintf("%s/%s", sysfs_dir, d->parts[i].name);

		collect_holders(roots, part_dir, d->parts[i].name, &h, 0);
		free(part_dir);
	}
	for (size_t i = 0; i < h.count; i++) {
		const struct holder *x = &h.items[i];
		bool holds_system = false;
		const char *mp = mountpoint_of(roots, u, x->devno, x->name, &holds_system);
		char *what = holder_text(x);

		if (holds_system || is_swap(roots, u, x->name))
			set_verdict(d, DEVICE_SYSTEM, xasprintf("%s holds the running system: %s on %s is %s", d->path,
								what, x->on, mp ? mp : "swap"));
		if (image && (image->st_dev == x->devno || (S_ISBLK(image->st_mode) && image->st_rdev == x->devno)))
			set_verdict(d, DEVICE_SOURCE, xasprintf("%s holds the source image (on %s, built on %s)", d->path,
								what, x->on));
		if (mp)
			set_verdict(d, DEVICE_MOUNTED, xasprintf("%s is in use: %s on %s is mounted at %s; unmount it and close %s first",
								 d->path, what, x->on, mp, x->name));
		free(what);
	}
	if (h.count) {
		char *what = holder_text(&h.items[0]);

		set_verdict(d, DEVICE_IN_USE, xasprintf("%s is in use: %s is built on %s (LUKS, LVM or RAID); close it first (cryptsetup close, vgchange -an, mdadm --stop)",
							d->path, what, h.items[0].on));
		free(what);
	}
	held = h.count > 0;
	release_holders(&h);
	return held;
}

/* "/dev/sdb1 is mounted at /media/u/A, /dev/sdb2 at /media/u/B; unmount
 * them first, or ...": every mounted file system of an unmountable disk. */
static char *mounted_reason(const struct device_roots *roots, const struct device *d)
{
	char *text = NULL;
	size_t len = 0, n = 0;
	FILE *out = open_memstream(&text, &len);

	if (d->mountpoint)
		fprintf(out, "%s is mounted at %s", d->path, d->mountpoint), n++;
	for (size_t i = 0; i < d->n_parts; i++)
		if (d->parts[i].mountpoint)
			fprintf(out, n++ ? ", %s/%s at %s" : "%s/%s is mounted at %s", roots->dev, d->parts[i].name,
				d->parts[i].mountpoint);
	fprintf(out, "; unmount %s first, or let `wintogo write --unmount` do it", n > 1 ? "them" : "it");
	fclose(out);
	return text;
}

static void judge(const struct device_roots *roots, const struct usage *u,
		  const struct device_context *dc, const char *sysfs_dir, struct device *d)
{
	struct stat image;
	bool image_known = dc->image && stat(dc->image, &image) == 0;
	char size[SIZE_TEXT_MAX], need[SIZE_TEXT_MAX];
	bool system = false, held;
	const char *mp;

	if (!strcmp(d->transport, "ram") || !strcmp(d->transport, "zram"))
		set_verdict(d, DEVICE_NOT_A_DISK, xasprintf("%s is a RAM disk", d->path));
	if (!strcmp(d->transport, "loop") && !d->backing_file)
		set_verdict(d, DEVICE_NOT_A_DISK, xasprintf("%s is a loop device with no file behind it", d->path));

	mp = mountpoint_of(roots, u, d->devno, d->name, &system);
	if (mp)
		d->mountpoint = xstrdup(mp);
	d->swap = is_swap(roots, u, d->name);
	for (size_t i = 0; i < d->n_parts; i++) {
		struct device_partition *p = &d->parts[i];
		char *part_dir = xasprintf("%s/%s", sysfs_dir, p->name);
		dev_t devno = attr_devno(part_dir);

		free(part_dir);
		p->devno = devno;
		mp = mountpoint_of(roots, u, devno, p->name, &system);
		if (mp)
			p->mountpoint = xstrdup(mp);
		p->swap = is_swap(roots, u, p->name);
		if (p->swap)
			system = true;
		if (image_known && (image.st_dev == devno ||
				    (S_ISBLK(image.st_mode) && image.st_rdev == devno)))
			set_verdict(d, DEVICE_SOURCE, xasprintf("%s holds the source image '%s' (on %s)", d->path,
								dc->image, p->name));
	}
	if (d->swap)
		system = true;
	if (system)
		set_verdict(d, DEVICE_SYSTEM, xasprintf("%s holds the running system (its root, /boot, /usr or swap)",
							d->path));
	held = judge_holders(roots, u, image_known ? &image : NULL, sysfs_dir, d);
	if (image_known && !strcmp(d->transport, "loop") && S_ISREG(image.st_mode) &&
	    loop_backed_by(d, &image))
		set_verdict(d, DEVICE_SOURCE, xasprintf("%s is a loop device that reads the source image '%s'",
							d->path, dc->image));
	if (image_known && (image.st_dev == d->devno ||
			    (S_ISBLK(image.st_mode) && image.st_rdev == d->devno)))
		set_verdict(d, DEVICE_SOURCE, xasprintf("%s holds the source image '%s'", d->path, dc->image));
	if (image_known) {
		const char *from = image_mount_source(u, dc->image);

		for (size_t i = 0; from && i < d->n_parts; i++)
			if (!strcmp(from, d->parts[i].name) || !strcmp(from, d->name))
				set_verdict(d, DEVICE_SOURCE, xasprintf("%s holds the source image '%s' (on %s)",
									d->path, dc->image, from));
	}
	if (d->mountpoint)
		set_verdict(d, DEVICE_MOUNTED, xasprintf("%s is mounted at %s; unmount it first", d->path,
							 d->mountpoint));
	for (size_t i = 0; i < d->n_parts; i++)
		if (d->parts[i].mountpoint)
			set_verdict(d, DEVICE_MOUNTED, xasprintf("%s/%s is mounted at %s; unmount it first",
								 roots->dev, d->parts[i].name,
								 d->parts[i].mountpoint));
	if (d->read_only)
		set_verdict(d, DEVICE_READ_ONLY, xasprintf("%s is read-only (a lock switch, or the kernel's ro flag)",
							   d->path));
	if (dc->min_size && d->size < dc->min_size)
		set_verdict(d, DEVICE_TOO_SMALL, xasprintf("%s has %s but the image needs %s", d->path,
							   format_size(d->size, size),
							   format_size(dc->min_size, need)));
	/* only its own file systems stand in the way: unmounting them would
	 * make it ok (nothing of the system, the source or a LUKS/LVM/md is
	 * on it, and it is neither read-only nor too small) */
	d->unmountable = d->verdict == DEVICE_MOUNTED && !held && !d->read_only &&
			 !(dc->min_size && d->size < dc->min_size);
	if (d->unmountable) {
		free(d->reason);
		d->reason = mounted_reason(roots, d);
	}
}

static void read_device(const struct device_roots *roots, const struct usage *u,
			const struct device_context *dc, const char *name, struct device *d)
{
	char *dir = xasprintf("%s/block/%s", roots->sysfs, name);
	char *queue = xasprintf("%s/queue", dir), *loop = xasprintf("%s/loop", dir);

	*d = (struct device){ .name = xstrdup(name), .path = xasprintf("%s/%s", roots->dev, name) };
	d->devno = attr_devno(dir);
	d->size = attr_u64(dir, "size", 0) * 512;  /* sysfs counts 512-byte units */
	d->logical_sector = (unsigned)attr_u64(queue, "logical_block_size", 512);
	d->physical_sector = (unsigned)attr_u64(queue, "physical_block_size", 512);
	d->rotational = attr_u64(queue, "rotational", 0);
	d->removable = attr_u64(dir, "removable", 0);
	d->read_only = attr_u64(dir, "ro", 0);
	d->vendor = identity(dir, "vendor");
	d->model = identity(dir, "model");
	d->serial = identity(dir, "serial");
	d->transport = transport_of(dir, name);
	d->backing_file = attr(loop, "backing_file");
	read_partitions(dir, d);
	probe_contents(roots, d);
	judge(roots, u, dc, dir, d);
	free(dir);
	free(queue);
	free(loop);
}

static int rank(const struct device *d)
{
	if (!strcmp(d->transport, "usb"))
		return 0;
	return device_is_portable(d) ? 1 : 2;
}

static int by_rank(const void *a, const void *b)
{
	const struct device *x = a, *y = b;

	if (rank(x) != rank(y))
		return rank(x) - rank(y);
	return strcmp(x->name, y->name);
}

/* "an ext4", "a vfat": the article as the name is read out. */
static const char *article(const char *fstype)
{
	static const char *const spelled[] = { "ntfs", "xfs", "f2fs", "hfs", "hfsplus", "LVM2_member", "msdos", "nilfs2" };

	if (strchr("aeiouAEIOU", fstype[0]))
		return "an";
	for (size_t i = 0; i < ARRAY_SIZE(spelled); i++)
		if (!strcmp(fstype, spelled[i]))
			return "an";
	return "a";
}

static char *append(char *text, const char *more)
{
	char *joined = xasprintf("%s%s", text, more);

	free(text);
	return joined;
}

/* "sdb1 29.3 GiB vfat 'KINGSTON', sdb2 ...", after head. */
static char *partitions_text(const struct device *d, char *head)
{
	char size[SIZE_TEXT_MAX], *text = head, *one;

	for (size_t i = 0; i < d->n_parts; i++) {
		const struct device_partition *p = &d->parts[i];
		const char *fs = p->fstype ? p->fstype : d->probed ? "(no file system)" : "(file system unknown)";

		one = xasprintf("%s%s %s %s%s%s%s", i ? ", " : "", p->name, format_size(p->size, size), fs,
				p->label ? " '" : "", p->label ? p->label : "", p->label ? "'" : "");
		text = append(text, one);
		free(one);
	}
	return text;
}

/* "a GPT partition table with 2 partitions"; a disk libblkid could not
 * read but whose partitions the kernel knows has a table of some kind. */
static char *table_text(const struct device *d)
{
	size_t n = d->n_parts ? d->n_parts : d->n_table_parts;
	const char *type = d->pttype ? d->pttype : "", *s = n == 1 ? "" : "s";

	/* as people name them */
	if (!strcmp(type, "gpt"))
		return xasprintf("a GPT partition table with %zu partition%s", n, s);
	if (!strcmp(type, "dos"))
		return xasprintf("an MBR partition table with %zu partition%s", n, s);
	if (*type)
		return xasprintf("%s %s partition table with %zu partition%s", article(type), type, n, s);
	return xasprintf("a partition table with %zu partition%s", n, s);
}

char *device_contents_text(const struct device *d, bool each_partition)
{
	char *text;

	if (!d->probed && !d->n_parts)
		text = xstrdup("unknown (cannot read it)");
	else if (d->ambivalent && !d->n_parts)
		text = xstrdup("the signatures of both a partition table and a file system (`wipefs -n` lists them)");
	else if (d->n_parts && each_partition)
		text = partitions_text(d, xasprintf("%zu partition%s: ", d->n_parts, d->n_parts == 1 ? "" : "s"));
	else if (d->pttype || d->n_parts)
		text = table_text(d);
	else if (d->fstype && d->label)
		text = xasprintf("%s %s file system labelled '%s'", article(d->fstype), d->fstype, d->label);
	else if (d->fstype)
		text = xasprintf("%s %s file system", article(d->fstype), d->fstype);
	else
		text = xstrdup("no partition table");
	return text;
}

bool device_is_portable(const struct device *d)
{
	return !strcmp(d->transport, "usb") || !strcmp(d->transport, "mmc") || d->removable;
}

int devices_scan(struct wtg_ctx *ctx, const struct device_roots *roots, const struct device_context *dc,
		 struct device_list *list_ret)
{
	char *block = xasprintf("%s/block", roots->sysfs);
	DIR *dp = opendir(block);
	struct device_list list = { 0 };
	struct usage usage = { 0 };
	struct dirent *e;

	if (!dp) {
		int ret = log_syserr(ctx, errno, "cannot read '%s' (is sysfs mounted?)", block);

		free(block);
		return ret;
	}
	read_usage(roots, &usage);
	while ((e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		list.items = xrealloc(list.items, (list.count + 1) * sizeof(struct device));
		read_device(roots, &usage, dc, e->d_name, &list.items[list.count++]);
	}
	closedir(dp);
	free(block);
	release_usage(&usage);
	qsort(list.items, list.count, sizeof(struct device), by_rank);
	*list_ret = list;
	return 0;
}

int device_find_devno(struct wtg_ctx *ctx, const struct device_roots *roots, const struct device_context *dc,
		      dev_t devno, const char *path, struct device_list *list, struct device **device_ret)
{
	const char *parent = NULL;
	int ret = devices_scan(ctx, roots, dc, list);

	if (ret < 0)
		return ret;
	for (size_t i = 0; i < list->count; i++) {
		if (list->items[i].devno == devno) {
			*device_ret = &list->items[i];
			return 0;
		}
	}
	for (size_t i = 0; i < list->count && !parent; i++)
		for (size_t k = 0; k < list->items[i].n_parts; k++)
			if (list->items[i].parts[k].devno == devno)
				parent = list->items[i].path;
	if (parent)
		return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is a partition, not a disk; give the whole disk, %s", path,
				 parent);
	return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' (device %u:%u) is not a disk of this machine; see `wintogo list --all`",
			 path, major(devno), minor(devno));
}

int device_find(struct wtg_ctx *ctx, const struct device_roots *roots, const struct device_context *dc,
		const char *path, struct device_list *list, struct device **device_ret)
{
	struct stat sb;

	/* the number, not the name: a node called loop1 may well be loop4 */
	if (stat(path, &sb) < 0)
		return log_syserr(ctx, errno, "cannot look at '%s'", path);
	if (!S_ISBLK(sb.st_mode))
		return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is not a block device", path);
	return device_find_devno(ctx, roots, dc, sb.st_rdev, path, list, device_ret);
}

void device_list_release(struct device_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		struct device *d = &list->items[i];

		for (size_t k = 0; k < d->n_parts; k++) {
			free(d->parts[k].name);
			free(d->parts[k].fstype);
			free(d->parts[k].label);
			free(d->parts[k].mountpoint);
		}
		free(d->parts);
		free(d->name);
		free(d->path);
		free(d->vendor);
		free(d->model);
		free(d->serial);
		free(d->backing_file);
		free(d->pttype);
		free(d->fstype);
		free(d->label);
		free(d->mountpoint);
		free(d->reason);
	}
	free(list->items);
	*list = (struct device_list){ 0 };
}
