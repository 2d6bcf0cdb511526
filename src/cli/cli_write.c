/* cli_write.c - what `write` and `vm` share: the options that choose and
 * lay out the image, and how the plan and the result are printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/authenticode.h"
#include "wintogo/bcd_vhdx.h"
#include "wintogo/cli.h"
#include "wintogo/digest.h"
#include "wintogo/json.h"
#include "wintogo/langtag.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/servicing.h"
#include "wintogo/speed.h"
#include "wintogo/timezone.h"
#include "wintogo/unattend.h"
#include "wintogo/util.h"
#include "wintogo/write.h"

/* A bad value: said (exit 2), and 1 for cli_write_option's caller. */
static int bad_value(const char *cmd, const char *option, const char *arg, const char *wants)
{
	cli_bad_value(cmd, option, arg, wants);
	return 1;
}

/* A time zone that is no Windows zone is a usage error, found now rather
 * than after the image is read; "host" depends on the host, and the job
 * says what is wrong with it. */
static bool windows_zone(const char *arg)
{
	struct wtg_ctx quiet;  /* no log: the usage error says it */
	char *id = NULL;
	bool ok;

	if (!strcmp(arg, "host"))
		return true;
	wtg_ctx_init(&quiet);
	ok = timezone_windows_id(&quiet, arg, &id) == 0;
	free(id);
	wtg_ctx_release(&quiet);
	return ok;
}

static int image_option(struct wtg_ctx *ctx, int c, const char *arg, const char *cmd,
			struct write_options *opt)
{
	uint64_t n;

	switch (c) {
	case 'i':
		if (parse_uint(arg, 65535, &n) < 0 || n == 0)
			return bad_value(cmd, "--index", arg, "an image number from 1 (see 'wintogo info')");
		opt->index = (int)n;
		return 0;
	case 'n':
		opt->name = arg;
		return 0;
	case 's':
		/* bounded now, not after the image is read and the plan made */
		if (parse_size(arg, &opt->disk_bytes) < 0 || !opt->disk_bytes ||
		    opt->disk_bytes > LAYOUT_DISK_MAX)
			return bad_value(cmd, "--size", arg, "a size up to 16T, such as 32G (32 GiB) or 64GB (64 x 10^9 bytes)");
		return 0;
	case CLI_OPT_ESP_SIZE:
		/* the FAT32 minimum depends on the target's sectors: the plan checks it */
		if (parse_size(arg, &opt->esp_bytes) < 0 || !opt->esp_bytes ||
		    opt->esp_bytes % LAYOUT_ALIGN || opt->esp_bytes > LAYOUT_ESP_MAX)
			return bad_value(cmd, "--esp-size", arg, "whole MiB up to 4G, such as 260M");
		return 0;
	case CLI_OPT_PARTITION_TABLE:
		if (!strcmp(arg, "gpt"))
			opt->partition_table = LAYOUT_TABLE_GPT;
		else if (!strcmp(arg, "mbr"))
			opt->partition_table = LAYOUT_TABLE_MBR;
		else
			return bad_value(cmd, "--partition-table", arg, "gpt (UEFI) or mbr (BIOS and UEFI)");
		return 0;
	case CLI_OPT_SEED:
		if (parse_uint(arg, UINT64_MAX, &opt->seed) < 0)
			return bad_value(cmd, "--seed", arg, "a whole number");
		opt->seeded = true;
		return 0;
	case CLI_OPT_TMPDIR:
		wtg_ctx_set_tmpdir(ctx, arg);  /* every stage of the job goes there */
		return 0;
	case CLI_OPT_LOCALE:
		if (!langtag_known(arg))
			return bad_value(cmd, "--locale", arg, "a language and region, such as en-US, de-DE or pt-BR");
		opt->locale = arg;
		opt->service.answers.locale = arg;  /* also Windows' own locales */
		return 0;
	case CLI_OPT_BCD_FROM_SCRATCH:
		opt->bcd_from_scratch = true;
		return 0;
	case CLI_OPT_SHA256:
		if (sha256_parse(arg, opt->sha256) < 0)
			return bad_value(cmd, "--sha256", arg, "64 hex digits (as sha256sum prints)");
		opt->sha256_given = true;
		return 0;
	case CLI_OPT_SHA256_FILE:
		opt->sha256_file = arg;
		return 0;
	case CLI_OPT_WIM_PATH:
		opt->wim_path = arg;
		return 0;
	case CLI_OPT_SECURE_BOOT_CA:
		if (!strcmp(arg, "auto"))
			opt->secure_boot_ca = SB_CHOICE_AUTO;
		else if (!strcmp(arg, "2023"))
			opt->secure_boot_ca = SB_CHOICE_2023;
		else if (!strcmp(arg, "2011"))
			opt->secure_boot_ca = SB_CHOICE_2011;
		else
			return bad_value(cmd, "--secure-boot-ca", arg, "auto, 2023 or 2011");
		return 0;
	case CLI_OPT_NO_VERIFY:
		opt->no_verify = true;
		return 0;
	case 'f':
		opt->force = true;
		return 0;
	default:
		return -1;
	}
}

