/* cmd_vm.c - `wintogo vm SOURCE OUT`: the same Windows as a VM disk
 * (QCOW2, VHDX or raw), and a UTM bundle for a Mac. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/cli.h"
#include "wintogo/input.h"
#include "wintogo/json.h"
#include "wintogo/log.h"
#include "wintogo/parallels.h"
#include "wintogo/servicing.h"
#include "wintogo/utm.h"
#include "wintogo/util.h"
#include "wintogo/vm.h"
#include "wintogo/vmware.h"
#include "wintogo/write.h"

static const char help[] =
	"Usage: wintogo vm [OPTIONS] SOURCE OUT\n"
	"\n"
	"Make a virtual machine disk OUT from SOURCE: a Windows image (WIM, ESD,\n"
	"split SWM set or Windows ISO), built as 'wintogo write' builds a disk,\n"
	"or a disk image (one that 'wintogo write' made, say) or a VHDX,\n"
	"converted as it is.  A disk that boots Windows from a VHDX on it\n"
	"(written by 'wintogo write' or WinToUSB in VHDX mode), or a VHDX with\n"
	"no ESP, gives that Windows a disk of its own, built as from an image.\n"
	"\n"
	"Options:\n"
	"  -F, --format FORMAT  qcow2 (default), vhdx (dynamic, for Hyper-V), raw,\n"
	"                       vmdk (VMware) or parallels\n"
	"  -c, --compress       compress QCOW2 clusters with zlib (smaller, slower)\n"
	"      --vhdx-block-size SIZE  VHDX block size, a power of two from 1M to\n"
	"                       256M (default 1M: the smallest file)\n"
	"      --utm DIR        also write a UTM bundle DIR/NAME.utm for a Mac\n"
	"      --vmware DIR     --format vmdk: also write DIR/NAME.vmwarevm for\n"
	"                       VMware Fusion\n"
	"      --parallels DIR  --format parallels: also write DIR/NAME.hdd and\n"
	"                       DIR/NAME.prlctl.sh for Parallels Desktop\n"
	"      --vm-name NAME   the VM's name (default: the image's name)\n"
	"      --cpus N         virtual CPUs of the VM (default 4)\n"
	"      --memory SIZE    memory of the VM, 2G to 6T (default 8G)\n"
	"  -i, --index N        build image N of SOURCE (see 'wintogo info')\n"
	"  -n, --name NAME      build the image called NAME\n"
	"  -s, --size SIZE      size of the virtual disk, e.g. 64G (default: the\n"
	"                       image + 20 %, ESP and MSR, in whole GiB)\n"
	"      --esp-size SIZE  size of the EFI system partition (default 260M)\n"
	"      --partition-table TABLE  gpt (default: UEFI) or mbr (BIOS and\n"
	"                       UEFI): an active FAT32 system partition with both\n"
	"                       boot managers, then Windows (up to 2 TiB)\n"
	"      --seed N         derive GUIDs, UUIDs and the MAC address from N\n"
	"      --tmpdir DIR     build the partitions in DIR (default $TMPDIR, else\n"
	"                       /var/tmp)\n"
	"      --locale LOCALE  boot menu language, e.g. de-DE (default: the image's);\n"
	"                       also Windows' input, system and user locale\n"
	"      --bcd-from-scratch  build the BCD store from an empty hive\n"
	"      --wim-path P     the Windows image inside an ISO SOURCE is P\n"
	"      --whole-disk     convert a disk that boots Windows from a VHDX (or a\n"
	"                       VHDX with no ESP) as it is, VHDX and all\n"
	"\n"
	CLI_SECURE_BOOT_HELP
	"Changes to Windows (none by default; see 'wintogo write --help'):\n"
	CLI_SERVICE_HELP
	"\n"
	"Output:\n"
	"  -f, --force          replace OUT (and the VM bundle) if they exist\n"
	"      --sha256 HEX     refuse SOURCE unless its SHA-256 is HEX\n"
	"      --sha256-file SUMS  the same, with the hash from SOURCE's entry in SUMS\n"
	"      --no-verify      --format raw: do not read OUT back after writing it\n"
	"      --dry-run        print the plan and stop\n"
	"  -j, --json           print the plan, progress and result as JSON lines\n"
	"  -q, --quiet          print nothing but errors\n"
	"  -h, --help           show this help and exit\n";

struct vm_cli {
	struct write_options opt;
	const char *utm_dir;
	const char *vmware_dir;
	const char *parallels_dir;
	const char *vm_name;
	unsigned cpus;
	uint64_t memory;
	bool dry_run;
	bool whole_disk;
	bool json;
	bool quiet;
};

static void bundle_json(const char *key, const char *bundle)
{
	struct json j;

	json_init(&j, stdout, false);
	json_begin_object(&j, NULL);
	json_string(&j, key, bundle);
	json_end_object(&j);
	json_finish(&j);
}

static int write_utm(struct wtg_ctx *ctx, const struct vm_cli *cli, enum wim_arch arch, const char *default_name)
{
	struct utm_request req = {
		.dir = cli->utm_dir,
		.name = cli->vm_name ? cli->vm_name : default_name,
		.disk = cli->opt.target,
		.arch = arch,
		.cpus = cli->cpus,
		.memory_mib = cli->memory / MIB,
		.seeded = cli->opt.seeded,
		.seed = cli->opt.seed,
		.force = cli->opt.force,
	};
	char *bundle = NULL;

	if (arch != WIM_ARCH_X64 && arch != WIM_ARCH_ARM64)
		return log_error(ctx, WTG_ERR_UNSUPPORTED, "UTM runs x64 and arm64 Windows; this one is %s", wim_arch_name(arch));
	if (utm_write_bundle(ctx, &req, &bundle) < 0) {
		/* the run failed: its disk, written for the bundle, goes too, so
		 * that nothing that looks finished is left */
		unlink(cli->opt.target);
		return -EIO;
	}
	if (cli->json)
		bundle_json("utm", bundle);
	else if (!cli->quiet)
		printf("UTM bundle: %s (%s, UEFI, TPM 2.0)\n", bundle, arch == WIM_ARCH_ARM64 ?
		       "aarch64, virtualized, NVMe disk" : "x86_64, emulated on Apple Silicon, IDE disk");
	free(bundle);
	return 0;
}

