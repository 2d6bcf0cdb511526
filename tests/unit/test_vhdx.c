/* Unit tests of sink_vhdx.c and vhdx.c: a disk written as VHDX reads back
 * the same, only its data blocks are stored, and damage is refused. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "wintogo/extents.h"
#include "wintogo/sink.h"
#include "wintogo/util.h"
#include "wintogo/input.h"
#include "wintogo/vhdx.h"
#include "wintogo/vhdx_format.h"

#define DISK (64 * MIB + 4096)   /* not a whole number of blocks */

static char dir[] = "/tmp/wintogo-vhdx.XXXXXX";

static char *path(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* A sparse disk: 4 KiB at 0, 1 MiB of data at 8 MiB, 100 bytes at the
 * very end, and a zero-filled (but allocated) MiB at 20 MiB. */
static int make_disk(void)
{
	char *p = path("disk.img");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	uint8_t *buf = xcalloc(1, MIB);

	free(p);
	for (size_t i = 0; i < MIB; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	if (fd < 0 || ftruncate(fd, DISK) < 0 || pwrite(fd, buf, 4096, 0) != 4096 ||
	    pwrite(fd, buf, MIB, 8 * MIB) != (ssize_t)MIB ||
	    pwrite(fd, buf, 100, DISK - 100) != 100) {
		free(buf);
		return -1;
	}
	memset(buf, 0, MIB);
	if (pwrite(fd, buf, MIB, 20 * MIB) != (ssize_t)MIB)
		fd = -1;
	free(buf);
	return fd;
}

static int write_vhdx(int disk, const char *out, const struct sink_format *format)
{
	struct extent_list list = { 0 };
	struct block_list blocks = { 0 };
	struct sink *sink = NULL;
	int ret = extents_add_file(ctx, &list, disk, 0, DISK, "disk");

	if (!ret)
		ret = extents_finish(ctx, &list);
	if (!ret)
		ret = sink_open_format(ctx, SINK_VHDX, out, DISK, true, 0, format, &sink);
	if (!ret)
		ret = sink_write_all(sink, &list, &blocks);
	if (!ret)
		ret = sink_finish(sink);
	sink_free(sink);
	extents_release(&list);
	blocks_release(&blocks);
	return ret;
}

/* The whole virtual disk, read through libvhdi, equals the disk. */
static bool same_content(struct vhdx *v, int disk)
{
	uint8_t *a = xmalloc(MIB), *b = xmalloc(MIB);
	bool same = true;

	for (uint64_t off = 0; off < DISK && same; off += MIB) {
		size_t n = DISK - off < MIB ? DISK - off : MIB;

		same = vhdx_read(ctx, v, off, a, n) == 0 && pread(disk, b, n, (off_t)off) == (ssize_t)n &&
		       !memcmp(a, b, n);
	}
	free(a);
	free(b);
	return same;
}

static void patch(const char *p, uint64_t offset, const void *bytes, size_t n)
{
	int fd = open(p, O_WRONLY);

	if (fd < 0 || pwrite(fd, bytes, n, (off_t)offset) != (ssize_t)n)
		abort();
	close(fd);
}

/* Copies [DISK - 4096, DISK - 4096 + UINT64_MAX) into a file: the sum
 * wraps, and what must be copied is the last 4 KiB of the disk. */
static bool copy_wraps(struct vhdx *v, int disk)
{
	char *p = path("tail.img");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	uint8_t a[4096], b[4096];
	bool same;

	same = fd >= 0 && vhdx_copy_range(ctx, v, DISK - 4096, UINT64_MAX, fd, 0) == 0 &&
	       pread(fd, a, sizeof(a), 0) == (ssize_t)sizeof(a) &&
	       pread(disk, b, sizeof(b), DISK - 4096) == (ssize_t)sizeof(b) && !memcmp(a, b, sizeof(a));
	if (fd >= 0)
		close(fd);
	unlink(p);
	free(p);
	return same;
}

/* Copies the MiB of data at 8 MiB into a file that may not grow past
 * 5000 bytes (RLIMIT_FSIZE, SIGXFSZ ignored): the first write of 64 KiB
 * writes 5000 and returns that, with no error and errno untouched. */
static int short_write(struct vhdx *v)
{
	char *p = path("short.img");
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600), ret = -1;
	struct rlimit old, small;

	if (fd >= 0 && getrlimit(RLIMIT_FSIZE, &old) == 0) {
		small = old;
		small.rlim_cur = 5000;
		signal(SIGXFSZ, SIG_IGN);
		errno = 0;
		if (setrlimit(RLIMIT_FSIZE, &small) == 0) {
			ret = vhdx_copy_range(ctx, v, 8 * MIB, MIB, fd, 0);
			setrlimit(RLIMIT_FSIZE, &old);
		}
		signal(SIGXFSZ, SIG_DFL);
	}
	if (fd >= 0)
		close(fd);
	unlink(p);
	free(p);
	return ret;
}

int main(void)
{
	struct sink_format four_k = { .logical_sector = 4096, .block_size = 2 * MIB };
	char *out = NULL, *bad = NULL;
	struct vhdx *v = NULL;
	struct stat sb;
	int disk;

	plan(19);
	if (!mkdtemp(dir))
		return 1;
	disk = make_disk();
	out = path("out.vhdx");
	bad = path("bad.vhdx");

	is_int(write_vhdx(disk, out, NULL), 0, "a disk written as VHDX (defaults)");
	ok(input_kind_of(out) == INPUT_VHDX, "it starts with the VHDX signature");
	is_int(vhdx_open(ctx, out, &v), 0, "and opens again, every check passed");
	if (v) {
		const struct vhdx_disk_info *in = vhdx_info(v);

		ok(in->virtual_size == DISK && in->block_size == MIB && in->logical_sector == 512 &&
		   in->physical_sector == 4096, "size, 1 MiB blocks, 512/4096-byte sectors");
		is_int((long long)in->stored_blocks, 3, "three blocks stored: the zero MiB is not");
		ok(same_content(v, disk), "libvhdi reads it back as the disk");
		stat(out, &sb);
		ok((uint64_t)sb.st_size <= 3 * MIB + 3 * MIB + MIB, "the file is 3 MiB (headers, log, metadata), 3 blocks and the BAT");
		vhdx_close(v);
		v = NULL;
	}

	is_int(vhdx_open(ctx, out, &v), 0, "opened again for reads at hostile offsets");
	if (v) {
		uint8_t buf[512];

		is_int(vhdx_read(ctx, v, UINT64_MAX - 100, buf, sizeof(buf)), -WTG_ERR_IMAGE_DAMAGED,
		       "a read at an offset whose end wraps past 2^64 is refused");
		is_int(vhdx_read(ctx, v, DISK - 100, buf, sizeof(buf)), -WTG_ERR_IMAGE_DAMAGED,
		       "a read across the end of the virtual disk is refused");
		ok(copy_wraps(v, disk), "a copy whose length wraps past 2^64 stops at the disk's end");
		is_int(short_write(v), -WTG_ERR_NO_SPACE, "a write that stops short without an error is no-space");
		vhdx_close(v);
		v = NULL;
	}

	is_int(write_vhdx(disk, out, &four_k), 0, "written with 4096-byte sectors and 2 MiB blocks");
	is_int(vhdx_open(ctx, out, &v), 0, "opens");
	ok(v && vhdx_info(v)->logical_sector == 4096 && vhdx_info(v)->block_size == 2 * MIB &&
	   same_content(v, disk), "4096-byte sectors, 2 MiB blocks, the same content");
	vhdx_close(v);
	v = NULL;

	four_k.block_size = 3 * MIB;
	is_int(write_vhdx(disk, bad, &four_k), -WTG_ERR_INVALID_ARGUMENT, "a block size not a power of two is refused");
	ok(access(bad, F_OK) < 0, "and nothing is written");

	/* damage: both headers' checksums */
	write_vhdx(disk, bad, NULL);
	patch(bad, VHDX_HEADER1_OFFSET + 4, "\xff", 1);
	patch(bad, VHDX_HEADER2_OFFSET + 4, "\xff", 1);
	is_int(vhdx_open(ctx, bad, &v), -WTG_ERR_IMAGE_DAMAGED, "a VHDX with no valid header is refused");
	write_vhdx(disk, bad, NULL);
	if (truncate(bad, 3 * MIB) < 0)
		return 1;
	is_int(vhdx_open(ctx, bad, &v) < 0, 1, "a truncated VHDX is refused");

	unlink(bad);
	unlink(out);
	free(bad);
	free(out);
	close(disk);
	out = path("disk.img");
	unlink(out);
	free(out);
	rmdir(dir);
	return done_testing();
}