static void changes_json(struct json *j, const struct servicing *sv)
{
	size_t n;
	const struct servicing_change *c = servicing_changes(sv, &n);

	json_begin_array(j, "changes");
	for (size_t i = 0; i < n; i++, c++) {
		json_begin_object(j, NULL);
		json_string(j, "kind", servicing_change_kind_name(c->kind));
		json_string(j, "where", c->where);
		json_string(j, "name", c->name);
		json_string(j, "type", c->type);
		json_string(j, "old", c->old_value);
		json_string(j, "new", c->new_value);
		json_string(j, "why", c->why);
		json_end_object(j);
	}
	json_end_array(j);
}

/* Every change made to the image, one a line. */
static void changes_text(const struct servicing *sv)
{
	size_t n;
	const struct servicing_change *c = servicing_changes(sv, &n);

	printf("  changes to the image, made before it is applied:%s\n", n ? "" : " none");
	for (size_t i = 0; i < n; i++, c++) {
		switch (c->kind) {
		case CHANGE_REGISTRY:
			printf("    %s\\%s = %s (%s, was %s): %s\n", c->where, c->name, c->new_value,
			       c->type, c->old_value ? c->old_value : "not set", c->why);
			break;
		case CHANGE_FILE:
			printf("    %s: %s%s%s: %s\n", c->where, c->new_value,
			       c->old_value ? ", replacing " : "", c->old_value ? c->old_value : "", c->why);
			break;
		case CHANGE_ANSWER:
			printf("      %s %s = %s\n", c->where, c->name, c->new_value);
			break;
		}
	}
}

static const char *const sb_choice_names[] = { "auto", "2023", "2011" };

void cli_signature_json(struct json *j, const struct authenticode *sig)
{
	static const char *const status[] = { "unsigned", "signed", "damaged" };

	json_string(j, "signature", status[sig->status]);
	if (sig->status == AUTHENTICODE_DAMAGED)
		json_string(j, "damage", sig->damage);
	json_begin_array(j, "signers");
	for (size_t i = 0; i < sig->n_signers; i++) {
		const struct authenticode_signer *s = &sig->signers[i];

		json_begin_object(j, NULL);
		json_string(j, "subject", s->subject);
		json_string(j, "issuer", s->issuer);
		json_string(j, "ca", sb_ca_name(s->ca));
		json_uint(j, "not_before", (uint64_t)s->not_before);
		json_uint(j, "not_after", (uint64_t)s->not_after);
		json_string(j, "digest_algorithm", s->digest_alg);
		json_bool(j, "digest_ok", s->digest_ok);
		json_bool(j, "signature_ok", s->signature_ok);
		json_uint(j, "nested", s->depth);
		json_end_object(j);
	}
	json_end_array(j);
}

const char *cli_signature_text(const struct authenticode *sig)
{
	switch (sig->status) {
	case AUTHENTICODE_UNSIGNED: return "unsigned";
	case AUTHENTICODE_DAMAGED: return "its signature is damaged";
	default: break;
	}
	switch (authenticode_ca(sig)) {
	case SB_CA_2011: return "signed under " SB_CA_2011_CN;
	case SB_CA_2023: return "signed under " SB_CA_2023_CN;
	case SB_CA_OTHER: return "signed under another CA";
	default: return "signed, but the signature does not hold";
	}
}

/* The boot manager the ESP gets and who signed it: what Secure Boot after
 * 2026 decides on. */
