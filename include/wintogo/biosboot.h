/* biosboot.h - what makes an MBR disk start Windows' BOOTMGR from BIOS,
 * with syslinux (packages syslinux and syslinux-common), as no Windows
 * boot code is packaged in Debian:
 *
 *   MBR, bytes 0-439   syslinux's mbr.bin: loads the active partition's
 *                      boot sector
 *   system partition   its boot sector and \ldlinux.sys, \ldlinux.c32,
 *                      written by `syslinux --install` on the staged FAT
 *                      image through mtools (no mount, no root);
 *                      \chain.c32, \libcom32.c32, \libutil.c32 and
 *                      \syslinux.cfg, which has chain.c32 load \bootmgr
 *                      the way an NT boot sector does (ntldr=: the file
 *                      at 2000:0000, the partition's boot sector at
 *                      0:7C00, DL the drive)
 *
 * syslinux over GRUB: everything but the MBR's 440 bytes is files on the
 * FAT (GRUB's core.img lives in the unpartitioned gap after the MBR, which
 * some tools and Windows itself overwrite), syslinux installs rootless on
 * an image file, and it is a few hundred KiB. */
#ifndef WINTOGO_BIOSBOOT_H
#define WINTOGO_BIOSBOOT_H

#include "wintogo/ctx.h"

#define BIOSBOOT_MBR_CODE_BYTES 440

/* Fails (logged, naming the packages) unless syslinux and its files are
 * installed: checked before anything is written. */
int biosboot_check(struct wtg_ctx *ctx);

/* Writes mbr.bin's 440 bytes at the start of the disk image path. */
int biosboot_install_mbr(struct wtg_ctx *ctx, const char *path);

/* Makes the FAT32 file system image at fat_path (an ESP image of its
 * own, offset 0) start \bootmgr from BIOS: syslinux --install, the
 * modules and syslinux.cfg, and the boot sector's backup kept equal to it
 * (fsck.fat checks that). */
int biosboot_install_vbr(struct wtg_ctx *ctx, const char *fat_path);

#endif
