/* wim.c - a Windows image opened with wimlib (see wim.h). */
#include "wintogo/wim.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wimlib.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

/* The fixed header every WIM starts with. */
#define WIM_HEADER_BYTES 208
/* WIM header version of solid-compressed (ESD) files. */
#define WIM_VERSION_SOLID 0xE00

struct wim_source {
	WIMStruct *wim;
	char *open_path;       /* the file opened; file.path is its name in messages */
	char *prefix;          /* names are prefix + base name; NULL: the path */
	char **part_paths;     /* every part of a split set, in order */
	char **part_names;     /* and their names in messages */
	unsigned n_parts;
	struct wim_file file;
	struct wtg_ctx *ctx;   /* of the call wimlib reports progress to, or NULL */
	void (*release)(void *user);           /* after wimlib_free, or NULL */
	void *release_ctx;
};

const char *wim_arch_name(enum wim_arch arch)
{
	switch (arch) {
	case WIM_ARCH_X86: return "x86";
	case WIM_ARCH_ARM: return "arm";
	case WIM_ARCH_IA64: return "ia64";
	case WIM_ARCH_X64: return "x64";
	case WIM_ARCH_ARM64: return "arm64";
	default: return "unknown";
	}
}

int wim_error(struct wtg_ctx *ctx, int code, const char *path, const char *action)
{
	const char *why = wimlib_get_error_string(code);

	switch (code) {
	case WIMLIB_ERR_NOT_A_WIM_FILE:
		return log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is not a WIM, ESD, SWM or ISO file (no WIM header, no ISO 9660 or UDF volume); give a Windows ISO or its sources/install.wim",
				 path);
	case WIMLIB_ERR_ABORTED_BY_PROGRESS:
		return log_error(ctx, WTG_ERR_INTERRUPTED, "interrupted while reading '%s'", path);
	case WIMLIB_ERR_UNEXPECTED_END_OF_FILE:
	case WIMLIB_ERR_READ:
	case WIMLIB_ERR_INVALID_HEADER:
	case WIMLIB_ERR_XML:
	case WIMLIB_ERR_INVALID_METADATA_RESOURCE:
	case WIMLIB_ERR_INVALID_LOOKUP_TABLE_ENTRY:
	case WIMLIB_ERR_INVALID_RESOURCE_HASH:
	case WIMLIB_ERR_DECOMPRESSION:
	case WIMLIB_ERR_INVALID_INTEGRITY_TABLE:
	case WIMLIB_ERR_RESOURCE_NOT_FOUND:
		return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "cannot %s '%s': the file is truncated or damaged (%s); download or copy it again",
				 action, path, why);
	case WIMLIB_ERR_INTEGRITY:
		return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' failed its integrity check: its contents do not match its integrity table; download or copy it again",
				 path);
	case WIMLIB_ERR_SPLIT_INVALID:
		return log_error(ctx, WTG_ERR_NOT_FOUND, "cannot %s '%s': parts of the split WIM are missing or do not belong together; keep all .swm parts in one folder",
				 action, path);
	case WIMLIB_ERR_NOMEM:
		return log_error(ctx, WTG_ERR_NO_MEMORY, "cannot %s '%s': out of memory", action, path);
	case WIMLIB_ERR_OPEN:
	case WIMLIB_ERR_STAT:
		return log_syserr(ctx, errno ? errno : EIO, "cannot %s '%s'", action, path);
	case WIMLIB_ERR_UNKNOWN_VERSION:
	case WIMLIB_ERR_INVALID_COMPRESSION_TYPE:
	case WIMLIB_ERR_INVALID_CHUNK_SIZE:
	case WIMLIB_ERR_WIM_IS_ENCRYPTED:
		return log_error(ctx, WTG_ERR_IMAGE_UNSUPPORTED, "cannot %s '%s': %s", action, path, why);
	case WIMLIB_ERR_INVALID_IMAGE:
		return log_error(ctx, WTG_ERR_NO_SUCH_IMAGE, "cannot %s '%s': %s", action, path, why);
	case WIMLIB_ERR_INVALID_PARAM:
		return log_error(ctx, WTG_ERR_INTERNAL, "cannot %s '%s': %s", action, path, why);
	default:
		return log_error(ctx, WTG_ERR_IO, "cannot %s '%s': %s", action, path, why);
	}
}

