/* cmd_speed.c - `wintogo speed DISK`: is this stick fast enough for
 * Windows?  The measurement and the verdict are speed.h's; this file asks
 * before the write tests and prints the figures. */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/cli.h"
#include "wintogo/json.h"
#include "wintogo/log.h"
#include "wintogo/speed.h"
#include "wintogo/util.h"

static const char help[] =
	"Usage: wintogo speed [OPTIONS] DISK\n"
	"\n"
	"Measure DISK (see 'wintogo list'; or a regular file) with O_DIRECT:\n"
	"sequential reads and writes (MB/s), random 4 KiB reads and writes (IOPS,\n"
	"latency p50/p99/max), against what Windows To Go needs: 80 MB/s, 2000\n"
	"IOPS each, no I/O slower than 250 ms.  Says whether Windows will run\n"
	"well, slowly or painfully from it.\n"
	"\n"
	"The write tests overwrite parts of DISK with random data: everything on\n"
	"it is lost.  On a terminal wintogo asks for DISK's name to be typed;\n"
	"--yes skips that, --read-only measures reads alone and writes nothing.\n"
	"\n"
	"Options:\n"
	"      --read-only      only the read tests; DISK is never opened for writing\n"
	"  -y, --yes            run the write tests without asking\n"
	"      --time SECONDS   the whole measurement's time, shared by the tests\n"
	"                       (default 30, at most 3600)\n"
	"      --seed N         the random offsets and data (default: always the same)\n"
	"  -j, --json           print the figures as one JSON document\n"
	"  -q, --quiet          print nothing but errors (the exit status stays 0)\n"
	"  -h, --help           show this help and exit\n"
	"\n"
	"Exit status: 0 measured, whatever the verdict; 1 refused or failed;\n"
	"2 usage error; 130 interrupted.\n";

struct speed_cli {
	const char *target;
	struct speed_options opt;
	bool yes, json, quiet;
};

/* The write tests destroy what is on the disk: the user types its name,
 * on a terminal only, unless --yes. */
static int confirm(struct wtg_ctx *ctx, const struct speed_cli *cli, const struct speed_target *t)
{
	const struct device *d = t->device;
	const char *name = d ? d->path : t->path;
	char answer[256];
	size_t len;

	if (cli->yes)
		return 0;
	if (!isatty(STDIN_FILENO))
		return log_error(ctx, WTG_ERR_NOT_CONFIRMED, "the write tests erase %s; confirm on a terminal, give --yes, or measure with --read-only",
				 cli_text(name));
	if (d)
		cli_print_disk(d);
	fprintf(stderr, "The write tests overwrite %s with random data; everything on it is lost. Type its name (%s) to go on: ",
		cli_text(name), cli_text(name));
	fflush(stderr);
	if (!fgets(answer, (int)sizeof(answer), stdin))
		answer[0] = '\0';
	if (wtg_ctx_aborted(ctx)) {
		fputc('\n', stderr);
		return -WTG_ERR_INTERRUPTED;
	}
	len = strlen(answer);
	while (len && isspace((unsigned char)answer[len - 1]))
		answer[--len] = '\0';
	if (strcmp(answer, name) && strcmp(answer, cli->target))
		return log_error(ctx, WTG_ERR_NOT_CONFIRMED, "not confirmed ('%s' is not %s); nothing was measured",
				 cli_text(answer), cli_text(name));
	return 0;
}

static void print_json(const struct speed_cli *cli, const struct speed_target *t, const struct speed_result *r)
{
	struct json j;

	json_init(&j, stdout, true);
	json_begin_object(&j, NULL);
	json_string(&j, "target", cli->target);
	json_string(&j, "kind", t->is_file ? "file" : "disk");
	json_bool(&j, "read_only", !cli->opt.allow_write);
	speed_json(&j, r);
	json_end_object(&j);
	json_finish(&j);
}

static int run(struct wtg_ctx *ctx, struct speed_cli *cli)
{
	struct speed_target *t = NULL;
	struct speed_result result;
	struct progress_ui ui;
	int ret;

	ret = speed_open(ctx, cli->target, cli->opt.allow_write, NULL, &t);
	if (!ret && cli->opt.allow_write)
		ret = confirm(ctx, cli, t);
	if (ret < 0)
		goto out;
	progress_ui_init(&ui, ctx, false, cli->json || cli->quiet);
	ret = speed_run(ctx, t, &cli->opt, &result);
	if (ret < 0) {
		progress_ui_abort(&ui);
		goto out;
	}
	progress_ui_finish(&ui);
	if (cli->json)
		print_json(cli, t, &result);
	else if (!cli->quiet)
		cli_print_speed(cli->target, t->is_file, cli->opt.seconds, &result);
out:
	speed_close(t);
	return ret < 0 ? EXIT_FAILED : EXIT_OK;
}

enum { OPT_SEED = CLI_OPT_FIRST_OWN, OPT_READ_ONLY, OPT_TIME };

int cmd_speed(struct wtg_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "yes", no_argument, NULL, 'y' },
		{ "time", required_argument, NULL, OPT_TIME },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct speed_cli cli = { .opt = { .seconds = SPEED_DEFAULT_SECONDS, .allow_write = true,
					  .seed = SPEED_DEFAULT_SEED } };
	uint64_t n;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "yjqh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_READ_ONLY:
			cli.opt.allow_write = false;
			break;
		case 'y':
			cli.yes = true;
			break;
		case OPT_TIME:
			if (parse_uint(optarg, SPEED_MAX_SECONDS, &n) < 0 || n == 0)
				return cli_bad_value("speed", "--time", optarg, "whole seconds from 1 to 3600");
			cli.opt.seconds = (double)n;
			break;
		case OPT_SEED:
			if (parse_uint(optarg, UINT64_MAX, &cli.opt.seed) < 0)
				return cli_bad_value("speed", "--seed", optarg, "a whole number");
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
			return cli_usage_hint("speed");
		}
	}
	if (argc - optind == 0)
		return cli_usage_error("speed", "DISK is needed (see 'wintogo list')");
	if (argc - optind > 1)
		return cli_usage_error("speed", "too many arguments");
	if (cli.yes && !cli.opt.allow_write)
		return cli_usage_error("speed", "--read-only writes nothing: --yes has nothing to confirm");
	cli_report_set(ctx, cli.json, cli.quiet);
	cli.target = argv[optind];
	return run(ctx, &cli);
}
