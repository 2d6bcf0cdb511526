/* Unit tests of error.c: every code has a stable kebab-case name and a
 * message, the names are unique, and return values map to codes. */
#include <ctype.h>
#include <errno.h>

#include "tap.h"
#include "wintogo/error.h"

static bool kebab(const char *s)
{
	if (!*s || *s == '-')
		return false;
	for (; *s; s++)
		if (!islower((unsigned char)*s) && *s != '-')
			return false;
	return true;
}

int main(void)
{
	bool names_ok = true, unique = true, messages = true;

	for (int c = WTG_ERR_FAILED; c < WTG_ERR_END; c++) {
		names_ok &= kebab(wtg_err_name(c));
		messages &= wtg_err_string(c)[0] != '\0';
		for (int d = WTG_ERR_FAILED; d < c; d++)
			unique &= strcmp(wtg_err_name(c), wtg_err_name(d)) != 0;
	}
	ok(names_ok, "every code has a kebab-case name");
	ok(unique, "no two codes share a name");
	ok(messages, "every code has a message");
	is_str(wtg_err_name(WTG_ERR_TARGET_TOO_SMALL), "target-too-small", "target-too-small");
	is_str(wtg_err_name(WTG_ERR_READBACK_MISMATCH), "readback-mismatch", "readback-mismatch");
	is_str(wtg_err_name(WTG_ERR_TARGET_BUSY), "target-busy", "target-busy");
	is_str(wtg_err_name(9999), "failed", "an unknown code is failed");
	is_int(wtg_err_of(0), WTG_OK, "0 is ok");
	is_int(wtg_err_of(-WTG_ERR_HASH_MISMATCH), WTG_ERR_HASH_MISMATCH, "a negated code is that code");
	is_int(wtg_err_of(-ENOENT), WTG_ERR_NOT_FOUND, "a stray -ENOENT is not-found, not another code");
	is_int(wtg_err_of(-ENOSPC), WTG_ERR_NO_SPACE, "a stray -ENOSPC is no-space");
	is_int(wtg_err_of(-EIO), WTG_ERR_IO, "a stray -EIO is io-error");
	is_int(wtg_err_exit_status(WTG_OK), 0, "ok exits 0");
	is_int(wtg_err_exit_status(WTG_ERR_IMAGE_DAMAGED), 1, "a failure exits 1");
	is_int(wtg_err_exit_status(WTG_ERR_READBACK_MISMATCH), 5, "a disk that does not keep its data exits 5");
	is_int(wtg_err_exit_status(WTG_ERR_INTERRUPTED), 130, "interrupted exits 130");
	printf("1..%d\n", tap_count);
	return done_testing();
}
