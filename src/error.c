/* error.c - names, messages and exit statuses of the error codes (see error.h). */
#include "wintogo/error.h"

#include <errno.h>
#include <stdbool.h>

static const struct {
	const char *name;
	const char *message;
} errors[WTG_ERR_END - WTG_ERR_FAILED] = {
#define E(code) [(code) - WTG_ERR_FAILED]
	E(WTG_ERR_FAILED) = { "failed", "the operation failed" },
	E(WTG_ERR_NO_MEMORY) = { "no-memory", "out of memory" },
	E(WTG_ERR_INVALID_ARGUMENT) = { "invalid-argument", "a value given is not valid" },
	E(WTG_ERR_NOT_FOUND) = { "not-found", "a file or disk named does not exist" },
	E(WTG_ERR_PERMISSION) = { "permission-denied", "the system refused access" },
	E(WTG_ERR_IO) = { "io-error", "reading or writing failed" },
	E(WTG_ERR_NO_SPACE) = { "no-space", "there is not enough room to stage or write it" },
	E(WTG_ERR_INTERRUPTED) = { "interrupted", "the work was interrupted" },
	E(WTG_ERR_TOOL_FAILED) = { "tool-failed", "an external program failed" },
	E(WTG_ERR_NOT_AN_IMAGE) = { "not-an-image", "the input is not a kind of image wintogo reads" },
	E(WTG_ERR_IMAGE_DAMAGED) = { "image-damaged", "the image is truncated or damaged" },
	E(WTG_ERR_IMAGE_UNSUPPORTED) = { "image-unsupported", "wintogo cannot use this kind of image" },
	E(WTG_ERR_NO_SUCH_IMAGE) = { "no-such-image", "the image has no image with that index or name" },
	E(WTG_ERR_IMAGE_NOT_CHOSEN) = { "image-not-chosen", "the image holds several images and none was chosen" },
	E(WTG_ERR_NO_WINDOWS) = { "no-windows", "no Windows was found in the input" },
	E(WTG_ERR_HASH_MISMATCH) = { "hash-mismatch", "the image's SHA-256 is not the one expected" },
	E(WTG_ERR_TARGET_EXISTS) = { "target-exists", "the output already exists" },
	E(WTG_ERR_TARGET_INVALID) = { "target-invalid", "the target cannot be written" },
	E(WTG_ERR_TARGET_TOO_SMALL) = { "target-too-small", "the target is too small for the image" },
	E(WTG_ERR_DISK_IN_USE) = { "disk-in-use", "the disk is in use" },
	E(WTG_ERR_DISK_READ_ONLY) = { "disk-read-only", "the disk is read-only" },
	E(WTG_ERR_DISK_CHANGED) = { "disk-changed", "the disk is not the one planned for" },
	E(WTG_ERR_NOT_CONFIRMED) = { "not-confirmed", "erasing the disk was not confirmed" },
	E(WTG_ERR_READBACK_MISMATCH) = { "readback-mismatch", "the target does not hold what was written" },
	E(WTG_ERR_NO_MANIFEST) = { "no-manifest", "there is no wintogo manifest to check against" },
	E(WTG_ERR_MANIFEST_DAMAGED) = { "manifest-damaged", "the manifest is damaged" },
	E(WTG_ERR_NOT_BOOTABLE) = { "not-bootable", "the disk has no EFI system partition or boot loader" },
	E(WTG_ERR_BCD_DAMAGED) = { "bcd-damaged", "a BCD store cannot be read" },
	E(WTG_ERR_CANNOT_BOOT) = { "cannot-boot", "it cannot boot on that machine" },
	E(WTG_ERR_UNSUPPORTED) = { "unsupported", "wintogo does not do this" },
	E(WTG_ERR_INTERNAL) = { "internal-error", "an internal error (a bug in wintogo)" },
	E(WTG_ERR_TARGET_BUSY) = { "target-busy", "another wintogo is writing the same output" },
	E(WTG_ERR_TARGET_TOO_SLOW) = { "target-too-slow", "the disk is too slow to run Windows well" },
#undef E
};

static bool known(enum wtg_err code)
{
	return code >= WTG_ERR_FAILED && code < WTG_ERR_END;
}

const char *wtg_err_name(enum wtg_err code)
{
	if (code == WTG_OK)
		return "ok";
	return errors[(known(code) ? code : WTG_ERR_FAILED) - WTG_ERR_FAILED].name;
}

const char *wtg_err_string(enum wtg_err code)
{
	if (code == WTG_OK)
		return "success";
	return errors[(known(code) ? code : WTG_ERR_FAILED) - WTG_ERR_FAILED].message;
}

enum wtg_err wtg_err_of(int ret)
{
	if (ret == 0)
		return WTG_OK;
	if (ret < 0 && known((enum wtg_err)-ret))
		return (enum wtg_err)-ret;
	return ret < 0 ? wtg_err_from_errno(-ret) : WTG_ERR_FAILED;
}

enum wtg_err wtg_err_from_errno(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR:
	case ENXIO:
	case ENODEV:
		return WTG_ERR_NOT_FOUND;
	case EACCES:
	case EPERM:
		return WTG_ERR_PERMISSION;
	case EROFS:
		return WTG_ERR_DISK_READ_ONLY;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return WTG_ERR_NO_SPACE;
	case ENOMEM:
		return WTG_ERR_NO_MEMORY;
	case EBUSY:
		return WTG_ERR_DISK_IN_USE;
	case EEXIST:
		return WTG_ERR_TARGET_EXISTS;
	case EINTR:
	case ECANCELED:
		return WTG_ERR_INTERRUPTED;
	case EINVAL:
		return WTG_ERR_INVALID_ARGUMENT;
	default:
		return WTG_ERR_IO;
	}
}

int wtg_err_exit_status(enum wtg_err code)
{
	switch (code) {
	case WTG_OK:
		return 0;
	case WTG_ERR_INTERRUPTED:
		return 130;
	case WTG_ERR_READBACK_MISMATCH:
		return 5;
	default:
		return 1;
	}
}
