/* bootfacts.c - what an image or a disk offers a firmware (see bootfacts.h). */
#include "wintogo/bootfacts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "wintogo/bootfiles.h"
#include "wintogo/esp.h"
#include "wintogo/input.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/pe.h"
#include "wintogo/source.h"
#include "wintogo/iso.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void boot_facts_from_image(const char *path, const struct wim_image *im,
			   struct boot_facts *facts_ret)
{
	*facts_ret = (struct boot_facts){
		.input = BOOT_INPUT_IMAGE,
		.path = xstrdup(path),
		.arch = im->arch,
		.build = im->build,
		.index = im->index,
		.image_count = 1,
		.image_name = dup_or_null(im->name),
		.edition = dup_or_null(im->edition),
		.removable = -1,
	};
}

/* Every image of a multi-image file, when none was chosen: one
 * architecture (else the caller must choose) and the lowest build. */
static int read_all_images(struct wtg_ctx *ctx, struct wim_source *source, struct boot_facts *f)
{
	const char *path = wim_source_file(source)->path;
	int ret = 0;

	for (int i = 1; i <= f->image_count && !ret; i++) {
		struct wim_image im;

		ret = wim_source_image(ctx, source, i, &im);
		if (ret < 0)
			break;
		if (i == 1)
			f->arch = im.arch;
		if (im.arch != f->arch)
			ret = log_error(ctx, WTG_ERR_IMAGE_NOT_CHOSEN, "the images of '%s' are for %s and %s; choose one with --index N (see `wintogo info %s`)",
					path, wim_arch_name(f->arch), wim_arch_name(im.arch), path);
		if (i == 1 || (im.build && im.build < f->build))
			f->build = im.build;
		wim_image_release(&im);
	}
	return ret;
}

/* A WIM, ESD or SWM, or a Windows ISO: only the image's XML is read. */
static int read_image(struct wtg_ctx *ctx, const char *path, int index, struct boot_facts *facts_ret)
{
	struct source_options opt = { 0 };
	struct source *src = NULL;
	struct wim_source *source;
	struct wim_image im;
	int count, ret;

	ret = source_open(ctx, path, &opt, &src);
	if (ret < 0)
		return ret;
	source = source_wim(src);
	count = wim_source_file(source)->image_count;
	if (index || count == 1) {
		ret = wim_source_image(ctx, source, index ? index : 1, &im);
		if (!ret) {
			boot_facts_from_image(path, &im, facts_ret);
			facts_ret->image_count = count;
			wim_image_release(&im);
		}
	} else {
		struct boot_facts f = { .input = BOOT_INPUT_IMAGE, .image_count = count, .removable = -1 };

		ret = read_all_images(ctx, source, &f);
		if (!ret) {
			f.path = xstrdup(path);
			*facts_ret = f;
		}
	}
	source_free(src);
	return ret;
}

/* A FAT boot sector: the 55 AA signature and a FAT type string. */
static bool is_fat(int fd, uint64_t offset)
{
	uint8_t b[512];

	if (pread(fd, b, sizeof(b), (off_t)offset) != sizeof(b) || b[510] != 0x55 || b[511] != 0xaa)
		return false;
	return !memcmp(b + 0x36, "FAT", 3) || !memcmp(b + 0x52, "FAT32", 5);
}

static bool starts_with(const char *path, const char *magic, size_t len)
{
	char buf[8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool yes = fd >= 0 && read(fd, buf, len) == (ssize_t)len && !memcmp(buf, magic, len);

	if (fd >= 0)
		close(fd);
	return yes;
}

/* The \EFI\Boot\boot*.efi files copied into dir, with their machine types.
 * The loaders' architecture is theirs when they agree. */
static void read_loaders(struct wtg_ctx *ctx, const char *dir, struct boot_facts *f)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)) && f->n_loaders < BOOT_LOADERS_MAX) {
		size_t len = strlen(e->d_name);
		struct boot_loader *l = &f->loaders[f->n_loaders];
		struct pe_info pe = { 0 };
		char *path;

		if (len < 8 || len >= sizeof(l->name) || strncasecmp(e->d_name, "boot", 4) ||
		    strcasecmp(e->d_name + len - 4, ".efi"))
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (starts_with(path, "MZ", 2))
			pe_read_info(ctx, path, &pe);
		free(path);
		snprintf(l->name, sizeof(l->name), "%.31s", e->d_name);
		l->machine = pe.machine;
		l->arch = boot_arch_of(pe.machine);
		l->signed_ = pe.signed_;
		f->arch = f->n_loaders == 0 || f->arch == l->arch ? l->arch : WIM_ARCH_UNKNOWN;
		f->n_loaders++;
	}
	if (d)
		closedir(d);
}

