/* fuzz_manifest.c - the manifest parser (manifest_parse, manifest.h), and
 * its round trip: a manifest it accepts, rendered again by
 * manifest_render, parses to the same manifest. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wintogo/manifest.h"

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void assert_same(const struct manifest *a, const struct manifest *b)
{
	FUZZ_ASSERT(same_string(a->tool, b->tool) && same_string(a->date, b->date));
	FUZZ_ASSERT(same_string(a->image_path, b->image_path));
	FUZZ_ASSERT(same_string(a->image_name, b->image_name));
	FUZZ_ASSERT(a->image_index == b->image_index && a->image_hashed == b->image_hashed);
	FUZZ_ASSERT(!a->image_hashed || !memcmp(a->image_sha256, b->image_sha256, SHA256_BYTES));
	FUZZ_ASSERT(a->disk_bytes == b->disk_bytes && a->sector_size == b->sector_size);
	FUZZ_ASSERT(!strcmp(a->disk_guid, b->disk_guid));
	for (int i = 0; i < PART_COUNT; i++)
		FUZZ_ASSERT(same_string(a->parts[i].role, b->parts[i].role) &&
			    a->parts[i].offset == b->parts[i].offset && a->parts[i].size == b->parts[i].size);
	FUZZ_ASSERT(a->n_excluded == b->n_excluded);
	FUZZ_ASSERT(!a->n_excluded ||
		    !memcmp(a->excluded, b->excluded, a->n_excluded * sizeof(*a->excluded)));
	FUZZ_ASSERT(a->blocks.count == b->blocks.count && a->blocks.bytes == b->blocks.bytes);
	for (size_t i = 0; i < a->blocks.count; i++) {
		const struct block *x = &a->blocks.items[i], *y = &b->blocks.items[i];

		FUZZ_ASSERT(x->offset == y->offset && x->length == y->length);
		FUZZ_ASSERT(!strcmp(x->what, y->what) && !memcmp(x->sha256, y->sha256, SHA256_BYTES));
	}
}

/* What manifest_parse promises of the blocks: in order, at most
 * BLOCK_BYTES each, on the disk. */
static void assert_blocks(const struct manifest *m)
{
	uint64_t end = 0;

	for (size_t i = 0; i < m->blocks.count; i++) {
		const struct block *b = &m->blocks.items[i];
		uint64_t rel;

		FUZZ_ASSERT(b->length && b->length <= BLOCK_BYTES && b->offset >= end);
		FUZZ_ASSERT(b->offset + b->length <= m->disk_bytes);
		FUZZ_ASSERT(manifest_where(m, b->offset, &rel) != NULL);
		end = b->offset + b->length;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wtg_ctx ctx;
	struct manifest m = { 0 }, again = { 0 };
	char *text = NULL;
	size_t len = 0;
	int ret;

	fuzz_ctx_init(&ctx);
	ret = manifest_parse(&ctx, (const char *)data, size, "the input", &m);
	if (ret) {
		fuzz_assert_failed_cleanly(&ctx, ret);
		goto out;
	}
	assert_blocks(&m);
	ret = manifest_render(&ctx, &m, 0, &text, &len);
	FUZZ_ASSERT(ret == 0);
	ret = manifest_parse(&ctx, text, len, "the rendered input", &again);
	if (ret)
		fprintf(stderr, "the rendered manifest does not parse:\n%.*s\n", (int)len, text);
	FUZZ_ASSERT(ret == 0);
	assert_same(&m, &again);
	manifest_release(&again);
	manifest_release(&m);
out:
	free(text);
	wtg_ctx_release(&ctx);
	return 0;
}
