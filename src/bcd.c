/* bcd.c - the BCD store written with hivex (see bcd.h).  The objects and
 * elements are those of a store that bcdboot /f UEFI (or the BIOS half of
 * /f ALL) makes for an ESP and a
 * Windows partition (confirmed against real stores: see the tests), plus
 * recoveryenabled = no, as Windows To Go has no recovery environment. */
#include "wintogo/bcd.h"

#include <ctype.h>
#include <errno.h>
#include <hivex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/bcd_vhdx.h"
#include "wintogo/hive.h"
#include "wintogo/log.h"
#include "wintogo/regf.h"
#include "wintogo/util.h"

/* Object types (Description\Type). */
#define TYPE_BOOTMGR 0x10100002
#define TYPE_LOADER 0x10200003
#define TYPE_RESUME 0x10200004
#define TYPE_MEMDIAG 0x10200005
#define TYPE_LIBRARY_SETTINGS 0x20100000
#define TYPE_LOADER_SETTINGS 0x20200003
#define TYPE_RESUME_SETTINGS 0x20200004

/* Element codes, named as bcdedit names them. */
#define EL_DEVICE 0x11000001
#define EL_PATH 0x12000002
#define EL_DESCRIPTION 0x12000004
#define EL_LOCALE 0x12000005
#define EL_INHERIT 0x14000006
#define EL_RECOVERYENABLED 0x16000009
#define EL_BADMEMORYACCESS 0x1600000b
#define EL_DEBUGTYPE 0x15000011
#define EL_BOOTEMS 0x16000020
#define EL_ISOLATEDCONTEXT 0x16000060
#define EL_ALLOWEDINMEMORYSETTINGS 0x17000077
#define EL_BOOTMGR_DISPLAYORDER 0x24000001
#define EL_BOOTMGR_DEFAULT 0x23000003
#define EL_BOOTMGR_TIMEOUT 0x25000004
#define EL_BOOTMGR_RESUMEOBJECT 0x23000006
#define EL_BOOTMGR_TOOLSDISPLAYORDER 0x24000010
#define EL_OSDEVICE 0x21000001
#define EL_SYSTEMROOT 0x22000002
#define EL_LOADER_RESUMEOBJECT 0x23000003
#define EL_NX 0x25000020
#define EL_BOOTMENUPOLICY 0x250000c2
#define EL_RESUME_FILEDEVICE 0x21000001
#define EL_RESUME_FILEPATH 0x22000002
#define EL_RESUME_DEBUGOPTIONENABLED 0x26000006
#define EL_RESUME_BOOTMENUPOLICY 0x25000008
#define EL_RESUME_CUSTOM_26 0x21000026
#define EL_HYPERVISOR_DEBUGTYPE 0x250000f3
#define EL_HYPERVISOR_DEBUGPORT 0x250000f4
#define EL_HYPERVISOR_BAUDRATE 0x250000f5

#define NX_OPTIN 0
#define BOOTMENUPOLICY_STANDARD 1
#define DEBUGTYPE_LOCAL 4
/* allowedinmemorysettings: the one setting Windows lets the loader pass on */
#define SETTING_15000075 0x15000075

/* Template objects of a BCD-Template that bcdboot does not keep. */
static const char *const template_objects[] = {
	"{0c334284-9a41-4de1-99b3-a7e87e8ff07e}", "{466f5a88-0af2-4f76-9038-095b170dc21c}",
	"{7254a080-1510-4e85-ac0f-e7fb3d444736}", "{98b02a23-0674-4ce7-bdad-e0a15a8ff97b}",
	"{a1943bbc-ea85-487c-97c7-c9ede908a38a}", "{b012b84d-c47c-4ed5-b722-c0c42163e569}",
	"{cbd971bf-b7b8-4885-951a-fa03044f5d71}",
};

/* The store being written.  The first error sticks; later calls do
 * nothing, so the object descriptions below read as plain lists. */
struct store {
	hive_h *h;
	const char *path;   /* for messages */
	hive_node_h objects;
	int err;
};

static int fail(struct wtg_ctx *ctx, struct store *s, const char *what)
{
	if (!s->err)
		s->err = log_syserr(ctx, errno ? errno : EIO, "cannot write the BCD store (%s)", what);
	return s->err;
}

