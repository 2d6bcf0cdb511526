/* cmd_write.c - `wintogo write IMAGE TARGET`: a bootable Windows To Go disk. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/cli.h"
#include "wintogo/host.h"
#include "wintogo/json.h"
#include "wintogo/log.h"
#include "wintogo/speed.h"
#include "wintogo/util.h"
#include "wintogo/write.h"

static const char help[] =
	"Usage: wintogo write [OPTIONS] IMAGE TARGET...\n"
	"       wintogo write [OPTIONS] [IMAGE]      (on a terminal: asks)\n"
	"\n"
	"Write image IMAGE (a WIM, ESD or split SWM set, or a Windows ISO) to\n"
	"TARGET, a disk (see 'wintogo list') or a disk image file, as a\n"
	"UEFI-bootable Windows To Go disk: GPT with an EFI system partition\n"
	"(FAT32), an MSR and a Windows partition (NTFS); or, with\n"
	"--partition-table mbr, an MBR disk that boots from BIOS and UEFI.\n"
	"IMAGE can also be a VHDX: the Windows installed on it is captured and\n"
	"applied.\n"
	"\n"
	"Several TARGETs (disks, image files or both) are written at once from\n"
	"one stage: the image is applied once, every target gets its own GUIDs,\n"
	"read-back and manifest, and one that fails leaves the others going.\n"
	"\n"
	"On a terminal, TARGET or both may be left out: wintogo asks for them\n"
	"and for the Windows To Go choices, step by step, and prints the one\n"
	"command the answers make (see GUIDED MODE in 'wintogo help write').\n"
	"\n"
	"Options:\n"
	"  -i, --index N        apply image N of IMAGE (see 'wintogo info')\n"
	"  -n, --name NAME      apply the image called NAME\n"
	"  -s, --size SIZE      size of the disk image, e.g. 32G or 64000M\n"
	"                       (default: the image + 20 %, ESP and MSR, in whole GiB)\n"
	"      --esp-size SIZE  size of the EFI system partition (default 260M)\n"
	"      --partition-table TABLE  gpt (default: UEFI) or mbr (BIOS and\n"
	"                       UEFI): an active FAT32 system partition with both\n"
	"                       boot managers, then Windows (up to 2 TiB)\n"
	"      --seed N         derive the disk and partition GUIDs from N, so that\n"
	"                       every run gives the same disk\n"
	"      --wim-path P     the Windows image inside an ISO IMAGE is P\n"
	"                       (default: sources/install.wim, .esd or .swm)\n"
	CLI_SECURE_BOOT_HELP
	"      --tmpdir DIR     build the partitions (and copy an ISO's image) in\n"
	"                       DIR (default $TMPDIR, else /var/tmp)\n"
	"      --strategy HOW   where Windows is built: stage (in --tmpdir, then\n"
	"                       written in one stream: a flash stick's fastest),\n"
	"                       direct (on TARGET itself: for a fast disk, or no\n"
	"                       room to stage) or auto (direct when the disk takes\n"
	"                       4000 random writes a second or more, or when the\n"
	"                       stage has no room; measured once you confirm).\n"
	"                       Default: a disk is staged, an image file is built\n"
	"                       in itself where its file system allows\n"
	"      --direct         the same as --strategy direct\n"
	"      --stage MODE     tight (default) or full: tight builds NTFS at the\n"
	"                       image's size and grows it to the partition's size\n"
	"                       afterwards, so that its data lies together at the\n"
	"                       start; full builds it at the partition's size\n"
	"      --fill-gaps SIZE send the holes between the data shorter than SIZE\n"
	"                       as zeros, so that a stick gets fewer and longer\n"
	"                       writes (default 1M, at most 64M; 0: off)\n"
	"      --locale LOCALE  boot menu language, e.g. de-DE (default: the image's);\n"
	"                       also Windows' input, system and user locale\n"
	"      --bcd-from-scratch  build the BCD store from an empty hive, not from\n"
	"                       the image's BCD-Template\n"
	"      --sha256 HEX     refuse IMAGE unless its SHA-256 is HEX (checked\n"
	"                       before anything is written)\n"
	"      --sha256-file SUMS  the same, with the hash from IMAGE's entry in\n"
	"                       SUMS, a SHA256SUMS file (sha256sum's format)\n"
	"      --no-verify      do not read TARGET back after writing it\n"
	"\n"
	"Windows in a VHDX file on the stick (booted natively, as WinToUSB's VHDX mode):\n"
	"      --vhdx[=fixed|dynamic]  put Windows in \\wintogo\\windows.vhdx on the\n"
	"                       stick's NTFS partition, a fixed (default) or dynamic VHDX\n"
	"      --vhdx-size SIZE the size of the disk inside the VHDX (default: all the\n"
	"                       NTFS partition holds); a dynamic one must fit there\n"
	"                       fully expanded, as Windows expands it when it boots\n"
	"\n"
	"For Apple Silicon Macs, which never boot a stick (needs root):\n"
	"      --vm-partition[=SIZE]  add an exFAT partition WINTOGO-VM at the end\n"
	"                       holding NAME.utm, a UTM VM of the same Windows\n"
	"                       (compressed QCOW2), and README.txt (default SIZE:\n"
	"                       what the bundle needs + 10 %%); Windows gets the rest\n"
	"      --vm-image IMAGE put IMAGE's Windows in the VM instead (an ARM64\n"
	"                       Windows runs at full speed on Apple Silicon)\n"
	"      --vm-index N     image N of --vm-image (default: its only one)\n"
	"      --vm-name NAME   the VM's name (default: its image's name)\n"
	"      --vm-vmware      also NAME.vmwarevm there, for VMware Fusion\n"
	"      --vm-parallels   also NAME.hdd and NAME.prlctl.sh, for Parallels\n"
	"\n"
	"Changes to Windows, made to the image in memory before it is applied:\n"
	CLI_SERVICE_HELP
	"\n"
	"Output:\n"
	"  -y, --yes            write a disk without asking for its name to be typed\n"
	"      --unmount        unmount the disk's own mounted file systems first (a\n"
	"                       desktop mounts a stick when it is plugged in); on a\n"
	"                       terminal the confirmation offers it without the option\n"
	"      --speed-check    measure the disk first, as 'wintogo speed' does (its\n"
	"                       write tests included), and print its figures; they\n"
	"                       go into the manifest too (nothing for an image file)\n"
	"      --require-speed  the same, and refuse a disk on which Windows would\n"
	"                       not run well (below 80 MB/s, 2000 IOPS, or an I/O\n"
	"                       slower than 250 ms), before Windows is written\n"
	"      --speed-time SECONDS  how long the speed check takes (default 30)\n"
	"  -H, --host HOST      probe first (see 'wintogo probe'): warn of what the\n"
	"                       disk needs to boot on HOST, refuse one that cannot\n"
	"                       boot there (on Apple Silicon; x64 on a pc-arm64);\n"
	"                       pc-bios writes --partition-table mbr unless given\n"
	"  -f, --force          replace TARGET if it exists; with --host, write even\n"
	"                       a disk that cannot boot there\n"
	"      --dry-run        print the plan and stop\n"
	"  -j, --json           print the plan, progress and result as JSON lines\n"
	"  -q, --quiet          print nothing but errors\n"
	"  -h, --help           show this help and exit\n";

struct write_cli {
	struct write_options opt;
	bool yes;                /* --yes: no typed confirmation for a disk */
	const char *host_name;   /* --host, or NULL */
	struct host host;
	bool dry_run;
	bool json;
	bool quiet;
	bool guided;             /* the answers made the command: ask before a file too */
	bool speed_check;        /* --speed-check (or --require-speed) */
	bool require_speed;
	double speed_seconds;
	struct speed_result speed;
	struct speed_result *speeds;  /* several targets: one each */
};

