/* source.h - the image the user names: a WIM, ESD or split SWM set, or a
 * Windows ISO that holds one (see iso.h).  Which of the two it is is
 * decided here, once, by content; everything after reads the WIM through
 * wim.h either way.
 *
 * From an ISO, source_open() may stage only the WIM's header, XML and blob
 * table: enough to list and choose images.  Call source_fetch() before
 * anything reads file data (apply, extraction, --check). */
#ifndef WINTOGO_SOURCE_H
#define WINTOGO_SOURCE_H

#include "wintogo/ctx.h"

#include <stdint.h>

#include "wintogo/iso.h"
#include "wintogo/progress.h"
#include "wintogo/wim.h"

struct source_options {
	const char *wim_path;  /* the install image inside an ISO; NULL: the usual names */
};

struct source;

/* The refusals that need nothing but the image's name, for a command to
 * give before it judges anything else: a path that cannot be opened, a
 * folder.  Logged. */
int source_check_path(struct wtg_ctx *ctx, const char *path);

int source_open(struct wtg_ctx *ctx, const char *path, const struct source_options *opt, struct source **source_ret);
void source_free(struct source *source);

struct wim_source *source_wim(const struct source *source);

/* The ISO the WIM came out of, or NULL for a WIM file. */
const struct iso_info *source_iso(const struct source *source);

/* Bytes source_fetch() will copy into the stage (0 for a WIM file). */
uint64_t source_fetch_bytes(const struct source *source);

/* Makes every byte of the WIM readable; the wim_source stays the same. */
int source_fetch(struct wtg_ctx *ctx, struct source *source);

#endif
