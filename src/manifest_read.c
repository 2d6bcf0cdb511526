/* manifest_read.c - a manifest read back, from a file or from the ESP of
 * a disk, parsed with jansson (see manifest.h). */
#include "wintogo/manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/mtools.h"
#include "wintogo/util.h"

#define ESP_TYPE_GUID "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
/* A manifest larger than this is not one of ours. */
#define MANIFEST_MAX (256 * MIB)

/* The names a block's partition may have, as static strings. */
static const char *part_name(const char *name)
{
	static const char *const names[] = { "gpt", "mbr", "esp", "msr", "windows", "vm" };

	for (size_t i = 0; name && i < ARRAY_SIZE(names); i++)
		if (!strcmp(name, names[i]))
			return names[i];
	return NULL;
}

static bool get_uint(json_t *obj, const char *key, uint64_t *value_ret)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*value_ret = (uint64_t)json_integer_value(v);
	return true;
}

/* A string member, copied; NULL for null or missing. */
static char *get_string(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? xstrdup(s) : NULL;
}

static bool get_sha256(json_t *obj, const char *key, uint8_t sha_ret[SHA256_BYTES])
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && sha256_parse(s, sha_ret) == 0;
}

static bool parse_parts(json_t *arr, struct manifest *m)
{
	json_t *vm = json_array_get(arr, PART_COUNT);

	/* a fourth, the VM partition, only after the three others */
	if (json_array_size(arr) != PART_COUNT && json_array_size(arr) != PART_COUNT + 1)
		return false;
	if (vm) {
		m->vm.role = part_name(json_string_value(json_object_get(vm, "role")));
		if (!m->vm.role || strcmp(m->vm.role, "vm") || !get_uint(vm, "offset", &m->vm.offset) ||
		    !get_uint(vm, "size", &m->vm.size))
			return false;
	}
	for (size_t i = 0; i < PART_COUNT; i++) {
		json_t *p = json_array_get(arr, i);

		m->parts[i].role = part_name(json_string_value(json_object_get(p, "role")));
		if (!m->parts[i].role || !get_uint(p, "offset", &m->parts[i].offset) ||
		    !get_uint(p, "size", &m->parts[i].size))
			return false;
	}
	return true;
}

static bool parse_excluded(json_t *arr, struct manifest *m)
{
	if (!json_is_array(arr))
		return false;
	m->n_excluded = json_array_size(arr);
	m->excluded = xcalloc(m->n_excluded, sizeof(*m->excluded));
	for (size_t i = 0; i < m->n_excluded; i++) {
		json_t *r = json_array_get(arr, i);

		if (!get_uint(r, "offset", &m->excluded[i].offset) ||
		    !get_uint(r, "length", &m->excluded[i].length))
			return false;
	}
	return true;
}

/* The blocks, each at most BLOCK_BYTES, in increasing order, on the disk. */
static bool parse_blocks(json_t *arr, struct manifest *m)
{
	uint64_t end = 0;

	if (!json_is_array(arr))
		return false;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *e = json_array_get(arr, i);
		const char *what = part_name(json_string_value(json_object_get(e, "partition")));
		uint64_t offset, length;
		struct block *b;

		if (!what || !get_uint(e, "offset", &offset) || !get_uint(e, "length", &length) ||
		    !length || length > BLOCK_BYTES || offset < end || offset + length > m->disk_bytes)
			return false;
		b = blocks_add(&m->blocks, offset, length, what);
		if (!get_sha256(e, "sha256", b->sha256))
			return false;
		end = offset + length;
	}
	return true;
}

