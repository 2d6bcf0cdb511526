/* vmpart.h - "one stick for every machine": `write --vm-partition` puts,
 * after the Windows partition, an exFAT partition labelled WINTOGO-VM
 * (layout.h) that macOS and Windows both mount, holding NAME.utm (a UTM
 * bundle, utm.h, around a compressed QCOW2 of the same Windows, or of
 * --vm-image, built as `wintogo vm -c` builds it) and README.txt for the
 * Mac user: an Apple Silicon Mac never boots the stick, but UTM runs the
 * bundle.  On request, the same disk for the two other Mac hypervisors
 * too, as `wintogo vm` makes them: NAME.vmwarevm (VMware Fusion,
 * vmware.h), NAME.hdd and NAME.prlctl.sh (Parallels Desktop,
 * parallels.h), their disks converted from the QCOW2 by qemu-img.
 *
 * The partition is staged like the others, before the stream to the
 * target starts: the QCOW2 by a second write job (write.h) into the stage,
 * the exFAT made by mkfs.exfat and filled through exfat-fuse (exfat.h),
 * then sent in the one sequential pass and hashed and read back with
 * everything else. */
#ifndef WINTOGO_VMPART_H
#define WINTOGO_VMPART_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/util.h"

/* The smallest --vm-partition=SIZE taken. */
#define VMPART_MIN_BYTES (64 * MIB)

struct vmpart_options {
	bool enabled;
	uint64_t bytes;          /* 0: the estimate (vmpart_bytes) */
	const char *image_path;  /* NULL: the stick's own image */
	int index;               /* of image_path; 0: its only one */
	const char *vm_name;     /* NULL: the image's name */
	bool vmware;             /* also NAME.vmwarevm */
	bool parallels;          /* also NAME.hdd and NAME.prlctl.sh */
};

struct write_options;
struct vmpart;

/* Opens the VM's image (the stick's, or opt->vm_partition.image_path)
 * and plans its QCOW2; refuses (logged), before anything is written, a
 * VM name exFAT or UTM cannot take, an image UTM cannot run, a size that
 * is not whole MiB or below VMPART_MIN_BYTES, and a run that cannot fill
 * exFAT (exfat.h). */
int vmpart_prepare(struct wtg_ctx *ctx, const struct write_options *opt, const char *stage_parent,
		   struct vmpart **vp_ret);

/* The partition's size: the one given, else what the bundle needs (the
 * image's files, + 10 %, + 64 MiB: a compressed QCOW2 is smaller than
 * the files it holds; as much again for each VMDK or Parallels disk) +
 * 10 % headroom, in whole MiB. */
uint64_t vmpart_bytes(const struct vmpart *vp);

/* "NAME.utm", and the architecture name of the Windows in it. */
const char *vmpart_bundle_name(const struct vmpart *vp);
const char *vmpart_arch_name(const struct vmpart *vp);

/* Builds the partition as the file path (bytes long) in stage_dir: the
 * QCOW2 first, refused with both sizes when the bundle does not fit;
 * serial is the exFAT volume serial (0: random). */
int vmpart_build(struct wtg_ctx *ctx, struct vmpart *vp, const char *stage_dir, const char *path,
		 uint64_t bytes, uint32_t serial);

void vmpart_free(struct vmpart *vp);

#endif
