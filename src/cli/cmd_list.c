/* cmd_list.c - `wintogo list`: the disks that could be targets, and why
 * each is or is not safe to write. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/cli.h"
#include "wintogo/devices.h"
#include "wintogo/json.h"
#include "wintogo/layout.h"
#include "wintogo/util.h"
#include "wintogo/wim.h"

static const char help[] =
	"Usage: wintogo list [OPTIONS]\n"
	"\n"
	"List the disks that could take a Windows To Go disk: USB, MMC and\n"
	"removable disks by default, with size, transport, model, serial,\n"
	"partitions and what is mounted, and a verdict for each: ok, or why\n"
	"wintogo refuses it.\n"
	"\n"
	"Options:\n"
	"  -a, --all              show every disk, internal ones too\n"
	"      --image IMAGE      also refuse disks too small for IMAGE, or holding it\n"
	"  -i, --index N          with --image: the image to size for (default 1)\n"
	"  -j, --json             print one JSON document\n"
	"      --sysfs-root DIR   read sysfs from DIR (tests; default /sys)\n"
	"      --dev-root DIR     device nodes are in DIR (default /dev)\n"
	"      --proc-root DIR    read mountinfo and swaps from DIR (default /proc)\n"
	"  -h, --help             show this help and exit\n";

/* Windows before 10 1703 mounts only the first partition of a disk that
 * says it is removable: such a stick boots but may not see its data. */
#define REMOVABLE_NOTE "removable-bit flash: Windows before 10 1703 sees only its first partition"

static bool removable_flash(const struct device *d)
{
	return d->removable && strcmp(d->transport, "loop");
}

static void print_json(const struct device_list *list, bool all)
{
	struct json j;
	char *contents;

	json_init(&j, stdout, true);
	json_begin_object(&j, NULL);
	json_begin_array(&j, "disks");
	for (size_t i = 0; i < list->count; i++) {
		const struct device *d = &list->items[i];

		if (!all && !device_is_portable(d))
			continue;
		json_begin_object(&j, NULL);
		json_string(&j, "path", d->path);
		json_string(&j, "name", d->name);
		json_uint(&j, "size", d->size);
		json_uint(&j, "logical_sector_size", d->logical_sector);
		json_uint(&j, "physical_sector_size", d->physical_sector);
		json_string(&j, "vendor", d->vendor);
		json_string(&j, "model", d->model);
		json_string(&j, "serial", d->serial);
		json_string(&j, "transport", d->transport);
		json_bool(&j, "removable", d->removable);
		json_bool(&j, "read_only", d->read_only);
		json_bool(&j, "rotational", d->rotational);
		json_string(&j, "backing_file", d->backing_file);
		json_string(&j, "partition_table", d->pttype);
		/* a file system on the whole disk, without a partition table */
		json_string(&j, "fstype", d->fstype);
		json_string(&j, "label", d->label);
		contents = device_contents_text(d, true);
		json_string(&j, "contents", contents);
		free(contents);
		json_string(&j, "mountpoint", d->mountpoint);
		json_bool(&j, "swap", d->swap);
		json_begin_array(&j, "partitions");
		for (size_t k = 0; k < d->n_parts; k++) {
			const struct device_partition *p = &d->parts[k];

			json_begin_object(&j, NULL);
			json_string(&j, "name", p->name);
			json_uint(&j, "start", p->start);
			json_uint(&j, "size", p->size);
			json_string(&j, "fstype", p->fstype);
			json_string(&j, "label", p->label);
			json_string(&j, "mountpoint", p->mountpoint);
			json_bool(&j, "swap", p->swap);
			json_end_object(&j);
		}
		json_end_array(&j);
		json_string(&j, "verdict", device_verdict_name(d->verdict));
		json_string(&j, "reason", d->reason);
		/* only its own file systems stand in the way: write --unmount */
		json_bool(&j, "unmountable", d->unmountable);
		json_begin_array(&j, "notes");
		if (removable_flash(d))
			json_string(&j, NULL, REMOVABLE_NOTE);
		if (d->blank)
			json_string(&j, NULL, LAYOUT_BLANK_ADVICE);
		json_end_array(&j);
		json_end_object(&j);
	}
	json_end_array(&j);
	json_end_object(&j);
	json_finish(&j);
}

