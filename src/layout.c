/* layout.c - the planned GPT or MBR layout and its writing with libfdisk
 * (see layout.h). */
#include "wintogo/layout.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <libfdisk.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define TYPE_ESP LAYOUT_TYPE_ESP
#define TYPE_MSR "E3C9E316-0B5C-4DB8-817D-F92DF00215AE"
#define TYPE_BASIC_DATA "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
/* Backup GPT: 128 entries of 128 bytes plus the header, at the disk's end. */
#define GPT_TAIL_BYTES (128 * 128 + 4096)

uint64_t layout_windows_min_bytes(uint64_t expanded)
{
	uint64_t headroom = expanded / 10;

	return expanded + (headroom > 64 * MIB ? headroom : 64 * MIB);
}

uint64_t layout_disk_min_bytes(uint64_t expanded, uint64_t esp_bytes)
{
	return LAYOUT_ALIGN + esp_bytes + LAYOUT_MSR_SIZE +
	       round_up(layout_windows_min_bytes(expanded), LAYOUT_ALIGN) + LAYOUT_ALIGN;
}

uint64_t layout_disk_default_bytes(uint64_t expanded, uint64_t esp_bytes)
{
	uint64_t want = LAYOUT_ALIGN + esp_bytes + LAYOUT_MSR_SIZE + expanded + expanded / 5 +
			LAYOUT_ALIGN;
	uint64_t min = layout_disk_min_bytes(expanded, esp_bytes);

	return round_up(want > min ? want : min, GIB);
}

int layout_check_esp(struct wtg_ctx *ctx, uint64_t esp_bytes, unsigned sector_size)
{
	/* one sector per cluster; each cluster costs 2 FAT entries of 4 bytes */
	uint64_t sectors = esp_bytes / sector_size - 32;
	uint64_t clusters = sectors * sector_size / (sector_size + 8);
	char size[SIZE_TEXT_MAX];

	if (esp_bytes % LAYOUT_ALIGN)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "ESP size %llu bytes is not a whole number of MiB; give e.g. --esp-size 260M",
				 (unsigned long long)esp_bytes);
	if (esp_bytes > LAYOUT_ESP_MAX)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "ESP size %s is larger than the 4 GiB wintogo allows; 260M is what Windows uses",
				 format_size(esp_bytes, size));
	if (esp_bytes < 34 * MIB || clusters < FAT32_MIN_CLUSTERS + 64)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "ESP size %s is too small for FAT32 with %u-byte sectors (%llu clusters, FAT32 needs %d); give --esp-size %s",
				 format_size(esp_bytes, size), sector_size,
				 (unsigned long long)clusters, FAT32_MIN_CLUSTERS,
				 sector_size > 512 ? "260M" : "100M");
	return 0;
}

const char *layout_table_name(enum layout_table_kind kind)
{
	return kind == LAYOUT_TABLE_MBR ? "mbr" : "gpt";
}

static int make_guids(struct wtg_ctx *ctx, struct layout *l, const struct layout_request *req)
{
	static const char *const purposes[PART_COUNT] = { "esp", "msr", "windows" };
	int ret = guid_make(ctx, &l->disk_guid, req->seeded, req->seed, "disk");

	for (int i = 0; i < PART_COUNT && !ret; i++)
		ret = guid_make(ctx, &l->parts[i].uuid, req->seeded, req->seed, purposes[i]);
	if (!ret && l->vm.sectors)
		ret = guid_make(ctx, &l->vm.uuid, req->seeded, req->seed, "vm");
	return ret;
}

/* The bytes the partitions are laid out in: the disk, or its first
 * used_bytes. */
static uint64_t layout_span(const struct layout_request *req)
{
	return req->used_bytes && req->used_bytes < req->disk_bytes ? req->used_bytes : req->disk_bytes;
}

/* The MBR layout (layout.h): the system partition at 1 MiB, Windows from
 * its end to the last whole MiB of the disk.  The disk signature comes
 * from the seed like the GUIDs do (never 0: Windows rewrites a zero one). */
