/* host.h - the machine a disk is meant to boot on: one named by the user
 * (a kind such as "intel-mac-t2", or a Mac model identifier such as
 * "Mac14,2"), or this machine, detected from sysfs.
 *
 * Detection reads, below the sysfs root (the context's hooks.sysfs_root, else /sys):
 *   firmware/devicetree/base/compatible   "apple,j413", "apple,t8112": an
 *                                         Apple Silicon Mac by its SoC
 *   class/dmi/id/sys_vendor, board_vendor, product_name
 *                                         "Apple Inc." + "MacBookPro16,1"
 *   bus/pci/devices/x/vendor, device      106b:1801 / 106b:1802: a T2 chip
 *   firmware/efi, firmware/efi/fw_platform_size
 *                                         UEFI (32- or 64-bit) or BIOS
 *   firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c
 *                                         Secure Boot on or off
 *   devices/system/cpu/modalias           "cpu:type:x86" or "cpu:type:aarch64"
 * In a virtual machine these describe the VM, not the machine under it. */
#ifndef WINTOGO_HOST_H
#define WINTOGO_HOST_H

#include "wintogo/ctx.h"

#include <stdbool.h>

#include "wintogo/macmodels.h"
#include "wintogo/wim.h"

enum host_kind {
	HOST_APPLE_SILICON,
	HOST_INTEL_MAC,
	HOST_INTEL_MAC_T2,
	HOST_PC_UEFI,
	HOST_PC_BIOS,
	/* an ARM64 PC (Snapdragon): UEFI starting bootaa64.efi, shipped with
	 * Secure Boot on; it starts a USB disk from its boot menu */
	HOST_PC_ARM64,
	HOST_KIND_COUNT,
};

struct host {
	enum host_kind kind;
	bool detected;               /* this machine, not one named by the user */
	enum wim_arch cpu_arch;      /* WIM_ARCH_X64 or WIM_ARCH_ARM64 */
	/* The EFI loaders the firmware starts: x64, arm64, or x86 for 32-bit
	 * UEFI; WIM_ARCH_UNKNOWN for BIOS and Apple Silicon's iBoot. */
	enum wim_arch firmware_arch;
	int secure_boot;             /* 1 on, 0 off, -1 unknown */
	struct mac_model mac;        /* identifier "" when no model is known */
	bool mac_in_table;           /* mac came from the model table */
	char vendor[64];             /* DMI sys_vendor, when detected */
	char product[64];            /* DMI product_name, when detected */
	char evidence[512];          /* the facts the kind was decided from */
};

/* "apple-silicon", "intel-mac", "intel-mac-t2", "pc-uefi", "pc-bios",
 * "pc-arm64". */
const char *host_kind_name(enum host_kind kind);
/* "Apple Silicon Mac", "Intel Mac", "Intel Mac with a T2 chip", ... */
const char *host_kind_title(enum host_kind kind);

/* The host called name: "auto" (this machine, see host_detect), a kind
 * name, or a Mac model identifier looked up in the model table.  A named
 * kind has Secure Boot unknown, but pc-arm64 has it on: ARM64 PCs ship
 * so, and not every one lets it be turned off.  Returns
 * 0, or -WTG_ERR_INVALID_ARGUMENT (not logged) when name is none of
 * these: a usage error for the caller to report. */
int host_resolve(struct wtg_ctx *ctx, const char *name, struct host *host_ret);

/* This machine, from the sysfs root.  Never fails: what cannot be read
 * makes it a PC (UEFI when firmware/efi exists, else BIOS; an ARM64 PC
 * when its UEFI runs an aarch64 CPU). */
void host_detect(struct wtg_ctx *ctx, struct host *host_ret);

#endif