static hive_node_h child(struct wtg_ctx *ctx, struct store *s, hive_node_h parent, const char *name)
{
	hive_node_h node;

	if (s->err)
		return 0;
	errno = 0;
	node = hivex_node_get_child(s->h, parent, name);
	if (!node && errno) {
		fail(ctx, s, name);
		return 0;
	}
	if (!node)
		node = hivex_node_add_child(s->h, parent, name);
	if (!node)
		fail(ctx, s, name);
	return node;
}

static void set_value(struct wtg_ctx *ctx, struct store *s, hive_node_h node, const char *key, hive_type type,
		      const void *data, size_t len)
{
	hive_set_value v = { (char *)key, type, len, (char *)data };

	if (!s->err && hivex_node_set_value(s->h, node, &v, 0) < 0)
		fail(ctx, s, key);
}

static hive_node_h object(struct wtg_ctx *ctx, struct store *s, const char *guid, uint32_t type)
{
	hive_node_h obj = child(ctx, s, s->objects, guid);
	hive_node_h desc = child(ctx, s, obj, "Description");

	set_value(ctx, s, desc, "Type", hive_t_REG_DWORD, &type, sizeof(type));
	child(ctx, s, obj, "Elements");
	return obj;
}

static hive_node_h element(struct wtg_ctx *ctx, struct store *s, hive_node_h obj, uint32_t code)
{
	char name[9];

	snprintf(name, sizeof(name), "%08x", code);
	return child(ctx, s, child(ctx, s, obj, "Elements"), name);
}

static void set_device(struct wtg_ctx *ctx, struct store *s, hive_node_h obj, uint32_t code, const struct bcd_device *dev)
{
	uint8_t bytes[BCD_DEVICE_SIZE];

	bcd_device_encode(dev, bytes);
	set_value(ctx, s, element(ctx, s, obj, code), "Element", hive_t_REG_BINARY, bytes, sizeof(bytes));
}

/* Where Windows is: its partition, or (write --vhdx) the partition inside
 * the VHDX file on the host partition (bcd_vhdx.h). */
static void set_windows_device(struct wtg_ctx *ctx, struct store *s, hive_node_h obj, uint32_t code,
			       const struct bcd_request *req)
{
	uint8_t *bytes = NULL;
	size_t len = 0;

	if (!req->vhdx_path) {
		set_device(ctx, s, obj, code, &req->windows);
		return;
	}
	if (bcd_vhdx_encode(&req->windows, &req->vhdx_host, req->vhdx_path, &bytes, &len) < 0) {
		errno = EINVAL;
		fail(ctx, s, req->vhdx_path);
		return;
	}
	set_value(ctx, s, element(ctx, s, obj, code), "Element", hive_t_REG_BINARY, bytes, len);
	free(bytes);
}

static void set_text(struct wtg_ctx *ctx, struct store *s, hive_node_h node, const char *key, const char *text)
{
	size_t len;
	char *data = hive_utf16(text, &len);

	set_value(ctx, s, node, key, hive_t_REG_SZ, data, len);
	free(data);
}

static void set_string(struct wtg_ctx *ctx, struct store *s, hive_node_h obj, uint32_t code, const char *text)
{
	set_text(ctx, s, element(ctx, s, obj, code), "Element", text);
}

static void set_objects(struct wtg_ctx *ctx, struct store *s, hive_node_h obj, uint32_t code, const char *const guids[],
			size_t n)
{
	char *data = NULL;
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t part_len;
		char *part = hive_utf16(guids[i], &part_len);

		data = xrealloc(data, len + part_len);
		memcpy(data + len, part, part_len);
		len += part_len;
		free(part);
	}
	data = xrealloc(data, len + 2);
	data[len++] = 0;  /* REG_MULTI_SZ ends with an empty string */
	data[len++] = 0;
	set_value(ctx, s, element(ctx, s, obj, code), "Element", hive_t_REG_MULTI_SZ, data, len);
	free(data);
}

static void set_object(struct wtg_ctx *ctx, struct store *s, hive_node_h obj, uint32_t code, const char *guid)
{
	set_string(ctx, s, obj, code, guid);
}