static void boot_manager_json(struct json *j, const struct write_job *job)
{
	const struct boot_managers *bm = &job->boot_managers;
	const struct authenticode *sig = bm->use_ex ? &bm->ex_sig : &bm->efi_sig;

	json_begin_object(j, "boot_manager");
	json_string(j, "choice", sb_choice_names[job->opt.secure_boot_ca]);
	json_string(j, "set", bm->use_ex ? "EFI_EX" : "EFI");
	json_string(j, "ca", sb_ca_name(bm->ca));
	json_bool(j, "ex_available", bm->ex);
	cli_signature_json(j, sig);
	json_end_object(j);
}

static void boot_manager_text(const struct write_job *job)
{
	const struct boot_managers *bm = &job->boot_managers;

	printf("  boot manager: %s\\%s, %s (--secure-boot-ca %s)\n", boot_managers_set_name(bm),
	       bm->use_ex ? "bootmgfw_EX.efi" : "bootmgfw.efi",
	       cli_signature_text(bm->use_ex ? &bm->ex_sig : &bm->efi_sig),
	       sb_choice_names[job->opt.secure_boot_ca]);
}

/* The WINTOGO-VM partition (vmpart.h), after the three others. */
static void vm_partition_json(struct json *j, const struct write_job *job)
{
	const struct layout *l = &job->layout;
	char guid[GUID_STR_LEN];

	guid_format(&l->vm.uuid, guid);
	json_begin_object(j, NULL);
	json_uint(j, "number", PART_COUNT + 1);
	json_string(j, "role", l->vm.role);
	json_string(j, "name", l->vm.name);
	json_string(j, "type", l->vm.type_guid);
	json_string(j, "guid", guid);
	json_string(j, "filesystem", "exfat");
	json_uint(j, "start_lba", l->vm.start);
	json_uint(j, "sectors", l->vm.sectors);
	json_uint(j, "offset", l->vm.start * l->sector_size);
	json_uint(j, "size", l->vm.sectors * l->sector_size);
	json_string(j, "bundle", vmpart_bundle_name(job->vm));
	json_string(j, "bundle_architecture", vmpart_arch_name(job->vm));
	json_bool(j, "vmware", job->opt.vm_partition.vmware);
	json_bool(j, "parallels", job->opt.vm_partition.parallels);
	json_end_object(j);
}

/* The disk's GUID, or an MBR disk's signature ("0x1234abcd"). */
static void disk_id(const struct layout *l, char out[GUID_STR_LEN])
{
	if (l->table == LAYOUT_TABLE_MBR)
		snprintf(out, GUID_STR_LEN, "0x%08x", l->mbr_signature);
	else
		guid_format(&l->disk_guid, out);
}

/* write --vhdx: the file in the host partition and the disk inside it. */
static void vhdx_json(struct json *j, const struct write_job *job)
{
	const struct vhdx_boot_plan *v = &job->vhdx;
	char sig[16];

	snprintf(sig, sizeof(sig), "%08x", v->signature);
	json_begin_object(j, "vhdx");
	json_string(j, "type", vhdx_boot_mode_name(v->mode));
	json_string(j, "path", BCD_VHDX_PATH);
	json_uint(j, "host_partition", PART_WINDOWS + 1);
	json_uint(j, "virtual_size", v->virtual_bytes);
	json_uint(j, "file_size", v->file_bytes);
	switch (vhdx_boot_edition(job->image.edition, job->image.build)) {
	case VHDX_EDITION_OK:
		json_bool(j, "edition_boots_from_vhdx", true);
		break;
	case VHDX_EDITION_NO:
		json_bool(j, "edition_boots_from_vhdx", false);
		break;
	default:
		json_null(j, "edition_boots_from_vhdx");
	}
	json_begin_object(j, "disk");
	json_string(j, "label", "dos");
	json_string(j, "signature", sig);
	json_begin_array(j, "partitions");
	json_begin_object(j, NULL);
	json_uint(j, "number", 1);
	json_string(j, "role", "windows");
	json_string(j, "filesystem", "ntfs");
	json_uint(j, "offset", v->inner_offset);
	json_uint(j, "size", v->inner_bytes);
	json_end_object(j);
	json_end_array(j);
	json_end_object(j);
	json_end_object(j);
}