/* One line typed at a confirmation prompt.  Ctrl-C there: the read is
 * cut short (no SA_RESTART) and the user asked to stop, not answered
 * wrong. */
static int read_answer(struct wtg_ctx *ctx, char *answer, size_t size)
{
	fflush(stderr);
	if (!fgets(answer, (int)size, stdin))
		answer[0] = '\0';
	if (wtg_ctx_aborted(ctx)) {
		fputc('\n', stderr);
		return -WTG_ERR_INTERRUPTED;
	}
	return 0;
}

/* Writing a disk erases it: the user types its name, as on a terminal
 * only, unless --yes. */
static int confirm(struct wtg_ctx *ctx, const struct write_cli *cli, const struct device *d)
{
	char answer[256];
	size_t len;

	if (cli->yes)
		return 0;
	if (!isatty(STDIN_FILENO))
		return log_error(ctx, WTG_ERR_NOT_CONFIRMED, "writing %s erases everything on it; confirm on a terminal, or give --yes",
				 d->path);
	cli_print_disk(d);
	fprintf(stderr, "Everything on %s will be erased. Type its name (%s) to go on: ", d->path,
		d->path);
	if (read_answer(ctx, answer, sizeof(answer)) < 0)
		return -WTG_ERR_INTERRUPTED;
	len = strlen(answer);
	while (len && (answer[len - 1] == '\n' || answer[len - 1] == '\r' || answer[len - 1] == ' '))
		answer[--len] = '\0';
	if (strcmp(answer, d->path) && strcmp(answer, cli->opt.target))
		return log_error(ctx, WTG_ERR_NOT_CONFIRMED, "not confirmed ('%s' is not %s); nothing was written", answer,
				 d->path);
	return 0;
}

