/* mkgpt - writes the GPT of wintogo's layout (ESP, MSR, Windows) with
 * 512- or 4096-byte sectors onto an existing disk image, with GUIDs from
 * a seed.  Tests use it to turn a disk that `write` made into a 4Kn disk:
 * every partition keeps its byte offset, only the table changes.
 *
 *   mkgpt DISK SECTOR_SIZE SEED
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "test_ctx.h"
#include "wintogo/layout.h"

int main(int argc, char **argv)
{
	struct layout_request req = { .seeded = true };
	struct layout layout;
	struct stat sb;

	if (argc != 4 || stat(argv[1], &sb) < 0) {
		fputs("usage: mkgpt DISK SECTOR_SIZE SEED (DISK must exist)\n", stderr);
		return 2;
	}
	req.disk_bytes = (uint64_t)sb.st_size;
	req.sector_size = (unsigned)strtoul(argv[2], NULL, 10);
	req.seed = strtoull(argv[3], NULL, 10);
	if (layout_plan(ctx, &req, &layout) < 0 || layout_write_gpt(ctx, &layout, argv[1]) < 0)
		return 1;
	return 0;
}
