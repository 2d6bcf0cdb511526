/* iso_fs.h - what iso.c shares with its two file system readers,
 * iso_udf.c (libudf) and iso_9660.c (libarchive).  Not a public header. */
#ifndef WINTOGO_ISO_FS_H
#define WINTOGO_ISO_FS_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wintogo/progress.h"

/* Where a piece of a file lies in the ISO. */
struct iso_extent {
	uint64_t offset;     /* in the ISO file */
	uint64_t length;
	bool zeros;          /* not recorded: reads as zeros, nothing to copy */
};

/* A regular file of the ISO. */
struct iso_file {
	char *path;                   /* inside the ISO, as recorded */
	uint64_t size;
	struct iso_extent *extents;   /* from UDF; NULL from ISO 9660 (a stream) */
	size_t n_extents;
	const char *unreadable;       /* why its UDF extents are unknown, or NULL */
	bool damaged;                 /* unreadable because its entry is damaged,
				       * not recorded in a way wintogo cannot read */
};

/* The files of one folder. */
struct iso_dir {
	struct iso_file *files;
	size_t count;
};

/* Adds the file at path (as recorded in the ISO). */
struct iso_file *iso_dir_add(struct iso_dir *dir, char *path, uint64_t size);
void iso_dir_release(struct iso_dir *dir);

/* The regular files directly in folder (e.g. "sources"; "" is the root;
 * matched case-blind) of the ISO open as fd.  Both return 0, -ENODATA when
 * the ISO has no such file system, -ENOENT when it has no such folder
 * (neither is logged), or another, logged, error. */
int iso_udf_list(struct wtg_ctx *ctx, int fd, const char *iso_path, const char *folder, struct iso_dir *dir_ret);
int iso_9660_list(struct wtg_ctx *ctx, int fd, const char *iso_path, const char *folder, struct iso_dir *dir_ret);

/* Copy progress over several files. */
struct iso_progress {
	struct wtg_ctx *ctx;
	uint64_t done;
	uint64_t total;
};

/* Copies the files (as listed by iso_9660_list) of the ISO's ISO 9660
 * tree into out_fds[i], whole. */
int iso_9660_copy(struct wtg_ctx *ctx, int fd, const char *iso_path, const struct iso_file *const *files,
		  const int *out_fds, size_t count, struct iso_progress *progress);

/* Reports progress: 0, or -WTG_ERR_INTERRUPTED (logged) to stop. */
int iso_progress_add(struct iso_progress *p, uint64_t bytes);

/* libcdio logs through a handler: keep its messages off the terminal and
 * give the last one (or "") to error messages. */
void iso_cdio_quiet(void);
const char *iso_cdio_last_message(void);

#endif
