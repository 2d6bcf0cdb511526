/* cmd_probe.c - `wintogo probe [IMAGE|DISK] [--host HOST]`: will it boot
 * there, and why not. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/bootfacts.h"
#include "wintogo/cli.h"
#include "wintogo/host.h"
#include "wintogo/json.h"
#include "wintogo/log.h"
#include "wintogo/pe.h"
#include "wintogo/probe.h"
#include "wintogo/util.h"

static const char help[] =
	"Usage: wintogo probe [OPTIONS] [IMAGE|DISK]\n"
	"\n"
	"Tell whether a Windows To Go disk boots on a machine, and why not:\n"
	"\"boots\", \"boots with conditions\" or \"cannot boot\", every reason with the\n"
	"fact behind it, and what to do.  IMAGE is a WIM, ESD or split SWM set, a\n"
	"Windows ISO or a VHDX (the disk wintogo would write from it); DISK is a\n"
	"disk or disk image already written.  Without either, the machine alone.\n"
	"On an Apple Silicon Mac, which never starts an external disk, it prints\n"
	"the `wintogo vm` command that makes a UTM virtual machine from the image\n"
	"instead.\n"
	"\n"
	"Options:\n"
	"  -H, --host HOST  the machine: auto (this one, the default), apple-silicon,\n"
	"                   intel-mac, intel-mac-t2, pc-uefi, pc-bios, pc-arm64, or a\n"
	"                   Mac model identifier such as Mac14,2 or MacBookPro16,1\n"
	"  -i, --index N    probe image N of IMAGE (default: every image)\n"
	"  -j, --json       print one JSON document on stdout\n"
	"  -q, --quiet      print nothing: the exit status is the verdict\n"
	"  -h, --help       show this help and exit\n"
	"\n"
	"Exit status: 0 boots, 3 boots with conditions, 4 cannot boot, 1 error,\n"
	"2 usage error.\n";

static int verdict_status(enum probe_verdict v)
{
	switch (v) {
	case PROBE_BOOTS: return EXIT_OK;
	case PROBE_BOOTS_WITH_CONDITIONS: return EXIT_BOOTS_WITH_CONDITIONS;
	default: return EXIT_CANNOT_BOOT;
	}
}

/* argv as one shell command line, words quoted where they need it. */
static char *shell_line(const char *const argv[])
{
	size_t len = 1;
	char *line, *p;

	for (size_t i = 0; argv[i]; i++)
		len += strlen(argv[i]) * 4 + 3;
	line = p = xmalloc(len);
	for (size_t i = 0; argv[i]; i++) {
		const char *w = argv[i];
		bool plain = *w && strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					     "0123456789_./,=:+@%-") == strlen(w);

		if (i)
			*p++ = ' ';
		if (plain) {
			p = stpcpy(p, w);
			continue;
		}
		*p++ = '\'';
		for (; *w; w++)
			p = *w == '\'' ? stpcpy(p, "'\\''") : (*p = *w, p + 1);
		*p++ = '\'';
	}
	*p = '\0';
	return line;
}

static const char *utm_mode(const struct probe_vm *vm)
{
	if (vm->arch == WIM_ARCH_UNKNOWN)
		return NULL;
	return vm->virtualize ? "virtualize" : "emulate";
}

/* --- JSON --- */

static void json_arch(struct json *j, const char *key, enum wim_arch arch)
{
	if (arch == WIM_ARCH_UNKNOWN)
		json_null(j, key);
	else
		json_string(j, key, wim_arch_name(arch));
}

static void json_tristate(struct json *j, const char *key, int value)
{
	if (value < 0)
		json_null(j, key);
	else
		json_bool(j, key, value);
}

static void json_text(struct json *j, const char *key, const char *text)
{
	json_string(j, key, *text ? text : NULL);
}

