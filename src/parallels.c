/* parallels.c - a Parallels Desktop disk bundle and its prlctl script
 * (see parallels.h). */
#include "wintogo/parallels.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#include "wintogo/log.h"
#include "wintogo/outfile.h"
#include "wintogo/util.h"

/* prl-xml.rst: the predefined GUID of the top snapshot, the image the
 * guest writes to, and the null GUID the root's parent has */
#define TOP_GUID "{5fbaabe3-6958-40ff-92a7-860e329aab41}"
#define NULL_GUID "{00000000-0000-0000-0000-000000000000}"
#define HEADS 16
#define TRACK_SECTORS 32
#define BLOCK_SECTORS 2048  /* the 1 MiB clusters sink_qemu_img.c asks for */

struct xml {
	xmlTextWriterPtr w;
	int rc;
};

static void check(struct xml *x, int rc)
{
	if (rc < 0 && x->rc >= 0)
		x->rc = rc;
}

static void element(struct xml *x, const char *name, const char *text)
{
	check(x, xmlTextWriterWriteElement(x->w, BAD_CAST name, BAD_CAST text));
}

static void number(struct xml *x, const char *name, uint64_t v)
{
	check(x, xmlTextWriterWriteFormatElement(x->w, BAD_CAST name, "%llu", (unsigned long long)v));
}

static int descriptor(struct wtg_ctx *ctx, uint64_t sectors, const char *image, xmlBufferPtr *buf_ret)
{
	xmlBufferPtr buf = xmlBufferCreate();
	struct xml x = { .w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL };

	if (!x.w) {
		xmlBufferFree(buf);
		return log_error(ctx, WTG_ERR_NO_MEMORY, "out of memory for DiskDescriptor.xml");
	}
	check(&x, xmlTextWriterSetIndent(x.w, 1));
	check(&x, xmlTextWriterStartDocument(x.w, "1.0", "UTF-8", NULL));
	check(&x, xmlTextWriterStartElement(x.w, BAD_CAST "Parallels_disk_image"));
	check(&x, xmlTextWriterWriteAttribute(x.w, BAD_CAST "Version", BAD_CAST "1.0"));
	check(&x, xmlTextWriterStartElement(x.w, BAD_CAST "Disk_Parameters"));
	number(&x, "Disk_size", sectors);
	number(&x, "Cylinders", sectors / (HEADS * TRACK_SECTORS));
	number(&x, "Heads", HEADS);
	number(&x, "Sectors", TRACK_SECTORS);
	number(&x, "Padding", 0);
	check(&x, xmlTextWriterEndElement(x.w));
	check(&x, xmlTextWriterStartElement(x.w, BAD_CAST "StorageData"));
	check(&x, xmlTextWriterStartElement(x.w, BAD_CAST "Storage"));
	number(&x, "Start", 0);
	number(&x, "End", sectors);
	number(&x, "Blocksize", BLOCK_SECTORS);
	check(&x, xmlTextWriterStartElement(x.w, BAD_CAST "Image"));
	element(&x, "GUID", TOP_GUID);
	element(&x, "Type", "Compressed");  /* the spec's word for an expanding image */
	element(&x, "File", image);         /* relative to DiskDescriptor.xml */
	check(&x, xmlTextWriterEndElement(x.w));
	check(&x, xmlTextWriterEndElement(x.w));
	check(&x, xmlTextWriterEndElement(x.w));
	check(&x, xmlTextWriterStartElement(x.w, BAD_CAST "Snapshots"));
	check(&x, xmlTextWriterStartElement(x.w, BAD_CAST "Shot"));
	element(&x, "GUID", TOP_GUID);
	element(&x, "ParentGUID", NULL_GUID);
	check(&x, xmlTextWriterEndElement(x.w));
	check(&x, xmlTextWriterEndElement(x.w));
	check(&x, xmlTextWriterEndDocument(x.w));
	xmlFreeTextWriter(x.w);
	if (x.rc < 0) {
		xmlBufferFree(buf);
		return log_error(ctx, WTG_ERR_INTERNAL, "internal error: libxml2 could not write DiskDescriptor.xml");
	}
	*buf_ret = buf;
	return 0;
}

/* s in single quotes for sh: a ' closes, is written escaped, reopens */
static void sh_quote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

