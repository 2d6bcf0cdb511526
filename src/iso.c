/* iso.c - a Windows ISO as a source (see iso.h): which file system, which
 * files, and their copy into the stage.  The file systems themselves are
 * read by iso_udf.c (libudf) and iso_9660.c (libarchive). */
#include "wintogo/iso.h"

#include <cdio/iso9660.h>
#include <cdio/logging.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iso_fs.h"
#include "wintogo/copy.h"
#include "wintogo/log.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"
#include "wintogo/wimhdr.h"

/* The volume recognition sequence starts at sector 16 of 2048 bytes; its
 * first descriptor's identifier follows a type byte. */
#define VOLUME_DESCRIPTOR_OFFSET (16 * 2048)
#define PROGRESS_STEP (64 * MIB)

static const char *const default_names[] = { "install.wim", "install.esd", "install.swm" };
#define DEFAULT_FOLDER "sources"

struct iso_source {
	struct iso_info info;
	char *path;                  /* info.path */
	int fd;
	uint64_t iso_bytes;
	bool has_9660;
	struct iso_dir dir;          /* the files of the install image's folder */
	struct iso_file **files;     /* the install image, its first part first */
	size_t n_files;
	char *prefix;                /* "win.iso:sources/" */
	char *stage_parent;
	char *stage;
	char **staged;               /* the copy of each file in the stage */
	int *staged_fds;
	uint64_t staged_bytes;       /* already copied */
	bool whole;
};

/* --- libcdio's log --- */

static char cdio_message[256];

static void keep_cdio_message(cdio_log_level_t level, const char *message)
{
	if (level == CDIO_LOG_ASSERT)
		util_fatal(message);  /* libcdio's own assertion failed */
	if (level >= CDIO_LOG_WARN)
		snprintf(cdio_message, sizeof(cdio_message), "%s", message);
}

void iso_cdio_quiet(void)
{
	cdio_log_set_handler(keep_cdio_message);
	cdio_message[0] = '\0';
}

const char *iso_cdio_last_message(void)
{
	return *cdio_message ? cdio_message : "no detail";
}

/* --- shared with the file system readers --- */

struct iso_file *iso_dir_add(struct iso_dir *dir, char *path, uint64_t size)
{
	struct iso_file *f;

	dir->files = xrealloc(dir->files, (dir->count + 1) * sizeof(*dir->files));
	f = &dir->files[dir->count++];
	*f = (struct iso_file){ .path = path, .size = size };
	return f;
}

void iso_dir_release(struct iso_dir *dir)
{
	for (size_t i = 0; i < dir->count; i++) {
		free(dir->files[i].path);
		free(dir->files[i].extents);
	}
	free(dir->files);
	*dir = (struct iso_dir){ 0 };
}

int iso_progress_add(struct iso_progress *p, uint64_t bytes)
{
	p->done += bytes;
	return progress_report(p->ctx, PROGRESS_COPY, p->done, p->total);
}

const char *iso_filesystem_name(enum iso_filesystem fs)
{
	return fs == ISO_FS_UDF ? "udf" : "iso9660";
}

/* The identifier of the first volume descriptor, or "" when unreadable. */
static void volume_identifier(int fd, char id[6])
{
	memset(id, 0, 6);
	if (pread(fd, id, 5, VOLUME_DESCRIPTOR_OFFSET + 1) != 5)
		id[0] = '\0';
}

/* --- finding the install image --- */

/* A download cut short still has its volume descriptors: the ISO 9660
 * volume says how long the file should be. */
static int check_volume_size(struct wtg_ctx *ctx, struct iso_source *iso)
{
	char *source = xasprintf("/proc/self/fd/%d", iso->fd);
	iso9660_t *p;
	iso9660_pvd_t pvd;
	uint64_t want;
	char a[SIZE_TEXT_MAX], b[SIZE_TEXT_MAX];
	int ret = 0;

	iso_cdio_quiet();
	p = iso9660_open(source);
	if (p && iso9660_ifs_read_pvd(p, &pvd)) {
		want = (uint64_t)(uint32_t)iso9660_get_pvd_space_size(&pvd) *
		       (uint32_t)iso9660_get_pvd_block_size(&pvd);
		if (want > iso->iso_bytes)
			ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' is truncated: its volume is %s but the file has only %s; download or copy it again",
					iso->info.path, format_size(want, a),
					format_size(iso->iso_bytes, b));
	}
	if (p)
		iso9660_close(p);
	free(source);
	return ret;
}

