/* Unit tests of the hashed blocks (extents.c), the read-back (verify.c)
 * and the manifest (manifest.c, manifest_read.c). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "wintogo/extents.h"
#include "wintogo/manifest.h"
#include "wintogo/verify.h"

#define SIZE (10 * MIB)

/* A file of SIZE bytes in dir, every byte i = i * 7; its name in path. */
static int pattern_file(const char *dir, char *path, size_t size)
{
	uint8_t *buf = xmalloc(SIZE);
	int fd;

	snprintf(path, size, "%s/wintogo-verify.XXXXXX", dir);
	fd = mkstemp(path);
	for (size_t i = 0; i < SIZE; i++)
		buf[i] = (uint8_t)(i * 7);
	if (fd < 0 || write(fd, buf, SIZE) != SIZE || fsync(fd) < 0)
		fd = -1;
	free(buf);
	return fd;
}

/* The blocks of [offset, offset + length) of fd, hashed from the file. */
static void hash_blocks(int fd, uint64_t offset, uint64_t length, struct block_list *blocks)
{
	struct extent_list list = { 0 };
	uint8_t *buf = xmalloc(BLOCK_BYTES);

	extents_add_file(ctx, &list, fd, 0, SIZE, "windows");
	extents_mark_unhashed(ctx, &list, 0, offset);
	if (offset + length < SIZE)
		extents_mark_unhashed(ctx, &list, offset + length, SIZE - offset - length);
	blocks_plan(&list, blocks);
	for (size_t i = 0; i < blocks->count; i++) {
		struct block *b = &blocks->items[i];

		if (pread(fd, buf, b->length, (off_t)b->offset) == (ssize_t)b->length)
			sha256_buffer(buf, b->length, b->sha256);
	}
	free(buf);
	extents_release(&list);
}

static void test_blocks(void)
{
	struct extent_list list = { 0 };
	struct block_list blocks = { 0 };
	char path[256];
	int fd = pattern_file("/tmp", path, sizeof(path));

	unlink(path);
	extents_add_file(ctx, &list, fd, MIB, SIZE, "esp");
	is_int(extents_mark_unhashed(ctx, &list, 3 * MIB + 5, 4096), 0, "mark a range in the middle unhashed");
	is_int(list.count, 3, "the extent is split in three");
	ok(list.items[1].unhashed && !list.items[0].unhashed && !list.items[2].unhashed,
	   "only the middle one is unhashed");
	ok(list.items[2].src_offset == 2 * MIB + 5 + 4096 && list.items[2].offset == 3 * MIB + 5 + 4096,
	   "the part after keeps its place in the stage and on the target");
	is_int(list.bytes, SIZE, "no byte is lost");
	ok(extents_find(&list, 3 * MIB + 6) == &list.items[1], "extents_find finds the middle part");
	ok(extents_find(&list, 0) == NULL, "and nothing before the first");
	blocks_plan(&list, &blocks);
	is_int(blocks.count, 1 + 2, "blocks: 2 MiB + 5 in one, the 8 MiB less 4101 after in two");
	is_int(blocks.bytes, SIZE - 4096, "the unhashed part has no block");
	is_int(extents_mark_unhashed(ctx, &list, 20 * MIB, 1), -WTG_ERR_INTERNAL, "a range outside the extents is an error");
	blocks_release(&blocks);
	extents_release(&list);
	close(fd);
}

static void test_readback(const char *dir, unsigned align, const char *how)
{
	struct block_list blocks = { 0 };
	struct verify_report r = { 0 };
	struct readback rb = { .fd = -1 };
	char path[256], name[128];
	uint64_t at = 0;
	uint8_t got = 0, want = 0, x = 0x55;
	bool changed;
	int fd = pattern_file(dir, path, sizeof(path)), src;

	/* an unaligned range: O_DIRECT reads must widen it to whole sectors */
	hash_blocks(fd, 4097, SIZE - 8192, &blocks);
	src = open(path, O_RDONLY);
	is_int(verify_open(ctx, path, &rb), 0, "verify_open a file");
	is_int(rb.size, SIZE, "it knows the size");
	if (align > 1) {
		close(rb.fd);
		rb.fd = open(path, O_RDONLY | O_DIRECT);
		rb.align = align;
	}
	snprintf(name, sizeof(name), "%s: every block reads back as hashed", how);
	ok(rb.fd >= 0 && verify_blocks(ctx, &rb, &blocks, &r) == 0 && r.n_bad == 0 &&
	   r.bytes == SIZE - 8192, name);
	verify_report_release(&r);
	/* checked: with _FORTIFY_SOURCE (a package build) an unchecked
	 * pwrite does not compile, and a byte not changed proves nothing */
	changed = pwrite(fd, &x, 1, 5 * MIB + 3) == 1 && fsync(fd) == 0;
	snprintf(name, sizeof(name), "%s: one byte changed, one block differs", how);
	ok(changed && verify_blocks(ctx, &rb, &blocks, &r) == 0 && r.n_bad == 1 &&
	   blocks.items[r.bad[0]].offset <= 5 * MIB + 3 &&
	   5 * MIB + 3 < blocks.items[r.bad[0]].offset + blocks.items[r.bad[0]].length, name);
	verify_report_release(&r);
	/* the "stage" is the original pattern: compare with a fresh copy of it */
	close(src);
	{
		char orig[256];
		int o = pattern_file("/tmp", orig, sizeof(orig));

		unlink(orig);
		snprintf(name, sizeof(name), "%s: the first difference is that byte", how);
		ok(verify_first_difference(ctx, &rb, 4097, SIZE - 8192, o, 4097, &at, &got, &want) == 0 &&
		   at == 5 * MIB + 3 && got == 0x55 && want == (uint8_t)((5 * MIB + 3) * 7), name);
		close(o);
	}
	verify_close(&rb);
	close(fd);
	unlink(path);
	blocks_release(&blocks);
}

