/* bootfacts.h - what a Windows image or a written disk offers a machine's
 * firmware, read for the probe:
 *
 *   a WIM, ESD or split SWM set,  the image's architecture, build, edition
 *   a Windows ISO, or a VHDX      and name (wim.c), and its boot manager,
 *                                 Windows\Boot\EFI\bootmgfw.efi: the
 *                                 \EFI\Boot\boot<arch>.efi of the disk
 *                                 `write` makes from it, with its PE
 *                                 machine type and signature.  A VHDX is
 *                                 judged by the Windows inside it
 *                                 (vhdx_windows.h), as `write` takes it:
 *                                 the disk it writes from a VHDX has a new
 *                                 ESP made from that Windows' boot files
 *   a disk or disk image          its partition table (libfdisk), its EFI
 *                                 system partition (or an MBR disk's
 *                                 active FAT32 one, with the BIOS boot
 *                                 code in its MBR and boot sector,
 *                                 \bootmgr and \Boot\BCD), the \EFI\Boot\boot*.efi
 *                                 fallback loaders on it (mtools) with their
 *                                 PE machine types and signatures, and
 *                                 whether \EFI\Microsoft\Boot\BCD is there,
 *                                 and the NAME.utm of a WINTOGO-VM
 *                                 partition (vmpart.h), read from its
 *                                 exFAT without mounting it (exfat_dir.h)
 *
 * Nothing is written.  The Windows build of a disk is not read (it would
 * take the NTFS partition's SOFTWARE hive): build stays 0 there. */
#ifndef WINTOGO_BOOTFACTS_H
#define WINTOGO_BOOTFACTS_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wintogo/authenticode.h"
#include "wintogo/wim.h"

enum boot_input { BOOT_INPUT_IMAGE, BOOT_INPUT_DISK };

#define BOOT_LOADERS_MAX 8
#define BOOT_ARCHS_MAX 8

struct boot_loader {
	char name[32];           /* as on the ESP: "bootx64.efi", "BOOTAA64.EFI" */
	enum wim_arch arch;      /* from its PE machine type; unknown if not PE */
	uint16_t machine;
	bool signed_;            /* carries an Authenticode signature */
	enum sb_ca ca;           /* who signed it, of the signatures that hold
				    (authenticode.h); SB_CA_NONE: unsigned, or
				    none holds (signed_ tells which) */
	bool ex;                 /* an image's: the 2023-signed
				    Windows\Boot\EFI_EX\bootmgfw_EX.efi, which
				    write --secure-boot-ca auto puts first */
	uint16_t subsystem;      /* PE_SUBSYSTEM_*: firmware starts only an
				    EFI application; 0 if not PE */
};

struct boot_facts {
	enum boot_input input;
	char *path;

	/* an image (and a disk's loaders): WIM_ARCH_UNKNOWN when not known */
	enum wim_arch arch;
	unsigned build;          /* 0: not known; for several images the lowest */
	int index;               /* the image probed; 0: all of image_count */
	int image_count;
	char *image_name;        /* NULL for several images */
	char *edition;
	/* several images for different architectures, none chosen: arch is
	 * WIM_ARCH_UNKNOWN, and these are theirs (boot_facts_need_index) */
	enum wim_arch archs[BOOT_ARCHS_MAX];
	size_t n_archs;

	/* an image that write --partition-table mbr is about to write (write
	 * --host): the disk will start from BIOS too */
	bool writes_mbr;

	/* a disk */
	const char *table;       /* "gpt", "dos", or NULL: no partition table */
	bool blank;              /* no table, zeros, no signature (layout_is_blank) */
	bool esp;                /* an EFI system partition */
	bool esp_fat;            /* its boot sector is FAT12/16/32 */
	/* a disk's \EFI\Boot\boot*.efi; an image's bootmgfw.efi, when read
	 * (0 or 1 of them: not read from an ISO, whose install image is
	 * copied out only to write it), unsigned if any image's is */
	struct boot_loader loaders[BOOT_LOADERS_MAX];
	size_t n_loaders;
	bool bcd;                /* \EFI\Microsoft\Boot\BCD, a registry hive */
	bool vhdx_boot;          /* whose loader boots Windows from a VHDX
				    (write --vhdx, vhdx_boot.h) */
	bool mbr_active;         /* an MBR disk with an active partition */
	/* an MBR disk whose active partition is FAT (write --partition-table
	 * mbr: the system partition, read as its ESP): what BIOS starts */
	bool bios_system;
	bool mbr_code;           /* boot code in the MBR's 440 bytes */
	bool vbr_code;           /* boot code in the partition's boot sector
				    (not zeros, not mkfs.fat's "not a bootable
				    disk" stub) */
	bool bootmgr;            /* \bootmgr on it */
	bool bios_bcd;           /* \Boot\BCD on it, a registry hive */
	bool block_device;
	int removable;           /* a block device's removable flag; -1 unknown */
	/* a WINTOGO-VM partition (write --vm-partition): its number (0: none)
	 * and the NAME.utm in its root (NULL: none, or not readable) */
	unsigned vm_partition;
	char *vm_bundle;
};

/* Reads path: a WIM/ESD/SWM or an ISO (image index, 0 for every image),
 * a VHDX (the Windows on it), or else a disk or disk image.  Fails
 * (logged) for a file that is none of these, an index out of range, or a
 * disk that cannot be read. */
int boot_facts_read(struct wtg_ctx *ctx, const char *path, int index, struct boot_facts *facts_ret);

/* Refuses (logged, -WTG_ERR_IMAGE_NOT_CHOSEN) to judge facts whose images
 * are for several architectures, for when the host alone does not decide:
 * "choose one with --index N". */
int boot_facts_need_index(struct wtg_ctx *ctx, const struct boot_facts *facts);

/* The facts of an image already opened (for `write --host`), without its
 * boot manager: boot_facts_read_loader adds it. */
void boot_facts_from_image(const char *path, const struct wim_image *image,
			   struct boot_facts *facts_ret);

/* Adds the boot manager of image index of source to the facts of an
 * image: the loader the disk written from it starts from, as write
 * --secure-boot-ca auto chooses it (boot_managers_choose): Windows\Boot\
 * EFI_EX\bootmgfw_EX.efi when it is signed under Windows UEFI CA 2023,
 * else Windows\Boot\EFI\bootmgfw.efi.  An image without it
 * adds nothing.  The WIM's data must be there (not an ISO's install image
 * staged in part).  Fails (logged) when wimlib cannot extract it. */
int boot_facts_read_loader(struct wtg_ctx *ctx, struct wim_source *source, int index,
			   struct boot_facts *facts);

void boot_facts_release(struct boot_facts *facts);

#endif
