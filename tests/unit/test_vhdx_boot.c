/* Unit tests of vhdx_boot.c's reasoning: which editions boot from a VHDX,
 * and the sizes of the file and of the host partition around it. */
#include "tap.h"
#include "wintogo/layout.h"
#include "wintogo/sink.h"
#include "wintogo/vhdx_boot.h"

static void test_editions(void)
{
	static const struct {
		const char *edition;
		unsigned build;
		enum vhdx_edition want;
		const char *what;
	} cases[] = {
		{ "Core", 19045, VHDX_EDITION_NO, "Home (Core) cannot" },
		{ "CoreSingleLanguage", 22621, VHDX_EDITION_NO, "nor Home Single Language" },
		{ "Cloud", 22000, VHDX_EDITION_NO, "nor S mode (Cloud)" },
		{ "Professional", 19045, VHDX_EDITION_OK, "Pro of Windows 10 can" },
		{ "Professional", 9600, VHDX_EDITION_NO, "Pro of Windows 8.1 cannot" },
		{ "ProfessionalWorkstation", 22621, VHDX_EDITION_OK, "Pro for Workstations can" },
		{ "Enterprise", 9200, VHDX_EDITION_OK, "Enterprise of Windows 8 can" },
		{ "Enterprise", 7601, VHDX_EDITION_NO, "Windows 7 boots no VHDX (only VHD)" },
		{ "EnterpriseS", 17763, VHDX_EDITION_OK, "LTSC (EnterpriseS) can" },
		{ "Education", 19045, VHDX_EDITION_OK, "Education can" },
		{ "ServerDatacenter", 20348, VHDX_EDITION_OK, "Server can" },
		{ "Something", 19045, VHDX_EDITION_UNKNOWN, "an edition not known is unknown" },
		{ NULL, 19045, VHDX_EDITION_UNKNOWN, "and so is none" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(vhdx_boot_edition(cases[i].edition, cases[i].build), cases[i].want, cases[i].what);
}

static void test_sizes(void)
{
	uint64_t hosts[] = { 746 * MIB, 30 * GIB, 2048 * GIB - 3 * MIB };
	bool fits = true, largest = true;

	is_int((long long)sink_vhdx_file_bytes(256 * MIB, MIB, 512), 260 * MIB,
	       "a 256 MiB VHDX with 1 MiB blocks: 3 MiB of headers, log and metadata, 256 blocks, 1 MiB of BAT");
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		uint64_t v = vhdx_boot_virtual_default(0, hosts[i]);

		fits &= vhdx_boot_host_min(v) <= hosts[i] && v % MIB == 0;
		largest &= vhdx_boot_host_min(v + MIB) > hosts[i];
	}
	ok(fits, "the default VHDX fits its host partition, in whole MiB");
	ok(largest, "and is the largest that does");
	ok(vhdx_boot_virtual_min(5 * MIB) == MIB + round_up(layout_windows_min_bytes(5 * MIB), MIB),
	   "the smallest VHDX is the Windows partition's minimum after 1 MiB");
}

int main(void)
{
	plan(17);
	test_editions();
	test_sizes();
	return done_testing();
}
