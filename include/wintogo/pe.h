/* pe.h - the machine type and subsystem of a PE image (an EFI application). */
#ifndef WINTOGO_PE_H
#define WINTOGO_PE_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#define PE_MACHINE_I386 0x014c
#define PE_MACHINE_AMD64 0x8664
#define PE_MACHINE_ARM64 0xaa64

/* Optional header Subsystem values: what starts the image. */
#define PE_SUBSYSTEM_EFI_APPLICATION 10
#define PE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER 11
#define PE_SUBSYSTEM_EFI_RUNTIME_DRIVER 12
#define PE_SUBSYSTEM_EFI_ROM 13

struct pe_info {
	uint16_t machine;     /* COFF machine field */
	uint16_t subsystem;   /* optional header Subsystem; 0 when the optional
				 header is too short to hold it */
	bool signed_;         /* has a certificate table (an Authenticode
				 signature); who signed it is not checked */
};

/* Reads the machine type, the subsystem and whether the image is signed.  Returns 0, or
 * -WTG_ERR_NOT_AN_IMAGE (logged) when the file is not a PE image (one
 * that cannot be opened: the code its errno says). */
int pe_read_info(struct wtg_ctx *ctx, const char *path, struct pe_info *info_ret);

/* Reads the COFF machine field of the PE file at path.  Fails as
 * pe_read_info does. */
int pe_read_machine(struct wtg_ctx *ctx, const char *path, uint16_t *machine_ret);

/* "x64", "arm64", "x86" or "unknown". */
const char *pe_machine_name(uint16_t machine);

/* "EFI application", "EFI boot service driver", "EFI runtime driver",
 * "EFI ROM", "Windows GUI", "Windows console", "native" or "unknown". */
const char *pe_subsystem_name(uint16_t subsystem);

#endif
