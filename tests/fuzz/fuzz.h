/* fuzz.h - what every libFuzzer harness of tests/fuzz/ shares: a context
 * that says nothing, the input as a file for the parsers that take a path,
 * and an assertion that the fuzzer reports as a crash.
 *
 * The harnesses are C, built with clang -fsanitize=fuzzer,address,undefined
 * (the Makefile's fuzz section); see tests/fuzz/README. */
#ifndef WINTOGO_FUZZ_H
#define WINTOGO_FUZZ_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wintogo/ctx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the parser under test: abort, which libFuzzer reports
 * as a crash and saves the input for. */
#define FUZZ_ASSERT(cond)                                                                    \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

static void fuzz_discard(enum wtg_log_level level, enum wtg_err code, const char *message,
			 void *user)
{
	(void)level, (void)code, (void)message, (void)user;
}

/* A context whose messages go nowhere; wtg_ctx_release it. */
static inline void fuzz_ctx_init(struct wtg_ctx *ctx)
{
	wtg_ctx_init(ctx);
	wtg_ctx_set_log(ctx, fuzz_discard, NULL);
}

/* A failure is a negated code that was logged: the context holds it. */
static inline void fuzz_assert_failed_cleanly(const struct wtg_ctx *ctx, int ret)
{
	FUZZ_ASSERT(ret < 0);
	FUZZ_ASSERT(-ret > WTG_OK && -ret < WTG_ERR_END);
	FUZZ_ASSERT(wtg_ctx_error(ctx) != WTG_OK);
}

/* The input as a file, for the parsers that open a path (hivex, libfdisk,
 * libvhdi open it themselves): one memfd for the process, truncated and
 * rewritten for every input.  Returns "/proc/self/fd/N". */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[32];

	if (fd < 0) {
		fd = memfd_create("wintogo-fuzz", MFD_CLOEXEC);
		FUZZ_ASSERT(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	FUZZ_ASSERT(ftruncate(fd, 0) == 0);
	for (size_t done = 0; done < size;) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

		FUZZ_ASSERT(n > 0 || (n < 0 && errno == EINTR));
		if (n > 0)
			done += (size_t)n;
	}
	return path;
}

#endif