static void set_integer(struct wtg_ctx *ctx, struct store *s, hive_node_h obj, uint32_t code, uint64_t value)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(value >> (8 * i));
	set_value(ctx, s, element(ctx, s, obj, code), "Element", hive_t_REG_BINARY, le, sizeof(le));
}

static void set_boolean(struct wtg_ctx *ctx, struct store *s, hive_node_h obj, uint32_t code, bool value)
{
	uint8_t b = value;

	set_value(ctx, s, element(ctx, s, obj, code), "Element", hive_t_REG_BINARY, &b, 1);
}

static void delete_object(struct wtg_ctx *ctx, struct store *s, const char *guid)
{
	hive_node_h node;

	if (s->err)
		return;
	errno = 0;
	node = hivex_node_get_child(s->h, s->objects, guid);
	if (node && hivex_node_delete_child(s->h, node) < 0)
		fail(ctx, s, guid);
}

static void write_settings(struct wtg_ctx *ctx, struct store *s)
{
	const char *const global_inherits[] = { BCD_DBGSETTINGS, BCD_EMSSETTINGS, BCD_BADMEMORY };
	const char *const loader_inherits[] = { BCD_GLOBALSETTINGS, BCD_HYPERVISORSETTINGS };
	const char *const resume_inherits[] = { BCD_GLOBALSETTINGS };
	hive_node_h o;

	o = object(ctx, s, BCD_GLOBALSETTINGS, TYPE_LIBRARY_SETTINGS);
	set_objects(ctx, s, o, EL_INHERIT, global_inherits, ARRAY_SIZE(global_inherits));
	o = object(ctx, s, BCD_BOOTLOADERSETTINGS, TYPE_LOADER_SETTINGS);
	set_objects(ctx, s, o, EL_INHERIT, loader_inherits, ARRAY_SIZE(loader_inherits));
	o = object(ctx, s, BCD_RESUMELOADERSETTINGS, TYPE_RESUME_SETTINGS);
	set_objects(ctx, s, o, EL_INHERIT, resume_inherits, ARRAY_SIZE(resume_inherits));
	o = object(ctx, s, BCD_DBGSETTINGS, TYPE_LIBRARY_SETTINGS);
	set_integer(ctx, s, o, EL_DEBUGTYPE, DEBUGTYPE_LOCAL);
	o = object(ctx, s, BCD_EMSSETTINGS, TYPE_LIBRARY_SETTINGS);
	set_boolean(ctx, s, o, EL_BOOTEMS, false);
	object(ctx, s, BCD_BADMEMORY, TYPE_LIBRARY_SETTINGS);
	o = object(ctx, s, BCD_HYPERVISORSETTINGS, TYPE_LOADER_SETTINGS);
	set_integer(ctx, s, o, EL_HYPERVISOR_DEBUGTYPE, 0);  /* serial */
	set_integer(ctx, s, o, EL_HYPERVISOR_DEBUGPORT, 1);
	set_integer(ctx, s, o, EL_HYPERVISOR_BAUDRATE, 115200);
}

/* What every boot application object starts with: where it is, what it is
 * called, its menu language and the settings object it inherits. */
static hive_node_h application(struct wtg_ctx *ctx, struct store *s, const char *guid, uint32_t type,
			       const struct bcd_request *req, bool on_windows, const char *path,
			       const char *description, const char *locale, const char *inherit)
{
	hive_node_h o = object(ctx, s, guid, type);

	if (on_windows)
		set_windows_device(ctx, s, o, EL_DEVICE, req);
	else
		set_device(ctx, s, o, EL_DEVICE, &req->esp);
	if (path)  /* a BIOS boot manager has none: it is \bootmgr */
		set_string(ctx, s, o, EL_PATH, path);
	set_string(ctx, s, o, EL_DESCRIPTION, description);
	set_string(ctx, s, o, EL_LOCALE, locale);
	set_objects(ctx, s, o, EL_INHERIT, &inherit, 1);
	return o;
}

/* Windows' own loaders run isolated and pass on one in-memory setting. */
static void set_isolation(struct wtg_ctx *ctx, struct store *s, hive_node_h o)
{
	const uint64_t allowed[] = { SETTING_15000075 };
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(allowed[0] >> (8 * i));
	set_boolean(ctx, s, o, EL_ISOLATEDCONTEXT, true);
	set_value(ctx, s, element(ctx, s, o, EL_ALLOWEDINMEMORYSETTINGS), "Element", hive_t_REG_BINARY, le,
		  sizeof(le));
}

