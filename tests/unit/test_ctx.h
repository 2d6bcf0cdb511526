/* test_ctx.h - the context unit tests and test helpers call the core
 * with: its messages are written as the command line shows them, and a
 * test can read the failure it logged (wtg_ctx_error(ctx)).  A helper
 * writes them to stderr; a unit test (tap.h defines TEST_CTX_TAP) as TAP
 * diagnostics, "# wintogo: ..." on stdout, where the failures it provokes
 * on purpose stay out of prove's output unless asked for (prove -v). */
#ifndef WINTOGO_TEST_CTX_H
#define WINTOGO_TEST_CTX_H

#include <stdio.h>

#include "wintogo/ctx.h"

static void test_log(enum wtg_log_level level, enum wtg_err code, const char *message, void *user)
{
	(void)code;
	(void)user;
#ifdef TEST_CTX_TAP
	FILE *out = stdout;
	const char *diag = "# ";
#else
	FILE *out = stderr;
	const char *diag = "";
#endif

	fprintf(out, "%s%s%s\n", diag, level == WTG_LOG_ERROR ? "wintogo: " :
		level == WTG_LOG_WARNING ? "wintogo: warning: " : "", message);
}

static struct wtg_ctx test_ctx = { .log_fn = test_log };
static struct wtg_ctx *const ctx = &test_ctx;

#endif
