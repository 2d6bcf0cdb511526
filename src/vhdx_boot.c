/* vhdx_boot.c - Windows in a VHDX on the stick (see vhdx_boot.h).
 *
 * Placing the file: the host NTFS is made by mkntfs, the empty file by
 * libntfs-3g, its clusters by ntfsfallocate (on a fresh NTFS one run, or a
 * few around the MFT zone; never a hole, never compressed).  Its
 * initialized size is then set to its size (ntfsfallocate leaves it 0, and
 * Windows would read zeros), its runlist read with libntfs-3g, and the
 * VHDX's bytes written straight into the staged host partition at those
 * clusters, its all-zero chunks skipped: the clusters of a stage made
 * sparse read as zeros already, so the stage stays as small as the data. */
#include "wintogo/vhdx_boot.h"

#include <errno.h>
#include <fcntl.h>
#include <libfdisk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/runlist.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>

#include "wintogo/bcd_view.h"
#include "wintogo/bcd_vhdx.h"
#include "wintogo/extents.h"
#include "wintogo/guid.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/ntfs.h"
#include "wintogo/run.h"
#include "wintogo/sink.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

#define INNER_SECTOR 512
#define BCD_VHDX_OSDEVICE 0x21000001  /* a loader's osdevice */
#define COPY_CHUNK (64 * 1024)   /* zero runs this long stay holes in the stage */
/* The host NTFS's own files beside the VHDX ($MFT, $LogFile up to 64 MiB,
 * $Bitmap, ...): measured on mkntfs'd volumes, with room to spare. */
#define HOST_METADATA (96 * MIB)

const char *vhdx_boot_mode_name(enum vhdx_boot_mode mode)
{
	return mode == VHDX_BOOT_DYNAMIC ? "dynamic" : mode == VHDX_BOOT_FIXED ? "fixed" : "none";
}

int vhdx_boot_mode_parse(const char *text, enum vhdx_boot_mode *mode_ret)
{
	if (!strcmp(text, "fixed"))
		*mode_ret = VHDX_BOOT_FIXED;
	else if (!strcmp(text, "dynamic"))
		*mode_ret = VHDX_BOOT_DYNAMIC;
	else
		return -EINVAL;
	return 0;
}

enum vhdx_edition vhdx_boot_edition(const char *edition, unsigned build)
{
	/* EDITIONID prefixes, as the images' XML spells them */
	static const char *const since_8[] = { "Enterprise", "Education", "IoTEnterprise", "Server" };
	static const char *const since_10[] = { "Professional" };
	static const char *const never[] = { "Core", "Cloud", "Starter", "Home" };

	if (!edition)
		return VHDX_EDITION_UNKNOWN;
	for (size_t i = 0; i < ARRAY_SIZE(never); i++)
		if (!strncasecmp(edition, never[i], strlen(never[i])))
			return VHDX_EDITION_NO;
	for (size_t i = 0; i < ARRAY_SIZE(since_8); i++)
		if (!strncasecmp(edition, since_8[i], strlen(since_8[i])))
			return !build || build >= 9200 ? VHDX_EDITION_OK : VHDX_EDITION_NO;
	for (size_t i = 0; i < ARRAY_SIZE(since_10); i++)
		if (!strncasecmp(edition, since_10[i], strlen(since_10[i])))
			return !build || build >= 10240 ? VHDX_EDITION_OK : VHDX_EDITION_NO;
	return VHDX_EDITION_UNKNOWN;
}

bool vhdx_boot_device_in_store(struct wtg_ctx *ctx, const char *path, struct bcd_vhdx_device *dev_ret)
{
	struct bcd_view view = { 0 };
	wtg_log_fn log_fn = ctx->log_fn;
	bool found = false;

	/* read quietly: a store that cannot be read is no VHDX boot, and the
	 * probe says what it found of it */
	ctx->log_fn = NULL;
	if (bcd_view_read(ctx, path, &view) == 0) {
		for (size_t i = 0; i < view.n_objects && !found; i++)
			for (size_t k = 0; k < view.objects[i].n_elements && !found; k++) {
				const struct bcd_view_element *e = &view.objects[i].elements[k];

				found = e->code == BCD_VHDX_OSDEVICE && bcd_vhdx_decode(e->data, e->len, dev_ret) == 0;
			}
		bcd_view_release(&view);
	}
	ctx->log_fn = log_fn;
	return found;
}

