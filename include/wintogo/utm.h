/* utm.h - a UTM virtual machine bundle (NAME.utm/config.plist and
 * NAME.utm/Data/DISK.qcow2) that UTM on a Mac imports as it is.
 *
 * The configuration follows UTM's own (ConfigurationVersion 4, as read
 * from the Swift sources in UTM 5.0.3's Configuration folder): Backend "QEMU", every section
 * present (UTM decodes each with `decode`, not `decodeIfPresent`), UEFI and
 * TPM 2.0 (which also turns on Secure Boot firmware), the disk on NVMe
 * (Windows' inbox stornvme driver boots it on x64 and arm64 alike).  x64
 * images get x86_64 + q35, emulated on Apple Silicon (slow: 4 cores with
 * forced multicore, as UTM's Windows guide advises); arm64 images get
 * aarch64 + virt, virtualized by HVF.  Data/ holds only the disk: UTM
 * creates efi_vars.fd and tpmdata itself and deletes files it does not
 * know. */
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
 * force is not set, or when name cannot be a file name.  Called before
 * anything is written. */
int utm_bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, bool force, char **path_ret);

/* Writes DIR/NAME.utm (built as DIR/NAME.utm.partial, renamed when
 * complete); *bundle_ret is its path.  The disk is hard-linked into Data/
 * when it can be, else copied. */
int utm_write_bundle(struct wtg_ctx *ctx, const struct utm_request *req, char **bundle_ret);

#endif