/* Where each boot application is, for UEFI and for BIOS (bcdboot's paths). */
struct app_paths {
	const char *bootmgr, *loader, *resume, *memdiag;
};

static const struct app_paths uefi_paths = {
	"\\EFI\\Microsoft\\Boot\\bootmgfw.efi", "\\Windows\\system32\\winload.efi",
	"\\Windows\\system32\\winresume.efi", "\\EFI\\Microsoft\\Boot\\memtest.efi",
};
static const struct app_paths bios_paths = {
	NULL, "\\Windows\\system32\\winload.exe", "\\Windows\\system32\\winresume.exe", "\\boot\\memtest.exe",
};

static void write_boot_objects(struct wtg_ctx *ctx, struct store *s, const struct bcd_request *req, const char *loader,
			       const char *resume)
{
	const struct app_paths *paths = req->firmware == BCD_FIRMWARE_BIOS ? &bios_paths : &uefi_paths;
	const char *const display[] = { loader };
	const char *const tools[] = { BCD_MEMDIAG };
	hive_node_h o;

	o = application(ctx, s, BCD_BOOTMGR, TYPE_BOOTMGR, req, false, paths->bootmgr,
			"Windows Boot Manager", req->locale, BCD_GLOBALSETTINGS);
	set_object(ctx, s, o, EL_BOOTMGR_DEFAULT, loader);
	set_object(ctx, s, o, EL_BOOTMGR_RESUMEOBJECT, resume);
	set_objects(ctx, s, o, EL_BOOTMGR_DISPLAYORDER, display, 1);
	set_objects(ctx, s, o, EL_BOOTMGR_TOOLSDISPLAYORDER, tools, 1);
	set_integer(ctx, s, o, EL_BOOTMGR_TIMEOUT, 30);

	o = application(ctx, s, loader, TYPE_LOADER, req, true, paths->loader,
			req->loader_description, req->locale, BCD_BOOTLOADERSETTINGS);
	set_boolean(ctx, s, o, EL_RECOVERYENABLED, false);  /* no WinRE on a WTG disk */
	set_isolation(ctx, s, o);
	set_windows_device(ctx, s, o, EL_OSDEVICE, req);
	set_string(ctx, s, o, EL_SYSTEMROOT, "\\Windows");
	set_object(ctx, s, o, EL_LOADER_RESUMEOBJECT, resume);
	set_integer(ctx, s, o, EL_NX, NX_OPTIN);
	set_integer(ctx, s, o, EL_BOOTMENUPOLICY, BOOTMENUPOLICY_STANDARD);

	o = application(ctx, s, resume, TYPE_RESUME, req, true, paths->resume,
			"Windows Resume Application", req->locale, BCD_RESUMELOADERSETTINGS);
	set_isolation(ctx, s, o);
	set_windows_device(ctx, s, o, EL_RESUME_FILEDEVICE, req);
	set_windows_device(ctx, s, o, EL_RESUME_CUSTOM_26, req);
	set_string(ctx, s, o, EL_RESUME_FILEPATH, "\\hiberfil.sys");
	set_integer(ctx, s, o, EL_RESUME_BOOTMENUPOLICY, BOOTMENUPOLICY_STANDARD);
	set_boolean(ctx, s, o, EL_RESUME_DEBUGOPTIONENABLED, false);

	o = application(ctx, s, BCD_MEMDIAG, TYPE_MEMDIAG, req, false, paths->memdiag,
			"Windows Memory Diagnostic", req->locale, BCD_GLOBALSETTINGS);
	set_boolean(ctx, s, o, EL_BADMEMORYACCESS, true);
}

static void object_name(struct wtg_ctx *ctx, char out[GUID_STR_LEN + 2], bool seeded, uint64_t seed, const char *purpose,
			int *err)
{
	struct guid g;
	char text[GUID_STR_LEN];

	if (*err)
		return;
	*err = guid_make(ctx, &g, seeded, seed, purpose);
	guid_format(&g, text);
	snprintf(out, GUID_STR_LEN + 2, "{%s}", text);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
}