static char *script_text(const struct vm_bundle_request *req, const char *hdd_name, size_t *len_ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();  /* as xmalloc: out of memory */
	fputs("#!/bin/sh\n"
	      "# Made by wintogo: run it on the Mac (sh THIS-FILE) to make the Parallels\n"
	      "# Desktop VM of the disk beside it, which stays where it is.\n"
	      "set -eu\n"
	      "vm=", f);
	sh_quote(f, req->name);
	fputs("\nhdd=\"$(cd \"$(dirname \"$0\")\" && pwd)\"/", f);
	sh_quote(f, hdd_name);
	fprintf(f, "\n"
		"prlctl create \"$vm\" --distribution win-11 --no-hdd\n"
		"prlctl set \"$vm\" --cpus %u --memsize %llu\n"
		"prlctl set \"$vm\" --efi-boot on\n"
		"# NVMe: Windows' inbox stornvme drives it on x64 and arm64\n"
		"prlctl set \"$vm\" --device-add hdd --image \"$hdd\" --iface nvme --position 0\n"
		"prlctl set \"$vm\" --device-bootorder hdd0\n"
		"# Windows 11 wants a TPM; Parallels makes its keys itself (in the\n"
		"# keychain) and may have added one already for win-11\n"
		"if ! prlctl list --info \"$vm\" | grep -q '^ *tpm'; then\n"
		"\tprlctl set \"$vm\" --device-add tpm\n"
		"fi\n"
		"echo \"made the VM $vm; start it with: prlctl start \\\"$vm\\\"\"\n",
		req->cpus, (unsigned long long)req->memory_mib);
	if (fclose(f) != 0)
		abort();
	*len_ret = len;
	return text;
}

static char *script_path(const char *dir, const char *name)
{
	return xasprintf("%s/%s.prlctl.sh", dir, name);
}

int parallels_bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, bool force,
			  char **path_ret)
{
	char *path = NULL, *script;
	int ret = bundle_path(ctx, dir, name, ".hdd", "--parallels", force, &path);

	if (ret < 0)
		return ret;
	script = script_path(dir, name);
	if (!force && access(script, F_OK) == 0)
		ret = log_error(ctx, WTG_ERR_TARGET_EXISTS, "'%s' already exists; use --force to replace it", script);
	else
		ret = outfile_check_busy(ctx, script);
	free(script);
	if (ret < 0) {
		free(path);
		return ret;
	}
	*path_ret = path;
	return 0;
}

int parallels_write_bundle(struct wtg_ctx *ctx, const struct vm_bundle_request *req, char **bundle_ret)
{
	char *path = NULL, *hdd = xasprintf("%s.hdd", req->name);
	char *image = xasprintf("%s.0." TOP_GUID ".hds", hdd);
	char *script = script_path(req->dir, req->name), *text = NULL;
	struct outfile out = { .fd = -1 };
	struct bundle b = { .fd = -1 };
	xmlBufferPtr xml = NULL;
	size_t len = 0;
	int ret;

	if (req->disk_bytes % (HEADS * TRACK_SECTORS * 512)) {
		ret = log_error(ctx, WTG_ERR_UNSUPPORTED, "a Parallels disk is a whole number of 256 KiB (16 heads of 32 sectors); this one is %llu bytes",
				(unsigned long long)req->disk_bytes);
		goto out;
	}
	ret = parallels_bundle_path(ctx, req->dir, req->name, req->force, &path);
	if (!ret)
		ret = descriptor(ctx, req->disk_bytes / 512, image, &xml);
	if (ret < 0)
		goto out;
	text = script_text(req, hdd, &len);
	/* the script first, committed last: it is what names the bundle */
	ret = outfile_open(ctx, &out, script, req->force);
	if (!ret && (ret = pwrite_all(out.fd, text, len, 0)) < 0)
		ret = log_syserr(ctx, -ret, "cannot write '%s'", out.partial);
	if (!ret && fchmod(out.fd, 0755) < 0)
		ret = log_syserr(ctx, errno, "cannot make '%s' executable", out.partial);
	if (!ret)
		ret = bundle_open(ctx, &b, path, req->force);
	if (!ret)
		ret = bundle_put_file(ctx, &b, req->disk, image);
	if (!ret)
		ret = bundle_write_file(ctx, &b, "DiskDescriptor.xml", xmlBufferContent(xml),
					(size_t)xmlBufferLength(xml), 0644);
	if (!ret)
		ret = bundle_commit(ctx, &b);
	if (!ret)
		ret = outfile_commit(ctx, &out);
	bundle_abort(&b);
	outfile_abort(&out);
	if (!ret) {
		*bundle_ret = path;
		path = NULL;
	}
out:
	xmlBufferFree(xml);
	free(path);
	free(text);
	free(script);
	free(image);
	free(hdd);
	return ret;
}
