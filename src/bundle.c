/* bundle.c - VM bundles made under a locked temporary name (see bundle.h). */
#include "wintogo/bundle.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/copy.h"
#include "wintogo/log.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

/* The longest extension with ".partial" after it: the file name of the
 * .partial must fit NAME_MAX. */
#define LONGEST_SUFFIX (sizeof(".vmwarevm.partial") - 1)

/* The code point of the UTF-8 sequence at s, its length in *len_ret; -1
 * for bytes that are not UTF-8 (a stray continuation byte, a truncated
 * sequence, an overlong form, a surrogate, past U+10FFFF). */
static int32_t utf8_next(const unsigned char *s, size_t *len_ret)
{
	static const int32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	int32_t cp;
	size_t n;

	if (s[0] < 0x80) {
		*len_ret = 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0)
		n = 2, cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, cp = s[0] & 0x07;
	else
		return -1;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)  /* also the NUL of a truncated one */
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len_ret = n;
	return cp;
}

int vm_name_check(struct wtg_ctx *ctx, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	size_t len;

	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || strchr(name, '/'))
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "the VM name '%s' cannot be a file name; give another with --vm-name",
				 name);
	if (strlen(name) > NAME_MAX - LONGEST_SUFFIX)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "the VM name is %zu bytes long, too long for a file name; give one of at most %zu with --vm-name",
				 strlen(name), (size_t)(NAME_MAX - LONGEST_SUFFIX));
	for (size_t i = 0; s[i]; i += len) {
		int32_t cp = utf8_next(s + i, &len);

		/* a plist (XML 1.0) cannot hold these at all, nor a .vmx line;
		 * U+FFFE and U+FFFF are not XML characters either */
		if (cp < 0)
			return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "the VM name has bytes that are not UTF-8 (byte %zu); give a UTF-8 name with --vm-name",
					 i + 1);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff)
			return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "the VM name has a control character (U+%04X at byte %zu); give another with --vm-name",
					 (unsigned)cp, i + 1);
	}
	return 0;
}

static int busy(struct wtg_ctx *ctx, const char *path);

/* Refused now, before the disk is written for it, rather than at the end. */
static int check_busy(struct wtg_ctx *ctx, const char *path)
{
	char *partial = xasprintf("%s.partial", path);
	int fd = open(partial, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ret = 0;

	/* a shared lock is refused while a writer holds its exclusive one */
	if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK)
		ret = busy(ctx, path);
	if (fd >= 0)
		close(fd);
	free(partial);
	return ret;
}

int bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, const char *ext,
		const char *option, bool force, char **path_ret)
{
	struct stat sb;
	char *path;
	int ret = vm_name_check(ctx, name);

	if (ret < 0)
		return ret;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is not a folder; %s wants the folder to put the bundle in",
				 dir, option);
	path = xasprintf("%s/%s%s", dir, name, ext);
	if (lstat(path, &sb) == 0 && !force) {
		ret = log_error(ctx, WTG_ERR_TARGET_EXISTS, "'%s' already exists; use --force to replace it", path);
		free(path);
		return ret;
	}
	if (lstat(path, &sb) == 0 && !S_ISDIR(sb.st_mode))
		ret = log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' exists and is not a bundle folder; remove it or choose another name",
				path);
	else
		ret = check_busy(ctx, path);
	if (ret < 0) {
		free(path);
		return ret;
	}
	*path_ret = path;
	return 0;
}

static int busy(struct wtg_ctx *ctx, const char *path)
{
	return log_error(ctx, WTG_ERR_TARGET_BUSY, "'%s' is being written by another process; wait for it or choose another name",
			 path);
}

/* Opens and locks the folder partial; -EWOULDBLOCK when another run holds
 * it, -ENOTDIR for anything that is not a folder (a symlink included). */
