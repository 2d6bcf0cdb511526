/* ctx.h - the context every core call takes.
 *
 * The core (every module but main.c, cmd_*.c, cli_*.c and progress_ui.c)
 * never writes to the terminal: what it has to say goes to the log
 * callback, how far long work has come to the progress callback, and
 * either may be absent.  The progress callback answers whether to go on;
 * an answer of WTG_PROGRESS_ABORT, or wtg_ctx_request_abort() (safe in a
 * signal handler), stops the work at its next progress report: the call
 * unwinds through its normal cleanup, removes what it staged or half
 * wrote, and returns -WTG_ERR_INTERRUPTED.
 *
 * A context also carries what would otherwise be process-wide: the
 * staging folder, where the data files are, and the hooks tests need
 * (fake sysfs, /dev and /proc roots; a write trace; a byte to corrupt).
 * Only a test build of the front end sets those hooks.
 *
 * One context serves one job at a time; two jobs that run at once (two
 * targets) each take their own. */
#ifndef WINTOGO_CTX_H
#define WINTOGO_CTX_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "wintogo/error.h"
#include "wintogo/progress.h"

enum wtg_log_level {
	WTG_LOG_ERROR,    /* a failure: code says which */
	WTG_LOG_WARNING,  /* something the user should know; the work goes on */
	WTG_LOG_INFO,     /* what is being done, for people */
	WTG_LOG_DETAIL,   /* a line that belongs to the message before it */
};

/* code is WTG_OK for anything but an error.  message has no newline. */
typedef void (*wtg_log_fn)(enum wtg_log_level level, enum wtg_err code, const char *message,
			   void *user);

enum wtg_progress_status { WTG_PROGRESS_CONTINUE, WTG_PROGRESS_ABORT };

typedef enum wtg_progress_status (*wtg_progress_fn)(const struct progress *msg, void *user);

/* What tests change; zero (NULL) means the real thing. */
struct wtg_test_hooks {
	const char *sysfs_root;    /* instead of /sys */
	const char *dev_root;      /* instead of /dev */
	const char *proc_root;     /* instead of /proc */
	const char *write_trace;   /* a file that gets "offset length what[ in-place]" per extent */
	const char *udev_rules_dir; /* automount.h's rule goes here, udisks or not */
	bool no_build_in_place;    /* an image file's Windows staged and copied */
	bool corrupt;              /* flip byte corrupt_offset of the disk on its */
	uint64_t corrupt_offset;   /* way to the target, after it is hashed */
	bool stage_headroom_set;   /* the tight stage is the image's file bytes */
	uint64_t stage_headroom;   /* + this, not the estimate (ntfs.h) */
};

struct wtg_ctx {
	wtg_log_fn log_fn;
	void *log_user;
	wtg_progress_fn progress_fn;
	void *progress_user;
	const char *tmpdir;      /* where to stage; NULL: $TMPDIR, else /var/tmp */
	const char *datadir;     /* the Mac model table's folder; NULL: where installed */
	struct wtg_test_hooks hooks;
	volatile sig_atomic_t abort_requested;
	bool interrupted;        /* "interrupted" was logged */
	enum wtg_err error;      /* the first failure logged, WTG_OK before */
	char *error_message;
};

/* A context with no callbacks: nothing is said, nothing stops the work. */
void wtg_ctx_init(struct wtg_ctx *ctx);
void wtg_ctx_release(struct wtg_ctx *ctx);

void wtg_ctx_set_log(struct wtg_ctx *ctx, wtg_log_fn fn, void *user);
void wtg_ctx_set_progress(struct wtg_ctx *ctx, wtg_progress_fn fn, void *user);
void wtg_ctx_set_tmpdir(struct wtg_ctx *ctx, const char *tmpdir);
void wtg_ctx_set_datadir(struct wtg_ctx *ctx, const char *datadir);
void wtg_ctx_set_test_hooks(struct wtg_ctx *ctx, const struct wtg_test_hooks *hooks);

/* Asks the work to stop at its next check; async-signal-safe. */
void wtg_ctx_request_abort(struct wtg_ctx *ctx);

/* Whether the work must stop: an abort was asked for.  Logs
 * "interrupted" (once) and then stays true. */
bool wtg_ctx_aborted(struct wtg_ctx *ctx);

/* The first failure logged since the context was made (or cleared). */
enum wtg_err wtg_ctx_error(const struct wtg_ctx *ctx);
const char *wtg_ctx_error_message(const struct wtg_ctx *ctx);
void wtg_ctx_clear_error(struct wtg_ctx *ctx);

/* Reports progress: 0 to go on, or -WTG_ERR_INTERRUPTED (logged) when the
 * callback answers WTG_PROGRESS_ABORT or an abort was requested. */
int progress_report(struct wtg_ctx *ctx, enum progress_phase phase, uint64_t done,
		    uint64_t total);

#endif
