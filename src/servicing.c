/* servicing.c - Windows To Go changes to an image before it is applied
 * (see servicing.h).  Where each value lives and why:
 * shared/reference/SERVICING.md. */
#include "wintogo/servicing.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <wimlib.h>

#include "wintogo/drivers.h"
#include "wintogo/hive.h"
#include "wintogo/log.h"
#include "wintogo/stage.h"
#include "wintogo/timezone.h"
#include "wintogo/util.h"

/* BootDriverFlags bits: CM_SERVICE_USB_DISK_BOOT_LOAD |
 * CM_SERVICE_USB3_DISK_BOOT_LOAD, what Windows sets itself when it first
 * boots from USB. */
#define USB_BOOT_FLAGS 0x14
#define CONFIG_DIR "/Windows/System32/config/"
#define UNATTEND_PATH "/Windows/Panther/unattend.xml"
/* Room for the hives of a real Windows (SOFTWARE alone is ~100 MiB). */
#define HIVES_SPACE (256 * MIB)

/* A file to put into the image: fs_path becomes image_path. */
struct staged_file {
	char *fs_path;
	const char *image_path;
	int add_flags;
};

struct servicing {
	struct servicing_options opt;
	struct wim_source *source;
	int index;
	char *dir;
	struct servicing_change *changes;
	size_t n_changes;
	struct staged_file files[4];  /* SYSTEM, SOFTWARE, drivers, unattend.xml */
	size_t n_files;
	struct driver_set drivers;
	char *drivers_archive_dir;  /* where an archive is unpacked */
	char *timezone;
	uint64_t added_bytes;
};

const char *servicing_change_kind_name(enum servicing_change_kind kind)
{
	switch (kind) {
	case CHANGE_REGISTRY: return "registry";
	case CHANGE_FILE: return "file";
	default: return "answer";
	}
}

static struct servicing_change *add_change(struct servicing *sv, enum servicing_change_kind kind,
					   char *where, const char *name, const char *why)
{
	struct servicing_change *c;

	sv->changes = xrealloc(sv->changes, (sv->n_changes + 1) * sizeof(*sv->changes));
	c = &sv->changes[sv->n_changes++];
	*c = (struct servicing_change){ .kind = kind, .where = where,
					.name = name ? xstrdup(name) : NULL, .why = why };
	return c;
}

static void stage_file(struct servicing *sv, char *fs_path, const char *image_path, int flags)
{
	sv->files[sv->n_files++] = (struct staged_file){ fs_path, image_path, flags };
}

static const char *image_name(struct servicing *sv)
{
	return wim_source_file(sv->source)->path;
}

static int get_size(const struct wimlib_dir_entry *e, void *user)
{
	*(uint64_t *)user = e->streams[0].resource.uncompressed_size;
	return 0;
}

/* Whether the image has path; *size_ret gets a file's size. */
static bool image_has(struct servicing *sv, const char *path, uint64_t *size_ret)
{
	return !wimlib_iterate_dir_tree(wim_source_handle(sv->source), sv->index, path, 0,
					get_size, size_ret);
}

/* --- hives ------------------------------------------------------------- */

struct hive {
	struct servicing *sv;
	const char *name;   /* "SYSTEM" */
	const char *image_path;
	char *path;         /* the staged copy */
	hive_h *h;
	bool changed;
};

/* The one file wimlib extracted into dir. */
static char *only_file(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *found = NULL;

	while (d && !found && (e = readdir(d)))
		if (e->d_name[0] != '.')
			found = xasprintf("%s/%s", dir, e->d_name);
	if (d)
		closedir(d);
	return found;
}

static int hive_open(struct wtg_ctx *ctx, struct servicing *sv, const char *name, const char *image_path,
		     struct hive *hv)
{
	char *dir = xasprintf("%s/%s", sv->dir, name);
	const char *paths[] = { image_path };
	int err, ret = 0;