static int lock_folder(const char *partial, int *fd_ret)
{
	int fd = open(partial, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP ? -ENOTDIR : -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	*fd_ret = fd;
	return 0;
}

int bundle_open(struct wtg_ctx *ctx, struct bundle *b, const char *path, bool force)
{
	int ret = 0;

	*b = (struct bundle){ .path = xstrdup(path), .partial = xasprintf("%s.partial", path), .fd = -1,
			      .force = force };
	/* a few rounds, as outfile_open: two runs may each take the other's
	 * new folder for a stale one */
	for (int tries = 0; tries < 8; tries++) {
		int fd = -1;

		if (mkdir(b->partial, 0755) == 0) {
			ret = lock_folder(b->partial, &fd);
			if (ret == 0) {
				b->fd = fd;
				return 0;
			}
			continue;  /* taken for stale by another run meanwhile */
		}
		if (errno != EEXIST)
			return log_syserr(ctx, errno, "cannot make '%s'", b->partial);
		ret = lock_folder(b->partial, &fd);
		if (ret == -EWOULDBLOCK)
			return busy(ctx, path);
		if (ret == -ENOTDIR) {
			/* a file or a symlink: no run of ours made it; the name goes */
			if (unlink(b->partial) < 0 && errno != ENOENT)
				return log_syserr(ctx, errno, "cannot remove the stale '%s'", b->partial);
			continue;
		}
		if (ret < 0 && ret != -ENOENT)
			return log_syserr(ctx, -ret, "cannot open '%s'", b->partial);
		if (ret == 0) {
			/* left by a dead run: removed while we hold its lock */
			stage_remove(xstrdup(b->partial));
			close(fd);
		}
	}
	return busy(ctx, path);
}

char *bundle_file(const struct bundle *b, const char *rel)
{
	return xasprintf("%s/%s", b->partial, rel);
}

int bundle_mkdir(struct wtg_ctx *ctx, const struct bundle *b, const char *rel)
{
	char *path = bundle_file(b, rel);
	int ret = 0;

	if (mkdir(path, 0755) < 0)
		ret = log_syserr(ctx, errno, "cannot make '%s'", path);
	free(path);
	return ret;
}

static int finish_file(struct wtg_ctx *ctx, int fd, const char *path, int ret)
{
	if (!ret && fsync(fd) < 0)
		ret = log_syserr(ctx, errno, "cannot write '%s' to disk", path);
	if (close(fd) < 0 && !ret)
		ret = log_syserr(ctx, errno, "cannot write '%s'", path);
	return ret;
}

int bundle_write_file(struct wtg_ctx *ctx, const struct bundle *b, const char *rel,
		      const void *data, size_t len, unsigned mode)
{
	char *path = bundle_file(b, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	int ret = 0;

	if (fd < 0) {
		ret = log_syserr(ctx, errno, "cannot create '%s'", path);
	} else {
		ret = pwrite_all(fd, data, len, 0);
		if (ret < 0)
			ret = log_syserr(ctx, -ret, "cannot write '%s'", path);
		ret = finish_file(ctx, fd, path, ret);
	}
	free(path);
	return ret;
}

int bundle_put_file(struct wtg_ctx *ctx, const struct bundle *b, const char *disk, const char *rel)
{
	char *path = bundle_file(b, rel);
	int in = -1, out = -1, ret = 0;
	enum copy_side side;
	struct stat sb;

	if (link(disk, path) == 0)
		goto out;
	/* the bundle is often on another disk than the image (EXDEV), or on
	 * a file system without hard links (exFAT) */
	in = open(disk, O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &sb) < 0) {
		ret = log_syserr(ctx, errno, "cannot read '%s'", disk);
		goto out;
	}
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		ret = log_syserr(ctx, errno, "cannot create '%s'", path);
		goto out;
	}
	ret = copy_range(in, 0, out, 0, (uint64_t)sb.st_size, &side);
	if (ret < 0)
		ret = log_syserr(ctx, ret == -ENODATA ? EIO : -ret, "cannot copy '%s' to '%s': %s failed", disk,
				 path, side == COPY_READ ? "reading" : "writing");
	ret = finish_file(ctx, out, path, ret);
	out = -1;
out:
	if (in >= 0)
		close(in);
	free(path);
	return ret;
}

int bundle_commit(struct wtg_ctx *ctx, struct bundle *b)
{
	struct stat sb;
	int ret = 0;

	if (fsync(b->fd) < 0)
		return log_syserr(ctx, errno, "cannot write '%s' to disk", b->partial);
	if (b->force && lstat(b->path, &sb) == 0) {
		/* the old bundle takes the .partial's name and goes with it */
		if (renameat2(AT_FDCWD, b->partial, AT_FDCWD, b->path, RENAME_EXCHANGE) < 0)
			return log_syserr(ctx, errno, "cannot replace '%s' with '%s'", b->path, b->partial);
		stage_remove(xstrdup(b->partial));
	} else if (rename(b->partial, b->path) < 0) {
		return log_syserr(ctx, errno, "cannot rename '%s' to '%s'", b->partial, b->path);
	}
	free(b->partial);
	b->partial = NULL;
	ret = fsync_parent(ctx, b->path);
	close(b->fd);
	b->fd = -1;
	return ret;
}

void bundle_abort(struct bundle *b)
{
	/* removed before the lock goes with the fd: once it is free the name
	 * may be another run's */
	if (b->partial && b->fd >= 0)
		stage_remove(xstrdup(b->partial));
	if (b->fd >= 0)
		close(b->fd);
	free(b->partial);
	free(b->path);
	*b = (struct bundle){ .fd = -1 };
}
