/* stage.h - the staging directory on the host, where the partitions are
 * built before they are sent to the target.  It is removed on every exit
 * path by whoever created it.
 *
 * A run that is killed (SIGKILL, a crash, a power cut) cannot remove its
 * stage, which may be as large as a whole NTFS partition, so every stage
 * holds a lock file, PARENT/wintogo-XXXXXX/.lock, locked (flock) by its
 * run until the stage is removed; the kernel lets the lock go when the
 * run dies.  The next run that stages in PARENT removes the stages whose
 * lock nobody holds, and says so. */
#ifndef WINTOGO_STAGE_H
#define WINTOGO_STAGE_H

#include "wintogo/ctx.h"

#include <stdint.h>

/* The directory to stage in: the context's (--tmpdir) if set, else $TMPDIR, else /var/tmp
 * (not /tmp, which is often a small tmpfs). */
const char *stage_default_parent(const struct wtg_ctx *ctx);

/* Removes the stale stages in PARENT (stage_remove_stale), then makes
 * PARENT/wintogo-XXXXXX and locks it.  *dir_ret is freed by stage_remove. */
int stage_create(struct wtg_ctx *ctx, const char *parent, char **dir_ret);

/* Removes the directory and everything in it (never through a symlink,
 * never into another file system), lets its lock go, then frees dir. */
void stage_remove(char *dir);

/* Removes the stages dead runs left in PARENT: folders named like ours,
 * owned by this user, not symlinks, with a .lock no process holds (a
 * folder without one is not a stage, or one still being made; a held one
 * belongs to a run that goes on).  Logs "removed N stale stage folders
 * from an earlier run in 'PARENT' (X freed)" when there were any; returns
 * how many.  A PARENT that cannot be read is left for stage_create to
 * report. */
int stage_remove_stale(struct wtg_ctx *ctx, const char *parent);

/* Fails with -WTG_ERR_NO_SPACE (logged, saying how much is needed and
 * where) when the file system of dir has less than need_bytes free.  dir
 * is a stage's parent: its stale stages are removed first, since their
 * space is this run's to use. */
int stage_check_space(struct wtg_ctx *ctx, const char *dir, uint64_t need_bytes);

/* Creates path (it must not exist) as a sparse file of bytes. */
int stage_make_file(struct wtg_ctx *ctx, const char *path, uint64_t bytes);

/* "DIR/NAME", newly allocated. */
char *stage_path(const char *dir, const char *name);

#endif
