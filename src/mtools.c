/* mtools.c - running mtools on FAT images (see mtools.h). */
#include "wintogo/mtools.h"

#include "wintogo/run.h"
#include "wintogo/util.h"

static const char *const mtools_env[] = { "MTOOLS_SKIP_CHECK=1", NULL };

char *mtools_image(const char *image, uint64_t offset)
{
	return xasprintf("%s@@%llu", image, (unsigned long long)offset);
}

int mtools_run(struct wtg_ctx *ctx, const char *what, const char *const argv[])
{
	return run_program(ctx, what, argv, mtools_env);
}

int mtools_run_output(struct wtg_ctx *ctx, const char *what, const char *const argv[],
		      char **out_ret, size_t *len_ret)
{
	return run_program_output(ctx, what, argv, mtools_env, out_ret, len_ret);
}

int mtools_run_status(struct wtg_ctx *ctx, const char *what, const char *const argv[],
		      int *status_ret)
{
	return run_program_status(ctx, what, argv, mtools_env, status_ret);
}