static void host_json(struct json *j, const struct host *h)
{
	json_begin_object(j, "host");
	json_string(j, "kind", host_kind_name(h->kind));
	json_string(j, "title", host_kind_title(h->kind));
	json_bool(j, "detected", h->detected);
	json_arch(j, "cpu_architecture", h->cpu_arch);
	json_arch(j, "firmware_architecture", h->firmware_arch);
	json_tristate(j, "secure_boot", h->secure_boot);
	json_text(j, "model", h->mac.identifier);
	json_text(j, "marketing_name", h->mac.marketing_name);
	json_text(j, "chip", h->mac.chip);
	json_bool(j, "model_in_table", h->mac_in_table);
	json_text(j, "vendor", h->vendor);
	json_text(j, "product", h->product);
	json_string(j, "evidence", h->evidence);
	json_end_object(j);
}

/* Who signed a loader, in a few words. */
static const char *signed_text(const struct boot_loader *l)
{
	if (!l->signed_)
		return "unsigned";
	switch (l->ca) {
	case SB_CA_2011: return "signed under PCA 2011";
	case SB_CA_2023: return "signed under UEFI CA 2023";
	case SB_CA_OTHER: return "signed by another CA";
	default: return "its signature does not hold";
	}
}

/* A disk's \EFI\Boot\boot*.efi, an image's bootmgfw.efi. */
static void loaders_json(struct json *j, const struct boot_facts *in)
{
	json_begin_array(j, "boot_loaders");
	for (size_t i = 0; i < in->n_loaders; i++) {
		const struct boot_loader *l = &in->loaders[i];

		json_begin_object(j, NULL);
		json_string(j, "name", l->name);
		json_arch(j, "architecture", l->arch);
		json_uint(j, "machine", l->machine);
		json_string(j, "subsystem", l->subsystem ? pe_subsystem_name(l->subsystem) : NULL);
		json_bool(j, "signed", l->signed_);
		json_string(j, "ca", l->signed_ ? sb_ca_name(l->ca) : NULL);
		json_end_object(j);
	}
	json_end_array(j);
}

static void input_json(struct json *j, const struct boot_facts *in)
{
	if (!in) {
		json_null(j, "input");
		return;
	}
	json_begin_object(j, "input");
	json_string(j, "path", in->path);
	json_string(j, "type", in->input == BOOT_INPUT_DISK ? "disk" : "image");
	json_arch(j, "architecture", in->arch);
	if (in->input == BOOT_INPUT_IMAGE) {
		if (in->build)
			json_uint(j, "build", in->build);
		else
			json_null(j, "build");
		json_uint(j, "index", in->index);
		json_uint(j, "image_count", in->image_count);
		json_string(j, "name", in->image_name);
		json_string(j, "edition", in->edition);
		json_begin_array(j, "architectures");
		for (size_t i = 0; i < in->n_archs; i++)
			json_string(j, NULL, wim_arch_name(in->archs[i]));
		json_end_array(j);
		/* [] from an ISO: its boot manager is not read */
		loaders_json(j, in);
	} else {
		json_string(j, "partition_table", in->table);
		json_bool(j, "esp", in->esp);
		json_bool(j, "esp_fat", in->esp_fat);
		loaders_json(j, in);
		json_bool(j, "bcd", in->bcd);
		/* an MBR disk's BIOS chain (write --partition-table mbr) */
		if (in->bios_system) {
			json_begin_object(j, "bios");
			json_bool(j, "mbr_boot_code", in->mbr_code);
			json_bool(j, "partition_boot_code", in->vbr_code);
			json_bool(j, "bootmgr", in->bootmgr);
			json_bool(j, "bcd", in->bios_bcd);
			json_end_object(j);
		} else {
			json_null(j, "bios");
		}
		json_bool(j, "block_device", in->block_device);
		json_tristate(j, "removable", in->removable);
		if (in->vm_partition) {
			json_begin_object(j, "vm_partition");
			json_uint(j, "number", in->vm_partition);
			json_string(j, "bundle", in->vm_bundle);
			json_end_object(j);
		} else {
			json_null(j, "vm_partition");
		}
	}
	json_end_object(j);
}

