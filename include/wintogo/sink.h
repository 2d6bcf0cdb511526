/* sink.h - where the disk goes: one interface, one backend per kind of
 * target (a raw image file, QCOW2, VHDX; block devices plug in as a
 * further ops table).  A sink receives the extents in strictly increasing
 * offset order and refuses anything else. */
#ifndef WINTOGO_SINK_H
#define WINTOGO_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "wintogo/extents.h"
#include "wintogo/progress.h"

struct sink;

/* What a VM disk format records about the disk besides its data (VHDX);
 * 0 means the default. */
struct sink_format {
	unsigned logical_sector;   /* 512 (default) or 4096 */
	unsigned physical_sector;  /* 4096 (default) or 512, never below logical */
	uint32_t block_size;       /* VHDX: 1 MiB (default) to 256 MiB, a power of two */
	bool seeded;               /* the format's GUIDs (VHDX) derived from seed */
	uint64_t seed;
};

struct sink_ops {
	const char *name;
	/* Prepares the target for a disk of size bytes. */
	int (*open)(struct sink *sink);
	/* Writes one extent: its offset is above every earlier one. */
	int (*write)(struct sink *sink, const struct extent *e);
	/* Makes the result durable and puts it in place. */
	int (*finish)(struct sink *sink);
	/* Removes whatever a failed run left (also after a failed open) and
	 * frees the backend's state; after a successful finish it only frees. */
	void (*abort)(struct sink *sink);
};

struct sink {
	const struct sink_ops *ops;
	char *target;
	uint64_t size;
	bool force;
	unsigned flags;         /* SINK_* */
	uint64_t next_offset;   /* every write starts at or after this */
	FILE *trace;            /* "offset length what" per write, or NULL */
	struct sink_format format;  /* with the defaults filled in */
	void *priv;             /* the backend's state */
};

enum sink_kind { SINK_RAW_FILE, SINK_QCOW2, SINK_VHDX };

#define SINK_COMPRESS 0x1  /* QCOW2: zlib-compressed clusters */

extern const struct sink_ops sink_raw_ops;
extern const struct sink_ops sink_qcow2_ops;
extern const struct sink_ops sink_vhdx_ops;

/* Opens the sink for target.  With force, an existing output is replaced.
 * The environment variable WINTOGO_WRITE_TRACE names a file that gets one
 * line per write (for tests that prove the writes are sequential). */
int sink_open(enum sink_kind kind, const char *target, uint64_t size, bool force,
	      unsigned flags, struct sink **sink_ret);
/* The same with the disk's format (NULL: the defaults); refuses (logged)
 * sector and block sizes it cannot write. */
int sink_open_format(enum sink_kind kind, const char *target, uint64_t size, bool force,
		     unsigned flags, const struct sink_format *format, struct sink **sink_ret);

/* Sends every extent, in order, with progress. */
int sink_write_all(struct sink *sink, const struct extent_list *list,
		   const struct progress_sink *progress);

int sink_finish(struct sink *sink);
/* Aborts (if not finished) and frees.  A finished sink's abort only frees. */
void sink_free(struct sink *sink);

#endif
