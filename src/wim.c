/* wim.c - a Windows image opened with wimlib (see wim.h). */
#include "wintogo/wim.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wimlib.h>
#include <libxml/xmlerror.h>
#include <libxml/globals.h>

#include "wintogo/log.h"
#include "wintogo/util.h"
#include "wintogo/wimhdr.h"

/* WIM header version of solid-compressed (ESD) files. */
#define WIM_VERSION_SOLID 0xE00
/* No Windows image expands to more than this (the largest have tens of
 * GiB): a TOTALBYTES above it is damage, and would overflow the layout's
 * arithmetic. */
#define EXPANDED_MAX (UINT64_C(256) << 40)

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
	case WIMLIB_ERR_NTFS_3G:
	case WIMLIB_ERR_WRITE:
		/* "NTFS-3G encountered an error (check errno)": say what errno says */
		if (errno)
			return log_syserr(ctx, errno, "cannot %s '%s'", action, path);
		return log_error(ctx, WTG_ERR_IO, "cannot %s '%s': %s", action, path, why);
	default:
		return log_error(ctx, WTG_ERR_IO, "cannot %s '%s': %s", action, path, why);
	}
}

int wim_apply_error(struct wtg_ctx *ctx, int code, int errnum, const char *path,
		    const char *target, uint64_t target_bytes, bool in_target)
{
	char need[SIZE_TEXT_MAX];
	struct statvfs vfs;
	bool full;

	if (code != WIMLIB_ERR_NTFS_3G && code != WIMLIB_ERR_WRITE) {
		errno = errnum;
		return wim_error(ctx, code, path, "apply the image from");
	}
	/* NTFS-3G's cleanup after a failed write may leave another errno
	 * (EBUSY): a stage file system with (almost) nothing left is full */
	full = errnum == ENOSPC ||
	       (statvfs(target, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < 1024 * 1024);
	if (full && in_target)
		return log_error(ctx, WTG_ERR_NO_SPACE, "cannot apply the image from '%s': the file system of '%s' has no room left for the %s Windows partition; free space there or write the image elsewhere",
				 path, target, format_size(target_bytes, need));
	if (in_target)
		return log_error(ctx, errnum == EIO ? WTG_ERR_IO : wtg_err_from_errno(errnum),
				 "cannot apply the image from '%s': NTFS-3G failed to write '%s' (the last system error: %s); check the file system it is on",
				 path, target, strerror(errnum));
	if (full)
		return log_error(ctx, WTG_ERR_NO_SPACE, "cannot apply the image from '%s': the stage '%s' is full (its file system has no room left for the %s Windows partition); free space there or give another directory with --tmpdir",
				 path, target, format_size(target_bytes, need));
	return log_error(ctx, errnum == EIO ? WTG_ERR_IO : wtg_err_from_errno(errnum),
			 "cannot apply the image from '%s': NTFS-3G failed to write the stage '%s' (the last system error: %s); check the file system of --tmpdir",
			 path, target, strerror(errnum));
}

/* What libxml2 says while wimlib parses a WIM's XML, kept for our one line
 * instead of printed on stderr; the handlers it had before are put back
 * after the call. */
struct xml_errors {
	char first[WIMHDR_WHY_SIZE];
	xmlGenericErrorFunc generic;
	void *generic_ctx;
	xmlStructuredErrorFunc structured;
	void *structured_ctx;
};

static void keep_first(struct xml_errors *e, const char *text)
{
	size_t n;

	if (e->first[0] || !text)
		return;
	snprintf(e->first, sizeof(e->first), "%s", text);
	n = strlen(e->first);
	while (n && (e->first[n - 1] == '\n' || e->first[n - 1] == ' '))
		e->first[--n] = '\0';
}

static void keep_structured(void *user, xmlErrorPtr error)
{
	keep_first(user, error ? error->message : NULL);
}

PRINTF_LIKE(2, 3) static void keep_generic(void *user, const char *fmt, ...)
{
	char text[WIMHDR_WHY_SIZE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	keep_first(user, text);
}

static void catch_xml_errors(struct xml_errors *e)
{
	*e = (struct xml_errors){
		.generic = xmlGenericError,
		.generic_ctx = xmlGenericErrorContext,
		.structured = xmlStructuredError,
		.structured_ctx = xmlStructuredErrorContext,
	};
	xmlSetGenericErrorFunc(e, keep_generic);
	xmlSetStructuredErrorFunc(e, keep_structured);
}

static void release_xml_errors(struct xml_errors *e)
{
	xmlSetGenericErrorFunc(e->generic_ctx, e->generic);
	xmlSetStructuredErrorFunc(e->structured_ctx, e->structured);
}

/* wim_error for opening, with what libxml2 said about a damaged XML. */
static int open_error(struct wtg_ctx *ctx, int code, const struct xml_errors *e, const char *path,
		      const char *action)
{
	if (code == WIMLIB_ERR_XML && e->first[0])
		return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' is damaged: its XML is damaged (libxml2: %s); download or copy it again",
				 path, e->first);
	return wim_error(ctx, code, path, action);
}

struct fd_reader {
	struct wtg_ctx *ctx;
	int fd;
	const char *name;
};

/* A wimhdr_read_fn on an open file. */
static int read_fd(void *user, uint64_t offset, void *buf, size_t len)
{
	struct fd_reader *r = user;
	ssize_t n = pread(r->fd, buf, len, (off_t)offset);

	if (n != (ssize_t)len)
		return log_syserr(r->ctx, n < 0 ? errno : EIO, "cannot read '%s'", r->name);
	return 0;
}

/* Checks the header of the file at path (name in messages) before wimlib
 * trusts it: see wimhdr_check, whose results this returns (a missing or
 * unreadable file logged; no WIM header -WTG_ERR_NOT_AN_IMAGE unlogged). */
static int check_header(struct wtg_ctx *ctx, const char *path, const char *name)
{
	struct fd_reader r = { ctx, -1, name };
	struct stat st;
	int ret;

	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", name);
	if (fstat(r.fd, &st) < 0)
		ret = log_syserr(ctx, errno, "cannot open '%s'", name);
	else
		ret = wimhdr_check(ctx, name, (uint64_t)st.st_size, read_fd, &r);
	close(r.fd);
	return ret;
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

/* What the file at path says of the split set it belongs to: 0 when it is
 * a WIM part wimlib opens, else -1 (a file that is not a part, or a
 * damaged one, counts as missing). */
static int part_info(const char *path, struct wimlib_wim_info *info_ret)
{
	struct xml_errors xml_errors;
	struct wtg_ctx quiet;
	WIMStruct *w = NULL;
	int err;

	wtg_ctx_init(&quiet);
	err = check_header(&quiet, path, path);
	wtg_ctx_release(&quiet);
	if (err)
		return -1;
	catch_xml_errors(&xml_errors);
	err = wimlib_open_wim(path, 0, &w);
	release_xml_errors(&xml_errors);
	if (err)
		return -1;
	wimlib_get_wim_info(w, info_ret);
	wimlib_free(w);
	return 0;
}

/* The files that may be parts of the set path belongs to: those next to
 * it whose name starts as its name does ("install.swm" -> "install*.swm"),
 * or, from a later part whose name carries its number ("install2.swm"),
 * every file with its extension in its folder. */
static char *parts_glob(const char *path, bool any_name)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(path, '.');
	int dir_len = slash ? (int)(slash - path + 1) : 0;

	if (!any_name)
		return split_glob(path);
	if (!dot || (slash && dot < slash))
		dot = "";
	return xasprintf("%.*s*%s", dir_len, path, dot);
}

/* Refuses a later part of a split set, named where the first belongs:
 * wimlib opens any part, but only the first leads to the others.  The
 * first part is looked for by the set's GUID among the files next to it. */
static int not_first_part(struct wtg_ctx *ctx, struct wim_source *source, const struct wimlib_wim_info *named)
{
	char *pattern = parts_glob(source->open_path, true);
	char *first = NULL, *name;
	glob_t g = { 0 };
	int ret;

	glob(pattern, 0, NULL, &g);
	for (size_t i = 0; i < g.gl_pathc && !first; i++) {
		struct wimlib_wim_info info;

		if (!part_info(g.gl_pathv[i], &info) && !memcmp(info.guid, named->guid, WIMLIB_GUID_LEN) &&
		    info.total_parts == named->total_parts && info.part_number == 1)
			first = g.gl_pathv[i];
	}
	if (first) {
		name = name_of(source, first);
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' is part %u of a split WIM; give the first part, '%s'",
				source->file.path, named->part_number, name);
		free(name);
	} else {
		ret = log_error(ctx, WTG_ERR_NOT_FOUND, "'%s' is part %u of the %u-part split WIM, whose first part is not next to it; give the first part (keep all .swm parts in one folder)",
				source->file.path, named->part_number, named->total_parts);
	}
	globfree(&g);
	free(pattern);
	return ret;
}

