/* write.h - the main job: a Windows image onto a disk, as
 *
 *   source -> plan -> stage -> assemble -> sink
 *
 * write_job_prepare() opens the image, picks the image to apply and plans
 * the layout; it refuses everything it can (a target too small, an output
 * that exists, an index out of range) before anything is written.
 * write_job_run() builds the partitions in a staging directory on the
 * host and sends the disk to the target as one increasing stream. */
#ifndef WINTOGO_WRITE_H
#define WINTOGO_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/layout.h"
#include "wintogo/progress.h"
#include "wintogo/source.h"
#include "wintogo/wim.h"

struct write_options {
	const char *image_path;  /* a WIM, ESD, SWM or a Windows ISO */
	const char *wim_path;    /* inside an ISO; NULL: sources/install.* */
	const char *target;
	int index;               /* 0: by name, or the only image */
	const char *name;        /* NULL: by index */
	uint64_t disk_bytes;     /* 0: the default size for the image */
	uint64_t esp_bytes;      /* 0: LAYOUT_ESP_DEFAULT */
	bool seeded;
	uint64_t seed;
	const char *tmpdir;      /* NULL: $TMPDIR or /var/tmp */
	bool force;
};

struct write_job {
	struct write_options opt;
	struct source *input;        /* the image as given */
	struct wim_source *source;   /* the WIM in it */
	struct wim_image image;
	struct layout layout;
	uint64_t min_disk_bytes;
	const char *stage_parent;
};

struct write_result {
	uint64_t bytes_written;
	size_t extents;
	double seconds;
};

/* progress sees what opening takes: copying an install image out of an
 * ISO whose file system can only be read as a stream. */
int write_job_prepare(const struct write_options *opt, const struct progress_sink *progress,
		      struct write_job **job_ret);
int write_job_run(struct write_job *job, const struct progress_sink *progress,
		  struct write_result *result_ret);
void write_job_free(struct write_job *job);

#endif
