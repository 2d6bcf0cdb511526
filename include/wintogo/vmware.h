/* vmware.h - a VMware Fusion virtual machine: DIR/NAME.vmwarevm/ holding
 * NAME.vmdk (a monolithicSparse VMDK, sink_qemu_img.c) and NAME.vmx, the
 * configuration Fusion opens: UEFI firmware with Secure Boot, the disk on
 * NVMe (Windows' inbox stornvme, x64 and arm64 alike), guestOS
 * windows11-64 or arm-windows11-64, memory and CPUs.  No vTPM: Fusion
 * adds one only to an encrypted VM, with keys it makes and keeps in the
 * Mac's keychain, so it cannot be written here; Fusion asks for it (or
 * the user adds it) when Windows 11 wants one.  The bundle is made as
 * NAME.vmwarevm.partial, locked (bundle.h). */
#ifndef WINTOGO_VMWARE_H
#define WINTOGO_VMWARE_H

#include "wintogo/bundle.h"

/* DIR/NAME.vmwarevm, refused as bundle_path does; before anything is written. */
int vmware_bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, bool force, char **path_ret);

/* Writes the bundle; *bundle_ret is its path.  Logged. */
int vmware_write_bundle(struct wtg_ctx *ctx, const struct vm_bundle_request *req, char **bundle_ret);

#endif
