/* cmd_info.c - `wintogo info IMAGE`: the images inside a Windows image. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/authenticode.h"
#include "wintogo/bcd_view.h"
#include "wintogo/bootfacts.h"
#include "wintogo/bootfiles.h"
#include "wintogo/cli.h"
#include "wintogo/digest.h"
#include "wintogo/esp.h"
#include "wintogo/input.h"
#include "wintogo/json.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/source.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"
#include "wintogo/vhdx.h"
#include "wintogo/wim.h"

static const char help[] =
	"Usage: wintogo info [OPTIONS] IMAGE\n"
	"       wintogo info --bcd STORE|DISK\n"
	"\n"
	"Show the images inside a WIM, ESD or split SWM set, or inside the\n"
	"sources/install.wim, install.esd or install*.swm of a Windows ISO: index,\n"
	"name, edition, architecture, build, languages, file count and expanded\n"
	"size.  For a VHDX: the virtual disk (size, sector and block sizes,\n"
	"allocated blocks), its partitions and the Windows on its NTFS partitions.\n"
	"With --bcd, show a BCD store: a file, or the \\EFI\\Microsoft\\Boot\\BCD of\n"
	"a disk image's EFI system partition.\n"
	"\n"
	"Options:\n"
	"  -i, --index N      show only image N\n"
	"      --bcd          show the BCD store of a disk image, or a store file\n"
	"      --check        verify the file: its integrity table when it has one,\n"
	"                     else the hash of every resource\n"
	"      --wim-path P   the Windows image inside the ISO IMAGE is P\n"
	"                     (default: sources/install.wim, .esd or .swm)\n"
	"      --tmpdir DIR   copy what is read from an ISO into DIR (default\n"
	"                     $TMPDIR, else /var/tmp)\n"
	"      --sha256       print the SHA-256 of the file (as sha256sum does)\n"
	"  -j, --json         print one JSON document on stdout\n"
	"  -h, --help         show this help and exit\n";

struct info_options {
	bool json;
	bool check;
	bool bcd;
	bool sha256;
	int index;  /* 0: all images */
	struct source_options source;
};

static const char *format_name(enum wim_format f)
{
	switch (f) {
	case WIM_FORMAT_ESD: return "esd";
	case WIM_FORMAT_SWM: return "swm";
	default: return "wim";
	}
}

static const char *format_title(enum wim_format f)
{
	switch (f) {
	case WIM_FORMAT_ESD: return "ESD (solid)";
	case WIM_FORMAT_SWM: return "split WIM";
	default: return "WIM";
	}
}

/* The image's boot managers, who signed each: what Secure Boot after
 * 2026 decides on.  bm NULL: not read (an ISO's install image, whose data
 * is copied out only with --check or to write it). */
static void boot_managers_json(struct json *j, const struct boot_managers *bm)
{
	if (!bm) {
		json_null(j, "boot_managers");
		return;
	}
	json_begin_object(j, "boot_managers");
	json_string(j, "default_set", bm->use_ex ? "EFI_EX" : "EFI");
	json_string(j, "default_ca", sb_ca_name(bm->ca));
	if (bm->efi) {
		json_begin_object(j, "efi");
		json_string(j, "path", "Windows\\Boot\\EFI\\bootmgfw.efi");
		cli_signature_json(j, &bm->efi_sig);
		json_end_object(j);
	} else {
		json_null(j, "efi");
	}
	if (bm->ex) {
		json_begin_object(j, "efi_ex");
		json_string(j, "path", "Windows\\Boot\\EFI_EX\\bootmgfw_EX.efi");
		cli_signature_json(j, &bm->ex_sig);
		json_end_object(j);
	} else {
		json_null(j, "efi_ex");
	}
	json_end_object(j);
}

static void boot_managers_text(int index, const struct boot_managers *bm)
{
	if (!bm) {
		printf("  image %d boot managers: not read (the ISO's install image is copied out only with --check)\n",
		       index);
		return;
	}
	printf("  image %d boot managers: ", index);
	if (bm->efi)
		printf("EFI\\bootmgfw.efi %s", cli_signature_text(&bm->efi_sig));
	else
		printf("no EFI\\bootmgfw.efi");
	if (bm->ex)
		printf("; EFI_EX\\bootmgfw_EX.efi %s", cli_signature_text(&bm->ex_sig));
	else
		printf("; no 2023 set (EFI_EX)");
	printf("; write uses %s\n", bm->use_ex ? "EFI_EX" : "EFI");
}

