/* ctx.c - the context of core calls (see ctx.h). */
#include "wintogo/ctx.h"

#include <stdlib.h>

#include "wintogo/log.h"

void wtg_ctx_init(struct wtg_ctx *ctx)
{
	*ctx = (struct wtg_ctx){ .error = WTG_OK };
}

void wtg_ctx_release(struct wtg_ctx *ctx)
{
	free(ctx->error_message);
	ctx->error_message = NULL;
}

void wtg_ctx_set_log(struct wtg_ctx *ctx, wtg_log_fn fn, void *user)
{
	ctx->log_fn = fn;
	ctx->log_user = user;
}

void wtg_ctx_set_progress(struct wtg_ctx *ctx, wtg_progress_fn fn, void *user)
{
	ctx->progress_fn = fn;
	ctx->progress_user = user;
}

void wtg_ctx_set_tmpdir(struct wtg_ctx *ctx, const char *tmpdir)
{
	ctx->tmpdir = tmpdir;
}

void wtg_ctx_set_datadir(struct wtg_ctx *ctx, const char *datadir)
{
	ctx->datadir = datadir;
}

void wtg_ctx_set_test_hooks(struct wtg_ctx *ctx, const struct wtg_test_hooks *hooks)
{
	ctx->hooks = *hooks;
}

void wtg_ctx_request_abort(struct wtg_ctx *ctx)
{
	ctx->abort_requested = 1;
}

bool wtg_ctx_aborted(struct wtg_ctx *ctx)
{
	if (!ctx->abort_requested)
		return false;
	if (!ctx->interrupted) {
		ctx->interrupted = true;
		log_error(ctx, WTG_ERR_INTERRUPTED, "interrupted");
	}
	return true;
}

enum wtg_err wtg_ctx_error(const struct wtg_ctx *ctx)
{
	return ctx->error;
}

const char *wtg_ctx_error_message(const struct wtg_ctx *ctx)
{
	return ctx->error_message ? ctx->error_message : wtg_err_string(ctx->error);
}

void wtg_ctx_clear_error(struct wtg_ctx *ctx)
{
	free(ctx->error_message);
	ctx->error_message = NULL;
	ctx->error = WTG_OK;
}

int progress_report(struct wtg_ctx *ctx, enum progress_phase phase, uint64_t done,
		    uint64_t total)
{
	struct progress msg = { phase, done, total };

	if (ctx->progress_fn && ctx->progress_fn(&msg, ctx->progress_user) == WTG_PROGRESS_ABORT)
		wtg_ctx_request_abort(ctx);
	return wtg_ctx_aborted(ctx) ? -WTG_ERR_INTERRUPTED : 0;
}