/* write --host: probe before anything is written */
static int probe_first(struct wtg_ctx *ctx, struct write_job *job, void *user)
{
	const struct write_cli *cli = user;

	/* the boot manager is read only where the WIM's data is there */
	struct wim_source *source = job->input && source_fetch_bytes(job->input) ? NULL : job->source;

	return cli->host_name ? cli_probe_before_write(ctx, cli->host_name, &cli->host, source,
						       &job->image, cli->opt.image_path,
						       cli->opt.partition_table == LAYOUT_TABLE_MBR, cli->json,
						       cli->opt.force)
			      : 0;
}

/* The guided mode ends with a question for a file target too: the user
 * answered questions, and has not yet said "write". */
static int confirm_file(struct wtg_ctx *ctx, const struct write_cli *cli)
{
	char answer[64];

	if (cli->yes)
		return 0;
	fprintf(stderr, "\nWrite %s now? [y/N] ", cli_text(cli->opt.target));
	if (read_answer(ctx, answer, sizeof(answer)) < 0)
		return -WTG_ERR_INTERRUPTED;
	if (tolower((unsigned char)answer[0]) != 'y')
		return log_error(ctx, WTG_ERR_NOT_CONFIRMED, "not confirmed; nothing was written");
	return 0;
}

/* The refusal of --require-speed, in one line: the verdict and each
 * figure missed. */
static int refuse_slow(struct wtg_ctx *ctx, const char *path, const struct speed_judgement *v)
{
	char *why = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&why, &len);
	int ret;

	for (size_t i = 0; out && i < v->n_reasons; i++)
		fprintf(out, "%s%s %.1f of %.0f", i ? ", " : "", speed_reason_text(v->reasons[i].id),
			v->reasons[i].figure, v->reasons[i].threshold);
	if (out)
		fclose(out);
	ret = log_error(ctx, WTG_ERR_TARGET_TOO_SLOW, "refusing to write %s: %s (%s); nothing of Windows was written (the speed test overwrote parts of it), use a faster disk or leave out --require-speed",
			path, speed_verdict_sentence(v->verdict), why ? why : "");
	free(why);
	return ret;
}

/* write --speed-check: the disk the user has just agreed to erase is
 * measured, write tests and all, before the first byte of Windows. */
