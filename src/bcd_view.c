/* bcd_view.c - a BCD store read back for people (see bcd_view.h). */
#include "wintogo/bcd_view.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <hivex.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/bcd.h"
#include "wintogo/bcd_vhdx.h"
#include "wintogo/guid.h"
#include "wintogo/log.h"
#include "wintogo/util.h"

struct name {
	const char *key;
	const char *value;
};

static const struct name aliases[] = {
	{ BCD_BOOTMGR, "{bootmgr}" },
	{ "{a5a30fa2-3d06-4e9f-b5f4-a01df9d1fcba}", "{fwbootmgr}" },
	{ BCD_MEMDIAG, "{memdiag}" },
	{ BCD_GLOBALSETTINGS, "{globalsettings}" },
	{ BCD_BOOTLOADERSETTINGS, "{bootloadersettings}" },
	{ BCD_RESUMELOADERSETTINGS, "{resumeloadersettings}" },
	{ BCD_DBGSETTINGS, "{dbgsettings}" },
	{ BCD_EMSSETTINGS, "{emssettings}" },
	{ BCD_BADMEMORY, "{badmemory}" },
	{ BCD_HYPERVISORSETTINGS, "{hypervisorsettings}" },
	{ "{466f5a88-0af2-4f76-9038-095b170dc21c}", "{ntldr}" },
	{ "{ae5534e0-a924-466c-b836-758539a3ee3a}", "{ramdiskoptions}" },
};

struct type_name {
	uint32_t type;
	const char *name;
};

static const struct type_name type_names[] = {
	{ 0x10100001, "Firmware Boot Manager" },
	{ 0x10100002, "Windows Boot Manager" },
	{ 0x10200003, "Windows Boot Loader" },
	{ 0x10200004, "Resume from Hibernate" },
	{ 0x10200005, "Windows Memory Tester" },
	{ 0x101fffff, "Firmware Application" },
	{ 0x20100000, "Library settings" },
	{ 0x20200003, "Boot loader settings" },
	{ 0x20200004, "Resume loader settings" },
	{ 0x30000000, "Device options" },
};

struct element_name {
	uint32_t code;
	uint32_t app;   /* 0: any object (library elements), else the object type's app */
	const char *name;
};

#define APP_BOOTMGR 0x00100000
#define APP_LOADER 0x00200003
#define APP_RESUME 0x00200004

/* The names bcdedit uses. */
static const struct element_name element_names[] = {
	{ 0x11000001, 0, "device" },
	{ 0x12000002, 0, "path" },
	{ 0x12000004, 0, "description" },
	{ 0x12000005, 0, "locale" },
	{ 0x14000006, 0, "inherit" },
	{ 0x14000008, 0, "recoverysequence" },
	{ 0x16000009, 0, "recoveryenabled" },
	{ 0x1600000b, 0, "badmemoryaccess" },
	{ 0x15000011, 0, "debugtype" },
	{ 0x16000020, 0, "bootems" },
	{ 0x12000030, 0, "loadoptions" },
	{ 0x1500004b, 0, "integrityservices" },
	{ 0x16000048, 0, "nointegritychecks" },
	{ 0x16000060, 0, "isolatedcontext" },
	{ 0x15000065, 0, "displaymessage" },
	{ 0x15000066, 0, "displaymessageoverride" },
	{ 0x17000077, 0, "allowedinmemorysettings" },
	{ 0x24000001, APP_BOOTMGR, "displayorder" },
	{ 0x23000003, APP_BOOTMGR, "default" },
	{ 0x25000004, APP_BOOTMGR, "timeout" },
	{ 0x23000006, APP_BOOTMGR, "resumeobject" },
	{ 0x24000010, APP_BOOTMGR, "toolsdisplayorder" },
	{ 0x26000020, APP_BOOTMGR, "displaybootmenu" },
	{ 0x21000001, APP_LOADER, "osdevice" },
	{ 0x22000002, APP_LOADER, "systemroot" },
	{ 0x23000003, APP_LOADER, "resumeobject" },
	{ 0x26000010, APP_LOADER, "detecthal" },
	{ 0x25000020, APP_LOADER, "nx" },
	{ 0x26000022, APP_LOADER, "winpe" },
	{ 0x250000c2, APP_LOADER, "bootmenupolicy" },
	{ 0x250000f3, APP_LOADER, "hypervisordebugtype" },
	{ 0x250000f4, APP_LOADER, "hypervisordebugport" },
	{ 0x250000f5, APP_LOADER, "hypervisorbaudrate" },
	{ 0x21000001, APP_RESUME, "filedevice" },
	{ 0x22000002, APP_RESUME, "filepath" },
	{ 0x26000006, APP_RESUME, "debugoptionenabled" },
	{ 0x25000008, APP_RESUME, "bootmenupolicy" },
};

const char *bcd_view_alias(const char *guid)
{
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcasecmp(guid, aliases[i].key))
			return aliases[i].value;
	return NULL;
}

static const char *type_name(uint32_t type)
{
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (type_names[i].type == type)
			return type_names[i].name;
	return NULL;
}