static struct iso_file *find_file(struct iso_dir *dir, const char *name)
{
	for (size_t i = 0; i < dir->count; i++) {
		if (!strcasecmp(path_base(dir->files[i].path), name))
			return &dir->files[i];
	}
	return NULL;
}

/* "install.swm" -> every "install*.swm" of the folder, it first. */
static void choose_files(struct iso_source *iso, struct iso_file *first)
{
	const char *name = path_base(first->path);
	size_t len = strlen(name), stem = len > 4 ? len - 4 : 0;
	bool split = len > 4 && !strcasecmp(name + stem, ".swm");

	iso->files = xcalloc(iso->dir.count, sizeof(*iso->files));
	iso->files[iso->n_files++] = first;
	for (size_t i = 0; split && i < iso->dir.count; i++) {
		const char *other = path_base(iso->dir.files[i].path);
		size_t olen = strlen(other);

		if (&iso->dir.files[i] != first && olen >= len && !strncasecmp(other, name, stem) &&
		    !strcasecmp(other + olen - 4, ".swm"))
			iso->files[iso->n_files++] = &iso->dir.files[i];
	}
	for (size_t i = 0; i < iso->n_files; i++)
		iso->info.image_bytes += iso->files[i]->size;
	iso->info.files = (unsigned)iso->n_files;
	iso->info.image_path = first->path;
}

/* The file wanted (name, or the default names) in the listed folder. */
static struct iso_file *pick(struct iso_dir *dir, const char *name)
{
	struct iso_file *f = NULL;

	if (name)
		return find_file(dir, name);
	for (size_t i = 0; i < ARRAY_SIZE(default_names) && !f; i++)
		f = find_file(dir, default_names[i]);
	return f;
}

/* Lists folder with one file system and picks the file; 0 when found,
 * -ENOENT / -ENODATA (not logged) when not, or a logged error. */
static int look_in(struct wtg_ctx *ctx, struct iso_source *iso, enum iso_filesystem fs, const char *folder,
		   const char *name)
{
	struct iso_file *f;
	int ret = fs == ISO_FS_UDF ? iso_udf_list(ctx, iso->fd, iso->info.path, folder, &iso->dir)
				   : iso_9660_list(ctx, iso->fd, iso->info.path, folder, &iso->dir);

	if (ret < 0)
		return ret;
	f = pick(&iso->dir, name);
	if (!f) {
		iso_dir_release(&iso->dir);
		return -ENOENT;
	}
	iso->info.filesystem = fs;
	choose_files(iso, f);
	return 0;
}

/* "/Sources\\install.wim" -> folder "Sources", name "install.wim". */
static void split_wanted(const char *want, char **folder_ret, char **name_ret)
{
	char *path = xstrdup(want), *p = path, *slash;

	for (char *c = path; *c; c++)
		if (*c == '\\')
			*c = '/';
	while (*p == '/')
		p++;
	slash = strrchr(p, '/');
	*folder_ret = xasprintf("%.*s", slash ? (int)(slash - p) : 0, p);
	*name_ret = xstrdup(slash ? slash + 1 : p);
	free(path);
}

