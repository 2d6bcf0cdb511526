/* Unit tests of layout.c and guid.c: the plan, its sizes and GUIDs. */
#include <errno.h>

#include "tap.h"
#include "wintogo/guid.h"
#include "wintogo/layout.h"

static void test_plan(void)
{
	struct layout_request req = { .disk_bytes = GIB, .sector_size = 512, .seeded = true, .seed = 7 };
	struct layout a, b;
	char ga[GUID_STR_LEN], gb[GUID_STR_LEN];

	is_int(layout_plan(ctx, &req, &a), 0, "a 1 GiB disk gets a plan");
	is_int((long long)a.parts[PART_ESP].start, 2048, "ESP at 1 MiB");
	is_int((long long)layout_bytes(&a, PART_ESP), (long long)(260 * MIB), "ESP 260 MiB by default");
	is_int((long long)a.parts[PART_MSR].start, 2048 + 532480, "MSR right after the ESP");
	is_int((long long)layout_bytes(&a, PART_MSR), (long long)(16 * MIB), "MSR 16 MiB");
	is_int((long long)layout_offset(&a, PART_WINDOWS), (long long)(277 * MIB), "Windows after the MSR");
	ok((layout_offset(&a, PART_WINDOWS) + layout_bytes(&a, PART_WINDOWS)) % MIB == 0,
	   "Windows ends on a MiB boundary");
	ok(layout_offset(&a, PART_WINDOWS) + layout_bytes(&a, PART_WINDOWS) <= GIB - 128 * 128 - 512,
	   "and leaves room for the backup GPT");
	is_int(layout_plan(ctx, &req, &b), 0, "the same request again");
	guid_format(&a.disk_guid, ga);
	guid_format(&b.disk_guid, gb);
	is_str(ga, gb, "the same seed gives the same disk GUID");
	guid_format(&a.parts[PART_ESP].uuid, gb);
	ok(strcmp(ga, gb) != 0, "disk and ESP GUIDs differ");
	ok(ga[14] == '4', "seeded GUIDs are version 4");

	req.seeded = false;
	layout_plan(ctx, &req, &b);
	guid_format(&b.disk_guid, gb);
	ok(strcmp(ga, gb) != 0, "without a seed the GUID is random");

	req.sector_size = 4096;
	is_int(layout_plan(ctx, &req, &b), 0, "a 4Kn disk gets a plan");
	is_int((long long)b.parts[PART_ESP].start, 256, "its ESP is at LBA 256 (1 MiB)");
	req.sector_size = 1024;
	is_int(layout_plan(ctx, &req, &b), -WTG_ERR_INVALID_ARGUMENT, "1024-byte sectors are refused");
	req.sector_size = 512;
	req.disk_bytes = 278 * MIB;
	is_int(layout_plan(ctx, &req, &b), -WTG_ERR_TARGET_TOO_SMALL, "a disk without room for Windows is refused");
}

/* --partition-table mbr: system partition, Windows, no MSR; the signature
 * from the seed; what an MBR cannot describe refused. */
