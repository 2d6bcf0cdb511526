/* cmd_write.c - `wintogo write IMAGE TARGET`: a bootable Windows To Go disk. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/cancel.h"
#include "wintogo/cli.h"
#include "wintogo/json.h"
#include "wintogo/log.h"
#include "wintogo/util.h"
#include "wintogo/write.h"

static const char help[] =
	"Usage: wintogo write [OPTIONS] IMAGE TARGET\n"
	"\n"
	"Write image IMAGE (a WIM, ESD or split SWM set) to TARGET, a disk image\n"
	"file, as a UEFI-bootable Windows To Go disk: GPT with an EFI system\n"
	"partition (FAT32), an MSR and a Windows partition (NTFS).  IMAGE can\n"
	"also be a VHDX: the Windows installed on it is captured and applied.\n"
	"\n"
	"Options:\n"
	"  -i, --index N        apply image N of IMAGE (see 'wintogo info')\n"
	"  -n, --name NAME      apply the image called NAME\n"
	"  -s, --size SIZE      size of the disk image, e.g. 32G or 64000M\n"
	"                       (default: the image + 20 %, ESP and MSR, in whole GiB)\n"
	"      --esp-size SIZE  size of the EFI system partition (default 260M)\n"
	"      --seed N         derive the disk and partition GUIDs from N, so that\n"
	"                       every run gives the same disk\n"
	"      --tmpdir DIR     build the partitions in DIR (default $TMPDIR, else\n"
	"                       /var/tmp)\n"
	"      --locale LOCALE  boot menu language, e.g. de-DE (default: the image's)\n"
	"      --bcd-from-scratch  build the BCD store from an empty hive, not from\n"
	"                       the image's BCD-Template\n"
	"  -f, --force          replace TARGET if it exists\n"
	"      --dry-run        print the plan and stop\n"
	"  -j, --json           print the plan, progress and result as JSON lines\n"
	"  -q, --quiet          print nothing but errors\n"
	"  -h, --help           show this help and exit\n";

struct write_cli {
	struct write_options opt;
	bool dry_run;
	bool json;
	bool quiet;
};

static int run(struct write_cli *cli)
{
	struct write_job *job = NULL;
	struct write_result result;
	struct progress_ui ui;
	struct progress_sink progress = { progress_ui_update, &ui };
	int ret;

	cancel_install_handlers();
	if (write_job_prepare(&cli->opt, &job) < 0)
		return EXIT_FAILED;
	if (!cli->quiet || cli->json)
		cli_print_plan(job, cli->json);
	if (cli->dry_run) {
		write_job_free(job);
		return EXIT_OK;
	}
	progress_ui_init(&ui, cli->json, cli->quiet);
	ret = write_job_run(job, &progress, &result);
	if (ret == 0)
		progress_ui_finish(&ui);
	else
		progress_ui_abort(&ui);
	if (ret == 0 && (!cli->quiet || cli->json))
		cli_print_result(job, &result, cli->json);
	write_job_free(job);
	return ret == 0 ? EXIT_OK : EXIT_FAILED;
}


enum { OPT_DRY_RUN = CLI_OPT_FIRST_OWN };

int cmd_write(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_IMAGE_OPTIONS,
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct write_cli cli = { 0 };
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+" CLI_IMAGE_SHORTOPTS "jqh", longopts, NULL)) != -1) {
		switch (c) {
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
			ret = cli_image_option(c, optarg, "write", &cli.opt);
			if (ret != 0)
				return ret == 1 ? EXIT_USAGE : cli_usage_hint("write");
		}
	}
	if (cli.opt.index && cli.opt.name)
		return cli_usage_error("write", "give --index or --name, not both");
	if (argc - optind != 2)
		return cli_usage_error("write", argc - optind < 2 ? "IMAGE and TARGET are needed"
								  : "too many arguments");
	cli.opt.image_path = argv[optind];
	cli.opt.target = argv[optind + 1];
	log_set_quiet(cli.quiet);
	return run(&cli);
}
