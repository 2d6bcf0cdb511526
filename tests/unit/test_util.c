/* Unit tests of util.c: sizes parsed and printed. */
#include <errno.h>

#include "tap.h"
#include "wintogo/util.h"

static void size_is(const char *text, uint64_t want)
{
	uint64_t got = 0;
	char name[96];

	snprintf(name, sizeof(name), "parse_size(\"%s\")", text);
	if (is_int(parse_size(text, &got), 0, name))
		is_int((long long)got, (long long)want, name);
	else
		ok(false, name);
}

static void size_fails(const char *text, int err)
{
	uint64_t got = 12345;
	char name[96];

	snprintf(name, sizeof(name), "parse_size(\"%s\") is refused", text);
	is_int(parse_size(text, &got), err, name);
	is_int((long long)got, 12345, "and leaves its result alone");
}

int main(void)
{
	char buf[SIZE_TEXT_MAX];
	uint64_t v;

	plan(33);
	size_is("32G", 32 * GIB);
	size_is("64000M", 64000 * MIB);
	size_is("260MiB", 260 * MIB);
	size_is("512k", 512 * 1024);
	size_is("1T", UINT64_C(1) << 40);
	size_is("4096", 4096);
	size_fails("", -EINVAL);
	size_fails("G", -EINVAL);
	size_fails("12X", -EINVAL);
	size_fails("-5M", -EINVAL);
	size_fails("99999999999999999999", -ERANGE);
	size_fails("17179869184T", -ERANGE);

	is_str(format_size(0, buf), "0 B", "format_size(0)");
	is_str(format_size(1023, buf), "1023 B", "format_size(1023)");
	is_str(format_size(1536, buf), "1.5 KiB", "format_size(1536)");
	is_str(format_size(32 * GIB, buf), "32.0 GiB", "format_size(32 GiB)");

	is_int(parse_uint("42", 100, &v), 0, "parse_uint(42)");
	is_int((long long)v, 42, "parse_uint value");
	is_int(parse_uint("420", 100, &v), -EINVAL, "parse_uint over max");
	is_int(parse_uint("4x", 100, &v), -EINVAL, "parse_uint trailing junk");
	is_int((long long)round_up(1, MIB), (long long)MIB, "round_up to MiB");
	return done_testing();
}
