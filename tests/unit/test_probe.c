/* Unit tests of probe.c and pe.c's signature and subsystem reading: host kind x image
 * facts -> verdict, reasons and the VM suggestion. */
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "wintogo/bootfacts.h"
#include "wintogo/host.h"
#include "wintogo/pe.h"
#include "wintogo/probe.h"

enum input { X64_IMAGE, ARM64_IMAGE, X64_DISK, ARM64_DISK, NO_ESP_DISK, INPUT_COUNT };
static const char *const input_names[] = { "x64 image", "arm64 image", "x64 disk", "arm64 disk",
					    "disk without ESP" };

static struct boot_facts make_input(enum input which)
{
	struct boot_facts f = { .input = BOOT_INPUT_IMAGE, .path = "install.wim", .index = 1,
				.image_count = 1, .build = 19045, .removable = -1 };

	switch (which) {
	case X64_IMAGE:
		f.arch = WIM_ARCH_X64;
		break;
	case ARM64_IMAGE:
		f.arch = WIM_ARCH_ARM64;
		f.build = 22631;
		break;
	case X64_DISK:
		f = (struct boot_facts){ .input = BOOT_INPUT_DISK, .path = "disk.img", .arch = WIM_ARCH_X64,
					 .table = "gpt", .esp = true, .esp_fat = true, .n_loaders = 1,
					 .bcd = true, .removable = -1 };
		f.loaders[0] = (struct boot_loader){ .name = "bootx64.efi", .arch = WIM_ARCH_X64, .machine = PE_MACHINE_AMD64,
						     .subsystem = PE_SUBSYSTEM_EFI_APPLICATION };
		break;
	case ARM64_DISK:
		f = (struct boot_facts){ .input = BOOT_INPUT_DISK, .path = "disk.img", .arch = WIM_ARCH_ARM64,
					 .table = "gpt", .esp = true, .esp_fat = true, .n_loaders = 1,
					 .bcd = true, .removable = -1 };
		f.loaders[0] = (struct boot_loader){ .name = "bootaa64.efi", .arch = WIM_ARCH_ARM64, .machine = PE_MACHINE_ARM64,
						     .subsystem = PE_SUBSYSTEM_EFI_APPLICATION };
		break;
	default:
		f = (struct boot_facts){ .input = BOOT_INPUT_DISK, .path = "disk.img",
					 .arch = WIM_ARCH_UNKNOWN, .table = "gpt", .removable = -1 };
		break;
	}
	return f;
}

/* The ids of the blockers and conditions, in order, space-separated. */
static const char *ids_of(const struct probe_result *r)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->n_reasons; i++)
		if (r->reasons[i].severity != PROBE_NOTE)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", len ? " " : "",
						r->reasons[i].id);
	return buf;
}

static bool has_note(const struct probe_result *r, const char *id)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (r->reasons[i].severity == PROBE_NOTE && !strcmp(r->reasons[i].id, id))
			return true;
	return false;
}

static void check(const struct host *h, const struct boot_facts *in, enum probe_verdict verdict,
		  const char *ids, const char *name)
{
	struct probe_result r;
	char title[200];

	probe_run(h, in, &r);
	snprintf(title, sizeof(title), "%s: %s", name, ids);
	if (!is_str(probe_verdict_name(r.verdict), probe_verdict_name(verdict), title))
		printf("#   reasons: %s\n", ids_of(&r));
	else
		is_str(ids_of(&r), ids, "  with those reasons");
	probe_result_release(&r);
}