bool vhdx_boot_in_store(struct wtg_ctx *ctx, const char *path)
{
	struct bcd_vhdx_device dev;
	bool found = vhdx_boot_device_in_store(ctx, path, &dev);

	if (found)
		bcd_vhdx_release(&dev);
	return found;
}

uint64_t vhdx_boot_virtual_min(uint64_t expanded)
{
	return round_up(VHDX_BOOT_INNER_START + layout_windows_min_bytes(expanded), MIB);
}

static uint64_t file_bytes(uint64_t virtual_bytes)
{
	return sink_vhdx_file_bytes(virtual_bytes, VHDX_BOOT_BLOCK, INNER_SECTOR);
}

uint64_t vhdx_boot_host_min(uint64_t virtual_bytes)
{
	uint64_t file = file_bytes(virtual_bytes);

	return round_up(file + file / 64 + HOST_METADATA, MIB);
}

uint64_t vhdx_boot_virtual_default(uint64_t expanded, uint64_t host_bytes)
{
	uint64_t v = host_bytes / MIB * MIB;

	(void)expanded;
	/* host_min grows with v by a little more than v: a few steps down */
	while (v > MIB && vhdx_boot_host_min(v) > host_bytes) {
		uint64_t over = round_up(vhdx_boot_host_min(v) - host_bytes, MIB);

		v = v > over ? v - over : MIB;
	}
	/* the steps may overshoot by a MiB or two (the rounding of host_min) */
	while (vhdx_boot_host_min(v + MIB) <= host_bytes)
		v += MIB;
	return v;
}

uint64_t vhdx_boot_disk_min(uint64_t expanded, uint64_t esp_bytes)
{
	return 2 * LAYOUT_ALIGN + esp_bytes + LAYOUT_MSR_SIZE + vhdx_boot_host_min(vhdx_boot_virtual_min(expanded));
}

uint64_t vhdx_boot_disk_default(const struct vhdx_boot_options *opt, uint64_t expanded, uint64_t esp_bytes)
{
	uint64_t v = opt->virtual_bytes ? opt->virtual_bytes
					: round_up(vhdx_boot_virtual_min(expanded) + expanded / 5, GIB);

	return 2 * LAYOUT_ALIGN + esp_bytes + LAYOUT_MSR_SIZE + vhdx_boot_host_min(v);
}

int vhdx_boot_plan(struct wtg_ctx *ctx, const struct vhdx_boot_options *opt, uint64_t expanded,
		   uint64_t host_bytes, bool seeded, uint64_t seed, struct vhdx_boot_plan *plan_ret)
{
	struct vhdx_boot_plan p = { .mode = opt->mode, .host_bytes = host_bytes };
	char a[SIZE_TEXT_MAX], b[SIZE_TEXT_MAX], c[SIZE_TEXT_MAX], d[SIZE_TEXT_MAX];
	uint64_t min = vhdx_boot_virtual_min(expanded);
	struct guid id;
	int ret;

	p.virtual_bytes = opt->virtual_bytes ? opt->virtual_bytes : vhdx_boot_virtual_default(expanded, host_bytes);
	if (p.virtual_bytes % MIB)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--vhdx-size %llu is not whole MiB; give it in M or G",
				 (unsigned long long)p.virtual_bytes);
	if (p.virtual_bytes < min)
		return log_error(ctx, WTG_ERR_TARGET_TOO_SMALL, "a VHDX of %s is too small for the image: it needs at least %s (%s of files + 10 %% + 1 MiB for its partition table); give --vhdx-size %lluM or more%s",
				 format_size(p.virtual_bytes, a), format_size(min, b), format_size(expanded, c),
				 (unsigned long long)(min / MIB), opt->virtual_bytes ? "" : ", or use a larger disk");
	p.file_bytes = file_bytes(p.virtual_bytes);
	if (vhdx_boot_host_min(p.virtual_bytes) > host_bytes) {
		uint64_t fits = vhdx_boot_virtual_default(expanded, host_bytes);

		if (opt->mode == VHDX_BOOT_DYNAMIC)
			return log_error(ctx, WTG_ERR_TARGET_TOO_SMALL, "a dynamic VHDX of %s grows to %s when Windows boots from it (Windows expands it to its full size), but the host partition of %s has room for %s at most; give --vhdx-size %lluM or less, or a larger disk",
					 format_size(p.virtual_bytes, a), format_size(p.file_bytes, b),
					 format_size(host_bytes, c), format_size(fits, d), (unsigned long long)(fits / MIB));
		return log_error(ctx, WTG_ERR_TARGET_TOO_SMALL, "a fixed VHDX of %s takes %s, but the host partition of %s has room for %s at most; give --vhdx-size %lluM or less, or a larger disk",
				 format_size(p.virtual_bytes, a), format_size(p.file_bytes, b), format_size(host_bytes, c),
				 format_size(fits, d), (unsigned long long)(fits / MIB));
	}
	p.inner_offset = VHDX_BOOT_INNER_START;
	p.inner_bytes = p.virtual_bytes - VHDX_BOOT_INNER_START;
	ret = guid_make(ctx, &id, seeded, seed, "vhdx inner mbr");
	if (ret < 0)
		return ret;
	p.signature = (uint32_t)id.bytes[0] << 24 | id.bytes[1] << 16 | id.bytes[2] << 8 | id.bytes[3];
	if (!p.signature)
		p.signature = 1;  /* 0 is "no signature" to Windows */
	*plan_ret = p;
	return 0;
}