	*hv = (struct hive){ .sv = sv, .name = name, .image_path = image_path };
	if (mkdir(dir, 0700) < 0) {
		ret = log_syserr(ctx, errno, "cannot make '%s'", dir);
		goto out;
	}
	err = wimlib_extract_paths(wim_source_handle(sv->source), sv->index, dir, paths, 1,
				   WIMLIB_EXTRACT_FLAG_NO_PRESERVE_DIR_STRUCTURE | WIMLIB_EXTRACT_FLAG_NORPFIX);
	if (err == WIMLIB_ERR_PATH_DOES_NOT_EXIST) {
		ret = log_error(ctx, WTG_ERR_NO_WINDOWS, "image %d of '%s' has no %s: it is no Windows installation that can be made a Windows To Go (choose another with --index)",
				sv->index, image_name(sv), image_path);
		goto out;
	}
	if (err) {
		ret = wim_error(ctx, err, image_name(sv), "extract the registry from");
		goto out;
	}
	hv->path = only_file(dir);
	hv->h = hv->path ? hivex_open(hv->path, HIVEX_OPEN_WRITE) : NULL;
	if (!hv->h)
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "the %s hive of image %d of '%s' is damaged: hivex cannot read it; use another image",
				name, sv->index, image_name(sv));
out:
	free(dir);
	return ret;
}

static int hive_error(struct wtg_ctx *ctx, struct hive *hv, const char *key)
{
	return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "cannot edit %s\\%s in the %s hive of image %d of '%s' (%s); the hive may be damaged, use another image",
			 hv->name, key, hv->name, hv->sv->index, image_name(hv->sv),
			 strerror(errno ? errno : EIO));
}

/* The key at path, made where missing when create. 0 (errno 0): none. */
static int hive_key(struct wtg_ctx *ctx, struct hive *hv, const char *path, bool create, hive_node_h *node_ret)
{
	hive_node_h node;

	errno = 0;
	node = hive_path(hv->h, hivex_root(hv->h), path, create);
	if (!node && (errno || create))
		return hive_error(ctx, hv, path);
	*node_ret = node;
	return 0;
}

/* A REG_DWORD value: *present_ret false when there is none. */
static int read_dword(struct wtg_ctx *ctx, struct hive *hv, hive_node_h node, const char *key, const char *name,
		      uint32_t *value_ret, bool *present_ret)
{
	hive_value_h v;
	hive_type type;
	size_t len;

	errno = 0;
	v = hivex_node_get_value(hv->h, node, name);
	*present_ret = v != 0;
	if (!v)
		return errno ? hive_error(ctx, hv, key) : 0;
	if (hivex_value_type(hv->h, v, &type, &len) < 0 || type != hive_t_REG_DWORD || len != 4)
		return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "%s\\%s\\%s in image %d of '%s' is not a REG_DWORD; the hive is damaged, use another image",
				 hv->name, key, name, hv->sv->index, image_name(hv->sv));
	errno = 0;
	*value_ret = (uint32_t)hivex_value_dword(hv->h, v);
	return errno ? hive_error(ctx, hv, key) : 0;
}

static int set_value(struct wtg_ctx *ctx, struct hive *hv, hive_node_h node, const char *key, const char *name,
		     hive_type type, const void *data, size_t len)
{
	hive_set_value v = { (char *)name, type, len, (char *)data };

	if (hivex_node_set_value(hv->h, node, &v, 0) < 0)
		return hive_error(ctx, hv, key);
	hv->changed = true;
	return 0;
}

static char *dword_text(uint32_t v, bool hex)
{
	return hex ? xasprintf("0x%x", v) : xasprintf("%u", v);
}

/* key\name = value (or |= value with or_bits, only when the value exists). */
static int set_dword(struct wtg_ctx *ctx, struct hive *hv, const char *key, const char *name, uint32_t value,
		     bool or_bits, const char *why)
{
	hive_node_h node;
	uint32_t old = 0, new;
	bool present;
	struct servicing_change *c;
	int ret = hive_key(ctx, hv, key, !or_bits, &node);

	if (!ret && node)
		ret = read_dword(ctx, hv, node, key, name, &old, &present);
	if (ret < 0 || !node || (or_bits && !present))
		return ret;
	new = or_bits ? old | value : value;
	if (present && new == old)
		return 0;
	ret = set_value(ctx, hv, node, key, name, hive_t_REG_DWORD, &new, sizeof(new));
	if (!ret) {
		c = add_change(hv->sv, CHANGE_REGISTRY, xasprintf("%s\\%s", hv->name, key), name, why);
		c->type = "REG_DWORD";
		c->old_value = present ? dword_text(old, or_bits) : NULL;
		c->new_value = dword_text(new, or_bits);
	}
	return ret;
}

