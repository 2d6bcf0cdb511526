/* Unit tests of extents.c: the data of sparse files, in target order. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "wintogo/extents.h"
#include "wintogo/util.h"

/* A sparse file of size with 4 KiB of data at each of offsets[]. */
static int sparse_file(uint64_t size, const uint64_t *offsets, size_t n)
{
	char path[] = "/tmp/wintogo-extents.XXXXXX";
	int fd = mkstemp(path);
	char buf[4096];

	unlink(path);
	memset(buf, 0xab, sizeof(buf));
	if (ftruncate(fd, (off_t)size) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (pwrite(fd, buf, sizeof(buf), (off_t)offsets[i]) != sizeof(buf))
			return -1;
	fsync(fd);
	return fd;
}

int main(void)
{
	const uint64_t a_data[] = { 0, 8 * MIB };
	const uint64_t b_data[] = { 1 * MIB };
	int a = sparse_file(16 * MIB, a_data, 2), b = sparse_file(4 * MIB, b_data, 1);
	struct extent_list list = { 0 };

	plan(19);
	is_int(extents_add_file(ctx, &list, b, 32 * MIB, 4 * MIB, "b"), 0, "add a file with one data run");
	is_int(extents_add_file(ctx, &list, a, 0, 16 * MIB, "a"), 0, "add a file with two data runs");
	is_int(extents_finish(ctx, &list), 0, "they do not overlap");
	ok(list.count >= 3, "three runs of data at least");
	ok(list.items[0].offset == 0 && !strcmp(list.items[0].what, "a"), "sorted: a's first run first");
	ok(list.items[list.count - 1].offset >= 32 * MIB + MIB && !strcmp(list.items[list.count - 1].what, "b"),
	   "b's run last, at its target offset");
	ok(list.bytes >= 3 * 4096 && list.bytes < 2 * MIB, "only data counts, not holes");
	extents_release(&list);

	extents_add_file(ctx, &list, a, 0, 16 * MIB, "a");
	extents_add_file(ctx, &list, b, 8 * MIB - 1 * MIB, 4 * MIB, "b");
	is_int(extents_finish(ctx, &list), -WTG_ERR_INTERNAL, "overlapping extents are an error");
	extents_release(&list);
	is_int(extents_add_file(ctx, &list, a, 0, 4096, "a"), 0, "a length cut inside a data run");
	extents_release(&list);

	/* gap filling: c's runs at 0 and 512 KiB join (a 508 KiB hole), the
	 * one at 3 MiB does not (a hole of 2.5 MiB); b, another file 4 KiB
	 * after c's last run, stays apart */
	{
		const uint64_t c_data[] = { 0, 512 * 1024, 3 * MIB };
		int c = sparse_file(4 * MIB, c_data, 3);
		uint64_t before;

		extents_add_file(ctx, &list, c, 0, 4 * MIB, "c");
		extents_add_file(ctx, &list, b, 3 * MIB + 8192 - MIB, 4 * MIB, "b");
		extents_finish(ctx, &list);
		before = list.bytes;
		is_int((int)list.count, 4, "four runs before filling");
		ok(extents_fill_gaps(&list, 0) == 0 && list.count == 4, "--fill-gaps 0 changes nothing");
		is_int((int)(extents_fill_gaps(&list, MIB) / 1024), 508, "a 1 MiB threshold adds the 508 KiB hole");
		is_int((int)list.count, 3, "three runs after");
		ok(list.items[0].offset == 0 && list.items[0].length == 512 * 1024 + 4096 && list.items[0].fd == c &&
		   list.items[0].src_offset == 0, "the first run spans both, read from c at 0");
		ok(list.items[1].offset == 3 * MIB && list.items[2].fd == b, "the far run and the other file stay apart");
		ok(list.bytes == before + 508 * 1024, "the list's bytes count the zeros sent");
		ok(extents_find(&list, 256 * 1024) == &list.items[0], "the filled hole is in the stream");
		extents_release(&list);
		close(c);
	}

	/* a blank disk: no data, so no items array at all */
	is_int(extents_finish(ctx, &list), 0, "an empty list finishes (a blank disk)");
	ok(list.count == 0 && list.bytes == 0 && !extents_find(&list, 0), "and holds nothing");
	close(a);
	close(b);
	return done_testing();
}
