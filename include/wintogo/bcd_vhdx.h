/* bcd_vhdx.h - the BCD device of a partition inside a VHDX file, for a
 * Windows booted natively from \wintogo\windows.vhdx (write --vhdx).
 *
 * The element, as Windows' bcdedit writes it (the real stores in
 * fixtures/bcd-samples: ventoy_vhdboot_BCD, vhdiso_BCD), offsets from the
 * start of the value, N its length:
 *
 *   0x00  16 zero bytes (no associated options object)
 *   0x10  DeviceType 6 (partition), flags 0, size N - 0x10, 0
 *   0x20  the partition inside the virtual disk: u64 byte offset, 8 zeros
 *         (MBR), or its GUID (GPT)
 *   0x30  disk kind 6 (VirtualDisk), partition style (1 MBR, 0 GPT)
 *   0x38  the virtual disk's MBR signature + 12 zeros, or its disk GUID
 *   0x48  the backing file: DeviceType 0, flags 0, size N - 0x48, 0
 *   0x58  local type 5 (File)
 *   0x5c  file path: version 1, length N - 0x5c, path type 5
 *   0x68  the host partition: a plain 0x48-byte partition device (bcd.h)
 *   0xb0  the file's path, UTF-16LE with its NUL
 */
#ifndef WINTOGO_BCD_VHDX_H
#define WINTOGO_BCD_VHDX_H

#include <stddef.h>
#include <stdint.h>

#include "wintogo/bcd.h"

/* Where write --vhdx puts the file, as the BCD names it. */
#define BCD_VHDX_PATH "\\wintogo\\windows.vhdx"
/* The longest path the encoder takes, in UTF-16 code units. */
#define BCD_VHDX_PATH_MAX 260

struct bcd_vhdx_device {
	struct bcd_device inner;  /* the partition inside the virtual disk */
	struct bcd_device host;   /* the partition that holds the file */
	char *path;               /* decode: allocated, ASCII/UTF-8 */
};

/* The element for dev with the file path (ASCII, starting with a
 * backslash, at most BCD_VHDX_PATH_MAX characters).  *bytes_ret is
 * allocated; -EINVAL for a path it cannot hold. */
int bcd_vhdx_encode(const struct bcd_device *inner, const struct bcd_device *host, const char *path,
		    uint8_t **bytes_ret, size_t *len_ret);

/* Reads such an element back: every size and type checked against the
 * layout above.  -EINVAL (not logged) when the bytes are not one; on
 * success dev_ret->path is allocated (free with bcd_vhdx_release). */
int bcd_vhdx_decode(const uint8_t *bytes, size_t len, struct bcd_vhdx_device *dev_ret);
void bcd_vhdx_release(struct bcd_vhdx_device *dev);

#endif
