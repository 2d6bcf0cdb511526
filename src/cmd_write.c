/* cmd_write.c - `wintogo write IMAGE TARGET`: a bootable Windows To Go disk. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/cancel.h"
#include "wintogo/cli.h"
#include "wintogo/host.h"
#include "wintogo/json.h"
#include "wintogo/log.h"
#include "wintogo/util.h"
#include "wintogo/write.h"

static const char help[] =
	"Usage: wintogo write [OPTIONS] IMAGE TARGET\n"
	"\n"
	"Write image IMAGE (a WIM, ESD or split SWM set) to TARGET, a disk image\n"
	"file, as a UEFI-bootable Windows To Go disk: GPT with an EFI system\n"
	"partition (FAT32), an MSR and a Windows partition (NTFS).\n"
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
	"      --host HOST      probe first (see 'wintogo probe'): warn of what the\n"
	"                       disk needs to boot on HOST, refuse one that cannot\n"
	"                       boot there (such as on Apple Silicon)\n"
	"  -f, --force          replace TARGET if it exists; with --host, write even\n"
	"                       a disk that cannot boot there\n"
	"      --dry-run        print the plan and stop\n"
	"  -j, --json           print the plan, progress and result as JSON lines\n"
	"  -q, --quiet          print nothing but errors\n"
	"  -h, --help           show this help and exit\n";

struct write_cli {
	struct write_options opt;
	const char *host_name;   /* --host, or NULL */
	struct host host;
	bool dry_run;
	bool json;
	bool quiet;
};