static int find_image(struct wtg_ctx *ctx, struct iso_source *iso, const char *want)
{
	char *folder = NULL, *name = NULL;
	const char *where;
	bool udf;
	int ret;

	if (want)
		split_wanted(want, &folder, &name);
	else
		folder = xstrdup(DEFAULT_FOLDER);
	ret = look_in(ctx, iso, ISO_FS_UDF, folder, name);
	udf = ret != -ENODATA;
	if ((ret == -ENODATA || ret == -ENOENT) && iso->has_9660)
		ret = look_in(ctx, iso, ISO_FS_ISO9660, folder, name);
	if (ret == -ENODATA && !udf) {
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' has no UDF or ISO 9660 file system that can be read; the ISO is damaged, download or copy it again",
				iso->info.path);
	} else if (ret == -ENODATA || ret == -ENOENT) {
		where = udf && iso->has_9660 ? "UDF and ISO 9660 file systems" :
			udf ? "UDF file system" : "ISO 9660 file system";
		if (want)
			ret = log_error(ctx, WTG_ERR_NOT_FOUND, "'%s' has no file '%s' (looked in its %s); check the path given with --wim-path",
					iso->info.path, want, where);
		else
			ret = log_error(ctx, WTG_ERR_NO_WINDOWS, "'%s' has no sources/install.wim, install.esd or install.swm (looked in its %s); name the Windows image in it with --wim-path",
					iso->info.path, where);
	}
	free(folder);
	free(name);
	return ret;
}

/* Every byte of the install image lies inside the ISO and can be read. */
static int check_files(struct wtg_ctx *ctx, const struct iso_source *iso)
{
	char size[SIZE_TEXT_MAX];

	for (size_t i = 0; i < iso->n_files; i++) {
		const struct iso_file *f = iso->files[i];

		if (f->unreadable)
			return log_error(ctx, f->damaged ? WTG_ERR_IMAGE_DAMAGED : WTG_ERR_IMAGE_UNSUPPORTED,
					 "cannot read '%s%s': %s", iso->prefix,
					 path_base(f->path), f->unreadable);
		for (size_t k = 0; k < f->n_extents; k++) {
			const struct iso_extent *e = &f->extents[k];

			if (!e->zeros && e->offset + e->length > iso->iso_bytes)
				return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' is truncated: '%s' ends at byte %llu but the file has only %s; download or copy it again",
						 iso->info.path, f->path,
						 (unsigned long long)(e->offset + e->length),
						 format_size(iso->iso_bytes, size));
		}
	}
	return 0;
}

/* --- copying --- */

/* Calls fn for every piece of the bytes [offset, offset + len) of f: where
 * in the ISO it lies (e->zeros: nowhere). */
typedef int (*piece_fn)(void *user, const struct iso_extent *e, uint64_t iso_offset,
			uint64_t file_offset, uint64_t len);

static int for_pieces(const struct iso_file *f, uint64_t offset, uint64_t len, piece_fn fn,
		      void *user)
{
	uint64_t start = 0;
	int ret = 0;

	for (size_t i = 0; i < f->n_extents && len && !ret; i++) {
		const struct iso_extent *e = &f->extents[i];
		uint64_t end = start + e->length;

		if (offset < end) {
			uint64_t n = end - offset < len ? end - offset : len;

			ret = fn(user, e, e->offset + (offset - start), offset, n);
			offset += n;
			len -= n;
		}
		start = end;
	}
	return ret;
}

struct read_ctx {
	struct wtg_ctx *ctx;
	const struct iso_source *iso;
	const struct iso_file *file;
	uint8_t *buf;
	uint64_t buf_offset;   /* the file offset buf[0] holds */
};

static int read_piece(void *user, const struct iso_extent *e, uint64_t iso_offset,
		      uint64_t file_offset, uint64_t len)
{
	struct read_ctx *r = user;
	struct wtg_ctx *ctx = r->ctx;
	uint8_t *to = r->buf + (file_offset - r->buf_offset);
	ssize_t n;

	if (e->zeros) {
		memset(to, 0, len);
		return 0;
	}
	n = pread(r->iso->fd, to, len, (off_t)iso_offset);
	if (n != (ssize_t)len)
		return log_syserr(ctx, n < 0 ? errno : EIO, "cannot read '%s' from '%s'", r->file->path,
				 r->iso->info.path);
	return 0;
}

/* A wimhdr_read_fn: bytes of the install image, read from the ISO. */
static int read_file(void *user, uint64_t offset, void *buf, size_t len)
{
	struct read_ctx *r = user;

	r->buf = buf;
	r->buf_offset = offset;
	return for_pieces(r->file, offset, len, read_piece, r);
}

struct copy_ctx {
	struct wtg_ctx *ctx;
	const struct iso_source *iso;
	size_t index;                  /* of the file */
	struct iso_progress *progress; /* NULL: none */
};