static void reasons_json(struct json *j, const struct probe_result *r)
{
	json_string(j, "verdict", probe_verdict_name(r->verdict));
	json_begin_array(j, "reasons");
	for (size_t i = 0; i < r->n_reasons; i++) {
		const struct probe_reason *reason = &r->reasons[i];

		json_begin_object(j, NULL);
		json_string(j, "id", reason->id);
		json_string(j, "severity", probe_severity_name(reason->severity));
		json_string(j, "message", reason->message);
		json_string(j, "fact", reason->fact);
		json_string(j, "action", reason->action);
		json_end_object(j);
	}
	json_end_array(j);
}

static void suggestion_json(struct json *j, const struct probe_vm *vm)
{
	char *line;

	if (!vm->suggested) {
		json_null(j, "suggestion");
		return;
	}
	line = shell_line(vm->argv);
	json_begin_object(j, "suggestion");
	json_string(j, "command", line);
	json_begin_array(j, "argv");
	for (size_t i = 0; vm->argv[i]; i++)
		json_string(j, NULL, vm->argv[i]);
	json_end_array(j);
	json_arch(j, "guest_architecture", vm->arch);
	json_string(j, "utm", utm_mode(vm));
	json_bool(j, "placeholders", vm->placeholders);
	json_bool(j, "from_image", vm->from_image);
	json_end_object(j);
	free(line);
}

/* --- text --- */

static void print_host(const struct host *h)
{
	printf("host:    %s", host_kind_title(h->kind));
	if (*h->mac.identifier)
		printf(", %s", h->mac.identifier);
	if (*h->mac.marketing_name)
		printf(", %s", h->mac.marketing_name);
	if (h->kind == HOST_APPLE_SILICON && *h->mac.chip)
		printf(", Apple %s", h->mac.chip);
	if ((h->kind == HOST_PC_UEFI || h->kind == HOST_PC_BIOS || h->kind == HOST_PC_ARM64) &&
	    (*h->vendor || *h->product))
		printf(", %s%s%s", h->vendor, *h->vendor && *h->product ? " " : "", h->product);
	if (h->firmware_arch == WIM_ARCH_X86)
		printf(", 32-bit UEFI");
	if (h->secure_boot >= 0)
		printf(", Secure Boot %s", h->secure_boot ? "on" : "off");
	printf(" (%s)\n", h->detected ? "this machine" : "--host");
}

static void print_input(const struct boot_facts *in)
{
	if (!in) {
		printf("image:   none (the machine alone)\n");
		return;
	}
	if (in->input == BOOT_INPUT_IMAGE) {
		printf("image:   %s, ", in->path);
		if (in->index)
			printf("image %d \"%s\": ", in->index, in->image_name ? in->image_name : "");
		else
			printf("%d images: ", in->image_count);
		for (size_t i = 0; i < in->n_archs; i++)
			printf("%s%s", !i ? "" : i + 1 == in->n_archs ? " and " : ", ",
			       wim_arch_name(in->archs[i]));
		if (in->build)
			printf(", build %u%s", in->build, in->index ? "" : " or later");
		if (in->edition)
			printf(", %s", in->edition);
		if (in->n_loaders)
			printf(", boot manager %s%s", in->loaders[0].ex ? "(EFI_EX) " : "",
			       signed_text(&in->loaders[0]));
		putchar('\n');
		return;
	}
	printf("disk:    %s: ", in->path);
	if (!in->table) {
		printf("no partition table\n");
		return;
	}
	printf("%s", !strcmp(in->table, "gpt") ? "GPT" : "MBR");
	if (!in->esp) {
		printf(", no EFI system partition\n");
		return;
	}
	if (in->bios_system)
		printf(", active FAT system partition (BIOS: %sboot code in the MBR, %sin its boot sector, %s, %s; UEFI files",
		       in->mbr_code ? "" : "no ", in->vbr_code ? "" : "none ", in->bootmgr ? "\\bootmgr" : "no \\bootmgr",
		       in->bios_bcd ? "\\Boot\\BCD" : "no \\Boot\\BCD");
	else
		printf(", EFI system partition%s", in->esp_fat ? "" : " (not FAT)");
	for (size_t i = 0; i < in->n_loaders; i++) {
		const struct boot_loader *l = &in->loaders[i];

		printf(", \\EFI\\Boot\\%s (%s%s%s, %s)", l->name, wim_arch_name(l->arch),
		       l->subsystem ? " " : "", l->subsystem ? pe_subsystem_name(l->subsystem) : "",
		       signed_text(l));
	}
	if (in->esp_fat && !in->n_loaders)
		printf(", no \\EFI\\Boot\\boot*.efi");
	if (in->esp_fat)
		printf(", %s", in->bcd ? "BCD" : "no BCD");
	if (in->bios_system)
		putchar(')');
	if (in->removable == 1)
		printf(", removable");
	if (in->vm_partition)
		printf(", WINTOGO-VM partition %u%s%s", in->vm_partition, in->vm_bundle ? " with " : " (no .utm in it)",
		       in->vm_bundle ? cli_text(in->vm_bundle) : "");
	putchar('\n');
}

