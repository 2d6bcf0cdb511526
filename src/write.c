/* write.c - the main job, from image to target (see write.h). */
#include "wintogo/write.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wintogo/bcd.h"
#include "wintogo/bootfiles.h"
#include "wintogo/cancel.h"
#include "wintogo/esp.h"
#include "wintogo/extents.h"
#include "wintogo/log.h"
#include "wintogo/ntfs.h"
#include "wintogo/sink.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"
#include "wintogo/vhdx_windows.h"

/* Room in the stage beyond the image itself: the ESP, NTFS metadata. */
#define STAGE_SLACK (64 * MIB)

static void list_images(struct wim_source *source)
{
	const struct wim_file *f = wim_source_file(source);

	for (int i = 1; i <= f->image_count; i++) {
		struct wim_image im;

		if (wim_source_image(source, i, &im) == 0) {
			log_detail("%d  %s", i, im.name);
			wim_image_release(&im);
		}
	}
}

/* The image the options name: --index, --name, or the only one. */
static int choose_image(struct wim_source *source, const struct write_options *opt,
			int *index_ret)
{
	const struct wim_file *f = wim_source_file(source);
	int ret;

	if (opt->index) {
		if (opt->index > f->image_count)
			return log_error(-ERANGE, "'%s' has no image %d, it has %d; choose one with --index (see `wintogo info %s`)",
					 f->path, opt->index, f->image_count, f->path);
		*index_ret = opt->index;
		return 0;
	}
	if (opt->name) {
		for (int i = 1; i <= f->image_count; i++) {
			struct wim_image im;
			bool match;

			ret = wim_source_image(source, i, &im);
			if (ret < 0)
				return ret;
			match = !strcasecmp(im.name, opt->name);
			wim_image_release(&im);
			if (match) {
				*index_ret = i;
				return 0;
			}
		}
		log_error(-ENOENT, "'%s' has no image named '%s'; its images are:", f->path, opt->name);
		list_images(source);
		return -ENOENT;
	}
	if (f->image_count == 1) {
		*index_ret = 1;
		return 0;
	}
	log_error(-EINVAL, "'%s' holds %d images; choose one with --index N or --name NAME:",
		  f->path, f->image_count);
	list_images(source);
	return -EINVAL;
}

/* Refusals that need nothing but the target's name. */
static int check_target(const struct write_options *opt)
{
	struct stat sb;

	if (stat(opt->target, &sb) < 0)
		return errno == ENOENT ? 0 : log_errno(-errno, "cannot look at '%s'", opt->target);
	if (S_ISBLK(sb.st_mode))
		return log_error(-EOPNOTSUPP, "'%s' is a block device; this version writes disk image files only (write an image, then check it with `wintogo probe`)",
				 opt->target);
	if (S_ISDIR(sb.st_mode))
		return log_error(-EISDIR, "'%s' is a directory; give the name of the disk image to write",
				 opt->target);
	if (!opt->force)
		return log_error(-EEXIST, "'%s' already exists; use --force to replace it", opt->target);
	return 0;
}

static int plan(struct write_job *job)
{
	const struct write_options *opt = &job->opt;
	uint64_t esp = opt->esp_bytes ? opt->esp_bytes : LAYOUT_ESP_DEFAULT;
	uint64_t expanded = job->image.expanded_size;
	struct layout_request req = {
		.sector_size = 512,
		.esp_bytes = esp,
		.seeded = opt->seeded,
		.seed = opt->seed,
	};
	char have[SIZE_TEXT_MAX], need[SIZE_TEXT_MAX], size[SIZE_TEXT_MAX];

	job->min_disk_bytes = round_up(layout_disk_min_bytes(expanded, esp), MIB);
	req.disk_bytes = opt->disk_bytes ? opt->disk_bytes : layout_disk_default_bytes(expanded, esp);
	if (req.disk_bytes % req.sector_size)
		return log_error(-EINVAL, "disk size %llu is not a multiple of %u-byte sectors",
				 (unsigned long long)req.disk_bytes, req.sector_size);
	if (req.disk_bytes < job->min_disk_bytes)
		return log_error(-ENOSPC, "'%s' would be %s but image %d needs at least %s (%s of files + 10 %% + ESP + MSR); give --size %lluM or more",
				 opt->target, format_size(req.disk_bytes, have), job->image.index,
				 format_size(job->min_disk_bytes, need), format_size(expanded, size),
				 (unsigned long long)(job->min_disk_bytes / MIB));
	return layout_plan(&req, &job->layout);
}

int write_job_prepare(const struct write_options *opt, struct write_job **job_ret)
{
	struct write_job *job = xcalloc(1, sizeof(*job));
	int index = 0, ret;

	job->opt = *opt;
	job->stage_parent = stage_default_parent(opt->tmpdir);
	ret = check_target(opt);
	if (!ret && vhdx_is_vhdx(opt->image_path))
		ret = vhdx_windows_capture(opt->image_path, opt->tmpdir, &job->source);
	else if (!ret)
		ret = wim_source_open(opt->image_path, &job->source);
	if (!ret)
		ret = choose_image(job->source, opt, &index);
	if (!ret)
		ret = wim_source_image(job->source, index, &job->image);
	if (!ret)
		ret = plan(job);
	if (ret < 0) {
		write_job_free(job);
		return ret;
	}
	*job_ret = job;
	return 0;
}

void write_job_free(struct write_job *job)
{
	if (!job)
		return;
	wim_image_release(&job->image);
	wim_source_free(job->source);
	free(job);
}

