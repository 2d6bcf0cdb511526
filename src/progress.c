/* progress.c - names of progress phases (see progress.h). */
#include "wintogo/progress.h"

const char *progress_phase_name(enum progress_phase phase)
{
	static const char *const names[PROGRESS_PHASE_COUNT] = {
		[PROGRESS_CHECK] = "check",   [PROGRESS_HASH] = "hash",
		[PROGRESS_COPY] = "copy",
		[PROGRESS_APPLY] = "apply",   [PROGRESS_ESP] = "esp",
		[PROGRESS_WRITE] = "write",   [PROGRESS_VERIFY] = "verify",
		[PROGRESS_SEQ_READ] = "seq-read", [PROGRESS_RANDOM_READ] = "random-read",
		[PROGRESS_SEQ_WRITE] = "seq-write", [PROGRESS_RANDOM_WRITE] = "random-write",
	};

	return (unsigned)phase < PROGRESS_PHASE_COUNT ? names[phase] : "?";
}
