/* Unit tests of crc32c.c against published CRC-32C check values. */
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "wintogo/crc32c.h"

int main(void)
{
	uint8_t zeros[32] = { 0 }, ones[32], inc[32];

	memset(ones, 0xff, sizeof(ones));
	for (int i = 0; i < 32; i++)
		inc[i] = (uint8_t)i;
	plan(6);
	is_int(crc32c(0, "123456789", 9), 0xE3069283, "\"123456789\" gives the check value 0xE3069283");
	is_int(crc32c(0, "", 0), 0, "nothing gives 0");
	/* RFC 3720 (iSCSI) B.4 test vectors */
	is_int(crc32c(0, zeros, 32), 0x8A9136AA, "32 bytes of zeros (RFC 3720)");
	is_int(crc32c(0, ones, 32), 0x62A8AB43, "32 bytes of 0xff (RFC 3720)");
	is_int(crc32c(0, inc, 32), 0x46DD794E, "32 incrementing bytes (RFC 3720)");
	is_int(crc32c(crc32c(0, "12345", 5), "6789", 4), 0xE3069283, "a CRC continues over pieces");
	return done_testing();
}
