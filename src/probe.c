/* probe.c - will the disk boot there, and why not (see probe.h).
 *
 * The facts behind the rules, with their sources, are in DESIGN.md ("The
 * Apple Silicon probe, in facts") and reference/ANCHORS.md: Microsoft's
 * Windows To Go FAQ, the Asahi Linux documentation, UTM's maintainers. */
#include "wintogo/probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wintogo/authenticode.h"
#include "wintogo/bootfiles.h"
#include "wintogo/layout.h"
#include "wintogo/util.h"
#include "wintogo/vhdx_boot.h"

static const char *const verdict_names[] = { "boots", "boots with conditions", "cannot boot" };
static const char *const severity_names[] = { "note", "condition", "blocker" };

const char *probe_verdict_name(enum probe_verdict verdict)
{
	return verdict_names[verdict];
}

const char *probe_severity_name(enum probe_severity severity)
{
	return severity_names[severity];
}

/* Adds a reason; fact and action are newly allocated (action may be NULL). */
static void add(struct probe_result *r, const char *id, enum probe_severity severity,
		const char *message, char *fact, char *action)
{
	if (r->n_reasons == PROBE_REASONS_MAX) {
		free(fact);
		free(action);
		return;
	}
	r->reasons[r->n_reasons++] = (struct probe_reason){ id, severity, message, fact, action };
	if (severity == PROBE_BLOCKER)
		r->verdict = PROBE_CANNOT_BOOT;
	else if (severity == PROBE_CONDITION && r->verdict == PROBE_BOOTS)
		r->verdict = PROBE_BOOTS_WITH_CONDITIONS;
}

/* A reason whose fact is what the host was found (or named) to be. */
static void add_host(struct probe_result *r, const struct host *h, const char *id,
		     enum probe_severity severity, const char *message, const char *action)
{
	add(r, id, severity, message, xstrdup(h->evidence), action ? xstrdup(action) : NULL);
}

static bool has_reason(const struct probe_result *r, const char *id)
{
	for (size_t i = 0; i < r->n_reasons; i++)
		if (!strcmp(r->reasons[i].id, id))
			return true;
	return false;
}

static const char *arch_text(enum wim_arch arch)
{
	return arch == WIM_ARCH_X86 ? "x86 (32-bit)" : wim_arch_name(arch);
}

static bool is_disk(const struct boot_facts *in)
{
	return in && in->input == BOOT_INPUT_DISK;
}

/* What the input is, for facts: "the image is x64", "the disk's loaders are
 * x64". */
static const char *input_subject(const struct boot_facts *in)
{
	return is_disk(in) ? "the disk's boot loaders are" : "the image is";
}

/* --- the disk's own boot files: what any UEFI (or a VM's) needs --- */

static const struct boot_loader *find_loader(const struct boot_facts *in, const char *name)
{
	for (size_t i = 0; name && i < in->n_loaders; i++)
		if (!strcasecmp(in->loaders[i].name, name))
			return &in->loaders[i];
	return NULL;
}

static char *loader_list(const struct boot_facts *in)
{
	char *list = xstrdup("");

	for (size_t i = 0; i < in->n_loaders; i++) {
		char *next = xasprintf("%s%s%s (%s)", list, i ? ", " : "", in->loaders[i].name,
				       arch_text(in->loaders[i].arch));

		free(list);
		list = next;
	}
	return list;
}

/* A blocker of the disk itself, which only writing it again mends. */
static void add_disk(struct probe_result *r, const char *id, const char *message, char *fact)
{
	add(r, id, PROBE_BLOCKER, message, fact, xstrdup("write the disk again with `wintogo write`"));
}

/* Partition table, ESP, a fallback loader, the BCD: blockers for any UEFI
 * machine or VM.  Returns false when there is no ESP to look into. */