static void vhdx_text(const struct write_job *job)
{
	const struct vhdx_boot_plan *v = &job->vhdx;
	char a[SIZE_TEXT_MAX], b[SIZE_TEXT_MAX], c[SIZE_TEXT_MAX];

	printf("     partition %d holds %s: a %s VHDX of %s (%s as a file%s)\n", PART_WINDOWS + 1, BCD_VHDX_PATH,
	       vhdx_boot_mode_name(v->mode), format_size(v->virtual_bytes, a), format_size(v->file_bytes, b),
	       v->mode == VHDX_BOOT_DYNAMIC ? " once Windows has expanded it" : ", allocated in full");
	printf("     inside it: MBR disk %08x, partition 1 NTFS at %s, %s: Windows\n", v->signature,
	       format_size(v->inner_offset, a), format_size(v->inner_bytes, c));
	if (vhdx_boot_edition(job->image.edition, job->image.build) == VHDX_EDITION_NO)
		printf("  warning (vhdx-boot-edition): this image is edition %s, which cannot boot from a VHDX: %s; write it without --vhdx, or use a Pro, Enterprise or Education image\n",
		       cli_text(job->image.edition), VHDX_BOOT_EDITION_RULE);
}

/* write --unmount (or confirmed on a terminal): the disk's own mounted
 * file systems, unmounted before it is written. */
static void unmount_json(struct json *j, const struct write_job *job)
{
	const struct device *d = job->device;

	if (!job->unmount_first)
		return;
	json_begin_array(j, "unmount");
	for (size_t i = 0; i <= d->n_parts; i++) {
		const char *mp = i < d->n_parts ? d->parts[i].mountpoint : d->mountpoint;
		char *dev = i < d->n_parts ? xasprintf("/dev/%s", d->parts[i].name) : xstrdup(d->path);

		if (mp) {
			json_begin_object(j, NULL);
			json_string(j, "device", dev);
			json_string(j, "mountpoint", mp);
			json_end_object(j);
		}
		free(dev);
	}
	json_end_array(j);
}

static void unmount_text(const struct write_job *job)
{
	const struct device *d = job->device;
	size_t n = 0;

	if (!job->unmount_first)
		return;
	printf("  first: unmount");
	for (size_t i = 0; i <= d->n_parts; i++) {
		const char *mp = i < d->n_parts ? d->parts[i].mountpoint : d->mountpoint;

		if (mp)
			printf("%s %s%s (at %s)", n++ ? "," : "", i < d->n_parts ? "/dev/" : "",
			       i < d->n_parts ? d->parts[i].name : d->path, cli_text(mp));
	}
	printf("%s\n", d->n_parts > 1 ? " (and any other mount of them)" : "");
}

static void plan_json(const struct write_job *job)
{
	const struct layout *l = &job->layout;
	static const char *const fs[PART_COUNT] = { "vfat", NULL, "ntfs" };
	char guid[GUID_STR_LEN], hex[SHA256_HEX_MAX];
	struct json j;

	json_init(&j, stdout, false);
	json_begin_object(&j, NULL);
	json_begin_object(&j, "plan");
	json_string(&j, "target", job->opt.target);
	json_begin_object(&j, "image");
	json_string(&j, "path", job->opt.image_path);
	json_uint(&j, "index", job->image.index);
	json_string(&j, "name", job->image.name);
	json_string(&j, "architecture", wim_arch_name(job->image.arch));
	json_uint(&j, "build", job->image.build);
	json_uint(&j, "expanded_size", job->image.expanded_size);
	if (job->check_source)
		json_string(&j, "expected_sha256", sha256_hex(job->expected_sha256, hex));
	else
		json_null(&j, "expected_sha256");
	json_end_object(&j);
	disk_id(l, guid);
	json_begin_object(&j, "disk");
	json_string(&j, "label", l->table == LAYOUT_TABLE_MBR ? "dos" : "gpt");
	json_string(&j, "partition_table", layout_table_name(l->table));
	json_uint(&j, "size", l->disk_bytes);
	json_uint(&j, "min_size", job->min_disk_bytes);
	json_uint(&j, "sector_size", l->sector_size);
	json_string(&j, "guid", guid);
	json_end_object(&j);
	unmount_json(&j, job);
	json_begin_array(&j, "partitions");
	for (int i = 0; i < PART_COUNT; i++) {
		const struct layout_partition *p = &l->parts[i];

		guid_format(&p->uuid, guid);
		if (!p->sectors)
			continue;  /* an MBR disk's MSR: it has none */
		json_begin_object(&j, NULL);
		json_uint(&j, "number", l->table == LAYOUT_TABLE_MBR && i == PART_WINDOWS ? 2 : i + 1);
		json_string(&j, "role", p->role);
		json_string(&j, "name", p->name);
		json_string(&j, "type", p->type_guid);
		if (l->table == LAYOUT_TABLE_MBR) {
			json_null(&j, "guid");
			json_bool(&j, "active", i == PART_ESP);
		} else {
			json_string(&j, "guid", guid);
		}
		json_string(&j, "filesystem", fs[i]);
		json_uint(&j, "start_lba", p->start);
		json_uint(&j, "sectors", p->sectors);
		json_uint(&j, "offset", layout_offset(l, i));
		json_uint(&j, "size", layout_bytes(l, i));
		json_end_object(&j);
	}
	if (l->vm.sectors)
		vm_partition_json(&j, job);
	json_end_array(&j);
	if (job->opt.vhdx.mode)
		vhdx_json(&j, job);
	boot_manager_json(&j, job);
	changes_json(&j, job->servicing);
	json_begin_object(&j, "strategy");
	json_string(&j, "chosen", write_strategy_name(job->strategy));
	json_string(&j, "reason", job->strategy_reason);
	json_end_object(&j);
	json_bool(&j, "verify", !job->opt.no_verify);
	json_string(&j, "manifest", job->manifest_path);
	json_end_object(&j);
	json_end_object(&j);
	json_finish(&j);
}

