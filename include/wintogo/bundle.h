/* bundle.h - a VM bundle: a folder DIR/NAME.EXT (NAME.utm for UTM,
 * NAME.vmwarevm for VMware Fusion, NAME.hdd for Parallels) that a Mac
 * hypervisor opens as one VM or one disk.
 *
 * A bundle is written as DIR/NAME.EXT.partial, a folder its run holds an
 * exclusive flock(2) on (the folder itself, opened O_DIRECTORY) from its
 * creation until it has been renamed to DIR/NAME.EXT, as outfile.h does
 * for a file: a .partial nobody holds was left by a dead run and is
 * removed, one another run holds is refused.  With force, an existing
 * bundle is swapped for the new one in one rename (RENAME_EXCHANGE) and
 * then removed, so that there is no moment with neither.
 *
 * The VM's name goes into the bundle's file name and into the
 * hypervisor's configuration (an XML plist, a .vmx, a shell script), so
 * it must be UTF-8 with no control characters: vm_name_check refuses the
 * rest. */
#ifndef WINTOGO_BUNDLE_H
#define WINTOGO_BUNDLE_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/wim.h"

/* What the VMware and Parallels bundles are made from (vmware.h,
 * parallels.h). */
struct vm_bundle_request {
	const char *dir;          /* the bundle is made in here */
	const char *name;         /* the VM's name */
	const char *disk;         /* the VMDK or Parallels image to put in it */
	uint64_t disk_bytes;      /* its virtual size */
	enum wim_arch arch;       /* WIM_ARCH_X64 or WIM_ARCH_ARM64 */
	unsigned cpus;
	uint64_t memory_mib;
	bool force;               /* replace an existing bundle */
};

/* Refuses (logged, -WTG_ERR_INVALID_ARGUMENT) a name that is not UTF-8,
 * holds a control character (U+0000 to U+001F, U+007F to U+009F) or a
 * '/', is empty, "." or "..", or is too long for a file name with its
 * extension. */
int vm_name_check(struct wtg_ctx *ctx, const char *name);

/* DIR/NAME.EXT, newly allocated, after vm_name_check; refused (logged)
 * when DIR is no folder (option names the option that gave it, for the
 * message) or when the bundle exists and force is not set.  Called before
 * anything is written. */
int bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, const char *ext,
		const char *option, bool force, char **path_ret);

struct bundle {
	char *path;      /* DIR/NAME.EXT */
	char *partial;   /* DIR/NAME.EXT.partial while it is made */
	int fd;          /* the .partial folder, locked */
	bool force;
};

/* Makes and locks path.partial (removing a stale one; -WTG_ERR_TARGET_BUSY
 * when another run holds it).  Logged. */
int bundle_open(struct wtg_ctx *ctx, struct bundle *b, const char *path, bool force);

/* The path of rel inside the .partial, newly allocated. */
char *bundle_file(const struct bundle *b, const char *rel);

/* Makes the folder rel inside the .partial.  Logged. */
int bundle_mkdir(struct wtg_ctx *ctx, const struct bundle *b, const char *rel);

/* Writes len bytes as the new file rel inside the .partial, fsynced.  Logged. */
int bundle_write_file(struct wtg_ctx *ctx, const struct bundle *b, const char *rel,
		      const void *data, size_t len, unsigned mode);

/* Puts the file disk into the .partial as rel: a hard link where both are
 * on one file system, else a copy (copy_file_range where the kernel can,
 * else read and write), fsynced.  Logged. */
int bundle_put_file(struct wtg_ctx *ctx, const struct bundle *b, const char *disk, const char *rel);

/* Renames the .partial to the bundle's path (see above for force), fsyncs
 * DIR, lets the lock go.  Logged. */
int bundle_commit(struct wtg_ctx *ctx, struct bundle *b);

/* Removes the .partial (if not committed) and frees the names. */
void bundle_abort(struct bundle *b);

#endif
