/* fuzz_pe.c - the PE/Authenticode reader (pe_read_info, pe.h): MZ header,
 * PE signature, COFF machine, the security data directory. */
#include "fuzz.h"
#include "wintogo/pe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_file(data, size);
	struct wtg_ctx ctx;
	struct pe_info info = { .machine = 0x1234 };
	uint16_t machine = 0;
	int ret;

	fuzz_ctx_init(&ctx);
	ret = pe_read_info(&ctx, path, &info);
	if (ret) {
		fuzz_assert_failed_cleanly(&ctx, ret);
		FUZZ_ASSERT(info.machine == 0x1234);  /* _ret written only on success */
	} else {
		FUZZ_ASSERT(size >= 64 && data[0] == 'M' && data[1] == 'Z');
		FUZZ_ASSERT(pe_machine_name(info.machine) != NULL);
		/* the two readers agree */
		FUZZ_ASSERT(pe_read_machine(&ctx, path, &machine) == 0);
		FUZZ_ASSERT(machine == info.machine);
	}
	wtg_ctx_release(&ctx);
	return 0;
}
