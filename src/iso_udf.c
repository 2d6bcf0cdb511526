/* iso_udf.c - the UDF file system of an ISO, read with libcdio's libudf
 * (see iso_fs.h).
 *
 * libudf finds the volume, walks the folders and decodes the names.  Where
 * a file's bytes lie comes from the allocation descriptors of its file
 * entry (ECMA-167 4/14.14), which libudf has read into the dirent: with
 * them the copy is copy_file_range from the ISO, and a file of several
 * extents (every file over 1 GiB) is read right, which udf_read_block of
 * libcdio 2.1 does not promise. */
#include <cdio/udf.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "iso_fs.h"
#include "wintogo/log.h"
#include "wintogo/util.h"

/* The two top bits of an allocation descriptor's length (4/14.14.1.1). */
#define AD_RECORDED 0
#define AD_NEXT_EXTENT 3
/* short_ad and long_ad both start with the length, then the block. */
#define SHORT_AD_SIZE 8
#define LONG_AD_SIZE 16

static uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

static void add_extent(struct iso_file *f, uint64_t offset, uint64_t length, bool zeros)
{
	struct iso_extent *last = f->n_extents ? &f->extents[f->n_extents - 1] : NULL;

	/* genisoimage writes a big file as 1 GiB extents end to end: join them */
	if (last && last->zeros == zeros && (zeros || last->offset + last->length == offset)) {
		last->length += length;
		return;
	}
	f->extents = xrealloc(f->extents, (f->n_extents + 1) * sizeof(*f->extents));
	f->extents[f->n_extents++] = (struct iso_extent){ offset, length, zeros };
}

/* Fills f->extents from the file entry, or says in f->unreadable why not. */
static void read_extents(const udf_dirent_t *d, struct iso_file *f)
{
	const udf_file_entry_t *fe = &d->fe;
	uint32_t ea = le32toh(fe->i_extended_attr), ads = le32toh(fe->i_alloc_descs);
	unsigned kind = le16toh(fe->icb_tag.flags) & ICBTAG_FLAG_AD_MASK;
	size_t step = kind == ICBTAG_FLAG_AD_SHORT ? SHORT_AD_SIZE :
		      kind == ICBTAG_FLAG_AD_LONG ? LONG_AD_SIZE : 0;
	uint64_t covered = 0;

	if (le16toh(fe->tag.id) != TAGID_FILE_ENTRY) {
		f->unreadable = "it has an extended file entry (UDF 2.x), which wintogo cannot read yet";
	} else if (le16toh(fe->icb_tag.strat_type) != ICBTAG_STRATEGY_TYPE_4 || !step) {
		f->unreadable = "its data is recorded in a way wintogo cannot read yet";
	} else if (ea > sizeof(fe->u) || ads > sizeof(fe->u) - ea) {
		f->unreadable = "its file entry is damaged";
		f->damaged = true;
	}
	for (size_t at = 0; !f->unreadable && covered < f->size && at + step <= ads; at += step) {
		const uint8_t *ad = fe->u.pad_to_one_block + ea + at;
		uint32_t len = le32_at(ad) & UDF_LENGTH_MASK, type = le32_at(ad) >> 30;
		uint64_t use = len < f->size - covered ? len : f->size - covered;

		if (!len)
			break;
		if (type == AD_NEXT_EXTENT) {
			f->unreadable = "its allocation descriptors go on in another block, which wintogo cannot read yet";
		} else {
			add_extent(f, ((uint64_t)d->i_part_start + le32_at(ad + 4)) * UDF_BLOCKSIZE,
				   use, type != AD_RECORDED);
			covered += use;
		}
	}
	if (!f->unreadable && covered < f->size) {
		f->unreadable = "its allocation descriptors end before its data does";
		f->damaged = true;
	}
}

static bool is_listed(const udf_dirent_t *d)
{
	return !d->b_parent && !(d->fid && (d->fid->file_characteristics & UDF_FILE_DELETED));
}

/* The folder called name (case-blind) in the folder d, which this
 * consumes, or NULL; its name as recorded is added to *path. */
static udf_dirent_t *open_folder(udf_dirent_t *d, const char *name, char **path)
{
	udf_dirent_t *child = NULL;

	while (!child && (d = udf_readdir(d))) {
		if (is_listed(d) && udf_is_dir(d) && !strcasecmp(udf_get_filename(d), name)) {
			char *longer = xasprintf("%s%s/", *path, udf_get_filename(d));

			free(*path);
			*path = longer;
			child = udf_opendir(d);
			udf_dirent_free(d);
			if (!child)
				break;
		}
	}
	return child;
}

int iso_udf_list(struct wtg_ctx *ctx, int fd, const char *iso_path, const char *folder, struct iso_dir *dir_ret)
{
	/* by content: a name ending in .bin or .cue would send libcdio to
	 * its CD image drivers */
	char *source = xasprintf("/proc/self/fd/%d", fd);
	char *names = xstrdup(folder), *save = NULL, *recorded = xstrdup("");
	struct iso_dir dir = { 0 };
	udf_t *udf;
	udf_dirent_t *d;
	int ret = 0;

	iso_cdio_quiet();
	udf = udf_open(source);
	if (!udf) {
		ret = -ENODATA;
		goto out;
	}
	d = udf_get_root(udf, true, 0);
	if (!d) {
		ret = log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "cannot read the UDF root folder of '%s' (%s); the ISO is damaged, download or copy it again",
				iso_path, iso_cdio_last_message());
		goto out;
	}
	for (char *name = strtok_r(names, "/", &save); name && d; name = strtok_r(NULL, "/", &save))
		d = open_folder(d, name, &recorded);
	if (!d) {
		ret = -ENOENT;
		goto out;
	}
	while ((d = udf_readdir(d))) {
		if (is_listed(d) && !udf_is_dir(d))
			read_extents(d, iso_dir_add(&dir, xasprintf("%s%s", recorded, udf_get_filename(d)),
						    udf_get_file_length(d)));
	}
	*dir_ret = dir;
out:
	if (ret < 0)
		iso_dir_release(&dir);
	if (udf)
		udf_close(udf);
	free(recorded);
	free(names);
	free(source);
	return ret;
}
