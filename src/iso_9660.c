/* iso_9660.c - the ISO 9660 tree of an ISO (with its Joliet or Rock Ridge
 * names, and multi-extent files over 4 GiB), read with libarchive as a
 * stream (see iso_fs.h). */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "iso_fs.h"
#include "wintogo/log.h"
#include "wintogo/util.h"

#define BLOCK_SIZE (64 * 1024)

/* Opens the ISO 9660 tree of the ISO open as fd, from its start. */
static int open_tree(struct wtg_ctx *ctx, int fd, const char *iso_path, struct archive **a_ret)
{
	struct archive *a = archive_read_new();
	int ret = 0;

	archive_read_support_format_iso9660(a);
	if (lseek(fd, 0, SEEK_SET) < 0)
		ret = log_syserr(ctx, errno, "cannot read '%s'", iso_path);
	else if (archive_read_open_fd(a, fd, BLOCK_SIZE) != ARCHIVE_OK)
		ret = -ENODATA;
	if (ret < 0) {
		archive_read_free(a);
		return ret;
	}
	*a_ret = a;
	return 0;
}

static int tree_error(struct wtg_ctx *ctx, struct archive *a, const char *iso_path)
{
	return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "cannot read the ISO 9660 tree of '%s' (%s); the ISO is truncated or damaged, download or copy it again",
			 iso_path, archive_error_string(a));
}

/* "./sources/install.wim" -> "sources/install.wim" */
static const char *entry_path(struct archive_entry *e)
{
	const char *p = archive_entry_pathname(e);

	while (p && (*p == '/' || (p[0] == '.' && p[1] == '/')))
		p += *p == '/' ? 1 : 2;
	return p ? p : "";
}

/* Whether path lies directly in folder (case-blind). */
static bool in_folder(const char *path, const char *folder)
{
	const char *slash = strrchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : 0;

	return len == strlen(folder) && !strncasecmp(path, folder, len) && path[len + !!slash];
}

int iso_9660_list(struct wtg_ctx *ctx, int fd, const char *iso_path, const char *folder, struct iso_dir *dir_ret)
{
	struct iso_dir dir = { 0 };
	struct archive *a = NULL;
	struct archive_entry *e;
	bool seen = !*folder;
	int r, ret = open_tree(ctx, fd, iso_path, &a);

	if (ret < 0)
		return ret;
	while ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *path = entry_path(e);

		if (!strcasecmp(path, folder) && archive_entry_filetype(e) == AE_IFDIR)
			seen = true;
		if (archive_entry_filetype(e) == AE_IFREG && in_folder(path, folder)) {
			iso_dir_add(&dir, xstrdup(path), (uint64_t)archive_entry_size(e));
			seen = true;
		}
	}
	if (r != ARCHIVE_EOF)
		ret = tree_error(ctx, a, iso_path);
	else if (!seen)
		ret = -ENOENT;
	if (ret < 0)
		iso_dir_release(&dir);
	else
		*dir_ret = dir;
	archive_read_free(a);
	return ret;
}

/* Copies the data of the current entry into out. */
static int copy_entry(struct wtg_ctx *ctx, struct archive *a, const char *iso_path, const struct iso_file *f, int out,
		      struct iso_progress *progress)
{
	const void *buf;
	size_t size;
	la_int64_t offset;
	uint64_t copied = 0;
	int r, ret = 0;

	while (!ret && (r = archive_read_data_block(a, &buf, &size, &offset)) == ARCHIVE_OK) {
		if ((ret = pwrite_all(out, buf, size, (uint64_t)offset)) < 0)
			ret = log_syserr(ctx, -ret, "cannot copy '%s:%s' into the stage; give another staging directory with --tmpdir",
					iso_path, f->path);
		else
			ret = iso_progress_add(progress, size);
		copied += size;
	}
	if (!ret && r != ARCHIVE_EOF)
		ret = tree_error(ctx, a, iso_path);
	if (!ret && copied != f->size)
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s:%s' is %llu bytes long but only %llu could be read; the ISO is truncated or damaged, download or copy it again",
				iso_path, f->path, (unsigned long long)f->size,
				(unsigned long long)copied);
	return ret;
}

int iso_9660_copy(struct wtg_ctx *ctx, int fd, const char *iso_path, const struct iso_file *const *files,
		  const int *out_fds, size_t count, struct iso_progress *progress)
{
	struct archive *a = NULL;
	struct archive_entry *e;
	size_t left = count;
	int r = ARCHIVE_OK, ret = open_tree(ctx, fd, iso_path, &a);

	if (ret == -ENODATA)
		ret = log_error(ctx, WTG_ERR_IO, "cannot read the ISO 9660 tree of '%s' again", iso_path);
	while (!ret && left && ((r = archive_read_next_header(a, &e)) == ARCHIVE_OK ||
				r == ARCHIVE_WARN)) {
		for (size_t i = 0; i < count; i++) {
			if (archive_entry_filetype(e) == AE_IFREG &&
			    !strcmp(entry_path(e), files[i]->path)) {
				ret = copy_entry(ctx, a, iso_path, files[i], out_fds[i], progress);
				left--;
				break;
			}
		}
	}
	if (!ret && left)
		ret = r == ARCHIVE_EOF ? log_error(ctx, WTG_ERR_IO, "'%s' changed while it was read; try again", iso_path)
				       : tree_error(ctx, a, iso_path);
	archive_read_free(a);
	return ret;
}
