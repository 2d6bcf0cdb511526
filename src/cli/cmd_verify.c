/* cmd_verify.c - `wintogo verify TARGET`: a disk wintogo wrote, checked
 * again against its manifest. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/cli.h"
#include "wintogo/input.h"
#include "wintogo/json.h"
#include "wintogo/log.h"
#include "wintogo/manifest.h"
#include "wintogo/util.h"
#include "wintogo/verify.h"

static const char help[] =
	"Usage: wintogo verify [OPTIONS] TARGET\n"
	"\n"
	"Check TARGET, a disk or disk image that 'wintogo write' wrote, against\n"
	"the manifest written with it: read every block back, past the page\n"
	"cache, and compare its SHA-256.  The manifest is read from TARGET's\n"
	"EFI system partition (\\wintogo\\manifest.json).\n"
	"\n"
	"Options:\n"
	"  -m, --manifest FILE  check against FILE instead (for example the\n"
	"                       TARGET.manifest.json written next to an image)\n"
	"  -j, --json           print the result as one JSON document\n"
	"  -q, --quiet          print nothing but errors\n"
	"  -h, --help           show this help and exit\n";

struct verify_cli {
	const char *target;
	const char *manifest;   /* NULL: from the ESP */
	bool json;
	bool quiet;
};

static void result_json(struct wtg_ctx *ctx, const struct verify_cli *cli,
			const struct manifest *m, const struct verify_report *r)
{
	uint64_t rel;
	struct json j;

	json_init(&j, stdout, true);
	json_begin_object(&j, NULL);
	json_string(&j, "target", cli->target);
	json_string(&j, "manifest", cli->manifest ? cli->manifest : "esp");
	manifest_json_origin(&j, m);
	json_uint(&j, "blocks", m->blocks.count);
	json_uint(&j, "bytes", r->bytes);
	json_string(&j, "result", r->n_bad ? "mismatch" : "ok");
	json_begin_array(&j, "mismatches");
	for (size_t i = 0; i < r->n_bad; i++) {
		const struct block *b = &m->blocks.items[r->bad[i]];

		json_begin_object(&j, NULL);
		json_uint(&j, "offset", b->offset);
		json_uint(&j, "length", b->length);
		json_string(&j, "partition", manifest_where(m, b->offset, &rel));
		json_uint(&j, "partition_offset", rel);
		json_end_object(&j);
	}
	json_end_array(&j);
	if (r->n_bad)
		cli_report_json_error(ctx, &j);
	json_end_object(&j);
	json_finish(&j);
}

static void describe(const struct verify_cli *cli, const struct manifest *m)
{
	char hex[SHA256_HEX_MAX], size[SIZE_TEXT_MAX];

	if (cli->manifest)
		printf("Manifest %s", cli->manifest);
	else
		printf("Manifest \\wintogo\\manifest.json on the ESP of %s", cli->target);
	/* the manifest is read from the disk: its strings are anyone's */
	printf(", written %s by %s\n", m->date ? cli_text(m->date) : "?", m->tool ? cli_text(m->tool) : "?");
	printf("  image %d of %s, \"%s\", SHA-256 %s\n", m->image_index,
	       m->image_path ? cli_text(m->image_path) : "?", m->image_name ? cli_text(m->image_name) : "?",
	       m->image_hashed ? sha256_hex(m->image_sha256, hex) : "not checked when written");
	printf("  %s in %zu blocks to read back\n", format_size(m->blocks.bytes, size),
	       m->blocks.count);
	fflush(stdout);
}

static int run(struct wtg_ctx *ctx, const struct verify_cli *cli)
{
	struct manifest m = { 0 };
	struct readback rb = { .fd = -1 };
	struct verify_report report = { 0 };
	struct progress_ui ui;
	char a[SIZE_TEXT_MAX], b[SIZE_TEXT_MAX];
	uint64_t esp_offset, rel;
	int status = EXIT_FAILED;

	/* the manifest would be looked for in it, and not found for a reason
	 * the user cannot act on */
	if (input_kind_of(cli->target) == INPUT_DIRECTORY) {
		log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is a folder; give a disk or disk image that wintogo wrote",
			  cli->target);
		goto out;
	}
	if ((cli->manifest ? manifest_read_file(ctx, cli->manifest, &m)
			   : manifest_read_disk(ctx, cli->target, &m, &esp_offset)) < 0)
		goto out;
	/* with --manifest too: every block would differ, but the news is that
	 * the write never finished */
	if (cli->manifest && layout_is_blank(cli->target)) {
		log_error(ctx, WTG_ERR_NOT_BOOTABLE, "'%s' has " LAYOUT_BLANK_ADVICE, cli->target);
		goto out;
	}
	if (verify_open(ctx, cli->target, &rb) < 0)
		goto out;
	if (rb.size < m.disk_bytes) {
		log_error(ctx, WTG_ERR_DISK_CHANGED, "'%s' is %s, the disk written was %s; is it the disk of this manifest?",
			  cli->target, format_size(rb.size, a), format_size(m.disk_bytes, b));
		goto out;
	}
	if (!cli->json && !cli->quiet)
		describe(cli, &m);
	progress_ui_init(&ui, ctx, false, cli->json || cli->quiet);
	if (verify_blocks(ctx, &rb, &m.blocks, &report) < 0) {
		progress_ui_abort(&ui);
		goto out;
	}
	progress_ui_finish(&ui);
	for (size_t i = 0; i < report.n_bad; i++) {
		const struct block *bad = &m.blocks.items[report.bad[i]];
		const char *part = manifest_where(&m, bad->offset, &rel);

		log_error(ctx, WTG_ERR_READBACK_MISMATCH, "'%s' differs from what was written in bytes %llu to %llu (%s partition, its bytes %llu to %llu); the disk has changed or is failing",
			  cli->target, (unsigned long long)bad->offset,
			  (unsigned long long)(bad->offset + bad->length - 1), part,
			  (unsigned long long)rel, (unsigned long long)(rel + bad->length - 1));
	}
	if (cli->json)
		result_json(ctx, cli, &m, &report);
	else if (!cli->quiet && !report.n_bad)
		printf("OK: %s holds every byte as it was written (%s in %zu blocks)\n", cli->target,
		       format_size(report.bytes, a), m.blocks.count);
	status = report.n_bad ? EXIT_FAILED : EXIT_OK;
out:
	verify_report_release(&report);
	verify_close(&rb);
	manifest_release(&m);
	return status;
}

int cmd_verify(struct wtg_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "manifest", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct verify_cli cli = { 0 };
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "m:jqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			cli.manifest = optarg;
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
			return cli_usage_hint("verify");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("verify", argc == optind ? "TARGET is missing" : "too many arguments");
	cli.target = argv[optind];
	cli_report_set(ctx, cli.json, cli.quiet);
	return run(ctx, &cli);
}
