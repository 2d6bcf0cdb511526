/* esp.h - the EFI system partition, built as a FAT32 file in the stage
 * with mkfs.fat and filled with mtools, laid out as `bcdboot /f UEFI`
 * lays it out:
 *
 *   \EFI\Microsoft\Boot\   everything in the image's Windows\Boot\EFI
 *                          (bootmgfw.efi, memtest.efi, locale folders...),
 *                          Fonts\, Resources\ and the BCD store
 *   \EFI\Boot\bootx64.efi  a copy of bootmgfw.efi: what firmware starts
 *                          from a removable disk (bootaa64.efi on arm64)
 *
 * and, on an MBR disk (esp_request.bios), as `bcdboot /f ALL` adds them:
 *
 *   \bootmgr               the image's Windows\Boot\PCAT\bootmgr
 *   \Boot\                 the rest of PCAT, Fonts\, Resources\, and BCD,
 *                          the BIOS store
 *   \ldlinux.sys ...       syslinux, which starts \bootmgr (biosboot.h)
 */
#ifndef WINTOGO_ESP_H
#define WINTOGO_ESP_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/bootfiles.h"

struct esp_request {
	const char *path;          /* the file to make */
	uint64_t bytes;
	unsigned sector_size;
	uint64_t start_sector;     /* hidden sectors: where the partition starts */
	uint32_t volume_id;
	const struct boot_files *boot;
	const char *bcd_path;      /* the BCD store to install, or NULL */
	/* an MBR disk's system partition, bootable from BIOS too: the
	 * image's Windows\Boot\PCAT files, the BIOS store bios_bcd_path as
	 * \Boot\BCD, and syslinux (biosboot.h) */
	bool bios;
	const char *bios_bcd_path;
};

int esp_build(struct wtg_ctx *ctx, const struct esp_request *req);

/* Copies the file esp_path ("::/EFI/Microsoft/Boot/BCD") out of the FAT
 * file system that starts at byte offset of image into dest. */
int esp_read_file(struct wtg_ctx *ctx, const char *image, uint64_t offset, const char *esp_path, const char *dest);

/* As esp_read_file, but a file that is not there is no error: *found_ret
 * says whether it was copied.  The last part of esp_path may hold mtools
 * wildcards (dest is then a directory).  Fails (logged) only when mcopy
 * cannot run. */
int esp_try_read_file(struct wtg_ctx *ctx, const char *image, uint64_t offset, const char *esp_path, const char *dest,
		      bool *found_ret);

#endif
