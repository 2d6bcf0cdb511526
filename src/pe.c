/* pe.c - the machine type of a PE image (see pe.h). */
#include "wintogo/pe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/log.h"

/* MZ header: e_lfanew at 0x3c points at "PE\0\0", then the COFF header
 * whose first field is the machine type. */
int pe_read_machine(const char *path, uint16_t *machine_ret)
{
	uint8_t mz[64], pe[6];
	uint32_t lfanew;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_errno(-errno, "cannot open '%s'", path);
	if (pread(fd, mz, sizeof(mz), 0) != sizeof(mz) || mz[0] != 'M' || mz[1] != 'Z') {
		ret = log_error(-ENOEXEC, "'%s' is not a PE image (no MZ header)", path);
		goto out;
	}
	lfanew = mz[0x3c] | mz[0x3d] << 8 | mz[0x3e] << 16 | (uint32_t)mz[0x3f] << 24;
	if (pread(fd, pe, sizeof(pe), lfanew) != sizeof(pe) || memcmp(pe, "PE\0\0", 4)) {
		ret = log_error(-ENOEXEC, "'%s' is not a PE image (no PE signature)", path);
		goto out;
	}
	*machine_ret = (uint16_t)(pe[4] | pe[5] << 8);
out:
	close(fd);
	return ret;
}

const char *pe_machine_name(uint16_t machine)
{
	switch (machine) {
	case PE_MACHINE_AMD64: return "x64";
	case PE_MACHINE_ARM64: return "arm64";
	case PE_MACHINE_I386: return "x86";
	default: return "unknown";
	}
}