static int check_speed(struct wtg_ctx *ctx, struct write_job *job, struct write_cli *cli,
		       struct speed_result *result)
{
	struct speed_options opt = { .seconds = cli->speed_seconds, .allow_write = true,
				     .seed = SPEED_DEFAULT_SEED };
	struct speed_target *t = NULL;
	struct speed_judgement v;
	struct progress_ui ui;
	struct json j;
	int ret;

	if (!job->device) {
		log_info(ctx, "--speed-check: %s is an image file, not a disk; its speed is not measured",
			 job->opt.target);
		return 0;
	}
	ret = speed_open(ctx, job->opt.target, true, cli->opt.image_path, &t);
	if (ret < 0)
		return ret;
	progress_ui_init(&ui, ctx, cli->json, cli->quiet);
	ret = speed_run(ctx, t, &opt, result);
	if (ret < 0)
		progress_ui_abort(&ui);
	else
		progress_ui_finish(&ui);
	speed_close(t);
	if (ret < 0)
		return ret;
	job->speed = result;
	if (cli->json) {
		json_init(&j, stdout, false);
		json_begin_object(&j, NULL);
		json_string(&j, "target", job->opt.target);
		speed_json(&j, result);
		json_end_object(&j);
		json_finish(&j);
	} else if (!cli->quiet) {
		cli_print_speed(job->opt.target, false, opt.seconds, result);
	}
	fflush(stdout);
	speed_judge(result, &v);
	return cli->require_speed && v.verdict != SPEED_WELL ? refuse_slow(ctx, job->device->path, &v) : 0;
}

/* --strategy auto: the disk measured (it is to be erased: confirmed),
 * and the choice said, as the plan would have said it. */
static int choose_strategy(struct wtg_ctx *ctx, struct write_job *job, const struct write_cli *cli)
{
	bool pending = job->strategy == WRITE_STRATEGY_AUTO;
	int ret;

	if (pending && !cli->quiet && !cli->json && !job->speed)
		fprintf(stderr, "Measuring %s's random writes for %.0f s to choose where Windows is built...\n",
			job->opt.target, WRITE_AUTO_SECONDS);
	ret = write_job_choose_strategy(ctx, job);
	if (ret < 0 || !pending)
		return ret;
	cli_print_strategy(job, cli->json, cli->quiet);
	return 0;
}

static int confirm_disk(struct wtg_ctx *ctx, struct write_job *job, void *user)
{
	struct write_cli *cli = user;
	int ret = job->device ? confirm(ctx, cli, job->device) : cli->guided ? confirm_file(ctx, cli) : 0;

	if (!ret)
		ret = write_job_unmount(ctx, job);
	if (!ret && cli->speed_check)
		ret = check_speed(ctx, job, cli, &cli->speed);
	return ret ? ret : choose_strategy(ctx, job, cli);
}

/* Several disks: each shown as for one, then one answer for all, their
 * names as given, in order and separated by spaces. */
static int confirm_disks(struct wtg_ctx *ctx, struct write_target *targets, size_t n, struct write_cli *cli)
{
	char answer[4096], *names = NULL;
	size_t disks = 0, len = 0;
	FILE *list = open_memstream(&names, &len);
	int ret = 0;

	for (size_t i = 0; i < n; i++) {
		const struct device *d = targets[i].job->device;

		if (!d)
			continue;
		fprintf(list, "%s%s", disks++ ? " " : "", targets[i].job->opt.target);
		if (cli->yes || !isatty(STDIN_FILENO))
			continue;
		cli_print_disk(d);
	}
	fclose(list);
	if (!disks || cli->yes)
		goto out;
	if (!isatty(STDIN_FILENO)) {
		ret = log_error(ctx, WTG_ERR_NOT_CONFIRMED, "writing %s erases everything on them; confirm on a terminal, or give --yes",
				names);
		goto out;
	}
	fprintf(stderr, "Everything on these %zu disks will be erased. Type their names (%s) to go on: ", disks,
		names);
	ret = read_answer(ctx, answer, sizeof(answer));
	len = strlen(answer);
	while (!ret && len && (answer[len - 1] == '\n' || answer[len - 1] == '\r' || answer[len - 1] == ' '))
		answer[--len] = '\0';
	if (!ret && strcmp(answer, names))
		ret = log_error(ctx, WTG_ERR_NOT_CONFIRMED, "not confirmed ('%s' is not '%s'); nothing was written",
				answer, names);
out:
	free(names);
	return ret;
}