static void print_vm(const struct probe_vm *vm, const struct boot_facts *in)
{
	char *line = shell_line(vm->argv);

	if (vm->from_image)
		printf("  - '%s' cannot start a virtual machine either; make one from the Windows image instead:\n",
		       in->path);
	else if (vm->arch == WIM_ARCH_UNKNOWN && in)
		printf("  - make a UTM virtual machine from one of its images (UTM virtualizes an ARM64 Windows at near native speed, and emulates an x64 one, slowly):\n");
	else if (vm->arch == WIM_ARCH_UNKNOWN)
		printf("  - make a UTM virtual machine from a Windows image (UTM virtualizes an ARM64 Windows at near native speed, and emulates an x64 one, slowly):\n");
	else if (vm->virtualize)
		printf("  - make a UTM virtual machine from it: UTM will virtualize this arm64 Windows (near native speed):\n");
	else
		printf("  - make a UTM virtual machine from it: UTM will emulate this %s Windows, which works, slowly (an ARM64 image is virtualized, far faster):\n",
		       wim_arch_name(vm->arch));
	printf("      %s\n", line);
	if (vm->placeholders)
		printf("    (%s)\n", vm->from_image || !in
		       ? "IMAGE: a Windows image such as sources/install.wim, ARM64 for speed"
		       : "N: the image to use, see `wintogo info`");
	free(line);
}

static void print_result(const struct host *h, const struct boot_facts *in,
			 const struct probe_result *r)
{
	size_t id_width = 0;
	bool todo = false;

	print_host(h);
	print_input(in);
	printf("verdict: %s\n", probe_verdict_name(r->verdict));
	for (size_t i = 0; i < r->n_reasons; i++)
		if (strlen(r->reasons[i].id) > id_width)
			id_width = strlen(r->reasons[i].id);
	for (size_t i = 0; i < r->n_reasons; i++) {
		const struct probe_reason *reason = &r->reasons[i];

		printf("  %-9s  %-*s  %s [%s]\n", probe_severity_name(reason->severity), (int)id_width,
		       reason->id, reason->message, reason->fact);
		todo |= reason->action != NULL;
	}
	if (todo || r->vm.suggested)
		printf("what to do:\n");
	for (size_t i = 0; i < r->n_reasons; i++)
		if (r->reasons[i].action)
			printf("  - %s\n", r->reasons[i].action);
	if (r->vm.suggested)
		print_vm(&r->vm, in);
}

/* --- write --host --- */

