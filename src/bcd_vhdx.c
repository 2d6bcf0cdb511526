/* bcd_vhdx.c - the BCD device of a partition inside a VHDX (see
 * bcd_vhdx.h).  Both partitions are encoded by bcd.c's partition device
 * encoder and placed in the nested layout, so that the one encoder that
 * matches Windows byte for byte stays the only one. */
#include "wintogo/bcd_vhdx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/util.h"

#define HEADER 0x10          /* the device's header, after the options GUID */
#define FILE_DEVICE 0x48     /* the backing file's device header */
#define FILE_LOCAL_TYPE 0x58
#define FILE_PATH 0x5c       /* version, length, path type */
#define HOST 0x68            /* the host partition's device */
#define PATH 0xb0            /* the file's path */
#define PARTITION_LEN 0x48   /* a plain partition device, header included */

#define DEVICE_PARTITION 6
#define DEVICE_FILE 0
#define DISK_VIRTUAL 6
#define LOCAL_FILE 5
#define PATH_VERSION 1
#define PATH_TYPE 5

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int bcd_vhdx_encode(const struct bcd_device *inner, const struct bcd_device *host, const char *path,
		    uint8_t **bytes_ret, size_t *len_ret)
{
	size_t chars = strlen(path), len;
	uint8_t part[BCD_DEVICE_SIZE], *out;

	if (chars < 1 || chars > BCD_VHDX_PATH_MAX || path[0] != '\\')
		return -EINVAL;
	for (size_t i = 0; i < chars; i++)
		if ((unsigned char)path[i] < 0x20 || (unsigned char)path[i] > 0x7e)
			return -EINVAL;
	len = PATH + 2 * (chars + 1);
	out = xcalloc(1, len);
	/* the partition inside the virtual disk: a partition device whose
	 * disk is virtual and whose size covers the file device after it */
	bcd_device_encode(inner, part);
	memcpy(out + HEADER, part + 16, PARTITION_LEN);
	put32(out + HEADER + 8, (uint32_t)(len - HEADER));
	put32(out + 0x30, DISK_VIRTUAL);
	/* the virtual disk's backing file */
	put32(out + FILE_DEVICE, DEVICE_FILE);
	put32(out + FILE_DEVICE + 8, (uint32_t)(len - FILE_DEVICE));
	put32(out + FILE_LOCAL_TYPE, LOCAL_FILE);
	put32(out + FILE_PATH, PATH_VERSION);
	put32(out + FILE_PATH + 4, (uint32_t)(len - FILE_PATH));
	put32(out + FILE_PATH + 8, PATH_TYPE);
	bcd_device_encode(host, part);
	memcpy(out + HOST, part + 16, PARTITION_LEN);
	for (size_t i = 0; i < chars; i++)
		out[PATH + 2 * i] = (uint8_t)path[i];  /* ASCII: UTF-16LE is the byte and a zero */
	*bytes_ret = out;
	*len_ret = len;
	return 0;
}

/* The plain partition device at p (0x48 bytes), decoded by bcd.c: size
 * and disk kind as they are in a plain one. */
static int decode_partition(const uint8_t *p, uint32_t disk_kind, struct bcd_device *dev_ret)
{
	uint8_t plain[BCD_DEVICE_SIZE] = { 0 };

	memcpy(plain + 16, p, PARTITION_LEN);
	if (get32(plain + 16 + 0x20) != disk_kind)
		return -EINVAL;
	put32(plain + 16 + 8, PARTITION_LEN);
	put32(plain + 16 + 0x20, 0);
	return bcd_device_decode(plain, sizeof(plain), dev_ret);
}

int bcd_vhdx_decode(const uint8_t *bytes, size_t len, struct bcd_vhdx_device *dev_ret)
{
	struct bcd_vhdx_device dev = { 0 };
	size_t chars;

	if (len < PATH + 4 || len > PATH + 2 * (BCD_VHDX_PATH_MAX + 1) || len % 2)
		return -EINVAL;
	for (size_t i = 0; i < 16; i++)
		if (bytes[i])
			return -EINVAL;
	if (get32(bytes + HEADER) != DEVICE_PARTITION || get32(bytes + HEADER + 4) ||
	    get32(bytes + HEADER + 8) != len - HEADER || get32(bytes + HEADER + 12))
		return -EINVAL;
	if (get32(bytes + FILE_DEVICE) != DEVICE_FILE || get32(bytes + FILE_DEVICE + 4) ||
	    get32(bytes + FILE_DEVICE + 8) != len - FILE_DEVICE || get32(bytes + FILE_DEVICE + 12) ||
	    get32(bytes + FILE_LOCAL_TYPE) != LOCAL_FILE || get32(bytes + FILE_PATH) != PATH_VERSION ||
	    get32(bytes + FILE_PATH + 4) != len - FILE_PATH || get32(bytes + FILE_PATH + 8) != PATH_TYPE)
		return -EINVAL;
	/* the inner device's own size is the element's; checked above */
	{
		uint8_t inner[PARTITION_LEN];

		memcpy(inner, bytes + HEADER, PARTITION_LEN);
		put32(inner + 8, PARTITION_LEN);
		if (decode_partition(inner, DISK_VIRTUAL, &dev.inner) < 0)
			return -EINVAL;
	}
	if (get32(bytes + HOST + 8) != PARTITION_LEN || decode_partition(bytes + HOST, 0, &dev.host) < 0)
		return -EINVAL;
	chars = (len - PATH) / 2 - 1;
	if (bytes[len - 2] || bytes[len - 1])
		return -EINVAL;
	dev.path = xmalloc(chars + 1);
	for (size_t i = 0; i < chars; i++) {
		unsigned unit = bytes[PATH + 2 * i] | bytes[PATH + 2 * i + 1] << 8;

		if (!unit) {
			free(dev.path);
			return -EINVAL;
		}
		dev.path[i] = unit < 0x80 ? (char)unit : '?';
	}
	dev.path[chars] = 0;
	*dev_ret = dev;
	return 0;
}

void bcd_vhdx_release(struct bcd_vhdx_device *dev)
{
	free(dev->path);
	dev->path = NULL;
}
