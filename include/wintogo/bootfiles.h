/* bootfiles.h - the boot files of a Windows image (Windows/Boot/EFI, Fonts,
 * Resources, and PCAT for BIOS), extracted from the WIM into the stage, and the name the
 * firmware's fallback loader must have for the image's architecture. */
#ifndef WINTOGO_BOOTFILES_H
#define WINTOGO_BOOTFILES_H

#include "wintogo/ctx.h"

#include <stdint.h>

#include "wintogo/authenticode.h"
#include "wintogo/wim.h"

struct boot_files {
	char *efi_dir;        /* the extracted Windows/Boot/EFI */
	char *fonts_dir;      /* Windows/Boot/Fonts, or NULL if the image has none */
	char *resources_dir;  /* Windows/Boot/Resources, or NULL */
	char *bootmgfw;       /* efi_dir/bootmgfw.efi */
	char *bcd_template;   /* Windows/System32/config/BCD-Template, or NULL */
	uint16_t machine;     /* PE machine type of bootmgfw.efi */
	const char *fallback_name;  /* "bootx64.efi", "bootaa64.efi", "bootia32.efi" */
	char *efi_ex_dir;     /* Windows/Boot/EFI_EX (2023-signed), or NULL */
	char *fonts_ex_dir;   /* Windows/Boot/Fonts_EX, or NULL */
	char *pcat_dir;       /* Windows/Boot/PCAT (BIOS boot files), or NULL */
	char *pcat_bootmgr;   /* pcat_dir/bootmgr, or NULL */
};

/* The BIOS boot manager in an image (bcdboot /f BIOS copies it to the
 * system partition's root). */
#define BOOT_PCAT_BOOTMGR "/Windows/Boot/PCAT/bootmgr"

/* Refuses (logged: use GPT) image index of source when it has no
 * BOOT_PCAT_BOOTMGR: an MBR disk must start from BIOS too.  Read before
 * anything is written. */
int boot_files_check_pcat(struct wtg_ctx *ctx, struct wim_source *source, int index);

/* Extracts the boot files of image index (and its BCD-Template, when it
 * has one) into stage_dir/boot and checks
 * that bootmgfw.efi is built for the image's architecture arch.  Refuses
 * (logged) an image without Windows/Boot/EFI/bootmgfw.efi. */
int boot_files_extract(struct wtg_ctx *ctx, struct wim_source *source, int index, enum wim_arch arch,
		       const char *stage_dir, struct boot_files *files_ret);
void boot_files_release(struct boot_files *files);

/* Puts the 2023-signed set in the place of the other, as Rufus and
 * `bcdboot /bootex` do: each file of EFI_EX and Fonts_EX replaces the
 * one of EFI and Fonts whose name it has without "_EX" (bootmgfw_EX.efi
 * becomes bootmgfw.efi, and so the ESP's \EFI\Boot\boot<arch>.efi).
 * Refuses (logged) files without an EFI_EX. */
int boot_files_use_ex(struct wtg_ctx *ctx, struct boot_files *files);

/* The Secure Boot choice, write --secure-boot-ca. */
enum sb_choice {
	SB_CHOICE_AUTO,   /* the 2023-signed set when the image has it */
	SB_CHOICE_2023,   /* the 2023-signed set, or refuse the image */
	SB_CHOICE_2011,   /* Windows/Boot/EFI as it is */
};

/* An image's two boot managers, read before anything is written:
 * Windows/Boot/EFI/bootmgfw.efi and Windows/Boot/EFI_EX/bootmgfw_EX.efi
 * (current images), each with who signed it. */
struct boot_managers {
	bool efi, ex;                 /* present */
	struct authenticode efi_sig, ex_sig;
	bool use_ex;                  /* the choice made: the EFI_EX set */
	enum sb_ca ca;                /* who signed the one chosen */
	uint16_t machine;             /* its PE machine type; 0: not a PE */
	uint16_t subsystem;           /* its PE subsystem; 0: not a PE */
};

/* Reads both (extracted into a stage of its own, then removed) and
 * chooses by choice: auto takes EFI_EX when it is signed under Windows
 * UEFI CA 2023, and warns when what it takes is signed only under PCA
 * 2011; 2023 refuses (logged) an image without such a set.  An image
 * without bootmgfw.efi is left for boot_files_extract to refuse. */
int boot_managers_choose(struct wtg_ctx *ctx, struct wim_source *source, int index, enum sb_choice choice,
			 struct boot_managers *bm_ret);

/* "Windows\Boot\EFI_EX" or "Windows\Boot\EFI": where the boot manager
 * chosen comes from. */
const char *boot_managers_set_name(const struct boot_managers *bm);

/* The PE machine type of an architecture's EFI applications (0 for none),
 * and back (WIM_ARCH_UNKNOWN). */
uint16_t boot_machine_of(enum wim_arch arch);
enum wim_arch boot_arch_of(uint16_t machine);

/* The loader UEFI firmware for machine starts from a removable disk, in
 * \EFI\Boot: "bootx64.efi", "bootaa64.efi", "bootia32.efi"; NULL for
 * other machines. */
const char *boot_fallback_name(uint16_t machine);

#endif
