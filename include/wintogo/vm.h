/* vm.h - a disk image that `write` (or anything else) made, or the virtual
 * disk inside a VHDX, turned into a VM disk: its data ranges (a VHDX's
 * stored blocks) sent through a sink (QCOW2, VHDX, raw) as they are. */
#ifndef WINTOGO_VM_H
#define WINTOGO_VM_H

#include <stdbool.h>

#include "wintogo/progress.h"
#include "wintogo/sink.h"
#include "wintogo/wim.h"
#include "wintogo/write.h"

/* True when path holds a disk (a GPT, an MBR boot signature, or a VHDX
 * virtual disk) rather than a Windows image. */
bool vm_is_disk_image(const char *path);

/* The architecture of the Windows on a disk image, from the PE machine
 * type of the fallback boot loader in its ESP (\EFI\Boot\boot*.efi).
 * Logged when there is none. */
int vm_disk_arch(const char *disk, const char *tmpdir, enum wim_arch *arch_ret);

struct vm_convert_request {
	const char *disk;
	const char *target;
	enum sink_kind kind;
	unsigned flags;
	struct sink_format format;  /* the sector sizes come from the disk */
	bool force;
};

int vm_convert(const struct vm_convert_request *req, const struct progress_sink *progress,
	       struct write_result *result_ret);

#endif