/* The inner disk's MBR, written by libfdisk into path (a file of the
 * virtual disk's size): one NTFS partition (0x07) from 1 MiB to the end. */
static int write_inner_mbr(struct wtg_ctx *ctx, const struct vhdx_boot_plan *p, const char *path)
{
	struct fdisk_context *cxt = fdisk_new_context();
	struct fdisk_partition *pa = fdisk_new_partition();
	struct fdisk_parttype *type = NULL;
	char id[16];
	int ret;

	if (!cxt || !pa) {
		ret = log_error(ctx, WTG_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	fdisk_disable_dialogs(cxt, 1);
	ret = fdisk_save_user_sector_size(cxt, INNER_SECTOR, INNER_SECTOR);
	if (!ret)
		ret = fdisk_assign_device(cxt, path, 0);
	if (!ret)
		ret = fdisk_create_disklabel(cxt, "dos");
	snprintf(id, sizeof(id), "0x%08x", p->signature);
	if (!ret)
		ret = fdisk_set_disklabel_id_from_string(cxt, id);
	type = ret ? NULL : fdisk_label_get_parttype_from_code(fdisk_get_label(cxt, NULL), 0x07);
	if (!ret && !type)
		ret = -EINVAL;
	if (!ret)
		ret = fdisk_partition_set_partno(pa, 0);
	if (!ret)
		ret = fdisk_partition_set_start(pa, p->inner_offset / INNER_SECTOR);
	if (!ret)
		ret = fdisk_partition_set_size(pa, p->inner_bytes / INNER_SECTOR);
	if (!ret)
		ret = fdisk_partition_set_type(pa, type);
	if (!ret)
		ret = fdisk_add_partition(cxt, pa, NULL);
	if (!ret)
		ret = fdisk_write_disklabel(cxt);
	if (!ret)
		ret = fdisk_deassign_device(cxt, 0);
	if (ret)
		ret = log_error(ctx, WTG_ERR_INTERNAL, "cannot write the partition table of the disk inside the VHDX (libfdisk: %s)",
				strerror(ret < 0 ? -ret : ret));
out:
	fdisk_unref_partition(pa);
	fdisk_unref_context(cxt);
	return ret;
}

/* The VHDX, straight from the inner MBR's first MiB and the applied NTFS. */
static int write_vhdx(struct wtg_ctx *ctx, const struct vhdx_boot_request *req, const char *mbr,
		      const char *ntfs, const char *vhdx)
{
	const struct vhdx_boot_plan *p = req->plan;
	struct sink_format format = { .logical_sector = INNER_SECTOR, .block_size = VHDX_BOOT_BLOCK,
				      .seeded = req->seeded, .seed = req->seed };
	struct extent_list list = { 0 };
	struct block_list blocks = { 0 };
	struct sink *sink = NULL;
	int mbr_fd = open(mbr, O_RDONLY | O_CLOEXEC), ntfs_fd = open(ntfs, O_RDONLY | O_CLOEXEC);
	int ret = 0;

	if (mbr_fd < 0 || ntfs_fd < 0)
		ret = log_syserr(ctx, errno, "cannot open the disk inside the VHDX in '%s'", req->stage_dir);
	if (!ret)
		ret = extents_add_file(ctx, &list, mbr_fd, 0, p->inner_offset, "vhdx-mbr");
	if (!ret)
		ret = extents_add_file(ctx, &list, ntfs_fd, p->inner_offset, p->inner_bytes, "vhdx-windows");
	if (!ret)
		ret = extents_finish(ctx, &list);
	if (!ret)
		ret = sink_open_format(ctx, SINK_VHDX, vhdx, p->virtual_bytes, false,
				       p->mode == VHDX_BOOT_FIXED ? SINK_FIXED : 0, &format, &sink);
	if (!ret)
		ret = sink_write_all(sink, &list, &blocks);
	if (!ret)
		ret = sink_finish(sink);
	sink_free(sink);
	blocks_release(&blocks);
	extents_release(&list);
	if (mbr_fd >= 0)
		close(mbr_fd);
	if (ntfs_fd >= 0)
		close(ntfs_fd);
	return ret;
}

static int ntfs_fail(struct wtg_ctx *ctx, const char *host, const char *what)
{
	int err = errno ? errno : EIO;

	return log_syserr(ctx, err, "cannot %s in the host partition '%s' (libntfs-3g)", what, host);
}

/* \wintogo\windows.vhdx, empty, made with libntfs-3g. */
static int create_file(struct wtg_ctx *ctx, const char *host)
{
	ntfs_volume *vol = ntfs_mount(host, 0);
	ntfs_inode *root = NULL, *dir = NULL, *file = NULL;
	ntfschar *folder = NULL, *name = NULL;
	int folder_len = ntfs_mbstoucs(VHDX_BOOT_FOLDER, &folder);
	int name_len = ntfs_mbstoucs(VHDX_BOOT_NAME, &name);
	int ret = 0;

	if (!vol || folder_len < 0 || name_len < 0) {
		ret = ntfs_fail(ctx, host, "open the NTFS");
		goto out;
	}
	root = ntfs_inode_open(vol, FILE_root);
	dir = root ? ntfs_create(root, const_cpu_to_le32(0), folder, (u8)folder_len, S_IFDIR) : NULL;
	if (dir)
		file = ntfs_create(dir, const_cpu_to_le32(0), name, (u8)name_len, S_IFREG);
	if (!dir || !file)
		ret = ntfs_fail(ctx, host, "create \\" VHDX_BOOT_FOLDER "\\" VHDX_BOOT_NAME);
out:
	if (file)
		ntfs_inode_close(file);
	if (dir)
		ntfs_inode_close(dir);
	if (root)
		ntfs_inode_close(root);
	if (vol && ntfs_umount(vol, FALSE) < 0 && !ret)
		ret = ntfs_fail(ctx, host, "close the NTFS");
	free(folder);
	free(name);
	return ret;
}

static int allocate_file(struct wtg_ctx *ctx, const char *host, uint64_t bytes)
{
	char length[32];
	const char *argv[] = { "ntfsfallocate", "-l", length, RUN_FILE_PATH,
			       "/" VHDX_BOOT_FOLDER "/" VHDX_BOOT_NAME, NULL };
	int fd = open(host, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", host);
	snprintf(length, sizeof(length), "%llu", (unsigned long long)bytes);
	ret = run_program(ctx, "allocating the VHDX file in the host partition", argv, NULL, fd);
	close(fd);
	return ret;
}

/* Checks the allocated file as Windows needs it, sets its initialized
 * size, and reads its runs. */
static int read_runs(struct wtg_ctx *ctx, const char *host, uint64_t bytes, struct vhdx_boot_run **runs_ret,
		     size_t *count_ret)
{
	ntfs_volume *vol = ntfs_mount(host, 0);
	ntfs_inode *ni = vol ? ntfs_pathname_to_inode(vol, NULL, "/" VHDX_BOOT_FOLDER "/" VHDX_BOOT_NAME) : NULL;
	ntfs_attr *na = ni ? ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0) : NULL;
	ntfs_attr_search_ctx *actx = NULL;
	struct vhdx_boot_run *runs = NULL;
	size_t count = 0;
	int ret = 0;

	if (!na) {
		ret = ntfs_fail(ctx, host, "open the VHDX file");
		goto out;
	}
	if (!NAttrNonResident(na) || NAttrSparse(na) || NAttrCompressed(na) || NAttrEncrypted(na) ||
	    (uint64_t)na->data_size != bytes || (uint64_t)na->allocated_size < bytes) {
		ret = log_error(ctx, WTG_ERR_INTERNAL, "internal error: the VHDX file in '%s' is not allocated as Windows needs it (sparse, compressed, or %lld bytes, not %llu)",
				host, (long long)na->data_size, (unsigned long long)bytes);
		goto out;
	}
	/* Windows reads zeros past the initialized size: all of it is data */
	actx = ntfs_attr_get_search_ctx(ni, NULL);
	if (!actx || ntfs_attr_lookup(AT_DATA, AT_UNNAMED, 0, CASE_SENSITIVE, 0, NULL, 0, actx) < 0) {
		ret = ntfs_fail(ctx, host, "find the VHDX file's data");
		goto out;
	}
	actx->attr->initialized_size = cpu_to_sle64(na->data_size);
	ntfs_inode_mark_dirty(actx->ntfs_ino);
	na->initialized_size = na->data_size;
	/* and the sizes in its directory entry, which ntfsfallocate leaves 0
	 * (chkdsk would correct them): written when the inode is closed */
	ni->data_size = na->data_size;
	ni->allocated_size = na->allocated_size;
	NInoFileNameSetDirty(ni);
	if (ntfs_attr_map_whole_runlist(na) < 0) {
		ret = ntfs_fail(ctx, host, "read the VHDX file's runs");
		goto out;
	}
	for (runlist_element *rl = na->rl; rl && rl->length; rl++) {
		uint64_t cs = vol->cluster_size, from = (uint64_t)rl->vcn * cs, length = (uint64_t)rl->length * cs;

		if (rl->lcn < 0) {
			ret = log_error(ctx, WTG_ERR_INTERNAL, "internal error: the VHDX file in '%s' has a hole at cluster %lld",
					host, (long long)rl->vcn);
			goto out;
		}
		if (from >= bytes)
			break;
		runs = xrealloc(runs, (count + 1) * sizeof(*runs));
		runs[count++] = (struct vhdx_boot_run){ from, (uint64_t)rl->lcn * cs,
							length < bytes - from ? length : bytes - from };
	}
out:
	if (actx)
		ntfs_attr_put_search_ctx(actx);
	if (na)
		ntfs_attr_close(na);
	if (ni && ntfs_inode_close(ni) < 0 && !ret)
		ret = ntfs_fail(ctx, host, "write the VHDX file's record");
	if (vol && ntfs_umount(vol, FALSE) < 0 && !ret)
		ret = ntfs_fail(ctx, host, "close the NTFS");
	if (ret < 0) {
		free(runs);
		return ret;
	}
	*runs_ret = runs;
	*count_ret = count;
	return 0;
}

/* The VHDX's bytes into the host partition's stage at the file's
 * clusters; holes and zero chunks are not written. */
static int copy_into_runs(struct wtg_ctx *ctx, const char *vhdx, const char *host,
			  const struct vhdx_boot_result *r, uint64_t *written_ret)
{
	int in = open(vhdx, O_RDONLY | O_CLOEXEC), out = open(host, O_WRONLY | O_CLOEXEC);
	uint8_t *buf = xmalloc(COPY_CHUNK);
	uint64_t written = 0;
	int ret = 0;

	if (in < 0 || out < 0)
		ret = log_syserr(ctx, errno, "cannot open '%s' or '%s'", vhdx, host);
	for (size_t i = 0; i < r->n_runs && !ret; i++) {
		uint64_t start = r->runs[i].file_offset, end = start + r->runs[i].length;

		for (uint64_t pos = start; pos < end && !ret;) {
			off_t data = lseek(in, (off_t)pos, SEEK_DATA);
			size_t n;

			if (data < 0 || (uint64_t)data >= end)
				break;  /* the rest of this run is a hole */
			pos = (uint64_t)data / COPY_CHUNK * COPY_CHUNK;
			if (pos < start)
				pos = start;
			n = end - pos < COPY_CHUNK ? (size_t)(end - pos) : COPY_CHUNK;
			ret = pread_all(in, buf, n, pos);
			if (!ret && !mem_is_zero(buf, n)) {
				ret = pwrite_all(out, buf, n, r->runs[i].offset + (pos - start));
				written += n;
			}
			if (ret < 0)
				ret = log_syserr(ctx, -ret, "cannot copy '%s' into '%s'", vhdx, host);
			pos += n;
		}
	}
	free(buf);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && !ret)
		ret = log_syserr(ctx, errno, "cannot write '%s'", host);
	*written_ret = written;
	return ret;
}

int vhdx_boot_add_zeros(struct wtg_ctx *ctx, const struct vhdx_boot_result *r, int host_fd,
			uint64_t target_offset, struct extent_list *list)
{
	for (size_t i = 0; i < r->n_runs; i++) {
		uint64_t pos = r->runs[i].offset, end = pos + r->runs[i].length;

		while (pos < end) {
			off_t hole = lseek(host_fd, (off_t)pos, SEEK_HOLE), data;
			uint64_t hole_end;

			if (hole < 0)
				return log_syserr(ctx, errno, "cannot read the host partition's stage");
			if ((uint64_t)hole >= end)
				break;
			data = lseek(host_fd, hole, SEEK_DATA);
			hole_end = data < 0 || (uint64_t)data > end ? end : (uint64_t)data;
			extents_append(list, &(struct extent){ .offset = target_offset + (uint64_t)hole,
							       .length = hole_end - (uint64_t)hole, .fd = -1,
							       .what = "windows" });
			pos = hole_end;
		}
	}
	return 0;
}

void vhdx_boot_result_release(struct vhdx_boot_result *r)
{
	free(r->runs);
	r->runs = NULL;
	r->n_runs = 0;
}

int vhdx_boot_build(struct wtg_ctx *ctx, const struct vhdx_boot_request *req, struct vhdx_boot_result *result_ret)
{
	const struct vhdx_boot_plan *p = req->plan;
	char *mbr = stage_path(req->stage_dir, "vhdx-mbr.img"), *inner = stage_path(req->stage_dir, "vhdx-windows.img");
	char *vhdx = stage_path(req->stage_dir, VHDX_BOOT_NAME);
	struct ntfs_request windows = {
		.path = inner,
		.bytes = p->inner_bytes,
		.sector_size = INNER_SECTOR,
		.start_sector = p->inner_offset / INNER_SECTOR,
		.source = req->source,
		.index = req->index,
	};
	struct ntfs_request host = {
		.path = req->host_path,
		.bytes = p->host_bytes,
		.sector_size = req->host_sector_size,
		.start_sector = req->host_start_sector,
		.label = "WinToGo",
	};
	struct vhdx_boot_result result = { 0 };
	struct stat sb;
	int ret;

	ret = ntfs_build(ctx, &windows);
	if (!ret)
		ret = stage_make_file(ctx, mbr, p->virtual_bytes);
	if (!ret)
		ret = write_inner_mbr(ctx, p, mbr);
	if (!ret)
		ret = write_vhdx(ctx, req, mbr, inner, vhdx);
	/* the inner NTFS is in the VHDX now: its room is the stage's again */
	unlink(inner);
	unlink(mbr);
	/* a dynamic one is what it stores; the plan made sure it can grow */
	if (!ret && stat(vhdx, &sb) < 0)
		ret = log_syserr(ctx, errno, "cannot look at '%s'", vhdx);
	result.file_bytes = ret ? 0 : (uint64_t)sb.st_size;
	if (!ret && (result.file_bytes > p->file_bytes || (p->mode == VHDX_BOOT_FIXED && result.file_bytes != p->file_bytes)))
		ret = log_error(ctx, WTG_ERR_INTERNAL, "internal error: the VHDX is %llu bytes, %llu were planned",
				(unsigned long long)result.file_bytes, (unsigned long long)p->file_bytes);
	if (!ret)
		ret = ntfs_make_empty(ctx, &host);
	if (!ret)
		ret = create_file(ctx, req->host_path);
	if (!ret)
		ret = allocate_file(ctx, req->host_path, result.file_bytes);
	if (!ret)
		ret = read_runs(ctx, req->host_path, result.file_bytes, &result.runs, &result.n_runs);
	if (!ret)
		ret = copy_into_runs(ctx, vhdx, req->host_path, &result, &result.data_bytes);
	unlink(vhdx);
	if (!ret)
		*result_ret = result;
	else
		vhdx_boot_result_release(&result);
	free(mbr);
	free(inner);
	free(vhdx);
	return ret;
}