static int copy_piece(void *user, const struct iso_extent *e, uint64_t iso_offset,
		      uint64_t file_offset, uint64_t len)
{
	struct copy_ctx *c = user;
	struct wtg_ctx *ctx = c->ctx;
	const struct iso_source *iso = c->iso;
	enum copy_side side;
	int ret = 0;

	while (len && !ret) {
		uint64_t n = len < PROGRESS_STEP ? len : PROGRESS_STEP;

		if (!e->zeros)
			ret = copy_range(iso->fd, iso_offset, iso->staged_fds[c->index], file_offset, n,
					 &side);
		if (ret == -ENODATA)
			ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' ends inside '%s': it is truncated; download or copy it again",
					iso->info.path, iso->files[c->index]->path);
		else if (ret < 0 && side == COPY_READ)
			ret = log_syserr(ctx, -ret, "cannot read '%s' from '%s'", iso->files[c->index]->path,
					iso->info.path);
		else if (ret < 0)
			ret = log_syserr(ctx, -ret, "cannot copy '%s' into '%s'; give another staging directory with --tmpdir",
					iso->files[c->index]->path, iso->staged[c->index]);
		if (!ret && c->progress)
			ret = iso_progress_add(c->progress, n);
		iso_offset += n;
		file_offset += n;
		len -= n;
	}
	return ret;
}

/* Copies what wimlib needs to list the images: see wimhdr.h.  *whole_ret
 * is set when that is not known: then all of it must be copied. */
static int copy_skeleton(struct wtg_ctx *ctx, struct iso_source *iso, bool *whole_ret)
{
	int ret = 0;

	for (size_t i = 0; i < iso->n_files && !ret && !*whole_ret; i++) {
		struct read_ctx r = { .ctx = ctx, .iso = iso, .file = iso->files[i] };
		struct copy_ctx c = { .ctx = ctx, .iso = iso, .index = i };
		struct byte_range *ranges = NULL;
		size_t count = 0;
		char *name = xasprintf("%s%s", iso->prefix, path_base(iso->files[i]->path));

		/* a damaged header is refused here, before its bytes are copied;
		 * what is not a WIM at all is copied whole for wimlib to judge */
		ret = wimhdr_check(ctx, name, iso->files[i]->size, read_file, &r);
		free(name);
		if (ret == -WTG_ERR_NOT_AN_IMAGE) {
			*whole_ret = true;
			ret = 0;
		} else if (!ret) {
			ret = wimhdr_open_ranges(iso->files[i]->size, read_file, &r, &ranges, &count);
		}
		if (ret == -EINVAL) {
			*whole_ret = true;
			ret = 0;
		}
		for (size_t k = 0; k < count && !ret; k++) {
			ret = for_pieces(iso->files[i], ranges[k].offset, ranges[k].length,
					 copy_piece, &c);
			iso->staged_bytes += ranges[k].length;
		}
		free(ranges);
	}
	return ret;
}

uint64_t iso_fetch_bytes(const struct iso_source *iso)
{
	return iso->whole ? 0 : iso->info.image_bytes - iso->staged_bytes;
}

int iso_fetch(struct wtg_ctx *ctx, struct iso_source *iso)
{
	struct iso_progress p = { ctx, 0, iso->info.image_bytes };
	int ret;

	if (iso->whole)
		return 0;
	ret = stage_check_space(ctx, iso->stage_parent, iso_fetch_bytes(iso));
	if (ret < 0)
		return ret;
	progress_report(ctx, PROGRESS_COPY, 0, p.total);
	if (iso->info.filesystem == ISO_FS_UDF) {
		for (size_t i = 0; i < iso->n_files && !ret; i++) {
			struct copy_ctx c = { .ctx = ctx, .iso = iso, .index = i, .progress = &p };

			ret = for_pieces(iso->files[i], 0, iso->files[i]->size, copy_piece, &c);
		}
	} else {
		ret = iso_9660_copy(ctx, iso->fd, iso->info.path, (const struct iso_file *const *)iso->files,
				    iso->staged_fds, iso->n_files, &p);
	}
	if (!ret) {
		iso->whole = true;
		iso->staged_bytes = iso->info.image_bytes;
	}
	return ret;
}