static int plan_mbr(struct wtg_ctx *ctx, const struct layout_request *req, uint64_t esp, struct layout *l)
{
	unsigned ss = req->sector_size;
	uint64_t windows_start = LAYOUT_ALIGN + esp;
	uint64_t windows_end = layout_span(req) / LAYOUT_ALIGN * LAYOUT_ALIGN;
	char size[SIZE_TEXT_MAX];
	struct guid sig;
	int ret;

	if (req->disk_bytes > LAYOUT_MBR_DISK_MAX)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "a disk of %s is larger than an MBR partition table can describe (2 TiB); use --partition-table gpt",
				 format_size(req->disk_bytes, size));
	if (ss != 512)
		return log_error(ctx, WTG_ERR_UNSUPPORTED, "an MBR disk that PCs start from BIOS needs 512-byte sectors, not %u; use --partition-table gpt",
				 ss);
	if (req->vm_bytes)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--vm-partition needs a GPT disk: leave out --partition-table mbr");
	if (windows_end < windows_start + LAYOUT_ALIGN)
		return log_error(ctx, WTG_ERR_TARGET_TOO_SMALL, "a disk of %s cannot hold a system and a Windows partition",
				 format_size(req->disk_bytes, size));
	l->parts[PART_ESP] = (struct layout_partition){
		"esp", "system", LAYOUT_MBR_TYPE_FAT32, { { 0 } }, LAYOUT_ALIGN / ss, esp / ss };
	l->parts[PART_MSR] = (struct layout_partition){ "msr", "-", "-", { { 0 } }, 0, 0 };
	l->parts[PART_WINDOWS] = (struct layout_partition){
		"windows", "Windows", LAYOUT_MBR_TYPE_NTFS, { { 0 } },
		windows_start / ss, (windows_end - windows_start) / ss };
	ret = make_guids(ctx, l, req);
	if (!ret)
		ret = guid_make(ctx, &sig, req->seeded, req->seed, "mbr-signature");
	if (ret < 0)
		return ret;
	l->mbr_signature = (uint32_t)sig.bytes[0] << 24 | sig.bytes[1] << 16 | sig.bytes[2] << 8 | sig.bytes[3];
	if (!l->mbr_signature)
		l->mbr_signature = 1;
	return 0;
}

int layout_plan(struct wtg_ctx *ctx, const struct layout_request *req, struct layout *layout_ret)
{
	uint64_t esp = req->esp_bytes ? req->esp_bytes : LAYOUT_ESP_DEFAULT;
	unsigned ss = req->sector_size;
	struct layout l = { .disk_bytes = req->disk_bytes, .sector_size = ss };
	uint64_t windows_start, windows_end;
	char size[SIZE_TEXT_MAX];
	int ret;

	if (ss != 512 && ss != 4096)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "sector size %u is not supported; wintogo writes 512-byte and 4Kn disks", ss);
	if (req->disk_bytes > LAYOUT_DISK_MAX)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "a disk of %s is more than wintogo writes: NTFS with 4 KiB clusters holds at most 16 TiB",
				 format_size(req->disk_bytes, size));
	ret = layout_check_esp(ctx, esp, ss);
	if (ret < 0)
		return ret;
	if (req->table == LAYOUT_TABLE_MBR) {
		l.table = LAYOUT_TABLE_MBR;
		ret = plan_mbr(ctx, req, esp, &l);
		if (!ret)
			*layout_ret = l;
		return ret;
	}

	l.parts[PART_ESP] = (struct layout_partition){
		"esp", "EFI system partition", TYPE_ESP, { { 0 } },
		LAYOUT_ALIGN / ss, esp / ss };
	l.parts[PART_MSR] = (struct layout_partition){
		"msr", "Microsoft reserved partition", TYPE_MSR, { { 0 } },
		(LAYOUT_ALIGN + esp) / ss, LAYOUT_MSR_SIZE / ss };
	windows_start = LAYOUT_ALIGN + esp + LAYOUT_MSR_SIZE;
	/* the Windows partition ends on the last whole MiB before the backup GPT */
	windows_end = layout_span(req) > GPT_TAIL_BYTES ?
		(layout_span(req) - GPT_TAIL_BYTES) / LAYOUT_ALIGN * LAYOUT_ALIGN : 0;
	/* the VM partition takes the end; Windows shrinks by its size */
	if (req->vm_bytes && windows_end > req->vm_bytes) {
		l.vm = (struct layout_partition){
			"vm", LAYOUT_VM_NAME, TYPE_BASIC_DATA, { { 0 } },
			(windows_end - req->vm_bytes) / ss, req->vm_bytes / ss };
		windows_end -= req->vm_bytes;
	}
	if (windows_end < windows_start + LAYOUT_ALIGN || (req->vm_bytes && !l.vm.sectors))
		return log_error(ctx, WTG_ERR_TARGET_TOO_SMALL, "a disk of %s cannot hold an ESP, an MSR and a Windows partition%s",
				 format_size(req->disk_bytes, size), req->vm_bytes ? " and the VM partition" : "");
	l.parts[PART_WINDOWS] = (struct layout_partition){
		"windows", "Basic data partition", TYPE_BASIC_DATA, { { 0 } },
		windows_start / ss, (windows_end - windows_start) / ss };

	ret = make_guids(ctx, &l, req);
	if (ret < 0)
		return ret;
	*layout_ret = l;
	return 0;
}

