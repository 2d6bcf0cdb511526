/* fuzz_pe.c - the PE/Authenticode readers: pe_read_info (pe.h: MZ header,
 * PE signature, COFF machine, Subsystem, the security data directory) and
 * authenticode_parse (authenticode.h: the certificate table, its PKCS#7
 * signatures, nested ones, the file's digest). */
#include "fuzz.h"
#include "wintogo/authenticode.h"
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
		FUZZ_ASSERT(pe_subsystem_name(info.subsystem) != NULL);
		/* the two readers agree */
		FUZZ_ASSERT(pe_read_machine(&ctx, path, &machine) == 0);
		FUZZ_ASSERT(machine == info.machine);
	}
	{
		struct authenticode a = { .n_signers = 99 };

		if (authenticode_parse(data, size, &a) == 0) {
			/* what the signature reader takes for a PE image, so does pe.c */
			FUZZ_ASSERT(ret == 0);
			FUZZ_ASSERT(a.n_signers <= AUTHENTICODE_SIGNERS_MAX);
			FUZZ_ASSERT(a.status == AUTHENTICODE_UNSIGNED || a.status == AUTHENTICODE_SIGNED ||
				    a.status == AUTHENTICODE_DAMAGED);
			FUZZ_ASSERT(a.status != AUTHENTICODE_DAMAGED || a.damage[0]);
			FUZZ_ASSERT(sb_ca_name(authenticode_ca(&a)) != NULL);
		} else {
			FUZZ_ASSERT(a.n_signers == 99);  /* _ret written only on success */
		}
	}
	wtg_ctx_release(&ctx);
	return 0;
}
