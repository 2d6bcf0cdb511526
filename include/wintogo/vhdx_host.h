/* vhdx_host.h - the VHDX a disk boots Windows from (a stick made by
 * `write --vhdx`, or by WinToUSB's or Hasleo's VHDX mode), read from the
 * disk image itself.
 *
 * The disk says where its Windows is through the BCD on its ESP: the
 * loader's osdevice is the nested VHDX device (bcd_vhdx.h) naming a host
 * partition (by GUID, or by offset and MBR signature) and a path in it.
 * That partition's NTFS is opened by libntfs-3g through a device that
 * reads the partition's byte range of the disk image, so that nothing of
 * the partition is copied to find the file; the file is then copied out
 * (its all-zero MiBs left as holes) for the VHDX reader (vhdx.h), and its
 * Windows captured from that as from any VHDX (vhdx_windows.h). */
#ifndef WINTOGO_VHDX_HOST_H
#define WINTOGO_VHDX_HOST_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/wim.h"

struct vhdx_host {
	unsigned partition;        /* the host partition's number, 1-based */
	uint64_t offset, size;     /* its bytes in the disk */
	char *path;                /* the file in it, as the BCD names it */
};

/* Whether the disk image at path boots Windows from a VHDX: 1 and
 * *host_ret filled (release it with vhdx_host_release) when the BCD on
 * its ESP says so and names a partition of this disk; 0 when the disk has
 * no ESP, no BCD, or a BCD that boots no VHDX (nothing logged).  A BCD
 * whose VHDX device names a partition this disk does not have is
 * -WTG_ERR_NOT_BOOTABLE, logged. */
int vhdx_host_find(struct wtg_ctx *ctx, const char *disk, struct vhdx_host *host_ret);
void vhdx_host_release(struct vhdx_host *host);

/* Copies the VHDX out of the host partition of the disk image into file
 * (which must not exist), sparse where it holds zeros.  A file that is
 * compressed, sparse or encrypted (Windows boots none of them) or larger
 * than its partition is refused.  Progress: PROGRESS_COPY. */
int vhdx_host_extract(struct wtg_ctx *ctx, const char *disk, const struct vhdx_host *host, const char *file);

/* The Windows in the VHDX the disk image boots from, captured as
 * vhdx_windows_capture does (messages name "DISK:\PATH"); the copy of
 * the VHDX is removed once it is captured.  A disk that boots no VHDX:
 * -WTG_ERR_NOT_AN_IMAGE, logged. */
int vhdx_host_capture(struct wtg_ctx *ctx, const char *disk, struct wim_source **source_ret);

#endif
