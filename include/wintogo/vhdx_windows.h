/* vhdx_windows.h - the partitions of the virtual disk inside a VHDX, and
 * the Windows on them.
 *
 * The partition table is read by libfdisk from a sparse stage copy of the
 * virtual disk's first and last MiB.  An NTFS partition is looked into by
 * wimlib: a sparse stage copy of the partition (its stored blocks only) is
 * captured with WIMLIB_ADD_FLAG_NTFS into a WIM that exists only in
 * memory, which tells the Windows on it (build, edition, architecture,
 * from its SOFTWARE hive and kernel32.dll; without kernel32.dll the
 * architecture is its boot manager's PE machine type) and is what `write`
 * applies: wimlib extracts an image it has just captured without writing
 * any WIM file.  A partition holds Windows when its
 * \Windows\System32\config\SOFTWARE is there.  The stage copy lives as
 * long as that WIM. */
#ifndef WINTOGO_VHDX_WINDOWS_H
#define WINTOGO_VHDX_WINDOWS_H

#include "wintogo/ctx.h"

#include <stdbool.h>

#include "wintogo/layout.h"
#include "wintogo/vhdx.h"
#include "wintogo/wim.h"

struct vhdx_partition {
	const struct layout_entry *entry;  /* in the disk's table */
	const char *filesystem;            /* "ntfs", "vfat" or NULL */
	bool has_windows;
	struct wim_image windows;          /* when has_windows */
};

struct vhdx_disk {
	struct vhdx *vhdx;
	struct layout_table table;
	struct vhdx_partition *parts;      /* table.count of them */
};

/* Opens the VHDX at path and reads its partition table; with windows,
 * also captures every NTFS partition to find the Windows on it (staged in
 * tmpdir: this copies the partition's data).  Logged. */
int vhdx_disk_scan(struct wtg_ctx *ctx, const char *path, bool windows,
		   struct vhdx_disk **disk_ret);
void vhdx_disk_free(struct vhdx_disk *disk);

/* The Windows partition of the VHDX at path (the largest NTFS partition
 * with a Windows on it), captured as image 1 of an in-memory WIM, staged
 * in tmpdir until the source is freed.  Its name is the Windows' name
 * ("Windows 11 Pro"), its TOTALBYTES what its files hold.  No partition
 * table, or no NTFS partition with Windows: -WTG_ERR_NO_WINDOWS. */
int vhdx_windows_capture(struct wtg_ctx *ctx, const char *path, struct wim_source **source_ret);
/* The same, with messages and the source naming shown_as (the VHDX is a
 * copy taken out of a disk: vhdx_host.h). */
int vhdx_windows_capture_as(struct wtg_ctx *ctx, const char *path, const char *shown_as,
			    struct wim_source **source_ret);

/* A sparse copy of the EFI system partition of the virtual disk in the
 * VHDX at path, in file (which must not exist), for the tools that read a
 * FAT file system from a file.  No EFI system partition:
 * -WTG_ERR_NOT_BOOTABLE. */
int vhdx_stage_esp(struct wtg_ctx *ctx, const char *path, const char *file);

#endif