/* Makes the stage and a sparse file of the right size for every file. */
static int make_stage(struct wtg_ctx *ctx, struct iso_source *iso, const char *stage_parent)
{
	int ret = stage_create(ctx, stage_parent, &iso->stage);

	iso->stage_parent = xstrdup(stage_parent);
	iso->staged = xcalloc(iso->n_files, sizeof(*iso->staged));
	iso->staged_fds = xcalloc(iso->n_files, sizeof(*iso->staged_fds));
	for (size_t i = 0; i < iso->n_files; i++)
		iso->staged_fds[i] = -1;
	for (size_t i = 0; i < iso->n_files && !ret; i++) {
		iso->staged[i] = stage_path(iso->stage, path_base(iso->files[i]->path));
		iso->staged_fds[i] = open(iso->staged[i], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (iso->staged_fds[i] < 0)
			ret = log_syserr(ctx, errno, "cannot make '%s'", iso->staged[i]);
		else if (ftruncate(iso->staged_fds[i], (off_t)iso->files[i]->size) < 0)
			ret = log_syserr(ctx, errno, "cannot make '%s' %llu bytes long; give another staging directory with --tmpdir",
					iso->staged[i], (unsigned long long)iso->files[i]->size);
	}
	return ret;
}

int iso_open(struct wtg_ctx *ctx, const char *path, const char *image_path, const char *stage_parent, struct iso_source **iso_ret)
{
	struct iso_source *iso = xcalloc(1, sizeof(*iso));
	struct stat sb;
	char id[6];
	bool whole = false;
	int ret = 0;

	iso->path = xstrdup(path);
	iso->info.path = iso->path;
	iso->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (iso->fd < 0 || fstat(iso->fd, &sb) < 0) {
		ret = log_syserr(ctx, errno, "cannot open '%s'", path);
		goto out;
	}
	iso->iso_bytes = (uint64_t)sb.st_size;
	/* libcdio would read a device as a CD drive (MMC commands) */
	if (!S_ISREG(sb.st_mode)) {
		ret = log_error(ctx, WTG_ERR_UNSUPPORTED, "'%s' is not a regular file; copy the disc into an ISO file first (dd if=%s of=windows.iso) and give that",
				path, path);
		goto out;
	}
	volume_identifier(iso->fd, id);
	iso->has_9660 = !strcmp(id, "CD001");
	ret = check_volume_size(ctx, iso);
	if (!ret)
		ret = find_image(ctx, iso, image_path);
	if (ret < 0)
		goto out;
	iso->prefix = xasprintf("%s:%.*s", path,
				(int)(path_base(iso->info.image_path) - iso->info.image_path),
				iso->info.image_path);
	ret = check_files(ctx, iso);
	if (!ret)
		ret = make_stage(ctx, iso, stage_parent);
	/* ISO 9660 is a stream: copied whole */
	whole = iso->info.filesystem == ISO_FS_ISO9660;
	if (!ret && !whole)
		ret = copy_skeleton(ctx, iso, &whole);
	if (!ret && whole)
		ret = iso_fetch(ctx, iso);
out:
	if (ret < 0) {
		iso_source_free(iso);
		return ret;
	}
	*iso_ret = iso;
	return 0;
}

void iso_source_free(struct iso_source *iso)
{
	if (!iso)
		return;
	for (size_t i = 0; iso->staged && i < iso->n_files; i++) {
		if (iso->staged_fds[i] >= 0)
			close(iso->staged_fds[i]);
		free(iso->staged[i]);
	}
	free(iso->staged);
	free(iso->staged_fds);
	stage_remove(iso->stage);
	free(iso->stage_parent);
	if (iso->fd >= 0)
		close(iso->fd);
	iso_dir_release(&iso->dir);
	free(iso->files);
	free(iso->prefix);
	free(iso->path);
	free(iso);
}

const struct iso_info *iso_source_info(const struct iso_source *iso)
{
	return &iso->info;
}

const char *iso_source_staged(const struct iso_source *iso)
{
	return iso->staged[0];
}

const char *iso_source_prefix(const struct iso_source *iso)
{
	return iso->prefix;
}