static int add_partition(struct fdisk_context *cxt, const struct layout_partition *p, int i, bool l_is_gpt)
{
	struct fdisk_partition *pa = fdisk_new_partition();
	struct fdisk_parttype *type;
	char uuid[GUID_STR_LEN];
	int ret = -ENOMEM;

	if (!pa)
		goto out;
	type = l_is_gpt ? fdisk_label_get_parttype_from_string(fdisk_get_label(cxt, NULL), p->type_guid)
			: fdisk_label_get_parttype_from_code(fdisk_get_label(cxt, NULL),
							     (unsigned)strtoul(p->type_guid, NULL, 16));
	guid_format(&p->uuid, uuid);
	ret = fdisk_partition_set_partno(pa, i);
	if (!ret)
		ret = fdisk_partition_set_start(pa, p->start);
	if (!ret)
		ret = fdisk_partition_set_size(pa, p->sectors);
	if (!ret)
		ret = fdisk_partition_set_type(pa, type);
	if (!ret && l_is_gpt)
		ret = fdisk_partition_set_name(pa, p->name);
	if (!ret && l_is_gpt)
		ret = fdisk_partition_set_uuid(pa, uuid);
	if (!ret)
		ret = fdisk_add_partition(cxt, pa, NULL);
	fdisk_unref_parttype(type);
out:
	fdisk_unref_partition(pa);
	return ret < 0 ? ret : 0;
}

/* The partitions of the layout, into the new label of cxt. */
static int add_partitions(struct fdisk_context *cxt, const struct layout *l)
{
	int ret = 0;

	if (l->table == LAYOUT_TABLE_MBR) {
		/* entry 1 the system partition, entry 2 Windows: no MSR on MBR */
		ret = add_partition(cxt, &l->parts[PART_ESP], 0, false);
		if (!ret)
			ret = add_partition(cxt, &l->parts[PART_WINDOWS], 1, false);
		/* active: what a BIOS's MBR boot code starts */
		if (!ret)
			ret = fdisk_toggle_partition_flag(cxt, 0, DOS_FLAG_ACTIVE);
		return ret;
	}
	for (int i = 0; i < PART_COUNT && !ret; i++)
		ret = add_partition(cxt, &l->parts[i], i, true);
	if (!ret && l->vm.sectors)
		ret = add_partition(cxt, &l->vm, PART_COUNT, true);
	return ret;
}