static int hive_finish(struct wtg_ctx *ctx, struct hive *hv, int ret)
{
	if (!ret && hv->changed && hivex_commit(hv->h, NULL, 0) < 0)
		ret = log_syserr(ctx, errno, "cannot write the edited %s hive '%s'", hv->name, hv->path);
	if (!ret && hv->changed) {
		stage_file(hv->sv, hv->path, hv->image_path, 0);
		hv->path = NULL;
	}
	if (hv->h)
		hivex_close(hv->h);
	free(hv->path);
	return ret;
}

/* The control set Windows boots with: offline there is no
 * CurrentControlSet, Select\Current names it. */
static int current_control_set(struct wtg_ctx *ctx, struct hive *hv, char **name_ret)
{
	hive_node_h select, set;
	uint32_t current = 0;
	bool present = false;
	char *name;
	int ret = hive_key(ctx, hv, "Select", false, &select);

	if (!ret && select)
		ret = read_dword(ctx, hv, select, "Select", "Current", &current, &present);
	if (ret < 0)
		return ret;
	if (!present || !current || current > 999)
		return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "the SYSTEM hive of image %d of '%s' has no Select\\Current naming its control set; the hive is damaged, use another image",
				 hv->sv->index, image_name(hv->sv));
	name = xasprintf("ControlSet%03u", current);
	ret = hive_key(ctx, hv, name, false, &set);
	if (!ret && !set)
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "the SYSTEM hive of image %d of '%s' has no %s, which Select\\Current names; the hive is damaged, use another image",
				hv->sv->index, image_name(hv->sv), name);
	if (ret < 0)
		free(name);
	else
		*name_ret = name;
	return ret;
}

/* Every HardwareConfig\{...}\BootDriverFlags gets the USB bits; images
 * without HardwareConfig (as Microsoft ships them) are left alone:
 * Windows makes it at its first boot, with the bits of the disk it boots
 * from. */
static int usb_boot_flags(struct wtg_ctx *ctx, struct hive *hv)
{
	hive_node_h config, *children = NULL;
	int ret = hive_key(ctx, hv, "HardwareConfig", false, &config);

	if (ret < 0 || !config)
		return ret;
	children = hivex_node_children(hv->h, config);
	if (!children)
		return hive_error(ctx, hv, "HardwareConfig");
	for (size_t i = 0; children[i] && !ret; i++) {
		char *name = hivex_node_name(hv->h, children[i]);
		char *key = xasprintf("HardwareConfig\\%s", name ? name : "");

		ret = name ? set_dword(ctx, hv, key, "BootDriverFlags", USB_BOOT_FLAGS, true,
				       "Windows loads its USB storage drivers at boot, also after it booted elsewhere")
			   : hive_error(ctx, hv, "HardwareConfig");
		free(key);
		free(name);
	}
	free(children);
	return ret;
}

static int edit_system(struct wtg_ctx *ctx, struct servicing *sv)
{
	const struct servicing_options *opt = &sv->opt;
	struct hive hv;
	char *cs = NULL, *key;
	int ret;

	if (opt->san_policy == SAN_POLICY_KEEP && !opt->usb_boot_flags && !opt->portable_flag)
		return 0;
	ret = hive_open(ctx, sv, "SYSTEM", CONFIG_DIR "SYSTEM", &hv);
	if (!ret)
		ret = current_control_set(ctx, &hv, &cs);
	if (!ret && opt->san_policy != SAN_POLICY_KEEP) {
		key = xasprintf("%s\\Services\\partmgr\\Parameters", cs);
		ret = set_dword(ctx, &hv, key, "SanPolicy", opt->san_policy, false,
				opt->san_policy == SAN_POLICY_OFFLINE_INTERNAL
					? "the PC's internal disks stay offline, so Windows To Go cannot change them"
					: "every disk comes online");
		free(key);
	}
	if (!ret && opt->portable_flag) {
		key = xasprintf("%s\\Control", cs);
		ret = set_dword(ctx, &hv, key, "PortableOperatingSystem", 1, false,
				"Windows runs as Windows To Go: no hibernation, no feature updates, no reset");
		free(key);
	}
	if (!ret && opt->usb_boot_flags)
		ret = usb_boot_flags(ctx, &hv);
	free(cs);
	return hive_finish(ctx, &hv, ret);
}

