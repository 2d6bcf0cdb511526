/* host.c - the machine a disk is meant to boot on (see host.h). */
#include "wintogo/host.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define APPLE_VENDOR "Apple Inc."
#define SECURE_BOOT_VAR "firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

static const struct {
	const char *name;
	const char *title;
} kinds[HOST_KIND_COUNT] = {
	[HOST_APPLE_SILICON] = { "apple-silicon", "Apple Silicon Mac" },
	[HOST_INTEL_MAC] = { "intel-mac", "Intel Mac" },
	[HOST_INTEL_MAC_T2] = { "intel-mac-t2", "Intel Mac with a T2 chip" },
	[HOST_PC_UEFI] = { "pc-uefi", "UEFI PC" },
	[HOST_PC_BIOS] = { "pc-bios", "BIOS PC" },
	[HOST_PC_ARM64] = { "pc-arm64", "ARM64 PC" },
};

/* The SoCs of Apple Silicon Macs, as their device trees name them
 * ("apple,t8112"): other "apple," SoCs are iPhones, iPads or the T2. */
static const struct {
	const char *soc;
	const char *chip;
} mac_socs[] = {
	{ "t8103", "M1" }, { "t6000", "M1 Pro" }, { "t6001", "M1 Max" }, { "t6002", "M1 Ultra" },
	{ "t8112", "M2" }, { "t6020", "M2 Pro" }, { "t6021", "M2 Max" }, { "t6022", "M2 Ultra" },
	{ "t8122", "M3" }, { "t6030", "M3 Pro" }, { "t6031", "M3 Max" }, { "t6034", "M3 Max" },
	{ "t6032", "M3 Ultra" }, { "t8132", "M4" }, { "t6040", "M4 Pro" }, { "t6041", "M4 Max" },
	{ "t8142", "M5" }, { "t6050", "M5 Pro or Max" }, { "t6051", "M5 Pro or Max" },
	{ "t8140", "A18 Pro" },
};

const char *host_kind_name(enum host_kind kind)
{
	return kinds[kind].name;
}

const char *host_kind_title(enum host_kind kind)
{
	return kinds[kind].title;
}

static void set_kind(struct host *h, enum host_kind kind)
{
	bool arm64 = kind == HOST_APPLE_SILICON || kind == HOST_PC_ARM64;

	h->kind = kind;
	h->cpu_arch = arm64 ? WIM_ARCH_ARM64 : WIM_ARCH_X64;
	h->firmware_arch = kind == HOST_APPLE_SILICON || kind == HOST_PC_BIOS ? WIM_ARCH_UNKNOWN
		: kind == HOST_PC_ARM64 ? WIM_ARCH_ARM64 : WIM_ARCH_X64;
}

static const enum host_kind family_kinds[] = {
	[MAC_FAMILY_APPLE_SILICON] = HOST_APPLE_SILICON,
	[MAC_FAMILY_INTEL_T2] = HOST_INTEL_MAC_T2,
	[MAC_FAMILY_INTEL] = HOST_INTEL_MAC,
};

/* A Mac model identifier: from the table, else by the naming rule. */
static int host_from_model(struct wtg_ctx *ctx, const char *identifier, struct host *h)
{
	char *table = mac_models_path(ctx);
	int ret = table ? mac_models_find(ctx, table, "identifier", identifier, &h->mac) : -WTG_ERR_NOT_FOUND;

	if (ret == 0 && h->mac.family != MAC_FAMILY_UNKNOWN) {
		h->mac_in_table = true;
		set_kind(h, family_kinds[h->mac.family]);
		snprintf(h->evidence, sizeof(h->evidence), "%s is the %s, %s (Mac model table)",
			 h->mac.identifier, h->mac.marketing_name,
			 h->mac.family == MAC_FAMILY_INTEL_T2 ? "Intel with a T2 chip" : h->mac.chip);
	} else if (mac_model_guess(identifier) == MAC_FAMILY_APPLE_SILICON) {
		h->mac = (struct mac_model){ .family = MAC_FAMILY_APPLE_SILICON };
		snprintf(h->mac.identifier, sizeof(h->mac.identifier), "%s", identifier);
		set_kind(h, HOST_APPLE_SILICON);
		snprintf(h->evidence, sizeof(h->evidence),
			 "%s is not in the Mac model table%s; every Mac13,x and later model is Apple Silicon",
			 identifier, table ? "" : " (not found)");
		ret = 0;
	} else {
		if (!table)
			log_warn(ctx, "cannot find the Mac model table (%s); reinstall wintogo or set WINTOGO_DATADIR",
				 MAC_MODELS_FILE);
		ret = -WTG_ERR_INVALID_ARGUMENT;  /* the caller says what --host takes */
	}
	free(table);
	return ret;
}

