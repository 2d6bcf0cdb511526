/* mkbcd - builds a BCD store with bcd_build() for a given disk layout, so
 * that tests can compare it with real stores that Windows wrote.
 *
 *   mkbcd OUT ESP_GUID WINDOWS_GUID DISK_GUID [TEMPLATE]
 */
#include <stdio.h>

#include "test_ctx.h"
#include "wintogo/bcd.h"

int main(int argc, char **argv)
{
	struct bcd_request req = {
		.out_path = argc > 1 ? argv[1] : NULL,
		.template_path = argc > 5 ? argv[5] : NULL,
		.loader_description = "Windows 11",
		.locale = "en-US",
		.seeded = true,
		.seed = 1,
	};

	if (argc < 5 || argc > 6) {
		fputs("usage: mkbcd OUT ESP_GUID WINDOWS_GUID DISK_GUID [TEMPLATE]\n", stderr);
		return 2;
	}
	req.esp.style = req.windows.style = BCD_STYLE_GPT;
	if (guid_parse(argv[2], &req.esp.partition) || guid_parse(argv[3], &req.windows.partition) ||
	    guid_parse(argv[4], &req.esp.disk)) {
		fputs("mkbcd: bad GUID\n", stderr);
		return 2;
	}
	req.windows.disk = req.esp.disk;
	return bcd_build(ctx, &req) ? 1 : 0;
}