static enum wimlib_progress_status relay_progress(enum wimlib_progress_msg msg,
						  union wimlib_progress_info *info,
						  void *user)
{
	struct wim_source *source = user;
	int ret = 0;

	switch (msg) {
	case WIMLIB_PROGRESS_MSG_VERIFY_INTEGRITY:
		ret = progress_report(source->ctx, PROGRESS_CHECK,
				      info->integrity.completed_bytes,
				      info->integrity.total_bytes);
		break;
	case WIMLIB_PROGRESS_MSG_VERIFY_STREAMS:
		ret = progress_report(source->ctx, PROGRESS_CHECK,
				      info->verify_streams.completed_bytes,
				      info->verify_streams.total_bytes);
		break;
	default:
		break;
	}
	return ret < 0 || (source->ctx && wtg_ctx_aborted(source->ctx)) ? WIMLIB_PROGRESS_STATUS_ABORT
								 : WIMLIB_PROGRESS_STATUS_CONTINUE;
}

/* "dir/install.swm" -> "dir/install*.swm": where the other parts are. */
static char *split_glob(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');

	if (!dot || (slash && dot < slash))
		return xasprintf("%s*", path);
	return xasprintf("%.*s*%s", (int)(dot - path), path, dot);
}

/* The name of one of the source's files in messages. */
static char *name_of(const struct wim_source *source, const char *path)
{
	if (!source->prefix)
		return xstrdup(path);
	return xasprintf("%s%s", source->prefix, path_base(path));
}

/* Finds every part of the split set that path belongs to, in part order:
 * the files next to it with the same GUID.  A missing part is an error
 * here, not a surprise halfway through writing. */
static int find_parts(struct wtg_ctx *ctx, struct wim_source *source, const struct wimlib_wim_info *first)
{
	unsigned total = first->total_parts;
	char **parts = xcalloc(total, sizeof(char *));
	char *pattern = split_glob(source->open_path);
	glob_t g = { 0 };
	int ret = 0;

	glob(pattern, 0, NULL, &g);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct wimlib_wim_info info;
		WIMStruct *w = NULL;

		if (wimlib_open_wim(g.gl_pathv[i], 0, &w))
			continue;
		wimlib_get_wim_info(w, &info);
		wimlib_free(w);
		if (memcmp(info.guid, first->guid, WIMLIB_GUID_LEN) || info.total_parts != total ||
		    !info.part_number || info.part_number > total || parts[info.part_number - 1])
			continue;
		parts[info.part_number - 1] = xstrdup(g.gl_pathv[i]);
	}
	source->part_paths = parts;
	source->part_names = xcalloc(total, sizeof(char *));
	source->n_parts = total;
	for (unsigned i = 0; i < total && !ret; i++) {
		if (parts[i]) {
			source->part_names[i] = name_of(source, parts[i]);
		} else {
			char *looked = name_of(source, pattern);

			ret = log_error(ctx, WTG_ERR_NOT_FOUND, "part %u of the %u-part split WIM '%s' is missing; keep all its .swm parts in one folder (looked for %s)",
					i + 1, total, source->file.path, looked);
			free(looked);
		}
	}
	globfree(&g);
	free(pattern);
	return ret;
}

static int reference_parts(struct wtg_ctx *ctx, struct wim_source *source)
{
	int err = wimlib_reference_resource_files(source->wim,
						  (const char *const *)source->part_paths,
						  source->n_parts, 0, 0);

	return err ? wim_error(ctx, err, source->file.path, "open the parts of") : 0;
}

static void release_parts(struct wim_source *source)
{
	for (unsigned i = 0; i < source->n_parts; i++) {
		free(source->part_paths[i]);
		free(source->part_names[i]);
	}
	free(source->part_paths);
	free(source->part_names);
	source->part_paths = source->part_names = NULL;
	source->n_parts = 0;
}

static const char *compression_name(int type)
{
	switch (type) {
	case WIMLIB_COMPRESSION_TYPE_NONE: return "none";
	case WIMLIB_COMPRESSION_TYPE_XPRESS: return "XPRESS";
	case WIMLIB_COMPRESSION_TYPE_LZX: return "LZX";
	case WIMLIB_COMPRESSION_TYPE_LZMS: return "LZMS";
	default: return "unknown";
	}
}