int host_resolve(struct wtg_ctx *ctx, const char *name, struct host *host_ret)
{
	struct host h = { .secure_boot = -1 };

	if (!strcmp(name, "auto")) {
		host_detect(ctx, host_ret);
		return 0;
	}
	for (int k = 0; k < HOST_KIND_COUNT; k++) {
		if (!strcmp(name, kinds[k].name)) {
			set_kind(&h, k);
			if (k == HOST_PC_ARM64)
				h.secure_boot = 1;
			snprintf(h.evidence, sizeof(h.evidence), "named with --host %s%s", name,
				 k == HOST_PC_ARM64 ? " (ARM64 PCs ship with Secure Boot on)" : "");
			*host_ret = h;
			return 0;
		}
	}
	if (host_from_model(ctx, name, &h) < 0)
		return -WTG_ERR_INVALID_ARGUMENT;
	*host_ret = h;
	return 0;
}

/* --- detection --- */

static const char *sysfs_root(const struct wtg_ctx *ctx)
{
	const char *root = ctx->hooks.sysfs_root;

	return root && *root ? root : "/sys";
}

/* Reads up to size - 1 bytes of ROOT/rel; returns the length read, or -1
 * when the file cannot be read. */
static ssize_t read_sysfs(struct wtg_ctx *ctx, const char *rel, char *buf, size_t size)
{
	char *path = xasprintf("%s/%s", sysfs_root(ctx), rel);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = -1;

	free(path);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* A one-line sysfs attribute without its trailing newline or blanks;
 * "" when it cannot be read. */
static void read_attr(struct wtg_ctx *ctx, const char *rel, char *buf, size_t size)
{
	ssize_t n = read_sysfs(ctx, rel, buf, size);

	if (n < 0)
		n = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\0'))
		n--;
	buf[n] = '\0';
}

static bool sysfs_exists(struct wtg_ctx *ctx, const char *rel)
{
	char *path = xasprintf("%s/%s", sysfs_root(ctx), rel);
	bool yes = access(path, F_OK) == 0;

	free(path);
	return yes;
}

/* An Apple Silicon Mac by its device tree: a Mac SoC among the
 * compatible strings, and the board ("apple,j413") for the model. */
static bool detect_apple_silicon(struct wtg_ctx *ctx, struct host *h)
{
	char compat[1024], board[16] = "";
	const char *chip = NULL, *soc = NULL;
	ssize_t n = read_sysfs(ctx, "firmware/devicetree/base/compatible", compat, sizeof(compat));

	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(compat + i) + 1) {
		const char *c = compat + i;

		if (strncmp(c, "apple,", 6))
			continue;
		if (c[6] == 'j' && !*board)
			snprintf(board, sizeof(board), "%s", c + 6);
		for (size_t k = 0; k < ARRAY_SIZE(mac_socs) && !chip; k++) {
			if (!strcmp(c + 6, mac_socs[k].soc)) {
				soc = mac_socs[k].soc;
				chip = mac_socs[k].chip;
			}
		}
	}
	if (!chip)
		return false;
	set_kind(h, HOST_APPLE_SILICON);
	if (*board)
		snprintf(h->evidence, sizeof(h->evidence), "device tree compatible apple,%s apple,%s: Apple %s",
			 board, soc, chip);
	else
		snprintf(h->evidence, sizeof(h->evidence), "device tree compatible apple,%s: Apple %s",
			 soc, chip);
	if (*board) {
		char *table = mac_models_path(ctx);

		if (table && mac_models_find(ctx, table, "board", board, &h->mac) == 0)
			h->mac_in_table = true;
		free(table);
	}
	if (!h->mac_in_table) {
		h->mac = (struct mac_model){ .family = MAC_FAMILY_APPLE_SILICON };
		snprintf(h->mac.chip, sizeof(h->mac.chip), "%s", chip);
		read_attr(ctx, "firmware/devicetree/base/model", h->mac.marketing_name,
			  sizeof(h->mac.marketing_name));
	}
	return true;
}

/* A T2 chip on the PCI bus: its bridge (106b:1801) or Secure Enclave
 * (106b:1802).  Writes the device's address into where. */
