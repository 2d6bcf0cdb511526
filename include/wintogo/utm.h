/* utm.h - a UTM virtual machine bundle (NAME.utm/config.plist and
 * NAME.utm/Data/DISK.qcow2) that UTM on a Mac imports as it is.
 *
 * The configuration follows UTM's own (ConfigurationVersion 4, as read
 * from the Swift sources in UTM 5.0.3's Configuration folder): Backend
 * "QEMU", every section present (UTM decodes each with `decode`, not
 * `decodeIfPresent`), and per architecture what UTM's Windows wizard
 * writes (utm.c says where we differ and why): UEFI and TPM 2.0 (which
 * also turns on Secure Boot firmware; UTM 4.3.2 or later), x64 images as
 * x86_64 + q35 with the disk on IDE (AHCI), emulated on Apple Silicon;
 * arm64 images as aarch64 + virt with the disk on NVMe, virtualized by
 * HVF; and an empty removable CD drive for UTM's guest tools.  Data/
 * holds only the disk: UTM creates efi_vars.fd and tpmdata itself and
 * deletes files it does not know.  The plist is written with libxml2;
 * the bundle is made as NAME.utm.partial, locked (bundle.h). */
#ifndef WINTOGO_UTM_H
#define WINTOGO_UTM_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/wim.h"

struct utm_request {
	const char *dir;          /* the bundle is made in here */
	const char *name;         /* the VM's name: NAME.utm */
	const char *disk;         /* the QCOW2 to put in Data/ */
	enum wim_arch arch;       /* WIM_ARCH_X64 or WIM_ARCH_ARM64 */
	unsigned cpus;
	uint64_t memory_mib;
	bool seeded;              /* UUIDs and MAC address from seed */
	uint64_t seed;
	bool force;               /* replace an existing bundle */
};

/* DIR/NAME.utm, newly allocated; refused (logged) when it exists and
 * force is not set, or when name cannot be a VM's name (vm_name_check).
 * Called before anything is written. */
int utm_bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, bool force, char **path_ret);

/* Writes DIR/NAME.utm (built as DIR/NAME.utm.partial, locked, renamed
 * when complete; nothing of it is left on failure); *bundle_ret is its
 * path.  The disk is hard-linked into Data/ when it can be, else copied
 * (another file system). */
int utm_write_bundle(struct wtg_ctx *ctx, const struct utm_request *req, char **bundle_ret);

#endif
