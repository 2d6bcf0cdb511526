/* ntfs_tight.c - the tight stage of the Windows partition: its size, and
 * growing it to the partition's afterwards (see ntfs.h). */
#include "wintogo/ntfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/run.h"
#include "wintogo/util.h"

#define CLUSTER 4096          /* mkntfs -c in ntfs.c */
#define MFT_RECORD 1024
#define INDEX_BLOCK 4096

/* What NTFS takes whatever the files: $UpCase, $Secure, $AttrDef, $Boot,
 * the bitmaps, the root's index. */
#define FIXED_METADATA (16 * MIB)

/* The estimate, from the WIM's TOTALBYTES, HARDLINKBYTES, FILECOUNT and
 * DIRCOUNT:
 *   - the files' data, each file once (TOTALBYTES counts a hard-linked
 *     file once per name, HARDLINKBYTES the names after the first);
 *   - rounded up to whole clusters: half a cluster more per file on
 *     average (small files that stay resident in their MFT record take
 *     none);
 *   - an MFT record per file and directory;
 *   - the directories' indexes: an index block per directory, and 256
 *     bytes per name (a long and a DOS name each);
 *   - files servicing adds (drivers, unattend.xml), whose count is not
 *     known: counted twice, as if in 4 KiB files;
 *   - the fixed metadata above;
 *   - then 1 % for $LogFile (mkntfs makes it 0.5 % of the volume) and 5 %
 *     of margin.
 * The margin is small on purpose: NTFS-3G leaves the free space of the
 * volume as holes between the files and in the MFT zone it keeps free
 * (12.5 % of the volume), and each hole left is a jump for a stick: on a
 * 1.5 GiB image of 30,000 files a 14 % headroom left 39 runs of data
 * after gap filling, 7 % left 18 (bench/stick-model).  Too little
 * headroom costs a second apply at the full size (ntfs_build), never a
 * failure. */
uint64_t ntfs_tight_bytes(const struct wtg_ctx *ctx, const struct wim_image *image, uint64_t added_bytes,
			  uint64_t bytes)
{
	uint64_t files = image->file_count, dirs = image->dir_count, need;

	if (ctx->hooks.stage_headroom_set) {
		need = image->expanded_size + added_bytes + ctx->hooks.stage_headroom;
	} else {
		need = image->expanded_size - image->hardlink_bytes + 2 * added_bytes +
		       files * (CLUSTER / 2 + MFT_RECORD + 256) + dirs * (MFT_RECORD + INDEX_BLOCK) + FIXED_METADATA;
		need += need / 100 + need / 20;
	}
	need = round_up(need, MIB);
	return need < bytes ? need : 0;
}

int ntfs_grow(struct wtg_ctx *ctx, const char *path, uint64_t bytes)
{
	char size[32];
	const char *resize[] = { "ntfsresize", "--force", "--size", size, RUN_FILE_PATH, NULL };
	const char *fix[] = { "ntfsfix", "--clear-dirty", RUN_FILE_PATH, NULL };
	int fd = open(path, O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s' to grow the Windows partition", path);
	/* ntfsresize grows a volume only up to the end of its device */
	if (ftruncate(fd, (off_t)bytes) < 0)
		ret = log_syserr(ctx, errno, "cannot extend '%s' to the Windows partition's size", path);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)bytes);
	if (!ret)
		ret = run_program(ctx, "growing the Windows partition", resize, NULL, fd);
	if (!ret)
		ret = run_program(ctx, "clearing the check ntfsresize scheduled", fix, NULL, fd);
	close(fd);
	return ret;
}