/* How the plan says where Windows is built. */
static void strategy_text(const struct write_job *job, const char *lead)
{
	const char *where = job->strategy == WRITE_STRATEGY_STAGE ? "in the stage, then written in one stream"
			    : job->strategy == WRITE_STRATEGY_AUTO ? "in the stage or on the disk itself (--strategy auto)"
			    : job->device ? "on the disk itself (direct)"
					  : "in the image file itself (direct)";

	printf("%sWindows built %s: %s\n", lead, where, job->strategy_reason);
}

void cli_print_strategy(const struct write_job *job, bool json, bool quiet)
{
	struct json j;

	if (json) {
		json_init(&j, stdout, false);
		json_begin_object(&j, NULL);
		json_begin_object(&j, "strategy");
		json_string(&j, "target", job->opt.target);
		json_string(&j, "chosen", write_strategy_name(job->strategy));
		json_string(&j, "reason", job->strategy_reason);
		json_end_object(&j);
		json_end_object(&j);
		json_finish(&j);
	} else if (!quiet) {
		strategy_text(job, "");
	}
	fflush(stdout);
}

static void plan_text(const struct write_job *job)
{
	const struct layout *l = &job->layout;
	static const char *const fs[PART_COUNT] = { "FAT32", "-", "NTFS" };
	char a[SIZE_TEXT_MAX], b[SIZE_TEXT_MAX], guid[GUID_STR_LEN], hex[SHA256_HEX_MAX];

	printf("Plan: image %d of %s, \"%s\" (%s, build %u, %s of files)\n", job->image.index,
	       job->opt.image_path, job->image.name, wim_arch_name(job->image.arch),
	       job->image.build, format_size(job->image.expanded_size, a));
	if (job->check_source)
		printf("  first: check that its SHA-256 is %s\n", sha256_hex(job->expected_sha256, hex));
	unmount_text(job);
	disk_id(l, guid);
	if (l->table == LAYOUT_TABLE_MBR)
		printf("  onto %s: %s, MBR (boots from BIOS and UEFI), %u-byte sectors, disk signature %s\n",
		       job->opt.target, format_size(l->disk_bytes, b), l->sector_size, guid);
	else
		printf("  onto %s: %s, GPT, %u-byte sectors, disk GUID %s\n", job->opt.target,
		       format_size(l->disk_bytes, b), l->sector_size, guid);
	printf("  %-2s %-8s %-6s %12s %12s  %s\n", "#", "ROLE", "FS", "START", "SIZE",
	       l->table == LAYOUT_TABLE_MBR ? "TYPE" : "GUID");
	for (int i = 0, n = 1; i < PART_COUNT; i++) {
		if (!l->parts[i].sectors)
			continue;  /* an MBR disk's MSR: it has none */
		guid_format(&l->parts[i].uuid, guid);
		printf("  %-2d %-8s %-6s %12s %12s  %s%s\n", n++, l->parts[i].role, fs[i],
		       format_size(layout_offset(l, i), a), format_size(layout_bytes(l, i), b),
		       l->table == LAYOUT_TABLE_MBR ? l->parts[i].type_guid : guid,
		       l->table == LAYOUT_TABLE_MBR && i == PART_ESP ? " active (system: UEFI and BIOS)" : "");
	}
	if (l->vm.sectors) {
		guid_format(&l->vm.uuid, guid);
		printf("  %-2d %-8s %-6s %12s %12s  %s\n", PART_COUNT + 1, l->vm.role, "exFAT",
		       format_size(l->vm.start * l->sector_size, a),
		       format_size(l->vm.sectors * l->sector_size, b), guid);
		printf("     %s: %s, a UTM bundle of %s Windows,%s%s and README.txt\n", LAYOUT_VM_NAME,
		       cli_text(vmpart_bundle_name(job->vm)), vmpart_arch_name(job->vm),
		       job->opt.vm_partition.vmware ? " a VMware Fusion VM," : "",
		       job->opt.vm_partition.parallels ? " a Parallels disk and its prlctl script," : "");
	}
	if (job->opt.vhdx.mode)
		vhdx_text(job);
	boot_manager_text(job);
	changes_text(job->servicing);
	strategy_text(job, "  ");
	if (job->manifest_path)
		printf("  then: %s; manifest in \\wintogo\\manifest.json and %s\n",
		       job->opt.no_verify ? "no read-back (--no-verify)"
					  : "read every byte back and compare its SHA-256",
		       job->manifest_path);
	fflush(stdout);
}

