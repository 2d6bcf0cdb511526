/* esp.c - the EFI system partition built in the stage (see esp.h). */
#include "wintogo/esp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "wintogo/biosboot.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/mtools.h"
#include "wintogo/run.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

/* mtools checks geometry against the FAT's own and would refuse some
 * valid 4Kn volumes: skip that check, as mtools' manual suggests. */

static int format_fat32(struct wtg_ctx *ctx, const struct esp_request *req)
{
	char sector[16], hidden[32], volid[16];
	const char *argv[] = { "mkfs.fat", "-F", "32", "-S", sector, "-s", "1", "-h", hidden,
			       "-i", volid, "-n", "SYSTEM", RUN_FILE_PATH, NULL };

	int fd = open(req->path, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s' to format the ESP", req->path);
	snprintf(sector, sizeof(sector), "%u", req->sector_size);
	snprintf(hidden, sizeof(hidden), "%llu", (unsigned long long)req->start_sector);
	snprintf(volid, sizeof(volid), "%08X", req->volume_id);
	ret = run_program(ctx, "formatting the ESP", argv, NULL, fd);
	close(fd);
	return ret;
}

static int mmd(struct wtg_ctx *ctx, const struct mtools_image *image, const char *dir)
{
	const char *argv[] = { "mmd", "-i", image->name, dir, NULL };

	return mtools_run(ctx, "making a folder on the ESP", image, argv);
}

static int mcopy(struct wtg_ctx *ctx, const struct mtools_image *image, const char *const sources[], size_t n,
		 const char *dest)
{
	const char **argv = xcalloc(n + 8, sizeof(char *));
	size_t i = 0;
	int ret;

	argv[i++] = "mcopy";
	argv[i++] = "-s";        /* folders with their contents */
	argv[i++] = "-D";
	argv[i++] = "o";         /* overwrite, never ask */
	argv[i++] = "-i";
	argv[i++] = image->name;
	for (size_t k = 0; k < n; k++)
		argv[i++] = sources[k];
	argv[i++] = dest;
	ret = mtools_run(ctx, "copying boot files to the ESP", image, argv);
	free(argv);
	return ret;
}

/* Copies every entry of dir (not dir itself) but skip (or NULL) into
 * dest on the ESP. */
static int copy_contents(struct wtg_ctx *ctx, const struct mtools_image *image, const char *dir, const char *dest,
			 const char *skip)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **sources = NULL;
	size_t n = 0;
	int ret = 0;

	if (!d)
		return log_syserr(ctx, errno, "cannot read '%s'", dir);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || (skip && !strcasecmp(e->d_name, skip)))
			continue;
		sources = xrealloc(sources, (n + 1) * sizeof(char *));
		sources[n++] = xasprintf("%s/%s", dir, e->d_name);
	}
	closedir(d);
	if (n)
		ret = mcopy(ctx, image, (const char *const *)sources, n, dest);
	for (size_t i = 0; i < n; i++)
		free(sources[i]);
	free(sources);
	return ret;
}

static int copy_one(struct wtg_ctx *ctx, const struct mtools_image *image, const char *source, const char *dest)
{
	const char *sources[] = { source };

	return mcopy(ctx, image, sources, 1, dest);
}

/* The BIOS half of the system partition, as bcdboot /f BIOS lays it out:
 * \bootmgr, the rest of Windows\Boot\PCAT in \Boot with the fonts and
 * resources, and the BIOS store as \Boot\BCD. */
static int add_bios_files(struct wtg_ctx *ctx, const struct mtools_image *image, const struct esp_request *req)
{
	const struct boot_files *b = req->boot;
	int ret;

	if (!b->pcat_bootmgr)
		return log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "the image has no Windows/Boot/PCAT/bootmgr for BIOS; use --partition-table gpt");
	ret = mmd(ctx, image, "::/Boot");
	if (!ret)
		ret = copy_one(ctx, image, b->pcat_bootmgr, "::/bootmgr");
	if (!ret)
		ret = copy_contents(ctx, image, b->pcat_dir, "::/Boot/", "bootmgr");
	if (!ret && b->fonts_dir)
		ret = copy_one(ctx, image, b->fonts_dir, "::/Boot/");
	if (!ret && b->resources_dir)
		ret = copy_one(ctx, image, b->resources_dir, "::/Boot/");
	if (!ret)
		ret = copy_one(ctx, image, req->bios_bcd_path, "::/Boot/BCD");
	return ret;
}

int esp_build(struct wtg_ctx *ctx, const struct esp_request *req)
{
	const struct boot_files *b = req->boot;
	static const char *const dirs[] = { "::/EFI", "::/EFI/Boot", "::/EFI/Microsoft",
					    "::/EFI/Microsoft/Boot" };
	char *fallback = xasprintf("::/EFI/Boot/%s", b->fallback_name);
	struct mtools_image image = { .fd = -1 };
	int ret;

	ret = layout_check_esp(ctx, req->bytes, req->sector_size);
	if (!ret)
		ret = stage_make_file(ctx, req->path, req->bytes);
	if (!ret)
		ret = format_fat32(ctx, req);
	if (!ret)
		ret = mtools_image_open(ctx, req->path, 0, true, &image);
	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !ret; i++)
		ret = mmd(ctx, &image, dirs[i]);
	if (!ret)
		ret = copy_contents(ctx, &image, b->efi_dir, "::/EFI/Microsoft/Boot/", NULL);
	if (!ret && b->fonts_dir)
		ret = copy_one(ctx, &image, b->fonts_dir, "::/EFI/Microsoft/Boot/");
	if (!ret && b->resources_dir)
		ret = copy_one(ctx, &image, b->resources_dir, "::/EFI/Microsoft/Boot/");
	if (!ret)
		ret = copy_one(ctx, &image, b->bootmgfw, fallback);
	if (!ret && req->bcd_path)
		ret = copy_one(ctx, &image, req->bcd_path, "::/EFI/Microsoft/Boot/BCD");
	if (!ret && req->bios)
		ret = add_bios_files(ctx, &image, req);
	mtools_image_close(&image);
	/* syslinux works on the image itself, once mtools is done with it */
	if (!ret && req->bios)
		ret = biosboot_install_vbr(ctx, req->path);
	free(fallback);
	return ret;
}

static int mcopy_out(struct wtg_ctx *ctx, const char *image, uint64_t offset, const char *esp_path, const char *dest,
		     int *status_ret)
{
	struct mtools_image source;
	int ret = mtools_image_open(ctx, image, offset, false, &source);
	const char *argv[] = { "mcopy", "-n", "-i", source.name, esp_path, dest, NULL };

	if (ret < 0)
		return ret;
	ret = status_ret ? mtools_run_status(ctx, "reading a file from the ESP", &source, argv, status_ret)
			 : mtools_run(ctx, "reading a file from the ESP", &source, argv);
	mtools_image_close(&source);
	return ret;
}

int esp_read_file(struct wtg_ctx *ctx, const char *image, uint64_t offset, const char *esp_path, const char *dest)
{
	return mcopy_out(ctx, image, offset, esp_path, dest, NULL);
}

int esp_try_read_file(struct wtg_ctx *ctx, const char *image, uint64_t offset, const char *esp_path, const char *dest,
		      bool *found_ret)
{
	int status, ret = mcopy_out(ctx, image, offset, esp_path, dest, &status);

	if (!ret)
		*found_ret = status == 0;
	return ret;
}