/* Reads them for boot_managers_*; false when they cannot be read here. */
static bool read_boot_managers(struct source *src, int index, struct boot_managers *bm)
{
	struct wtg_ctx quiet;
	bool ok;

	if (source_fetch_bytes(src))
		return false;
	wtg_ctx_init(&quiet);
	ok = boot_managers_choose(&quiet, source_wim(src), index, SB_CHOICE_AUTO, bm) == 0;
	wtg_ctx_release(&quiet);
	return ok;
}

static void print_image_json(struct json *j, const struct wim_image *im, const struct boot_managers *bm)
{
	char version[64];

	snprintf(version, sizeof(version), "%u.%u.%u.%u", im->major, im->minor,
		 im->build, im->sp_build);
	json_begin_object(j, NULL);
	json_uint(j, "index", im->index);
	json_string(j, "name", im->name);
	json_string(j, "description", im->description);
	json_string(j, "display_name", im->display_name);
	json_string(j, "edition", im->edition);
	json_string(j, "flags", im->flags);
	json_string(j, "installation_type", im->installation_type);
	json_string(j, "architecture", wim_arch_name(im->arch));
	json_uint(j, "build", im->build);
	json_uint(j, "sp_build", im->sp_build);
	json_string(j, "version", version);
	json_begin_array(j, "languages");
	for (size_t i = 0; i < im->n_languages; i++)
		json_string(j, NULL, im->languages[i]);
	json_end_array(j);
	json_string(j, "default_language", im->default_language);
	json_uint(j, "file_count", im->file_count);
	json_uint(j, "dir_count", im->dir_count);
	json_uint(j, "expanded_size", im->expanded_size);
	boot_managers_json(j, bm);
	json_end_object(j);
}

static char *joined_languages(const struct wim_image *im)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < im->n_languages; i++)
		len += strlen(im->languages[i]) + 1;
	s = xcalloc(1, len);
	for (size_t i = 0; i < im->n_languages; i++) {
		if (i)
			strcat(s, ",");
		strcat(s, im->languages[i]);
	}
	return s;
}

static void print_image_row(const struct wim_image *im)
{
	char size[SIZE_TEXT_MAX], build[32];
	char *langs = joined_languages(im);

	if (im->build)
		snprintf(build, sizeof(build), "%u.%u", im->build, im->sp_build);
	else
		snprintf(build, sizeof(build), "-");
	printf("%5d  %-7s  %-10s  %-14s  %-10s  %7llu  %10s  %s\n", im->index,
	       wim_arch_name(im->arch), build, im->edition ? cli_text(im->edition) : "-",
	       *langs ? cli_text(langs) : "-", (unsigned long long)im->file_count,
	       format_size(im->expanded_size, size), cli_text(im->name));
	free(langs);
}

static void print_header(const struct wim_file *f, const char *check_method, const char *sha256)
{
	printf("%s: %s, %s compression, %d image%s", f->path, format_title(f->format),
	       f->compression, f->image_count, f->image_count == 1 ? "" : "s");
	if (f->parts > 1)
		printf(", %u parts", f->parts);
	if (f->integrity_table)
		printf(", integrity table");
	if (f->boot_index)
		printf(", boot index %d", f->boot_index);
	putchar('\n');
	if (check_method)
		printf("check: ok (%s)\n", check_method);
	if (sha256)
		printf("sha256: %s\n", sha256);
	printf("%5s  %-7s  %-10s  %-14s  %-10s  %7s  %10s  %s\n", "INDEX", "ARCH",
	       "BUILD", "EDITION", "LANGUAGES", "FILES", "SIZE", "NAME");
}

static void print_iso_json(struct json *j, const struct iso_info *iso)
{
	json_begin_object(j, "iso");
	json_string(j, "filesystem", iso_filesystem_name(iso->filesystem));
	json_string(j, "image_path", iso->image_path);
	json_uint(j, "image_size", iso->image_bytes);
	json_uint(j, "files", iso->files);
	json_end_object(j);
}

static void print_file_json(struct json *j, const char *path, const struct wim_file *f,
			    const struct iso_info *iso, const char *check_method,
			    const char *sha256)
{
	json_string(j, "path", path);
	if (iso)
		print_iso_json(j, iso);
	json_string(j, "format", format_name(f->format));
	json_string(j, "compression", f->compression);
	json_uint(j, "parts", f->parts);
	json_bool(j, "integrity_table", f->integrity_table);
	json_uint(j, "boot_index", f->boot_index);
	json_uint(j, "image_count", f->image_count);
	if (check_method) {
		json_begin_object(j, "check");
		json_string(j, "result", "ok");
		json_string(j, "method", check_method);
		json_end_object(j);
	}
	if (sha256)
		json_string(j, "sha256", sha256);
}

