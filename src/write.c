/* write.c - the main job, from image to target (see write.h). */
#include "wintogo/write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/loop.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "wintogo/automount.h"
#include "wintogo/bcd.h"
#include "wintogo/bcd_vhdx.h"
#include "wintogo/biosboot.h"
#include "wintogo/bootfiles.h"
#include "wintogo/esp.h"
#include "wintogo/extents.h"
#include "wintogo/esp_reserve.h"
#include "wintogo/input.h"
#include "wintogo/log.h"
#include "wintogo/loopdev.h"
#include "wintogo/manifest.h"
#include "wintogo/ntfs.h"
#include "wintogo/outfile.h"
#include "wintogo/sink.h"
#include "wintogo/speed.h"
#include "wintogo/stage.h"
#include "wintogo/unmount.h"
#include "wintogo/util.h"
#include "wintogo/verify.h"
#include "wintogo/vhdx_host.h"
#include "wintogo/vhdx_windows.h"

/* Room in the stage beyond the image itself: the ESP, NTFS metadata. */
#define STAGE_SLACK (64 * MIB)

static void list_images(struct wtg_ctx *ctx, struct wim_source *source)
{
	const struct wim_file *f = wim_source_file(source);

	for (int i = 1; i <= f->image_count; i++) {
		struct wim_image im;

		if (wim_source_image(ctx, source, i, &im) == 0) {
			log_detail(ctx, "%d  %s", i, im.name);
			wim_image_release(&im);
		}
	}
}

/* The image the options name: --index, --name, or the only one. */
static int choose_image(struct wtg_ctx *ctx, struct wim_source *source, const struct write_options *opt,
			int *index_ret)
{
	const struct wim_file *f = wim_source_file(source);
	int ret;

	if (opt->index) {
		if (opt->index > f->image_count)
			return log_error(ctx, WTG_ERR_NO_SUCH_IMAGE, "'%s' has no image %d, it has %d; choose one with --index (see `wintogo info %s`)",
					 f->path, opt->index, f->image_count, f->path);
		*index_ret = opt->index;
		return 0;
	}
	if (opt->name) {
		for (int i = 1; i <= f->image_count; i++) {
			struct wim_image im;
			bool match;

			ret = wim_source_image(ctx, source, i, &im);
			if (ret < 0)
				return ret;
			match = !strcasecmp(im.name, opt->name);
			wim_image_release(&im);
			if (match) {
				*index_ret = i;
				return 0;
			}
		}
		ret = log_error(ctx, WTG_ERR_NO_SUCH_IMAGE, "'%s' has no image named '%s'; its images are:", f->path, opt->name);
		list_images(ctx, source);
		return ret;
	}
	if (f->image_count == 1) {
		*index_ret = 1;
		return 0;
	}
	ret = log_error(ctx, WTG_ERR_IMAGE_NOT_CHOSEN, "'%s' holds %d images; choose one with --index N or --name NAME:",
			f->path, f->image_count);
	list_images(ctx, source);
	return ret;
}

/* The code of a refusal for a disk's verdict. */
/* A disk as target: it must be a whole disk whose verdict is ok.  Once
 * the disk is open (sink), the disk judged is the one the descriptor
 * names, whatever the name now points to. */
static int check_device(struct wtg_ctx *ctx, struct write_job *job, const struct sink *sink)
{
	struct device_roots roots;
	struct device_context dc = { .image = job->opt.image_path };
	struct device *d, before = { 0 };
	bool again = job->device != NULL;
	int ret;

	/* the second time, the disk must be the one planned for and confirmed */
	if (again)
		before = (struct device){ .devno = job->device->devno, .size = job->device->size,
					  .logical_sector = job->device->logical_sector,
					  .serial = job->device->serial ? xstrdup(job->device->serial) : NULL };
	device_roots_default(ctx, &roots);
	device_list_release(&job->devices);
	job->device = NULL;
	ret = sink ? device_find_devno(ctx, &roots, &dc, sink->devno, job->opt.target, &job->devices, &d)
		   : device_find(ctx, &roots, &dc, job->opt.target, &job->devices, &d);
	if (!ret && again && (d->devno != before.devno || d->size != before.size ||
			      d->logical_sector != before.logical_sector ||
			      (before.serial && (!d->serial || strcmp(before.serial, d->serial)))))
		ret = log_error(ctx, WTG_ERR_DISK_CHANGED, "%s is no longer the disk that was planned for (another disk was plugged in?); nothing was written, start again",
				d->path);
	free(before.serial);
	if (ret < 0)
		return ret;
	/* its own file systems, to be unmounted once confirmed (write_job_unmount) */
	job->unmount_first = !sink && d->verdict == DEVICE_MOUNTED && d->unmountable && job->opt.unmount;
	if (d->verdict != DEVICE_OK && !job->unmount_first)
		return log_error(ctx, device_verdict_error(d->verdict), "refusing to write %s: %s", d->path, d->reason);
	if (d->logical_sector != 512 && d->logical_sector != 4096)
		return log_error(ctx, WTG_ERR_TARGET_INVALID, "%s has %u-byte sectors; wintogo writes 512-byte and 4Kn disks",
				 d->path, d->logical_sector);
	job->device = d;
	return 0;
}

/* The files a write reads, as device and inode numbers; a loop device
 * given as the image counts with the file behind it. */
struct input_ids {
	struct stat items[8];
	const char *paths[8];
	size_t count;
};

static void input_ids_add(struct input_ids *ids, const char *path)
{
	struct stat sb;

	if (!path || ids->count + 2 > ARRAY_SIZE(ids->items) || stat(path, &sb) < 0)
		return;
	ids->paths[ids->count] = path;
	ids->items[ids->count++] = sb;
	if (S_ISBLK(sb.st_mode)) {
		struct loop_info64 info;
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

		if (fd >= 0 && ioctl(fd, LOOP_GET_STATUS64, &info) == 0) {
			ids->paths[ids->count] = path;
			ids->items[ids->count++] = (struct stat){ .st_mode = S_IFREG, .st_dev = (dev_t)info.lo_device,
								  .st_ino = (ino_t)info.lo_inode };
		}
		if (fd >= 0)
			close(fd);
	}
}

/* The input that path (if it exists) is, or NULL: the same file under
 * another name, a hard link, or the file behind a loop device. */
static const char *input_at(const struct input_ids *ids, const char *path)
{
	struct stat sb;

	if (stat(path, &sb) < 0)
		return NULL;
	for (size_t i = 0; i < ids->count; i++) {
		const struct stat *in = &ids->items[i];

		if (S_ISREG(sb.st_mode) && S_ISREG(in->st_mode) && sb.st_dev == in->st_dev && sb.st_ino == in->st_ino)
			return ids->paths[i];
		if (S_ISBLK(sb.st_mode) && S_ISBLK(in->st_mode) && sb.st_rdev == in->st_rdev)
			return ids->paths[i];
	}
	return NULL;
}

/* Nothing a write makes or replaces (the target, its .partial, the
 * manifest beside it) may be one of its inputs: --force would destroy it. */
static int check_not_input(struct wtg_ctx *ctx, const struct write_options *opt)
{
	struct input_ids ids = { 0 };
	char *outputs[4] = {
		xstrdup(opt->target), xasprintf("%s.partial", opt->target),
		xasprintf("%s.manifest.json", opt->target), xasprintf("%s.manifest.json.partial", opt->target),
	};
	const char *input = NULL, *output = NULL;
	int ret = 0;

	input_ids_add(&ids, opt->image_path);
	input_ids_add(&ids, opt->sha256_file);
	input_ids_add(&ids, opt->service.unattend_path);
	input_ids_add(&ids, opt->service.drivers_path);
	for (size_t i = 0; i < ARRAY_SIZE(outputs) && !input; i++)
		if ((input = input_at(&ids, outputs[i])))
			output = outputs[i];
	if (input && output == outputs[0])
		ret = log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is the input '%s'; writing it would destroy what it is made from: choose another target",
				opt->target, input);
	else if (input)
		ret = log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' would replace '%s', which is the input '%s': choose another target",
				opt->target, output, input);
	for (size_t i = 0; i < ARRAY_SIZE(outputs); i++)
		free(outputs[i]);
	return ret;
}

static char *dir_of(const char *path);

/* A Windows image given as the target is, almost always, IMAGE and TARGET
 * swapped: replacing it (even with --force) would destroy the input the
 * user meant to give.  A VHDX is one only when the output is not a VHDX
 * itself: `vm --format vhdx --force` may replace the VM disk it made. */
static int check_not_image(struct wtg_ctx *ctx, const struct write_options *opt)
{
	enum input_kind kind = input_kind_of(opt->target);
	bool image = input_is_wim(kind) || kind == INPUT_ISO || (kind == INPUT_VHDX && opt->sink_kind != SINK_VHDX);

	if (!image)
		return 0;
	return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is a Windows image, not a target; did you swap IMAGE and TARGET? (%s)",
			 opt->target, opt->allow_device ? "wintogo write IMAGE TARGET" : "wintogo vm SOURCE OUT");
}

/* A file target is made as TARGET.partial in its folder, then renamed:
 * the folder must exist and take new files.  Said now, under the name the
 * user typed, not after the plan under the .partial's. */
