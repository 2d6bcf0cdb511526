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
#include <wimlib.h>

#include "wintogo/bootfiles.h"
#include "wintogo/esp.h"
#include "wintogo/exfat_dir.h"
#include "wintogo/input.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/authenticode.h"
#include "wintogo/bootfiles.h"
#include "wintogo/pe.h"
#include "wintogo/source.h"
#include "wintogo/iso.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"
#include "wintogo/vhdx_boot.h"
#include "wintogo/vhdx_windows.h"

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
		.archs = { im->arch },
		.n_archs = 1,
		.removable = -1,
	};
}

static bool starts_with(const char *path, const char *magic, size_t len);

/* The boot manager of image index, Windows\Boot\EFI\bootmgfw.efi: what
 * `write` copies to the disk as \EFI\Boot\boot<arch>.efi, so that an
 * image is judged as the disk written from it is.  Only that file is
 * extracted, into a stage of its own.  An image without it (or with it
 * in another case) leaves the loader unread: `write` is the one to say
 * what it makes of such an image. */
int boot_facts_read_loader(struct wtg_ctx *ctx, struct wim_source *source, int index, struct boot_facts *f)
{
	struct boot_managers bm;
	struct boot_loader l = { .name = "bootmgfw.efi", .arch = WIM_ARCH_UNKNOWN };
	const struct authenticode *sig;
	struct wtg_ctx quiet;
	int ret;

	/* the choice write makes by default, without its warning: the probe
	 * says it in its own words */
	wtg_ctx_init(&quiet);
	ret = boot_managers_choose(&quiet, source, index, SB_CHOICE_AUTO, &bm);
	if (ret < 0)
		ret = log_error(ctx, wtg_ctx_error(&quiet), "%s", wtg_ctx_error_message(&quiet));
	wtg_ctx_release(&quiet);
	if (ret < 0 || !bm.efi)
		return ret;
	sig = bm.use_ex ? &bm.ex_sig : &bm.efi_sig;
	if (bm.use_ex)
		snprintf(l.name, sizeof(l.name), "bootmgfw_EX.efi");
	l.machine = bm.machine;
	l.subsystem = bm.subsystem;
	l.arch = boot_arch_of(bm.machine);
	l.signed_ = sig->status != AUTHENTICODE_UNSIGNED;
	l.ca = bm.ca;
	l.ex = bm.use_ex;
	/* of several images, the one a firmware would refuse */
	if (!f->n_loaders || (f->loaders[0].signed_ && !l.signed_))
		f->loaders[0] = l;
	f->n_loaders = 1;
	return 0;
}

/* Every image of a multi-image file, when none was chosen: their
 * architectures (one, or several for the host to rule out or the user to
 * choose from), the lowest build, and their boot managers. */
static int read_all_images(struct wtg_ctx *ctx, struct wim_source *source, bool loaders,
			   struct boot_facts *f)
{
	int ret = 0;

	for (int i = 1; i <= f->image_count && !ret; i++) {
		struct wim_image im;
		size_t k;

		ret = wim_source_image(ctx, source, i, &im);
		if (ret < 0)
			break;
		for (k = 0; k < f->n_archs && f->archs[k] != im.arch; k++)
			;
		if (k == f->n_archs && k < BOOT_ARCHS_MAX)
			f->archs[f->n_archs++] = im.arch;
		if (i == 1 || (im.build && im.build < f->build))
			f->build = im.build;
		wim_image_release(&im);
		if (loaders)
			ret = boot_facts_read_loader(ctx, source, i, f);
	}
	f->arch = f->n_archs == 1 ? f->archs[0] : WIM_ARCH_UNKNOWN;
	return ret;
}

int boot_facts_need_index(struct wtg_ctx *ctx, const struct boot_facts *f)
{
	char list[128] = "";
	size_t len = 0;

	for (size_t i = 0; i < f->n_archs && len < sizeof(list); i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					!i ? "" : i + 1 == f->n_archs ? " and " : ", ",
					wim_arch_name(f->archs[i]));
	return log_error(ctx, WTG_ERR_IMAGE_NOT_CHOSEN, "the images of '%s' are for %s; choose one with --index N (see `wintogo info %s`)",
			 f->path, list, f->path);
}

/* The facts of image index of source (0: every image); path names it. */
static int read_source(struct wtg_ctx *ctx, const char *path, struct wim_source *source, int index,
		       bool loaders, struct boot_facts *facts_ret)
{
	struct boot_facts f = { .input = BOOT_INPUT_IMAGE, .removable = -1 };
	int count = wim_source_file(source)->image_count;
	struct wim_image im;
	int ret;

	if (index || count == 1) {
		ret = wim_source_image(ctx, source, index ? index : 1, &im);
		if (ret < 0)
			return ret;
		boot_facts_from_image(path, &im, &f);
		wim_image_release(&im);
		f.image_count = count;
		if (loaders)
			ret = boot_facts_read_loader(ctx, source, f.index, &f);
	} else {
		f.image_count = count;
		f.path = xstrdup(path);
		ret = read_all_images(ctx, source, loaders, &f);
	}
	if (ret < 0) {
		boot_facts_release(&f);
		return ret;
	}
	*facts_ret = f;
	return 0;
}

/* A WIM, ESD or SWM, or a Windows ISO: the images' XML and boot managers.
 * From an ISO whose install image is staged only in part (its header, XML
 * and tables) no file can be extracted: copying gigabytes out to read one
 * signature is not a probe's job, so the loader stays unread. */