/* The VMware or Parallels bundle around OUT, of a disk of disk_bytes. */
static int write_mac_bundle(struct wtg_ctx *ctx, const struct vm_cli *cli, enum wim_arch arch,
			    const char *default_name, uint64_t disk_bytes)
{
	bool vmware = cli->vmware_dir != NULL;
	struct vm_bundle_request req = {
		.dir = vmware ? cli->vmware_dir : cli->parallels_dir,
		.name = cli->vm_name ? cli->vm_name : default_name,
		.disk = cli->opt.target,
		.disk_bytes = disk_bytes,
		.arch = arch,
		.cpus = cli->cpus,
		.memory_mib = cli->memory / MIB,
		.force = cli->opt.force,
	};
	char *bundle = NULL;
	int ret;

	if (arch != WIM_ARCH_X64 && arch != WIM_ARCH_ARM64)
		return log_error(ctx, WTG_ERR_UNSUPPORTED, "%s runs x64 and arm64 Windows; this one is %s",
				 vmware ? "VMware Fusion" : "Parallels Desktop", wim_arch_name(arch));
	ret = vmware ? vmware_write_bundle(ctx, &req, &bundle) : parallels_write_bundle(ctx, &req, &bundle);
	if (ret < 0) {
		unlink(cli->opt.target);  /* as for UTM: nothing that looks finished */
		return ret;
	}
	if (cli->json)
		bundle_json(vmware ? "vmware" : "parallels", bundle);
	else if (!cli->quiet && vmware)
		printf("VMware Fusion VM: %s (%s, UEFI, NVMe disk; add a TPM in Fusion)\n", bundle,
		       arch == WIM_ARCH_ARM64 ? "arm-windows11-64" : "windows11-64");
	else if (!cli->quiet)
		printf("Parallels disk: %s; on the Mac, sh %s/%s.prlctl.sh makes its VM\n", bundle, req.dir, req.name);
	free(bundle);
	return 0;
}

