/* manifest.c - what was written, as JSON (see manifest.h; reading it back
 * is in manifest_read.c, with jansson). */
#include "wintogo/manifest.h"
#include "wintogo/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/json.h"
#include "wintogo/log.h"
#include "wintogo/speed.h"
#include "wintogo/util.h"

void manifest_json_origin(struct json *j, const struct manifest *m)
{
	char hex[SHA256_HEX_MAX];

	json_string(j, "tool", m->tool);
	json_string(j, "date", m->date);
	json_begin_object(j, "image");
	json_string(j, "path", m->image_path);
	json_string(j, "name", m->image_name);
	json_uint(j, "index", (uint64_t)m->image_index);
	json_string(j, "sha256", m->image_hashed ? sha256_hex(m->image_sha256, hex) : NULL);
	json_end_object(j);
	/* Secure Boot after 2026 depends on it: which set, signed by whom */
	if (m->boot_set) {
		json_begin_object(j, "boot_manager");
		json_string(j, "set", m->boot_set);
		json_string(j, "ca", m->boot_ca);
		json_end_object(j);
	}
}

static void render_to(const struct manifest *m, FILE *out)
{
	char hex[SHA256_HEX_MAX];
	struct json j;

	json_init(&j, out, true);
	json_begin_object(&j, NULL);
	json_uint(&j, "wintogo_manifest", MANIFEST_FORMAT);
	manifest_json_origin(&j, m);
	json_begin_object(&j, "disk");
	json_uint(&j, "size", m->disk_bytes);
	json_uint(&j, "sector_size", m->sector_size);
	json_string(&j, "guid", m->disk_guid);
	json_string(&j, "partition_table", m->table ? m->table : "gpt");
	json_end_object(&j);
	if (m->speed)
		speed_json(&j, m->speed);
	json_begin_array(&j, "partitions");
	for (int i = 0; i < PART_COUNT; i++) {
		json_begin_object(&j, NULL);
		json_string(&j, "role", m->parts[i].role);
		json_uint(&j, "offset", m->parts[i].offset);
		json_uint(&j, "size", m->parts[i].size);
		json_end_object(&j);
	}
	if (m->vm.role) {
		json_begin_object(&j, NULL);
		json_string(&j, "role", m->vm.role);
		json_uint(&j, "offset", m->vm.offset);
		json_uint(&j, "size", m->vm.size);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_uint(&j, "block_bytes", BLOCK_BYTES);
	json_begin_array(&j, "excluded");
	for (size_t i = 0; i < m->n_excluded; i++) {
		json_begin_object(&j, NULL);
		json_uint(&j, "offset", m->excluded[i].offset);
		json_uint(&j, "length", m->excluded[i].length);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_begin_array(&j, "extents");
	for (size_t i = 0; i < m->blocks.count; i++) {
		const struct block *b = &m->blocks.items[i];

		json_begin_object(&j, NULL);
		json_uint(&j, "offset", b->offset);
		json_uint(&j, "length", b->length);
		json_string(&j, "partition", b->what);
		json_string(&j, "sha256", sha256_hex(b->sha256, hex));
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

int manifest_render(struct wtg_ctx *ctx, const struct manifest *m, size_t pad_to, char **text_ret, size_t *len_ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return log_syserr(ctx, errno, "cannot make the manifest");
	render_to(m, out);
	fclose(out);
	if (pad_to && len > pad_to) {
		free(text);
		return log_error(ctx, WTG_ERR_INTERNAL, "internal error: the manifest needs %zu bytes, %zu were kept for it on the ESP",
				 len, pad_to);
	}
	if (pad_to > len) {
		/* spaces before the final newline: still one JSON document */
		text = xrealloc(text, pad_to + 1);
		memset(text + len - 1, ' ', pad_to - len);
		text[pad_to - 1] = '\n';
		text[pad_to] = '\0';
		len = pad_to;
	}
	*text_ret = text;
	*len_ret = len;
	return 0;
}

int manifest_save(struct wtg_ctx *ctx, const char *text, size_t len, const char *path, struct outfile *out)
{
	int ret = outfile_open(ctx, out, path, true);

	if (!ret) {
		ret = write_all(out->fd, text, len);
		if (ret < 0)
			ret = log_syserr(ctx, -ret, "cannot write '%s'", out->partial);
	}
	/* on disk now, before the image is put in place: the commit after it
	 * then only renames, and a failing sync leaves neither file behind */
	if (!ret && fsync(out->fd) < 0)
		ret = log_syserr(ctx, errno, "cannot write '%s' to disk", out->partial);
	return ret;
}

void manifest_release(struct manifest *m)
{
	free(m->tool);
	free(m->date);
	free(m->image_path);
	free(m->image_name);
	free(m->excluded);
	blocks_release(&m->blocks);
	*m = (struct manifest){ 0 };
}

const char *manifest_where(const struct manifest *m, uint64_t offset, uint64_t *rel_ret)
{
	for (int i = 0; i < PART_COUNT; i++) {
		const struct manifest_part *p = &m->parts[i];

		if (p->role && offset >= p->offset && offset - p->offset < p->size) {
			*rel_ret = offset - p->offset;
			return p->role;
		}
	}
	if (m->vm.role && offset >= m->vm.offset && offset - m->vm.offset < m->vm.size) {
		*rel_ret = offset - m->vm.offset;
		return m->vm.role;
	}
	*rel_ret = offset;
	return m->table ? m->table : "gpt";
}