int bcd_build(struct wtg_ctx *ctx, const struct bcd_request *req)
{
	const char *source = req->template_path ? req->template_path : req->out_path;
	struct store s = { .path = req->out_path };
	char loader[GUID_STR_LEN + 2], resume[GUID_STR_LEN + 2];
	uint32_t system = 1;
	hive_node_h desc;
	int ret = 0;

	object_name(ctx, loader, req->seeded, req->seed, "bcd-loader", &ret);
	object_name(ctx, resume, req->seeded, req->seed, "bcd-resume", &ret);
	if (!ret && !req->template_path)
		ret = regf_write_empty(ctx, req->out_path, "NewStoreRoot");
	if (ret < 0)
		return ret;
	s.h = hivex_open(source, HIVEX_OPEN_WRITE);
	if (!s.h) {
		if (req->template_path)
			return log_error(ctx, WTG_ERR_IMAGE_DAMAGED, "the image's BCD-Template is not a registry hive hivex can read (%s); the image may be damaged, or give --bcd-from-scratch",
					 strerror(errno));
		return log_syserr(ctx, errno, "cannot open the new BCD store '%s'", req->out_path);
	}
	/* KeyName of a system store, as on an installed Windows' ESP */
	desc = child(ctx, &s, hivex_root(s.h), "Description");
	set_text(ctx, &s, desc, "KeyName", "BCD00000000");
	set_value(ctx, &s, desc, "System", hive_t_REG_DWORD, &system, sizeof(system));
	s.objects = child(ctx, &s, hivex_root(s.h), "Objects");
	for (size_t i = 0; i < ARRAY_SIZE(template_objects); i++)
		delete_object(ctx, &s, template_objects[i]);
	write_settings(ctx, &s);
	write_boot_objects(ctx, &s, req, loader, resume);
	if (!s.err && hivex_commit(s.h, req->out_path, 0) < 0)
		fail(ctx, &s, "commit");
	ret = s.err;
	hivex_close(s.h);
	return ret;
}

void bcd_device_encode(const struct bcd_device *dev, uint8_t out[BCD_DEVICE_SIZE])
{
	uint8_t *d = out + 16;  /* after the associated-entry GUID, all zero */

	memset(out, 0, BCD_DEVICE_SIZE);
	d[0x00] = 6;     /* DeviceType: partition (PARTITION_EX) */
	d[0x08] = 0x48;  /* Size of the device, header included */
	if (dev->style == BCD_STYLE_GPT) {
		guid_to_mixed_endian(&dev->partition, d + 0x10);
		guid_to_mixed_endian(&dev->disk, d + 0x28);
	} else {
		for (int i = 0; i < 8; i++)
			d[0x10 + i] = (uint8_t)(dev->mbr_offset >> (8 * i));
		for (int i = 0; i < 4; i++)
			d[0x28 + i] = (uint8_t)(dev->mbr_signature >> (8 * i));
	}
	d[0x24] = (uint8_t)dev->style;  /* PartitionStyle, after BlockIoType 0 (hard disk) */
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void from_mixed_endian(const uint8_t in[16], struct guid *g)
{
	const uint8_t b[16] = { in[3], in[2], in[1], in[0], in[5], in[4], in[7], in[6],
				in[8], in[9], in[10], in[11], in[12], in[13], in[14], in[15] };

	memcpy(g->bytes, b, 16);
}

int bcd_device_decode(const uint8_t *bytes, size_t len, struct bcd_device *dev_ret)
{
	const uint8_t *d = bytes + 16;
	struct bcd_device dev = { 0 };

	if (len != BCD_DEVICE_SIZE || le32(d) != 6 || le32(d + 8) != 0x48 || le32(d + 0x20) != 0)
		return -EINVAL;
	dev.style = (enum bcd_partition_style)le32(d + 0x24);
	if (dev.style == BCD_STYLE_GPT) {
		from_mixed_endian(d + 0x10, &dev.partition);
		from_mixed_endian(d + 0x28, &dev.disk);
	} else if (dev.style == BCD_STYLE_MBR) {
		for (int i = 7; i >= 0; i--)
			dev.mbr_offset = dev.mbr_offset << 8 | d[0x10 + i];
		dev.mbr_signature = le32(d + 0x28);
	} else {
		return -EINVAL;
	}
	*dev_ret = dev;
	return 0;
}
