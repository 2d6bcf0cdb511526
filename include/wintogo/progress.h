/* progress.h - progress of long work, reported through a callback.
 *
 * Core modules never print progress: they call the callback they were given
 * (which may be NULL) with a typed message, as wimlib does.  The command
 * front ends turn messages into a bar on a terminal or JSON lines
 * (see progress_report.h).
 */
#ifndef WINTOGO_PROGRESS_H
#define WINTOGO_PROGRESS_H

#include <stdint.h>

enum progress_phase {
	PROGRESS_CHECK,   /* verifying a WIM's integrity */
	PROGRESS_HASH,    /* hashing the source image */
	PROGRESS_COPY,    /* copying the install image out of an ISO */
	PROGRESS_APPLY,   /* extracting the image onto the NTFS stage */
	PROGRESS_ESP,     /* building the EFI system partition */
	PROGRESS_WRITE,   /* sending the extents to the target */
	PROGRESS_VERIFY,  /* reading the target back */
	PROGRESS_PHASE_COUNT,
};

struct progress {
	enum progress_phase phase;
	uint64_t done;   /* bytes (or items) done in this phase */
	uint64_t total;  /* 0 when unknown */
};

typedef void (*progress_fn)(const struct progress *p, void *ctx);

struct progress_sink {
	progress_fn fn;
	void *ctx;
};

static inline void progress_report(const struct progress_sink *sink,
				   enum progress_phase phase, uint64_t done,
				   uint64_t total)
{
	if (sink && sink->fn) {
		struct progress p = { phase, done, total };

		sink->fn(&p, sink->ctx);
	}
}

/* Short lowercase name of a phase, as used in JSON progress lines. */
const char *progress_phase_name(enum progress_phase phase);

#endif
