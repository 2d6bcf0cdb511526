/* drivers.c - driver packages from a folder or an archive (see drivers.h). */
#include "wintogo/drivers.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

static bool is_inf(const char *name)
{
	size_t len = strlen(name);

	return len > 4 && !strcasecmp(name + len - 4, ".inf");
}

static void add_file(struct driver_set *set, const char *rel, uint64_t bytes)
{
	set->files++;
	set->bytes += bytes;
	if (is_inf(rel)) {
		set->infs = xrealloc(set->infs, (set->n_infs + 1) * sizeof(char *));
		set->infs[set->n_infs++] = xstrdup(rel);
	}
}

/* dir/rel, recursively; symbolic links are followed, as wimlib will. */
static int walk(struct wtg_ctx *ctx, struct driver_set *set, const char *dir, const char *rel)
{
	char *path = *rel ? xasprintf("%s/%s", dir, rel) : xstrdup(dir);
	DIR *d = opendir(path);
	struct dirent *e;
	int ret = 0;

	if (!d) {
		ret = log_syserr(ctx, errno, "cannot read the driver folder '%s'", path);
		goto out;
	}
	while (!ret && (e = readdir(d))) {
		char *sub, *full;
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		sub = *rel ? xasprintf("%s/%s", rel, e->d_name) : xstrdup(e->d_name);
		full = xasprintf("%s/%s", dir, sub);
		if (stat(full, &st) < 0)
			ret = log_syserr(ctx, errno, "cannot read '%s' in the driver folder", full);
		else if (S_ISDIR(st.st_mode))
			ret = walk(ctx, set, dir, sub);
		else if (S_ISREG(st.st_mode))
			add_file(set, sub, (uint64_t)st.st_size);
		free(sub);
		free(full);
	}
	closedir(d);
out:
	free(path);
	return ret;
}

static int open_archive(struct wtg_ctx *ctx, const char *path, struct archive **a_ret)
{
	struct archive *a = archive_read_new();
	int ret;

	archive_read_support_format_all(a);
	archive_read_support_filter_all(a);
	if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK) {
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' is neither a folder nor an archive wintogo can read (%s); give a folder or a zip, cab, tar or 7z archive of driver packages",
				path, archive_error_string(a));
		archive_read_free(a);
		return ret;
	}
	*a_ret = a;
	return 0;
}

/* An entry that would land outside the folder it is extracted to. */
static bool unsafe_name(const char *name)
{
	if (name[0] == '/')
		return true;
	for (const char *p = name; (p = strstr(p, "..")); p += 2)
		if ((p == name || p[-1] == '/') && (p[2] == '/' || !p[2]))
			return true;
	return false;
}

static int scan_archive(struct wtg_ctx *ctx, struct driver_set *set)
{
	struct archive *a = NULL;
	struct archive_entry *entry;
	int r, ret = open_archive(ctx, set->source, &a);

	if (ret < 0)
		return ret;
	while (!ret && (r = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(entry);

		if (!name || unsafe_name(name))
			ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' holds '%s', a path outside the archive's folder; it is not a driver archive to trust",
					set->source, name ? name : "(no name)");
		else if (archive_entry_filetype(entry) == AE_IFREG)
			add_file(set, name, (uint64_t)archive_entry_size(entry));
		if (!ret)
			archive_read_data_skip(a);
	}
	if (!ret && r != ARCHIVE_EOF)
		ret = log_error(ctx, WTG_ERR_IO, "cannot read the archive '%s': %s; download or copy it again",
				set->source, archive_error_string(a));
	archive_read_free(a);
	return ret;
}

int drivers_scan(struct wtg_ctx *ctx, const char *path, struct driver_set *set_ret)
{
	struct driver_set set = { .source = xstrdup(path) };
	struct stat st;
	int ret;

	if (stat(path, &st) < 0) {
		ret = log_syserr(ctx, errno, "cannot open the drivers '%s'", path);
		goto out;
	}
	set.archive = !S_ISDIR(st.st_mode);
	ret = set.archive ? scan_archive(ctx, &set) : walk(ctx, &set, path, "");
	if (!ret && !set.n_infs)
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' holds no driver package (no .inf file among its %llu files); give a folder or archive with the .inf, .sys and .cat files of the drivers",
				path, (unsigned long long)set.files);
out:
	if (ret < 0)
		drivers_release(&set);
	else
		*set_ret = set;
	return ret;
}

int drivers_unpack(struct wtg_ctx *ctx, const struct driver_set *set, const char *dest_dir)
{
	struct archive *a = NULL;
	struct archive *disk;
	struct archive_entry *entry;
	int r = ARCHIVE_OK, ret = open_archive(ctx, set->source, &a);

	if (ret < 0)
		return ret;
	disk = archive_write_disk_new();
	archive_write_disk_set_options(disk, ARCHIVE_EXTRACT_SECURE_SYMLINKS |
					     ARCHIVE_EXTRACT_SECURE_NODOTDOT);
	while (!ret && (r = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
		int type = archive_entry_filetype(entry);
		const char *link = archive_entry_hardlink(entry);
		char *path;

		if (type != AE_IFREG && type != AE_IFDIR)
			continue;  /* links and devices are no part of a driver package */
		path = xasprintf("%s/%s", dest_dir, archive_entry_pathname(entry));
		archive_entry_set_pathname(entry, path);
		archive_entry_set_perm(entry, type == AE_IFDIR ? 0700 : 0600);
		if (link) {
			char *target = xasprintf("%s/%s", dest_dir, link);

			archive_entry_set_hardlink(entry, target);
			free(target);
		}
		if (archive_read_extract2(a, entry, disk) != ARCHIVE_OK)
			ret = log_error(ctx, wtg_err_from_errno(archive_errno(disk)),
					"cannot extract '%s' from '%s': %s", path, set->source,
					archive_error_string(disk));
		free(path);
	}
	if (!ret && r != ARCHIVE_EOF)
		ret = log_error(ctx, WTG_ERR_IO, "cannot read the archive '%s': %s; download or copy it again",
				set->source, archive_error_string(a));
	archive_write_free(disk);
	archive_read_free(a);
	return ret;
}

void drivers_release(struct driver_set *set)
{
	for (size_t i = 0; i < set->n_infs; i++)
		free(set->infs[i]);
	free(set->infs);
	free(set->source);
	*set = (struct driver_set){ 0 };
}
