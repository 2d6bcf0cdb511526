/* fuzz_layout.c - the partition table and ESP reader (layout.h): a disk
 * image read with libfdisk, with 512- and 4096-byte sectors, and its EFI
 * system partition. */
#include <string.h>

#include "fuzz.h"
#include "wintogo/layout.h"

/* A table that was read: a label libfdisk knows, partitions whose fields
 * are terminated strings. */
static void check_table(const struct layout_table *t, unsigned sector_size)
{
	FUZZ_ASSERT(memchr(t->label, '\0', sizeof(t->label)) && t->label[0]);
	FUZZ_ASSERT(!sector_size || t->sector_size == sector_size);
	for (size_t i = 0; i < t->count; i++) {
		const struct layout_entry *e = &t->entries[i];

		FUZZ_ASSERT(e->number >= 1 && memchr(e->type, '\0', sizeof(e->type)));
		FUZZ_ASSERT(!e->name || strlen(e->name) < 4096);
		FUZZ_ASSERT(!e->uuid || strlen(e->uuid) < 64);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned sector_sizes[] = { 0, 4096 };
	const char *path = fuzz_file(data, size);
	uint64_t offset = 1, length = 1;
	struct wtg_ctx ctx;
	int ret;

	fuzz_ctx_init(&ctx);
	for (size_t k = 0; k < sizeof(sector_sizes) / sizeof(sector_sizes[0]); k++) {
		struct layout_table t;

		ret = layout_read_table(&ctx, path, sector_sizes[k], &t);
		if (ret == 0) {
			check_table(&t, sector_sizes[k]);
			layout_table_release(&t);
		} else if (ret != -ENOENT) {
			fuzz_assert_failed_cleanly(&ctx, ret);
		}
	}
	wtg_ctx_clear_error(&ctx);
	ret = layout_find_esp(&ctx, path, &offset, &length);
	if (ret && ret != -WTG_ERR_NOT_BOOTABLE)
		fuzz_assert_failed_cleanly(&ctx, ret);
	if (ret)
		FUZZ_ASSERT(offset == 1 && length == 1);  /* _ret written only on success */
	wtg_ctx_release(&ctx);
	return 0;
}
