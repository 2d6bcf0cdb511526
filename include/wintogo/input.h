/* input.h - what kind of input a file is: the one place that decides it,
 * for every command.
 *
 * The kind comes from the file's content, never its name: a WIM header
 * (MSWIM, or WLPWM for a pipable WIM) says WIM, ESD (solid, LZMS) or SWM
 * (a part of a split set); an ISO 9660 or UDF volume descriptor at 32 KiB
 * says ISO (checked before the MBR, since a hybrid ISO has one too); the
 * "vhdxfile" signature says VHDX; an MBR boot signature or a GPT header
 * (at 512 or 4096) says disk image.  A block device is a disk whatever it
 * holds. */
#ifndef WINTOGO_INPUT_H
#define WINTOGO_INPUT_H

#include <stdbool.h>

enum input_kind {
	INPUT_WIM,
	INPUT_ESD,
	INPUT_SWM,
	INPUT_ISO,
	INPUT_VHDX,
	INPUT_DISK_IMAGE,    /* a raw disk image file with a partition table */
	INPUT_BLOCK_DEVICE,
	INPUT_DIRECTORY,
	INPUT_OTHER,         /* none of the above (text, an empty file) */
};

/* What path is; INPUT_OTHER when it cannot be read (whoever opens it next
 * says why, with the reason). */
enum input_kind input_kind_of(const char *path);

/* A Windows image that wimlib opens: WIM, ESD or SWM. */
static inline bool input_is_wim(enum input_kind kind)
{
	return kind == INPUT_WIM || kind == INPUT_ESD || kind == INPUT_SWM;
}

/* A disk that is converted or probed as it is: a disk image, a VHDX or a
 * block device. */
static inline bool input_is_disk(enum input_kind kind)
{
	return kind == INPUT_DISK_IMAGE || kind == INPUT_VHDX || kind == INPUT_BLOCK_DEVICE;
}

#endif
