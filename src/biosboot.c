/* biosboot.c - syslinux as the BIOS boot code of an MBR disk (see
 * biosboot.h). */
#include "wintogo/biosboot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/mtools.h"
#include "wintogo/util.h"

#define SYSLINUX_MBR "/usr/lib/syslinux/mbr/mbr.bin"
#define SYSLINUX_MODULES "/usr/lib/syslinux/modules/bios"

/* What chain.c32 needs beside it (its ELF dependencies). */
static const char *const modules[] = { "chain.c32", "libcom32.c32", "libutil.c32" };

/* "fs": boot the partition syslinux is on; "ntldr=": as an NT boot sector
 * does (with "boot" instead, a real BOOTMGR hangs). */
static const char config[] =
	"# wintogo: start Windows' boot manager, as the NT boot sector would\n"
	"DEFAULT bootmgr\n"
	"PROMPT 0\n"
	"TIMEOUT 0\n"
	"LABEL bootmgr\n"
	"  COM32 chain.c32\n"
	"  APPEND fs ntldr=/bootmgr\n";

static char *module_path(const char *name)
{
	return xasprintf("%s/%s", SYSLINUX_MODULES, name);
}

int biosboot_check(struct wtg_ctx *ctx)
{
	int ret = 0;

	if (access(SYSLINUX_MBR, R_OK) < 0)
		ret = log_error(ctx, WTG_ERR_TOOL_FAILED, "cannot read '%s': an MBR disk needs syslinux's boot code; install the packages syslinux and syslinux-common",
				SYSLINUX_MBR);
	for (size_t i = 0; i < ARRAY_SIZE(modules) && !ret; i++) {
		char *path = module_path(modules[i]);

		if (access(path, R_OK) < 0)
			ret = log_error(ctx, WTG_ERR_TOOL_FAILED, "cannot read '%s': an MBR disk needs it; install the package syslinux-common",
					path);
		free(path);
	}
	return ret;
}

int biosboot_install_mbr(struct wtg_ctx *ctx, const char *path)
{
	uint8_t code[BIOSBOOT_MBR_CODE_BYTES];
	int in = open(SYSLINUX_MBR, O_RDONLY | O_CLOEXEC), out = -1, ret;

	if (in < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", SYSLINUX_MBR);
	ret = pread_all(in, code, sizeof(code), 0);
	if (ret < 0) {
		ret = log_syserr(ctx, ret == -ENODATA ? EINVAL : -ret, "cannot read the boot code '%s'", SYSLINUX_MBR);
		goto out;
	}
	out = open(path, O_WRONLY | O_CLOEXEC);
	ret = out < 0 ? -errno : pwrite_all(out, code, sizeof(code), 0);
	if (ret < 0)
		ret = log_syserr(ctx, -ret, "cannot write the MBR boot code into '%s'", path);
out:
	if (out >= 0)
		close(out);
	close(in);
	return ret;
}

/* syslinux writes the boot sector; the FAT32 backup boot sector (the
 * BPB's sector number at 0x32) keeps mkfs.fat's copy unless it follows. */
static int copy_boot_sector_to_backup(struct wtg_ctx *ctx, const char *fat_path)
{
	uint8_t sector[512];
	int fd = open(fat_path, O_RDWR | O_CLOEXEC), ret;
	unsigned backup;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", fat_path);
	ret = pread_all(fd, sector, sizeof(sector), 0);
	backup = sector[0x32] | sector[0x33] << 8;
	/* 512-byte sectors only (biosboot.h); 0 or 0xffff: no backup */
	if (!ret && backup && backup != 0xffff && backup < 32)
		ret = pwrite_all(fd, sector, sizeof(sector), (off_t)backup * 512);
	if (ret < 0)
		ret = log_syserr(ctx, ret == -ENODATA ? EIO : -ret, "cannot copy the boot sector of '%s' to its backup",
				 fat_path);
	close(fd);
	return ret;
}

/* mcopy of sources (n of them) to dest on image, overwriting. */
static int mcopy_to(struct wtg_ctx *ctx, const struct mtools_image *image, const char *const sources[], size_t n,
		    const char *dest)
{
	const char *argv[ARRAY_SIZE(modules) + 7];
	size_t k = 0;

	argv[k++] = "mcopy";
	argv[k++] = "-D";
	argv[k++] = "o";
	argv[k++] = "-i";
	argv[k++] = image->name;
	for (size_t i = 0; i < n && i < ARRAY_SIZE(modules); i++)
		argv[k++] = sources[i];
	argv[k++] = dest;
	argv[k] = NULL;
	return mtools_run(ctx, "copying syslinux's files to the system partition", image, argv);
}

static int copy_files(struct wtg_ctx *ctx, const struct mtools_image *image, const char *cfg_path)
{
	char *paths[ARRAY_SIZE(modules)];
	const char *cfg[] = { cfg_path };
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(modules); i++)
		paths[i] = module_path(modules[i]);
	ret = mcopy_to(ctx, image, (const char *const *)paths, ARRAY_SIZE(modules), "::/");
	/* the one place syslinux looks for it besides /boot/syslinux and /syslinux */
	if (!ret)
		ret = mcopy_to(ctx, image, cfg, 1, "::/syslinux.cfg");
	for (size_t i = 0; i < ARRAY_SIZE(modules); i++)
		free(paths[i]);
	return ret;
}

int biosboot_install_vbr(struct wtg_ctx *ctx, const char *fat_path)
{
	struct mtools_image image = { .fd = -1 };
	char *cfg = xasprintf("%s.syslinux.cfg", fat_path);
	const char *install[] = { "syslinux", "--install", NULL, NULL };
	int fd = open(cfg, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = fd < 0 ? -errno : pwrite_all(fd, config, strlen(config), 0);

	if (fd >= 0)
		close(fd);
	if (ret < 0)
		ret = log_syserr(ctx, -ret, "cannot write '%s'", cfg);
	if (!ret)
		ret = mtools_image_open(ctx, fat_path, 0, true, &image);
	/* syslinux opens the device it is named: the image, handed over open */
	install[2] = image.name;
	if (!ret)
		ret = mtools_run(ctx, "installing syslinux on the system partition", &image, install);
	if (!ret)
		ret = copy_files(ctx, &image, cfg);
	mtools_image_close(&image);
	if (!ret)
		ret = copy_boot_sector_to_backup(ctx, fat_path);
	unlink(cfg);
	free(cfg);
	return ret;
}