static bool check_disk_basics(const struct boot_facts *in, struct probe_result *r)
{
	if (!in->table) {
		add_disk(r, "no-partition-table",
			 "firmware finds nothing to start on a disk without a partition table",
			 in->blank ? xasprintf("'%s' has " LAYOUT_BLANK_ADVICE, in->path)
				   : xasprintf("'%s' has no partition table", in->path));
		return false;
	}
	if (!in->esp) {
		add_disk(r, "no-esp", "UEFI firmware starts Windows only from an EFI system partition",
			 xasprintf("'%s' has a %s partition table without an EFI system partition",
				   in->path, !strcmp(in->table, "gpt") ? "GPT" : "MBR"));
		return false;
	}
	if (!in->esp_fat) {
		add_disk(r, "esp-not-fat",
			 "UEFI firmware reads an EFI system partition only when it holds a FAT file system",
			 xasprintf("the EFI system partition of '%s' has no FAT boot sector", in->path));
		return false;
	}
	if (!in->n_loaders)
		add_disk(r, "no-boot-loader",
			 "firmware starts a disk it has no boot entry for only through \\EFI\\Boot\\boot<arch>.efi",
			 xasprintf("the EFI system partition of '%s' has no \\EFI\\Boot\\boot*.efi", in->path));
	if (!in->bcd)
		add_disk(r, "no-bcd", "Windows Boot Manager stops with an error when it finds no BCD store",
			 xasprintf("the EFI system partition of '%s' has no \\EFI\\Microsoft\\Boot\\BCD registry hive",
				   in->path));
	return true;
}

/* --- UEFI: the loader for the firmware's architecture, Secure Boot --- */

static char *arch_action(enum wim_arch want)
{
	return xasprintf("use an %s Windows image", wim_arch_name(want));
}

static void check_uefi_arch(const struct host *h, const struct boot_facts *in,
			    struct probe_result *r, const struct boot_loader **loader_ret)
{
	enum wim_arch fa = h->firmware_arch;
	const char *want = boot_fallback_name(boot_machine_of(fa));
	const char *message = fa == WIM_ARCH_X86 && h->cpu_arch == WIM_ARCH_X64
		? "32-bit UEFI firmware starts only 32-bit boot loaders, even on a 64-bit CPU"
		: fa == WIM_ARCH_ARM64
		? "an ARM64 PC's UEFI starts only ARM64 boot loaders: Windows on ARM runs x64 apps emulated, never an x64 Windows"
		: "UEFI firmware starts only boot loaders built for its own architecture";
	const struct boot_loader *l;

	*loader_ret = NULL;
	if (!is_disk(in)) {
		if (in && in->arch != WIM_ARCH_UNKNOWN && in->arch != fa)
			add(r, "arch-mismatch", PROBE_BLOCKER, message,
			    xasprintf("the image is %s; this machine's UEFI starts %s loaders",
				      arch_text(in->arch), arch_text(fa)),
			    arch_action(fa));
		else if (in && in->n_loaders)
			/* its boot manager becomes the disk's fallback loader */
			*loader_ret = &in->loaders[0];
		return;
	}
	if (!check_disk_basics(in, r) || !in->n_loaders)
		return;
	l = find_loader(in, want);
	if (l && l->arch == fa) {
		*loader_ret = l;
	} else if (l) {
		add(r, "arch-mismatch", PROBE_BLOCKER, message,
		    xasprintf("\\EFI\\Boot\\%s on '%s' is built for %s (PE machine 0x%04x), not %s",
			      l->name, in->path, arch_text(l->arch), l->machine, arch_text(fa)),
		    arch_action(fa));
	} else {
		char *list = loader_list(in);

		add(r, "arch-mismatch", PROBE_BLOCKER, message,
		    xasprintf("%s %s; this machine's UEFI starts \\EFI\\Boot\\%s", input_subject(in),
			      list, want ? want : "(none)"),
		    arch_action(fa));
		free(list);
	}
}

/* The boot manager as the firmware names it on the disk (written or to
 * be written from the image). */
static char *loader_subject(const struct boot_loader *l, const struct boot_facts *in)
{
	const char *fallback = boot_fallback_name(l->machine) ? boot_fallback_name(l->machine) : "boot*.efi";

	return is_disk(in) ? xasprintf("\\EFI\\Boot\\%s on '%s'", l->name, in->path)
			   : xasprintf("Windows\\Boot\\%s\\%s in '%s', the written disk's \\EFI\\Boot\\%s,",
				       l->ex ? "EFI_EX" : "EFI", l->name, in->path, fallback);
}

