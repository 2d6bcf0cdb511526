/* mtools.c - running mtools on FAT images (see mtools.h). */
#include "wintogo/mtools.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/run.h"

static const char *const mtools_env[] = { "MTOOLS_SKIP_CHECK=1", NULL };

int mtools_image_open(struct wtg_ctx *ctx, const char *path, uint64_t offset, bool writable,
		      struct mtools_image *image_ret)
{
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s' to read its FAT file system", path);
	image_ret->fd = fd;
	if (offset)
		snprintf(image_ret->name, sizeof(image_ret->name), "%s@@%llu", RUN_FILE_PATH,
			 (unsigned long long)offset);
	else
		snprintf(image_ret->name, sizeof(image_ret->name), "%s", RUN_FILE_PATH);
	return 0;
}

void mtools_image_close(struct mtools_image *image)
{
	if (image->fd >= 0)
		close(image->fd);
	image->fd = -1;
}

int mtools_run(struct wtg_ctx *ctx, const char *what, const struct mtools_image *image, const char *const argv[])
{
	return run_program(ctx, what, argv, mtools_env, image->fd);
}

int mtools_run_output(struct wtg_ctx *ctx, const char *what, const struct mtools_image *image,
		      const char *const argv[], char **out_ret, size_t *len_ret)
{
	return run_program_output(ctx, what, argv, mtools_env, image->fd, out_ret, len_ret);
}

int mtools_run_status(struct wtg_ctx *ctx, const char *what, const struct mtools_image *image,
		      const char *const argv[], int *status_ret)
{
	return run_program_status(ctx, what, argv, mtools_env, image->fd, status_ret);
}
