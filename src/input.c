/* input.c - what kind of input a file is (see input.h). */
#include "wintogo/input.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


/* Enough of the file for every signature: the ISO volume descriptor at
 * 32768 is the farthest. */
#define HEAD_BYTES (32768 + 2048)

/* WIM header fields (see wimhdr.c for the whole header) */
#define WIM_VERSION_OFFSET 12
#define WIM_FLAGS_OFFSET 16
#define WIM_TOTAL_PARTS_OFFSET 42
#define WIM_HDR_FLAG_COMPRESS_LZMS 0x00080000u
#define WIM_VERSION_SOLID 0xe00u

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static enum input_kind wim_kind(const uint8_t *head)
{
	uint32_t version = get_le32(head + WIM_VERSION_OFFSET);
	uint32_t flags = get_le32(head + WIM_FLAGS_OFFSET);
	unsigned parts = head[WIM_TOTAL_PARTS_OFFSET] | head[WIM_TOTAL_PARTS_OFFSET + 1] << 8;

	if (parts > 1)
		return INPUT_SWM;
	if ((flags & WIM_HDR_FLAG_COMPRESS_LZMS) || (version & 0xffffu) == WIM_VERSION_SOLID)
		return INPUT_ESD;
	return INPUT_WIM;
}

static enum input_kind kind_of_head(const uint8_t *head, size_t n)
{
	if (n >= 64 && (!memcmp(head, "MSWIM\0\0\0", 8) || !memcmp(head, "WLPWM\0\0\0", 8)))
		return wim_kind(head);
	/* ISO 9660 (alone or as the bridge of a UDF disc), or UDF alone */
	if (n >= 32769 + 5 &&
	    (!memcmp(head + 32769, "CD001", 5) || !memcmp(head + 32769, "BEA01", 5)))
		return INPUT_ISO;
	if (n >= 8 && !memcmp(head, "vhdxfile", 8))
		return INPUT_VHDX;
	if ((n >= 512 && head[510] == 0x55 && head[511] == 0xaa) ||
	    (n >= 520 && !memcmp(head + 512, "EFI PART", 8)) ||
	    (n >= 4104 && !memcmp(head + 4096, "EFI PART", 8)))
		return INPUT_DISK_IMAGE;
	return INPUT_OTHER;
}

enum input_kind input_kind_of(const char *path)
{
	uint8_t head[HEAD_BYTES];  /* no static buffer: jobs may run in threads */
	struct stat sb;
	ssize_t n;
	int fd;

	if (stat(path, &sb) < 0)
		return INPUT_OTHER;
	if (S_ISDIR(sb.st_mode))
		return INPUT_DIRECTORY;
	if (S_ISBLK(sb.st_mode))
		return INPUT_BLOCK_DEVICE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return INPUT_OTHER;
	n = pread(fd, head, sizeof(head), 0);
	close(fd);
	return n < 0 ? INPUT_OTHER : kind_of_head(head, (size_t)n);
}