int manifest_parse(struct wtg_ctx *ctx, const char *text, size_t len, const char *origin, struct manifest *m_ret)
{
	struct manifest m = { 0 };
	json_error_t err;
	json_t *root = json_loadb(text, len, 0, &err), *image, *disk;
	uint64_t format = 0, index = 0, sector = 0;
	char *guid = NULL;
	bool ok;

	if (!root)
		return log_error(ctx, WTG_ERR_MANIFEST_DAMAGED, "%s is not JSON (line %d: %s); it is damaged", origin,
				 err.line, err.text);
	image = json_object_get(root, "image");
	disk = json_object_get(root, "disk");
	if (!get_uint(root, "wintogo_manifest", &format) || format != MANIFEST_FORMAT) {
		json_decref(root);
		return log_error(ctx, WTG_ERR_MANIFEST_DAMAGED, "%s is not a wintogo manifest of format %d; use the wintogo that wrote the disk",
				 origin, MANIFEST_FORMAT);
	}
	m.tool = get_string(root, "tool");
	m.date = get_string(root, "date");
	m.image_path = get_string(image, "path");
	m.image_name = get_string(image, "name");
	m.image_hashed = get_sha256(image, "sha256", m.image_sha256);
	guid = get_string(disk, "guid");
	ok = get_uint(image, "index", &index) && index < 65536 &&
	     get_uint(disk, "size", &m.disk_bytes) &&
	     get_uint(disk, "sector_size", &sector) && sector && sector <= 65536 &&
	     guid && strlen(guid) < GUID_STR_LEN &&
	     parse_parts(json_object_get(root, "partitions"), &m) &&
	     parse_excluded(json_object_get(root, "excluded"), &m) &&
	     parse_blocks(json_object_get(root, "extents"), &m);
	if (ok) {
		m.image_index = (int)index;
		m.sector_size = (unsigned)sector;
		strcpy(m.disk_guid, guid);
		m.table = part_name(json_string_value(json_object_get(disk, "partition_table")));
		ok = !m.table || !strcmp(m.table, "gpt") || !strcmp(m.table, "mbr");
	}
	free(guid);
	json_decref(root);
	if (!ok) {
		manifest_release(&m);
		return log_error(ctx, WTG_ERR_MANIFEST_DAMAGED, "%s lacks a field or has one that cannot be; it is damaged",
				 origin);
	}
	*m_ret = m;
	return 0;
}

int manifest_read_file(struct wtg_ctx *ctx, const char *path, struct manifest *m_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *origin = xasprintf("'%s'", path), *text = NULL;
	struct stat sb;
	int ret = 0;

	if (fd < 0) {
		ret = log_syserr(ctx, errno, "cannot open the manifest '%s'", path);
		goto out;
	}
	if (fstat(fd, &sb) < 0 || sb.st_size > (off_t)MANIFEST_MAX) {
		ret = log_error(ctx, WTG_ERR_MANIFEST_DAMAGED, "'%s' is too large for a manifest", path);
		goto out;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	if (read(fd, text, (size_t)sb.st_size) != (ssize_t)sb.st_size)
		ret = log_syserr(ctx, EIO, "cannot read '%s'", path);
	if (!ret)
		ret = manifest_parse(ctx, text, (size_t)sb.st_size, origin, m_ret);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(origin);
	return ret;
}

int manifest_read_disk(struct wtg_ctx *ctx, const char *target, struct manifest *m_ret, uint64_t *esp_offset_ret)
{
	uint64_t esp = 0, esp_size;
	struct mtools_image image = { .fd = -1 };
	char *origin = NULL, *text = NULL;
	size_t len;
	int ret = layout_find_esp(ctx, target, &esp, &esp_size);

	/* a blank disk is what a write cut off leaves: say so, not "is it ours?" */
	if (ret == -WTG_ERR_NOT_BOOTABLE && layout_is_blank(target))
		log_error(ctx, WTG_ERR_NOT_BOOTABLE, "'%s' has " LAYOUT_BLANK_ADVICE, target);
	else if (ret == -WTG_ERR_NOT_BOOTABLE)
		log_error(ctx, WTG_ERR_NOT_BOOTABLE, "'%s' has no GPT with an EFI system partition; is it a disk wintogo wrote? (or give its manifest with --manifest)",
			  target);
	if (ret < 0)
		return ret;
	ret = mtools_image_open(ctx, target, esp, false, &image);
	if (ret < 0)
		return ret;
	origin = xasprintf("\\wintogo\\manifest.json on the ESP of '%s'", target);
	const char *dir[] = { "mdir", "-b", "-i", image.name, MANIFEST_ESP_PATH, NULL };
	const char *argv[] = { "mtype", "-i", image.name, MANIFEST_ESP_PATH, NULL };
	int status = 0;

	/* a disk with an ESP but no manifest: not written by wintogo (or an
	 * older one), which is not the same as a manifest that cannot be read */
	ret = mtools_run_status(ctx, "looking for the manifest on the ESP", &image, dir, &status);
	if (!ret && status)
		ret = log_error(ctx, WTG_ERR_NO_MANIFEST, "the ESP of '%s' has no \\wintogo\\manifest.json; was it written by wintogo? (or give its manifest with --manifest)",
				target);
	if (!ret)
		ret = mtools_run_output(ctx, "reading the manifest from the ESP", &image, argv, &text, &len);
	if (!ret)
		ret = manifest_parse(ctx, text, len, origin, m_ret);
	if (!ret)
		*esp_offset_ret = esp;
	free(text);
	free(origin);
	mtools_image_close(&image);
	return ret;
}