/* A signed boot manager and Secure Boot after 2026: Microsoft signed
 * Windows' boot managers under PCA 2011 until then, and revokes those
 * (DBX) as PCs move to Windows UEFI CA 2023, which older firmware does
 * not know.  Each CA is a condition of its own, with its own way out. */
static void check_signer(const struct host *h, const struct boot_loader *l, const struct boot_facts *in,
			 struct probe_result *r)
{
	char *subject = loader_subject(l, in);
	enum probe_severity refused = h->secure_boot == 1 ? PROBE_BLOCKER : PROBE_CONDITION;

	switch (l->ca) {
	case SB_CA_2011:
		add(r, "loader-ca-2011", PROBE_CONDITION,
		    "a boot manager signed only under Microsoft Windows Production PCA 2011 boots where Secure Boot is off or the firmware still trusts that CA; PCs that took Microsoft's 2026 Secure Boot revocation (DBX) update refuse it",
		    xasprintf("%s is signed under " SB_CA_2011_CN " only", subject),
		    xstrdup("write the disk again from a newer Windows image with --secure-boot-ca 2023, or turn Secure Boot off where it is refused"));
		break;
	case SB_CA_2023:
		add(r, "loader-ca-2023", PROBE_CONDITION,
		    "a boot manager signed under Windows UEFI CA 2023 boots only where the firmware trusts that CA, as PCs sold from 2024 and updated ones do; older firmware refuses it",
		    xasprintf("%s is signed under " SB_CA_2023_CN, subject),
		    xstrdup("on a PC that refuses it: let Windows Update (or the maker's firmware update) add the 2023 CA, turn Secure Boot off, or write the disk with --secure-boot-ca 2011"));
		break;
	case SB_CA_OTHER:
		add(r, "loader-ca-other", refused,
		    "with Secure Boot on, firmware starts only boot loaders signed under a CA in its db, which holds Microsoft's",
		    xasprintf("%s is signed under a CA that is not Microsoft's Windows CA", subject),
		    xstrdup("turn Secure Boot off, enroll that CA in the firmware, or write the disk from a genuine Windows image"));
		break;
	case SB_CA_NONE:
		/* signed, but no signature holds: the file was changed after it
		 * was signed, or the signature is damaged */
		add(r, "loader-signature-invalid", refused,
		    "with Secure Boot on, firmware refuses a boot loader whose signature does not match it",
		    xasprintf("%s has an Authenticode signature that does not hold (the file was changed, or the signature is damaged)",
			      subject),
		    xstrdup("write the disk again from an intact Windows image, or turn Secure Boot off"));
		break;
	}
	free(subject);
	if (h->secure_boot == 1 && l->ca != SB_CA_NONE && l->ca != SB_CA_OTHER)
		add_host(r, h, "secure-boot", PROBE_NOTE,
			 "Secure Boot is on: Windows Boot Manager is signed by Microsoft, whose keys PCs ship with",
			 NULL);
}