static int write_bundles(struct wtg_ctx *ctx, const struct vm_cli *cli, enum wim_arch arch,
			 const char *default_name, uint64_t disk_bytes)
{
	if (cli->utm_dir)
		return write_utm(ctx, cli, arch, default_name);
	if (cli->vmware_dir || cli->parallels_dir)
		return write_mac_bundle(ctx, cli, arch, default_name, disk_bytes);
	return 0;
}

static bool bundle_wanted(const struct vm_cli *cli)
{
	return cli->utm_dir || cli->vmware_dir || cli->parallels_dir;
}

/* Refusals about the bundle come before anything is written. */
static int check_utm(struct wtg_ctx *ctx, const struct vm_cli *cli, const char *default_name)
{
	const char *name = cli->vm_name ? cli->vm_name : default_name;
	char *bundle = NULL;
	int ret = 0;

	if (cli->utm_dir)
		ret = utm_bundle_path(ctx, cli->utm_dir, name, cli->opt.force, &bundle);
	else if (cli->vmware_dir)
		ret = vmware_bundle_path(ctx, cli->vmware_dir, name, cli->opt.force, &bundle);
	else if (cli->parallels_dir)
		ret = parallels_bundle_path(ctx, cli->parallels_dir, name, cli->opt.force, &bundle);
	free(bundle);
	return ret;
}

/* The options that build a disk from a Windows image mean nothing for a
 * disk that is converted as it is: refusing them beats ignoring them. */
static bool image_options_given(const struct write_options *o)
{
	const struct servicing_options *sv = &o->service;
	const struct unattend_answers *a = &sv->answers;

	return o->index || o->name || o->disk_bytes || o->esp_bytes || o->partition_table || o->wim_path || o->locale ||
	       o->bcd_from_scratch || o->sha256_given || o->sha256_file || sv->san_policy ||
	       sv->portable_flag || sv->unattend_path || sv->drivers_path || a->user ||
	       a->skip_oobe || a->bypass_nro || a->timezone || a->computer_name;
}

/* SOURCE is a disk image: convert it.  Returns the exit status. */
static int from_disk(struct wtg_ctx *ctx, struct vm_cli *cli, const char *disk)
{
	struct vm_convert_request req = {
		.disk = disk,
		.target = cli->opt.target,
		.kind = cli->opt.sink_kind,
		.flags = cli->opt.sink_flags,
		.format = cli->opt.sink_format,
		.force = cli->opt.force,
	};
	struct write_result result;
	struct progress_ui ui;
	enum wim_arch arch = WIM_ARCH_UNKNOWN;
	char *copy = xstrdup(disk), *name = basename(copy), *dot;
	char size[SIZE_TEXT_MAX];
	int ret;

	req.format.seeded = cli->opt.seeded;
	req.format.seed = cli->opt.seed;
	dot = strrchr(name, '.');
	if (dot && dot != name)
		*dot = '\0';
	ret = check_utm(ctx, cli, name);
	if (!ret && bundle_wanted(cli))
		ret = vm_disk_arch(ctx, disk, &arch);
	progress_ui_init(&ui, ctx, cli->json, cli->quiet);
	if (!ret && !cli->dry_run)
		ret = vm_convert(ctx, &req, &result);
	if (ret < 0)
		progress_ui_abort(&ui);
	else
		progress_ui_finish(&ui);
	if (!ret && !cli->dry_run && !cli->quiet && !cli->json)
		printf("Wrote %s: %s of data in %zu extents, %.1f s\n", cli->opt.target,
		       format_size(result.bytes_written, size), result.extents, result.seconds);
	if (!ret && !cli->dry_run)
		ret = write_bundles(ctx, cli, arch, name, result.disk_bytes);
	free(copy);
	return ret < 0 ? EXIT_FAILED : EXIT_OK;
}

