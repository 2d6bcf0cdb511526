/* progress.h - progress of long work, reported through a callback.
 *
 * Core modules never print progress: they report it through their context
 * (progress_report() in ctx.h), whose callback gets a typed message and
 * answers whether to go on, as wimlib's does.  The command front ends turn
 * messages into a bar on a terminal or JSON lines (cli.h).
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
	PROGRESS_SEQ_READ,      /* measuring a disk (speed.h): bytes of each test */
	PROGRESS_RANDOM_READ,
	PROGRESS_SEQ_WRITE,
	PROGRESS_RANDOM_WRITE,
	PROGRESS_PHASE_COUNT,
};

struct progress {
	enum progress_phase phase;
	uint64_t done;   /* bytes (or items) done in this phase */
	uint64_t total;  /* 0 when unknown */
};

/* Short lowercase name of a phase, as used in JSON progress lines. */
const char *progress_phase_name(enum progress_phase phase);

#endif