int cli_probe_before_write(struct wtg_ctx *ctx, const char *host_name, const struct host *host,
			   struct wim_source *source, const struct wim_image *image,
			   const char *image_path, bool mbr, bool json, bool force)
{
	const char *on = host->detected ? "this machine" : host_name;
	struct boot_facts facts;
	struct probe_result r;
	struct json j;
	int ret = 0;

	boot_facts_from_image(image_path, image, &facts);
	facts.writes_mbr = mbr;
	/* judged as `probe` judges it: with the loader the disk will have */
	if (source) {
		ret = boot_facts_read_loader(ctx, source, image->index, &facts);
		if (ret < 0) {
			boot_facts_release(&facts);
			return ret;
		}
	}
	probe_run(host, &facts, &r);
	if (json) {
		json_init(&j, stdout, false);
		json_begin_object(&j, NULL);
		json_begin_object(&j, "probe");
		host_json(&j, host);
		reasons_json(&j, &r);
		suggestion_json(&j, &r.vm);
		json_end_object(&j);
		json_end_object(&j);
		json_finish(&j);
	}
	if (r.verdict == PROBE_CANNOT_BOOT && !force) {
		char ids[256] = "";
		size_t len = 0;

		for (size_t i = 0; i < r.n_reasons; i++)
			if (r.reasons[i].severity == PROBE_BLOCKER && len < sizeof(ids))
				len += (size_t)snprintf(ids + len, sizeof(ids) - len, "%s%s",
							len ? ", " : "", r.reasons[i].id);
		ret = log_error(ctx, WTG_ERR_CANNOT_BOOT, "image %d of '%s' cannot boot on %s (%s): %s; see `wintogo probe --host %s %s`%s, or give --force to write anyway",
				image->index, image_path, on, host_kind_title(host->kind), ids,
				host_name, image_path,
				r.vm.suggested ? ", make a VM with `wintogo vm`" : "");
		goto out;
	}
	for (size_t i = 0; i < r.n_reasons; i++)
		if (r.reasons[i].severity != PROBE_NOTE)
			log_warn(ctx, "on %s: %s %s: %s [%s]", on, probe_severity_name(r.reasons[i].severity),
				 r.reasons[i].id, r.reasons[i].message, r.reasons[i].fact);
out:
	probe_result_release(&r);
	boot_facts_release(&facts);
	return ret;
}

/* --- the command --- */

static int run(struct wtg_ctx *ctx, const char *host_name, const struct host *host, const char *path, int index,
	       bool json, bool quiet)
{
	struct boot_facts facts, *in = NULL;
	struct probe_result r;
	struct json j;
	int status;

	if (path) {
		if (boot_facts_read(ctx, path, index, &facts) < 0)
			return EXIT_FAILED;
		in = &facts;
	}
	probe_run(host, in, &r);
	/* images for several architectures, none chosen: judged from the host
	 * alone, which decides only when it rules every image out */
	if (in && in->n_archs > 1 && r.verdict != PROBE_CANNOT_BOOT) {
		boot_facts_need_index(ctx, in);
		status = EXIT_FAILED;
		goto out;
	}
	if (json) {
		json_init(&j, stdout, true);
		json_begin_object(&j, NULL);
		json_string(&j, "host_argument", host_name);
		host_json(&j, host);
		input_json(&j, in);
		reasons_json(&j, &r);
		suggestion_json(&j, &r.vm);
		json_end_object(&j);
		json_finish(&j);
	} else if (!quiet) {
		print_result(host, in, &r);
	}
	status = verdict_status(r.verdict);
out:
	probe_result_release(&r);
	if (in)
		boot_facts_release(in);
	return status;
}

int cli_parse_host(struct wtg_ctx *ctx, const char *cmd, const char *name, struct host *host_ret)
{
	if (host_resolve(ctx, name, host_ret) < 0)
		return cli_usage_error(cmd, "--host wants auto, apple-silicon, intel-mac, intel-mac-t2, pc-uefi, pc-bios, pc-arm64 or a Mac model identifier such as Mac14,2, not '%s'",
				       name);
	return 0;
}

int cmd_probe(struct wtg_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "index", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *host_name = "auto";
	struct host host;
	bool json = false, quiet = false;
	uint64_t n;
	int index = 0, c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "H:i:jqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			host_name = optarg;
			break;
		case 'i':
			if (parse_uint(optarg, 65535, &n) < 0 || n == 0)
				return cli_bad_value("probe", "--index", optarg, "an image number from 1 (see 'wintogo info')");
			index = (int)n;
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return cli_usage_hint("probe");
		}
	}
	cli_report_set(ctx, json, quiet);
	if (argc - optind > 1)
		return cli_usage_error("probe", "too many arguments: give one IMAGE or DISK");
	if (index && argc == optind)
		return cli_usage_error("probe", "--index needs an IMAGE");
	if (cli_parse_host(ctx, "probe", host_name, &host) != 0)
		return EXIT_USAGE;
	return run(ctx, host_name, &host, argc > optind ? argv[optind] : NULL, index, json, quiet);
}