/* Opens the image (copying it out of an ISO first for --check), verifies
 * it and hashes the file given when asked. */
static int open_image(struct wtg_ctx *ctx, const struct info_options *opt, const char *path, struct source **src_ret,
		      const char **check_method_ret, uint8_t sha256_ret[SHA256_BYTES])
{
	struct progress_ui ui;
	int ret;

	/* JSON progress lines would mix with the document on stdout */
	progress_ui_init(&ui, ctx, false, opt->json);
	ret = source_open(ctx, path, &opt->source, src_ret);
	if (!ret && opt->check)
		ret = source_fetch(ctx, *src_ret);
	if (!ret && opt->check)
		ret = wim_source_check(ctx, source_wim(*src_ret), check_method_ret);
	if (!ret && opt->sha256)
		ret = sha256_file(ctx, path, sha256_ret);
	if (ret < 0)
		progress_ui_abort(&ui);
	else
		progress_ui_finish(&ui);
	return ret;
}

static int show(struct wtg_ctx *ctx, const struct info_options *opt, const char *path)
{
	struct source *src = NULL;
	struct wim_source *source;
	const struct wim_file *f;
	const char *check_method = NULL, *sha256 = NULL;
	char hex[SHA256_HEX_MAX];
	uint8_t sha[SHA256_BYTES];
	struct json j;
	int first, last, status = EXIT_FAILED;

	if (open_image(ctx, opt, path, &src, &check_method, sha) < 0)
		goto out;
	if (opt->sha256)
		sha256 = sha256_hex(sha, hex);
	source = source_wim(src);
	f = wim_source_file(source);
	if (opt->index > f->image_count) {
		log_error(ctx, WTG_ERR_NO_SUCH_IMAGE, "'%s' has no image %d (it has %d)", f->path,
			opt->index, f->image_count);
		goto out;
	}
	first = opt->index ? opt->index : 1;
	last = opt->index ? opt->index : f->image_count;

	if (opt->json) {
		json_init(&j, stdout, true);
		json_begin_object(&j, NULL);
		print_file_json(&j, path, f, source_iso(src), check_method, sha256);
		json_begin_array(&j, "images");
	} else {
		print_header(f, check_method, sha256);
	}
	for (int i = first; i <= last; i++) {
		struct wim_image im;
		struct boot_managers bm;

		if (wim_source_image(ctx, source, i, &im) < 0)
			goto out;
		if (opt->json)
			print_image_json(&j, &im, read_boot_managers(src, i, &bm) ? &bm : NULL);
		else
			print_image_row(&im);
		wim_image_release(&im);
	}
	for (int i = first; i <= last && !opt->json; i++) {
		struct boot_managers bm;

		boot_managers_text(i, read_boot_managers(src, i, &bm) ? &bm : NULL);
	}
	if (opt->json) {
		json_end_array(&j);
		json_end_object(&j);
		json_finish(&j);
	}
	status = EXIT_OK;
out:
	source_free(src);
	return status;
}

/* A written disk's \EFI\Boot\boot*.efi and who signed each, beside its
 * BCD (NULL: a store file, no disk). */
static void loaders_json(struct json *j, const struct boot_facts *disk)
{
	if (!disk)
		return;
	json_begin_array(j, "boot_loaders");
	for (size_t i = 0; i < disk->n_loaders; i++) {
		json_begin_object(j, NULL);
		json_string(j, "name", disk->loaders[i].name);
		json_string(j, "architecture", wim_arch_name(disk->loaders[i].arch));
		json_bool(j, "signed", disk->loaders[i].signed_);
		json_string(j, "ca", disk->loaders[i].signed_ ? sb_ca_name(disk->loaders[i].ca) : NULL);
		json_end_object(j);
	}
	json_end_array(j);
}

static void loaders_text(const struct boot_facts *disk)
{
	for (size_t i = 0; disk && i < disk->n_loaders; i++) {
		const struct boot_loader *l = &disk->loaders[i];

		printf("boot loader: \\EFI\\Boot\\%s (%s), %s%s\n", cli_text(l->name), wim_arch_name(l->arch),
		       !l->signed_ ? "unsigned" : l->ca == SB_CA_NONE ? "signed, but the signature does not hold"
								: "signed under ",
		       l->signed_ && l->ca != SB_CA_NONE ? sb_ca_text(l->ca) : "");
	}
}

