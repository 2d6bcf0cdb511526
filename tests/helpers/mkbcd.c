/* mkbcd - builds a BCD store with bcd_build() for a given disk layout, so
 * that tests can compare it with real stores that Windows wrote.
 *
 *   mkbcd OUT ESP_GUID WINDOWS_GUID DISK_GUID [TEMPLATE]
 *   mkbcd --mbr|--mbr-bios OUT ESP_OFFSET WINDOWS_OFFSET SIGNATURE [TEMPLATE]
 *
 * --mbr builds the UEFI store of an MBR disk, --mbr-bios its \Boot\BCD;
 * offsets in bytes and the signature as numbers strtoull reads (0x...).
 * MKBCD_LOCALE, when set, is the menu language (default en-US).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_ctx.h"
#include "wintogo/bcd.h"

static int usage(void)
{
	fputs("usage: mkbcd OUT ESP_GUID WINDOWS_GUID DISK_GUID [TEMPLATE]\n"
	      "       mkbcd --mbr|--mbr-bios OUT ESP_OFFSET WINDOWS_OFFSET SIGNATURE [TEMPLATE]\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	bool mbr = argc > 1 && (!strcmp(argv[1], "--mbr") || !strcmp(argv[1], "--mbr-bios"));
	char **a = mbr ? argv + 1 : argv;
	int n = mbr ? argc - 1 : argc;
	struct bcd_request req = {
		.out_path = n > 1 ? a[1] : NULL,
		.template_path = n > 5 ? a[5] : NULL,
		.loader_description = "Windows 11",
		.locale = getenv("MKBCD_LOCALE") ? getenv("MKBCD_LOCALE") : "en-US",
		.seeded = true,
		.seed = 1,
	};

	if (n < 5 || n > 6)
		return usage();
	if (mbr) {
		req.firmware = !strcmp(argv[1], "--mbr-bios") ? BCD_FIRMWARE_BIOS : BCD_FIRMWARE_UEFI;
		req.esp.style = req.windows.style = BCD_STYLE_MBR;
		req.esp.mbr_offset = strtoull(a[2], NULL, 0);
		req.windows.mbr_offset = strtoull(a[3], NULL, 0);
		req.esp.mbr_signature = req.windows.mbr_signature = (uint32_t)strtoul(a[4], NULL, 0);
		return bcd_build(ctx, &req) ? 1 : 0;
	}
	req.esp.style = req.windows.style = BCD_STYLE_GPT;
	if (guid_parse(a[2], &req.esp.partition) || guid_parse(a[3], &req.windows.partition) ||
	    guid_parse(a[4], &req.esp.disk)) {
		fputs("mkbcd: bad GUID\n", stderr);
		return 2;
	}
	req.windows.disk = req.esp.disk;
	return bcd_build(ctx, &req) ? 1 : 0;
}
