/* Unit tests of digest.c: SHA-256 of buffers and files, hex, SHA256SUMS. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "wintogo/digest.h"

/* SHA-256("abc"), FIPS 180-2 appendix B.1 */
static const char abc_hex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

static char *write_temp(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/wintogo-digest.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		return NULL;
	close(fd);
	return path;
}

static const char *lookup(const char *sums_text, const char *file, char hex[SHA256_HEX_MAX], int *ret)
{
	char *path = write_temp(sums_text);
	uint8_t sha[SHA256_BYTES] = { 0 };

	*ret = sha256sums_lookup(ctx, path, file, sha);
	unlink(path);
	return *ret ? "" : sha256_hex(sha, hex);
}

int main(void)
{
	uint8_t sha[SHA256_BYTES], again[SHA256_BYTES];
	char hex[SHA256_HEX_MAX], sums[1024];
	struct digest *d = digest_new();
	char *path;
	int ret;

	plan(17);
	sha256_buffer("abc", 3, sha);
	is_str(sha256_hex(sha, hex), abc_hex, "SHA-256 of \"abc\" is the FIPS 180-2 value");
	digest_update(d, "a", 1);
	digest_update(d, "bc", 2);
	digest_final(d, again);
	ok(!memcmp(sha, again, sizeof(sha)), "incremental hashing gives the same");
	digest_update(d, "abc", 3);
	digest_final(d, again);
	ok(!memcmp(sha, again, sizeof(sha)), "a finished digest starts again");
	digest_free(d);

	is_int(sha256_parse("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", again), 0,
	       "upper-case hex parses");
	ok(!memcmp(sha, again, sizeof(sha)), "to the same hash");
	is_int(sha256_parse("ba7816bf", again), -EINVAL, "too short is refused");
	is_int(sha256_parse("xa7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", again),
	       -EINVAL, "a non-hex digit is refused");

	path = write_temp("abc");
	is_int(sha256_file(ctx, path, again), 0, "a file hashes");
	ok(!memcmp(sha, again, sizeof(sha)), "to the hash of its bytes");
	unlink(path);
	is_int(sha256_file(ctx, "/nonexistent/x", again), -WTG_ERR_NOT_FOUND, "a missing file is an error");

	snprintf(sums, sizeof(sums), "# comment\n%s  other.iso\n%s *install.wim\n",
		 "0000000000000000000000000000000000000000000000000000000000000000", abc_hex);
	is_str(lookup(sums, "/some/dir/install.wim", hex, &ret), abc_hex,
	       "binary-mode entry found by the file's name");
	snprintf(sums, sizeof(sums), "%s  ./sources/install.wim\n", abc_hex);
	is_str(lookup(sums, "install.wim", hex, &ret), abc_hex, "an entry with a path matches its last part");
	snprintf(sums, sizeof(sums), "SHA256 (install.wim) = %s\n", abc_hex);
	is_str(lookup(sums, "install.wim", hex, &ret), abc_hex, "BSD format");
	snprintf(sums, sizeof(sums), "\\%s  a\\\\b.wim\r\n", abc_hex);
	is_str(lookup(sums, "a\\b.wim", hex, &ret), abc_hex, "escaped names, CRLF line ends");
	snprintf(sums, sizeof(sums), "%s  install.wim\n", abc_hex);
	lookup(sums, "install.esd", hex, &ret);
	is_int(ret, -WTG_ERR_NOT_FOUND, "no entry for the file is not-found");
	lookup("not a sums file\n", "install.wim", hex, &ret);
	is_int(ret, -WTG_ERR_NOT_FOUND, "lines that are not entries are skipped");
	is_int(sha256sums_lookup(ctx, "/nonexistent/SHA256SUMS", "x", sha), -WTG_ERR_NOT_FOUND, "a missing sums file");
	return done_testing();
}