static void test_matrix(void)
{
	static const struct {
		const char *host;
		enum probe_verdict verdict[INPUT_COUNT];
		const char *ids[INPUT_COUNT];
	} rows[] = {
		{ "apple-silicon",
		  { PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT },
		  { "apple-silicon-no-uefi arch-mismatch", "apple-silicon-no-uefi",
		    "apple-silicon-no-uefi arch-mismatch", "apple-silicon-no-uefi",
		    "apple-silicon-no-uefi no-esp" } },
		{ "intel-mac",
		  { PROBE_BOOTS_WITH_CONDITIONS, PROBE_CANNOT_BOOT, PROBE_BOOTS_WITH_CONDITIONS, PROBE_CANNOT_BOOT,
		    PROBE_CANNOT_BOOT },
		  { "bootcamp-drivers", "arch-mismatch", "bootcamp-drivers", "arch-mismatch",
		    "no-esp bootcamp-drivers" } },
		{ "intel-mac-t2",
		  { PROBE_BOOTS_WITH_CONDITIONS, PROBE_CANNOT_BOOT, PROBE_BOOTS_WITH_CONDITIONS, PROBE_CANNOT_BOOT,
		    PROBE_CANNOT_BOOT },
		  { "t2-external-boot t2-secure-boot bootcamp-drivers",
		    "t2-external-boot t2-secure-boot arch-mismatch",
		    "t2-external-boot t2-secure-boot unsigned-loader bootcamp-drivers",
		    "t2-external-boot t2-secure-boot arch-mismatch",
		    "t2-external-boot t2-secure-boot no-esp bootcamp-drivers" } },
		{ "pc-uefi",
		  { PROBE_BOOTS, PROBE_CANNOT_BOOT, PROBE_BOOTS_WITH_CONDITIONS, PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT },
		  { "", "arch-mismatch", "unsigned-loader", "arch-mismatch", "no-esp" } },
		{ "pc-bios",
		  { PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT },
		  { "bios-no-gpt", "bios-no-gpt arch-mismatch", "bios-no-gpt", "bios-no-gpt arch-mismatch",
		    "bios-no-gpt" } },
		/* Secure Boot on: the unsigned arm64 loader is refused */
		{ "pc-arm64",
		  { PROBE_CANNOT_BOOT, PROBE_BOOTS, PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT, PROBE_CANNOT_BOOT },
		  { "arch-mismatch", "", "arch-mismatch", "unsigned-loader", "no-esp" } },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct host h;

		is_int(host_resolve(ctx, rows[i].host, &h), 0, rows[i].host);
		for (int k = 0; k < INPUT_COUNT; k++) {
			struct boot_facts in = make_input(k);
			char name[96];

			snprintf(name, sizeof(name), "%s x %s", rows[i].host, input_names[k]);
			check(&h, &in, rows[i].verdict[k], rows[i].ids[k], name);
		}
	}
}

static void test_no_input(void)
{
	struct host h;

	host_resolve(ctx, "apple-silicon", &h);
	check(&h, NULL, PROBE_CANNOT_BOOT, "apple-silicon-no-uefi", "Apple Silicon without an image");
	host_resolve(ctx, "pc-uefi", &h);
	check(&h, NULL, PROBE_BOOTS, "", "a UEFI PC without an image");
	host_resolve(ctx, "pc-bios", &h);
	check(&h, NULL, PROBE_CANNOT_BOOT, "bios-no-gpt", "a BIOS PC without an image");
	host_resolve(ctx, "pc-arm64", &h);
	check(&h, NULL, PROBE_BOOTS, "", "an ARM64 PC without an image");
}

static void test_pc_arm64(void)
{
	struct boot_facts disk = make_input(ARM64_DISK);
	struct probe_result r;
	struct host h;

	is_int(host_resolve(ctx, "pc-arm64", &h), 0, "pc-arm64 is a host");
	ok(h.kind == HOST_PC_ARM64 && h.cpu_arch == WIM_ARCH_ARM64 && h.firmware_arch == WIM_ARCH_ARM64 &&
	   h.secure_boot == 1 && !h.detected, "  arm64 CPU and UEFI, Secure Boot on, named");
	disk.loaders[0].signed_ = true;
	disk.loaders[0].ca = SB_CA_2023;
	probe_run(&h, &disk, &r);
	is_str(probe_verdict_name(r.verdict), "boots with conditions",
	       "pc-arm64 x an arm64 disk signed under UEFI CA 2023: boots where the firmware trusts it");
	ok(has_note(&r, "secure-boot") && has_note(&r, "boot-menu"), "  with the Secure Boot and boot menu notes");
	probe_result_release(&r);
	h.secure_boot = 0;
	disk.loaders[0].signed_ = false;
	check(&h, &disk, PROBE_BOOTS, "", "Secure Boot off: the unsigned arm64 disk boots");
	disk = make_input(X64_DISK);
	disk.loaders[0].signed_ = true;
	check(&h, &disk, PROBE_CANNOT_BOOT, "arch-mismatch", "a signed x64 disk still cannot boot there");
}