static int read_image(struct wtg_ctx *ctx, const char *path, int index, struct boot_facts *facts_ret)
{
	struct source_options opt = { 0 };
	struct source *src = NULL;
	int ret;

	ret = source_open(ctx, path, &opt, &src);
	if (ret < 0)
		return ret;
	ret = read_source(ctx, path, source_wim(src), index, source_fetch_bytes(src) == 0, facts_ret);
	source_free(src);
	return ret;
}

/* A VHDX: the Windows on it, as `write` would take it (see bootfacts.h). */
static int read_vhdx(struct wtg_ctx *ctx, const char *path, struct boot_facts *facts_ret)
{
	struct wim_source *source = NULL;
	int ret = vhdx_windows_capture(ctx, path, &source);

	if (!ret)
		ret = read_source(ctx, path, source, 1, true, facts_ret);
	wim_source_free(source);
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

/* What mkfs.fat (and mkntfs) put where boot code goes: a message, no loader. */
#define NOT_BOOTABLE_TEXT "This is not a bootable disk"

/* Whether the len bytes at offset of fd hold boot code: not zeros, and
 * not the "not a bootable disk" stub that formatting tools write. */
static bool has_boot_code(int fd, uint64_t offset, size_t len)
{
	uint8_t b[512];

	if (len > sizeof(b) || pread(fd, b, len, (off_t)offset) != (ssize_t)len || mem_is_zero(b, len))
		return false;
	return !memmem(b, len, NOT_BOOTABLE_TEXT, strlen(NOT_BOOTABLE_TEXT));
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
		l->ca = SB_CA_NONE;
		if (starts_with(path, "MZ", 2)) {
			struct authenticode sig;

			pe_read_info(ctx, path, &pe);
			if (authenticode_read(ctx, path, &sig) == 0)
				l->ca = authenticode_ca(&sig);
		}
		free(path);
		snprintf(l->name, sizeof(l->name), "%.31s", e->d_name);
		l->machine = pe.machine;
		l->subsystem = pe.subsystem;
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
	if (mkdir(loaders, 0700) < 0)
		ret = log_syserr(ctx, errno, "cannot make '%s'", loaders);
	/* an MBR system partition's BIOS half (esp.h) */
	if (!ret && f->bios_system)
		ret = esp_try_read_file(ctx, path, offset, "::/bootmgr", bcd, &found);
	if (!ret && f->bios_system)
		f->bootmgr = found;
	unlink(bcd);
	if (!ret && f->bios_system)
		ret = esp_try_read_file(ctx, path, offset, "::/Boot/BCD", bcd, &found);
	if (!ret && f->bios_system)
		f->bios_bcd = found && starts_with(bcd, "regf", 4);
	unlink(bcd);
	if (!ret)
		ret = esp_try_read_file(ctx, path, offset, "::/EFI/Boot/boot*.efi", loaders, &found);
	if (!ret && found)
		read_loaders(ctx, loaders, f);
	if (!ret)
		ret = esp_try_read_file(ctx, path, offset, "::/EFI/Microsoft/Boot/BCD", bcd, &found);
	if (!ret)
		f->bcd = found && starts_with(bcd, "regf", 4);
	if (!ret && f->bcd)
		f->vhdx_boot = vhdx_boot_in_store(ctx, bcd);
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

/* The first NAME.utm folder in the root of the exFAT at offset, or NULL:
 * a volume that is not what write made is no error, just no bundle. */
static char *read_vm_bundle(int fd, uint64_t offset, uint64_t size)
{
	char **names = NULL, *found = NULL;
	size_t n = 0;

	if (exfat_root_folders(fd, offset, size, &names, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n && !found; i++) {
		size_t len = strlen(names[i]);

		if (len > 4 && !strcasecmp(names[i] + len - 4, ".utm"))
			found = xstrdup(names[i]);
	}
	exfat_names_free(names, n);
	return found;
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

		/* an MBR disk's active FAT32 system partition serves UEFI too */
		if (!f.esp && layout_entry_is_system(&t, p)) {
			f.esp = true;
			f.bios_system = f.table && !strcmp(f.table, "dos") && p->bootable;
			esp_offset = p->offset;
		}
		f.mbr_active |= p->bootable;
		if (!f.vm_partition && p->name && !strcmp(p->name, LAYOUT_VM_NAME)) {
			f.vm_partition = p->number;
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				f.vm_bundle = read_vm_bundle(fd, p->offset, p->size);
				close(fd);
			}
		}
	}
	if (f.esp) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			ret = log_syserr(ctx, errno, "cannot open '%s'", path);
			goto out;
		}
		f.esp_fat = is_fat(fd, esp_offset);
		/* the code BIOS runs: the MBR's 440 bytes, the partition's boot
		 * sector after a FAT32 BPB (0x5a to the 0x55aa) */
		f.bios_system &= f.esp_fat;
		if (f.bios_system) {
			f.mbr_code = has_boot_code(fd, 0, 440);
			f.vbr_code = has_boot_code(fd, esp_offset + 0x5a, 510 - 0x5a);
		}
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
		return log_error(ctx, WTG_ERR_NO_SUCH_IMAGE, "'%s' is not a Windows image, so it has no image %d; --index is for WIM, ESD, SWM and ISO files",
				 path, index);
	if (kind == INPUT_VHDX)
		return read_vhdx(ctx, path, facts_ret);
	return read_disk(ctx, path, &sb, facts_ret);
}

void boot_facts_release(struct boot_facts *f)
{
	free(f->path);
	free(f->image_name);
	free(f->edition);
	free(f->vm_bundle);
	*f = (struct boot_facts){ 0 };
}