static void check_secure_boot(const struct host *h, const struct boot_loader *l,
			      const struct boot_facts *in, struct probe_result *r)
{
	bool t2 = h->kind == HOST_INTEL_MAC_T2;
	const char *sb = h->secure_boot == 1 ? "Secure Boot is on" : "Secure Boot may be on";

	if (l && !l->signed_ && h->secure_boot != 0) {
		add(r, "unsigned-loader", h->secure_boot == 1 ? PROBE_BLOCKER : PROBE_CONDITION,
		    "with Secure Boot on, firmware starts only signed boot loaders",
		    is_disk(in)
		    ? xasprintf("\\EFI\\Boot\\%s on '%s' has no Authenticode signature; %s", l->name,
				in->path, sb)
		    : xasprintf("Windows\\Boot\\EFI\\%s in '%s', the written disk's \\EFI\\Boot\\%s, has no Authenticode signature; %s",
				l->name, in->path, boot_fallback_name(l->machine) ? boot_fallback_name(l->machine) : "boot*.efi", sb),
		    xstrdup(t2 ? "set Secure Boot to \"No Security\" in Startup Security Utility"
			: h->kind == HOST_PC_ARM64
			? "write the disk from a genuine Windows image, whose boot manager Microsoft signed: not every ARM64 PC lets Secure Boot be turned off"
			: "turn Secure Boot off in the firmware setup, or write the disk from a genuine Windows image"));
	} else if (!l && in && !is_disk(in) && !in->n_loaders && h->secure_boot != 0 &&
		   !has_reason(r, "arch-mismatch")) {
		/* a note, not a condition: a genuine Windows image's boot manager
		 * is signed, and the disk written from it tells for sure */
		add(r, "loader-signature-unread", PROBE_NOTE,
		    "with Secure Boot on, firmware starts only signed boot loaders",
		    xasprintf("the boot manager in '%s' was not read (from an ISO it would take copying the install image out)",
			      in->path),
		    xstrdup("probe the disk once it is written, or the install image copied out of the ISO"));
	} else if (l && h->secure_boot != 0) {
		check_signer(h, l, in, r);
	} else if (h->secure_boot == 1) {
		add_host(r, h, "secure-boot", PROBE_NOTE,
			 "Secure Boot is on: Windows Boot Manager is signed by Microsoft, whose keys PCs ship with",
			 NULL);
	}
}

/* --- what Windows itself needs --- */

static void check_windows(const struct boot_facts *in, struct probe_result *r)
{
	static const char message[] =
		"Windows before 10 1703 mounts only the first partition of a disk that reports itself removable, and freezes while it boots from one";
	static const char action[] =
		"write it to a USB SSD or a stick that reports itself fixed, or use Windows 10 1703 or later";

	if (!in || in->removable == 0 || in->build >= PROBE_BUILD_1703)
		return;
	if (in->build)
		add(r, "removable-bit-before-1703", PROBE_CONDITION, message,
		    xasprintf("the image is build %u, older than %d (Windows 10 1703)%s", in->build,
			      PROBE_BUILD_1703, in->removable == 1 ? ", and the disk reports itself removable" : ""),
		    xstrdup(action));
	else if (in->removable == 1)
		add(r, "removable-bit-before-1703", PROBE_NOTE, message,
		    xasprintf("'%s' reports itself removable; the build of the Windows on it is not read",
			      in->path),
		    xstrdup(action));
}

/* Windows in a VHDX (write --vhdx): the edition must boot from one.  An
 * image is only warned about (it may be written without --vhdx); a disk
 * that boots from a VHDX is noted, as its edition is not read. */
static void check_vhdx(const struct boot_facts *in, struct probe_result *r)
{
	if (!in)
		return;
	if (in->input == BOOT_INPUT_IMAGE && vhdx_boot_edition(in->edition, in->build) == VHDX_EDITION_NO)
		add(r, "vhdx-boot-edition", PROBE_NOTE, VHDX_BOOT_EDITION_RULE,
		    xasprintf("the image is edition %s", in->edition),
		    xstrdup("write it without --vhdx, or use a Pro, Enterprise or Education image for --vhdx"));
	else if (in->input == BOOT_INPUT_DISK && in->vhdx_boot)
		add(r, "vhdx-boot", PROBE_NOTE, VHDX_BOOT_EDITION_RULE,
		    xasprintf("'%s' boots Windows from \\wintogo\\windows.vhdx (its BCD's osdevice is a VHDX device); the edition inside is not read",
			      in->path),
		    NULL);
}

/* --- the machines --- */

static void mac_unsupported(const struct host *h, struct probe_result *r)
{
	add_host(r, h, "mac-unsupported", PROBE_NOTE,
		 "Microsoft's Windows To Go FAQ says Windows To Go is not supported on a Mac", NULL);
}

/* OUT.qcow2, in the current directory: the input's name, its extension
 * replaced. */
static char *vm_out_name(const char *path)
{
	const char *base = path_base(path);
	const char *dot = strrchr(base, '.');
	int len = dot && dot > base ? (int)(dot - base) : (int)strlen(base);

	return len ? xasprintf("%.*s.qcow2", len, base) : xstrdup("windows.qcow2");
}