static int check_target_folder(struct wtg_ctx *ctx, const char *target)
{
	char *dir = dir_of(target);
	struct stat sb;
	int ret = 0;

	if (stat(dir, &sb) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			ret = log_error(ctx, WTG_ERR_NOT_FOUND, "'%s': the folder '%s' does not exist; create it first",
					target, dir);
		else
			ret = log_syserr(ctx, errno, "cannot look at the folder '%s' of '%s'", dir, target);
	} else if (!S_ISDIR(sb.st_mode))
		ret = log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s': '%s' is not a folder; give a path in a folder", target, dir);
	else if (access(dir, W_OK | X_OK) < 0 && errno == EROFS)
		ret = log_error(ctx, WTG_ERR_DISK_READ_ONLY, "cannot write in '%s': read-only file system; write the image elsewhere",
				dir);
	else if (access(dir, W_OK | X_OK) < 0 && (errno == EACCES || errno == EPERM))
		ret = log_error(ctx, WTG_ERR_PERMISSION, "cannot write in '%s': permission denied; write the image elsewhere",
				dir);
	else if (access(dir, W_OK | X_OK) < 0)
		ret = log_syserr(ctx, errno, "cannot write in '%s'", dir);
	free(dir);
	return ret;
}

/* Writing a disk needs root (or a group that may write it): found before
 * the plan, not when the sink opens it.  The access check sees the real
 * user, so sudo passes it. */
static int check_device_access(struct wtg_ctx *ctx, const char *path)
{
	if (access(path, R_OK | W_OK) == 0)
		return 0;
	if (errno == EACCES || errno == EPERM)
		return log_error(ctx, WTG_ERR_PERMISSION, "writing %s needs root: run it as root (sudo wintogo write ...)", path);
	return log_syserr(ctx, errno, "cannot open %s to write it", path);
}

/* Whether a new file at path would be made in /dev (its folder, links
 * and ".." resolved): a mistyped device would become a file in RAM
 * (devtmpfs).  /dev/shm is the RAM file system meant for files. */
static bool in_dev(const char *path)
{
	char *dir = dir_of(path), *real = realpath(dir, NULL);
	const char *p = real ? real : dir;
	bool yes = (!strcmp(p, "/dev") || !strncmp(p, "/dev/", 5)) && strcmp(p, "/dev/shm") &&
		   strncmp(p, "/dev/shm/", 9);

	free(real);
	free(dir);
	return yes;
}

/* Refusals that need nothing but the target's name (and, for a disk,
 * what the system knows of it), all before the plan is printed. */
static int check_target(struct wtg_ctx *ctx, struct write_job *job)
{
	const struct write_options *opt = &job->opt;
	struct stat sb;
	bool exists = stat(opt->target, &sb) == 0;
	int stat_errno = exists ? 0 : errno;
	bool disk = exists && S_ISBLK(sb.st_mode);
	int ret;

	if (stat_errno == ENOENT && in_dev(opt->target))
		return log_error(ctx, WTG_ERR_NOT_FOUND, "'%s' does not exist; to write a disk, give its device (see `wintogo list`)",
				 opt->target);
	if (!exists && stat_errno != ENOENT && stat_errno != ENOTDIR)
		return log_syserr(ctx, stat_errno, "cannot look at '%s'", opt->target);
	if (exists && S_ISDIR(sb.st_mode))
		return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is a directory; give the name of the disk image to write",
				 opt->target);
	/* /dev/null, a FIFO, a terminal: nothing to lay a disk out on */
	if (exists && !disk && !S_ISREG(sb.st_mode))
		return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is not a disk or a disk image file; give a disk (see `wintogo list`) or the name of the image file to write",
				 opt->target);
	/* a disk that is or holds an input is judged with the disk, below */
	ret = disk ? 0 : check_not_input(ctx, opt);
	if (!ret && exists && !disk)
		ret = check_not_image(ctx, opt);
	if (!ret && !disk)
		ret = check_target_folder(ctx, opt->target);
	/* another run writing the same file: say so now, not after staging */
	if (!ret && !disk)
		ret = outfile_check_busy(ctx, opt->target);
	if (ret < 0 || !exists)
		return ret;
	if (disk) {
		/* only `write` asks the user to confirm a disk */
		if (!opt->allow_device)
			return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is a disk; write disks with `wintogo write`, VM images to a file",
					 opt->target);
		if (opt->disk_bytes)
			return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--size is for disk image files; a disk keeps its own size");
		ret = check_device(ctx, job, NULL);
		return ret ? ret : check_device_access(ctx, opt->target);
	}
	if (!opt->force)
		return log_error(ctx, WTG_ERR_TARGET_EXISTS, "'%s' already exists; use --force to replace it", opt->target);
	return 0;
}

const char *write_strategy_name(enum write_strategy s)
{
	switch (s) {
	case WRITE_STRATEGY_STAGE:
		return "stage";
	case WRITE_STRATEGY_DIRECT:
		return "direct";
	case WRITE_STRATEGY_AUTO:
		return "auto";
	case WRITE_STRATEGY_DEFAULT:
		break;
	}
	return "default";
}

/* --direct with what it cannot build: refused before the image is read. */
static int check_strategy_options(struct wtg_ctx *ctx, const struct write_job *job)
{
	if (job->opt.strategy != WRITE_STRATEGY_DIRECT)
		return 0;
	if (job->opt.sink_kind != SINK_RAW_FILE)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--strategy direct is for a disk or a raw disk image; a VM image is made from a stage");
	if (job->opt.vhdx.mode)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--strategy direct builds Windows on the target's partition, --vhdx in a VHDX made in the stage; leave out one of them");
	if (job->opt.vm_partition.enabled)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--strategy direct and --vm-partition cannot be used together (the VM partition is built after Windows, from the stage); leave out one of them");
	return 0;
}

static bool may_build_in_target(const struct wtg_ctx *ctx, const struct write_job *job);

/* Where the Windows partition is built (write.h), for the plan: decided
 * for an image file; for a disk under auto, once it has been measured
 * (write_job_choose_strategy). */
static int plan_strategy(struct wtg_ctx *ctx, struct write_job *job)
{
	enum write_strategy want = job->opt.strategy;
	bool in_place;

	if (job->device) {
		if (want == WRITE_STRATEGY_AUTO)
			snprintf(job->strategy_reason, sizeof(job->strategy_reason),
				 "chosen once you confirm, by how fast the disk takes random writes (direct from %d a second)",
				 WRITE_DIRECT_MIN_IOPS);
		else
			snprintf(job->strategy_reason, sizeof(job->strategy_reason), "%s",
				 want == WRITE_STRATEGY_DIRECT ? "--strategy direct"
				 : want == WRITE_STRATEGY_STAGE ? "--strategy stage"
								: "a disk is staged unless --strategy says otherwise");
		job->strategy = want == WRITE_STRATEGY_DEFAULT ? WRITE_STRATEGY_STAGE : want;
		return 0;
	}
	if (want == WRITE_STRATEGY_STAGE || job->opt.sink_kind != SINK_RAW_FILE) {
		job->strategy = WRITE_STRATEGY_STAGE;
		snprintf(job->strategy_reason, sizeof(job->strategy_reason), "%s",
			 want == WRITE_STRATEGY_STAGE ? "--strategy stage" : "a VM image is made from a stage");
		return 0;
	}
	in_place = may_build_in_target(ctx, job) &&
		   sink_raw_builds_in_place(job->opt.target, layout_offset(&job->layout, PART_WINDOWS),
					    layout_bytes(&job->layout, PART_WINDOWS));
	if (want == WRITE_STRATEGY_DIRECT && !in_place)
		return log_error(ctx, WTG_ERR_UNSUPPORTED, "--strategy direct: the file system '%s' is on can neither insert room into a file (ext4, xfs) nor share blocks between files (btrfs, xfs), so Windows cannot be built in it; write it elsewhere, or leave out --strategy direct",
				 job->opt.target);
	job->strategy = in_place ? WRITE_STRATEGY_DIRECT : WRITE_STRATEGY_STAGE;
	snprintf(job->strategy_reason, sizeof(job->strategy_reason), "%s",
		 in_place ? "an image file is built in itself where its file system allows"
			  : job->opt.vhdx.mode || job->layout.vm.sectors
			  ? "with --vhdx or --vm-partition, Windows is built in the stage"
			  : "its file system can neither insert room into a file nor share blocks");
	return 0;
}