/* The store's "key_name" and "objects" members. */
static void store_json(struct json *j, const struct bcd_view *v)
{
	char code[9];

	json_string(j, "key_name", v->key_name);
	json_begin_array(j, "objects");
	for (size_t i = 0; i < v->n_objects; i++) {
		const struct bcd_view_object *o = &v->objects[i];

		json_begin_object(j, NULL);
		json_string(j, "guid", o->guid);
		json_string(j, "alias", o->alias);
		json_uint(j, "type", o->type);
		json_string(j, "type_name", o->type_name);
		json_begin_array(j, "elements");
		for (size_t k = 0; k < o->n_elements; k++) {
			const struct bcd_view_element *e = &o->elements[k];
			char *text = bcd_view_value_text(e);

			snprintf(code, sizeof(code), "%08x", e->code);
			json_begin_object(j, NULL);
			json_string(j, "code", code);
			json_string(j, "name", e->name);
			json_string(j, "format", bcd_view_format_name(e->code));
			json_uint(j, "registry_type", (uint64_t)e->reg_type);
			json_uint(j, "length", e->len);
			json_string(j, "value", text);
			json_end_object(j);
			free(text);
		}
		json_end_array(j);
		json_end_object(j);
	}
	json_end_array(j);
}

/* bios: an MBR disk's \Boot\BCD, beside its UEFI store v; NULL: none. */
static void print_bcd_json(const char *path, const struct bcd_view *v, const struct boot_facts *disk,
			   const struct bcd_view *bios)
{
	struct json j;

	json_init(&j, stdout, true);
	json_begin_object(&j, NULL);
	json_string(&j, "path", path);
	loaders_json(&j, disk);
	store_json(&j, v);
	if (bios) {
		json_begin_object(&j, "bios_store");
		json_string(&j, "path", "\\Boot\\BCD");
		store_json(&j, bios);
		json_end_object(&j);
	} else if (disk) {
		json_null(&j, "bios_store");
	}
	json_end_object(&j);
	json_finish(&j);
}

static void objects_text(const struct bcd_view *v)
{
	for (size_t i = 0; i < v->n_objects; i++) {
		const struct bcd_view_object *o = &v->objects[i];

		printf("\n%s", o->guid);
		if (o->alias)
			printf(" %s", o->alias);
		printf("  %s (0x%08x)\n", o->type_name ? o->type_name : "unknown type", o->type);
		for (size_t k = 0; k < o->n_elements; k++) {
			const struct bcd_view_element *e = &o->elements[k];
			char *text = bcd_view_value_text(e);
			char code[16];

			snprintf(code, sizeof(code), "custom:%08x", e->code);
			printf("  %-24s %s\n", e->name ? e->name : code, cli_text(text));
			free(text);
		}
	}
}

static void print_bcd_text(const char *path, const struct bcd_view *v, const struct boot_facts *disk,
			   const struct bcd_view *bios)
{
	loaders_text(disk);
	printf("%s: BCD store %s, %zu objects%s\n", path, v->key_name ? cli_text(v->key_name) : "(no KeyName)",
	       v->n_objects, bios ? " (\\EFI\\Microsoft\\Boot\\BCD, for UEFI)" : "");
	objects_text(v);
	if (!bios)
		return;
	printf("\n%s: BCD store %s, %zu objects (\\Boot\\BCD, for BIOS)\n", path,
	       bios->key_name ? cli_text(bios->key_name) : "(no KeyName)", bios->n_objects);
	objects_text(bios);
}

/* A disk image: its ESP's \EFI\Microsoft\Boot\BCD, copied out to a
 * temporary file (*tmp_ret, to be removed by the caller). */
static int bcd_from_disk(struct wtg_ctx *ctx, const char *disk, char **tmp_ret, char **bios_ret)
{
	char *tmp = xasprintf("%s/wintogo-bcd-XXXXXX", stage_default_parent(ctx));
	char *bios = NULL;
	uint64_t offset, size;
	bool found = false;
	int fd, ret;

	ret = layout_find_esp(ctx, disk, &offset, &size);
	if (ret == -WTG_ERR_NOT_BOOTABLE)
		log_error(ctx, WTG_ERR_NOT_BOOTABLE, "'%s' has no GPT partition table with an EFI system partition; is it a disk written by wintogo?",
			  disk);
	if (ret < 0)
		goto fail;
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = log_syserr(ctx, errno, "cannot make a temporary file '%s'", tmp);
		goto fail;
	}
	close(fd);
	ret = esp_read_file(ctx, disk, offset, "::/EFI/Microsoft/Boot/BCD", tmp);
	/* an MBR disk's system partition has the BIOS store too */
	if (!ret) {
		bios = xasprintf("%s.bios", tmp);
		ret = esp_try_read_file(ctx, disk, offset, "::/Boot/BCD", bios, &found);
	}
	if (ret < 0) {
		unlink(tmp);
		goto fail;
	}
	if (!found) {
		free(bios);
		bios = NULL;
	}
	*tmp_ret = tmp;
	*bios_ret = bios;
	return 0;
