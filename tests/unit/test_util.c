/* Unit tests of util.c: sizes parsed and printed; writes and reads that
 * go on until done and say why they stopped. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A file of its own in TMPDIR, already unlinked. */
static int temp_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/test_util.XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd >= 0)
		unlink(path);
	return fd;
}

static void io_tests(void)
{
	static char data[8192], back[8192];
	struct rlimit old, lim;
	struct stat sb;
	int fd = temp_file(), full;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)(i * 7 + 1);
	ok(fd >= 0, "a temporary file");
	is_int(pwrite_all(fd, data, sizeof(data), 4096), 0, "pwrite_all writes 8 KiB at 4 KiB");
	is_int(pread_all(fd, back, sizeof(back), 4096), 0, "pread_all reads them back");
	ok(!memcmp(data, back, sizeof(data)), "the same bytes");
	is_int(pread_all(fd, back, 4096, 8192), 0, "pread_all up to the end exactly");
	is_int(pread_all(fd, back, 4097, 8192), -ENODATA, "pread_all past the end is -ENODATA (truncated)");
	is_int(pread_all(fd, back, 1, UINT64_MAX - 1), -EINVAL, "pread_all at an offset past 2^63 is refused");
	is_int(pwrite_all(fd, data, 2, UINT64_MAX - 1), -EFBIG, "pwrite_all at an offset past 2^63 is refused");
	is_int(write_all(fd, data, 0), 0, "write_all of nothing");
	ok(lseek(fd, 0, SEEK_SET) == 0 && write_all(fd, data, 100) == 0, "write_all at the file position");
	is_int(pread_all(fd, back, 100, 0), 0, "and it reads back");
	ok(!memcmp(data, back, 100), "the same 100 bytes");

	/* the kernel writes up to the file size limit, then fails with EFBIG:
	 * the first write is short without an error, the next one says why;
	 * errno is set to something else first, as a stale errno would be */
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 65536 + 1000;
	signal(SIGXFSZ, SIG_IGN);
	ok(ftruncate(fd, 0) == 0, "empty the file again");
	if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
		errno = ENXIO;
		is_int(pwrite_all(fd, data, sizeof(data), 60000), -EFBIG, "a short pwrite goes on and then says why it stopped");
		ok(fstat(fd, &sb) == 0 && sb.st_size == 65536 + 1000, "the short part was written");
		errno = ENXIO;
		ok(lseek(fd, 62000, SEEK_SET) == 62000, "seek before the limit");
		is_int(write_all(fd, data, sizeof(data)), -EFBIG, "a short write goes on and then says why it stopped");
		setrlimit(RLIMIT_FSIZE, &old);
	} else {
		for (int i = 0; i < 4; i++)
			ok(true, "# SKIP cannot lower RLIMIT_FSIZE");
	}
	close(fd);

	full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (full >= 0) {
		errno = ENXIO;
		is_int(write_all(full, data, 10), -ENOSPC, "write_all to a full device is -ENOSPC");
		errno = ENXIO;
		is_int(pwrite_all(full, data, 10, 0), -ENOSPC, "pwrite_all to a full device is -ENOSPC");
		close(full);
	} else {
		ok(true, "# SKIP no /dev/full");
		ok(true, "# SKIP no /dev/full");
	}
	is_int(write_all(fd, data, 10), -EBADF, "write_all to a closed fd is -EBADF");
	is_int(pread_all(fd, back, 10, 0), -EBADF, "pread_all of a closed fd is -EBADF");
}

int main(void)
{
	char buf[SIZE_TEXT_MAX];
	uint64_t v;

	plan(108);
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
	/* util-linux's units: KiB.. and K.. binary, KB.. decimal */
	size_is("64GB", UINT64_C(64000000000));
	size_is("3GB", UINT64_C(3000000000));
	size_is("3G", 3 * GIB);
	size_is("3GiB", 3 * GIB);
	size_is("3gib", 3 * GIB);
	size_is("500mb", UINT64_C(500000000));
	size_is("1KB", 1000);
	size_is("2TB", UINT64_C(2000000000000));
	size_is("1P", UINT64_C(1) << 50);
	size_is("1EB", UINT64_C(1000000000000000000));
	size_is("1.5G", 3 * GIB / 2);
	size_is("0.5M", 512 * 1024);
	size_is("1.5KB", 1500);
	size_is("1.001K", 1025);         /* rounded down: 1025.024 */
	size_is("0.999999T", UINT64_C(1099510528264)); /* 2^40 * 999999 / 10^6, down */
	size_fails("3Gb2", -EINVAL);
	size_fails("3GBB", -EINVAL);
	size_fails("3iB", -EINVAL);
	size_fails("3B", -EINVAL);
	size_fails("3Z", -EINVAL);
	size_fails("1.5", -EINVAL);      /* a fraction of a byte */
	size_fails("1.G", -EINVAL);
	size_fails(".5G", -EINVAL);
	size_fails("1.1234567G", -EINVAL);
	size_fails("3 G", -EINVAL);
	size_fails("16E", -ERANGE);
	size_fails("18446744073709551615.9K", -ERANGE);

	is_str(format_size(0, buf), "0 B", "format_size(0)");
	is_str(format_size(1023, buf), "1023 B", "format_size(1023)");
	is_str(format_size(1536, buf), "1.5 KiB", "format_size(1536)");
	is_str(format_size(32 * GIB, buf), "32.0 GiB", "format_size(32 GiB)");

	is_int(parse_uint("42", 100, &v), 0, "parse_uint(42)");
	is_int((long long)v, 42, "parse_uint value");
	is_int(parse_uint("420", 100, &v), -EINVAL, "parse_uint over max");
	is_int(parse_uint("4x", 100, &v), -EINVAL, "parse_uint trailing junk");
	is_int((long long)round_up(1, MIB), (long long)MIB, "round_up to MiB");
	io_tests();
	return done_testing();
}