static bool lists_folder(const char *path_list, const char *folder)
{
	char *copy = xstrdup(path_list), *save = NULL;
	bool found = false;

	for (char *p = strtok_r(copy, ";", &save); p && !found; p = strtok_r(NULL, ";", &save))
		found = !strcasecmp(p, folder);
	free(copy);
	return found;
}

/* DevicePath: where Plug and Play looks for drivers of new devices. */
static int add_device_path(struct wtg_ctx *ctx, struct servicing *sv)
{
	static const char key[] = "Microsoft\\Windows\\CurrentVersion";
	struct hive hv;
	hive_node_h node = 0;
	hive_value_h v = 0;
	char *old = NULL, *new = NULL, *data;
	size_t len;
	int ret = hive_open(ctx, sv, "SOFTWARE", CONFIG_DIR "SOFTWARE", &hv);

	if (!ret)
		ret = hive_key(ctx, &hv, key, true, &node);
	if (!ret) {
		errno = 0;
		v = hivex_node_get_value(hv.h, node, "DevicePath");
		old = v ? hivex_value_string(hv.h, v) : NULL;
		if ((v && !old) || (!v && errno))
			ret = hive_error(ctx, &hv, key);
	}
	if (!ret && !(old && lists_folder(old, SERVICING_DRIVERS_WINDOWS))) {
		struct servicing_change *c;

		new = xasprintf("%s;%s", old ? old : "%SystemRoot%\\inf", SERVICING_DRIVERS_WINDOWS);
		data = hive_utf16(new, &len);
		ret = set_value(ctx, &hv, node, key, "DevicePath", hive_t_REG_EXPAND_SZ, data, len);
		free(data);
		if (!ret) {
			c = add_change(sv, CHANGE_REGISTRY, xasprintf("SOFTWARE\\%s", key), "DevicePath",
				       "Plug and Play looks for drivers in the added folder");
			c->type = "REG_EXPAND_SZ";
			c->old_value = old;
			c->new_value = new;
			old = new = NULL;
		}
	}
	free(old);
	free(new);
	return hive_finish(ctx, &hv, ret);
}

/* --- drivers and answers --------------------------------------------- */

static char *windows_path(const char *image_path)
{
	char *w = xstrdup(image_path);

	for (char *p = w; *p; p++)
		if (*p == '/')
			*p = '\\';
	return w;
}

static int add_drivers(struct wtg_ctx *ctx, struct servicing *sv)
{
	struct driver_set *d = &sv->drivers;
	struct servicing_change *c;
	char size[SIZE_TEXT_MAX];
	uint64_t had = 0;
	int ret = drivers_scan(ctx, sv->opt.drivers_path, d);

	if (!ret)
		ret = add_device_path(ctx, sv);
	if (ret < 0)
		return ret;
	c = add_change(sv, CHANGE_FILE, windows_path(SERVICING_DRIVERS_DIR), NULL,
		       "driver packages, installed by pnputil at first boot");
	c->old_value = image_has(sv, SERVICING_DRIVERS_DIR, &had) ? xstrdup("a folder (files of the same names are replaced)") : NULL;
	c->new_value = xasprintf("%zu driver package%s (%s%s), %llu files, %s, from %s", d->n_infs,
				 d->n_infs == 1 ? "" : "s", d->infs[0], d->n_infs > 1 ? ", ..." : "",
				 (unsigned long long)d->files, format_size(d->bytes, size), d->source);
	sv->added_bytes += d->bytes;
	if (d->archive) {
		sv->drivers_archive_dir = stage_path(sv->dir, "drivers");
		stage_file(sv, xstrdup(sv->drivers_archive_dir), SERVICING_DRIVERS_DIR, 0);
	} else {
		stage_file(sv, xstrdup(d->source), SERVICING_DRIVERS_DIR, WIMLIB_ADD_FLAG_DEREFERENCE);
	}
	return 0;
}

