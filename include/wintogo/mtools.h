/* mtools.h - the FAT file systems of ESPs, read and written with mtools
 * without mounting: the one place that says how mtools is run.
 *
 * Every program gets an argv array (never a shell) and MTOOLS_SKIP_CHECK=1,
 * since mtools doubts the geometry of a FAT image that is no floppy.
 * mtools runs the name of its image (-i) through a shell to expand it, so
 * that name is never one of ours: the image is opened here and handed over
 * as a descriptor (run.h), and mtools is told "/proc/self/fd/3@@OFFSET".
 * The local files mcopy reads and writes are not expanded. */
#ifndef WINTOGO_MTOOLS_H
#define WINTOGO_MTOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wintogo/ctx.h"

/* A FAT file system at byte offset of a disk image (or an ESP image, at
 * 0), open; name is what mtools' -i takes. */
struct mtools_image {
	int fd;
	char name[64];
};

/* Opens path (read-write when writable) for mtools; logged.  The image
 * is then released with mtools_image_close. */
int mtools_image_open(struct wtg_ctx *ctx, const char *path, uint64_t offset, bool writable,
		      struct mtools_image *image_ret);
void mtools_image_close(struct mtools_image *image);

/* As run_program, run_program_output and run_program_status (run.h), with
 * the image handed to the program; argv names it by image->name. */
int mtools_run(struct wtg_ctx *ctx, const char *what, const struct mtools_image *image, const char *const argv[]);
int mtools_run_output(struct wtg_ctx *ctx, const char *what, const struct mtools_image *image,
		      const char *const argv[], char **out_ret, size_t *len_ret);
int mtools_run_status(struct wtg_ctx *ctx, const char *what, const struct mtools_image *image,
		      const char *const argv[], int *status_ret);

#endif
