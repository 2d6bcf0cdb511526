/* ntfs_used.c - which bytes of an NTFS volume hold anything (see ntfs.h). */
#include "wintogo/ntfs.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>  /* before libntfs-3g, which declares a timespec of its own without it */

#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/volume.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define BITMAP_CHUNK (64 * 1024)

int ntfs_used_ranges(struct wtg_ctx *ctx, const char *path, const char *shown, uint64_t bytes,
		     ntfs_range_fn add, void *user)
{
	ntfs_volume *vol = ntfs_mount(path, NTFS_MNT_RDONLY);
	uint8_t *bitmap = NULL;
	uint64_t clusters, cluster_bytes, run_start = 0, end_of_clusters;
	bool in_run = false;
	int ret = 0;

	if (!vol)
		return log_syserr(ctx, errno, "cannot read the NTFS just built on '%s'", shown);
	clusters = (uint64_t)vol->nr_clusters;
	cluster_bytes = vol->cluster_size;
	/* the volume's own figures, checked against the range it was built in */
	if (!cluster_bytes || __builtin_mul_overflow(clusters, cluster_bytes, &end_of_clusters) ||
	    end_of_clusters > bytes) {
		ret = log_error(ctx, WTG_ERR_INTERNAL, "the NTFS just built on '%s' says it has %llu clusters of %llu bytes, more than its %llu bytes",
				shown, (unsigned long long)clusters, (unsigned long long)cluster_bytes,
				(unsigned long long)bytes);
		goto out;
	}
	bitmap = xmalloc(BITMAP_CHUNK);
	for (uint64_t at = 0; at < clusters && !ret; at += (uint64_t)BITMAP_CHUNK * 8) {
		uint64_t n = clusters - at < (uint64_t)BITMAP_CHUNK * 8 ? clusters - at : (uint64_t)BITMAP_CHUNK * 8;
		s64 want = (s64)((n + 7) / 8), got = ntfs_attr_pread(vol->lcnbmp_na, (s64)(at / 8), want, bitmap);

		if (got != want) {
			ret = log_syserr(ctx, got < 0 ? errno : EIO, "cannot read the cluster bitmap of the NTFS just built on '%s'",
					 shown);
			break;
		}
		for (uint64_t i = 0; i < n && !ret; i++) {
			bool used = bitmap[i / 8] >> (i % 8) & 1;

			if (used && !in_run)
				run_start = at + i;
			else if (!used && in_run)
				ret = add(user, run_start * cluster_bytes, (at + i - run_start) * cluster_bytes);
			in_run = used;
		}
	}
	if (!ret && in_run)
		ret = add(user, run_start * cluster_bytes, (clusters - run_start) * cluster_bytes);
	/* past the last cluster: the backup boot sector, which mkntfs writes
	 * in the last sector of the range */
	if (!ret && end_of_clusters < bytes)
		ret = add(user, end_of_clusters, bytes - end_of_clusters);
out:
	free(bitmap);
	ntfs_umount(vol, FALSE);
	return ret;
}
