/* log.c - messages of the core, sent to the context (see log.h). */
#include "wintogo/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/util.h"

static void emit(struct wtg_ctx *ctx, enum wtg_log_level level, enum wtg_err code, int errnum,
		 const char *fmt, va_list ap)
{
	char *text = NULL, *message;

	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	if (text && errnum)
		message = xasprintf("%s: %s", text, strerror(errnum));
	else
		message = text ? xstrdup(text) : xstrdup(fmt);
	free(text);
	if (level == WTG_LOG_ERROR && ctx->error == WTG_OK) {
		ctx->error = code;
		ctx->error_message = xstrdup(message);
	}
	if (ctx->log_fn)
		ctx->log_fn(level, code, message, ctx->log_user);
	free(message);
}

int log_error(struct wtg_ctx *ctx, enum wtg_err code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(ctx, WTG_LOG_ERROR, code, 0, fmt, ap);
	va_end(ap);
	return -(int)code;
}

int log_errno(struct wtg_ctx *ctx, enum wtg_err code, int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(ctx, WTG_LOG_ERROR, code, errnum, fmt, ap);
	va_end(ap);
	return -(int)code;
}

int log_syserr(struct wtg_ctx *ctx, int errnum, const char *fmt, ...)
{
	enum wtg_err code = wtg_err_from_errno(errnum);
	va_list ap;

	va_start(ap, fmt);
	emit(ctx, WTG_LOG_ERROR, code, errnum, fmt, ap);
	va_end(ap);
	return -(int)code;
}

void log_warn(struct wtg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(ctx, WTG_LOG_WARNING, WTG_OK, 0, fmt, ap);
	va_end(ap);
}

void log_detail(struct wtg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(ctx, WTG_LOG_DETAIL, WTG_OK, 0, fmt, ap);
	va_end(ap);
}

void log_info(struct wtg_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit(ctx, WTG_LOG_INFO, WTG_OK, 0, fmt, ap);
	va_end(ap);
}
