/* cli_info_vhdx.c - `wintogo info X.vhdx`: the virtual disk, its
 * partitions and the Windows found on its NTFS partitions. */
#include <stdio.h>

#include "wintogo/cli.h"
#include "wintogo/json.h"
#include "wintogo/util.h"
#include "wintogo/vhdx_windows.h"

static void windows_json(struct json *j, const struct wim_image *im)
{
	char version[64];

	snprintf(version, sizeof(version), "%u.%u.%u.%u", im->major, im->minor, im->build,
		 im->sp_build);
	json_begin_object(j, "windows");
	json_string(j, "name", im->name);
	json_string(j, "product_name", im->display_name);
	json_string(j, "edition", im->edition);
	json_string(j, "installation_type", im->installation_type);
	json_string(j, "architecture", wim_arch_name(im->arch));
	json_uint(j, "build", im->build);
	json_string(j, "version", version);
	json_string(j, "default_language", im->default_language);
	json_uint(j, "file_count", im->file_count);
	json_uint(j, "expanded_size", im->expanded_size);
	json_end_object(j);
}

static void print_json(const char *path, const struct vhdx_disk *d)
{
	const struct vhdx_disk_info *in = vhdx_info(d->vhdx);
	char guid[GUID_STR_LEN];
	struct json j;

	guid_format(&in->disk_id, guid);
	json_init(&j, stdout, true);
	json_begin_object(&j, NULL);
	json_string(&j, "path", path);
	json_string(&j, "format", "vhdx");
	json_string(&j, "disk_type", in->fixed ? "fixed" : "dynamic");
	json_uint(&j, "virtual_size", in->virtual_size);
	json_uint(&j, "logical_sector_size", in->logical_sector);
	json_uint(&j, "physical_sector_size", in->physical_sector);
	json_uint(&j, "block_size", in->block_size);
	json_uint(&j, "blocks", in->blocks);
	json_uint(&j, "allocated_blocks", in->stored_blocks);
	json_uint(&j, "file_size", in->file_size);
	json_string(&j, "disk_id", guid);
	json_begin_object(&j, "partition_table");
	json_string(&j, "label", d->table.label);
	json_string(&j, "id", d->table.id);
	json_uint(&j, "sector_size", d->table.sector_size);
	json_end_object(&j);
	json_begin_array(&j, "partitions");
	for (size_t i = 0; i < d->table.count; i++) {
		const struct vhdx_partition *p = &d->parts[i];

		json_begin_object(&j, NULL);
		json_uint(&j, "number", p->entry->number);
		json_uint(&j, "offset", p->entry->offset);
		json_uint(&j, "size", p->entry->size);
		json_string(&j, "type", p->entry->type);
		json_string(&j, "type_name", p->entry->type_name);
		json_string(&j, "name", p->entry->name);
		json_string(&j, "uuid", p->entry->uuid);
		json_string(&j, "filesystem", p->filesystem);
		if (p->has_windows)
			windows_json(&j, &p->windows);
		else
			json_null(&j, "windows");
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

static void print_text(const char *path, const struct vhdx_disk *d)
{
	const struct vhdx_disk_info *in = vhdx_info(d->vhdx);
	char a[SIZE_TEXT_MAX], b[SIZE_TEXT_MAX], c[SIZE_TEXT_MAX];

	printf("%s: VHDX, %s, %s virtual disk, %u-byte logical / %u-byte physical sectors\n", path,
	       in->fixed ? "fixed" : "dynamic", format_size(in->virtual_size, a), in->logical_sector,
	       in->physical_sector);
	printf("  blocks of %s: %llu of %llu allocated (%s); file %s\n", format_size(in->block_size, a),
	       (unsigned long long)in->stored_blocks, (unsigned long long)in->blocks,
	       format_size(in->stored_blocks * in->block_size, b), format_size(in->file_size, c));
	printf("  partition table: %s, %s %s\n", d->table.label,
	       d->table.label[0] == 'g' ? "disk GUID" : "disk id", d->table.id ? d->table.id : "-");
	printf("  %-2s %12s %12s  %-5s %-22s %s\n", "#", "START", "SIZE", "FS", "TYPE", "WINDOWS");
	for (size_t i = 0; i < d->table.count; i++) {
		const struct vhdx_partition *p = &d->parts[i];
		const struct layout_entry *e = p->entry;

		printf("  %-2u %12s %12s  %-5s %-22s ", e->number, format_size(e->offset, a),
		       format_size(e->size, b), p->filesystem ? p->filesystem : "-",
		       e->type_name ? e->type_name : e->type);
		if (p->has_windows)
			printf("%s (%s, %s, build %u)\n", p->windows.name,
			       p->windows.edition ? p->windows.edition : "-",
			       wim_arch_name(p->windows.arch), p->windows.build);
		else
			printf("-\n");
	}
}

int cli_info_vhdx(struct wtg_ctx *ctx, const char *path, bool json)
{
	struct vhdx_disk *disk = NULL;

	if (vhdx_disk_scan(ctx, path, true, &disk) < 0)
		return EXIT_FAILED;
	if (json)
		print_json(path, disk);
	else
		print_text(path, disk);
	vhdx_disk_free(disk);
	return EXIT_OK;
}