static void test_manifest(void)
{
	struct manifest m = { 0 }, back = { 0 };
	char *text = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	struct byte_range room = { 5 * MIB, 8192 };
	uint64_t rel;

	m.tool = xstrdup("wintogo test");
	m.date = xstrdup("2026-01-01T00:00:00Z");
	m.image_path = xstrdup("/x/\"odd\" name.wim");
	m.image_name = xstrdup("Windows 10 Pro");
	m.image_index = 3;
	m.disk_bytes = 64 * MIB;
	m.sector_size = 512;
	strcpy(m.disk_guid, "00000000-0000-0000-0000-000000000001");
	m.parts[0] = (struct manifest_part){ "esp", MIB, 32 * MIB };
	m.parts[1] = (struct manifest_part){ "msr", 33 * MIB, 16 * MIB };
	m.parts[2] = (struct manifest_part){ "windows", 49 * MIB, 14 * MIB };
	m.excluded = &room;
	m.n_excluded = 1;
	blocks_add(&m.blocks, 0, 4096, "gpt")->sha256[0] = 0xab;
	blocks_add(&m.blocks, 50 * MIB, BLOCK_BYTES, "windows");
	is_int(manifest_render(ctx, &m, 0, &text, &len), 0, "render a manifest");
	is_int(manifest_render(ctx, &m, len + 100, &again, &len2), 0, "render it padded");
	ok(len2 == len + 100 && again[len2 - 1] == '\n' && again[len2 - 2] == ' ', "padded with spaces");
	is_int(manifest_parse(ctx, again, len2, "the test manifest", &back), 0, "the padded one parses");
	ok(back.image_index == 3 && !strcmp(back.image_path, m.image_path) && !back.image_hashed &&
	   back.blocks.count == 2 && back.blocks.items[0].sha256[0] == 0xab &&
	   back.n_excluded == 1 && back.excluded[0].offset == 5 * MIB &&
	   !strcmp(back.blocks.items[1].what, "windows"), "and reads back as written");
	is_str(manifest_where(&back, 49 * MIB + 10, &rel), "windows", "a byte's partition");
	is_int(rel, 10, "and its place in it");
	is_str(manifest_where(&back, 64 * MIB - 1, &rel), "gpt", "past the partitions: the GPT");
	is_int(manifest_render(ctx, &m, len - 1, &again, &len2), -WTG_ERR_INTERNAL, "too little room is an error");
	manifest_release(&back);
	text[len / 2] = '\0';
	is_int(manifest_parse(ctx, text, len / 2, "a cut manifest", &back), -WTG_ERR_MANIFEST_DAMAGED, "a cut manifest is refused");
	is_int(manifest_parse(ctx, "{\"wintogo_manifest\": 2}", 23, "a later format", &back), -WTG_ERR_MANIFEST_DAMAGED,
	       "another format is refused");
	free(text);
	free(again);
	m.excluded = NULL;
	manifest_release(&m);
}

int main(void)
{
	char probe[] = "/var/tmp/wintogo-direct.XXXXXX";
	int fd = mkstemp(probe), direct;

	test_blocks();
	test_readback("/tmp", 1, "buffered");
	/* O_DIRECT needs a file system that has it (tmpfs has not) */
	direct = fd >= 0 ? open(probe, O_RDONLY | O_DIRECT) : -1;
	if (fd >= 0)
		unlink(probe);
	if (direct >= 0) {
		close(direct);
		test_readback("/var/tmp", 4096, "O_DIRECT");
	} else {
		for (int i = 0; i < 5; i++)
			ok(1, "# skip no O_DIRECT in /var/tmp");
	}
	if (fd >= 0)
		close(fd);
	test_manifest();
	plan(tap_count);
	return done_testing();
}