static bool find_t2(struct wtg_ctx *ctx, char *where, size_t size)
{
	char *dir = xasprintf("%s/bus/pci/devices", sysfs_root(ctx));
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	free(dir);
	while (d && !found && (e = readdir(d))) {
		char rel[320], vendor[16], device[16];

		if (e->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/vendor", e->d_name);
		read_attr(ctx, rel, vendor, sizeof(vendor));
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/device", e->d_name);
		read_attr(ctx, rel, device, sizeof(device));
		if (!strcasecmp(vendor, "0x106b") &&
		    (!strcasecmp(device, "0x1801") || !strcasecmp(device, "0x1802"))) {
			snprintf(where, size, "a T2 chip on the PCI bus (%.4s:%.4s at %.40s)", vendor + 2,
				 device + 2, e->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

/* An Intel Mac by DMI (vendor Apple), a T2 by its PCI ids, else by the
 * model table. */
static bool detect_intel_mac(struct wtg_ctx *ctx, struct host *h)
{
	char board_vendor[64], t2[128];
	const char *why;

	read_attr(ctx, "class/dmi/id/board_vendor", board_vendor, sizeof(board_vendor));
	if (strcmp(h->vendor, APPLE_VENDOR) && strcmp(board_vendor, APPLE_VENDOR))
		return false;
	if (*h->product) {
		char *table = mac_models_path(ctx);

		h->mac_in_table = table && mac_models_find(ctx, table, "identifier", h->product, &h->mac) == 0;
		free(table);
	}
	if (!h->mac_in_table) {
		h->mac = (struct mac_model){ .family = MAC_FAMILY_UNKNOWN };
		snprintf(h->mac.identifier, sizeof(h->mac.identifier), "%.31s", h->product);
	}
	if (h->mac.family == MAC_FAMILY_APPLE_SILICON) {
		/* m1n1 gives U-Boot an SMBIOS table: DMI without a device tree */
		set_kind(h, HOST_APPLE_SILICON);
		why = "Apple Silicon in the Mac model table";
	} else if (find_t2(ctx, t2, sizeof(t2))) {
		set_kind(h, HOST_INTEL_MAC_T2);
		why = t2;
	} else if (h->mac.family == MAC_FAMILY_INTEL_T2) {
		set_kind(h, HOST_INTEL_MAC_T2);
		why = "a T2 Mac in the Mac model table";
	} else {
		set_kind(h, HOST_INTEL_MAC);
		why = "no T2 chip on the PCI bus";
	}
	snprintf(h->evidence, sizeof(h->evidence), "DMI vendor %s, product %s: %s", APPLE_VENDOR,
		 *h->product ? h->product : "unknown", why);
	return true;
}

static enum wim_arch cpu_arch(struct wtg_ctx *ctx)
{
	char modalias[128];
	struct utsname u;

	read_attr(ctx, "devices/system/cpu/modalias", modalias, sizeof(modalias));
	if (!strncmp(modalias, "cpu:type:x86", 12))
		return WIM_ARCH_X64;
	if (!strncmp(modalias, "cpu:type:aarch64", 16))
		return WIM_ARCH_ARM64;
	if (uname(&u) == 0 && !strcmp(u.machine, "aarch64"))
		return WIM_ARCH_ARM64;
	return WIM_ARCH_X64;
}

/* A PC: UEFI (32- or 64-bit, Secure Boot on or off; on an aarch64 CPU an
 * ARM64 PC) or BIOS. */
static void detect_pc(struct wtg_ctx *ctx, struct host *h)
{
	char bits[8], var[8];
	ssize_t n;
	size_t len;

	if (!sysfs_exists(ctx, "firmware/efi")) {
		set_kind(h, HOST_PC_BIOS);
		h->cpu_arch = cpu_arch(ctx);
		snprintf(h->evidence, sizeof(h->evidence),
			 "no /sys/firmware/efi: this machine started Linux through BIOS (or UEFI's CSM)");
		return;
	}
	set_kind(h, cpu_arch(ctx) == WIM_ARCH_ARM64 ? HOST_PC_ARM64 : HOST_PC_UEFI);
	read_attr(ctx, "firmware/efi/fw_platform_size", bits, sizeof(bits));
	if (!strcmp(bits, "32") && h->cpu_arch == WIM_ARCH_X64)
		h->firmware_arch = WIM_ARCH_X86;
	/* 4 bytes of attributes, then the value */
	n = read_sysfs(ctx, SECURE_BOOT_VAR, var, sizeof(var));
	if (n == 5)
		h->secure_boot = var[4] == 1;
	len = (size_t)snprintf(h->evidence, sizeof(h->evidence), "/sys/firmware/efi present%s",
			       h->kind == HOST_PC_ARM64 ? ", aarch64 CPU" : "");
	if (*bits)
		len += (size_t)snprintf(h->evidence + len, sizeof(h->evidence) - len,
					", %s-bit UEFI", bits);
	if (h->secure_boot >= 0)
		snprintf(h->evidence + len, sizeof(h->evidence) - len, ", SecureBoot variable %d",
			 h->secure_boot);
}

void host_detect(struct wtg_ctx *ctx, struct host *host_ret)
{
	struct host h = { .detected = true, .secure_boot = -1 };

	read_attr(ctx, "class/dmi/id/sys_vendor", h.vendor, sizeof(h.vendor));
	read_attr(ctx, "class/dmi/id/product_name", h.product, sizeof(h.product));
	if (!detect_apple_silicon(ctx, &h) && !detect_intel_mac(ctx, &h))
		detect_pc(ctx, &h);
	*host_ret = h;
}