/* Finds every part of the split set that path belongs to, in part order:
 * the files next to it with the same GUID.  A missing part is an error
 * here, not a surprise halfway through writing. */
static int find_parts(struct wtg_ctx *ctx, struct wim_source *source, const struct wimlib_wim_info *first)
{
	unsigned total = first->total_parts;
	char **parts;
	char *pattern;
	glob_t g = { 0 };
	int ret = 0;

	if (first->part_number != 1)
		return not_first_part(ctx, source, first);
	parts = xcalloc(total, sizeof(char *));
	pattern = parts_glob(source->open_path, false);
	glob(pattern, 0, NULL, &g);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct wimlib_wim_info info;

		if (part_info(g.gl_pathv[i], &info) < 0)
			continue;
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
	struct xml_errors xml_errors;
	int err;

	catch_xml_errors(&xml_errors);
	err = wimlib_reference_resource_files(source->wim, (const char *const *)source->part_paths,
					      source->n_parts, 0, 0);
	release_xml_errors(&xml_errors);
	return err ? open_error(ctx, err, &xml_errors, source->file.path, "open the parts of") : 0;
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

static int check_image_sizes(struct wtg_ctx *ctx, struct wim_source *source);

/* Opens source->open_path with wimlib and reads what wim_file says. */
static int open_wim(struct wtg_ctx *ctx, struct wim_source *source)
{
	const char *path = source->open_path;
	struct wimlib_wim_info info;
	struct xml_errors xml_errors;
	int err, ret;

	/* wimlib reports a missing file only as "failed to open", and
	 * allocates whatever a damaged header says: ask and check first */
	ret = check_header(ctx, path, source->file.path);
	err = ret == -WTG_ERR_NOT_AN_IMAGE ? WIMLIB_ERR_NOT_A_WIM_FILE : 0;
	if (!ret) {
		catch_xml_errors(&xml_errors);
		err = wimlib_open_wim_with_progress(path, 0, &source->wim, relay_progress, source);
		release_xml_errors(&xml_errors);
	}
	if (err == WIMLIB_ERR_NOT_A_WIM_FILE && source->prefix)
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is not a WIM, ESD or SWM file (no WIM header); the ISO holds something else there, name its Windows image with --wim-path",
				source->file.path);
	else if (err == WIMLIB_ERR_NOT_A_WIM_FILE)
		ret = wim_error(ctx, err, source->file.path, "open");
	else if (err)
		ret = open_error(ctx, err, &xml_errors, source->file.path, "open");
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
	if (!ret)
		ret = check_image_sizes(ctx, source);
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
			struct xml_errors xml_errors;

			/* the files were checked when opened: wimlib reads
			 * nothing that it did not read then */
			catch_xml_errors(&xml_errors);
			err = wimlib_open_wim_with_progress(parts[i],
							    WIMLIB_OPEN_FLAG_CHECK_INTEGRITY,
							    &checked, relay_progress, source);
			release_xml_errors(&xml_errors);
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

/* A count or size in the XML, which layouts are computed from: a whole
 * decimal number up to max, or missing (*value_ret = 0). */
static int size_property(struct wtg_ctx *ctx, struct wim_source *source, int index,
			 const char *name, uint64_t max, const char *max_text, uint64_t *value_ret)
{
	const char *value = wimlib_get_image_property(source->wim, index, name);
	uint64_t v = 0;

	for (const char *p = value; p && *p; p++) {
		if (*p < '0' || *p > '9' || __builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v) || v > max) {
			v = UINT64_MAX;
			break;
		}
	}
	if (v > max)
		return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "'%s' is damaged: its XML gives image %d a %s of '%.40s', not a whole number up to %s; download or copy it again",
				 source->file.path, index, name, value, max_text);
	*value_ret = v;
	return 0;
}