/* The fallback loaders and the BCD, copied out of the ESP with mtools. */
static int read_esp(struct wtg_ctx *ctx, const char *path, uint64_t offset, struct boot_facts *f)
{
	char *stage = NULL, *loaders = NULL, *bcd = NULL;
	bool found;
	int ret;

	ret = stage_create(ctx, stage_default_parent(ctx), &stage);
	if (ret < 0)
		return ret;
	loaders = stage_path(stage, "loaders");
	bcd = stage_path(stage, "BCD");
	if (mkdir(loaders, 0700) < 0) {
		ret = log_syserr(ctx, errno, "cannot make '%s'", loaders);
		goto out;
	}
	ret = esp_try_read_file(ctx, path, offset, "::/EFI/Boot/boot*.efi", loaders, &found);
	if (!ret && found)
		read_loaders(ctx, loaders, f);
	if (!ret)
		ret = esp_try_read_file(ctx, path, offset, "::/EFI/Microsoft/Boot/BCD", bcd, &found);
	if (!ret)
		f->bcd = found && starts_with(bcd, "regf", 4);
out:
	free(loaders);
	free(bcd);
	stage_remove(stage);
	return ret;
}

/* A block device's removable flag, from sysfs. */
static int removable_flag(const struct stat *sb)
{
	char path[64], flag = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/removable", major(sb->st_rdev),
		 minor(sb->st_rdev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (read(fd, &flag, 1) != 1)
		flag = 0;
	close(fd);
	return flag == '1' ? 1 : flag == '0' ? 0 : -1;
}

static int read_disk(struct wtg_ctx *ctx, const char *path, const struct stat *sb, struct boot_facts *facts_ret)
{
	struct boot_facts f = {
		.input = BOOT_INPUT_DISK,
		.arch = WIM_ARCH_UNKNOWN,
		.block_device = S_ISBLK(sb->st_mode),
		.removable = S_ISBLK(sb->st_mode) ? removable_flag(sb) : -1,
	};
	struct layout_table t;
	uint64_t esp_offset = 0;
	int fd, ret;

	ret = layout_read_table(ctx, path, 0, &t);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	/* what a write cut off leaves (write.h); a disk image file too */
	f.blank = ret == -ENOENT && layout_is_blank(path);
	if (ret == -ENOENT && !f.block_device && !f.blank) {
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is neither a Windows image (WIM, ESD, SWM) nor a disk image with a partition table",
					path);
		goto out;
	}
	ret = 0;
	/* names that outlive the table */
	f.table = !strcmp(t.label, "gpt") ? "gpt" : !strcmp(t.label, "dos") ? "dos" : NULL;
	for (size_t i = 0; i < t.count; i++) {
		const struct layout_entry *p = &t.entries[i];

		if (!f.esp && layout_entry_is_esp(p)) {
			f.esp = true;
			esp_offset = p->offset;
		}
		f.mbr_active |= p->bootable;
	}
	if (f.esp) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = log_syserr(ctx, errno, "cannot open '%s'", path);
			goto out;
		}
		f.esp_fat = is_fat(fd, esp_offset);
		close(fd);
	}
	if (f.esp_fat)
		ret = read_esp(ctx, path, esp_offset, &f);
	if (!ret) {
		f.path = xstrdup(path);
		*facts_ret = f;
	}
out:
	layout_table_release(&t);
	return ret;
}

int boot_facts_read(struct wtg_ctx *ctx, const char *path, int index, struct boot_facts *facts_ret)
{
	enum input_kind kind;
	struct stat sb;

	if (stat(path, &sb) < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", path);
	if (S_ISDIR(sb.st_mode))
		return log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is a directory; give a Windows image (install.wim) or a disk", path);
	kind = input_kind_of(path);
	if (input_is_wim(kind) || kind == INPUT_ISO)
		return read_image(ctx, path, index, facts_ret);
	if (index)
		return log_error(ctx, WTG_ERR_NO_SUCH_IMAGE, "'%s' is not a Windows image, so it has no image %d; --index is for WIM, ESD and SWM files",
				 path, index);
	return read_disk(ctx, path, &sb, facts_ret);
}

void boot_facts_release(struct boot_facts *f)
{
	free(f->path);
	free(f->image_name);
	free(f->edition);
	*f = (struct boot_facts){ 0 };
}
