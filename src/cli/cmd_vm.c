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
#include "wintogo/servicing.h"
#include "wintogo/utm.h"
#include "wintogo/util.h"
#include "wintogo/vm.h"
#include "wintogo/write.h"

static const char help[] =
	"Usage: wintogo vm [OPTIONS] SOURCE OUT\n"
	"\n"
	"Make a virtual machine disk OUT from SOURCE: a Windows image (WIM, ESD,\n"
	"split SWM set or Windows ISO), built as 'wintogo write' builds a disk,\n"
	"or a disk image (one that 'wintogo write' made, say) or a VHDX,\n"
	"converted as it is.\n"
	"\n"
	"Options:\n"
	"  -F, --format FORMAT  qcow2 (default), vhdx (dynamic, for Hyper-V) or raw\n"
	"  -c, --compress       compress QCOW2 clusters with zlib (smaller, slower)\n"
	"      --vhdx-block-size SIZE  VHDX block size, a power of two from 1M to\n"
	"                       256M (default 1M: the smallest file)\n"
	"      --utm DIR        also write a UTM bundle DIR/NAME.utm for a Mac\n"
	"      --vm-name NAME   the VM's name in UTM (default: the image's name)\n"
	"      --cpus N         virtual CPUs of the UTM VM (default 4)\n"
	"      --memory SIZE    memory of the UTM VM, 2G to 6T (default 8G)\n"
	"  -i, --index N        build image N of SOURCE (see 'wintogo info')\n"
	"  -n, --name NAME      build the image called NAME\n"
	"  -s, --size SIZE      size of the virtual disk, e.g. 64G (default: the\n"
	"                       image + 20 %, ESP and MSR, in whole GiB)\n"
	"      --esp-size SIZE  size of the EFI system partition (default 260M)\n"
	"      --seed N         derive GUIDs, UUIDs and the MAC address from N\n"
	"      --tmpdir DIR     build the partitions in DIR (default $TMPDIR, else\n"
	"                       /var/tmp)\n"
	"      --locale LOCALE  boot menu language, e.g. de-DE (default: the image's);\n"
	"                       also Windows' input, system and user locale\n"
	"      --bcd-from-scratch  build the BCD store from an empty hive\n"
	"      --wim-path P     the Windows image inside an ISO SOURCE is P\n"
	"\n"
	"Changes to Windows (none by default; see 'wintogo write --help'):\n"
	CLI_SERVICE_HELP
	"\n"
	"Output:\n"
	"  -f, --force          replace OUT (and the UTM bundle) if they exist\n"
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
	const char *vm_name;
	unsigned cpus;
	uint64_t memory;
	bool dry_run;
	bool json;
	bool quiet;
};

static void utm_json(const char *bundle)
{
	struct json j;

	json_init(&j, stdout, false);
	json_begin_object(&j, NULL);
	json_string(&j, "utm", bundle);
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
		utm_json(bundle);
	else if (!cli->quiet)
		printf("UTM bundle: %s (%s, UEFI, TPM 2.0)\n", bundle, arch == WIM_ARCH_ARM64 ?
		       "aarch64, virtualized, NVMe disk" : "x86_64, emulated on Apple Silicon, IDE disk");
	free(bundle);
	return 0;
}

/* Refusals about the bundle come before anything is written. */
static int check_utm(struct wtg_ctx *ctx, const struct vm_cli *cli, const char *default_name)
{
	char *bundle = NULL;
	int ret;

	if (!cli->utm_dir)
		return 0;
	ret = utm_bundle_path(ctx, cli->utm_dir, cli->vm_name ? cli->vm_name : default_name,
			      cli->opt.force, &bundle);
	free(bundle);
	return ret;
}

/* The options that build a disk from a Windows image mean nothing for a
 * disk that is converted as it is: refusing them beats ignoring them. */
static bool image_options_given(const struct write_options *o)
{
	const struct servicing_options *sv = &o->service;
	const struct unattend_answers *a = &sv->answers;

	return o->index || o->name || o->disk_bytes || o->esp_bytes || o->wim_path || o->locale ||
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
	if (!ret && cli->utm_dir)
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
	if (!ret && !cli->dry_run && cli->utm_dir)
		ret = write_utm(ctx, cli, arch, name);
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

	return cli->utm_dir ? write_utm(ctx, cli, job->image.arch, job->image.name) : 0;
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
	OPT_VM_NAME,
	OPT_CPUS,
	OPT_MEMORY,
	OPT_BLOCK_SIZE,
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
		{ "vm-name", required_argument, NULL, OPT_VM_NAME },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "memory", required_argument, NULL, OPT_MEMORY },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct vm_cli cli = { .opt.sink_kind = SINK_QCOW2, .opt.tool = "wintogo " WINTOGO_VERSION,
			      .cpus = 4, .memory = 8 * GIB };
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
			else
				return cli_bad_value("vm", "--format", optarg, "qcow2, vhdx or raw");
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
	if (cli.utm_dir && cli.opt.sink_kind != SINK_QCOW2)
		return cli_usage_error("vm", "a UTM bundle needs --format qcow2");
	/* a QCOW2 or VHDX is checked with qemu-img, not read back (its file is
	 * not the disk), and compressed clusters cannot take the manifest
	 * written over them afterwards */
	if (cli.opt.sink_kind == SINK_QCOW2 || cli.opt.sink_kind == SINK_VHDX)
		cli.opt.no_verify = cli.opt.no_manifest = true;
	if (argc - optind != 2)
		return cli_usage_error("vm", argc - optind < 2 ? "SOURCE and OUT are needed"
							       : "too many arguments");
	cli.opt.image_path = argv[optind];
	cli.opt.target = argv[optind + 1];
	cli_report_set(ctx, cli.json, cli.quiet);
	/* a disk (an image of one, or a VHDX) is converted as it is */
	disk = input_is_disk(input_kind_of(cli.opt.image_path));
	if (disk && image_options_given(&cli.opt))
		return cli_usage_error("vm", "'%s' is a disk image, converted as it is: the options that choose, check or change a Windows image are for a WIM, ESD or ISO",
				       cli.opt.image_path);
	return disk ? from_disk(ctx, &cli, cli.opt.image_path) : from_image(ctx, &cli);
}
