/* test_ctx.h - the context unit tests and test helpers call the core
 * with: its messages go to stderr as the command line shows them, and a
 * test can read the failure it logged (wtg_ctx_error(ctx)). */
#ifndef WINTOGO_TEST_CTX_H
#define WINTOGO_TEST_CTX_H

#include <stdio.h>

#include "wintogo/ctx.h"

static void test_log(enum wtg_log_level level, enum wtg_err code, const char *message, void *user)
{
	(void)code;
	(void)user;
	fprintf(stderr, "%s%s\n", level == WTG_LOG_ERROR ? "wintogo: " :
		level == WTG_LOG_WARNING ? "wintogo: warning: " : "", message);
}

static struct wtg_ctx test_ctx = { .log_fn = test_log };
static struct wtg_ctx *const ctx = &test_ctx;

#endif