static struct servicing_change *unattend_file_change(struct servicing *sv, const char *why)
{
	struct servicing_change *c = add_change(sv, CHANGE_FILE, windows_path(UNATTEND_PATH), NULL, why);
	uint64_t had = 0;
	char size[SIZE_TEXT_MAX];

	if (image_has(sv, UNATTEND_PATH, &had))
		c->old_value = xasprintf("a file of %s", format_size(had, size));
	return c;
}

static int file_size(struct wtg_ctx *ctx, const char *path, uint64_t *size_ret)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return log_syserr(ctx, errno, "cannot look at '%s'", path);
	*size_ret = (uint64_t)st.st_size;
	return 0;
}

/* The image's display language matching locale, if it has one. */
static const char *ui_language(const struct wim_image *image, const char *locale)
{
	for (size_t i = 0; locale && i < image->n_languages; i++)
		if (!strcasecmp(image->languages[i], locale))
			return image->languages[i];
	return NULL;
}

static int add_answers(struct wtg_ctx *ctx, struct servicing *sv, const struct wim_image *image)
{
	struct unattend_answers a = sv->opt.answers;
	struct unattend_setting *settings = NULL;
	struct servicing_change *c;
	char *path = stage_path(sv->dir, "unattend.xml"), size[SIZE_TEXT_MAX];
	size_t n = 0;
	uint64_t bytes = 0;
	int ret = 0;

	if (a.timezone)
		ret = timezone_windows_id(ctx, a.timezone, &sv->timezone);
	a.timezone = sv->timezone;
	a.ui_language = ui_language(image, a.locale);
	if (sv->opt.drivers_path)
		a.drivers_dir = SERVICING_DRIVERS_WINDOWS;
	if (!ret)
		ret = unattend_write(ctx, &a, image->arch, path, &settings, &n);
	if (!ret)
		ret = file_size(ctx, path, &bytes);
	if (ret < 0) {
		free(path);
		goto out;
	}
	c = unattend_file_change(sv, "answers for the first boot");
	c->new_value = xasprintf("%zu settings, %s", n, format_size(bytes, size));
	for (size_t i = 0; i < n; i++) {
		c = add_change(sv, CHANGE_ANSWER, xasprintf("%s %s", settings[i].pass, settings[i].component),
			       settings[i].path, NULL);
		c->new_value = settings[i].value;
		settings[i].value = NULL;
	}
	sv->added_bytes += bytes;
	stage_file(sv, path, UNATTEND_PATH, 0);
out:
	unattend_settings_free(settings, n);
	return ret;
}

static int add_unattend_file(struct wtg_ctx *ctx, struct servicing *sv)
{
	const char *path = sv->opt.unattend_path;
	struct servicing_change *c;
	char size[SIZE_TEXT_MAX];
	uint64_t bytes = 0;
	int ret = unattend_check_file(ctx, path);

	if (!ret)
		ret = file_size(ctx, path, &bytes);
	if (ret < 0)
		return ret;
	if (sv->opt.drivers_path)
		log_warn(ctx, "the drivers are added to DevicePath only: --unattend is taken as is, so no pnputil command installs them at first boot");
	c = unattend_file_change(sv, "answers for the first boot, taken as is");
	c->new_value = xasprintf("'%s' as is, %s", path, format_size(bytes, size));
	sv->added_bytes += bytes;
	stage_file(sv, xstrdup(path), UNATTEND_PATH, 0);
	return 0;
}

/* --- the job ---------------------------------------------------------- */

static bool anything(const struct servicing_options *opt)
{
	return opt->san_policy != SAN_POLICY_KEEP || opt->usb_boot_flags || opt->portable_flag ||
	       opt->unattend_path || opt->drivers_path || unattend_answers_any(&opt->answers);
}

int servicing_prepare(struct wtg_ctx *ctx, const struct servicing_options *opt, struct wim_source *source,
		      const struct wim_image *image, const char *stage_parent,
		      struct servicing **sv_ret)
{
	struct servicing *sv;
	int ret;

