/* iso.h - a Windows ISO as a source, read without mounting it.
 *
 * The install image (sources/install.wim, install.esd or an install*.swm
 * set, names matched case-blind, or any file named with --wim-path) is
 * found in the ISO's UDF file system with libcdio's libudf (Microsoft's
 * ISOs show it only there: their ISO 9660 tree holds a README), else in
 * its ISO 9660/Joliet tree with libarchive.  It is then copied out into a
 * staging directory, where wimlib opens it as any WIM:
 *
 * - iso_open() copies from UDF only the bytes wimlib reads to list the
 *   images (header, XML, blob table: see wimhdr.h) into a sparse file of
 *   the image's size, so `wintogo info X.iso` copies a few MiB, not GiBs;
 * - iso_fetch() fills the copy in: copy_file_range from the ISO's extents
 *   (the data never passes through wintogo), with progress.
 *
 * From ISO 9660 (a stream to libarchive) the copy is always whole, made
 * at once by iso_open().  Sizes are 64-bit throughout: UDF and ISO 9660
 * multi-extent files may exceed 4 GiB. */
#ifndef WINTOGO_ISO_H
#define WINTOGO_ISO_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/progress.h"

enum iso_filesystem { ISO_FS_UDF, ISO_FS_ISO9660 };

/* "udf" or "iso9660". */
const char *iso_filesystem_name(enum iso_filesystem fs);

struct iso_info {
	const char *path;              /* the ISO */
	enum iso_filesystem filesystem;
	const char *image_path;        /* inside the ISO, as recorded: "sources/install.wim" */
	unsigned files;                /* 1, or the parts of a split set */
	uint64_t image_bytes;          /* the install image, all its files */
};


struct iso_source;

/* Opens the ISO at path, finds the install image (image_path, when not
 * NULL, names it instead) and stages it in a new directory under
 * stage_parent.  progress sees the copy when it is whole at once.  A
 * truncated or unreadable ISO fails with -WTG_ERR_IMAGE_DAMAGED, one with
 * no install image with -WTG_ERR_NO_WINDOWS (-WTG_ERR_NOT_FOUND when the
 * image_path given is not in it). */
int iso_open(struct wtg_ctx *ctx, const char *path, const char *image_path, const char *stage_parent, struct iso_source **iso_ret);
void iso_source_free(struct iso_source *iso);   /* removes the stage */

const struct iso_info *iso_source_info(const struct iso_source *iso);

/* The staged copy of the install image (its first part): for wimlib. */
const char *iso_source_staged(const struct iso_source *iso);

/* What messages call the install image's folder: "win.iso:sources/". */
const char *iso_source_prefix(const struct iso_source *iso);

/* Bytes iso_fetch() still has to copy: 0 once the copy is whole. */
uint64_t iso_fetch_bytes(const struct iso_source *iso);

/* Makes the staged copy whole, refusing first when the stage has not the
 * room.  Reports PROGRESS_COPY. */
int iso_fetch(struct wtg_ctx *ctx, struct iso_source *iso);

#endif
