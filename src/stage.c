/* stage.c - the staging directory (see stage.h). */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include "wintogo/stage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define STAGE_PREFIX "wintogo-"
#define STAGE_LOCK ".lock"
#define STAGE_LOCK_NEW ".lock.new"

/* The lock of every stage this process made, held until stage_remove:
 * the API hands out only the folder's name, so the descriptors are kept
 * here (a job per context, contexts maybe in threads: a mutex). */
struct held {
	struct held *next;
	char *dir;
	int fd;
};

static struct held *held_stages;
static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;

const char *stage_default_parent(const struct wtg_ctx *ctx)
{
	const char *env = getenv("TMPDIR");

	if (ctx->tmpdir && *ctx->tmpdir)
		return ctx->tmpdir;
	return env && *env ? env : "/var/tmp";
}

/* Whether name is what mkdtemp makes of STAGE_PREFIX "XXXXXX". */
static bool stage_name(const char *name)
{
	size_t n = strlen(STAGE_PREFIX);

	if (strncmp(name, STAGE_PREFIX, n) || strlen(name) != n + 6)
		return false;
	for (const char *p = name + n; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	return true;
}

/* Removes everything in the folder open as dfd, never following a symlink
 * and never into another file system (dev: the folder's); adds the bytes
 * the files took to *freed.  Consumes dfd. */
static void remove_contents(int dfd, dev_t dev, uint64_t *freed)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;
	struct stat sb;

	if (!d) {
		close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			int sub = sb.st_dev == dev ? openat(dirfd(d), e->d_name,
							    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
						   : -1;

			if (sub >= 0) {
				remove_contents(sub, dev, freed);
				unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
			}
		} else if (unlinkat(dirfd(d), e->d_name, 0) == 0 && sb.st_nlink == 1) {
			*freed += (uint64_t)sb.st_blocks * 512;
		}
	}
	closedir(d);
}

/* Removes the folder name in the folder open as parent_fd (a symlink or
 * a file of that name: the name alone); returns whether it is gone. */
static bool remove_folder_at(int parent_fd, const char *name, uint64_t *freed)
{
	int dfd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;

	if (dfd < 0 && (errno == ENOTDIR || errno == ELOOP))
		return unlinkat(parent_fd, name, 0) == 0;
	if (dfd < 0)
		return false;
	if (fstat(dfd, &sb) < 0) {
		close(dfd);
		return false;
	}
	remove_contents(dfd, sb.st_dev, freed);
	return unlinkat(parent_fd, name, AT_REMOVEDIR) == 0;
}

/* Removes PARENT/name if it is a stage of a run that is gone: a folder
 * (not a symlink to one) of ours, with the lock file every stage has, and
 * no process holding it. */
static bool remove_if_dead(int parent_fd, const char *name, uint64_t *freed)
{
	int dfd = -1, lock = -1;
	struct stat sb, again;
	bool removed = false;

	if (!stage_name(name) || fstatat(parent_fd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(sb.st_mode) || sb.st_uid != geteuid())
		return false;
	dfd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &again) < 0 || again.st_dev != sb.st_dev || again.st_ino != sb.st_ino)
		goto close;
	lock = openat(dfd, STAGE_LOCK, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (lock < 0 || fstat(lock, &sb) < 0 || !S_ISREG(sb.st_mode))
		goto close;  /* not a stage, or one still being made */
	if (flock(lock, LOCK_EX | LOCK_NB) < 0)
		goto close;  /* a run that is going on */
	/* the lock is held while removing, so that no other run thinks the
	 * same and they both go at it */
	removed = remove_folder_at(parent_fd, name, freed);
close:
	if (lock >= 0)
		close(lock);
	if (dfd >= 0)
		close(dfd);
	return removed;
}

int stage_remove_stale(struct wtg_ctx *ctx, const char *parent)
{
	int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = pfd >= 0 ? fdopendir(pfd) : NULL;
	struct dirent *e;
	uint64_t freed = 0;
	int removed = 0;
	char size[SIZE_TEXT_MAX];

	if (!d) {
		if (pfd >= 0)
			close(pfd);
		return 0;  /* stage_create says what is wrong with it */
	}
	while ((e = readdir(d)))
		removed += remove_if_dead(dirfd(d), e->d_name, &freed);
	closedir(d);
	if (removed)
		log_info(ctx, "removed %d stale stage folder%s from an earlier run in '%s' (%s freed)", removed,
			 removed == 1 ? "" : "s", parent, format_size(freed, size));
	return removed;
}

/* Makes DIR/.lock, locked: made as .lock.new, locked, then renamed, so
 * that a .lock another run finds is locked from the start. */
static int lock_stage(struct wtg_ctx *ctx, const char *dir, int *fd_ret)
{
	char *tmp = stage_path(dir, STAGE_LOCK_NEW), *lock = stage_path(dir, STAGE_LOCK);
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		ret = log_syserr(ctx, errno, "cannot make '%s'", tmp);
	else if (flock(fd, LOCK_EX | LOCK_NB) < 0)
		ret = log_syserr(ctx, errno, "cannot lock '%s'", tmp);
	else if (rename(tmp, lock) < 0)
		ret = log_syserr(ctx, errno, "cannot rename '%s' to '%s'", tmp, lock);
	if (ret < 0 && fd >= 0)
		close(fd);
	else if (!ret)
		*fd_ret = fd;
	free(tmp);
	free(lock);
	return ret;
}

int stage_create(struct wtg_ctx *ctx, const char *parent, char **dir_ret)
{
	/* absolute: the paths in the stage go to programs as local file
	 * names, and a --tmpdir of "-x" must not read as an option */
	char *real = realpath(parent, NULL);
	char *dir = xasprintf("%s/" STAGE_PREFIX "XXXXXX", real ? real : parent);
	struct held *h;
	int fd = -1, ret;

	free(real);
	stage_remove_stale(ctx, parent);
	if (!mkdtemp(dir)) {
		ret = log_syserr(ctx, errno, "cannot make a staging directory in '%s'; give another with --tmpdir",
				 parent);
		free(dir);
		return ret;
	}
	ret = lock_stage(ctx, dir, &fd);
	if (ret < 0) {
		uint64_t freed = 0;

		remove_folder_at(AT_FDCWD, dir, &freed);
		free(dir);
		return ret;
	}
	h = xcalloc(1, sizeof(*h));
	h->dir = dir;
	h->fd = fd;
	pthread_mutex_lock(&held_mutex);
	h->next = held_stages;
	held_stages = h;
	pthread_mutex_unlock(&held_mutex);
	*dir_ret = dir;
	return 0;
}

void stage_remove(char *dir)
{
	struct held **p, *h = NULL;
	uint64_t freed = 0;

	if (!dir)
		return;
	pthread_mutex_lock(&held_mutex);
	for (p = &held_stages; *p; p = &(*p)->next) {
		if ((*p)->dir == dir || !strcmp((*p)->dir, dir)) {
			h = *p;
			*p = h->next;
			break;
		}
	}
	pthread_mutex_unlock(&held_mutex);
	/* removed with the lock held, which goes last */
	remove_folder_at(AT_FDCWD, dir, &freed);
	if (h) {
		close(h->fd);
		if (h->dir != dir)
			free(h->dir);
		free(h);
	}
	free(dir);
}

int stage_check_space(struct wtg_ctx *ctx, const char *dir, uint64_t need)
{
	struct statvfs vfs;
	uint64_t avail;
	char need_text[SIZE_TEXT_MAX], avail_text[SIZE_TEXT_MAX];

	/* what dead runs left there is free space for this one */
	stage_remove_stale(ctx, dir);
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
