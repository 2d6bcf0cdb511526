/* vhdx_windows.c - the partitions of a VHDX's virtual disk and the Windows
 * on them (see vhdx_windows.h). */
#include "wintogo/vhdx_windows.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>

#include "wintogo/bootfiles.h"
#include "wintogo/log.h"
#include "wintogo/pe.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"


/* Makes file (sparse, size bytes) and copies the virtual disk's bytes
 * [offset, offset + length) into it at file_offset. */
static int stage_range(struct wtg_ctx *ctx, struct vhdx *v, const char *file, uint64_t size, uint64_t offset,
		       uint64_t length, uint64_t file_offset)
{
	int fd, ret = access(file, F_OK) == 0 ? 0 : stage_make_file(ctx, file, size);

	if (ret < 0)
		return ret;
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", file);
	ret = vhdx_copy_range(ctx, v, offset, length, fd, file_offset);
	close(fd);
	return ret;
}

/* libfdisk reads the table from a copy of the first and the last MiB. */
static int read_table(struct wtg_ctx *ctx, struct vhdx *v, const char *file, struct layout_table *t)
{
	const struct vhdx_disk_info *in = vhdx_info(v);
	uint64_t size = in->virtual_size, tail = size > MIB ? size - MIB : 0;
	int ret;

	ret = stage_range(ctx, v, file, size, 0, MIB, 0);
	if (!ret)
		ret = stage_range(ctx, v, file, size, tail, size - tail, tail);
	if (!ret)
		ret = layout_read_table(ctx, file, in->logical_sector, t);
	if (ret == -ENOENT)
		ret = log_error(ctx, WTG_ERR_NO_WINDOWS, "the virtual disk in '%s' has no partition table (no GPT, no MBR); is Windows installed on it?",
				vhdx_path(v));
	return ret;
}

static const char *filesystem(struct wtg_ctx *ctx, struct vhdx *v, const struct layout_entry *e)
{
	uint8_t boot[512];

	if (e->size < sizeof(boot) || vhdx_read(ctx, v, e->offset, boot, sizeof(boot)) < 0)
		return NULL;
	if (!memcmp(boot + 3, "NTFS    ", 8))
		return "ntfs";
	if (!memcmp(boot + 82, "FAT32   ", 8) || !memcmp(boot + 54, "FAT1", 4))
		return "vfat";
	return NULL;
}

/* Copies partition e into file and captures it into a new in-memory WIM. */
static int capture(struct wtg_ctx *ctx, struct vhdx *v, const struct layout_entry *e, const char *file,
		   WIMStruct **wim_ret)
{
	const struct vhdx_disk_info *in = vhdx_info(v);
	char what[64];
	WIMStruct *wim = NULL;
	char *dir = xstrdup(file), *slash = strrchr(dir, '/');
	int err, ret;

	if (slash)
		*slash = '\0';
	snprintf(what, sizeof(what), "capture partition %u of", e->number);
	ret = stage_check_space(ctx, dir, in->stored_blocks * in->block_size);
	if (!ret)
		ret = stage_range(ctx, v, file, e->size, e->offset, e->size, 0);
	free(dir);
	if (ret < 0)
		return ret;
	err = wimlib_create_new_wim(WIMLIB_COMPRESSION_TYPE_NONE, &wim);
	if (!err)
		err = wimlib_add_image(wim, file, "Windows", NULL, WIMLIB_ADD_FLAG_NTFS);
	if (err) {
		wimlib_free(wim);
		return wim_error(ctx, err, vhdx_path(v), what);
	}
	*wim_ret = wim;
	return 0;
}

static int exists(const struct wimlib_dir_entry *d, void *user)
{
	(void)d;
	(void)user;
	return 0;
}

/* Windows is there when its SOFTWARE hive is, as the messages say; not
 * when wimlib found an architecture, which it takes from kernel32.dll
 * alone.  A capture keeps NTFS's names: the usual case is the one looked
 * for, and wimlib's own guess stays a way in. */