static int plan(struct wtg_ctx *ctx, struct write_job *job)
{
	const struct write_options *opt = &job->opt;
	uint64_t esp = opt->esp_bytes ? opt->esp_bytes : LAYOUT_ESP_DEFAULT;
	uint64_t expanded = job->image.expanded_size + servicing_added_bytes(job->servicing);
	struct layout_request req = {
		.sector_size = job->device ? job->device->logical_sector : 512,
		.esp_bytes = esp,
		.table = opt->partition_table,
		.seeded = opt->seeded,
		.seed = opt->seed,
		.used_bytes = job->used_bytes,
	};
	char have[SIZE_TEXT_MAX], need[SIZE_TEXT_MAX], size[SIZE_TEXT_MAX], vm_text[SIZE_TEXT_MAX + 24] = "";
	/* the VM partition comes on top of what Windows needs, never out of it */
	uint64_t vm = job->vm ? vmpart_bytes(job->vm) : 0;
	int ret;

	if (vm && req.sector_size != 512)
		return log_error(ctx, WTG_ERR_UNSUPPORTED, "--vm-partition is for disks with 512-byte sectors; %s has %u-byte sectors",
				 job->device->path, req.sector_size);
	req.vm_bytes = vm;
	if (vm)
		snprintf(vm_text, sizeof(vm_text), " + VM partition %s", format_size(vm, size));
	job->min_disk_bytes = round_up(layout_disk_min_bytes(expanded, esp), MIB) + vm;
	if (opt->vhdx.mode)
		job->min_disk_bytes = vhdx_boot_disk_min(expanded, esp) + vm;
	if (job->device)
		req.disk_bytes = job->device->size;
	else if (opt->disk_bytes)
		req.disk_bytes = opt->disk_bytes;
	else
		req.disk_bytes = round_up((opt->vhdx.mode ? vhdx_boot_disk_default(&opt->vhdx, expanded, esp)
							  : layout_disk_default_bytes(expanded, esp)) + vm, GIB);
	if (req.disk_bytes % req.sector_size)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "disk size %llu is not a multiple of %u-byte sectors",
				 (unsigned long long)req.disk_bytes, req.sector_size);
	if (req.disk_bytes < job->min_disk_bytes && job->device)
		return log_error(ctx, WTG_ERR_TARGET_TOO_SMALL, "%s has %s but image %d needs at least %s (%s of files + 10 %% + ESP + MSR%s); use a larger disk%s",
				 job->device->path, format_size(req.disk_bytes, have), job->image.index,
				 format_size(job->min_disk_bytes, need), format_size(expanded, size), vm_text,
				 vm ? ", or a smaller --vm-partition=SIZE" : "");
	if (req.disk_bytes < job->min_disk_bytes)
		return log_error(ctx, WTG_ERR_TARGET_TOO_SMALL, "'%s' would be %s but image %d needs at least %s (%s of files + 10 %% + ESP + MSR%s); give --size %lluM or more",
				 opt->target, format_size(req.disk_bytes, have), job->image.index,
				 format_size(job->min_disk_bytes, need), format_size(expanded, size), vm_text,
				 (unsigned long long)(job->min_disk_bytes / MIB));
	ret = layout_plan(ctx, &req, &job->layout);
	if (!ret && opt->vhdx.mode)
		ret = vhdx_boot_plan(ctx, &opt->vhdx, expanded, layout_bytes(&job->layout, PART_WINDOWS), opt->seeded,
				     opt->seed, &job->vhdx);
	if (!ret)
		ret = plan_strategy(ctx, job);
	return ret;
}

int write_job_prepare(struct wtg_ctx *ctx, const struct write_options *opt,
		      struct write_job **job_ret)
{
	struct write_job *job = xcalloc(1, sizeof(*job));
	struct source_options source_opt = { .wim_path = opt->wim_path };
	enum input_kind kind;
	int index = 0, ret;

	job->opt = *opt;
	job->stage_parent = stage_default_parent(ctx);
	if (opt->vm_partition.enabled && opt->partition_table == LAYOUT_TABLE_MBR) {
		free(job);
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--vm-partition needs a GPT disk: leave out --partition-table mbr");
	}
	/* the image first: "a.img already exists" is no answer to a typo in
	 * the image's name */
	ret = source_check_path(ctx, opt->image_path);
	if (!ret)
		ret = check_target(ctx, job);
	if (!ret)
		ret = check_strategy_options(ctx, job);
	job->manifest_in_esp = !opt->no_manifest;
	/* a disk has no folder to put the manifest beside; it is in its ESP */
	if (!ret && !opt->no_manifest && !job->device)
		job->manifest_path = xasprintf("%s.manifest.json", opt->target);
	/* it is an output too: replaced only as the image is, with --force */
	if (!ret && job->manifest_path && !opt->force && access(job->manifest_path, F_OK) == 0)
		ret = log_error(ctx, WTG_ERR_TARGET_EXISTS, "'%s' already exists; use --force to replace it",
				job->manifest_path);
	/* a VHDX, or a disk that boots Windows from one: that Windows,
	 * captured into a WIM that lives in memory */
	kind = input_kind_of(opt->image_path);
	if (!ret && kind == INPUT_VHDX)
		ret = vhdx_windows_capture(ctx, opt->image_path, &job->source);
	else if (!ret && kind == INPUT_DISK_IMAGE)
		ret = vhdx_host_capture(ctx, opt->image_path, &job->source);
	else if (!ret)
		ret = source_open(ctx, opt->image_path, &source_opt, &job->input);
	if (!ret && job->input)
		job->source = source_wim(job->input);
	if (!ret)
		ret = choose_image(ctx, job->source, opt, &index);
	if (!ret)
		ret = wim_source_image(ctx, job->source, index, &job->image);
	/* servicing reads the image's hives: an ISO's install image must be
	 * copied out whole first (for a WIM file this does nothing) */
	if (!ret && job->input)
		ret = source_fetch(ctx, job->input);
	/* which boot manager goes on the ESP, and who signed it: a choice the
	 * image cannot meet is refused before the plan */
	if (!ret)
		ret = boot_managers_choose(ctx, job->source, job->image.index, opt->secure_boot_ca,
					   &job->boot_managers);
	if (!ret)
		ret = servicing_prepare(ctx, &opt->service, job->source, &job->image, job->stage_parent,
					&job->servicing);
	/* an MBR disk starts from BIOS too: the image must have its boot
	 * manager, and syslinux must be here */
	if (!ret && opt->partition_table == LAYOUT_TABLE_MBR)
		ret = boot_files_check_pcat(ctx, job->source, job->image.index);
	if (!ret && opt->partition_table == LAYOUT_TABLE_MBR)
		ret = biosboot_check(ctx);
	if (!ret && opt->vm_partition.enabled)
		ret = vmpart_prepare(ctx, opt, job->stage_parent, &job->vm);
	if (!ret)
		ret = plan(ctx, job);
	if (!ret && (opt->sha256_given || opt->sha256_file)) {
		job->check_source = true;
		if (opt->sha256_given)
			memcpy(job->expected_sha256, opt->sha256, SHA256_BYTES);
		else
			ret = sha256sums_lookup(ctx, opt->sha256_file, opt->image_path, job->expected_sha256);
	}
	if (ret < 0) {
		write_job_free(job);
		return ret;
	}
	*job_ret = job;
	return 0;
}

int write_job_add_target(struct wtg_ctx *ctx, const struct write_job *first, const char *target, size_t number,
			 struct write_job **job_ret)
{
	struct write_job *job = xcalloc(1, sizeof(*job));
	int ret;

	job->opt = first->opt;
	job->opt.target = target;
	/* --seed: every target its own GUIDs, and the same ones every run */
	job->opt.seed += number;
	job->first = first;
	job->stage_parent = first->stage_parent;
	job->input = first->input;
	job->source = first->source;
	job->image = first->image;
	job->servicing = first->servicing;
	job->boot_managers = first->boot_managers;
	job->manifest_in_esp = first->manifest_in_esp;
	ret = first->vm ? log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--vm-partition is for one target at a time; write the others without it")
			: check_target(ctx, job);
	if (!ret && job->manifest_in_esp && !job->device)
		job->manifest_path = xasprintf("%s.manifest.json", target);
	if (!ret && job->manifest_path && !job->opt.force && access(job->manifest_path, F_OK) == 0)
		ret = log_error(ctx, WTG_ERR_TARGET_EXISTS, "'%s' already exists; use --force to replace it",
				job->manifest_path);
	if (!ret)
		ret = plan(ctx, job);
	if (ret < 0) {
		write_job_free(job);
		return ret;
	}
	*job_ret = job;
	return 0;
}

/* path with its folder resolved (the file need not exist); NULL when the
 * folder cannot be. */
static char *canonical_name(const char *path)
{
	char *dir = dir_of(path), *real = realpath(dir, NULL), *name;
	const char *base = strrchr(path, '/');

	name = real ? xasprintf("%s/%s", real, base ? base + 1 : path) : NULL;
	free(real);
	free(dir);
	return name;
}

/* Whether a and b name the same file or disk. */
static bool same_target(const char *a, const char *b)
{
	struct stat sa, sb;

	char *ca, *cb;
	bool same;

	if (!strcmp(a, b))
		return true;
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0) {
		/* a file still to be made: its folder and name */
		ca = canonical_name(a);
		cb = canonical_name(b);
		same = ca && cb && !strcmp(ca, cb);
		free(ca);
		free(cb);
		return same;
	}
	if (S_ISBLK(sa.st_mode) || S_ISBLK(sb.st_mode))
		return S_ISBLK(sa.st_mode) && S_ISBLK(sb.st_mode) && sa.st_rdev == sb.st_rdev;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int write_targets_distinct(struct wtg_ctx *ctx, const char *const *targets, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t k = 0; k < i; k++)
			if (same_target(targets[i], targets[k]))
				return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' is given twice (also as '%s'); name each target once",
						 targets[i], targets[k]);
	return 0;
}

int write_batch_plan(struct wtg_ctx *ctx, struct write_target *targets, size_t n)
{
	const struct layout *l0 = &targets[0].job->layout;
	uint64_t smallest = l0->disk_bytes;
	int ret = 0;

	if (n > 1 && targets[0].job->opt.strategy == WRITE_STRATEGY_DIRECT)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--strategy direct writes one target at a time (several share one stage); give one target, or leave out --strategy direct");

	for (size_t i = 1; i < n; i++) {
		const struct layout *l = &targets[i].job->layout;

		/* one Windows partition is staged for all: the same sectors on each */
		if (l->sector_size != l0->sector_size)
			return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' has %u-byte sectors and '%s' %u-byte ones; write targets with the same sector size together",
					 targets[i].job->opt.target, l->sector_size, targets[0].job->opt.target,
					 l0->sector_size);
		if (l->disk_bytes < smallest)
			smallest = l->disk_bytes;
	}
	/* the partitions as on the smallest disk; each table spans its own */
	for (size_t i = 0; i < n && !ret && n > 1; i++) {
		targets[i].job->used_bytes = smallest;
		ret = plan(targets[i].ctx, targets[i].job);
		/* one Windows partition staged for all */
		targets[i].job->strategy = WRITE_STRATEGY_STAGE;
		snprintf(targets[i].job->strategy_reason, sizeof(targets[i].job->strategy_reason),
			 "the %zu targets share one stage", n);
	}
	return ret;
}

