/* mtools.h - the FAT file systems of ESPs, read and written with mtools
 * without mounting: the one place that says how mtools is run.
 *
 * Every program gets an argv array (never a shell) and MTOOLS_SKIP_CHECK=1,
 * since mtools doubts the geometry of a FAT image that is no floppy.  A
 * FAT file system at byte OFFSET of a disk image is named "IMAGE@@OFFSET"
 * (mtools_image). */
#ifndef WINTOGO_MTOOLS_H
#define WINTOGO_MTOOLS_H

#include <stddef.h>
#include <stdint.h>

#include "wintogo/ctx.h"

/* "IMAGE@@OFFSET", newly allocated. */
char *mtools_image(const char *image, uint64_t offset);

/* As run_program, run_program_output and run_program_status (run.h). */
int mtools_run(struct wtg_ctx *ctx, const char *what, const char *const argv[]);
int mtools_run_output(struct wtg_ctx *ctx, const char *what, const char *const argv[],
		      char **out_ret, size_t *len_ret);
int mtools_run_status(struct wtg_ctx *ctx, const char *what, const char *const argv[],
		      int *status_ret);

#endif
