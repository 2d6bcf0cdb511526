/* vm.h - a disk image that `write` (or anything else) made, or the virtual
 * disk inside a VHDX, turned into a VM disk: its data ranges (a VHDX's
 * stored blocks) sent through a sink (QCOW2, VHDX, raw) as they are. */
#ifndef WINTOGO_VM_H
#define WINTOGO_VM_H

#include "wintogo/ctx.h"

#include <stdbool.h>

#include "wintogo/progress.h"
#include "wintogo/sink.h"
#include "wintogo/wim.h"
#include "wintogo/write.h"


/* The architecture of the Windows on a disk image, from the PE machine
 * type of the fallback boot loader in its ESP (\EFI\Boot\boot*.efi).
 * Logged when there is none. */
int vm_disk_arch(struct wtg_ctx *ctx, const char *disk, enum wim_arch *arch_ret);

/* How a VM is made of a disk image or a VHDX.  A disk is converted as it
 * is (vm_convert), unless its Windows is in a VHDX on it (write --vhdx,
 * WinToUSB's VHDX mode) or it is a VHDX whose disk has NTFS but no ESP
 * (the one inside such a stick): then the VM gets that Windows applied to
 * a disk of its own, as from an image (the write job takes both: see
 * vhdx_host.h and vhdx_windows.h), so that it runs without the layer of
 * native VHDX boot (no hibernation, a dynamic VHDX inside a QCOW2).  Such
 * a stick converted as it is boots too: the boot manager in the VM
 * follows the BCD into the file (whole_disk). */
enum vm_route { VM_CONVERT, VM_REBUILD };
int vm_route_of(struct wtg_ctx *ctx, const char *disk, bool whole_disk, enum vm_route *route_ret);

struct vm_convert_request {
	const char *disk;
	const char *target;
	enum sink_kind kind;
	unsigned flags;
	struct sink_format format;  /* the sector sizes come from the disk */
	bool force;
};

int vm_convert(struct wtg_ctx *ctx, const struct vm_convert_request *req,
	       struct write_result *result_ret);

#endif