fail:
	if (bios)
		unlink(bios);
	free(bios);
	free(tmp);
	return ret;
}

static bool is_hive(const char *path)
{
	char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");

	if (!f)
		return false;
	if (fread(magic, 1, sizeof(magic), f) != sizeof(magic))
		magic[0] = 0;
	fclose(f);
	return !memcmp(magic, "regf", 4);
}

static int show_bcd(struct wtg_ctx *ctx, const struct info_options *opt, const char *path)
{
	struct bcd_view view, bios_view, *bios = NULL;
	struct boot_facts facts, *disk = NULL;
	char *tmp = NULL, *bios_tmp = NULL;
	int status = EXIT_FAILED;

	if (access(path, R_OK) < 0) {
		log_syserr(ctx, errno, "cannot open '%s'", path);
		return EXIT_FAILED;
	}
	if (!is_hive(path) && bcd_from_disk(ctx, path, &tmp, &bios_tmp) < 0)
		return EXIT_FAILED;
	/* a disk: its loaders too, read as the probe reads them */
	if (tmp) {
		struct wtg_ctx quiet;

		wtg_ctx_init(&quiet);
		disk = boot_facts_read(&quiet, path, 0, &facts) == 0 ? &facts : NULL;
		wtg_ctx_release(&quiet);
	}
	if (bios_tmp && bcd_view_read(ctx, bios_tmp, &bios_view) < 0)
		goto out;
	bios = bios_tmp ? &bios_view : NULL;
	if (bcd_view_read(ctx, tmp ? tmp : path, &view) == 0) {
		if (opt->json)
			print_bcd_json(path, &view, disk, bios);
		else
			print_bcd_text(path, &view, disk, bios);
		bcd_view_release(&view);
		status = EXIT_OK;
	}
out:
	if (bios)
		bcd_view_release(bios);
	if (disk)
		boot_facts_release(disk);
	if (tmp)
		unlink(tmp);
	if (bios_tmp)
		unlink(bios_tmp);
	free(tmp);
	free(bios_tmp);
	return status;
}

enum { OPT_CHECK = 256, OPT_WIM_PATH, OPT_TMPDIR, OPT_BCD, OPT_SHA256 };

int cmd_info(struct wtg_ctx *ctx, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "index", required_argument, NULL, 'i' },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "wim-path", required_argument, NULL, OPT_WIM_PATH },
		{ "tmpdir", required_argument, NULL, OPT_TMPDIR },
		{ "bcd", no_argument, NULL, OPT_BCD },
		{ "sha256", no_argument, NULL, OPT_SHA256 },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct info_options opt = { 0 };
	uint64_t n;
	bool vhdx;
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, "i:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (parse_uint(optarg, 65535, &n) < 0 || n == 0)
				return cli_bad_value("info", "--index", optarg, "an image number from 1 (see 'wintogo info')");
			opt.index = (int)n;
			break;
		case OPT_CHECK:
			opt.check = true;
			break;
		case OPT_WIM_PATH:
			opt.source.wim_path = optarg;
			break;
		case OPT_TMPDIR:
			wtg_ctx_set_tmpdir(ctx, optarg);
			break;
		case OPT_BCD:
			opt.bcd = true;
			break;
		case OPT_SHA256:
			opt.sha256 = true;
			break;
		case 'j':
			opt.json = true;
			break;
		case 'h':
			fputs(help, stdout);
			return EXIT_OK;
		default:
			return cli_usage_hint("info");
		}
	}
	cli_report_set(ctx, opt.json, false);
	if (argc - optind != 1)
		return cli_usage_error("info", argc == optind ? "IMAGE is missing" : "too many arguments");
	if (opt.bcd && (opt.check || opt.index || opt.sha256))
		return cli_usage_error("info", "--bcd takes neither --check, --index nor --sha256");
	vhdx = input_kind_of(argv[optind]) == INPUT_VHDX;
	if (!opt.bcd && vhdx && (opt.check || opt.index || opt.sha256))
		return cli_usage_error("info", "--check, --index and --sha256 are for Windows images; a VHDX is checked whenever it is read");
	if (!opt.bcd && vhdx)
		return cli_info_vhdx(ctx, argv[optind], opt.json);
	return opt.bcd ? show_bcd(ctx, &opt, argv[optind]) : show(ctx, &opt, argv[optind]);
}
