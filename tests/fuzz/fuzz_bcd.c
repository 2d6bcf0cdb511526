/* fuzz_bcd.c - the BCD viewer (bcd_view.h): a registry hive opened with
 * hivex, its objects and elements, and every value as text. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "wintogo/bcd_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wtg_ctx ctx;
	struct bcd_view view = { .n_objects = 7 };
	int ret;

	fuzz_ctx_init(&ctx);
	ret = bcd_view_read(&ctx, fuzz_file(data, size), &view);
	if (ret) {
		fuzz_assert_failed_cleanly(&ctx, ret);
		FUZZ_ASSERT(view.n_objects == 7);  /* _ret written only on success */
		goto out;
	}
	for (size_t i = 0; i < view.n_objects; i++) {
		const struct bcd_view_object *o = &view.objects[i];

		FUZZ_ASSERT(o->guid);
		FUZZ_ASSERT(!o->alias || bcd_view_alias(o->guid) == o->alias);
		for (size_t k = 0; k < o->n_elements; k++) {
			const struct bcd_view_element *e = &o->elements[k];
			char *text = bcd_view_value_text(e);

			/* one line of text (ASan checks that it is terminated) */
			FUZZ_ASSERT(text && !strchr(text, '\n'));
			FUZZ_ASSERT(bcd_view_format_name(e->code) != NULL);
			free(text);
		}
	}
	bcd_view_release(&view);
out:
	wtg_ctx_release(&ctx);
	return 0;
}