static bool has_windows(WIMStruct *wim)
{
	return wimlib_iterate_dir_tree(wim, 1, "/Windows/System32/config/SOFTWARE", 0, exists, NULL) == 0 ||
	       wimlib_get_image_property(wim, 1, "WINDOWS/ARCH") != NULL;
}

/* The architecture of the Windows captured in wim: wimlib's, from
 * kernel32.dll's PE machine type; without kernel32.dll, the PE machine
 * type of its boot manager, Windows\Boot\EFI\bootmgfw.efi (extracted
 * into dir), which is built for the Windows it starts.  Neither: the
 * architecture stays unknown, for the caller to judge. */
static int windows_arch(struct wtg_ctx *ctx, WIMStruct *wim, const char *dir, const char *path)
{
	static const char *const paths[] = { "/Windows/Boot/EFI/bootmgfw.efi" };
	char *file = NULL, num[8];
	struct wtg_ctx quiet;
	struct stat sb;
	uint16_t machine = 0;
	enum wim_arch arch;
	int err, ret = 0;

	if (wimlib_get_image_property(wim, 1, "WINDOWS/ARCH"))
		return 0;
	err = wimlib_extract_paths(wim, 1, dir, paths, 1,
				   WIMLIB_EXTRACT_FLAG_NO_PRESERVE_DIR_STRUCTURE | WIMLIB_EXTRACT_FLAG_NORPFIX);
	if (err == WIMLIB_ERR_PATH_DOES_NOT_EXIST)
		return 0;
	if (err)
		return wim_error(ctx, err, path, "read the boot manager of the Windows in");
	file = stage_path(dir, "bootmgfw.efi");
	/* a link (a reparse point) is not followed out of the stage */
	wtg_ctx_init(&quiet);
	if (lstat(file, &sb) < 0 || !S_ISREG(sb.st_mode) || pe_read_machine(&quiet, file, &machine) < 0)
		machine = 0;
	wtg_ctx_release(&quiet);
	unlink(file);
	arch = boot_arch_of(machine);
	if (arch != WIM_ARCH_UNKNOWN) {
		snprintf(num, sizeof(num), "%d", (int)arch);
		err = wimlib_set_image_property(wim, 1, "WINDOWS/ARCH", num);
		if (err)
			ret = wim_error(ctx, err, path, "describe the Windows in");
	}
	free(file);
	return ret;
}

struct totals {
	uint64_t bytes, files, dirs;
};

static int count_entry(const struct wimlib_dir_entry *d, void *user)
{
	struct totals *t = user;

	if (d->attributes & WIMLIB_FILE_ATTRIBUTE_DIRECTORY)
		t->dirs++;
	else
		t->files++;
	for (uint32_t i = 0; i <= d->num_named_streams; i++)
		t->bytes += d->streams[i].resource.uncompressed_size;
	return 0;
}

/* "Windows 11 Pro": Windows 11 still says "Windows 10" in ProductName, so
 * client names come from the build and the edition. */
static char *windows_name(WIMStruct *wim)
{
	static const char *const editions[][2] = {
		{ "Core", "Home" },
		{ "CoreN", "Home N" },
		{ "CoreSingleLanguage", "Home Single Language" },
		{ "Professional", "Pro" },
		{ "ProfessionalN", "Pro N" },
		{ "ProfessionalWorkstation", "Pro for Workstations" },
		{ "ProfessionalEducation", "Pro Education" },
	};
	const char *product = wimlib_get_image_property(wim, 1, "WINDOWS/PRODUCTNAME");
	const char *edition = wimlib_get_image_property(wim, 1, "WINDOWS/EDITIONID");
	const char *type = wimlib_get_image_property(wim, 1, "WINDOWS/INSTALLATIONTYPE");
	const char *major = wimlib_get_image_property(wim, 1, "WINDOWS/VERSION/MAJOR");
	const char *build = wimlib_get_image_property(wim, 1, "WINDOWS/VERSION/BUILD");

	if (edition && type && !strcmp(type, "Client") && major && !strcmp(major, "10")) {
		for (size_t i = 0; i < ARRAY_SIZE(editions); i++)
			if (!strcasecmp(edition, editions[i][0]))
				edition = editions[i][1];
		return xasprintf("Windows %s %s", build && atol(build) >= 22000 ? "11" : "10", edition);
	}
	return xstrdup(product && *product ? product : "Windows");
}

