/* esp_reserve.c - a file of fixed size on the ESP whose clusters are
 * known (see esp_reserve.h): made with mtools, found with mshowfat and the
 * FAT32 boot sector. */
#include "wintogo/esp_reserve.h"

#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/mtools.h"
#include "wintogo/util.h"


/* The FAT32 boot sector, as far as the cluster arithmetic needs it. */
struct fat32_boot {
	uint8_t jump[3];
	char oem[8];
	uint16_t bytes_per_sector;
	uint8_t sectors_per_cluster;
	uint16_t reserved_sectors;
	uint8_t fats;
	uint16_t root_entries;
	uint16_t sectors16;
	uint8_t media;
	uint16_t fat16_sectors;
	uint16_t sectors_per_track;
	uint16_t heads;
	uint32_t hidden_sectors;
	uint32_t sectors32;
	uint32_t fat32_sectors;
} __attribute__((packed));
static_assert(sizeof(struct fat32_boot) == 40, "FAT32 BPB up to BPB_FATSz32");
static_assert(offsetof(struct fat32_boot, fat32_sectors) == 36, "BPB_FATSz32 at 36");

struct fat_geometry {
	uint64_t data_start;      /* byte of cluster 2 */
	uint64_t cluster_bytes;
};

static int read_geometry(struct wtg_ctx *ctx, const char *esp, struct fat_geometry *geo_ret)
{
	struct fat32_boot b;
	int fd = open(esp, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	uint64_t sector;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", esp);
	n = pread(fd, &b, sizeof(b), 0);
	close(fd);
	if (n != (ssize_t)sizeof(b))
		return log_syserr(ctx, n < 0 ? errno : EIO, "cannot read the boot sector of '%s'", esp);
	sector = le16toh(b.bytes_per_sector);
	if (!sector || !b.sectors_per_cluster || !b.fats || !le32toh(b.fat32_sectors))
		return log_error(ctx, WTG_ERR_TOOL_FAILED, "'%s' is not a FAT32 file system", esp);
	geo_ret->cluster_bytes = sector * b.sectors_per_cluster;
	geo_ret->data_start = sector * (le16toh(b.reserved_sectors) +
					(uint64_t)b.fats * le32toh(b.fat32_sectors));
	return 0;
}

/* mshowfat's "::/wintogo/manifest.json <4-43> <50>" as byte ranges. */
static int parse_chain(struct wtg_ctx *ctx, const char *text, const struct fat_geometry *geo,
		       struct byte_range **ranges_ret, size_t *n_ret)
{
	struct byte_range *ranges = NULL;
	size_t n = 0;

	for (const char *p = strchr(text, '<'); p; p = strchr(p + 1, '<')) {
		unsigned long long first, last;
		int len = 0;

		if (sscanf(p, "<%llu-%llu>%n", &first, &last, &len) != 2 || !len) {
			if (sscanf(p, "<%llu>%n", &first, &len) != 1 || !len)
				break;
			last = first;
		}
		if (first < 2 || last < first) {
			free(ranges);
			return log_error(ctx, WTG_ERR_TOOL_FAILED, "mshowfat gave a cluster chain that cannot be: '%s'", text);
		}
		ranges = xrealloc(ranges, (n + 1) * sizeof(*ranges));
		ranges[n++] = (struct byte_range){ geo->data_start + (first - 2) * geo->cluster_bytes,
						   (last - first + 1) * geo->cluster_bytes };
	}
	*ranges_ret = ranges;
	*n_ret = n;
	return 0;
}

static int make_content(struct wtg_ctx *ctx, const char *scratch, uint64_t bytes)
{
	char spaces[4096];
	int fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot create '%s'", scratch);
	memset(spaces, ' ', sizeof(spaces));
	for (uint64_t done = 0; done < bytes && !ret;) {
		size_t n = bytes - done < sizeof(spaces) ? (size_t)(bytes - done) : sizeof(spaces);

		ret = write_all(fd, spaces, n);
		if (ret < 0)
			ret = log_syserr(ctx, -ret, "cannot write '%s'", scratch);
		done += n;
	}
	close(fd);
	return ret;
}

int esp_reserve_file(struct wtg_ctx *ctx, const char *esp, const char *scratch, const char *folder,
		     const char *name, uint64_t bytes, struct byte_range **ranges_ret,
		     size_t *n_ret)
{
	char *path = xasprintf("%s/%s", folder, name), *chain = NULL;
	struct mtools_image image = { .fd = -1 };
	const char *mmd[] = { "mmd", "-D", "s", "-i", image.name, folder, NULL };
	const char *mcopy[] = { "mcopy", "-D", "o", "-i", image.name, scratch, path, NULL };
	const char *mshowfat[] = { "mshowfat", "-i", image.name, path, NULL };
	struct byte_range *ranges = NULL;
	struct fat_geometry geo = { 0 };
	uint64_t total = 0;
	size_t n = 0, len;
	int ret;

	ret = read_geometry(ctx, esp, &geo);
	if (!ret && bytes % geo.cluster_bytes)
		ret = log_error(ctx, WTG_ERR_INTERNAL, "internal error: %llu bytes to reserve on the ESP are not whole clusters of %llu",
				(unsigned long long)bytes, (unsigned long long)geo.cluster_bytes);
	if (!ret)
		ret = make_content(ctx, scratch, bytes);
	if (!ret)
		ret = mtools_image_open(ctx, esp, 0, true, &image);
	if (!ret)
		ret = mtools_run(ctx, "making a folder on the ESP", &image, mmd);
	if (!ret)
		ret = mtools_run(ctx, "making the manifest's file on the ESP", &image, mcopy);
	unlink(scratch);
	if (!ret)
		ret = mtools_run_output(ctx, "finding the clusters of the manifest on the ESP", &image, mshowfat,
					&chain, &len);
	mtools_image_close(&image);
	if (!ret)
		ret = parse_chain(ctx, chain, &geo, &ranges, &n);
	for (size_t i = 0; i < n; i++)
		total += ranges[i].length;
	if (!ret && total != bytes)
		ret = log_error(ctx, WTG_ERR_TOOL_FAILED, "'%s' on the ESP has clusters for %llu bytes, not %llu: '%s'", path,
				(unsigned long long)total, (unsigned long long)bytes, chain);
	free(chain);
	free(path);
	if (ret < 0) {
		free(ranges);
		return ret;
	}
	*ranges_ret = ranges;
	*n_ret = n;
	return 0;
}