static int confirm_batch(struct wtg_ctx *ctx, struct write_target *targets, size_t n, void *user)
{
	struct write_cli *cli = user;
	int ret = confirm_disks(ctx, targets, n, cli);

	for (size_t i = 0; i < n && !ret; i++)
		ret = write_job_unmount(targets[i].ctx, targets[i].job);

	/* each disk measured in turn: the tests would slow each other down */
	for (size_t i = 0; i < n && !ret && cli->speed_check; i++) {
		if (!cli->speeds)
			cli->speeds = xcalloc(n, sizeof(*cli->speeds));
		ret = check_speed(targets[i].ctx, targets[i].job, cli, &cli->speeds[i]);
	}
	return ret;
}


static int run(struct wtg_ctx *ctx, struct write_cli *cli)
{
	struct cli_job_steps steps = {
		.json = cli->json, .quiet = cli->quiet, .dry_run = cli->dry_run,
		.planned = probe_first, .confirm = confirm_disk, .user = cli,
	};

	return cli_run_job(ctx, &cli->opt, &steps);
}

static int run_batch(struct wtg_ctx *ctx, struct write_cli *cli, const char *const *targets, size_t n)
{
	struct cli_batch_steps steps = {
		.json = cli->json, .quiet = cli->quiet, .dry_run = cli->dry_run,
		.planned = probe_first, .confirm = confirm_batch, .user = cli,
	};
	int ret = cli_run_batch(ctx, &cli->opt, targets, n, &steps);

	free(cli->speeds);
	return ret;
}


enum {
	OPT_DRY_RUN = CLI_OPT_FIRST_OWN,
	OPT_VM_PARTITION,
	OPT_VM_IMAGE,
	OPT_VM_INDEX,
	OPT_VM_NAME,
	OPT_VM_VMWARE,
	OPT_VM_PARALLELS,
	OPT_SPEED_CHECK,
	OPT_REQUIRE_SPEED,
	OPT_SPEED_TIME,
	OPT_STAGE,
	OPT_FILL_GAPS,
	OPT_VHDX,
	OPT_VHDX_SIZE,
	OPT_UNMOUNT,
	OPT_STRATEGY,
	OPT_DIRECT,
};

/* --vm-image, --vm-index and --vm-name say what goes into --vm-partition. */
static int check_vm_options(const struct write_cli *cli)
{
	const struct vmpart_options *v = &cli->opt.vm_partition;

	if (!v->enabled && (v->image_path || v->index || v->vm_name || v->vmware || v->parallels))
		return cli_usage_error("write", "%s is for --vm-partition: give it too",
				       v->image_path ? "--vm-image" : v->index ? "--vm-index" : v->vm_name ? "--vm-name"
				       : v->vmware ? "--vm-vmware" : "--vm-parallels");
	if (v->index && !v->image_path)
		return cli_usage_error("write", "--vm-index chooses the image of --vm-image; the stick's image is chosen with --index");
	return 0;
}