static const char *element_name(uint32_t object_type, uint32_t code)
{
	/* the application part of an object type: boot managers share 0x001000xx */
	uint32_t app = object_type & 0x00ffffff;

	if ((app & 0x00f00000) == APP_BOOTMGR)
		app = APP_BOOTMGR;
	for (size_t i = 0; i < ARRAY_SIZE(element_names); i++)
		if (element_names[i].code == code && (!element_names[i].app || element_names[i].app == app))
			return element_names[i].name;
	return NULL;
}

const char *bcd_view_format_name(uint32_t code)
{
	static const char *const formats[] = { "unknown", "device", "string", "object",
					       "objects", "integer", "boolean", "integers" };
	unsigned f = (code >> 24) & 0xf;

	return f < ARRAY_SIZE(formats) ? formats[f] : "unknown";
}

static int read_elements(hive_h *h, hive_node_h obj, struct bcd_view_object *o)
{
	hive_node_h els = hivex_node_get_child(h, obj, "Elements");
	hive_node_h *children = els ? hivex_node_children(h, els) : NULL;

	for (size_t i = 0; children && children[i]; i++) {
		char *name = hivex_node_name(h, children[i]);
		hive_value_h v = hivex_node_get_value(h, children[i], "Element");
		struct bcd_view_element e = { .code = (uint32_t)strtoul(name ? name : "0", NULL, 16) };
		hive_type t;
		size_t len;

		free(name);
		if (!v)
			continue;
		e.data = (uint8_t *)hivex_value_value(h, v, &t, &len);
		if (!e.data)
			continue;
		e.reg_type = (int)t;
		e.len = len;
		e.name = element_name(o->type, e.code);
		o->elements = xrealloc(o->elements, (o->n_elements + 1) * sizeof(e));
		o->elements[o->n_elements++] = e;
	}
	free(children);
	return 0;
}

static uint32_t object_type(hive_h *h, hive_node_h obj)
{
	hive_node_h desc = hivex_node_get_child(h, obj, "Description");
	hive_value_h v = desc ? hivex_node_get_value(h, desc, "Type") : 0;
	int32_t type = 0;

	if (v) {
		errno = 0;
		type = hivex_value_dword(h, v);
		if (errno)
			type = 0;
	}
	return (uint32_t)type;
}

#define REGF_HEADER_SIZE 4096
#define REGF_BINS_SIZE_AT 0x28  /* the size of the hive bins after the header */

/* hivex opens a hive cut short and finds nothing past the cut: say that
 * the file is shorter than its header says, instead of listing what
 * happens to be in the first part. */
static int check_whole(struct wtg_ctx *ctx, const char *path)
{
	uint8_t header[REGF_HEADER_SIZE];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	ssize_t n;
	uint32_t bins;
	int ret = 0;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s'", path);
	n = pread(fd, header, sizeof(header), 0);
	if (n < 0 || fstat(fd, &sb) < 0)
		ret = log_syserr(ctx, errno, "cannot read '%s'", path);
	else if (n == (ssize_t)sizeof(header) && !memcmp(header, "regf", 4)) {
		memcpy(&bins, header + REGF_BINS_SIZE_AT, sizeof(bins));
		bins = le32toh(bins);
		if ((uint64_t)sb.st_size < (uint64_t)REGF_HEADER_SIZE + bins)
			ret = log_error(ctx, WTG_ERR_BCD_DAMAGED, "'%s' is cut short: its header says %llu bytes, the file has %llu; copy the store again",
					path, (unsigned long long)REGF_HEADER_SIZE + bins, (unsigned long long)sb.st_size);
	}
	close(fd);
	return ret;
}

/* hivex says a lookup failed (not: found nothing) by setting errno. */
static int damaged(struct wtg_ctx *ctx, const char *path, const char *what)
{
	return log_errno(ctx, WTG_ERR_BCD_DAMAGED, errno, "'%s' is a damaged BCD store: cannot read %s", path, what);
}

int bcd_view_read(struct wtg_ctx *ctx, const char *path, struct bcd_view *view_ret)
{
	hive_h *h = NULL;
	struct bcd_view view = { 0 };
	hive_node_h objects, desc, *children = NULL;
	int ret = check_whole(ctx, path);

	if (ret < 0)
		return ret;
	h = hivex_open(path, 0);
	if (!h) {
		int e = errno;

		/* hivex: ENOTSUP not a hive, EINVAL a damaged one; else the system's reason */
		if (e == ENOTSUP || e == EINVAL)
			return log_errno(ctx, WTG_ERR_BCD_DAMAGED, e, "'%s' is not a registry hive (a BCD store is one)", path);
		return log_syserr(ctx, e, "'%s' is not a registry hive (a BCD store is one)", path);
	}
	desc = hivex_node_get_child(h, hivex_root(h), "Description");
	if (desc) {
		hive_value_h v = hivex_node_get_value(h, desc, "KeyName");

		view.key_name = v ? hivex_value_string(h, v) : NULL;
	}
	errno = 0;
	objects = hivex_node_get_child(h, hivex_root(h), "Objects");
	if (!objects) {
		ret = errno ? damaged(ctx, path, "its Objects key")
			    : log_error(ctx, WTG_ERR_BCD_DAMAGED, "'%s' is a registry hive but not a BCD store (no Objects key)", path);
		goto out;
	}
	children = hivex_node_children(h, objects);
	if (!children) {
		ret = damaged(ctx, path, "the list of its objects");
		goto out;
	}
	for (size_t i = 0; children[i]; i++) {
		struct bcd_view_object o = { .guid = hivex_node_name(h, children[i]) };

		if (!o.guid) {
			ret = damaged(ctx, path, "the name of an object");
			goto out;
		}
		o.alias = bcd_view_alias(o.guid);
		o.type = object_type(h, children[i]);
		o.type_name = type_name(o.type);
		read_elements(h, children[i], &o);
		view.objects = xrealloc(view.objects, (view.n_objects + 1) * sizeof(o));
		view.objects[view.n_objects++] = o;
	}
	*view_ret = view;
	view = (struct bcd_view){ 0 };
out:
	free(children);
	bcd_view_release(&view);
	hivex_close(h);
	return ret;
}

