/* stage.h - the staging directory on the host, where the partitions are
 * built before they are sent to the target.  It is removed on every exit
 * path by whoever created it. */
#ifndef WINTOGO_STAGE_H
#define WINTOGO_STAGE_H

#include "wintogo/ctx.h"

#include <stdint.h>

/* The directory to stage in: the context's (--tmpdir) if set, else $TMPDIR, else /var/tmp
 * (not /tmp, which is often a small tmpfs). */
const char *stage_default_parent(const struct wtg_ctx *ctx);

/* Makes PARENT/wintogo-XXXXXX.  *dir_ret is freed by stage_remove. */
int stage_create(struct wtg_ctx *ctx, const char *parent, char **dir_ret);

/* Removes the directory and everything in it, then frees dir. */
void stage_remove(char *dir);

/* Fails with -WTG_ERR_NO_SPACE (logged, saying how much is needed and
 * where) when the file system of dir has less than need_bytes free. */
int stage_check_space(struct wtg_ctx *ctx, const char *dir, uint64_t need_bytes);

/* Creates path (it must not exist) as a sparse file of bytes. */
int stage_make_file(struct wtg_ctx *ctx, const char *path, uint64_t bytes);

/* "DIR/NAME", newly allocated. */
char *stage_path(const char *dir, const char *name);

#endif