int layout_write_table(struct wtg_ctx *ctx, const struct layout *l, const char *path)
{
	struct fdisk_context *cxt = fdisk_new_context();
	bool mbr = l->table == LAYOUT_TABLE_MBR;
	char id[GUID_STR_LEN];
	int ret;

	if (!cxt)
		return log_error(ctx, WTG_ERR_NO_MEMORY, "cannot write the partition table: out of memory");
	fdisk_disable_dialogs(cxt, 1);
	ret = fdisk_save_user_sector_size(cxt, l->sector_size, l->sector_size);
	if (!ret)
		ret = fdisk_assign_device(cxt, path, 0);
	if (ret < 0) {
		ret = log_syserr(ctx, -ret, "cannot open '%s' for the partition table", path);
		goto out;
	}
	if (mbr)
		snprintf(id, sizeof(id), "0x%08x", l->mbr_signature);
	else
		guid_format(&l->disk_guid, id);
	ret = fdisk_create_disklabel(cxt, mbr ? "dos" : "gpt");
	if (!ret)
		ret = fdisk_set_disklabel_id_from_string(cxt, id);
	if (!ret)
		ret = add_partitions(cxt, l);
	if (!ret)
		ret = fdisk_write_disklabel(cxt);
	if (ret < 0) {
		ret = log_syserr(ctx, -ret, "cannot write the partition table to '%s'", path);
		goto out;
	}
	ret = fdisk_deassign_device(cxt, 0);
	if (ret < 0)
		ret = log_syserr(ctx, -ret, "cannot close '%s' after writing the partition table", path);
out:
	fdisk_unref_context(cxt);
	return ret;
}

int layout_write_gpt(struct wtg_ctx *ctx, const struct layout *l, const char *path)
{
	struct layout gpt = *l;

	gpt.table = LAYOUT_TABLE_GPT;
	return layout_write_table(ctx, &gpt, path);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static void read_entry(struct fdisk_context *cxt, struct fdisk_partition *pa,
		       struct layout_entry *e)
{
	struct fdisk_parttype *t = fdisk_partition_get_type(pa);
	const char *type = t ? fdisk_parttype_get_string(t) : NULL;
	unsigned long ss = fdisk_get_sector_size(cxt);

	*e = (struct layout_entry){
		.number = (unsigned)fdisk_partition_get_partno(pa) + 1,
		.offset = fdisk_partition_get_start(pa) * ss,
		.size = fdisk_partition_get_size(pa) * ss,
		.type_name = dup_or_null(t ? fdisk_parttype_get_name(t) : NULL),
		.name = dup_or_null(fdisk_partition_get_name(pa)),
		.uuid = dup_or_null(fdisk_partition_get_uuid(pa)),
		.bootable = fdisk_partition_is_bootable(pa) == 1,
	};
	if (type)
		snprintf(e->type, sizeof(e->type), "%s", type);
	else
		snprintf(e->type, sizeof(e->type), "0x%02x", t ? fdisk_parttype_get_code(t) : 0);
}

int layout_read_table(struct wtg_ctx *ctx, const char *path, unsigned sector_size, struct layout_table *out)
{
	struct fdisk_context *cxt = fdisk_new_context();
	struct fdisk_table *table = NULL;
	struct fdisk_iter *it = NULL;
	struct fdisk_partition *pa;
	char *id = NULL;
	int ret;

	*out = (struct layout_table){ 0 };
	if (!cxt)
		return log_error(ctx, WTG_ERR_NO_MEMORY, "cannot read '%s': out of memory", path);
	fdisk_disable_dialogs(cxt, 1);
	ret = sector_size ? fdisk_save_user_sector_size(cxt, sector_size, sector_size) : 0;
	if (!ret)
		ret = fdisk_assign_device(cxt, path, 1);
	if (ret < 0) {
		ret = log_syserr(ctx, -ret, "cannot open '%s'", path);
		goto out;
	}
	if (!fdisk_has_label(cxt)) {
		ret = -ENOENT;
		goto out;
	}
	ret = fdisk_get_partitions(cxt, &table);
	it = fdisk_new_iter(FDISK_ITER_FORWARD);
	if (ret < 0 || !it) {
		ret = log_syserr(ctx, ret < 0 ? -ret : ENOMEM, "cannot read the partitions of '%s'", path);
		goto out;
	}
	snprintf(out->label, sizeof(out->label), "%s", fdisk_label_get_name(fdisk_get_label(cxt, NULL)));
	if (fdisk_get_disklabel_id(cxt, &id) == 0)
		out->id = id;
	out->sector_size = (unsigned)fdisk_get_sector_size(cxt);
	while (fdisk_table_next_partition(table, it, &pa) == 0) {
		if (!fdisk_partition_has_start(pa) || !fdisk_partition_has_size(pa))
			continue;
		out->entries = xrealloc(out->entries, (out->count + 1) * sizeof(*out->entries));
		read_entry(cxt, pa, &out->entries[out->count++]);
	}
out:
	fdisk_free_iter(it);
	fdisk_unref_table(table);
	fdisk_unref_context(cxt);
	if (ret < 0)
		layout_table_release(out);
	return ret;
}

void layout_table_release(struct layout_table *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->entries[i].type_name);
		free(t->entries[i].name);
		free(t->entries[i].uuid);
	}
	free(t->entries);
	free(t->id);
	*t = (struct layout_table){ 0 };
}