static void test_pc_details(void)
{
	struct boot_facts disk = make_input(X64_DISK), img = make_input(X64_IMAGE);
	struct probe_result r;
	struct host h;

	host_resolve(ctx, "pc-uefi", &h);
	h.secure_boot = 1;
	check(&h, &disk, PROBE_CANNOT_BOOT, "unsigned-loader", "Secure Boot on, unsigned loader");
	disk.loaders[0].signed_ = true;
	disk.loaders[0].ca = SB_CA_2011;
	probe_run(&h, &disk, &r);
	is_str(probe_verdict_name(r.verdict), "boots with conditions",
	       "Secure Boot on, signed under PCA 2011: a condition (the 2026 revocation)");
	ok(has_note(&r, "secure-boot"), "  with a note about Secure Boot");
	probe_result_release(&r);
	check(&h, &disk, PROBE_BOOTS_WITH_CONDITIONS, "loader-ca-2011", "Secure Boot on, PCA 2011");
	disk.loaders[0].ca = SB_CA_2023;
	check(&h, &disk, PROBE_BOOTS_WITH_CONDITIONS, "loader-ca-2023", "Secure Boot on, UEFI CA 2023");
	disk.loaders[0].ca = SB_CA_OTHER;
	check(&h, &disk, PROBE_CANNOT_BOOT, "loader-ca-other", "Secure Boot on, another CA");
	disk.loaders[0].ca = SB_CA_NONE;
	check(&h, &disk, PROBE_CANNOT_BOOT, "loader-signature-invalid", "Secure Boot on, a signature that does not hold");
	h.secure_boot = -1;
	check(&h, &disk, PROBE_BOOTS_WITH_CONDITIONS, "loader-signature-invalid",
	      "Secure Boot unknown, a signature that does not hold: a condition");
	h.secure_boot = 1;
	h.secure_boot = 0;
	disk.loaders[0].signed_ = false;
	check(&h, &disk, PROBE_BOOTS, "", "Secure Boot off, unsigned loader");

	h.firmware_arch = WIM_ARCH_X86;
	check(&h, &img, PROBE_CANNOT_BOOT, "arch-mismatch", "x64 image, 32-bit UEFI");
	check(&h, &disk, PROBE_CANNOT_BOOT, "arch-mismatch", "x64 disk, 32-bit UEFI");
	h.firmware_arch = WIM_ARCH_X64;

	snprintf(disk.loaders[0].name, sizeof(disk.loaders[0].name), "BOOTX64.EFI");
	disk.loaders[0].arch = WIM_ARCH_ARM64;
	check(&h, &disk, PROBE_CANNOT_BOOT, "arch-mismatch", "bootx64.efi built for arm64");
	disk = make_input(X64_DISK);
	disk.bcd = false;
	check(&h, &disk, PROBE_CANNOT_BOOT, "no-bcd", "a disk without a BCD");
	disk.n_loaders = 0;
	check(&h, &disk, PROBE_CANNOT_BOOT, "no-boot-loader no-bcd", "a disk without loaders");
	disk.esp_fat = false;
	check(&h, &disk, PROBE_CANNOT_BOOT, "esp-not-fat", "an ESP that is not FAT");
	disk.table = NULL;
	check(&h, &disk, PROBE_CANNOT_BOOT, "no-partition-table", "a disk without a partition table");

	img.build = 14393;
	check(&h, &img, PROBE_BOOTS_WITH_CONDITIONS, "removable-bit-before-1703", "Windows 10 1607");
	img.removable = 0;
	check(&h, &img, PROBE_BOOTS, "", "Windows 10 1607 on a fixed disk");
	img.build = PROBE_BUILD_1703;
	img.removable = 1;
	check(&h, &img, PROBE_BOOTS, "", "Windows 10 1703 on a removable disk");
	disk = make_input(X64_DISK);
	disk.loaders[0].signed_ = true;
	disk.removable = 1;
	probe_run(&h, &disk, &r);
	ok(r.verdict == PROBE_BOOTS && has_note(&r, "removable-bit-before-1703"),
	   "a removable disk, build not known: a note");
	probe_result_release(&r);

	host_resolve(ctx, "pc-bios", &h);
	disk = make_input(X64_DISK);
	disk.table = "dos";
	disk.mbr_active = true;
	check(&h, &disk, PROBE_BOOTS_WITH_CONDITIONS, "bios-boot-unchecked", "BIOS, MBR with an active partition");
	disk.mbr_active = false;
	check(&h, &disk, PROBE_CANNOT_BOOT, "bios-no-active-partition", "BIOS, MBR without one");

	/* write --partition-table mbr's disk: every link of the BIOS chain */
	disk.mbr_active = disk.bios_system = true;
	disk.mbr_code = disk.vbr_code = disk.bootmgr = disk.bios_bcd = true;
	probe_run(&h, &disk, &r);
	ok(r.verdict == PROBE_BOOTS && has_note(&r, "bios-boot"), "BIOS, wintogo's MBR disk: boots, with the bios-boot note");
	probe_result_release(&r);
	disk.mbr_code = false;
	check(&h, &disk, PROBE_CANNOT_BOOT, "bios-no-boot-code", "BIOS, MBR disk without MBR boot code");
	disk.mbr_code = true;
	disk.vbr_code = false;
	check(&h, &disk, PROBE_CANNOT_BOOT, "bios-no-boot-sector", "BIOS, MBR disk without boot sector code");
	disk.vbr_code = true;
	disk.bootmgr = disk.bios_bcd = false;
	check(&h, &disk, PROBE_CANNOT_BOOT, "bios-no-bootmgr bios-no-bcd", "BIOS, MBR disk without bootmgr and BCD");

	/* write --host pc-bios: the image, about to become an MBR disk */
	disk = make_input(X64_IMAGE);
	disk.writes_mbr = true;
	probe_run(&h, &disk, &r);
	ok(r.verdict == PROBE_BOOTS && has_note(&r, "bios-mbr"), "BIOS, an image written as MBR: boots");
	probe_result_release(&r);
}