static void plan_json(const struct write_job *job)
{
	const struct layout *l = &job->layout;
	static const char *const fs[PART_COUNT] = { "vfat", NULL, "ntfs" };
	char guid[GUID_STR_LEN];
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
	json_end_object(&j);
	guid_format(&l->disk_guid, guid);
	json_begin_object(&j, "disk");
	json_string(&j, "label", "gpt");
	json_uint(&j, "size", l->disk_bytes);
	json_uint(&j, "min_size", job->min_disk_bytes);
	json_uint(&j, "sector_size", l->sector_size);
	json_string(&j, "guid", guid);
	json_end_object(&j);
	json_begin_array(&j, "partitions");
	for (int i = 0; i < PART_COUNT; i++) {
		const struct layout_partition *p = &l->parts[i];

		guid_format(&p->uuid, guid);
		json_begin_object(&j, NULL);
		json_uint(&j, "number", i + 1);
		json_string(&j, "role", p->role);
		json_string(&j, "name", p->name);
		json_string(&j, "type", p->type_guid);
		json_string(&j, "guid", guid);
		json_string(&j, "filesystem", fs[i]);
		json_uint(&j, "start_lba", p->start);
		json_uint(&j, "sectors", p->sectors);
		json_uint(&j, "offset", layout_offset(l, i));
		json_uint(&j, "size", layout_bytes(l, i));
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_end_object(&j);
	json_finish(&j);
}

static void plan_text(const struct write_job *job)
{
	const struct layout *l = &job->layout;
	static const char *const fs[PART_COUNT] = { "FAT32", "-", "NTFS" };
	char a[SIZE_TEXT_MAX], b[SIZE_TEXT_MAX], guid[GUID_STR_LEN];

	printf("Plan: image %d of %s, \"%s\" (%s, build %u, %s of files)\n", job->image.index,
	       job->opt.image_path, job->image.name, wim_arch_name(job->image.arch),
	       job->image.build, format_size(job->image.expanded_size, a));
	guid_format(&l->disk_guid, guid);
	printf("  onto %s: %s, GPT, %u-byte sectors, disk GUID %s\n", job->opt.target,
	       format_size(l->disk_bytes, b), l->sector_size, guid);
	printf("  %-2s %-8s %-6s %12s %12s  %s\n", "#", "ROLE", "FS", "START", "SIZE", "GUID");
	for (int i = 0; i < PART_COUNT; i++) {
		guid_format(&l->parts[i].uuid, guid);
		printf("  %-2d %-8s %-6s %12s %12s  %s\n", i + 1, l->parts[i].role, fs[i],
		       format_size(layout_offset(l, i), a), format_size(layout_bytes(l, i), b), guid);
	}
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
	json_double(&j, "seconds", r->seconds);
	json_end_object(&j);
	json_end_object(&j);
	json_finish(&j);
}

static int run(struct write_cli *cli)
{
	struct write_job *job = NULL;
	struct write_result result;
	struct progress_ui ui;
	struct progress_sink progress = { progress_ui_update, &ui };
	char size[SIZE_TEXT_MAX];
	int ret;

	cancel_install_handlers();
	if (write_job_prepare(&cli->opt, &job) < 0)
		return EXIT_FAILED;
	if (cli->host_name && cli_probe_before_write(cli->host_name, &cli->host, &job->image,
						     cli->opt.image_path, cli->json, cli->opt.force) < 0) {
		write_job_free(job);
		return EXIT_FAILED;
	}
	if (cli->json)
		plan_json(job);
	else if (!cli->quiet)
		plan_text(job);
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
	if (ret == 0) {
		if (cli->json)
			result_json(job, &result);
		else if (!cli->quiet)
			printf("Wrote %s: %s of data in %zu extents, %.1f s\n", job->opt.target,
			       format_size(result.bytes_written, size), result.extents, result.seconds);
	}
	write_job_free(job);
	return ret == 0 ? EXIT_OK : EXIT_FAILED;
}

/* A language tag as Windows names its locales: "en-US", "sr-Latn-RS". */
static bool valid_locale(const char *s)
{
	size_t len = strlen(s);

	if (len < 2 || len > 16)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

enum { OPT_ESP_SIZE = 256, OPT_SEED, OPT_TMPDIR, OPT_DRY_RUN, OPT_LOCALE, OPT_BCD_FROM_SCRATCH, OPT_HOST };

int cmd_write(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "index", required_argument, NULL, 'i' },
		{ "name", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "esp-size", required_argument, NULL, OPT_ESP_SIZE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
		{ "locale", required_argument, NULL, OPT_LOCALE },
		{ "bcd-from-scratch", no_argument, NULL, OPT_BCD_FROM_SCRATCH },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "force", no_argument, NULL, 'f' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct write_cli cli = { 0 };
	uint64_t n;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "+i:n:s:fjqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_uint(optarg, 65535, &n) < 0 || n == 0)
				return cli_usage_error("write", "--index wants an image number from 1, not '%s'", optarg);
			cli.opt.index = (int)n;
			break;
		case 'n':
			cli.opt.name = optarg;
			break;
		case 's':
			if (parse_size(optarg, &cli.opt.disk_bytes) < 0 || !cli.opt.disk_bytes)
				return cli_usage_error("write", "--size wants a size such as 32G or 64000M, not '%s'", optarg);
			break;
		case OPT_ESP_SIZE:
			if (parse_size(optarg, &cli.opt.esp_bytes) < 0 || !cli.opt.esp_bytes)
				return cli_usage_error("write", "--esp-size wants a size such as 260M, not '%s'", optarg);
			break;
		case OPT_SEED:
			if (parse_uint(optarg, UINT64_MAX, &cli.opt.seed) < 0)
				return cli_usage_error("write", "--seed wants a whole number, not '%s'", optarg);
			cli.opt.seeded = true;
			break;
		case OPT_TMPDIR:
			cli.opt.tmpdir = optarg;
			break;
		case OPT_LOCALE:
			if (!valid_locale(optarg))
				return cli_usage_error("write", "--locale wants a language tag such as en-US, not '%s'", optarg);
			cli.opt.locale = optarg;
			break;
		case OPT_BCD_FROM_SCRATCH:
			cli.opt.bcd_from_scratch = true;
			break;
		case OPT_HOST:
			if (cli_parse_host("write", optarg, &cli.host) != 0)
				return EXIT_USAGE;
			cli.host_name = optarg;
			break;
		case 'f':
			cli.opt.force = true;
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
			return cli_usage_hint("write");
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