/* The files built in the stage, and their descriptors for the sink. */
struct staged {
	char *dir;
	char *gpt, *esp, *ntfs, *bcd;
	int gpt_fd, esp_fd, ntfs_fd;
	struct boot_files boot;
};

static int make_gpt(struct write_job *job, struct staged *s)
{
	int ret = stage_make_file(s->gpt, job->layout.disk_bytes);

	return ret ? ret : layout_write_gpt(&job->layout, s->gpt);
}

static struct bcd_device gpt_device(const struct layout *l, enum layout_part p)
{
	return (struct bcd_device){ .style = BCD_STYLE_GPT, .partition = l->parts[p].uuid,
				    .disk = l->disk_guid };
}

/* The BCD store, as bcdboot makes it: from the image's BCD-Template when it
 * has one, else (or with --bcd-from-scratch) from an empty hive. */
static int make_bcd(struct write_job *job, struct staged *s)
{
	const struct wim_image *im = &job->image;
	struct bcd_request req = {
		.template_path = job->opt.bcd_from_scratch ? NULL : s->boot.bcd_template,
		.out_path = s->bcd,
		.esp = gpt_device(&job->layout, PART_ESP),
		.windows = gpt_device(&job->layout, PART_WINDOWS),
		.loader_description = im->display_name && *im->display_name ? im->display_name : im->name,
		.locale = job->opt.locale ? job->opt.locale
			: im->default_language ? im->default_language : "en-US",
		.seeded = job->opt.seeded,
		.seed = job->opt.seed,
	};

	return bcd_build(&req);
}

static int make_esp(struct write_job *job, struct staged *s,
		    const struct progress_sink *progress)
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
	};
	int ret;

	progress_report(progress, PROGRESS_ESP, 0, req.bytes);
	ret = make_bcd(job, s);
	if (!ret)
		ret = esp_build(&req);
	if (!ret)
		progress_report(progress, PROGRESS_ESP, req.bytes, req.bytes);
	return ret;
}

static int open_staged(const char *path, int *fd_ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return log_errno(-errno, "cannot open '%s'", path);
	*fd_ret = fd;
	return 0;
}

static int assemble(struct write_job *job, struct staged *s, struct extent_list *list)
{
	const struct layout *l = &job->layout;
	int ret;

	ret = open_staged(s->gpt, &s->gpt_fd);
	if (!ret)
		ret = open_staged(s->esp, &s->esp_fd);
	if (!ret)
		ret = open_staged(s->ntfs, &s->ntfs_fd);
	if (!ret)
		ret = extents_add_file(list, s->gpt_fd, 0, l->disk_bytes, "gpt");
	if (!ret)
		ret = extents_add_file(list, s->esp_fd, layout_offset(l, PART_ESP),
				       layout_bytes(l, PART_ESP), "esp");
	if (!ret)
		ret = extents_add_file(list, s->ntfs_fd, layout_offset(l, PART_WINDOWS),
				       layout_bytes(l, PART_WINDOWS), "windows");
	if (!ret)
		ret = extents_finish(list);
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
	boot_files_release(&s->boot);
	free(s->gpt);
	free(s->esp);
	free(s->ntfs);
	free(s->bcd);
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

int write_job_run(struct write_job *job, const struct progress_sink *progress,
		  struct write_result *result_ret)
{
	const struct layout *l = &job->layout;
	struct staged s = { .gpt_fd = -1, .esp_fd = -1, .ntfs_fd = -1 };
	struct extent_list list = { 0 };
	struct sink *sink = NULL;
	struct sink_format format;
	struct timespec t0;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = stage_check_space(job->stage_parent, job->image.expanded_size +
				job->image.expanded_size / 10 + layout_bytes(l, PART_ESP) + STAGE_SLACK);
	if (!ret)
		ret = stage_create(job->stage_parent, &s.dir);
	if (ret < 0)
		goto out;
	s.gpt = stage_path(s.dir, "gpt.img");
	s.esp = stage_path(s.dir, "esp.img");
	s.ntfs = stage_path(s.dir, "windows.img");
	s.bcd = stage_path(s.dir, "BCD");

	format = job->opt.sink_format;
	format.logical_sector = l->sector_size;
	format.seeded = job->opt.seeded;
	format.seed = job->opt.seed;
	ret = sink_open_format(job->opt.sink_kind, job->opt.target, l->disk_bytes, job->opt.force,
			       job->opt.sink_flags, &format, &sink);
	if (!ret)
		ret = boot_files_extract(job->source, job->image.index, job->image.arch, s.dir, &s.boot);
	if (!ret)
		ret = make_gpt(job, &s);
	if (!ret)
		ret = make_esp(job, &s, progress);
	if (!ret && cancel_requested())
		ret = log_error(-ECANCELED, "interrupted");
	if (!ret) {
		struct ntfs_request req = {
			.path = s.ntfs,
			.bytes = layout_bytes(l, PART_WINDOWS),
			.sector_size = l->sector_size,
			.start_sector = l->parts[PART_WINDOWS].start,
			.source = job->source,
			.index = job->image.index,
		};

		ret = ntfs_build(&req, progress);
	}
	if (!ret)
		ret = assemble(job, &s, &list);
	if (!ret)
		ret = sink_write_all(sink, &list, progress);
	if (!ret)
		ret = sink_finish(sink);
	if (!ret)
		write_result_set(result_ret, &list, &t0);
out:
	sink_free(sink);
	extents_release(&list);
	staged_release(&s);
	return ret;
}