void write_job_free(struct write_job *job)
{
	if (!job)
		return;
	/* a batch's other targets borrow the first's image and changes */
	if (!job->first) {
		vmpart_free(job->vm);
		vhdx_boot_result_release(&job->vhdx_result);
		servicing_free(job->servicing);
		wim_image_release(&job->image);
		if (job->input)
			source_free(job->input);  /* and the WIM in it */
		else
			wim_source_free(job->source);
	}
	free(job->manifest_path);
	device_list_release(&job->devices);
	free(job);
}
/* The files built in the stage, and their descriptors for the sink. */
/* The stage's files.  A batch's targets each have their own table, ESP,
 * BCD and manifest scratch in the one stage folder, and share the rest
 * (the NTFS, the VM partition, the boot files): a target's staged has
 * shared set and owns only its own. */
struct staged {
	char *dir;
	char *gpt, *esp, *ntfs, *bcd, *bios_bcd, *vm, *manifest_scratch;
	int gpt_fd, esp_fd, ntfs_fd, vm_fd;
	struct boot_files boot;
	bool shared;
	bool ntfs_in_target;     /* ntfs is the target's .partial (sink_raw.h) */
	char *ntfs_built_at;     /* where it is built, if not there: beside it */
	bool ntfs_on_disk;       /* --direct on a disk: ntfs is the loop device over */
	struct loopdev loop;     /* its partition (sink_blockdev_build_in_place) */
	char *ntfs_shown;        /* then: how messages name it */
};

/* The partition table's stage: the GPT, or the MBR with its boot code. */
static int make_table(struct wtg_ctx *ctx, struct write_job *job, struct staged *s)
{
	int ret = stage_make_file(ctx, s->gpt, job->layout.disk_bytes);

	if (!ret)
		ret = layout_write_table(ctx, &job->layout, s->gpt);
	if (!ret && job->layout.table == LAYOUT_TABLE_MBR)
		ret = biosboot_install_mbr(ctx, s->gpt);
	return ret;
}

/* A partition as the BCD names it: by GUIDs on GPT, by byte offset and
 * disk signature on MBR. */
static struct bcd_device bcd_device_of(const struct layout *l, enum layout_part p)
{
	if (l->table == LAYOUT_TABLE_MBR)
		return (struct bcd_device){ .style = BCD_STYLE_MBR, .mbr_offset = layout_offset(l, p),
					    .mbr_signature = l->mbr_signature };
	return (struct bcd_device){ .style = BCD_STYLE_GPT, .partition = l->parts[p].uuid,
				    .disk = l->disk_guid };
}

/* The BCD store, as bcdboot makes it: from the image's BCD-Template when it
 * has one, else (or with --bcd-from-scratch) from an empty hive.  An MBR
 * disk gets both of `bcdboot /f ALL`: the UEFI one and \Boot\BCD. */
static int make_bcd(struct wtg_ctx *ctx, struct write_job *job, struct staged *s)
{
	const struct wim_image *im = &job->image;
	struct bcd_request req = {
		.template_path = job->opt.bcd_from_scratch ? NULL : s->boot.bcd_template,
		.out_path = s->bcd,
		.esp = bcd_device_of(&job->layout, PART_ESP),
		.windows = bcd_device_of(&job->layout, PART_WINDOWS),
		/* with --vhdx, the partition inside the file on that partition */
		.vhdx_path = job->opt.vhdx.mode ? BCD_VHDX_PATH : NULL,
		.vhdx_host = bcd_device_of(&job->layout, PART_WINDOWS),
		.loader_description = im->display_name && *im->display_name ? im->display_name : im->name,
		.locale = job->opt.locale ? job->opt.locale
			: im->default_language ? im->default_language : "en-US",
		.seeded = job->opt.seeded,
		.seed = job->opt.seed,
	};
	/* the VHDX is the batch's first target's, on every target */
	const struct write_job *base = job->first ? job->first : job;
	int ret;

	if (job->opt.vhdx.mode)
		req.windows = (struct bcd_device){ .style = BCD_STYLE_MBR, .mbr_offset = base->vhdx.inner_offset,
						   .mbr_signature = base->vhdx.signature };
	ret = bcd_build(ctx, &req);
	if (!ret && job->layout.table == LAYOUT_TABLE_MBR) {
		req.firmware = BCD_FIRMWARE_BIOS;
		req.out_path = s->bios_bcd;
		ret = bcd_build(ctx, &req);
	}
	return ret;
}

static int make_esp(struct wtg_ctx *ctx, struct write_job *job, struct staged *s)
{
	const struct layout *l = &job->layout;
	const uint8_t *id = l->parts[PART_ESP].uuid.bytes;
	struct esp_request req = {
		.path = s->esp,
		.bytes = layout_bytes(l, PART_ESP),
		.sector_size = l->sector_size,
		.start_sector = l->parts[PART_ESP].start,
		/* the volume serial follows the partition GUID: reproducible with --seed */
		.volume_id = (uint32_t)id[0] << 24 | id[1] << 16 | id[2] << 8 | id[3],
		.boot = &s->boot,
		.bcd_path = s->bcd,
		.bios = l->table == LAYOUT_TABLE_MBR,
		.bios_bcd_path = s->bios_bcd,
	};
	int ret;

	progress_report(ctx, PROGRESS_ESP, 0, req.bytes);
	ret = make_bcd(ctx, job, s);
	if (!ret)
		ret = esp_build(ctx, &req);
	if (!ret)
		progress_report(ctx, PROGRESS_ESP, req.bytes, req.bytes);
	return ret;
}

/* write --vhdx: the host partition holding the VHDX (vhdx_boot.h). */
static int vhdx_build(struct wtg_ctx *ctx, struct write_job *job, struct staged *s)
{
	const struct layout *l = &job->layout;
	struct vhdx_boot_request req = {
		.plan = &job->vhdx,
		.stage_dir = s->dir,
		.host_path = s->ntfs,
		.host_sector_size = l->sector_size,
		.host_start_sector = l->parts[PART_WINDOWS].start,
		.source = job->source,
		.index = job->image.index,
		.seeded = job->opt.seeded,
		.seed = job->opt.seed,
	};

	return vhdx_boot_build(ctx, &req, &job->vhdx_result);
}

static int open_staged(struct wtg_ctx *ctx, const char *path, int *fd_ret)
{
	int fd = *fd_ret >= 0 ? *fd_ret : open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", path);
	*fd_ret = fd;
	return 0;
}

/* --direct on a disk: the NTFS's used ranges, in place (only hashed). */
struct used_ranges {
	struct extent_list *list;
	int fd;                  /* the loop device over the partition */
	uint64_t partition_offset;
};

static int add_used_range(void *user, uint64_t offset, uint64_t length)
{
	struct used_ranges *u = user;

	extents_append(u->list, &(struct extent){ .offset = u->partition_offset + offset, .length = length,
						  .fd = u->fd, .src_offset = offset, .what = "windows",
						  .in_place = true });
	return 0;
}

static int assemble(struct wtg_ctx *ctx, struct write_job *job, struct staged *s, struct extent_list *list)
{
	const struct layout *l = &job->layout;
	int ret;

	ret = open_staged(ctx, s->gpt, &s->gpt_fd);
	if (!ret)
		ret = open_staged(ctx, s->esp, &s->esp_fd);
	if (!ret)
		ret = open_staged(ctx, s->ntfs, &s->ntfs_fd);
	if (!ret)
		ret = extents_add_file(ctx, list, s->gpt_fd, 0, l->disk_bytes, layout_table_name(l->table));
	if (!ret)
		ret = extents_add_file(ctx, list, s->esp_fd, layout_offset(l, PART_ESP),
				       layout_bytes(l, PART_ESP), "esp");
	if (!ret && s->ntfs_on_disk) {
		struct used_ranges used = { list, s->ntfs_fd, layout_offset(l, PART_WINDOWS) };

		ret = ntfs_used_ranges(ctx, s->ntfs, s->ntfs_shown, layout_bytes(l, PART_WINDOWS), add_used_range,
				       &used);
	} else if (!ret && s->ntfs_in_target) {
		size_t first = list->count;

		ret = extents_add_file_from(ctx, list, s->ntfs_fd, layout_offset(l, PART_WINDOWS),
					    layout_offset(l, PART_WINDOWS), layout_bytes(l, PART_WINDOWS), "windows");
		for (size_t i = first; i < list->count; i++)
			list->items[i].in_place = true;
	} else if (!ret) {
		ret = extents_add_file(ctx, list, s->ntfs_fd, layout_offset(l, PART_WINDOWS),
				       layout_bytes(l, PART_WINDOWS), "windows");
	}
	/* --vhdx: the file's clusters that are holes in the stage are zeros */
	if (!ret && job->opt.vhdx.mode)
		ret = vhdx_boot_add_zeros(ctx, job->first ? &job->first->vhdx_result : &job->vhdx_result, s->ntfs_fd, layout_offset(l, PART_WINDOWS), list);
	if (!ret && l->vm.sectors)
		ret = open_staged(ctx, s->vm, &s->vm_fd);
	if (!ret && l->vm.sectors)
		ret = extents_add_file(ctx, list, s->vm_fd, l->vm.start * l->sector_size,
				       l->vm.sectors * l->sector_size, "vm");
	if (!ret)
		ret = extents_finish(ctx, list);
	/* not into a container: it would store the zeros the holes read as;
	 * nor where Windows was built on the disk: its holes are free space
	 * holding what the disk held before, and the disk writes at random */
	if (!ret && (job->device || job->opt.sink_kind == SINK_RAW_FILE) && !s->ntfs_on_disk)
		extents_fill_gaps(list, job->opt.fill_gaps);
	return ret;
}

