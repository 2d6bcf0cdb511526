/* utm.c - a UTM bundle for the written disk (see utm.h). */
#include "wintogo/utm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "wintogo/bundle.h"
#include "wintogo/guid.h"
#include "wintogo/log.h"
#include "wintogo/util.h"

#define DISK_NAME "DISK.qcow2"

/* The plist is written by libxml2's writer: it escapes what XML needs
 * escaped in any text (vm_name_check has refused what XML cannot hold at
 * all) and indents with tabs as UTM's own PropertyListEncoder does. */
struct plist {
	xmlTextWriterPtr w;
	int rc;  /* the first error of the writer, sticky */
};

static void check(struct plist *p, int rc)
{
	if (rc < 0 && p->rc >= 0)
		p->rc = rc;
}

static void key(struct plist *p, const char *k)
{
	check(p, xmlTextWriterWriteElement(p->w, BAD_CAST "key", BAD_CAST k));
}

static void string(struct plist *p, const char *k, const char *v)
{
	key(p, k);
	check(p, xmlTextWriterWriteElement(p->w, BAD_CAST "string", BAD_CAST v));
}

static void integer(struct plist *p, const char *k, uint64_t v)
{
	key(p, k);
	check(p, xmlTextWriterWriteFormatElement(p->w, BAD_CAST "integer", "%llu", (unsigned long long)v));
}

/* an element with no content: <true/>, <false/>, <array/> */
static void empty(struct plist *p, const char *tag)
{
	check(p, xmlTextWriterStartElement(p->w, BAD_CAST tag));
	check(p, xmlTextWriterEndElement(p->w));
}

static void boolean(struct plist *p, const char *k, bool v)
{
	key(p, k);
	empty(p, v ? "true" : "false");
}

static void empty_array(struct plist *p, const char *k)
{
	key(p, k);
	empty(p, "array");
}

static void open_(struct plist *p, const char *k, const char *tag)
{
	if (k)
		key(p, k);
	check(p, xmlTextWriterStartElement(p->w, BAD_CAST tag));
}

static void close_(struct plist *p, const char *tag)
{
	(void)tag;  /* the writer knows which: the name is for the reader */
	check(p, xmlTextWriterEndElement(p->w));
}

static void uuid(struct wtg_ctx *ctx, char out[GUID_STR_LEN], const struct utm_request *req, const char *purpose, int *err)
{
	struct guid g;

	if (!*err)
		*err = guid_make(ctx, &g, req->seeded, req->seed, purpose);
	if (!*err)
		guid_format(&g, out);
}

