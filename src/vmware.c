/* vmware.c - a VMware Fusion bundle for the written VMDK (see vmware.h). */
#include "wintogo/vmware.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

/* A .vmx value: "..." with '"', '|' and '#' written as |XX, the escape
 * VMware's own dictionary files use (a name has no control characters:
 * vm_name_check). */
static void vmx_value(FILE *f, const char *key, const char *value)
{
	fprintf(f, "%s = \"", key);
	for (const char *s = value; *s; s++) {
		if (*s == '"' || *s == '|' || *s == '#')
			fprintf(f, "|%02X", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputs("\"\n", f);
}

static char *vmx_text(const struct vm_bundle_request *req, const char *vmdk_name, size_t *len_ret)
{
	bool arm = req->arch == WIM_ARCH_ARM64;
	char *text = NULL, num[32];
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();  /* as xmalloc: out of memory */
	vmx_value(f, ".encoding", "UTF-8");
	vmx_value(f, "config.version", "8");
	/* 20 is Fusion 13's, the first Fusion for Apple Silicon; 19 opens in
	 * Fusion 12 too, the last for Intel Macs only */
	vmx_value(f, "virtualHW.version", arm ? "20" : "19");
	vmx_value(f, "displayName", req->name);
	vmx_value(f, "guestOS", arm ? "arm-windows11-64" : "windows11-64");
	vmx_value(f, "firmware", "efi");
	/* Windows 11 wants Secure Boot; the boot files are Microsoft-signed */
	vmx_value(f, "uefi.secureBoot.enabled", "TRUE");
	snprintf(num, sizeof(num), "%llu", (unsigned long long)req->memory_mib);
	vmx_value(f, "memsize", num);
	snprintf(num, sizeof(num), "%u", req->cpus);
	vmx_value(f, "numvcpus", num);
	/* NVMe: Windows' inbox stornvme drives it on x64 and arm64 */
	vmx_value(f, "nvme0.present", "TRUE");
	vmx_value(f, "nvme0:0.present", "TRUE");
	vmx_value(f, "nvme0:0.fileName", vmdk_name);
	vmx_value(f, "ethernet0.present", "TRUE");
	vmx_value(f, "ethernet0.connectionType", "nat");
	vmx_value(f, "ethernet0.addressType", "generated");
	/* e1000e has an inbox driver on x64 Windows; VMware Tools bring vmxnet3 */
	vmx_value(f, "ethernet0.virtualDev", "e1000e");
	vmx_value(f, "usb_xhci.present", "TRUE");
	vmx_value(f, "sound.present", "TRUE");
	vmx_value(f, "sound.virtualDev", "hdaudio");
	if (fclose(f) != 0)
		abort();
	*len_ret = len;
	return text;
}

int vmware_bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, bool force, char **path_ret)
{
	return bundle_path(ctx, dir, name, ".vmwarevm", "--vmware", force, path_ret);
}

int vmware_write_bundle(struct wtg_ctx *ctx, const struct vm_bundle_request *req, char **bundle_ret)
{
	char *path = NULL, *vmdk = xasprintf("%s.vmdk", req->name), *vmx = xasprintf("%s.vmx", req->name);
	char *text = NULL;
	size_t len = 0;
	struct bundle b = { .fd = -1 };
	int ret = vmware_bundle_path(ctx, req->dir, req->name, req->force, &path);

	if (ret < 0)
		goto out;
	text = vmx_text(req, vmdk, &len);
	ret = bundle_open(ctx, &b, path, req->force);
	if (!ret)
		ret = bundle_put_file(ctx, &b, req->disk, vmdk);
	if (!ret)
		ret = bundle_write_file(ctx, &b, vmx, text, len, 0644);
	if (!ret)
		ret = bundle_commit(ctx, &b);
	bundle_abort(&b);
	if (!ret) {
		*bundle_ret = path;
		path = NULL;
	}
out:
	free(path);
	free(text);
	free(vmdk);
	free(vmx);
	return ret;
}