static const char *argv_line(const struct probe_vm *vm)
{
	static char buf[256];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; vm->argv[i]; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", vm->argv[i]);
	return buf;
}

static void test_vm(void)
{
	struct boot_facts in = make_input(ARM64_IMAGE);
	struct probe_result r;
	struct host h;

	host_resolve(ctx, "Mac14,2", &h);
	in.path = "/isos/sources/install.wim";
	probe_run(&h, &in, &r);
	ok(r.vm.suggested, "Apple Silicon: a VM is suggested");
	is_str(argv_line(&r.vm), "wintogo vm --utm . /isos/sources/install.wim install.qcow2", "  the command");
	ok(r.vm.virtualize && !r.vm.placeholders, "  virtualized, no placeholders");
	probe_result_release(&r);

	in = make_input(X64_IMAGE);
	in.image_count = 6;
	in.index = 0;
	probe_run(&h, &in, &r);
	is_str(argv_line(&r.vm), "wintogo vm --index N --utm . install.wim install.qcow2",
	       "several images, none chosen: --index N");
	ok(!r.vm.virtualize && r.vm.placeholders, "  emulated, with a placeholder");
	probe_result_release(&r);
	in.index = 6;
	probe_run(&h, &in, &r);
	is_str(argv_line(&r.vm), "wintogo vm --index 6 --utm . install.wim install.qcow2", "image 6 chosen");
	probe_result_release(&r);

	in = make_input(NO_ESP_DISK);
	probe_run(&h, &in, &r);
	ok(r.vm.from_image, "a disk without ESP: the VM comes from the image instead");
	is_str(argv_line(&r.vm), "wintogo vm --utm . IMAGE windows.qcow2", "  with IMAGE to fill in");
	probe_result_release(&r);

	host_resolve(ctx, "pc-uefi", &h);
	in = make_input(X64_IMAGE);
	probe_run(&h, &in, &r);
	ok(!r.vm.suggested, "a PC: no VM suggested");
	probe_result_release(&r);
}

/* A minimal PE32+ image: MZ header, "PE\0\0", COFF header, optional header
 * with 16 data directories; the certificate table sized as asked. */
static void test_pe_signature(void)
{
	char path[] = "/tmp/wintogo-pe-XXXXXX";
	unsigned char pe[64 + 24 + 240] = { 'M', 'Z' };
	struct pe_info info;
	int fd = mkstemp(path);

	pe[0x3c] = 64;
	memcpy(pe + 64, "PE\0\0\x64\x86", 6);
	pe[64 + 20] = 240;                 /* SizeOfOptionalHeader */
	pe[88] = 0x0b;                     /* PE32+ magic 0x20b */
	pe[89] = 0x02;
	pe[88 + 108] = 16;                 /* NumberOfRvaAndSizes */
	if (write(fd, pe, sizeof(pe)) != sizeof(pe))
		ok(false, "write the PE file");
	is_int(pe_read_info(ctx, path, &info), 0, "a minimal PE32+ image reads");
	ok(info.machine == PE_MACHINE_AMD64 && !info.signed_, "  x64, not signed");
	is_int(info.subsystem, 0, "  no Subsystem set");
	pe[88 + 68] = PE_SUBSYSTEM_EFI_APPLICATION;
	if (pwrite(fd, pe, sizeof(pe), 0) != sizeof(pe))
		ok(false, "rewrite the PE file");
	pe_read_info(ctx, path, &info);
	is_str(pe_subsystem_name(info.subsystem), "EFI application", "  Subsystem 10 is an EFI application");
	pe[89] = 0x03;                     /* magic 0x30b: neither PE32 nor PE32+ */
	if (pwrite(fd, pe, sizeof(pe), 0) != sizeof(pe))
		ok(false, "rewrite the PE file");
	pe_read_info(ctx, path, &info);
	is_int(info.subsystem, 0, "  an unknown optional header kind has no Subsystem");
	pe[89] = 0x02;
	pe[88 + 112 + 4 * 8 + 4] = 0x10;   /* certificate table size */
	if (pwrite(fd, pe, sizeof(pe), 0) != sizeof(pe))
		ok(false, "rewrite the PE file");
	pe_read_info(ctx, path, &info);
	ok(info.signed_, "  with a certificate table it is signed");
	close(fd);
	unlink(path);
}

int main(void)
{
	setenv("WINTOGO_DATADIR", "data", 1);
	test_matrix();
	test_no_input();
	test_pc_details();
	test_pc_arm64();
	test_vm();
	test_pe_signature();
	printf("1..%d\n", tap_count);
	return done_testing();
}
