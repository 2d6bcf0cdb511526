/* outfile.c - output files written under a temporary name (see outfile.h). */
#include "wintogo/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

/* Two runs that start together can each take the other's new .partial for
 * a stale one; each round of that ends with one of them owning the name,
 * so a few rounds are plenty. */
#define OPEN_TRIES 8

/* Who holds the flock of the file open as fd, from /proc/locks: the
 * kernel's own record, so the pid is there the moment the lock is, with
 * nothing to write beside the file or to go stale when a run is killed
 * (fcntl's F_GETLK tells a pid too, but only for POSIX locks, which the
 * process loses when it closes any other descriptor of the file, as the
 * read-back does).  0 when it cannot be told. */
static int lock_holder(const struct wtg_ctx *ctx, int fd)
{
	const char *proc = ctx->hooks.proc_root ? ctx->hooks.proc_root : "/proc";
	char *path = xasprintf("%s/locks", proc), line[256], type[16];
	unsigned maj, min;
	unsigned long long ino;
	struct stat sb;
	int pid, exact = 0, by_inode = 0, inode_matches = 0;
	FILE *f = NULL;

	if (fstat(fd, &sb) < 0)
		goto out;
	f = fopen(path, "re");
	if (!f)
		goto out;
	/* "1: FLOCK  ADVISORY  WRITE 1234 fe:00:10952897 0 EOF"; the waiters
	 * ("1: -> FLOCK ...") read as type "->" and are passed over */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", type, &pid, &maj, &min, &ino) != 5 ||
		    strcmp(type, "FLOCK") || ino != (unsigned long long)sb.st_ino || pid <= 0)
			continue;
		if (maj == major(sb.st_dev) && min == minor(sb.st_dev))
			exact = pid;
		/* btrfs and overlayfs give stat another device than the one
		 * /proc/locks names: the inode alone, when only one lock has it */
		inode_matches++;
		by_inode = pid;
	}
out:
	if (f)
		fclose(f);
	free(path);
	return exact ? exact : inode_matches == 1 ? by_inode : 0;
}

static int busy(struct wtg_ctx *ctx, const char *target, int fd)
{
	int pid = fd >= 0 ? lock_holder(ctx, fd) : 0;

	if (pid)
		return log_error(ctx, WTG_ERR_TARGET_BUSY, "'%s' is being written by process %d; wait for it or choose another name",
				 target, pid);
	return log_error(ctx, WTG_ERR_TARGET_BUSY, "'%s' is being written by another process; wait for it or choose another name",
			 target);
}

/* Whether path still names the file open as fd: between opening a name and
 * locking it, another run may have removed it and made a new one. */
static bool names_fd(const char *path, int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The .partial exists: removes it if no run holds its lock (an interrupted
 * or killed run left it), refuses if one does.  0 means try again. */
static int remove_stale(struct wtg_ctx *ctx, const char *partial, const char *target)
{
	/* opened only to lock it: O_NOFOLLOW, and O_NONBLOCK for a FIFO */
	int fd = open(partial, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	int ret = 0;

	if (fd < 0 && errno == ENOENT)
		return 0;  /* gone meanwhile */
	/* a symlink, a socket, a file not ours to read: no wintogo can be
	 * writing it, so the name alone goes, as it always did */
	if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		goto unlink;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? busy(ctx, target, fd)
					   : log_syserr(ctx, errno, "cannot lock '%s'", partial);
		goto close;
	}
	/* the lock is ours, but is the file still the one of that name? */
	if (!names_fd(partial, fd))
		goto close;
unlink:
	if (unlink(partial) < 0 && errno != ENOENT)
		ret = log_syserr(ctx, errno, "cannot remove the stale '%s'", partial);
close:
	if (fd >= 0)
		close(fd);
	return ret;
}

int outfile_check_busy(struct wtg_ctx *ctx, const char *target)
{
	char *partial = xasprintf("%s.partial", target);
	int fd = open(partial, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat sb;
	int ret = 0;

	/* a shared lock is refused while a writer holds its exclusive one */
	if (fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && flock(fd, LOCK_SH | LOCK_NB) < 0 &&
	    errno == EWOULDBLOCK)
		ret = busy(ctx, target, fd);
	if (fd >= 0)
		close(fd);
	free(partial);
	return ret;
}

int outfile_open(struct wtg_ctx *ctx, struct outfile *out, const char *target, bool force)
{
	struct stat sb;
	int ret = 0;

	*out = (struct outfile){ .target = xstrdup(target), .fd = -1 };
	out->partial = xasprintf("%s.partial", target);
	if (stat(target, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is a directory; give the name of the file to write",
					 target);
		if (!S_ISREG(sb.st_mode))
			return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is not a regular file; wintogo writes a new file here",
					 target);
		if (!force)
			return log_error(ctx, WTG_ERR_TARGET_EXISTS, "'%s' already exists; use --force to replace it", target);
	}
	for (int tries = 0; tries < OPEN_TRIES && !ret; tries++) {
		/* always a new file (O_EXCL), never through a symlink */
		int fd = open(out->partial, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);

		if (fd < 0 && errno != EEXIST)
			return log_syserr(ctx, errno, "cannot create '%s'", out->partial);
		if (fd < 0) {
			ret = remove_stale(ctx, out->partial, target);
			continue;
		}
		/* ours while the lock is held: until the file has its name */
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && names_fd(out->partial, fd)) {
			out->fd = fd;
			out->created = true;
			return 0;
		}
		/* another run took it for stale in the instant before the lock */
		close(fd);
	}
	return ret < 0 ? ret : busy(ctx, target, -1);
}

int outfile_commit(struct wtg_ctx *ctx, struct outfile *out)
{
	int ret = 0;

	if (fsync(out->fd) < 0)
		return log_syserr(ctx, errno, "cannot write '%s' to disk", out->partial);
	/* renamed with the lock held, so that no run takes the .partial for
	 * stale before it is the target */
	if (rename(out->partial, out->target) < 0)
		return log_syserr(ctx, errno, "cannot rename '%s' to '%s'", out->partial, out->target);
	free(out->partial);
	out->partial = NULL;
	ret = fsync_parent(ctx, out->target);
	if (close(out->fd) < 0 && !ret)
		ret = log_syserr(ctx, errno, "cannot close '%s'", out->target);
	out->fd = -1;
	return ret;
}

void outfile_abort(struct outfile *out)
{
	/* partial is set until a commit renames it; it exists once fd was
	 * opened.  Removed before the lock goes with the fd: once the lock is
	 * free, the name may be another run's */
	if (out->partial && out->created)
		unlink(out->partial);
	if (out->fd >= 0)
		close(out->fd);
	out->fd = -1;
	free(out->partial);
	free(out->target);
	*out = (struct outfile){ .fd = -1 };
}