static void result_json(const struct write_job *job, const struct write_result *r)
{
	struct json j;

	json_init(&j, stdout, false);
	json_begin_object(&j, NULL);
	json_begin_object(&j, "result");
	json_string(&j, "target", job->opt.target);
	json_uint(&j, "disk_size", job->layout.disk_bytes);
	json_uint(&j, "bytes_written", r->bytes_written);
	json_uint(&j, "extents", r->extents);
	json_uint(&j, "blocks", r->blocks);
	json_bool(&j, "verified", r->verified);
	json_string(&j, "manifest", r->manifest);
	json_double(&j, "seconds", r->seconds);
	if (job->speed)
		speed_json(&j, job->speed);
	json_end_object(&j);
	json_end_object(&j);
	json_finish(&j);
}

void cli_print_plan(const struct write_job *job, bool json)
{
	if (json)
		plan_json(job);
	else
		plan_text(job);
}

void cli_print_disk(const struct device *d)
{
	char size[SIZE_TEXT_MAX], *contents = device_contents_text(d, true);

	fprintf(stderr, "\n%s: %s %s%s%s, serial %s, %s\n", d->path, format_size(d->size, size),
		d->vendor ? cli_text(d->vendor) : "", d->vendor ? " " : "", d->model ? cli_text(d->model) : "(no model)",
		d->serial ? cli_text(d->serial) : "unknown", d->transport);
	/* what is erased, as Rufus and Etcher show it; labels are the disk's */
	fprintf(stderr, "It holds: %s\n", cli_text(contents));
	free(contents);
}

void cli_print_result(const struct write_job *job, const struct write_result *r, bool json)
{
	char size[SIZE_TEXT_MAX];

	if (json)
		result_json(job, r);
	else
		printf("Wrote %s: %s of data in %zu extents, %s, %.1f s%s%s\n", job->opt.target,
		       format_size(r->bytes_written, size), r->extents,
		       r->verified ? "read back and verified" : "not read back", r->seconds,
		       r->manifest ? "; manifest " : "", r->manifest ? r->manifest : "");
}

static int take_name(const char **name_ret, const char *cmd, const char *option, const char *arg,
		     const char *problem, const char *what)
{
	if (problem) {
		cli_usage_error(cmd, "%s '%s' cannot name a Windows %s: %s", option, arg, what, problem);
		return 1;
	}
	*name_ret = arg;
	return 0;
}

