/* log.h - what the core has to say, sent to its context's log callback.
 *
 * Modules report a failure where they detect it, naming the object and the
 * reason, and return what the call returns, the negated code:
 *
 *     return log_syserr(ctx, errno, "cannot open '%s'", path);
 *     return log_error(ctx, WTG_ERR_TARGET_EXISTS, "'%s' already exists; use --force", path);
 *
 * Messages are lowercase, have no trailing period and, for a refusal, say
 * what to do instead.  The context keeps the first failure (ctx.h); the
 * front end decides how it is shown (a line on stderr, a JSON object). */
#ifndef WINTOGO_LOG_H
#define WINTOGO_LOG_H

#include "wintogo/ctx.h"

#define PRINTF_LIKE(fmt, args) __attribute__((format(printf, fmt, args)))

/* Logs the failure MESSAGE with code; returns -code. */
int log_error(struct wtg_ctx *ctx, enum wtg_err code, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Logs "MESSAGE: strerror(errnum)" with code; returns -code. */
int log_errno(struct wtg_ctx *ctx, enum wtg_err code, int errnum, const char *fmt, ...)
	PRINTF_LIKE(4, 5);

/* The same with the code that fits errnum (wtg_err_from_errno). */
int log_syserr(struct wtg_ctx *ctx, int errnum, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Something the user should know; the work goes on. */
void log_warn(struct wtg_ctx *ctx, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* A line that belongs to the message before it ("1  Windows 10 Home"). */
void log_detail(struct wtg_ctx *ctx, const char *fmt, ...) PRINTF_LIKE(2, 3);

/* What is being done, for people (a front end may keep it quiet). */
void log_info(struct wtg_ctx *ctx, const char *fmt, ...) PRINTF_LIKE(2, 3);

#endif
