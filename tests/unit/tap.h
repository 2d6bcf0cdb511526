/* tap.h - the Test Anything Protocol for C unit tests.
 *
 *     plan(3);
 *     ok(x == 1, "x is one");
 *     is_int(f(), 0, "f succeeds");
 *     return done_testing();
 */
#ifndef WINTOGO_TAP_H
#define WINTOGO_TAP_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* the core's messages become TAP diagnostics (test_ctx.h) */
#define TEST_CTX_TAP
#include "test_ctx.h"

static int tap_count, tap_failed;

static inline void plan(int n)
{
	printf("1..%d\n", n);
}

static inline bool ok(bool cond, const char *name)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_count, name);
	if (!cond)
		tap_failed++;
	return cond;
}

static inline bool is_int(long long got, long long want, const char *name)
{
	bool cond = ok(got == want, name);

	if (!cond)
		printf("#   got %lld, want %lld\n", got, want);
	return cond;
}

static inline bool is_str(const char *got, const char *want, const char *name)
{
	bool cond = ok(got && want && !strcmp(got, want), name);

	if (!cond)
		printf("#   got '%s', want '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return cond;
}

static inline int done_testing(void)
{
	return tap_failed ? 1 : 0;
}

#endif