static void print_text(const struct device_list *list, bool all)
{
	char size[SIZE_TEXT_MAX], *contents;
	size_t shown = 0;

	for (size_t i = 0; i < list->count; i++) {
		const struct device *d = &list->items[i];

		if (!all && !device_is_portable(d))
			continue;
		if (!shown++)
			printf("%-14s %10s  %-9s %-2s %-2s %-24s %-16s %s\n", "DEVICE", "SIZE", "TRANSPORT",
			       "RM", "RO", "MODEL", "SERIAL", "VERDICT");
		printf("%-14s %10s  %-9s %-2d %-2d %-24.24s %-16.16s %s\n", d->path,
		       format_size(d->size, size), d->transport, d->removable, d->read_only,
		       d->model ? cli_text(d->model) : "-", d->serial ? cli_text(d->serial) : "-",
		       device_verdict_name(d->verdict));
		/* what writing it would erase; the partitions follow, one a line */
		contents = d->verdict == DEVICE_NOT_A_DISK ? NULL : device_contents_text(d, false);
		if (contents)
			printf("  holds: %s\n", cli_text(contents));
		free(contents);
		for (size_t k = 0; k < d->n_parts; k++) {
			const struct device_partition *p = &d->parts[k];

			printf("  %-12s %10s  %-9s %s%s%s%s%s\n", p->name, format_size(p->size, size),
			       p->fstype ? p->fstype : "-", p->label ? "\"" : "", p->label ? cli_text(p->label) : "",
			       p->label ? "\" " : "", p->mountpoint ? "mounted at " : "",
			       p->mountpoint ? p->mountpoint : p->swap ? "swap" : "");
		}
		if (d->reason)
			printf("  refused: %s\n", d->reason);
		if (removable_flash(d))
			printf("  note: %s\n", REMOVABLE_NOTE);
		if (d->blank)
			printf("  note: %s\n", LAYOUT_BLANK_ADVICE);
	}
	if (!shown)
		printf("No %sdisks found%s.\n", all ? "" : "USB, MMC or removable ",
		       all ? "" : "; 'wintogo list --all' shows every disk");
}

/* The smallest disk that the image needs, for the too-small verdict. */
static int image_min_size(struct wtg_ctx *ctx, const char *image, int index, uint64_t *size_ret)
{
	struct wim_source *source = NULL;
	struct wim_image im;
	int ret = wim_source_open(ctx, image, &source);

	if (!ret)
		ret = wim_source_image(ctx, source, index, &im);
	if (!ret) {
		*size_ret = layout_disk_min_bytes(im.expanded_size, LAYOUT_ESP_DEFAULT);
		wim_image_release(&im);
	}
	wim_source_free(source);
	return ret;
}

enum { OPT_IMAGE = CLI_OPT_FIRST_OWN, OPT_SYSFS_ROOT, OPT_DEV_ROOT, OPT_PROC_ROOT };

int cmd_list(struct wtg_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "image", required_argument, NULL, OPT_IMAGE },
		{ "index", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT },
		{ "dev-root", required_argument, NULL, OPT_DEV_ROOT },
		{ "proc-root", required_argument, NULL, OPT_PROC_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct device_roots roots;
	struct device_context dc = { 0 };
	struct device_list list;
	bool all = false, json = false;
	uint64_t index = 1;
	int c;

	device_roots_default(ctx, &roots);
	optind = 0;
	while ((c = getopt_long(argc, argv, "ai:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case OPT_IMAGE:
			dc.image = optarg;
			break;
		case 'i':
			if (parse_uint(optarg, 65535, &index) < 0 || index == 0)
				return cli_bad_value("list", "--index", optarg, "an image number from 1 (see 'wintogo info')");
			break;
		case 'j':
			json = true;
			break;
		case OPT_SYSFS_ROOT:
			roots.sysfs = optarg;
			break;
		case OPT_DEV_ROOT:
			roots.dev = optarg;
			break;
		case OPT_PROC_ROOT:
			roots.proc = optarg;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return cli_usage_hint("list");
		}
	}
	cli_report_set(ctx, json, false);
	if (optind != argc)
		return cli_usage_error("list", "list takes no arguments");
	if (dc.image && image_min_size(ctx, dc.image, (int)index, &dc.min_size) < 0)
		return EXIT_FAILED;
	if (devices_scan(ctx, &roots, &dc, &list) < 0)
		return EXIT_FAILED;
	if (json)
		print_json(&list, all);
	else
		print_text(&list, all);
	device_list_release(&list);
	return EXIT_OK;
}
