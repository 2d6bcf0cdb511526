/* crc32c.h - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the
 * checksum of VHDX headers and region tables.  zlib has only CRC-32. */
#ifndef WINTOGO_CRC32C_H
#define WINTOGO_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continues crc (0 to start) over len bytes:
 * crc32c(crc32c(0, a, n), b, m) == crc32c(0, a || b, n + m). */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
