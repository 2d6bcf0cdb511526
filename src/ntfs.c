/* ntfs.c - the Windows partition built in the stage (see ntfs.h). */
#include "wintogo/ntfs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wimlib.h>

#include "wintogo/log.h"
#include "wintogo/run.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

/* apply(): NTFS-3G could not write the tight volume; nothing logged */
#define APPLY_NO_ROOM 1

/* The file as messages name it. */
static const char *shown(const struct ntfs_request *req)
{
	return req->shown_as ? req->shown_as : req->path;
}

/* -p/-H/-S: a file has no geometry, and without them the boot sector says
 * "hidden sectors 0", which Windows cannot boot from. */
static int format_ntfs(struct wtg_ctx *ctx, const struct ntfs_request *req)
{
	char start[32], sector[16];
	const char *argv[] = { "mkntfs", "-F", "-Q", "-q", "-p", start, "-H", "255", "-S", "63",
			       "-s", sector, "-c", "4096", "-L", req->label ? req->label : "Windows", RUN_FILE_PATH, NULL };
	int fd = open(req->path, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s' to format the Windows partition", shown(req));
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

/* In the target's own file (or on the disk, with --direct), the disk
 * writes what mkntfs, the apply and ntfsresize have written while they
 * go on: the apply is CPU-bound
 * (LZX), and the fsync that makes the image complete would otherwise
 * write it all at the end (1.6 s of 7.5 for a 512 MiB image here).  A
 * thread of its own starts the writeback every WRITEBACK_MS, since
 * starting it can block while the disk's queue is full. */
#define WRITEBACK_MS 100

struct writeback {
	int fd;
	bool running, stop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t stopped;
};

static void *writeback_main(void *arg)
{
	struct writeback *w = arg;
	struct timespec until;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += WRITEBACK_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&w->stopped, &w->lock, &until);
		if (w->stop)
			break;
		pthread_mutex_unlock(&w->lock);
		/* starts it, waits for none of it; a failure leaves the work
		 * to the fsync */
		(void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&w->lock);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Nothing happens when the file or the thread cannot be had: the fsync
 * does it all then, as for any other file. */
static void writeback_start(struct writeback *w, const char *path)
{
	*w = (struct writeback){ .fd = open(path, O_RDONLY | O_CLOEXEC) };
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->stopped, NULL);
	w->running = w->fd >= 0 && pthread_create(&w->thread, NULL, writeback_main, w) == 0;
}

static void writeback_stop(struct writeback *w)
{
	if (w->running) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		pthread_cond_signal(&w->stopped);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	if (w->fd >= 0)
		close(w->fd);
	pthread_cond_destroy(&w->stopped);
	pthread_mutex_destroy(&w->lock);
}

/* tight: a failure to write the volume is APPLY_NO_ROOM, not logged.
 * NTFS-3G's errno after a full volume is not always ENOSPC (its cleanup
 * may leave EBUSY), so every write failure counts: a real one comes back
 * at full size, and is logged then. */
static int apply(struct wtg_ctx *ctx, const struct ntfs_request *req, bool tight)
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
	if (err && tight && (err == WIMLIB_ERR_NTFS_3G || err == WIMLIB_ERR_WRITE))
		return APPLY_NO_ROOM;
	if (err)
		return wim_apply_error(ctx, err, errnum, wim_path, shown(req), req->bytes,
				       req->in_target || req->on_device);
	return 0;
}

/* The target's own file, emptied and made bytes long (sparse). */
static int resize_target(struct wtg_ctx *ctx, const char *path, const char *name, uint64_t bytes)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;  /* may be /proc/self/fd/N */

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", name);
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)bytes) < 0)
		ret = log_syserr(ctx, errno, "cannot make '%s' %llu bytes long", name, (unsigned long long)bytes);
	close(fd);
	return ret;
}

/* The sparse file of bytes, formatted. */
static int make_empty_at(struct wtg_ctx *ctx, const struct ntfs_request *req, uint64_t bytes)
{
	int ret = req->on_device ? 0
		  : req->in_target ? resize_target(ctx, req->path, shown(req), bytes)
				   : stage_make_file(ctx, req->path, bytes);

	return ret ? ret : format_ntfs(ctx, req);
}

int ntfs_make_empty(struct wtg_ctx *ctx, const struct ntfs_request *req)
{
	return make_empty_at(ctx, req, req->bytes);
}

/* Formats and applies at bytes; tight: a volume smaller than the
 * partition (see apply). */
static int build_at(struct wtg_ctx *ctx, const struct ntfs_request *req, uint64_t bytes, bool tight)
{
	int ret = make_empty_at(ctx, req, bytes);

	if (!ret)
		ret = apply(ctx, req, tight);
	return ret;
}

static int build(struct wtg_ctx *ctx, const struct ntfs_request *req)
{
	char tight[SIZE_TEXT_MAX], full[SIZE_TEXT_MAX];
	int ret;

	if (!req->tight_bytes || req->tight_bytes >= req->bytes || req->on_device)
		return build_at(ctx, req, req->bytes, false);
	ret = build_at(ctx, req, req->tight_bytes, true);
	if (ret == APPLY_NO_ROOM) {
		log_info(ctx, "the image did not fit the Windows partition's tight stage (%s); staging it at its full size (%s) instead",
			 format_size(req->tight_bytes, tight), format_size(req->bytes, full));
		if (!req->in_target && unlink(req->path) < 0)
			return log_syserr(ctx, errno, "cannot remove '%s'", req->path);
		return build_at(ctx, req, req->bytes, false);
	}
	return ret < 0 ? ret : ntfs_grow(ctx, req->path, req->bytes);
}

int ntfs_build(struct wtg_ctx *ctx, const struct ntfs_request *req)
{
	struct writeback writeback;
	int ret;

	/* a stage is never synced: its bytes are copied, then deleted */
	if (!req->in_target && !req->on_device)
		return build(ctx, req);
	writeback_start(&writeback, req->path);
	ret = build(ctx, req);
	writeback_stop(&writeback);
	return ret;
}
