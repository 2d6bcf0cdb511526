/* error.h - the one error model of the core.
 *
 * Every failure has one code of enum wtg_err.  Core functions return 0 or
 * the negated code (-WTG_ERR_IMAGE_DAMAGED), after logging the object and
 * the reason through the context (log.h), which keeps the first failure
 * for the front end to report.  The codes and their names are stable:
 * scripts read the names ("target-too-small") from `--json` errors, and
 * the exit status follows from the code (wtg_err_exit_status).
 *
 * As in wimlib (wimlib_get_error_string), each code has a short message
 * that says what went wrong in general; the logged message says where. */
#ifndef WINTOGO_ERROR_H
#define WINTOGO_ERROR_H

/* The codes start far above errno values, so that a -errno that slipped
 * through is never taken for a code (wtg_err_of maps it instead). */
enum wtg_err {
	WTG_OK = 0,
	WTG_ERR_FAILED = 1000,      /* none of the below */
	WTG_ERR_NO_MEMORY,
	WTG_ERR_INVALID_ARGUMENT,   /* a value given to wintogo is not valid */
	WTG_ERR_NOT_FOUND,          /* a file or disk named does not exist */
	WTG_ERR_PERMISSION,         /* the system refused access */
	WTG_ERR_IO,                 /* reading or writing failed */
	WTG_ERR_NO_SPACE,           /* no room to stage or write the output */
	WTG_ERR_INTERRUPTED,        /* a signal or the progress callback stopped the work */
	WTG_ERR_TOOL_FAILED,        /* mkntfs, mkfs.fat, mtools... failed */
	WTG_ERR_NOT_AN_IMAGE,       /* not a kind of input that wintogo reads */
	WTG_ERR_IMAGE_DAMAGED,      /* truncated, bad checksum, unreadable structure */
	WTG_ERR_IMAGE_UNSUPPORTED,  /* a kind of image wintogo cannot use */
	WTG_ERR_NO_SUCH_IMAGE,      /* no image with that index or name */
	WTG_ERR_IMAGE_NOT_CHOSEN,   /* several images and none chosen */
	WTG_ERR_NO_WINDOWS,         /* no Windows install image, no Windows partition */
	WTG_ERR_HASH_MISMATCH,      /* the image's SHA-256 is not the one given */
	WTG_ERR_TARGET_EXISTS,      /* the output exists and --force was not given */
	WTG_ERR_TARGET_INVALID,     /* a target that cannot be one (a folder, a RAM disk) */
	WTG_ERR_TARGET_TOO_SMALL,
	WTG_ERR_DISK_IN_USE,        /* mounted, the system's, or holds the source */
	WTG_ERR_DISK_READ_ONLY,
	WTG_ERR_DISK_CHANGED,       /* not the disk that was planned for */
	WTG_ERR_NOT_CONFIRMED,      /* the user did not confirm erasing a disk */
	WTG_ERR_READBACK_MISMATCH,  /* the target does not hold what was written */
	WTG_ERR_NO_MANIFEST,        /* no wintogo manifest to verify against */
	WTG_ERR_MANIFEST_DAMAGED,
	WTG_ERR_NOT_BOOTABLE,       /* a disk without an EFI system partition or loader */
	WTG_ERR_BCD_DAMAGED,        /* a BCD store (of a disk, or a file) that cannot be read */
	WTG_ERR_CANNOT_BOOT,        /* the probe says it cannot boot on that host */
	WTG_ERR_UNSUPPORTED,        /* something wintogo does not do */
	WTG_ERR_INTERNAL,           /* a bug in wintogo */
	/* added later: at the end, so that the numbers above stay what they were */
	WTG_ERR_TARGET_BUSY,        /* another run is writing the same output */
	WTG_ERR_TARGET_TOO_SLOW,    /* write --require-speed: below the Windows To Go figures */
	WTG_ERR_END,
};

/* The stable kebab-case name: "target-too-small".  Unknown: "failed". */
const char *wtg_err_name(enum wtg_err code);

/* A sentence about the code in general: "the target is too small". */
const char *wtg_err_string(enum wtg_err code);

/* The code of a return value: -WTG_ERR_X gives WTG_ERR_X, 0 gives WTG_OK,
 * a -errno the code that fits it (wtg_err_from_errno). */
enum wtg_err wtg_err_of(int ret);

/* The code that fits a system call's errno (ENOENT: not-found, EACCES:
 * permission-denied, ENOSPC: no-space, ...; else io-error). */
enum wtg_err wtg_err_from_errno(int errnum);

/* The exit status for code, documented in wintogo(1): 0 success, 1
 * failure, 5 the target does not hold what was written, 130 interrupted
 * (2 usage errors, 3 and 4 probe verdicts are decided by the front end). */
int wtg_err_exit_status(enum wtg_err code);

#endif
