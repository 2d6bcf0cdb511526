/* ntfs.c - the Windows partition built in the stage (see ntfs.h). */
#include "wintogo/ntfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <wimlib.h>

#include "wintogo/log.h"
#include "wintogo/run.h"
#include "wintogo/stage.h"

/* -p/-H/-S: a file has no geometry, and without them the boot sector says
 * "hidden sectors 0", which Windows cannot boot from. */
static int format_ntfs(struct wtg_ctx *ctx, const struct ntfs_request *req)
{
	char start[32], sector[16];
	const char *argv[] = { "mkntfs", "-F", "-Q", "-q", "-p", start, "-H", "255", "-S", "63",
			       "-s", sector, "-c", "4096", "-L", "Windows", RUN_FILE_PATH, NULL };
	int fd = open(req->path, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s' to format the Windows partition", req->path);
	snprintf(start, sizeof(start), "%llu", (unsigned long long)req->start_sector);
	snprintf(sector, sizeof(sector), "%u", req->sector_size);
	ret = run_program(ctx, "formatting the Windows partition", argv, NULL, fd);
	close(fd);
	return ret;
}

static enum wimlib_progress_status on_progress(enum wimlib_progress_msg msg,
					       union wimlib_progress_info *info, void *user)
{
	struct wtg_ctx *ctx = user;
	int ret = 0;

	if (msg == WIMLIB_PROGRESS_MSG_EXTRACT_STREAMS)
		ret = progress_report(ctx, PROGRESS_APPLY, info->extract.completed_bytes,
				      info->extract.total_bytes);
	return ret < 0 || wtg_ctx_aborted(ctx) ? WIMLIB_PROGRESS_STATUS_ABORT
					       : WIMLIB_PROGRESS_STATUS_CONTINUE;
}

static int apply(struct wtg_ctx *ctx, const struct ntfs_request *req)
{
	WIMStruct *wim = wim_source_handle(req->source);
	const char *wim_path = wim_source_file(req->source)->path;
	int err, errnum;

	wimlib_register_progress_function(wim, on_progress, ctx);
	errno = 0;
	err = wimlib_extract_image(wim, req->index, req->path, WIMLIB_EXTRACT_FLAG_NTFS);
	errnum = errno;  /* wimlib's NTFS-3G error says only "check errno" */
	wimlib_register_progress_function(wim, NULL, NULL);
	if (err == WIMLIB_ERR_ABORTED_BY_PROGRESS)
		return -WTG_ERR_INTERRUPTED;  /* logged when the abort was seen */
	if (err)
		return wim_apply_error(ctx, err, errnum, wim_path, req->path, req->bytes);
	return 0;
}

int ntfs_build(struct wtg_ctx *ctx, const struct ntfs_request *req)
{
	int ret = stage_make_file(ctx, req->path, req->bytes);

	if (!ret)
		ret = format_ntfs(ctx, req);
	if (!ret)
		ret = apply(ctx, req);
	return ret;
}