static int utm_check(struct wtg_ctx *ctx, struct write_job *job, void *user)
{
	return check_utm(ctx, user, job->image.name);
}

static int utm_write(struct wtg_ctx *ctx, struct write_job *job, void *user)
{
	const struct vm_cli *cli = user;

	return write_bundles(ctx, cli, job->image.arch, job->image.name, job->layout.disk_bytes);
}

/* SOURCE is a Windows image: build the disk as write does. */
static int from_image(struct wtg_ctx *ctx, struct vm_cli *cli)
{
	struct cli_job_steps steps = {
		.json = cli->json, .quiet = cli->quiet, .dry_run = cli->dry_run,
		.planned = utm_check, .done = utm_write, .user = cli,
	};

	return cli_run_job(ctx, &cli->opt, &steps);
}

enum {
	OPT_DRY_RUN = CLI_OPT_FIRST_OWN,
	OPT_UTM,
	OPT_VMWARE,
	OPT_PARALLELS,
	OPT_VM_NAME,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_BLOCK_SIZE,
	OPT_WHOLE_DISK,
};

int cmd_vm(struct wtg_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_IMAGE_OPTIONS,
		CLI_SERVICE_OPTIONS,
		{ "format", required_argument, NULL, 'F' },
		{ "compress", no_argument, NULL, 'c' },
		{ "vhdx-block-size", required_argument, NULL, OPT_BLOCK_SIZE },
		{ "utm", required_argument, NULL, OPT_UTM },
		{ "vmware", required_argument, NULL, OPT_VMWARE },
		{ "parallels", required_argument, NULL, OPT_PARALLELS },
		{ "vm-name", required_argument, NULL, OPT_VM_NAME },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "whole-disk", no_argument, NULL, OPT_WHOLE_DISK },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vm_cli cli = { .opt.sink_kind = SINK_QCOW2, .opt.tool = "wintogo " WINTOGO_VERSION,
			      .cpus = 4, .memory = 8 * GIB };
	enum vm_route route = VM_CONVERT;
	uint64_t n;
	bool disk;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, CLI_IMAGE_SHORTOPTS "F:cjqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (!strcmp(optarg, "qcow2"))
				cli.opt.sink_kind = SINK_QCOW2;
			else if (!strcmp(optarg, "vhdx"))
				cli.opt.sink_kind = SINK_VHDX;
			else if (!strcmp(optarg, "raw"))
				cli.opt.sink_kind = SINK_RAW_FILE;
			else if (!strcmp(optarg, "vmdk"))
				cli.opt.sink_kind = SINK_VMDK;
			else if (!strcmp(optarg, "parallels"))
				cli.opt.sink_kind = SINK_PARALLELS;
			else
				return cli_bad_value("vm", "--format", optarg, "qcow2, vhdx, raw, vmdk or parallels");
			break;
		case 'c':
			cli.opt.sink_flags |= SINK_COMPRESS;
			break;
		case OPT_BLOCK_SIZE:
			if (parse_size(optarg, &n) < 0 || n < MIB || n > 256 * MIB || (n & (n - 1)))
				return cli_bad_value("vm", "--vhdx-block-size", optarg, "a power of two from 1M to 256M");
			cli.opt.sink_format.block_size = (uint32_t)n;
			break;
		case OPT_UTM:
			cli.utm_dir = optarg;
			break;
		case OPT_VMWARE:
			cli.vmware_dir = optarg;
			break;
		case OPT_PARALLELS:
			cli.parallels_dir = optarg;
			break;
		case OPT_VM_NAME:
			cli.vm_name = optarg;
			break;
		case OPT_CPUS:
			if (parse_uint(optarg, 64, &n) < 0 || n == 0)
				return cli_bad_value("vm", "--cpus", optarg, "a number from 1 to 64");
			cli.cpus = (unsigned)n;
			break;
		case OPT_MEMORY:
			/* Windows 11 needs 4 GiB but runs in 2; 6 TiB is the most any
			 * edition addresses */
			if (parse_size(optarg, &cli.memory) < 0 || cli.memory < 2 * GIB ||
			    cli.memory > 6 * (GIB << 10))
				return cli_bad_value("vm", "--memory", optarg, "a size from 2G (Windows needs it) to 6T");
			break;
		case OPT_DRY_RUN:
			cli.dry_run = true;
			break;
		case OPT_WHOLE_DISK:
			cli.whole_disk = true;
			break;
		case 'j':
			cli.json = true;
			break;
		case 'q':
			cli.quiet = true;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			ret = cli_write_option(ctx, c, optarg, "vm", &cli.opt);
			if (ret != 0)
				return ret == 1 ? EXIT_USAGE : cli_usage_hint("vm");
		}
	}
	if (cli_write_options_conflict("vm", &cli.opt))
		return EXIT_USAGE;
	if ((cli.opt.sink_flags & SINK_COMPRESS) && cli.opt.sink_kind != SINK_QCOW2)
		return cli_usage_error("vm", "--compress is for --format qcow2");
	if (cli.opt.sink_format.block_size && cli.opt.sink_kind != SINK_VHDX)
		return cli_usage_error("vm", "--vhdx-block-size is for --format vhdx");
	if (!!cli.utm_dir + !!cli.vmware_dir + !!cli.parallels_dir > 1)
		return cli_usage_error("vm", "give one of --utm, --vmware and --parallels: each wants its own disk format");
	if (cli.utm_dir && cli.opt.sink_kind != SINK_QCOW2)
		return cli_usage_error("vm", "a UTM bundle needs --format qcow2");
	if (cli.vmware_dir && cli.opt.sink_kind != SINK_VMDK)
		return cli_usage_error("vm", "a VMware Fusion bundle needs --format vmdk");
	if (cli.parallels_dir && cli.opt.sink_kind != SINK_PARALLELS)
		return cli_usage_error("vm", "a Parallels bundle needs --format parallels");
	/* a QCOW2, VHDX, VMDK or Parallels image is checked with qemu-img, not read back (its file is
	 * not the disk), and compressed clusters cannot take the manifest
	 * written over them afterwards */
	if (cli.opt.sink_kind != SINK_RAW_FILE)
		cli.opt.no_verify = cli.opt.no_manifest = true;
	if (argc - optind != 2)
		return cli_usage_error("vm", argc - optind < 2 ? "SOURCE and OUT are needed"
							       : "too many arguments");
	cli.opt.image_path = argv[optind];
	cli.opt.target = argv[optind + 1];
	cli_report_set(ctx, cli.json, cli.quiet);
	/* a disk (an image of one, or a VHDX) is converted as it is, unless
	 * its Windows is in a VHDX (vm.h) */
	disk = input_is_disk(input_kind_of(cli.opt.image_path));
	if (cli.whole_disk && !disk)
		return cli_usage_error("vm", "--whole-disk is for a disk image or a VHDX SOURCE");
	if (disk && vm_route_of(ctx, cli.opt.image_path, cli.whole_disk, &route) < 0)
		return EXIT_FAILED;
	disk = disk && route == VM_CONVERT;
	if (disk && image_options_given(&cli.opt))
		return cli_usage_error("vm", "'%s' is a disk image, converted as it is: the options that choose, check or change a Windows image are for a WIM, ESD or ISO",
				       cli.opt.image_path);
	return disk ? from_disk(ctx, &cli, cli.opt.image_path) : from_image(ctx, &cli);
}