/* The sizes and counts of image index, which the layout is computed from. */
static int image_sizes(struct wtg_ctx *ctx, struct wim_source *source, int index,
		       struct wim_image *image)
{
	int ret = size_property(ctx, source, index, "TOTALBYTES", EXPANDED_MAX, "256 TiB",
				&image->expanded_size);

	if (!ret)
		ret = size_property(ctx, source, index, "FILECOUNT", UINT32_MAX, "4294967295",
				    &image->file_count);
	if (!ret)
		ret = size_property(ctx, source, index, "DIRCOUNT", UINT32_MAX, "4294967295",
				    &image->dir_count);
	/* only for an estimate (ntfs_tight.c): not refused when odd, but a
	 * value that is not a part of TOTALBYTES is not believed */
	image->hardlink_bytes = number_property(source->wim, index, "HARDLINKBYTES", 0);
	if (image->hardlink_bytes > image->expanded_size)
		image->hardlink_bytes = 0;
	return ret;
}

/* Every image's sizes, when the file is opened: a damaged one is refused
 * before anything about the file is shown. */
static int check_image_sizes(struct wtg_ctx *ctx, struct wim_source *source)
{
	int ret = 0;

	for (int i = 1; i <= source->file.image_count && !ret; i++) {
		struct wim_image image = { 0 };

		ret = image_sizes(ctx, source, i, &image);
	}
	return ret;
}

int wim_source_image(struct wtg_ctx *ctx, struct wim_source *source, int index,
		     struct wim_image *image_ret)
{
	WIMStruct *wim = source->wim;
	struct wim_image image = { .index = index };
	int ret;

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
	ret = image_sizes(ctx, source, index, &image);
	if (ret < 0) {
		wim_image_release(&image);
		return ret;
	}

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
