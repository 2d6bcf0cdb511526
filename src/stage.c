/* stage.c - the staging directory (see stage.h). */
#define _XOPEN_SOURCE 700
#include "wintogo/stage.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

const char *stage_default_parent(const struct wtg_ctx *ctx)
{
	const char *env = getenv("TMPDIR");

	if (ctx->tmpdir && *ctx->tmpdir)
		return ctx->tmpdir;
	return env && *env ? env : "/var/tmp";
}

int stage_create(struct wtg_ctx *ctx, const char *parent, char **dir_ret)
{
	char *dir = xasprintf("%s/wintogo-XXXXXX", parent);

	if (!mkdtemp(dir)) {
		int err = -errno;

		free(dir);
		return log_syserr(ctx, -err, "cannot make a staging directory in '%s'; give another with --tmpdir",
				 parent);
	}
	*dir_ret = dir;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void stage_remove(char *dir)
{
	if (!dir)
		return;
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

int stage_check_space(struct wtg_ctx *ctx, const char *dir, uint64_t need)
{
	struct statvfs vfs;
	uint64_t avail;
	char need_text[SIZE_TEXT_MAX], avail_text[SIZE_TEXT_MAX];

	if (statvfs(dir, &vfs) < 0) {
		int err = errno;

		return log_error(ctx, wtg_err_from_errno(err), "cannot stage in '%s': %s; give another directory with --tmpdir",
				 dir, strerror(err));
	}
	avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	if (avail < need)
		return log_error(ctx, WTG_ERR_NO_SPACE, "not enough space to stage in '%s': %s needed, %s free; give another directory with --tmpdir",
				 dir, format_size(need, need_text), format_size(avail, avail_text));
	return 0;
}

char *stage_path(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

int stage_make_file(struct wtg_ctx *ctx, const char *path, uint64_t bytes)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot make '%s'", path);
	if (ftruncate(fd, (off_t)bytes) < 0)
		ret = log_syserr(ctx, errno, "cannot size '%s'", path);
	close(fd);
	return ret;
}