static void test_plan_mbr(void)
{
	struct layout_request req = { .disk_bytes = GIB, .sector_size = 512, .table = LAYOUT_TABLE_MBR,
				      .seeded = true, .seed = 7 };
	struct layout a, b;

	is_int(layout_plan(ctx, &req, &a), 0, "an MBR plan for a 1 GiB disk");
	is_int(a.table, LAYOUT_TABLE_MBR, "it is an MBR layout");
	is_int((long long)a.parts[PART_ESP].start, 2048, "the system partition at 1 MiB");
	is_str(a.parts[PART_ESP].type_guid, "0x0c", "FAT32 (LBA), type 0x0c");
	is_int((long long)a.parts[PART_MSR].sectors, 0, "no MSR");
	is_int((long long)layout_offset(&a, PART_WINDOWS), (long long)(261 * MIB), "Windows right after the system partition");
	is_str(a.parts[PART_WINDOWS].type_guid, "0x07", "NTFS, type 0x07");
	is_int((long long)(layout_offset(&a, PART_WINDOWS) + layout_bytes(&a, PART_WINDOWS)), (long long)GIB,
	       "to the disk's last MiB (no backup table at the end)");
	layout_plan(ctx, &req, &b);
	ok(a.mbr_signature && a.mbr_signature == b.mbr_signature, "the seed gives the same non-zero signature");
	req.seed = 8;
	layout_plan(ctx, &req, &b);
	ok(a.mbr_signature != b.mbr_signature, "another seed another one");
	req.disk_bytes = LAYOUT_MBR_DISK_MAX;
	is_int(layout_plan(ctx, &req, &b), 0, "a 2 TiB disk can be MBR");
	req.disk_bytes = LAYOUT_MBR_DISK_MAX + MIB;
	is_int(layout_plan(ctx, &req, &b), -WTG_ERR_INVALID_ARGUMENT, "a larger one cannot");
	req.disk_bytes = GIB;
	req.vm_bytes = 64 * MIB;
	is_int(layout_plan(ctx, &req, &b), -WTG_ERR_INVALID_ARGUMENT, "nor can it have a VM partition");
	req.vm_bytes = 0;
	req.sector_size = 4096;
	is_int(layout_plan(ctx, &req, &b), -WTG_ERR_UNSUPPORTED, "nor 4096-byte sectors");
}

static void test_sizes(void)
{
	is_int((long long)layout_windows_min_bytes(0), (long long)(64 * MIB), "small images get 64 MiB of headroom");
	is_int((long long)layout_windows_min_bytes(10 * GIB), (long long)(11 * GIB), "large ones 10 %");
	is_int((long long)layout_disk_default_bytes(5 * MIB, 260 * MIB), (long long)GIB,
	       "a tiny image gets a 1 GiB disk");
	is_int((long long)layout_disk_default_bytes(10 * GIB, 260 * MIB), (long long)(13 * GIB),
	       "10 GiB + 20 % + ESP + MSR rounds up to 13 GiB");
	ok(layout_disk_default_bytes(300 * MIB, 260 * MIB) >= layout_disk_min_bytes(300 * MIB, 260 * MIB),
	   "the default size is never below the minimum");
	is_int(layout_check_esp(ctx, 260 * MIB, 512), 0, "260 MiB ESP with 512-byte sectors");
	is_int(layout_check_esp(ctx, 260 * MIB, 4096), 0, "260 MiB ESP with 4 KiB sectors");
	is_int(layout_check_esp(ctx, 100 * MIB, 4096), -WTG_ERR_INVALID_ARGUMENT, "100 MiB is too few FAT32 clusters at 4 KiB");
	is_int(layout_check_esp(ctx, 32 * MIB, 512), -WTG_ERR_INVALID_ARGUMENT, "32 MiB is too few FAT32 clusters");
	is_int(layout_check_esp(ctx, 260 * MIB + 1, 512), -WTG_ERR_INVALID_ARGUMENT, "an ESP of a part MiB is refused");
}

static void test_guid(void)
{
	struct guid g;
	char text[GUID_STR_LEN];
	uint8_t mixed[16];

	is_int(guid_parse("{c12a7328-f81f-11d2-ba4b-00a0c93ec93b}", &g), 0, "a GUID in braces parses");
	guid_format(&g, text);
	is_str(text, "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "and prints upper case");
	guid_to_mixed_endian(&g, mixed);
	ok(mixed[0] == 0x28 && mixed[3] == 0xc1 && mixed[4] == 0x1f && mixed[6] == 0xd2 &&
	   mixed[8] == 0xba && mixed[15] == 0x3b, "on-disk bytes: first three fields little-endian");
	is_int(guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93", &g), -EINVAL, "a short GUID is refused");
	is_int(guid_parse("C12A7328-F81F-11D2-BA4B-00A0C93EC93BX", &g), -EINVAL, "trailing junk is refused");
	is_int(guid_parse("C12A7328F-81F-11D2-BA4B-00A0C93EC93B", &g), -EINVAL, "a misplaced dash is refused");
}

int main(void)
{
	plan(47);
	test_plan();
	test_plan_mbr();
	test_sizes();
	test_guid();
	return done_testing();
}
