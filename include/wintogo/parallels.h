/* parallels.h - a Parallels Desktop disk and the commands that make its VM.
 *
 * DIR/NAME.hdd/ is a Parallels disk as QEMU's docs/interop/prl-xml.rst
 * documents it: DiskDescriptor.xml (one storage, Blocksize 2048 sectors,
 * one Compressed image that is the top snapshot, GUID
 * {5fbaabe3-6958-40ff-92a7-860e329aab41}, whose parent is the null GUID)
 * and that image, NAME.hdd.0.{GUID}.hds, in the expanding format QEMU's
 * parallels driver writes (sink_qemu_img.c).  The geometry is 16 heads of
 * 32 sectors, so the disk must be a whole number of 256 KiB.
 *
 * DIR/NAME.prlctl.sh (written as .partial, renamed: outfile.h) makes the
 * VM on the Mac with prlctl: create with --no-hdd, CPUs, memory, EFI, the
 * disk attached on NVMe, and a TPM (Windows 11 wants one; Parallels makes
 * its keys itself). */
#ifndef WINTOGO_PARALLELS_H
#define WINTOGO_PARALLELS_H

#include "wintogo/bundle.h"

/* DIR/NAME.hdd, refused as bundle_path does, and DIR/NAME.prlctl.sh
 * likewise; before anything is written. */
int parallels_bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, bool force,
			  char **path_ret);

/* Writes the bundle and the script; *bundle_ret is the bundle's path.
 * Refuses (logged) a disk size that is no multiple of 256 KiB. */
int parallels_write_bundle(struct wtg_ctx *ctx, const struct vm_bundle_request *req, char **bundle_ret);

#endif