/* A locally administered unicast MAC, as UTM makes them. */
static void mac(struct wtg_ctx *ctx, char out[18], const struct utm_request *req, int *err)
{
	struct guid g;
	uint8_t *b = g.bytes;

	if (!*err)
		*err = guid_make(ctx, &g, req->seeded, req->seed, "utm-mac");
	if (*err)
		return;
	b[0] = (uint8_t)((b[0] & 0xfc) | 0x02);
	snprintf(out, 18, "%02X:%02X:%02X:%02X:%02X:%02X", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* The configuration, into *buf_ret (an xmlBuffer the caller frees).
 *
 * Per architecture, what UTM 5.0.3's Windows wizard writes
 * (VMWizardState.swift generateQemuConfig; tests/utm.t holds the whole
 * table and our differences): x86_64 is a q35 machine with its disk on
 * IDE (the q35 AHCI controller, Windows' inbox storahci) and Hypervisor
 * off, as the wizard sets it when it emulates, the only way an x86_64
 * guest runs on Apple Silicon; aarch64 is a virt machine with the disk on
 * NVMe (inbox stornvme; virt has no IDE) and Hypervisor on. */
static int build_config(struct wtg_ctx *ctx, const struct utm_request *req, xmlBufferPtr *buf_ret)
{
	bool arm = req->arch == WIM_ARCH_ARM64;
	char vm_uuid[GUID_STR_LEN], drive_id[GUID_STR_LEN], cd_id[GUID_STR_LEN], mac_addr[18];
	struct plist p = { 0 };
	xmlBufferPtr buf = NULL;
	int ret = 0;

	uuid(ctx, vm_uuid, req, "utm-vm", &ret);
	uuid(ctx, drive_id, req, "utm-drive", &ret);
	uuid(ctx, cd_id, req, "utm-tools-cd", &ret);
	mac(ctx, mac_addr, req, &ret);
	if (ret < 0)
		return ret;
	buf = xmlBufferCreate();
	p.w = buf ? xmlNewTextWriterMemory(buf, 0) : NULL;
	if (!p.w) {
		xmlBufferFree(buf);
		return log_error(ctx, WTG_ERR_NO_MEMORY, "out of memory for the UTM configuration");
	}
	check(&p, xmlTextWriterSetIndent(p.w, 1));
	check(&p, xmlTextWriterSetIndentString(p.w, BAD_CAST "\t"));
	check(&p, xmlTextWriterStartDocument(p.w, "1.0", "UTF-8", NULL));
	check(&p, xmlTextWriterWriteDTD(p.w, BAD_CAST "plist", BAD_CAST "-//Apple//DTD PLIST 1.0//EN",
					BAD_CAST "http://www.apple.com/DTDs/PropertyList-1.0.dtd", NULL));
	check(&p, xmlTextWriterStartElement(p.w, BAD_CAST "plist"));
	check(&p, xmlTextWriterWriteAttribute(p.w, BAD_CAST "version", BAD_CAST "1.0"));
	open_(&p, NULL, "dict");
	string(&p, "Backend", "QEMU");  /* exactly this case, or UTM cannot decode it */
	integer(&p, "ConfigurationVersion", 4);

	open_(&p, "Information", "dict");
	string(&p, "Name", req->name);
	string(&p, "Icon", "windows");
	boolean(&p, "IconCustom", false);
	string(&p, "UUID", vm_uuid);
	close_(&p, "dict");

	open_(&p, "System", "dict");
	string(&p, "Architecture", arm ? "aarch64" : "x86_64");
	string(&p, "Target", arm ? "virt" : "q35");
	string(&p, "CPU", "default");
	empty_array(&p, "CPUFlagsAdd");
	empty_array(&p, "CPUFlagsRemove");
	/* a count, not 0 ("as the host"): UTM gives an emulated x86_64 guest
	 * one core for 0, and Windows wants two */
	integer(&p, "CPUCount", req->cpus);
	/* only multi-threaded TCG, which UTM calls possibly unstable; its
	 * wizard leaves it off, and the cores are there without it */
	boolean(&p, "ForceMulticore", false);
	integer(&p, "MemorySize", req->memory_mib);
	integer(&p, "JITCacheSize", 0);
	close_(&p, "dict");

	open_(&p, "QEMU", "dict");
	boolean(&p, "DebugLog", false);
	boolean(&p, "UEFIBoot", true);
	boolean(&p, "RNGDevice", true);
	boolean(&p, "BalloonDevice", false);
	boolean(&p, "TPMDevice", true);
	boolean(&p, "Hypervisor", arm);
	boolean(&p, "TSO", false);
	boolean(&p, "RTCLocalTime", true);  /* Windows keeps local time in the RTC */
	boolean(&p, "PS2Controller", false);
	empty_array(&p, "AdditionalArguments");
	close_(&p, "dict");

	open_(&p, "Input", "dict");
	string(&p, "UsbBusSupport", "3.0");
	boolean(&p, "UsbSharing", false);
	integer(&p, "MaximumUsbShare", 3);
	close_(&p, "dict");

	open_(&p, "Sharing", "dict");
	string(&p, "DirectoryShareMode", "WebDAV");
	boolean(&p, "DirectoryShareReadOnly", false);
	boolean(&p, "ClipboardSharing", true);
	close_(&p, "dict");

	open_(&p, "Display", "array");
	open_(&p, NULL, "dict");
	string(&p, "Hardware", arm ? "virtio-ramfb-gl" : "virtio-vga-gl");
	boolean(&p, "DynamicResolution", true);
	string(&p, "UpscalingFilter", "Nearest");
	string(&p, "DownscalingFilter", "Linear");
	boolean(&p, "NativeResolution", false);
	close_(&p, "dict");
	close_(&p, "array");

	open_(&p, "Drive", "array");
	open_(&p, NULL, "dict");
	string(&p, "ImageName", DISK_NAME);
	string(&p, "ImageType", "Disk");
	string(&p, "Interface", arm ? "NVMe" : "IDE");
	integer(&p, "InterfaceVersion", 1);
	string(&p, "Identifier", drive_id);
	boolean(&p, "ReadOnly", false);
	close_(&p, "dict");
	/* an empty removable CD drive (no ImageName), as the wizard adds for
	 * "Install drivers and SPICE tools": UTM's "Install Windows Guest
	 * Tools..." puts its ISO into the last such drive and fails without
	 * one; an arm64 Windows has no network driver until those tools are in */
	open_(&p, NULL, "dict");
	string(&p, "ImageType", "CD");
	string(&p, "Interface", arm ? "USB" : "IDE");
	integer(&p, "InterfaceVersion", 1);
	string(&p, "Identifier", cd_id);
	boolean(&p, "ReadOnly", true);
	close_(&p, "dict");
	close_(&p, "array");

	open_(&p, "Network", "array");
	open_(&p, NULL, "dict");
	string(&p, "Mode", "Shared");
	/* e1000 has an inbox driver on x64; arm64 needs UTM's guest tools anyway */
	string(&p, "Hardware", arm ? "virtio-net-pci" : "e1000");
	string(&p, "MacAddress", mac_addr);
	boolean(&p, "IsolateFromHost", false);
	empty_array(&p, "PortForward");
	close_(&p, "dict");
	close_(&p, "array");

	empty_array(&p, "Serial");
	open_(&p, "Sound", "array");
	open_(&p, NULL, "dict");
	string(&p, "Hardware", "intel-hda");
	close_(&p, "dict");
	close_(&p, "array");
	close_(&p, "dict");
	check(&p, xmlTextWriterEndDocument(p.w));
	xmlFreeTextWriter(p.w);  /* flushes into buf */
	if (p.rc < 0) {
		xmlBufferFree(buf);
		return log_error(ctx, WTG_ERR_INTERNAL, "internal error: libxml2 could not write the UTM configuration");
	}
	*buf_ret = buf;
	return 0;
}

static int write_bundle(struct wtg_ctx *ctx, const struct utm_request *req, const char *path)
{
	struct bundle b;
	xmlBufferPtr config = NULL;
	int ret = build_config(ctx, req, &config);

	if (ret < 0)
		return ret;
	ret = bundle_open(ctx, &b, path, req->force);
	if (!ret)
		ret = bundle_mkdir(ctx, &b, "Data");
	if (!ret)
		ret = bundle_put_file(ctx, &b, req->disk, "Data/" DISK_NAME);
	if (!ret)
		ret = bundle_write_file(ctx, &b, "config.plist", xmlBufferContent(config),
					(size_t)xmlBufferLength(config), 0644);
	if (!ret)
		ret = bundle_commit(ctx, &b);
	bundle_abort(&b);
	xmlBufferFree(config);
	return ret;
}

int utm_bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, bool force, char **path_ret)
{
	return bundle_path(ctx, dir, name, ".utm", "--utm", force, path_ret);
}

int utm_write_bundle(struct wtg_ctx *ctx, const struct utm_request *req, char **bundle_ret)
{
	char *bundle = NULL;
	int ret = utm_bundle_path(ctx, req->dir, req->name, req->force, &bundle);

	if (ret < 0)
		return ret;
	ret = write_bundle(ctx, req, bundle);
	if (ret < 0) {
		free(bundle);
		return ret;
	}
	*bundle_ret = bundle;
	return 0;
}