/* The partition table goes last (see write.h): its extents move from the
 * stream to table, and the stream sends zeros instead, from the disk's
 * first byte to the ESP and from the end of the last partition to the
 * disk's last byte (over whatever an earlier use left there).  The table
 * is written over those zeros once everything else is on the disk, so a
 * write cut off before then leaves a disk with no partition table at all,
 * which probe, verify and list recognise. */
static int split_table(struct wtg_ctx *ctx, const struct layout *l, struct extent_list *list,
		       struct extent_list *table)
{
	uint64_t head = layout_offset(l, PART_ESP);
	uint64_t tail = layout_partitions_end(l);
	const struct extent zeros[] = {
		{ .offset = 0, .length = head, .fd = -1, .what = "zeros", .unhashed = true },
		{ .offset = tail, .length = l->disk_bytes - tail, .fd = -1, .what = "zeros", .unhashed = true },
	};
	struct extent_list rest = { 0 };
	int ret = 0;

	for (size_t i = 0; i < list->count; i++) {
		const struct extent *e = &list->items[i];
		bool in_head, in_tail;

		if (strcmp(e->what, layout_table_name(l->table))) {
			extents_append(&rest, e);
			continue;
		}
		/* only over the zeros: elsewhere it would change hashed bytes */
		in_head = e->offset + e->length <= head;
		in_tail = e->offset >= tail && e->offset + e->length <= l->disk_bytes;
		if (!ret && !in_head && !in_tail)
			ret = log_error(ctx, WTG_ERR_INTERNAL, "internal error: the partition table has bytes at %llu, inside the partitions",
					(unsigned long long)e->offset);
		extents_append(table, e);
	}
	for (size_t i = 0; i < ARRAY_SIZE(zeros); i++)
		if (zeros[i].length)
			extents_append(&rest, &zeros[i]);
	extents_release(list);
	*list = rest;
	if (!ret)
		ret = extents_finish(ctx, list);
	return ret;
}