/* What wimlib fills in only when it writes a WIM: the totals, and a name. */
static int describe(struct wtg_ctx *ctx, WIMStruct *wim, const char *path)
{
	struct totals t = { 0 };
	char *name = windows_name(wim);
	char num[3][24];
	int err;

	err = wimlib_iterate_dir_tree(wim, 1, "", WIMLIB_ITERATE_DIR_TREE_FLAG_RECURSIVE, count_entry,
				      &t);
	snprintf(num[0], sizeof(num[0]), "%llu", (unsigned long long)t.bytes);
	snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)t.files);
	snprintf(num[2], sizeof(num[2]), "%llu", (unsigned long long)t.dirs);
	if (!err)
		err = wimlib_set_image_property(wim, 1, "TOTALBYTES", num[0]);
	if (!err)
		err = wimlib_set_image_property(wim, 1, "FILECOUNT", num[1]);
	if (!err)
		err = wimlib_set_image_property(wim, 1, "DIRCOUNT", num[2]);
	if (!err)
		err = wimlib_set_image_name(wim, 1, name);
	if (!err)
		err = wimlib_set_image_property(wim, 1, "DISPLAYNAME", name);
	free(name);
	return err ? wim_error(ctx, err, path, "describe the Windows in") : 0;
}

static void remove_stage(void *dir)
{
	stage_remove(dir);
}

/* Opens the VHDX, makes a stage and reads the partition table. */
static int open_disk(struct wtg_ctx *ctx, const char *path, struct vhdx_disk *d, char **stage_ret)
{
	char *table = NULL;
	int ret = vhdx_open(ctx, path, &d->vhdx);

	if (!ret)
		ret = stage_create(ctx, stage_default_parent(ctx), stage_ret);
	if (!ret) {
		table = stage_path(*stage_ret, "table.img");
		ret = read_table(ctx, d->vhdx, table, &d->table);
		unlink(table);
	}
	free(table);
	if (!ret)
		d->parts = xcalloc(d->table.count ? d->table.count : 1, sizeof(*d->parts));
	for (size_t i = 0; i < d->table.count && !ret; i++) {
		d->parts[i].entry = &d->table.entries[i];
		d->parts[i].filesystem = filesystem(ctx, d->vhdx, &d->table.entries[i]);
	}
	return ret;
}

static char *partition_file(const char *stage, const struct layout_entry *e)
{
	char name[32];

	snprintf(name, sizeof(name), "partition%u.img", e->number);
	return stage_path(stage, name);
}

/* Reads the Windows on NTFS partition p, if any. */
static int look_into(struct wtg_ctx *ctx, struct vhdx_disk *d, struct vhdx_partition *p, const char *stage)
{
	char *file = partition_file(stage, p->entry);
	struct wim_source *source = NULL;
	WIMStruct *wim = NULL;
	int ret = capture(ctx, d->vhdx, p->entry, file, &wim);

	if (!ret && has_windows(wim)) {
		ret = windows_arch(ctx, wim, stage, vhdx_path(d->vhdx));
		if (!ret)
			ret = describe(ctx, wim, vhdx_path(d->vhdx));
		if (!ret)
			wim_source_adopt(wim, vhdx_path(d->vhdx), NULL, NULL, &source);
		else
			wimlib_free(wim);
		if (!ret)
			ret = wim_source_image(ctx, source, 1, &p->windows);
		p->has_windows = !ret;
	} else {
		wimlib_free(wim);
	}
	wim_source_free(source);
	unlink(file);
	free(file);
	return ret;
}

int vhdx_disk_scan(struct wtg_ctx *ctx, const char *path, bool windows, struct vhdx_disk **disk_ret)
{
	struct vhdx_disk *d = xcalloc(1, sizeof(*d));
	char *stage = NULL;
	int ret = open_disk(ctx, path, d, &stage);

	for (size_t i = 0; i < d->table.count && windows && !ret; i++) {
		struct vhdx_partition *p = &d->parts[i];

		if (p->filesystem && !strcmp(p->filesystem, "ntfs"))
			ret = look_into(ctx, d, p, stage);
	}
	stage_remove(stage);
	if (ret < 0) {
		vhdx_disk_free(d);
		return ret;
	}
	*disk_ret = d;
	return 0;
}