/* Opens source->open_path with wimlib and reads what wim_file says. */
static int open_wim(struct wtg_ctx *ctx, struct wim_source *source)
{
	const char *path = source->open_path;
	struct wimlib_wim_info info;
	int fd, err, ret = 0;

	/* wimlib reports a missing file only as "failed to open": ask first */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", source->file.path);
	/* shorter than a WIM header: no WIM at all, rather than a truncated one */
	if (lseek(fd, 0, SEEK_END) < WIM_HEADER_BYTES) {
		close(fd);
		return wim_error(ctx, WIMLIB_ERR_NOT_A_WIM_FILE, source->file.path, "open");
	}
	close(fd);

	err = wimlib_open_wim_with_progress(path, 0, &source->wim, relay_progress, source);
	if (err == WIMLIB_ERR_NOT_A_WIM_FILE && source->prefix)
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is not a WIM, ESD or SWM file (no WIM header); the ISO holds something else there, name its Windows image with --wim-path",
				source->file.path);
	else if (err)
		ret = wim_error(ctx, err, source->file.path, "open");
	if (ret < 0)
		return ret;
	wimlib_get_wim_info(source->wim, &info);
	source->file.compression = compression_name(info.compression_type);
	source->file.parts = info.total_parts;
	source->file.integrity_table = info.has_integrity_table;
	source->file.boot_index = info.boot_index;
	source->file.image_count = info.image_count;
	source->file.format = WIM_FORMAT_WIM;
	if (info.total_parts > 1) {
		source->file.format = WIM_FORMAT_SWM;
		ret = find_parts(ctx, source, &info);
		if (!ret)
			ret = reference_parts(ctx, source);
	} else if (info.wim_version == WIM_VERSION_SOLID) {
		source->file.format = WIM_FORMAT_ESD;
	}
	return ret;
}

int wim_source_open_as(struct wtg_ctx *ctx, const char *path, const char *prefix, struct wim_source **source_ret)
{
	struct wim_source *source = xcalloc(1, sizeof(*source));
	int ret;

	source->open_path = xstrdup(path);
	source->prefix = prefix ? xstrdup(prefix) : NULL;
	source->file.path = name_of(source, path);
	ret = open_wim(ctx, source);
	if (ret < 0) {
		wim_source_free(source);
		return ret;
	}
	*source_ret = source;
	return 0;
}

int wim_source_open(struct wtg_ctx *ctx, const char *path, struct wim_source **source_ret)
{
	return wim_source_open_as(ctx, path, NULL, source_ret);
}

int wim_source_reopen(struct wtg_ctx *ctx, struct wim_source *source)
{
	wimlib_free(source->wim);
	source->wim = NULL;
	release_parts(source);
	return open_wim(ctx, source);
}

int wim_source_adopt(struct WIMStruct *wim, const char *path, void (*release)(void *user),
		     void *ctx, struct wim_source **source_ret)
{
	struct wim_source *source = xcalloc(1, sizeof(*source));
	struct wimlib_wim_info info;

	wimlib_get_wim_info(wim, &info);
	source->wim = wim;
	source->release = release;
	source->release_ctx = ctx;
	source->file = (struct wim_file){
		.path = xstrdup(path),
		.compression = compression_name(info.compression_type),
		.parts = 1,
		.image_count = info.image_count,
	};
	*source_ret = source;
	return 0;
}

void wim_source_free(struct wim_source *source)
{
	if (!source)
		return;
	wimlib_free(source->wim);
	if (source->release)
		source->release(source->release_ctx);
	release_parts(source);
	free(source->open_path);
	free(source->prefix);
	free(source->file.path);
	free(source);
}

const struct wim_file *wim_source_file(const struct wim_source *source)
{
	return &source->file;
}

struct WIMStruct *wim_source_handle(struct wim_source *source)
{
	return source->wim;
}