	*sv_ret = NULL;
	if (!anything(opt))
		return 0;
	sv = xcalloc(1, sizeof(*sv));
	sv->opt = *opt;
	sv->source = source;
	sv->index = image->index;
	ret = stage_check_space(ctx, stage_parent, HIVES_SPACE);
	if (!ret)
		ret = stage_create(ctx, stage_parent, &sv->dir);
	if (!ret)
		ret = edit_system(ctx, sv);
	if (!ret && opt->drivers_path)
		ret = add_drivers(ctx, sv);
	if (!ret && opt->unattend_path)
		ret = add_unattend_file(ctx, sv);
	else if (!ret && (unattend_answers_any(&opt->answers) || opt->drivers_path))
		ret = add_answers(ctx, sv, image);
	if (ret < 0) {
		servicing_free(sv);
		return ret;
	}
	*sv_ret = sv;
	return 0;
}

const struct servicing_change *servicing_changes(const struct servicing *sv, size_t *n_ret)
{
	*n_ret = sv ? sv->n_changes : 0;
	return sv ? sv->changes : NULL;
}

uint64_t servicing_added_bytes(const struct servicing *sv)
{
	return sv ? sv->added_bytes : 0;
}

/* Gives path, and what a folder holds, the times t (not following links). */
static int set_times(struct wtg_ctx *ctx, const char *path, const struct timespec t[2])
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int ret = 0;

	if (lstat(path, &st) < 0 || utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW) < 0)
		return log_syserr(ctx, errno, "cannot set the times of '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return 0;
	d = opendir(path);
	if (!d)
		return log_syserr(ctx, errno, "cannot open '%s'", path);
	while (!ret && (e = readdir(d))) {
		char *child;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		child = xasprintf("%s/%s", path, e->d_name);
		ret = set_times(ctx, child, t);
		free(child);
	}
	closedir(d);
	return ret;
}

int servicing_apply(struct wtg_ctx *ctx, struct servicing *sv)
{
	struct timespec now[2];
	struct wimlib_update_command cmds[ARRAY_SIZE(sv->files)] = { 0 };
	int err, ret = 0;

	if (!sv || !sv->n_files)
		return 0;
	if (sv->drivers_archive_dir) {
		if (mkdir(sv->drivers_archive_dir, 0700) < 0)
			return log_syserr(ctx, errno, "cannot make '%s'", sv->drivers_archive_dir);
		ret = drivers_unpack(ctx, &sv->drivers, sv->drivers_archive_dir);
		if (ret < 0)
			return ret;
	}
	/* the files added take one time, this process's clock's (the stage's
	 * own are the kernel's): a Windows serviced under a fixed clock
	 * (faketime) comes out the same bytes every time */
	clock_gettime(CLOCK_REALTIME, &now[0]);
	now[0].tv_nsec = 0;
	now[1] = now[0];
	for (size_t i = 0; i < sv->n_files && !ret; i++)
		ret = set_times(ctx, sv->files[i].fs_path, now);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < sv->n_files; i++) {
		cmds[i].op = WIMLIB_UPDATE_OP_ADD;
		cmds[i].add.fs_source_path = sv->files[i].fs_path;
		cmds[i].add.wim_target_path = (char *)sv->files[i].image_path;
		cmds[i].add.add_flags = sv->files[i].add_flags;
	}
	/* in memory only: the WIM file is never written */
	err = wimlib_update_image(wim_source_handle(sv->source), sv->index, cmds, sv->n_files, 0);
	if (err)
		ret = log_error(ctx, WTG_ERR_IO, "cannot add the changed files to image %d of '%s' in memory: %s",
				sv->index, image_name(sv), wimlib_get_error_string(err));
	return ret;
}

void servicing_free(struct servicing *sv)
{
	if (!sv)
		return;
	for (size_t i = 0; i < sv->n_changes; i++) {
		free(sv->changes[i].where);
		free(sv->changes[i].name);
		free(sv->changes[i].old_value);
		free(sv->changes[i].new_value);
	}
	free(sv->changes);
	for (size_t i = 0; i < sv->n_files; i++)
		free(sv->files[i].fs_path);
	drivers_release(&sv->drivers);
	free(sv->drivers_archive_dir);
	free(sv->timezone);
	stage_remove(sv->dir);
	free(sv);
}