static void disk_release(struct vhdx_disk *d)
{
	for (size_t i = 0; d->parts && i < d->table.count; i++)
		wim_image_release(&d->parts[i].windows);
	free(d->parts);
	layout_table_release(&d->table);
	vhdx_close(d->vhdx);
}

void vhdx_disk_free(struct vhdx_disk *d)
{
	if (!d)
		return;
	disk_release(d);
	free(d);
}

/* NTFS partitions, the largest first: Windows is on the big one, recovery
 * tools on small ones. */
static int by_size_down(const void *a, const void *b)
{
	const struct vhdx_partition *x = *(const struct vhdx_partition *const *)a;
	const struct vhdx_partition *y = *(const struct vhdx_partition *const *)b;

	return x->entry->size > y->entry->size ? -1 : x->entry->size < y->entry->size;
}

int vhdx_windows_capture_as(struct wtg_ctx *ctx, const char *path, const char *shown_as,
			    struct wim_source **source_ret)
{
	struct vhdx_disk d = { 0 };
	struct vhdx_partition **ntfs = NULL;
	size_t n = 0;
	char *stage = NULL;
	bool found = false;
	int ret = open_disk(ctx, path, &d, &stage);

	if (!ret)
		ntfs = xcalloc(d.table.count ? d.table.count : 1, sizeof(*ntfs));
	for (size_t i = 0; i < d.table.count && !ret; i++)
		if (d.parts[i].filesystem && !strcmp(d.parts[i].filesystem, "ntfs"))
			ntfs[n++] = &d.parts[i];
	if (!ret)
		qsort(ntfs, n, sizeof(*ntfs), by_size_down);
	for (size_t i = 0; i < n && !ret && !found; i++) {
		char *file = partition_file(stage, ntfs[i]->entry);
		WIMStruct *wim = NULL;

		ret = capture(ctx, d.vhdx, ntfs[i]->entry, file, &wim);
		found = !ret && has_windows(wim);
		if (found)
			ret = windows_arch(ctx, wim, stage, shown_as);
		if (found && !ret)
			ret = describe(ctx, wim, shown_as);
		if (found && !ret) {
			wim_source_adopt(wim, shown_as, remove_stage, stage, source_ret);
			stage = NULL;  /* the source removes it */
		} else {
			wimlib_free(wim);
			unlink(file);
		}
		free(file);
	}
	if (!ret && !found)
		ret = log_error(ctx, WTG_ERR_NO_WINDOWS, "'%s' holds no Windows: none of its %zu NTFS partitions has \\Windows\\System32\\config\\SOFTWARE",
				shown_as, n);
	free(ntfs);
	stage_remove(stage);
	disk_release(&d);
	return ret;
}

int vhdx_windows_capture(struct wtg_ctx *ctx, const char *path, struct wim_source **source_ret)
{
	return vhdx_windows_capture_as(ctx, path, path, source_ret);
}

int vhdx_stage_esp(struct wtg_ctx *ctx, const char *path, const char *file)
{
	struct vhdx_disk d = { 0 };
	char *stage = NULL;
	int ret = open_disk(ctx, path, &d, &stage);
	size_t i;

	for (i = 0; !ret && i < d.table.count && !layout_entry_is_esp(&d.table.entries[i]); i++)
		;
	if (!ret && i == d.table.count)
		ret = log_error(ctx, WTG_ERR_NOT_BOOTABLE, "the virtual disk in '%s' has no EFI system partition; it is not a UEFI disk",
				path);
	if (!ret)
		ret = stage_range(ctx, d.vhdx, file, d.table.entries[i].size, d.table.entries[i].offset,
				  d.table.entries[i].size, 0);
	stage_remove(stage);
	disk_release(&d);
	return ret;
}
