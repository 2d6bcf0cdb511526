/* Unit tests of host.c (named hosts) and macmodels.c: the Mac model
 * table, found in the context's data folder, and the naming rule. */
#include <errno.h>
#include <stdlib.h>

#include "tap.h"
#include "wintogo/host.h"
#include "wintogo/macmodels.h"

static void test_hosts(void)
{
	struct host h;

	is_int(host_resolve(ctx, "Mac14,2", &h), 0, "Mac14,2 is a host");
	is_str(host_kind_name(h.kind), "apple-silicon", "  Apple Silicon");
	is_str(h.mac.marketing_name, "MacBook Air (M2, 2022)", "  its name from the table");
	ok(h.mac_in_table && h.cpu_arch == WIM_ARCH_ARM64, "  from the table, arm64");
	is_int(host_resolve(ctx, "mac14,2", &h), 0, "model identifiers are case-blind");
	is_str(h.mac.identifier, "Mac14,2", "  and spelled as Apple does");
	host_resolve(ctx, "MacBookPro16,1", &h);
	is_str(host_kind_name(h.kind), "intel-mac-t2", "MacBookPro16,1 has a T2");
	host_resolve(ctx, "MacBookAir7,2", &h);
	is_str(host_kind_name(h.kind), "intel-mac", "MacBookAir7,2 (2017) has none");
	host_resolve(ctx, "iMacPro1,1", &h);
	is_str(host_kind_name(h.kind), "intel-mac-t2", "iMacPro1,1 (2017) has one");
	host_resolve(ctx, "MacBookAir10,1", &h);
	is_str(host_kind_name(h.kind), "apple-silicon", "MacBookAir10,1 is Apple Silicon");
	is_int(host_resolve(ctx, "Mac19,4", &h), 0, "Mac19,4, newer than the table");
	ok(h.kind == HOST_APPLE_SILICON && !h.mac_in_table, "  is Apple Silicon by the naming rule");
	is_int(host_resolve(ctx, "MacBookPro3,1", &h), -WTG_ERR_INVALID_ARGUMENT, "an old name the table lacks is refused");
	is_int(host_resolve(ctx, "thinkpad", &h), -WTG_ERR_INVALID_ARGUMENT, "a name that is no host is refused");
	is_int(host_resolve(ctx, "pc-uefi", &h), 0, "pc-uefi");
	ok(h.firmware_arch == WIM_ARCH_X64 && h.secure_boot == -1 && !h.detected,
	   "  x64 UEFI, Secure Boot unknown, named");
	is_int(host_resolve(ctx, "pc-arm64", &h), 0, "pc-arm64");
	ok(h.kind == HOST_PC_ARM64 && h.cpu_arch == WIM_ARCH_ARM64 && h.firmware_arch == WIM_ARCH_ARM64 &&
	   h.secure_boot == 1, "  arm64 UEFI, Secure Boot on as ARM64 PCs ship");
	is_str(host_kind_title(h.kind), "ARM64 PC", "  an ARM64 PC");

	is_int(mac_model_guess("Mac13,1"), MAC_FAMILY_APPLE_SILICON, "guess: Mac13,1");
	is_int(mac_model_guess("Mac12,1"), MAC_FAMILY_UNKNOWN, "guess: Mac12,1 is no model");
	is_int(mac_model_guess("MacBookPro18,1"), MAC_FAMILY_UNKNOWN, "guess: old names say nothing");
	is_int(mac_model_guess("Mac14,2x"), MAC_FAMILY_UNKNOWN, "guess: trailing junk");
	is_int(mac_model_guess("Mac14"), MAC_FAMILY_UNKNOWN, "guess: no minor number");
}

static void test_table(void)
{
	char *path = mac_models_path(ctx);
	struct mac_model m;

	is_str(path, "data/" MAC_MODELS_FILE, "the context's data folder names the table");
	is_int(mac_models_find(ctx, path, "board", "j413", &m), 0, "board J413 is in the table");
	is_str(m.identifier, "Mac14,2", "  it is Mac14,2");
	is_int(mac_models_find(ctx, path, "identifier", "Mac99,1", &m), -WTG_ERR_NOT_FOUND, "Mac99,1 is not");
	is_int(mac_models_find(ctx, path, "color", "x", &m), -WTG_ERR_INTERNAL, "a column the table lacks");
	free(path);
	wtg_ctx_set_datadir(ctx, "/nonexistent");
	path = mac_models_path(ctx);
	ok(path == NULL, "no table where the data folder points");
	wtg_ctx_set_datadir(ctx, "data");
}

int main(void)
{
	/* prove runs from the source tree */
	wtg_ctx_set_datadir(ctx, "data");
	test_hosts();
	test_table();
	printf("1..%d\n", tap_count);
	return done_testing();
}
