/* cli_hooks.c - the test hooks of the test build (see cli.h).
 *
 * Built twice: as it is for build/wintogo, where cli_test_hooks() does
 * nothing and no WINTOGO_TEST_* name is in the binary, and with
 * -DWINTOGO_TEST_HOOKS for build/test/wintogo, which the end-to-end tests
 * run when they fake a machine or a failing disk. */
#include <stdlib.h>

#include "wintogo/cli.h"

#ifdef WINTOGO_TEST_HOOKS
#include "wintogo/util.h"

void cli_test_hooks(struct wtg_ctx *ctx)
{
	struct wtg_test_hooks hooks = {
		.sysfs_root = getenv("WINTOGO_SYSFS_ROOT"),
		.dev_root = getenv("WINTOGO_DEV_ROOT"),
		.proc_root = getenv("WINTOGO_PROC_ROOT"),
		.write_trace = getenv("WINTOGO_WRITE_TRACE"),
		.udev_rules_dir = getenv("WINTOGO_UDEV_RULES_DIR"),
		.no_build_in_place = getenv("WINTOGO_TEST_NO_BUILD_IN_PLACE") != NULL,
	};
	const char *corrupt = getenv("WINTOGO_TEST_CORRUPT_OFFSET");
	const char *headroom = getenv("WINTOGO_TEST_STAGE_HEADROOM");
	uint64_t offset;

	if (corrupt && parse_uint(corrupt, UINT64_MAX, &offset) == 0) {
		hooks.corrupt = true;
		hooks.corrupt_offset = offset;
	}
	if (headroom && parse_size(headroom, &offset) == 0) {
		hooks.stage_headroom_set = true;
		hooks.stage_headroom = offset;
	}
	wtg_ctx_set_test_hooks(ctx, &hooks);
}
#else
void cli_test_hooks(struct wtg_ctx *ctx)
{
	(void)ctx;
}
#endif