int cmd_write(struct wtg_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_IMAGE_OPTIONS,
		CLI_SERVICE_OPTIONS,
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "speed-check", no_argument, NULL, OPT_SPEED_CHECK },
		{ "require-speed", no_argument, NULL, OPT_REQUIRE_SPEED },
		{ "speed-time", required_argument, NULL, OPT_SPEED_TIME },
		{ "stage", required_argument, NULL, OPT_STAGE },
		{ "strategy", required_argument, NULL, OPT_STRATEGY },
		{ "direct", no_argument, NULL, OPT_DIRECT },
		{ "fill-gaps", required_argument, NULL, OPT_FILL_GAPS },
		{ "vhdx", optional_argument, NULL, OPT_VHDX },
		{ "vhdx-size", required_argument, NULL, OPT_VHDX_SIZE },
		{ "unmount", no_argument, NULL, OPT_UNMOUNT },
		{ "vm-partition", optional_argument, NULL, OPT_VM_PARTITION },
		{ "vm-image", required_argument, NULL, OPT_VM_IMAGE },
		{ "vm-index", required_argument, NULL, OPT_VM_INDEX },
		{ "vm-name", required_argument, NULL, OPT_VM_NAME },
		{ "vm-vmware", no_argument, NULL, OPT_VM_VMWARE },
		{ "vm-parallels", no_argument, NULL, OPT_VM_PARALLELS },
		{ "yes", no_argument, NULL, 'y' },
		{ "host", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	/* a Windows To Go keeps the PC's own disks offline and boots from USB */
	struct cli_guided guided = { 0 };
	bool san_policy_given = false, table_given = false;
	struct write_cli cli = { .opt.tool = "wintogo " WINTOGO_VERSION, .opt.allow_device = true,
				 .opt.service = { .san_policy = SAN_POLICY_OFFLINE_INTERNAL,
						  .usb_boot_flags = true },
				 .opt.fill_gaps = WRITE_FILL_GAPS_DEFAULT,
				 .speed_seconds = SPEED_DEFAULT_SECONDS };
	uint64_t n;
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, CLI_IMAGE_SHORTOPTS "yH:jqh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_DRY_RUN:
			cli.dry_run = true;
			break;
		case OPT_REQUIRE_SPEED:
			cli.require_speed = true;
			/* requiring a speed measures it */
			__attribute__((fallthrough));
		case OPT_SPEED_CHECK:
			cli.speed_check = true;
			break;
		case OPT_SPEED_TIME:
			if (parse_uint(optarg, SPEED_MAX_SECONDS, &n) < 0 || n == 0)
				return cli_bad_value("write", "--speed-time", optarg, "whole seconds from 1 to 3600");
			cli.speed_seconds = (double)n;
			break;
		case OPT_STAGE:
			if (strcmp(optarg, "tight") && strcmp(optarg, "full"))
				return cli_bad_value("write", "--stage", optarg, "tight or full");
			cli.opt.full_stage = !strcmp(optarg, "full");
			break;
		case OPT_STRATEGY:
			if (!strcmp(optarg, "stage"))
				cli.opt.strategy = WRITE_STRATEGY_STAGE;
			else if (!strcmp(optarg, "direct"))
				cli.opt.strategy = WRITE_STRATEGY_DIRECT;
			else if (!strcmp(optarg, "auto"))
				cli.opt.strategy = WRITE_STRATEGY_AUTO;
			else
				return cli_bad_value("write", "--strategy", optarg, "stage, direct or auto");
			break;
		case OPT_DIRECT:
			cli.opt.strategy = WRITE_STRATEGY_DIRECT;
			break;
		case OPT_FILL_GAPS:
			if (parse_size(optarg, &cli.opt.fill_gaps) < 0 || cli.opt.fill_gaps > WRITE_FILL_GAPS_MAX)
				return cli_bad_value("write", "--fill-gaps", optarg, "a size from 0 (off) to 64M, such as 1M or 256K");
			break;
		case OPT_VHDX:
			cli.opt.vhdx.mode = VHDX_BOOT_FIXED;
			if (optarg && vhdx_boot_mode_parse(optarg, &cli.opt.vhdx.mode) < 0)
				return cli_bad_value("write", "--vhdx", optarg, "fixed or dynamic");
			break;
		case OPT_VHDX_SIZE:
			if (parse_size(optarg, &cli.opt.vhdx.virtual_bytes) < 0 || !cli.opt.vhdx.virtual_bytes ||
			    cli.opt.vhdx.virtual_bytes % MIB)
				return cli_bad_value("write", "--vhdx-size", optarg, "a size in whole MiB such as 32G or 20000M");
			break;
		case OPT_VM_PARTITION:
			cli.opt.vm_partition.enabled = true;
			if (optarg && (parse_size(optarg, &cli.opt.vm_partition.bytes) < 0 ||
				       !cli.opt.vm_partition.bytes))
				return cli_bad_value("write", "--vm-partition", optarg, "a size such as 16G or 20000M");
			break;
		case OPT_VM_IMAGE:
			cli.opt.vm_partition.image_path = optarg;
			break;
		case OPT_VM_INDEX:
			if (parse_uint(optarg, 65535, &n) < 0 || n == 0)
				return cli_bad_value("write", "--vm-index", optarg, "an image number from 1 (see 'wintogo info')");
			cli.opt.vm_partition.index = (int)n;
			break;
		case OPT_VM_NAME:
			cli.opt.vm_partition.vm_name = optarg;
			break;
		case OPT_VM_VMWARE:
			cli.opt.vm_partition.vmware = true;
			break;
		case OPT_VM_PARALLELS:
			cli.opt.vm_partition.parallels = true;
			break;
		case 'y':
			cli.yes = true;
			break;
		case OPT_UNMOUNT:
			cli.opt.unmount = true;
			break;
		case 'H':
			if (cli_parse_host(ctx, "write", optarg, &cli.host) != 0)
				return EXIT_USAGE;
			cli.host_name = optarg;
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
			san_policy_given |= c == CLI_OPT_SAN_POLICY;
			table_given |= c == CLI_OPT_PARTITION_TABLE;
			ret = cli_write_option(ctx, c, optarg, "write", &cli.opt);
			if (ret != 0)
				return ret == 1 ? EXIT_USAGE : cli_usage_hint("write");
		}
	}
	if (cli_write_options_conflict("write", &cli.opt) || check_vm_options(&cli))
		return EXIT_USAGE;
	/* a disk for a BIOS PC is an MBR disk, unless the table was chosen */
	if (cli.host_name && cli.host.kind == HOST_PC_BIOS && !table_given)
		cli.opt.partition_table = LAYOUT_TABLE_MBR;
	if (cli.opt.vhdx.virtual_bytes && !cli.opt.vhdx.mode)
		return cli_usage_error("write", "--vhdx-size is for --vhdx: give it too");
	if (cli.opt.vhdx.mode && cli.opt.vm_partition.enabled)
		return cli_usage_error("write", "--vhdx and --vm-partition cannot be combined yet; write one of them");
	/* on a terminal, typing the disk's name confirms the unmount too */
	if (!cli.yes && isatty(STDIN_FILENO))
		cli.opt.unmount = true;
	cli_report_set(ctx, cli.json, cli.quiet);
	if (argc - optind == 2) {
		cli.opt.image_path = argv[optind];
		cli.opt.target = argv[optind + 1];
		return run(ctx, &cli);
	}
	if (argc - optind > 2) {
		cli.opt.image_path = argv[optind];
		return run_batch(ctx, &cli, (const char *const *)argv + optind + 1, (size_t)(argc - optind - 1));
	}
	/* a script gets the usage error; a person at a terminal, questions */
	if (!cli_guided_possible())
		return cli_usage_error("write", "IMAGE and TARGET are needed");
	cli.opt.image_path = argc - optind == 1 ? argv[optind] : NULL;
	cli.guided = true;
	ret = cli_guided_write(ctx, &guided, &cli.opt, argv + 1, optind - 1, san_policy_given);
	if (ret == 0)
		ret = run(ctx, &cli);
	else
		ret = EXIT_FAILED;  /* 130 after Ctrl-C: see cli_report_finish */
	cli_guided_release(&guided);
	return ret;
}