static int service_option(int c, const char *arg, const char *cmd, struct servicing_options *sv)
{
	switch (c) {
	case CLI_OPT_SAN_POLICY:
		if (!strcmp(arg, "offline-internal"))
			sv->san_policy = SAN_POLICY_OFFLINE_INTERNAL;
		else if (!strcmp(arg, "online-all"))
			sv->san_policy = SAN_POLICY_ONLINE_ALL;
		else
			return bad_value(cmd, "--san-policy", arg, "offline-internal or online-all");
		return 0;
	case CLI_OPT_PORTABLE_FLAG:
		sv->portable_flag = true;
		return 0;
	case CLI_OPT_DRIVERS:
		sv->drivers_path = arg;
		return 0;
	case CLI_OPT_UNATTEND:
		sv->unattend_path = arg;
		return 0;
	case CLI_OPT_USER:
		return take_name(&sv->answers.user, cmd, "--user", arg, unattend_user_name_problem(arg),
				 "account");
	case CLI_OPT_SKIP_OOBE:
		sv->answers.skip_oobe = true;
		return 0;
	case CLI_OPT_BYPASS_NRO:
		sv->answers.bypass_nro = true;
		return 0;
	case CLI_OPT_TIMEZONE:
		if (!windows_zone(arg))
			return bad_value(cmd, "--timezone", arg, "a Windows time zone as 'tzutil /l' names it, such as 'W. Europe Standard Time' or UTC, or host");
		sv->answers.timezone = arg;
		return 0;
	case CLI_OPT_COMPUTER_NAME:
		return take_name(&sv->answers.computer_name, cmd, "--computer-name", arg,
				 unattend_computer_name_problem(arg), "computer");
	default:
		return -1;
	}
}

int cli_write_option(struct wtg_ctx *ctx, int c, const char *arg, const char *cmd,
		     struct write_options *opt)
{
	int ret = image_option(ctx, c, arg, cmd, opt);

	return ret < 0 ? service_option(c, arg, cmd, &opt->service) : ret;
}

bool cli_write_options_conflict(const char *cmd, const struct write_options *opt)
{
	const struct unattend_answers *a = &opt->service.answers;

	if (opt->index && opt->name)
		cli_usage_error(cmd, "give --index or --name, not both");
	else if (opt->service.unattend_path &&
		 (a->user || a->skip_oobe || a->bypass_nro || a->timezone || a->computer_name))
		cli_usage_error(cmd, "--unattend is taken as it is: give its settings in the file, not with --user, --skip-oobe, --bypass-nro, --timezone or --computer-name");
	else if (opt->sha256_given && opt->sha256_file)
		cli_usage_error(cmd, "give --sha256 or --sha256-file, not both");
	else
		return false;
	return true;
}

int cli_run_job(struct wtg_ctx *ctx, const struct write_options *opt,
		const struct cli_job_steps *steps)
{
	struct write_job *job = NULL;
	struct write_result result;
	struct progress_ui ui;
	int ret;

	/* copying an ISO's install image comes before the plan */
	progress_ui_init(&ui, ctx, steps->json, steps->quiet);
	ret = write_job_prepare(ctx, opt, &job);
	if (ret < 0) {
		progress_ui_abort(&ui);
		return EXIT_FAILED;
	}
	progress_ui_finish(&ui);
	if (steps->planned)
		ret = steps->planned(ctx, job, steps->user);
	if (!ret && (!steps->quiet || steps->json))
		cli_print_plan(job, steps->json);
	if (!ret && !steps->dry_run && steps->confirm)
		ret = steps->confirm(ctx, job, steps->user);
	if (!ret && !steps->dry_run) {
		progress_ui_init(&ui, ctx, steps->json, steps->quiet);
		ret = write_job_run(ctx, job, &result);
		if (ret == 0)
			progress_ui_finish(&ui);
		else
			progress_ui_abort(&ui);
		if (ret == 0 && (!steps->quiet || steps->json))
			cli_print_result(job, &result, steps->json);
		if (ret == 0 && steps->done)
			ret = steps->done(ctx, job, steps->user);
		/* a disk the stream had begun to change no longer boots */
		if (ret == -WTG_ERR_INTERRUPTED && job->device && job->target_touched)
			log_warn(ctx, "%s is now incomplete and will not boot; write it again before using it",
				 job->device->path);
	}
	write_job_free(job);
	return ret < 0 ? EXIT_FAILED : EXIT_OK;
}
