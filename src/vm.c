/* vm.c - a disk image converted into a VM disk (see vm.h). */
#include "wintogo/vm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wintogo/esp.h"
#include "wintogo/extents.h"
#include "wintogo/input.h"
#include "wintogo/iso.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/pe.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"
#include "wintogo/vhdx.h"
#include "wintogo/vhdx_host.h"
#include "wintogo/vhdx_windows.h"

static bool has_gpt_at(int fd, off_t offset)
{
	char sig[8];

	return pread(fd, sig, sizeof(sig), offset) == (ssize_t)sizeof(sig) &&
	       !memcmp(sig, "EFI PART", 8);
}

/* 512, or 4096 when the GPT header is in the second 4 KiB sector. */
static unsigned disk_sector_size(int fd)
{
	return !has_gpt_at(fd, 512) && has_gpt_at(fd, 4096) ? 4096 : 512;
}

/* The first file in dir whose name starts "boot" and ends ".efi". */
static char *find_fallback_loader(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	while (d && (e = readdir(d)) && !found) {
		size_t len = strlen(e->d_name);

		if (len > 8 && !strncasecmp(e->d_name, "boot", 4) &&
		    !strcasecmp(e->d_name + len - 4, ".efi"))
			found = xasprintf("%s/%s", dir, e->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

int vm_disk_arch(struct wtg_ctx *ctx, const char *disk, enum wim_arch *arch_ret)
{
	uint64_t offset = 0, size;
	char *stage = NULL, *dest = NULL, *loader = NULL, *esp = NULL;
	uint16_t machine;
	int ret;

	ret = stage_create(ctx, stage_default_parent(ctx), &stage);
	if (ret < 0)
		goto out;
	if (input_kind_of(disk) == INPUT_VHDX) {
		esp = stage_path(stage, "esp.img");
		ret = vhdx_stage_esp(ctx, disk, esp);
	} else {
		esp = xstrdup(disk);
		ret = layout_find_esp(ctx, disk, &offset, &size);
		if (ret == -WTG_ERR_NOT_BOOTABLE)
			log_error(ctx, WTG_ERR_NOT_BOOTABLE, "'%s' has no GPT partition table with an EFI system partition; is it a disk written by wintogo?",
				  disk);
	}
	if (ret < 0)
		goto out;
	dest = stage_path(stage, "Boot");
	ret = esp_read_file(ctx, esp, offset, "::/EFI/Boot", dest);
	loader = ret ? NULL : find_fallback_loader(dest);
	if (!ret && !loader)
		ret = log_error(ctx, WTG_ERR_NOT_BOOTABLE, "the ESP of '%s' has no \\EFI\\Boot\\boot*.efi; it is not a bootable disk",
				disk);
	if (!ret)
		ret = pe_read_machine(ctx, loader, &machine);
	if (!ret) {
		switch (machine) {
		case PE_MACHINE_AMD64: *arch_ret = WIM_ARCH_X64; break;
		case PE_MACHINE_ARM64: *arch_ret = WIM_ARCH_ARM64; break;
		case PE_MACHINE_I386: *arch_ret = WIM_ARCH_X86; break;
		default:
			ret = log_error(ctx, WTG_ERR_UNSUPPORTED, "the boot loader of '%s' is for machine type 0x%04x", disk,
					machine);
		}
	}
out:
	free(loader);
	free(dest);
	free(esp);
	stage_remove(stage);
	return ret;
}

/* Whether the VHDX at path holds a disk with NTFS but no system
 * partition.  A VHDX it cannot read is left to vm_convert to refuse. */
static bool vhdx_lacks_esp(struct wtg_ctx *ctx, const char *path)
{
	struct vhdx_disk *d = NULL;
	wtg_log_fn log_fn = ctx->log_fn;
	bool esp = false, ntfs = false;

	ctx->log_fn = NULL;
	if (vhdx_disk_scan(ctx, path, false, &d) == 0) {
		for (size_t i = 0; i < d->table.count; i++) {
			esp |= layout_entry_is_system(&d->table, &d->table.entries[i]);
			ntfs |= d->parts[i].filesystem && !strcmp(d->parts[i].filesystem, "ntfs");
		}
		vhdx_disk_free(d);
	}
	ctx->log_fn = log_fn;
	return ntfs && !esp;
}

int vm_route_of(struct wtg_ctx *ctx, const char *disk, bool whole_disk, enum vm_route *route_ret)
{
	struct vhdx_host host;
	int ret = 0;

	*route_ret = VM_CONVERT;
	if (whole_disk)
		return 0;
	switch (input_kind_of(disk)) {
	case INPUT_VHDX:
		if (vhdx_lacks_esp(ctx, disk))
			*route_ret = VM_REBUILD;
		break;
	case INPUT_DISK_IMAGE:
		ret = vhdx_host_find(ctx, disk, &host);
		if (ret > 0) {
			*route_ret = VM_REBUILD;
			vhdx_host_release(&host);
		}
		break;
	default:
		break;
	}
	return ret < 0 ? ret : 0;
}

static bool is_same_file(const char *path, const struct stat *other)
{
	struct stat sb;

	return stat(path, &sb) == 0 && sb.st_dev == other->st_dev && sb.st_ino == other->st_ino;
}

int vm_convert(struct wtg_ctx *ctx, const struct vm_convert_request *req,
	       struct write_result *result_ret)
{
	struct extent_list list = { 0 };
	struct block_list blocks = { 0 };  /* hashed as sent; nothing keeps them here */
	struct sink *sink = NULL;
	struct sink_format format;
	struct vhdx *vhdx = NULL;
	struct timespec t0;
	struct stat sb;
	uint64_t size;
	int fd, ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fd = open(req->disk, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) < 0) {
		ret = log_syserr(ctx, errno, "cannot open '%s'", req->disk);
		goto out;
	}
	if (S_ISBLK(sb.st_mode)) {
		ret = log_error(ctx, WTG_ERR_UNSUPPORTED, "'%s' is a disk; copy it to an image file first (dd), then convert that",
				req->disk);
		goto out;
	}
	if (is_same_file(req->target, &sb)) {
		ret = log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is the source disk itself; give another OUT", req->target);
		goto out;
	}
	format = req->format;
	if (input_kind_of(req->disk) == INPUT_VHDX) {
		ret = vhdx_open(ctx, req->disk, &vhdx);
		if (!ret) {
			const struct vhdx_disk_info *in = vhdx_info(vhdx);

			format.logical_sector = in->logical_sector;
			format.physical_sector = in->physical_sector;
			size = in->virtual_size;
			ret = vhdx_check_partition_table(ctx, vhdx);
			if (!ret)
				ret = vhdx_add_extents(ctx, vhdx, &list);
		}
	} else {
		format.logical_sector = disk_sector_size(fd);
		size = (uint64_t)sb.st_size;
		ret = extents_add_file(ctx, &list, fd, 0, size, "disk");
	}
	if (!ret)
		ret = extents_finish(ctx, &list);
	if (!ret)
		ret = sink_open_format(ctx, req->kind, req->target, size, req->force, req->flags, &format,
				       &sink);
	if (!ret)
		ret = sink_write_all(sink, &list, &blocks);
	if (!ret)
		ret = sink_finish(sink);
	if (!ret) {
		write_result_set(result_ret, &list, &t0);
		result_ret->disk_bytes = size;
	}
out:
	sink_free(sink);
	extents_release(&list);
	blocks_release(&blocks);
	vhdx_close(vhdx);
	if (fd >= 0)
		close(fd);
	return ret;
}