static bool disk_cannot_start(const struct probe_result *r)
{
	static const char *const ids[] = { "no-partition-table", "no-esp", "esp-not-fat",
					   "no-boot-loader", "no-bcd" };

	for (size_t i = 0; i < ARRAY_SIZE(ids); i++)
		if (has_reason(r, ids[i]))
			return true;
	return false;
}

static void suggest_vm(const struct boot_facts *in, struct probe_result *r)
{
	struct probe_vm *vm = &r->vm;
	size_t n = 0;

	vm->suggested = true;
	/* a disk that cannot start a PC cannot start a VM either */
	vm->from_image = is_disk(in) && disk_cannot_start(r);
	if (vm->from_image)
		in = NULL;
	vm->arch = in ? in->arch : WIM_ARCH_UNKNOWN;
	vm->virtualize = vm->arch == WIM_ARCH_ARM64;
	vm->placeholders = !in;
	vm->argv[n++] = "wintogo";
	vm->argv[n++] = "vm";
	if (in && in->input == BOOT_INPUT_IMAGE && in->image_count > 1) {
		vm->argv[n++] = "--index";
		if (in->index)
			snprintf(vm->index, sizeof(vm->index), "%d", in->index);
		else
			snprintf(vm->index, sizeof(vm->index), "N");
		vm->placeholders |= !in->index;
		vm->argv[n++] = vm->index;
	}
	vm->argv[n++] = "--utm";
	vm->argv[n++] = ".";
	vm->argv[n++] = in ? in->path : "IMAGE";
	vm->out = vm_out_name(in ? in->path : "windows");
	vm->argv[n++] = vm->out;
	vm->argv[n] = NULL;
}

/* A stick written with --vm-partition carries its own way out: the UTM
 * bundle on its WINTOGO-VM partition (vmpart.h). */
static bool vm_partition_bundle(const struct boot_facts *in)
{
	return is_disk(in) && in->vm_bundle;
}

static void apple_silicon(const struct host *h, const struct boot_facts *in, struct probe_result *r)
{
	bool bundle = vm_partition_bundle(in);
	char *open_it = bundle ? xasprintf("this stick cannot boot this Mac; open %s on its WINTOGO-VM volume in UTM (4.3.2 or later), or copy it to the Mac first",
					   in->vm_bundle)
			       : NULL;

	add_host(r, h, "apple-silicon-no-uefi", PROBE_BLOCKER,
		 "Apple Silicon Macs start through iBoot, not UEFI: their boot picker never offers an external disk with an EFI boot loader",
		 bundle ? open_it : "run this Windows in a virtual machine instead (below)");
	free(open_it);
	if (bundle)
		add(r, "vm-partition", PROBE_NOTE,
		    "this stick carries a UTM virtual machine of Windows on its WINTOGO-VM partition (exFAT, which macOS mounts); UTM virtualizes an ARM64 Windows at full speed and emulates an x64 one",
		    xasprintf("'%s' partition %u WINTOGO-VM holds %s", in->path, in->vm_partition, in->vm_bundle),
		    NULL);
	/* the Windows of the stick is not what runs on the Mac: its VM is */
	if (!bundle && in && in->arch != WIM_ARCH_UNKNOWN && in->arch != WIM_ARCH_ARM64)
		add(r, "arch-mismatch", PROBE_BLOCKER,
		    "an Apple Silicon CPU runs ARM64 Windows, and only in a virtual machine; an x64 Windows runs there only emulated, slowly",
		    xasprintf("%s %s", input_subject(in), arch_text(in->arch)),
		    xstrdup("use an ARM64 Windows image: UTM virtualizes it at near native speed"));
	if (is_disk(in))
		check_disk_basics(in, r);
	mac_unsupported(h, r);
	if (!bundle)
		suggest_vm(in, r);
}