void bcd_view_release(struct bcd_view *view)
{
	for (size_t i = 0; i < view->n_objects; i++) {
		struct bcd_view_object *o = &view->objects[i];

		for (size_t k = 0; k < o->n_elements; k++)
			free(o->elements[k].data);
		free(o->elements);
		free(o->guid);
	}
	free(view->objects);
	free(view->key_name);
	*view = (struct bcd_view){ 0 };
}

/* UTF-16LE registry text to UTF-8, one line (REG_MULTI_SZ: NULs become
 * spaces; any other control character, a newline or an escape from a
 * hostile store, becomes '?'). */
static char *utf8(const uint8_t *data, size_t len)
{
	char *out = xcalloc(1, 2 * len + 1), *in = (char *)data, *p = out;
	size_t in_left = len, out_left = 2 * len;
	iconv_t cd = iconv_open("UTF-8", "UTF-16LE");

	if (cd != (iconv_t)-1) {
		iconv(cd, &in, &in_left, &p, &out_left);
		iconv_close(cd);
	}
	while (p > out && p[-1] == '\0')
		p--;
	for (char *c = out; c < p; c++)
		if (*c == '\0')
			*c = ' ';
		else if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	*p = '\0';
	return out;
}

static uint64_t le64(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	for (size_t i = len < 8 ? len : 8; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

/* Object GUIDs in a value, with the aliases of the well-known ones. */
static char *with_aliases(char *text)
{
	char *out = xcalloc(1, strlen(text) + 1);
	char *save = NULL;

	for (char *tok = strtok_r(text, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		const char *alias = bcd_view_alias(tok);

		if (*out)
			strcat(out, " ");
		strcat(out, alias && strlen(alias) <= strlen(tok) ? alias : tok);
	}
	free(text);
	return out;
}

static char *partition_text(const struct bcd_device *dev)
{
	char part[GUID_STR_LEN], disk[GUID_STR_LEN];

	if (dev->style == BCD_STYLE_MBR)
		return xasprintf("partition at byte %llu on MBR disk %08x",
				 (unsigned long long)dev->mbr_offset, dev->mbr_signature);
	guid_format(&dev->partition, part);
	guid_format(&dev->disk, disk);
	return xasprintf("partition {%s} on GPT disk {%s}", part, disk);
}

static char *device_text(const struct bcd_view_element *e)
{
	struct bcd_device dev;
	struct bcd_vhdx_device vhdx;
	char *inner, *host, *text;

	if (e->len == BCD_DEVICE_SIZE && e->data[16] == 5)
		return xstrdup("boot");
	if (bcd_vhdx_decode(e->data, e->len, &vhdx) == 0) {
		inner = partition_text(&vhdx.inner);
		host = partition_text(&vhdx.host);
		text = xasprintf("vhdx %s on %s (inside it: %s)", vhdx.path, host, inner);
		free(inner);
		free(host);
		bcd_vhdx_release(&vhdx);
		return text;
	}
	if (bcd_device_decode(e->data, e->len, &dev) < 0)
		return xasprintf("device type %u, %zu bytes", e->len > 16 ? e->data[16] : 0, e->len);
	return partition_text(&dev);
}

char *bcd_view_value_text(const struct bcd_view_element *e)
{
	switch ((e->code >> 24) & 0xf) {
	case 1:
		return device_text(e);
	case 2:
		return utf8(e->data, e->len);
	case 3:
	case 4:
		return with_aliases(utf8(e->data, e->len));
	case 5:
		return xasprintf("%llu", (unsigned long long)le64(e->data, e->len));
	case 6:
		return xstrdup(e->len && e->data[0] ? "yes" : "no");
	case 7: {
		char *s = xstrdup("");

		for (size_t i = 0; i + 8 <= e->len; i += 8) {
			char *next = xasprintf("%s%s0x%llx", s, *s ? " " : "",
					       (unsigned long long)le64(e->data + i, 8));

			free(s);
			s = next;
		}
		return s;
	}
	default:
		return xasprintf("%zu bytes", e->len);
	}
}
