/* fuzz_wimhdr.c - the WIM header check and which bytes of a WIM wimlib
 * reads (wimhdr.h): the header, the blob table and the solid resource
 * headers it names.  The input is the whole WIM; its size is the file
 * size. */
#include <string.h>

#include "fuzz.h"
#include "wintogo/wimhdr.h"

struct input {
	const uint8_t *data;
	size_t size;
};

/* Reads inside the input; a read past its end is a bug of the caller,
 * which was told the file size. */
static int read_input(void *user, uint64_t offset, void *buf, size_t len)
{
	const struct input *in = user;

	FUZZ_ASSERT(offset <= in->size && len <= in->size - offset);
	memcpy(buf, in->data + offset, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct byte_range *ranges = NULL;
	size_t count = 0;
	char why[WIMHDR_WHY_SIZE];
	int checked = wimhdr_check_header(data, size < WIMHDR_SIZE ? size : WIMHDR_SIZE, size, why, sizeof(why));
	int ret;

	/* a refusal says why, in a string that fits */
	FUZZ_ASSERT(checked == 0 || checked == -WTG_ERR_NOT_AN_IMAGE || checked == -WTG_ERR_IMAGE_UNSUPPORTED ||
		    checked == -WTG_ERR_IMAGE_DAMAGED);
	FUZZ_ASSERT(checked == 0 || memchr(why, '\0', sizeof(why)));
	ret = wimhdr_open_ranges(size, read_input, &in, &ranges, &count);

	if (ret) {
		FUZZ_ASSERT(ret == -EINVAL);
	} else {
		/* the header first, every range non-empty and inside the file */
		FUZZ_ASSERT(count >= 1 && ranges[0].offset == 0 && ranges[0].length == 208);
		for (size_t i = 0; i < count; i++)
			FUZZ_ASSERT(ranges[i].length && ranges[i].offset <= size &&
				    ranges[i].length <= size - ranges[i].offset);
	}
	free(ranges);
	return 0;
}