static void intel_mac(const struct host *h, const struct boot_facts *in, struct probe_result *r)
{
	const struct boot_loader *l;

	if (h->kind == HOST_INTEL_MAC_T2) {
		add_host(r, h, "t2-external-boot", PROBE_CONDITION,
			 "a Mac with a T2 chip starts no external disk until Startup Security Utility allows it",
			 "start up in macOS Recovery (hold Command-R), open Utilities > Startup Security Utility and choose \"Allow booting from external or removable media\"");
		add_host(r, h, "t2-secure-boot", PROBE_CONDITION,
			 "a Mac with a T2 chip at \"Full Security\" does not start a Windows To Go disk",
			 "in Startup Security Utility, set Secure Boot to \"Medium Security\" or \"No Security\"");
	}
	check_uefi_arch(h, in, r, &l);
	if (h->kind == HOST_INTEL_MAC_T2)
		check_secure_boot(h, l, in, r);
	if (!has_reason(r, "arch-mismatch"))
		add_host(r, h, "bootcamp-drivers", PROBE_CONDITION,
			 "Windows has no drivers for a Mac's keyboard, trackpad and Wi-Fi; Apple's Boot Camp drivers have them",
			 "in macOS, Boot Camp Assistant > Action > Download Windows Support Software; run its Setup.exe in Windows (a USB keyboard and mouse get you there)");
	check_windows(in, r);
	mac_unsupported(h, r);
	add_host(r, h, "mac-startup-manager", PROBE_NOTE,
		 "Intel Macs start an external disk from Startup Manager",
		 "hold Option (Alt) at startup and choose \"EFI Boot\"");
}

/* A UEFI PC, x64 (or 32-bit UEFI) or ARM64: the same rules, each
 * firmware with its own loader name and boot menu. */
static void pc_uefi(const struct host *h, const struct boot_facts *in, struct probe_result *r)
{
	const struct boot_loader *l;

	check_uefi_arch(h, in, r, &l);
	check_secure_boot(h, l, in, r);
	check_windows(in, r);
	if (h->kind == HOST_PC_ARM64)
		add_host(r, h, "boot-menu", PROBE_NOTE,
			 "ARM64 PCs start an external USB disk from their firmware's boot menu",
			 "choose the disk in the boot menu: a key such as F12 at power-on; on a Surface, hold Volume Down while pressing power");
	else
		add_host(r, h, "boot-menu", PROBE_NOTE,
			 "PCs start an external disk from their firmware's boot menu",
			 "choose the disk in the boot menu: a key such as F12, F11, F8 or Esc at power-on");
}

/* An MBR disk whose active partition is FAT (as write --partition-table
 * mbr makes it): BIOS runs the MBR's code, which runs the partition's boot
 * sector, which must start \bootmgr, which reads \Boot\BCD.  Each link
 * that is missing stops the chain. */
static void bios_system(const struct boot_facts *in, struct probe_result *r)
{
	if (!in->mbr_code)
		add(r, "bios-no-boot-code", PROBE_BLOCKER,
		    "BIOS starts an MBR disk by running the boot code in its first sector",
		    xasprintf("the MBR of '%s' holds no boot code", in->path),
		    xstrdup("write the disk again with wintogo write --partition-table mbr"));
	if (!in->vbr_code)
		add(r, "bios-no-boot-sector", PROBE_BLOCKER,
		    "the MBR's code starts the active partition's boot sector, which must load the boot manager",
		    xasprintf("the boot sector of the active partition of '%s' holds no boot code", in->path),
		    xstrdup("write the disk again with wintogo write --partition-table mbr"));
	if (!in->bootmgr)
		add(r, "bios-no-bootmgr", PROBE_BLOCKER,
		    "Windows starts from BIOS through \\bootmgr on the active partition",
		    xasprintf("the active partition of '%s' has no \\bootmgr", in->path),
		    xstrdup("write the disk again from an image with Windows\\Boot\\PCAT"));
	if (!in->bios_bcd)
		add(r, "bios-no-bcd", PROBE_BLOCKER,
		    "BOOTMGR started from BIOS reads its boot entries from \\Boot\\BCD",
		    xasprintf("the active partition of '%s' has no \\Boot\\BCD store", in->path),
		    xstrdup("write the disk again with wintogo write --partition-table mbr"));
	if (in->mbr_code && in->vbr_code && in->bootmgr && in->bios_bcd)
		add(r, "bios-boot", PROBE_NOTE,
		    "BIOS runs the MBR's boot code, which starts the active partition's, which starts \\bootmgr, which reads \\Boot\\BCD",
		    xasprintf("'%s' has boot code in its MBR and in its active FAT partition, \\bootmgr and \\Boot\\BCD", in->path),
		    NULL);
}

