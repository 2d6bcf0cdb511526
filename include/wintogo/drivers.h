/* drivers.h - driver packages to add to an image: a folder, or an archive
 * (zip, cab, tar, 7z, ... anything libarchive reads) holding folders with
 * .inf files and the .sys/.cat files they name.
 *
 * drivers_scan() only reads names and sizes, so the plan can list the
 * packages and a source without any .inf (or with an entry that would land
 * outside its folder) is refused before anything is written;
 * drivers_unpack() extracts an archive into the stage. */
#ifndef WINTOGO_DRIVERS_H
#define WINTOGO_DRIVERS_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct driver_set {
	char *source;      /* the folder or archive, as given */
	bool archive;
	char **infs;       /* the .inf files, relative to the top */
	size_t n_infs;
	uint64_t files;    /* regular files, .inf included */
	uint64_t bytes;
};

int drivers_scan(struct wtg_ctx *ctx, const char *path, struct driver_set *set_ret);

/* Extracts the archive's regular files and folders below dest_dir (which
 * exists).  Only for an archive. */
int drivers_unpack(struct wtg_ctx *ctx, const struct driver_set *set, const char *dest_dir);

void drivers_release(struct driver_set *set);

#endif
