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
#include "wintogo/sink.h"
#include "wintogo/wim.h"

struct write_options {
	const char *image_path;
	const char *target;
	int index;               /* 0: by name, or the only image */
	const char *name;        /* NULL: by index */
	uint64_t disk_bytes;     /* 0: the default size for the image */
	uint64_t esp_bytes;      /* 0: LAYOUT_ESP_DEFAULT */
	bool seeded;
	uint64_t seed;
	const char *tmpdir;      /* NULL: $TMPDIR or /var/tmp */
	const char *locale;      /* NULL: the image's default language */
	bool bcd_from_scratch;   /* ignore the image's BCD-Template */
	bool force;
	enum sink_kind sink_kind;  /* SINK_RAW_FILE for write, QCOW2 for vm */
	unsigned sink_flags;
	struct sink_format sink_format;  /* the sector size comes from the layout */
};

struct write_job {
	struct write_options opt;
	struct wim_source *source;
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

struct extent_list;
struct timespec;

/* Fills the result of sending list, which started at start (CLOCK_MONOTONIC). */
void write_result_set(struct write_result *result, const struct extent_list *list,
		      const struct timespec *start);

int write_job_prepare(const struct write_options *opt, struct write_job **job_ret);
int write_job_run(struct write_job *job, const struct progress_sink *progress,
		  struct write_result *result_ret);
void write_job_free(struct write_job *job);

#endif
