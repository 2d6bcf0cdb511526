/* pe.c - the machine type and subsystem of a PE image (see pe.h). */
#include "wintogo/pe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/log.h"

#define PE32_MAGIC 0x10b
#define PE32PLUS_MAGIC 0x20b
/* Where the optional header keeps Subsystem: the same in PE32 and PE32+
 * (the wider ImageBase of PE32+ takes the place of PE32's BaseOfData). */
#define PE_OPT_SUBSYSTEM 68
#define PE_SUBSYSTEM_NATIVE 1
#define PE_SUBSYSTEM_WINDOWS_GUI 2
#define PE_SUBSYSTEM_WINDOWS_CUI 3
/* The data directory that holds the Authenticode certificate table. */
#define PE_DIR_SECURITY 4

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Whether the optional header (opt, opt_len bytes) names a certificate
 * table: the security data directory has a size. */
static bool has_certificates(const uint8_t *opt, size_t opt_len)
{
	size_t count_at, dirs_at;

	if (opt_len < 2)
		return false;
	switch (le16(opt)) {
	case PE32_MAGIC: count_at = 92; dirs_at = 96; break;
	case PE32PLUS_MAGIC: count_at = 108; dirs_at = 112; break;
	default: return false;
	}
	if (opt_len < dirs_at + (PE_DIR_SECURITY + 1) * 8 || le32(opt + count_at) <= PE_DIR_SECURITY)
		return false;
	return le32(opt + dirs_at + PE_DIR_SECURITY * 8 + 4) != 0;
}

/* The Subsystem of an optional header of n bytes (n < 0: none read);
 * 0 when it is too short or of neither PE32 nor PE32+ kind. */
static uint16_t subsystem(const uint8_t *opt, ssize_t n)
{
	if (n < PE_OPT_SUBSYSTEM + 2 || (le16(opt) != PE32_MAGIC && le16(opt) != PE32PLUS_MAGIC))
		return 0;
	return le16(opt + PE_OPT_SUBSYSTEM);
}

/* MZ header: e_lfanew at 0x3c points at "PE\0\0", then the COFF header
 * whose first field is the machine type, then the optional header. */
int pe_read_info(struct wtg_ctx *ctx, const char *path, struct pe_info *info_ret)
{
	uint8_t mz[64], pe[24], opt[256];
	uint32_t lfanew;
	size_t opt_len;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", path);
	if (pread(fd, mz, sizeof(mz), 0) != sizeof(mz) || mz[0] != 'M' || mz[1] != 'Z') {
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is not a PE image (no MZ header)", path);
		goto out;
	}
	lfanew = le32(mz + 0x3c);
	if (pread(fd, pe, sizeof(pe), lfanew) != sizeof(pe) || memcmp(pe, "PE\0\0", 4)) {
		ret = log_error(ctx, WTG_ERR_NOT_AN_IMAGE, "'%s' is not a PE image (no PE signature)", path);
		goto out;
	}
	opt_len = le16(pe + 20);
	if (opt_len > sizeof(opt))
		opt_len = sizeof(opt);
	n = pread(fd, opt, opt_len, (off_t)lfanew + sizeof(pe));
	*info_ret = (struct pe_info){
		.machine = le16(pe + 4),
		.subsystem = subsystem(opt, n),
		.signed_ = n > 0 && has_certificates(opt, (size_t)n),
	};
out:
	close(fd);
	return ret;
}

int pe_read_machine(struct wtg_ctx *ctx, const char *path, uint16_t *machine_ret)
{
	struct pe_info info;
	int ret = pe_read_info(ctx, path, &info);

	if (!ret)
		*machine_ret = info.machine;
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

const char *pe_subsystem_name(uint16_t subsystem)
{
	switch (subsystem) {
	case PE_SUBSYSTEM_EFI_APPLICATION: return "EFI application";
	case PE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER: return "EFI boot service driver";
	case PE_SUBSYSTEM_EFI_RUNTIME_DRIVER: return "EFI runtime driver";
	case PE_SUBSYSTEM_EFI_ROM: return "EFI ROM";
	case PE_SUBSYSTEM_WINDOWS_GUI: return "Windows GUI";
	case PE_SUBSYSTEM_WINDOWS_CUI: return "Windows console";
	case PE_SUBSYSTEM_NATIVE: return "native";
	default: return "unknown";
	}
}
