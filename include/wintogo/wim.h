/* wim.h - a Windows image (WIM, ESD or split SWM set) opened with wimlib.
 *
 * The module reads what the rest of wintogo needs to know about the images
 * inside (from the WIM's XML document) and turns wimlib's error codes into
 * one-line messages that name the file and say what to do.  Every file is
 * checked by wimhdr.h before wimlib opens it, and what libxml2 says about a
 * damaged XML goes into that one line instead of onto stderr.
 */
#ifndef WINTOGO_WIM_H
#define WINTOGO_WIM_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wintogo/progress.h"

/* Windows PROCESSOR_ARCHITECTURE values, as stored in WINDOWS/ARCH. */
enum wim_arch {
	WIM_ARCH_X86 = 0,
	WIM_ARCH_ARM = 5,
	WIM_ARCH_IA64 = 6,
	WIM_ARCH_X64 = 9,
	WIM_ARCH_ARM64 = 12,
	WIM_ARCH_UNKNOWN = -1,
};

/* "x86", "arm", "ia64", "x64", "arm64" or "unknown". */
const char *wim_arch_name(enum wim_arch arch);

struct wim_image {
	int index;                 /* 1-based */
	char *name;
	char *description;
	char *display_name;
	char *edition;             /* WINDOWS/EDITIONID, e.g. "Professional" */
	char *flags;
	char *installation_type;   /* "Client", "Server", ... */
	enum wim_arch arch;
	unsigned major, minor, build, sp_build;
	char **languages;
	size_t n_languages;
	char *default_language;
	uint64_t file_count;
	uint64_t dir_count;
	uint64_t expanded_size;    /* TOTALBYTES: bytes of file data */
	uint64_t hardlink_bytes;   /* HARDLINKBYTES: of those, the bytes of the */
	                           /* names after the first of each file; 0 */
};

enum wim_format { WIM_FORMAT_WIM, WIM_FORMAT_ESD, WIM_FORMAT_SWM };

struct wim_file {
	char *path;                /* its name in messages */
	enum wim_format format;
	const char *compression;   /* "LZX", "LZMS", "XPRESS", "none" */
	unsigned parts;            /* 1, or the parts of a split set */
	bool integrity_table;
	int boot_index;            /* 0 when none */
	int image_count;
};

struct wim_source;
struct WIMStruct;

/* Opens path.  The other parts of a split set are found next to it
 * ("install.swm" -> "install*.swm").  Returns 0 or a negative code after
 * logging an error that names the file (-WTG_ERR_NOT_AN_IMAGE,
 * -WTG_ERR_IMAGE_DAMAGED, -WTG_ERR_NOT_FOUND ...). */
int wim_source_open(struct wtg_ctx *ctx, const char *path, struct wim_source **source_ret);
/* As wim_source_open, but the files are named (in messages and in
 * wim_file.path) prefix + their base name: "win.iso:sources/" for a WIM
 * copied out of an ISO into a staging directory. */
int wim_source_open_as(struct wtg_ctx *ctx, const char *path, const char *prefix, struct wim_source **source_ret);
/* Opens the same files again, after they changed under their names (a
 * staged copy filled in); the source stays the same object. */
int wim_source_reopen(struct wtg_ctx *ctx, struct wim_source *source);
void wim_source_free(struct wim_source *source);

/* Wraps a WIMStruct that exists only in memory (an image wimlib has just
 * captured from a volume, see vhdx_windows.h); path names its origin in
 * messages.  The source owns wim; release(ctx), if given, runs after the
 * WIMStruct is freed (to remove the volume it was captured from). */
int wim_source_adopt(struct WIMStruct *wim, const char *path, void (*release)(void *user),
		     void *ctx, struct wim_source **source_ret);

const struct wim_file *wim_source_file(const struct wim_source *source);

/* Verifies the WIM: its integrity table when it has one, else the SHA-1 of
 * every resource.  *method_ret says which ("integrity table" or
 * "resource hashes").  Returns 0, -WTG_ERR_IMAGE_DAMAGED on a mismatch,
 * or another negative code. */
int wim_source_check(struct wtg_ctx *ctx, struct wim_source *source,
		     const char **method_ret);

/* Reads the properties of image index (1-based) into *image_ret. */
int wim_source_image(struct wtg_ctx *ctx, struct wim_source *source, int index,
		     struct wim_image *image_ret);
void wim_image_release(struct wim_image *image);

/* The wimlib WIMStruct, for the modules that extract from it. */
struct WIMStruct *wim_source_handle(struct wim_source *source);

/* Turns a wimlib error into a logged one-line message about path and
 * returns the negated code that fits it (-WTG_ERR_IMAGE_DAMAGED for a
 * truncated or damaged file, -WTG_ERR_NOT_AN_IMAGE, -WTG_ERR_INTERRUPTED
 * when the progress callback stopped it ...). */
int wim_error(struct wtg_ctx *ctx, int wimlib_code, const char *path, const char *action);

/* wim_error for applying the image from path onto target, a file of
 * target_bytes (the Windows partition in the stage, or in_target the image
 * file being written), with errnum the errno of the failed wimlib call:
 * wimlib says only "NTFS-3G encountered an error (check errno)", so the
 * errno decides (ENOSPC: -WTG_ERR_NO_SPACE, "the stage is full"). */
int wim_apply_error(struct wtg_ctx *ctx, int wimlib_code, int errnum, const char *path,
		    const char *target, uint64_t target_bytes, bool in_target);

#endif