bool layout_entry_is_esp(const struct layout_entry *e)
{
	return !strcasecmp(e->type, LAYOUT_TYPE_ESP) || !strcasecmp(e->type, LAYOUT_MBR_TYPE_ESP);
}

bool layout_entry_is_system(const struct layout_table *t, const struct layout_entry *e)
{
	if (layout_entry_is_esp(e))
		return true;
	return !strcmp(t->label, "dos") && e->bootable &&
	       (!strcasecmp(e->type, "0x0c") || !strcasecmp(e->type, "0x0b"));
}

int layout_find_esp(struct wtg_ctx *ctx, const char *path, uint64_t *offset_ret,
		    uint64_t *size_ret)
{
	static const unsigned sector_sizes[] = { 0, 4096 };
	int ret = -WTG_ERR_NOT_BOOTABLE;

	for (size_t k = 0; k < ARRAY_SIZE(sector_sizes) && ret == -WTG_ERR_NOT_BOOTABLE; k++) {
		struct layout_table t;
		int read = layout_read_table(ctx, path, sector_sizes[k], &t);

		if (read == -ENOENT)
			continue;  /* no table at this sector size */
		if (read < 0)
			return read;
		for (size_t i = 0; i < t.count && ret; i++) {
			if (layout_entry_is_system(&t, &t.entries[i])) {
				*offset_ret = t.entries[i].offset;
				*size_ret = t.entries[i].size;
				ret = 0;
			}
		}
		layout_table_release(&t);
	}
	return ret;
}


bool layout_is_blank(const char *path)
{
	uint8_t *head = xmalloc(LAYOUT_BLANK_BYTES);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	blkid_probe pr = NULL;
	bool blank = false;
	struct stat sb;

	if (fd < 0 || fstat(fd, &sb) < 0)
		goto out;
	/* a file of zeros is not a disk unless it has a disk's shape */
	if (S_ISREG(sb.st_mode) && (sb.st_size < (off_t)MIB || sb.st_size % 512))
		goto out;
	if (pread_all(fd, head, LAYOUT_BLANK_BYTES, 0) < 0 || !mem_is_zero(head, LAYOUT_BLANK_BYTES))
		goto out;
	pr = blkid_new_probe();
	if (!pr || blkid_probe_set_device(pr, fd, 0, 0) < 0)
		goto out;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_enable_partitions(pr, 1);
	/* the backup GPT too: a disk whose start is gone may keep its end */
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_FORCE_GPT);
	blank = blkid_do_safeprobe(pr) == 1;  /* 1: nothing found */
out:
	blkid_free_probe(pr);
	if (fd >= 0)
		close(fd);
	free(head);
	return blank;
}