static void pc_bios(const struct host *h, const struct boot_facts *in, struct probe_result *r)
{
	if (is_disk(in) && !in->table) {
		check_disk_basics(in, r);
	} else if (is_disk(in) && !strcmp(in->table, "dos")) {
		if (in->bios_system)
			bios_system(in, r);
		else if (in->mbr_active)
			add(r, "bios-boot-unchecked", PROBE_CONDITION,
			    "BIOS starts an MBR disk through its boot code and active partition, which wintogo does not check",
			    xasprintf("'%s' has an MBR partition table with an active partition", in->path),
			    xstrdup("make sure the active partition holds bootmgr and Windows' boot sector (bootsect /nt60)"));
		else
			add(r, "bios-no-active-partition", PROBE_BLOCKER,
			    "BIOS starts an MBR disk only from its active partition",
			    xasprintf("'%s' has an MBR partition table without an active partition", in->path),
			    xstrdup("boot the disk on a UEFI PC"));
	} else if (in && in->writes_mbr) {
		add(r, "bios-mbr", PROBE_NOTE,
		    "BIOS starts an MBR disk with boot code and an active partition holding \\bootmgr and \\Boot\\BCD",
		    xstrdup("the disk is written with --partition-table mbr"), NULL);
	} else {
		add(r, "bios-no-gpt", PROBE_BLOCKER,
		    "BIOS firmware cannot start Windows from a GPT disk: Windows starts from GPT only through UEFI",
		    xasprintf("%s; %s", h->evidence,
			      is_disk(in) ? "the disk has a GPT partition table"
					  : "wintogo writes GPT disks with UEFI boot files unless told otherwise"),
		    xstrdup(is_disk(in) ? "write the disk again with wintogo write --partition-table mbr (it then boots from BIOS and UEFI), switch the firmware to UEFI (turn CSM or Legacy boot off) if it has it, or boot the disk on a UEFI PC"
					: "write it with wintogo write --partition-table mbr: an MBR disk that boots from BIOS and UEFI"));
	}
	/* a disk's architecture is its loaders': the same judgement as for
	 * the image it was written from */
	if (in && in->arch != WIM_ARCH_UNKNOWN && in->arch != WIM_ARCH_X64 && in->arch != WIM_ARCH_X86)
		add(r, "arch-mismatch", PROBE_BLOCKER,
		    "a PC with BIOS has an x86 or x64 CPU, which runs only x86 and x64 Windows",
		    xasprintf("%s %s", input_subject(in), arch_text(in->arch)), arch_action(WIM_ARCH_X64));
	check_windows(in, r);
}

void probe_run(const struct host *host, const struct boot_facts *input,
	       struct probe_result *result_ret)
{
	struct probe_result *r = result_ret;  /* built in place: argv points into it */

	*r = (struct probe_result){ .verdict = PROBE_BOOTS };
	switch (host->kind) {
	case HOST_APPLE_SILICON:
		apple_silicon(host, input, r);
		break;
	case HOST_INTEL_MAC:
	case HOST_INTEL_MAC_T2:
		intel_mac(host, input, r);
		break;
	case HOST_PC_UEFI:
	case HOST_PC_ARM64:
		pc_uefi(host, input, r);
		break;
	default:
		pc_bios(host, input, r);
		break;
	}
	check_vhdx(input, r);
}

void probe_result_release(struct probe_result *r)
{
	for (size_t i = 0; i < r->n_reasons; i++) {
		free(r->reasons[i].fact);
		free(r->reasons[i].action);
	}
	free(r->vm.out);
	*r = (struct probe_result){ 0 };
}
