/* pe.h - the machine type of a PE image (an EFI application). */
#ifndef WINTOGO_PE_H
#define WINTOGO_PE_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#define PE_MACHINE_I386 0x014c
#define PE_MACHINE_AMD64 0x8664
#define PE_MACHINE_ARM64 0xaa64

struct pe_info {
	uint16_t machine;     /* COFF machine field */
	bool signed_;         /* has a certificate table (an Authenticode
				 signature); who signed it is not checked */
};

/* Reads the machine type and whether the image is signed.  Returns 0, or
 * -WTG_ERR_NOT_AN_IMAGE (logged) when the file is not a PE image (one
 * that cannot be opened: the code its errno says). */
int pe_read_info(struct wtg_ctx *ctx, const char *path, struct pe_info *info_ret);

/* Reads the COFF machine field of the PE file at path.  Fails as
 * pe_read_info does. */
int pe_read_machine(struct wtg_ctx *ctx, const char *path, uint16_t *machine_ret);

/* "x64", "arm64", "x86" or "unknown". */
const char *pe_machine_name(uint16_t machine);

#endif