static int by_block_offset(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Reads len bytes of the table's extent e from pos (bytes into e). */
static int read_table(struct wtg_ctx *ctx, const struct extent *e, uint64_t pos, uint8_t *buf, size_t len)
{
	int ret = pread_all(e->fd, buf, len, e->src_offset + pos);

	if (ret == -ENODATA)
		return log_error(ctx, WTG_ERR_IO, "cannot read the %s stage: it ends before byte %llu",
				 e->what, (unsigned long long)(e->src_offset + pos + len));
	return ret < 0 ? log_syserr(ctx, -ret, "cannot read the %s stage", e->what) : 0;
}

/* Adds the table's blocks to blocks, in offset order, hashed from its
 * stage: the bytes the disk holds once the table is written over the
 * zeros the stream sent there. */
static int hash_table(struct wtg_ctx *ctx, const struct extent_list *table, struct block_list *blocks)
{
	uint8_t *buf = table->count ? xmalloc(BLOCK_BYTES) : NULL;
	int ret = 0;

	for (size_t i = 0; i < table->count && !ret; i++) {
		const struct extent *e = &table->items[i];

		for (uint64_t pos = 0; pos < e->length && !ret; pos += block_length(e, pos)) {
			size_t n = (size_t)block_length(e, pos);

			ret = read_table(ctx, e, pos, buf, n);
			if (!ret)
				sha256_buffer(buf, n, blocks_add(blocks, e->offset + pos, n, e->what)->sha256);
		}
	}
	if (!ret && table->count && blocks->count > 1)
		qsort(blocks->items, blocks->count, sizeof(*blocks->items), by_block_offset);
	free(buf);
	return ret;
}

/* Writes the partition table over its zeros: after everything else is
 * durable on the target, and made durable itself before the read-back. */
static int write_table(struct sink *sink, const struct extent_list *table)
{
	uint8_t *buf = xmalloc(BLOCK_BYTES);
	int ret = sink_flush(sink);

	for (size_t i = 0; i < table->count && !ret; i++) {
		const struct extent *e = &table->items[i];

		for (uint64_t pos = 0; pos < e->length && !ret; pos += block_length(e, pos)) {
			size_t n = (size_t)block_length(e, pos);

			ret = read_table(sink->ctx, e, pos, buf, n);
			if (!ret)
				ret = sink_overwrite(sink, e->offset + pos, buf, n, e->what);
		}
	}
	if (!ret)
		ret = sink_flush(sink);
	free(buf);
	return ret;
}

/* The image is the one meant: its SHA-256 is the one given. */
static int check_source(struct wtg_ctx *ctx, const struct write_job *job)
{
	uint8_t sha[SHA256_BYTES];
	char got[SHA256_HEX_MAX], want[SHA256_HEX_MAX];
	int ret = sha256_file(ctx, job->opt.image_path, sha);

	if (ret < 0)
		return ret;
	if (memcmp(sha, job->expected_sha256, SHA256_BYTES))
		return log_error(ctx, WTG_ERR_HASH_MISMATCH, "'%s' has SHA-256 %s, not %s as expected; it is damaged or not the image meant, so nothing was written",
				 job->opt.image_path, sha256_hex(sha, got),
				 sha256_hex(job->expected_sha256, want));
	return 0;
}

/* Room left in the manifest's file for the blocks its own clusters add
 * (they split an ESP extent) beyond those planned before they existed. */
#define MANIFEST_MARGIN (16 * 1024)

static void manifest_fill(const struct write_job *job, struct manifest *m)
{
	const struct layout *l = &job->layout;
	char *real = realpath(job->opt.image_path, NULL);
	time_t now = time(NULL);
	struct tm tm;
	char date[32];

	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	m->tool = job->opt.tool ? xstrdup(job->opt.tool) : NULL;
	m->date = xstrdup(date);
	m->image_path = real ? real : xstrdup(job->opt.image_path);
	m->image_name = xstrdup(job->image.name);
	m->image_index = job->image.index;
	m->boot_set = job->boot_managers.use_ex ? "EFI_EX" : "EFI";
	m->boot_ca = sb_ca_name(job->boot_managers.ca);
	m->image_hashed = job->check_source;
	memcpy(m->image_sha256, job->expected_sha256, SHA256_BYTES);
	m->disk_bytes = l->disk_bytes;
	m->sector_size = l->sector_size;
	m->speed = job->speed;
	m->table = layout_table_name(l->table);
	if (l->table == LAYOUT_TABLE_MBR)
		snprintf(m->disk_guid, sizeof(m->disk_guid), "0x%08x", l->mbr_signature);
	else
		guid_format(&l->disk_guid, m->disk_guid);
	for (int i = 0; i < PART_COUNT; i++)
		m->parts[i] = (struct manifest_part){ l->parts[i].role, layout_offset(l, i),
						      layout_bytes(l, i) };
	if (l->vm.sectors)
		m->vm = (struct manifest_part){ l->vm.role, l->vm.start * l->sector_size,
						l->vm.sectors * l->sector_size };
}

/* Keeps room for the manifest on the staged ESP, then assembles the disk
 * again with that room unhashed (see manifest.h). */
static int reserve_manifest(struct wtg_ctx *ctx, struct write_job *job, struct staged *s, struct extent_list *list,
			    struct manifest *m, size_t *reserved_ret)
{
	uint64_t esp_offset = layout_offset(&job->layout, PART_ESP);
	const char *scratch = s->manifest_scratch;
	char *text = NULL;
	size_t len = 0;
	int ret;

	manifest_fill(job, m);
	blocks_plan(list, &m->blocks);
	ret = manifest_render(ctx, m, 0, &text, &len);
	blocks_release(&m->blocks);
	*reserved_ret = round_up(len + MANIFEST_MARGIN, 4096);
	if (!ret)
		ret = esp_reserve_file(ctx, s->esp, scratch, MANIFEST_ESP_FOLDER, MANIFEST_ESP_NAME,
				       *reserved_ret, &m->excluded, &m->n_excluded);
	if (!ret) {
		extents_release(list);
		ret = assemble(ctx, job, s, list);
	}
	for (size_t i = 0; i < m->n_excluded && !ret; i++) {
		m->excluded[i].offset += esp_offset;
		ret = extents_mark_unhashed(ctx, list, m->excluded[i].offset, m->excluded[i].length);
	}
	free(text);
	return ret;
}

/* Writes the manifest with the hashes over its room on the target and in
 * the staged ESP (which then holds what the target must hold), and adds
 * its bytes to the blocks to read back. */
static int write_manifest(struct write_job *job, struct staged *s, struct sink *sink,
			  const struct manifest *m, size_t reserved, struct block_list *check,
			  char **text_ret, size_t *len_ret)
{
	struct wtg_ctx *ctx = sink->ctx;
	uint64_t esp_offset = layout_offset(&job->layout, PART_ESP);
	int esp_fd = open(s->esp, O_WRONLY | O_CLOEXEC);
	const char *p;
	int ret;

	if (esp_fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", s->esp);
	ret = manifest_render(ctx, m, reserved, text_ret, len_ret);
	p = ret ? NULL : *text_ret;
	for (size_t i = 0; i < m->n_excluded && !ret; i++) {
		const struct byte_range *r = &m->excluded[i];

		ret = pwrite_all(esp_fd, p, r->length, r->offset - esp_offset);
		if (ret < 0)
			ret = log_syserr(ctx, -ret, "cannot write the manifest into '%s'", s->esp);
		if (!ret)
			ret = sink_overwrite(sink, r->offset, p, r->length, "esp");
		for (uint64_t pos = 0; pos < r->length && !ret; pos += BLOCK_BYTES) {
			uint64_t n = r->length - pos < BLOCK_BYTES ? r->length - pos : BLOCK_BYTES;

			sha256_buffer(p + pos, n, blocks_add(check, r->offset + pos, n, "esp")->sha256);
		}
		p += r->length;
	}
	close(esp_fd);
	return ret;
}

/* Reads every block back from the target and names the first byte that
 * differs from the stage. */
static int read_back(struct write_job *job, struct sink *sink, const struct extent_list *list,
		     const struct extent_list *table, const struct manifest *m, const struct block_list *check)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct readback rb = { .fd = -1 };
	struct verify_report report = { 0 };
	const struct block *b;
	const struct extent *e;
	uint64_t at = 0, rel = 0;
	const char *where;
	uint8_t got = 0, want = 0;
	int ret = sink_readback(sink, &rb);

	if (!ret)
		ret = verify_blocks(ctx, &rb, check, &report);
	if (ret < 0 || !report.n_bad)
		goto out;
	b = &check->items[report.bad[0]];
	/* the table's bytes are in its stage, not in the zeros the stream sent */
	e = extents_find(table, b->offset);
	if (!e)
		e = extents_find(list, b->offset);
	ret = e ? verify_first_difference(ctx, &rb, b->offset, b->length, e->fd,
					  e->src_offset + (b->offset - e->offset), &at, &got, &want)
		: 1;
	/* where the byte is, before the message: the order in which a call's
	 * arguments are evaluated is unspecified, and rel is set by this one */
	where = manifest_where(m, ret == 1 ? b->offset : at, &rel);
	if (ret == 1)  /* it read back wrong once, right the second time */
		ret = log_error(ctx, WTG_ERR_READBACK_MISMATCH, "'%s' does not keep what was written: bytes %llu to %llu (%s partition, from its byte %llu) read back differently once, then right; the disk or its connection is unreliable",
				job->opt.target, (unsigned long long)b->offset,
				(unsigned long long)(b->offset + b->length - 1), where, (unsigned long long)rel);
	else if (!ret)
		ret = log_error(ctx, WTG_ERR_READBACK_MISMATCH, "'%s' does not keep what was written: byte %llu (%s partition, its byte %llu) reads back 0x%02x, 0x%02x was written; %zu of %zu blocks of up to 4 MiB differ; the disk is failing or not as large as it claims",
				job->opt.target, (unsigned long long)at, where, (unsigned long long)rel, got, want,
				report.n_bad, check->count);
out:
	verify_report_release(&report);
	verify_close(&rb);
	return ret;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void staged_release(struct staged *s)
{
	close_fd(&s->gpt_fd);
	close_fd(&s->esp_fd);
	close_fd(&s->ntfs_fd);
	close_fd(&s->vm_fd);
	boot_files_release(&s->boot);
	free(s->gpt);
	free(s->esp);
	free(s->ntfs);
	free(s->ntfs_built_at);
	free(s->ntfs_shown);
	loopdev_release(&s->loop);
	free(s->bcd);
	free(s->bios_bcd);
	free(s->vm);
	stage_remove(s->dir);
}

void write_result_set(struct write_result *result, const struct extent_list *list,
		      const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	*result = (struct write_result){
		.bytes_written = list->bytes,
		.extents = list->count,
		.seconds = (now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9,
	};
}

/* The folder path is in: "." for a bare name. */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	return slash == path ? xstrdup("/") : xasprintf("%.*s", (int)(slash - path), path);
}

/* Whether an image file's Windows partition may be built in it
 * (build_in_target, when its file system lets it): not for --vhdx (the
 * host holds a file built elsewhere), a VM partition (built after
 * Windows) or disks; a test build can turn it off. */
static bool may_build_in_target(const struct wtg_ctx *ctx, const struct write_job *job)
{
	return !job->device && job->opt.sink_kind == SINK_RAW_FILE && !job->opt.vhdx.mode && !job->layout.vm.sectors &&
	       !ctx->hooks.no_build_in_place;
}

/* What the stage holds, and what an image file takes (both sparse: the
 * data, not the disk's size): the image's files, a tenth more for what
 * NTFS adds, the ESP, and some room.  One estimate for both messages. */
static uint64_t space_needed(const struct write_job *job)
{
	/* the VM partition's stage, and its QCOW2 until it is copied in */
	uint64_t vm = job->layout.vm.sectors * job->layout.sector_size;

	/* --vhdx: the inner NTFS, the VHDX made of it, and the host holding it */
	if (job->opt.vhdx.mode)
		return 3 * (job->image.expanded_size + job->image.expanded_size / 10) +
		       layout_bytes(&job->layout, PART_ESP) + STAGE_SLACK;
	return job->image.expanded_size + job->image.expanded_size / 10 + layout_bytes(&job->layout, PART_ESP) +
	       2 * vm + STAGE_SLACK;
}

/* Before the first byte is staged: room for the stage (and an ISO's
 * install image, copied into it first) and for an image file's data, on
 * one file system or two. */
static int check_space(struct wtg_ctx *ctx, const struct write_job *job, bool with_stage, bool alone)
{
	uint64_t fetch = job->input ? source_fetch_bytes(job->input) : 0, data = space_needed(job), avail;
	/* a Windows partition built on the target (an image file's, or a
	 * disk's with --direct): the stage holds only the ESP and the table */
	bool in_place = with_stage && alone && job->strategy == WRITE_STRATEGY_DIRECT;
	uint64_t stage = in_place ? layout_bytes(&job->layout, PART_ESP) + STAGE_SLACK : data;
	char *dir = job->device ? NULL : dir_of(job->opt.target);
	char need_text[SIZE_TEXT_MAX], each_text[SIZE_TEXT_MAX], avail_text[SIZE_TEXT_MAX];
	char stage_text[SIZE_TEXT_MAX];
	struct stat stage_sb, target_sb;
	struct statvfs vfs;
	int ret = 0;

	/* a batch's other targets: each image file on its own (the stage and
	 * the first are the first's to check) */
	if (!with_stage)
		goto target;
	if (dir && stat(dir, &target_sb) == 0 && stat(job->stage_parent, &stage_sb) == 0 &&
	    target_sb.st_dev == stage_sb.st_dev) {
		/* one file system holds both */
		if (statvfs(dir, &vfs) == 0 && (avail = (uint64_t)vfs.f_bavail * vfs.f_frsize) < fetch + stage + data) {
			if (in_place)
				ret = log_error(ctx, WTG_ERR_NO_SPACE, "not enough space in '%s' for the stage and '%s': %s needed (%s for the image, %s for the stage), %s free; give another directory with --tmpdir, or write the image elsewhere",
						dir, job->opt.target, format_size(fetch + stage + data, need_text),
						format_size(data, each_text), format_size(fetch + stage, stage_text),
						format_size(avail, avail_text));
			else
				ret = log_error(ctx, WTG_ERR_NO_SPACE, "not enough space in '%s' for the stage and '%s': %s needed (%s for each), %s free; give another directory with --tmpdir, or write the image elsewhere",
						dir, job->opt.target, format_size(fetch + 2 * data, need_text),
						format_size(data, each_text), format_size(avail, avail_text));
		}
		goto out;
	}
	ret = stage_check_space(ctx, job->stage_parent, fetch + stage);
target:
	if (!ret && dir && statvfs(dir, &vfs) == 0 && (avail = (uint64_t)vfs.f_bavail * vfs.f_frsize) < data)
		ret = log_error(ctx, WTG_ERR_NO_SPACE, "not enough space for '%s' in '%s': %s needed, %s free; free some space, or write the image elsewhere",
				job->opt.target, dir, format_size(data, need_text), format_size(avail, avail_text));
out:
	free(dir);
	return ret;
}

enum write_strategy write_strategy_for_iops(double iops, char *reason_ret, size_t reason_len)
{
	bool direct = iops >= WRITE_DIRECT_MIN_IOPS;

	snprintf(reason_ret, reason_len, "the disk took %.0f random 4 KiB writes a second, %s %d", iops,
		 direct ? "at least" : "fewer than", WRITE_DIRECT_MIN_IOPS);
	return direct ? WRITE_STRATEGY_DIRECT : WRITE_STRATEGY_STAGE;
}

/* Whether the stage's file system lacks the room the stage needs (auto
 * then builds on the disk rather than fail). */
static bool stage_lacks_room(const struct write_job *job, uint64_t *need_ret, uint64_t *avail_ret)
{
	struct statvfs vfs;

	*need_ret = (job->input ? source_fetch_bytes(job->input) : 0) + space_needed(job);
	if (statvfs(job->stage_parent, &vfs) < 0)
		return false;  /* said when the stage is made */
	*avail_ret = (uint64_t)vfs.f_bavail * vfs.f_frsize;
	return *avail_ret < *need_ret;
}

int write_job_choose_strategy(struct wtg_ctx *ctx, struct write_job *job)
{
	struct speed_options opt = { .seconds = WRITE_AUTO_SECONDS, .allow_write = true,
				     .random_write_only = true, .seed = SPEED_DEFAULT_SEED };
	const struct speed_phase *measured = job->speed ? &job->speed->phase[SPEED_RANDOM_WRITE] : NULL;
	struct speed_target *t = NULL;
	struct speed_result result;
	char need[SIZE_TEXT_MAX], avail[SIZE_TEXT_MAX];
	uint64_t need_bytes = 0, avail_bytes = 0;
	int ret;

	if (job->strategy != WRITE_STRATEGY_AUTO)
		return 0;
	if (stage_lacks_room(job, &need_bytes, &avail_bytes)) {
		job->strategy = WRITE_STRATEGY_DIRECT;
		snprintf(job->strategy_reason, sizeof(job->strategy_reason),
			 "the stage '%s' has %s free of the %s it needs", job->stage_parent,
			 format_size(avail_bytes, avail), format_size(need_bytes, need));
		return 0;
	}
	if (!measured || !measured->measured) {
		ret = speed_open(ctx, job->opt.target, true, job->opt.image_path, &t);
		if (!ret)
			ret = speed_run(ctx, t, &opt, &result);
		speed_close(t);
		if (ret < 0)
			return ret;
		measured = &result.phase[SPEED_RANDOM_WRITE];
	}
	job->strategy = write_strategy_for_iops(measured->iops, job->strategy_reason, sizeof(job->strategy_reason));
	return 0;
}

/* One target of a run: its sink, its share of the stage, and what the
 * stream to it needs (see run_target). */
struct target_run {
	struct write_target *t;
	struct staged s;
	struct sink *sink;
	struct timespec t0;
	struct automount_hold *automount;  /* a disk's partitions hidden meanwhile */
	bool done;               /* its stream thread has ended */
};

/* The target's own stage files; for the batch's first target the names
 * of a single write. */
static void target_staged_init(struct staged *s, const struct staged *shared, size_t number)
{
	char suffix[24] = "";

	if (number)
		snprintf(suffix, sizeof(suffix), "-%zu", number + 1);
	*s = (struct staged){ .dir = shared->dir, .ntfs = shared->ntfs, .vm = shared->vm, .boot = shared->boot,
			      .gpt_fd = -1, .esp_fd = -1, .ntfs_fd = -1, .vm_fd = -1, .shared = true,
			      .ntfs_in_target = shared->ntfs_in_target, .ntfs_on_disk = shared->ntfs_on_disk,
			      .ntfs_shown = shared->ntfs_shown, .loop = LOOPDEV_INIT };
	s->gpt = xasprintf("%s/gpt%s.img", shared->dir, suffix);
	s->esp = xasprintf("%s/esp%s.img", shared->dir, suffix);
	s->bcd = xasprintf("%s/BCD%s", shared->dir, suffix);
	s->bios_bcd = xasprintf("%s/BCD-BIOS%s", shared->dir, suffix);
	s->manifest_scratch = xasprintf("%s/manifest%s.json", shared->dir, suffix);
}

int write_job_unmount(struct wtg_ctx *ctx, struct write_job *job)
{
	struct device_roots roots;
	int ret;

	if (!job->unmount_first)
		return 0;
	device_roots_default(ctx, &roots);
	ret = device_unmount(ctx, &roots, job->device);
	/* judged again: now it must be ok, and still the disk planned for */
	if (!ret)
		ret = check_device(ctx, job, NULL);
	if (!ret && job->unmount_first)
		ret = log_error(ctx, WTG_ERR_DISK_IN_USE, "%s is still mounted after unmounting it (an automounter?); nothing was written, start again",
				job->device->path);
	return ret;
}

/* Opens the target (a disk: O_EXCL, and judged again: things may have
 * changed since the plan). */
static int open_target(struct target_run *r)
{
	struct wtg_ctx *ctx = r->t->ctx;
	struct write_job *job = r->t->job;
	struct sink_format format = job->opt.sink_format;
	int ret = write_job_unmount(ctx, job);

	if (ret < 0)
		return ret;
	/* before the disk is opened: its partitions are reread, at the
	 * latest, when it is written */
	if (job->device)
		automount_hold(ctx, job->device, &r->automount);
	format.logical_sector = job->layout.sector_size;
	format.seeded = job->opt.seeded;
	format.seed = job->opt.seed;
	ret = sink_open_format(ctx, job->device ? SINK_BLOCK_DEVICE : job->opt.sink_kind, job->opt.target,
			       job->layout.disk_bytes, job->opt.force, job->opt.sink_flags, &format, &r->sink);
	if (!ret && job->device)
		ret = check_device(ctx, job, r->sink);
	return ret;
}

/* The partitions every target shares: the Windows partition (or the
 * VHDX's host) and the VM partition, built once. */
static int stage_shared(struct wtg_ctx *ctx, struct write_job *job, struct staged *s, struct sink *in_target)
{
	const struct layout *l = &job->layout;
	int ret = wtg_ctx_aborted(ctx) ? -WTG_ERR_INTERRUPTED : 0;

	if (!ret)
		ret = servicing_apply(ctx, job->servicing);
	if (!ret) {
		struct ntfs_request req = {
			.path = s->ntfs,
			.bytes = layout_bytes(l, PART_WINDOWS),
			.sector_size = l->sector_size,
			.start_sector = l->parts[PART_WINDOWS].start,
			.source = job->source,
			.index = job->image.index,
			.in_target = s->ntfs_in_target,
			.on_device = s->ntfs_on_disk,
			.shown_as = s->ntfs_shown,
		};

		if (s->ntfs_built_at) {
			req.path = s->ntfs_built_at;
			req.shown_as = s->ntfs;  /* the image it is built for */
		}

		/* not in the unnamed file beside an image (sink_raw.h): ntfsresize
		 * checks a volume's mount state by its name, and refuses */
		if (!job->opt.full_stage && !job->opt.vhdx.mode && !s->ntfs_built_at && !s->ntfs_on_disk)
			req.tight_bytes = ntfs_tight_bytes(ctx, &job->image, servicing_added_bytes(job->servicing),
							   req.bytes);
		ret = job->opt.vhdx.mode ? vhdx_build(ctx, job, s) : ntfs_build(ctx, &req);
		if (!ret && s->ntfs_in_target)
			ret = sink_raw_place(in_target, layout_offset(l, PART_WINDOWS));
	}
	/* before the stream: it sends the disk in one increasing pass */
	if (!ret && job->vm) {
		const uint8_t *id = l->vm.uuid.bytes;

		ret = vmpart_build(ctx, job->vm, s->dir, s->vm, l->vm.sectors * l->sector_size,
				   job->opt.seeded ? (uint32_t)id[0] << 24 | id[1] << 16 | id[2] << 8 | id[3] : 0);
	}
	return ret;
}

/* The target's stream, from the stage to its read-back and manifest:
 * everything that is the target's own. */
static int stream_target(struct target_run *r)
{
	struct wtg_ctx *ctx = r->t->ctx;
	struct write_job *job = r->t->job;
	struct staged *s = &r->s;
	struct sink *sink = r->sink;
	const struct layout *l = &job->layout;
	struct extent_list list = { 0 };
	struct extent_list table = { 0 };  /* the partition table, written last */
	struct block_list check = { 0 };   /* every block written, the manifest's too */
	struct outfile manifest_out = { .fd = -1 };
	struct manifest man = { 0 };
	struct write_result *result = &r->t->result;
	char *text = NULL;
	size_t text_len = 0, reserved = 0;
	int ret;

	ret = assemble(ctx, job, s, &list);
	if (!ret && job->manifest_in_esp)
		ret = reserve_manifest(ctx, job, s, &list, &man, &reserved);
	/* a container (QCOW2, VHDX) is whole only when finished: the order of
	 * the disk's bytes in it protects nothing */
	if (!ret && sink->ops->in_place)
		ret = split_table(ctx, l, &list, &table);
	/* from here on, a disk no longer holds what it held */
	job->target_touched = job->target_touched || !ret;  /* --direct: since the build */
	if (!ret)
		ret = sink_write_all(sink, &list, &man.blocks);
	if (!ret)
		ret = hash_table(ctx, &table, &man.blocks);
	for (size_t i = 0; i < man.blocks.count && !ret; i++)
		*blocks_add(&check, man.blocks.items[i].offset, man.blocks.items[i].length,
			    man.blocks.items[i].what) = man.blocks.items[i];
	if (!ret && job->manifest_in_esp)
		ret = write_manifest(job, s, sink, &man, reserved, &check, &text, &text_len);
	if (!ret && table.count)
		ret = write_table(sink, &table);
	if (!ret && !job->opt.no_verify)
		ret = read_back(job, sink, &list, &table, &man, &check);
	if (!ret && job->manifest_path)
		ret = manifest_save(ctx, text, text_len, job->manifest_path, &manifest_out);
	if (!ret)
		ret = sink_finish(sink);
	/* the manifest beside the image goes in place with the image, or not at all */
	if (!ret && job->manifest_path)
		ret = outfile_commit(ctx, &manifest_out);
	if (!ret) {
		write_result_set(result, &list, &r->t0);
		result->bytes_written += table.bytes;
		result->extents += table.count;
		result->blocks = man.blocks.count;
		result->verified = !job->opt.no_verify;
		result->manifest = job->manifest_path;
	}
	outfile_abort(&manifest_out);
	extents_release(&list);
	extents_release(&table);
	blocks_release(&check);
	manifest_release(&man);
	free(text);
	return ret;
}

static void *stream_thread(void *arg)
{
	struct target_run *r = arg;

	r->t->ret = stream_target(r);
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/* A target's own stage files go as soon as it is done with them. */
static void target_release(struct target_run *r)
{
	struct staged *s = &r->s;

	sink_free(r->sink);
	r->sink = NULL;
	/* the disk closed: the desktop may see it now */
	automount_release(r->t->ctx, r->automount);
	r->automount = NULL;
	close_fd(&s->gpt_fd);
	close_fd(&s->esp_fd);
	close_fd(&s->ntfs_fd);
	close_fd(&s->vm_fd);
	if (!s->gpt)
		return;
	unlink(s->gpt);
	unlink(s->esp);
	unlink(s->bcd);
	unlink(s->bios_bcd);
	unlink(s->manifest_scratch);
	free(s->gpt);
	free(s->esp);
	free(s->bcd);
	free(s->bios_bcd);
	free(s->manifest_scratch);
	s->gpt = NULL;
}

/* The streams run at once, one thread each (a single target in this
 * thread): each has its own context and pipeline, so a slow stick holds
 * back only itself.  An abort asked of the batch's context (a signal) is
 * passed on to every target's. */
static void stream_all(struct wtg_ctx *ctx, struct target_run *runs, size_t n)
{
	pthread_t *threads = xcalloc(n, sizeof(*threads));
	bool *started = xcalloc(n, sizeof(*started));
	const struct timespec poll = { 0, 50 * 1000 * 1000 };
	size_t live = 0, running;

	for (size_t i = 0; i < n; i++)
		live += !runs[i].t->ret;
	for (size_t i = 0; i < n; i++) {
		if (runs[i].t->ret)
			continue;
		if (live > 1 && pthread_create(&threads[i], NULL, stream_thread, &runs[i]) == 0)
			started[i] = true;
		else
			stream_thread(&runs[i]);  /* no thread to be had: one after the other */
	}
	do {
		running = 0;
		for (size_t i = 0; i < n; i++) {
			if (!started[i] || __atomic_load_n(&runs[i].done, __ATOMIC_ACQUIRE))
				continue;
			running++;
			if (ctx->abort_requested && runs[i].t->ctx != ctx)
				wtg_ctx_request_abort(runs[i].t->ctx);
		}
		if (running)
			nanosleep(&poll, NULL);
	} while (running);
	for (size_t i = 0; i < n; i++)
		if (started[i])
			pthread_join(threads[i], NULL);
	free(started);
	free(threads);
}

/* --direct on a disk: its Windows partition is built on it, through a
 * loop device over the partition's range; the stream only reads it back
 * to hash it.  The old partition table is wiped first (the new one still
 * comes last). */
static int build_on_disk(struct target_run *r, struct staged *s)
{
	const struct write_job *job = r->t->job;
	int ret;

	/* from here on, a disk no longer holds what it held */
	r->t->job->target_touched = true;
	ret = sink_blockdev_build_in_place(r->sink, layout_offset(&job->layout, PART_WINDOWS),
					   layout_bytes(&job->layout, PART_WINDOWS), &s->loop);
	if (ret < 0)
		return ret;
	free(s->ntfs);
	s->ntfs = xstrdup(s->loop.path);
	s->ntfs_shown = xasprintf("%s (its Windows partition, %s)", job->opt.target, s->loop.path);
	s->ntfs_on_disk = true;
	return 0;
}

/* An image file's Windows partition is built in the file itself where its
 * file system can insert the room before it, or beside it where it can
 * share the blocks into it (sink_raw_build_in_place): nothing is staged,
 * copied, or deleted afterwards, and the stream only reads it to hash it.
 * Not with several targets (they share one stage), nor where
 * may_build_in_target says not. */
static int build_in_target(struct wtg_ctx *ctx, struct target_run *r, struct staged *s)
{
	const struct write_job *job = r->t->job;
	const char *path, *partial;
	int ret;

	if (job->strategy != WRITE_STRATEGY_DIRECT || job->device)
		return 0;
	if (!may_build_in_target(ctx, job))
		return 0;
	ret = sink_raw_build_in_place(r->sink, layout_offset(&job->layout, PART_WINDOWS),
				      layout_bytes(&job->layout, PART_WINDOWS), &path, &partial);
	if (ret < 0 || !path)
		return ret;
	/* the extents are read from the .partial, once it is in place */
	free(s->ntfs);
	s->ntfs = xstrdup(partial);
	s->ntfs_built_at = strcmp(path, partial) ? xstrdup(path) : NULL;
	s->ntfs_in_target = true;
	return 0;
}

int write_batch_run(struct wtg_ctx *ctx, struct write_target *targets, size_t n)
{
	struct write_job *first = targets[0].job;
	struct staged s = { .gpt_fd = -1, .esp_fd = -1, .ntfs_fd = -1, .vm_fd = -1, .loop = LOOPDEV_INIT };
	struct target_run *runs = xcalloc(n, sizeof(*runs));
	struct timespec t0;
	size_t open = 0;
	int ret, failed = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++)
		targets[i].ret = 0;
	ret = first->check_source ? check_source(ctx, first) : 0;
	/* auto, when the front end has not asked for it after its confirmation */
	if (!ret && n == 1)
		ret = write_job_choose_strategy(ctx, first);
	if (!ret)
		ret = check_space(targets[0].ctx, first, true, n == 1);
	for (size_t i = 1; i < n && !ret; i++)
		targets[i].ret = check_space(targets[i].ctx, targets[i].job, false, false);
	if (!ret && first->input)
		ret = source_fetch(ctx, first->input);
	if (!ret)
		ret = stage_create(ctx, first->stage_parent, &s.dir);
	if (ret < 0)
		goto out;
	s.ntfs = stage_path(s.dir, "windows.img");
	s.vm = stage_path(s.dir, "vm.img");
	/* every disk is ours (O_EXCL) before the long work; one that cannot
	 * be had fails alone */
	for (size_t i = 0; i < n; i++) {
		runs[i].t = &targets[i];
		runs[i].t0 = t0;
		if (!targets[i].ret)
			targets[i].ret = open_target(&runs[i]);
		open += !targets[i].ret;
	}
	if (!open) {
		ret = targets[0].ret;
		goto out;
	}
	/* before the targets' stage names are made: they share s.ntfs */
	ret = n == 1 ? build_in_target(ctx, &runs[0], &s) : 0;
	if (!ret)
		ret = boot_files_extract(ctx, first->source, first->image.index, first->image.arch, s.dir, &s.boot);
	if (!ret && first->boot_managers.use_ex)
		ret = boot_files_use_ex(ctx, &s.boot);
	/* each target's table and ESP: its own GUIDs, named in its BCD */
	for (size_t i = 0; i < n && !ret; i++) {
		if (targets[i].ret)
			continue;
		target_staged_init(&runs[i].s, &s, i);
		targets[i].ret = make_table(targets[i].ctx, targets[i].job, &runs[i].s);
		if (!targets[i].ret)
			targets[i].ret = make_esp(targets[i].ctx, targets[i].job, &runs[i].s);
		/* the context's own failure; the batch's is the first's */
		if (targets[i].ret == -WTG_ERR_INTERRUPTED)
			ret = targets[i].ret;
	}
	open = 0;
	for (size_t i = 0; i < n; i++)
		open += !targets[i].ret;
	if (!ret && !open)
		ret = targets[0].ret;
	/* --direct on a disk: wiped and built on once everything else is
	 * staged (a failure before leaves it as it was) */
	if (!ret && n == 1 && first->device && first->strategy == WRITE_STRATEGY_DIRECT && open) {
		ret = build_on_disk(&runs[0], &s);
		runs[0].s.ntfs = s.ntfs;
		runs[0].s.ntfs_on_disk = s.ntfs_on_disk;
		runs[0].s.ntfs_shown = s.ntfs_shown;
	}
	if (!ret) {
		if (open > 1)
			log_info(ctx, "staging Windows once for the %zu targets", open);
		ret = stage_shared(ctx, first, &s, s.ntfs_in_target ? runs[0].sink : NULL);
	}
	if (!ret)
		stream_all(ctx, runs, n);
out:
	for (size_t i = 0; i < n; i++) {
		/* the batch failed before the streams: every target with it */
		if (ret < 0 && !targets[i].ret)
			targets[i].ret = ret;
		if (targets[i].ret < 0 && !failed)
			failed = targets[i].ret;
		if (runs[i].t)
			target_release(&runs[i]);
	}
	free(runs);
	s.gpt = s.esp = s.bcd = s.bios_bcd = s.manifest_scratch = NULL;
	staged_release(&s);
	return failed;
}

int write_job_run(struct wtg_ctx *ctx, struct write_job *job,
		  struct write_result *result_ret)
{
	struct write_target t = { .ctx = ctx, .job = job };
	int ret = write_batch_run(ctx, &t, 1);

	if (!ret)
		*result_ret = t.result;
	return ret;
}
