/* bootfiles.h - the boot files of a Windows image (Windows/Boot/EFI, Fonts,
 * Resources), extracted from the WIM into the stage, and the name the
 * firmware's fallback loader must have for the image's architecture. */
#ifndef WINTOGO_BOOTFILES_H
#define WINTOGO_BOOTFILES_H

#include "wintogo/ctx.h"

#include <stdint.h>

#include "wintogo/wim.h"

struct boot_files {
	char *efi_dir;        /* the extracted Windows/Boot/EFI */
	char *fonts_dir;      /* Windows/Boot/Fonts, or NULL if the image has none */
	char *resources_dir;  /* Windows/Boot/Resources, or NULL */
	char *bootmgfw;       /* efi_dir/bootmgfw.efi */
	char *bcd_template;   /* Windows/System32/config/BCD-Template, or NULL */
	uint16_t machine;     /* PE machine type of bootmgfw.efi */
	const char *fallback_name;  /* "bootx64.efi", "bootaa64.efi", "bootia32.efi" */
};

/* Extracts the boot files of image index (and its BCD-Template, when it
 * has one) into stage_dir/boot and checks
 * that bootmgfw.efi is built for the image's architecture arch.  Refuses
 * (logged) an image without Windows/Boot/EFI/bootmgfw.efi. */
int boot_files_extract(struct wtg_ctx *ctx, struct wim_source *source, int index, enum wim_arch arch,
		       const char *stage_dir, struct boot_files *files_ret);
void boot_files_release(struct boot_files *files);

/* The PE machine type of an architecture's EFI applications (0 for none),
 * and back (WIM_ARCH_UNKNOWN). */
uint16_t boot_machine_of(enum wim_arch arch);
enum wim_arch boot_arch_of(uint16_t machine);

/* The loader UEFI firmware for machine starts from a removable disk, in
 * \EFI\Boot: "bootx64.efi", "bootaa64.efi", "bootia32.efi"; NULL for
 * other machines. */
const char *boot_fallback_name(uint16_t machine);

#endif