int wim_source_check(struct wtg_ctx *ctx, struct wim_source *source,
		     const char **method_ret)
{
	const char *path = source->file.path;
	const char *method;
	WIMStruct *checked = NULL;
	int err, ret = 0;

	source->ctx = ctx;
	if (source->file.integrity_table) {
		/* wimlib checks the table while opening: open each part again */
		const char *const single[] = { source->open_path };
		const char *const *parts = source->n_parts ? (const char *const *)source->part_paths : single;
		unsigned n = source->n_parts ? source->n_parts : 1;

		method = "integrity table";
		err = 0;
		for (unsigned i = 0; i < n && !err; i++) {
			err = wimlib_open_wim_with_progress(parts[i],
							    WIMLIB_OPEN_FLAG_CHECK_INTEGRITY,
							    &checked, relay_progress, source);
			wimlib_free(checked);
			checked = NULL;
			if (err && source->n_parts)
				path = source->part_names[i];
		}
	} else {
		method = "resource hashes";
		err = wimlib_verify_wim(source->wim, 0);
		if (err == WIMLIB_ERR_INVALID_RESOURCE_HASH ||
		    err == WIMLIB_ERR_DECOMPRESSION)
			err = WIMLIB_ERR_INTEGRITY;
	}
	source->ctx = NULL;
	if (err) {
		if (err == WIMLIB_ERR_INTEGRITY)
			return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' failed its check against its %s: its contents are damaged; download or copy it again",
					 path, method);
		ret = wim_error(ctx, err, path, "check");
	} else {
		*method_ret = method;
	}
	return ret;
}

static char *property(WIMStruct *wim, int index, const char *name)
{
	const char *value = wimlib_get_image_property(wim, index, name);

	return value ? xstrdup(value) : NULL;
}

static uint64_t number_property(WIMStruct *wim, int index, const char *name,
				uint64_t missing)
{
	const char *value = wimlib_get_image_property(wim, index, name);

	return value && *value ? strtoull(value, NULL, 10) : missing;
}

int wim_source_image(struct wtg_ctx *ctx, struct wim_source *source, int index,
		     struct wim_image *image_ret)
{
	WIMStruct *wim = source->wim;
	struct wim_image image = { .index = index };

	if (index < 1 || index > source->file.image_count)
		return log_error(ctx, WTG_ERR_NO_SUCH_IMAGE, "'%s' has no image %d (it has %d); see `wintogo info %s`",
				 source->file.path, index,
				 source->file.image_count, source->file.path);

	image.name = xstrdup(wimlib_get_image_name(wim, index));
	image.description = property(wim, index, "DESCRIPTION");
	image.display_name = property(wim, index, "DISPLAYNAME");
	image.edition = property(wim, index, "WINDOWS/EDITIONID");
	image.flags = property(wim, index, "FLAGS");
	image.installation_type = property(wim, index, "WINDOWS/INSTALLATIONTYPE");
	image.arch = (enum wim_arch)number_property(wim, index, "WINDOWS/ARCH",
						    (uint64_t)WIM_ARCH_UNKNOWN);
	image.major = number_property(wim, index, "WINDOWS/VERSION/MAJOR", 0);
	image.minor = number_property(wim, index, "WINDOWS/VERSION/MINOR", 0);
	image.build = number_property(wim, index, "WINDOWS/VERSION/BUILD", 0);
	image.sp_build = number_property(wim, index, "WINDOWS/VERSION/SPBUILD", 0);
	image.default_language = property(wim, index, "WINDOWS/LANGUAGES/DEFAULT");
	image.file_count = number_property(wim, index, "FILECOUNT", 0);
	image.dir_count = number_property(wim, index, "DIRCOUNT", 0);
	image.expanded_size = number_property(wim, index, "TOTALBYTES", 0);

	for (int i = 1;; i++) {
		char key[64];
		const char *lang;

		snprintf(key, sizeof(key), "WINDOWS/LANGUAGES/LANGUAGE[%d]", i);
		lang = wimlib_get_image_property(wim, index, key);
		if (!lang)
			break;
		image.languages = xrealloc(image.languages,
					   (image.n_languages + 1) * sizeof(char *));
		image.languages[image.n_languages++] = xstrdup(lang);
	}
	*image_ret = image;
	return 0;
}

void wim_image_release(struct wim_image *image)
{
	free(image->name);
	free(image->description);
	free(image->display_name);
	free(image->edition);
	free(image->flags);
	free(image->installation_type);
	free(image->default_language);
	for (size_t i = 0; i < image->n_languages; i++)
		free(image->languages[i]);
	free(image->languages);
	*image = (struct wim_image){ 0 };
}
