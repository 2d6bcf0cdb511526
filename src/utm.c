/* utm.c - a UTM bundle for the written disk (see utm.h). */
#include "wintogo/utm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/guid.h"
#include "wintogo/log.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

#define DISK_NAME "DISK.qcow2"

struct plist {
	FILE *f;
	int depth;
};

static void indent(struct plist *p)
{
	for (int i = 0; i < p->depth; i++)
		fputc('\t', p->f);
}

static void xml_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		default: fputc(*s, f);
		}
	}
}

static void key(struct plist *p, const char *k)
{
	indent(p);
	fprintf(p->f, "<key>%s</key>\n", k);
}

static void string(struct plist *p, const char *k, const char *v)
{
	key(p, k);
	indent(p);
	fputs("<string>", p->f);
	xml_text(p->f, v);
	fputs("</string>\n", p->f);
}

static void integer(struct plist *p, const char *k, uint64_t v)
{
	key(p, k);
	indent(p);
	fprintf(p->f, "<integer>%llu</integer>\n", (unsigned long long)v);
}

static void boolean(struct plist *p, const char *k, bool v)
{
	key(p, k);
	indent(p);
	fputs(v ? "<true/>\n" : "<false/>\n", p->f);
}

static void empty_array(struct plist *p, const char *k)
{
	key(p, k);
	indent(p);
	fputs("<array/>\n", p->f);
}

static void open_(struct plist *p, const char *k, const char *tag)
{
	if (k)
		key(p, k);
	indent(p);
	fprintf(p->f, "<%s>\n", tag);
	p->depth++;
}

static void close_(struct plist *p, const char *tag)
{
	p->depth--;
	indent(p);
	fprintf(p->f, "</%s>\n", tag);
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

static int write_config(struct wtg_ctx *ctx, const struct utm_request *req, const char *path)
{
	bool arm = req->arch == WIM_ARCH_ARM64;
	char vm_uuid[GUID_STR_LEN], drive_id[GUID_STR_LEN], mac_addr[18];
	struct plist p = { 0 };
	int ret = 0;

	uuid(ctx, vm_uuid, req, "utm-vm", &ret);
	uuid(ctx, drive_id, req, "utm-drive", &ret);
	mac(ctx, mac_addr, req, &ret);
	if (ret < 0)
		return ret;
	p.f = fopen(path, "we");
	if (!p.f)
		return log_syserr(ctx, errno, "cannot create '%s'", path);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
	      "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
	      "<plist version=\"1.0\">\n", p.f);
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
	integer(&p, "CPUCount", req->cpus);
	/* TCG gives an emulated x86 guest one core unless forced */
	boolean(&p, "ForceMulticore", !arm);
	integer(&p, "MemorySize", req->memory_mib);
	integer(&p, "JITCacheSize", 0);
	close_(&p, "dict");

	open_(&p, "QEMU", "dict");
	boolean(&p, "DebugLog", false);
	boolean(&p, "UEFIBoot", true);
	boolean(&p, "RNGDevice", true);
	boolean(&p, "BalloonDevice", false);
	boolean(&p, "TPMDevice", true);
	/* HVF where the guest's architecture is the host's; ignored otherwise */
	boolean(&p, "Hypervisor", true);
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
	string(&p, "Interface", "NVMe");
	integer(&p, "InterfaceVersion", 1);
	string(&p, "Identifier", drive_id);
	boolean(&p, "ReadOnly", false);
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
	fputs("</plist>\n", p.f);
	if (ferror(p.f) | (fclose(p.f) != 0))
		ret = log_syserr(ctx, EIO, "cannot write '%s'", path);
	return ret;
}

#define COPY_CHUNK (4 << 20)

/* Whether copy_file_range failed because it cannot copy between these
 * two files (another file system, an old kernel, a file system without
 * it), not because reading or writing failed: then read and write do. */
static bool cannot_range_copy(int err)
{
	return err == EXDEV || err == ENOSYS || err == EOPNOTSUPP || err == EINVAL;
}

/* Copies the len bytes from offset on with read and write. */
static int copy_buffered(struct wtg_ctx *ctx, int in, int out, uint64_t offset, uint64_t len,
			 const char *from, const char *to)
{
	char *buf = xmalloc(COPY_CHUNK);
	int ret = 0;

	while (len && !ret) {
		ssize_t n = pread(in, buf, len < COPY_CHUNK ? (size_t)len : COPY_CHUNK, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			ret = log_syserr(ctx, n < 0 ? errno : EIO, "cannot read '%s'", from);
		else if ((ret = pwrite_all(out, buf, (size_t)n, offset)) < 0)
			ret = log_syserr(ctx, -ret, "cannot write '%s'", to);
		else {
			offset += (uint64_t)n;
			len -= (uint64_t)n;
		}
	}
	free(buf);
	return ret;
}

static int copy_file(struct wtg_ctx *ctx, const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, ret = 0;
	uint64_t done = 0, size;
	struct stat sb;

	if (in < 0 || fstat(in, &sb) < 0) {
		ret = log_syserr(ctx, errno, "cannot read '%s'", from);
		goto out;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (out < 0) {
		ret = log_syserr(ctx, errno, "cannot create '%s'", to);
		goto out;
	}
	size = (uint64_t)sb.st_size;
	/* in the kernel where it can (reflinks on btrfs and XFS), else the
	 * plain way: the bundle is often on another disk than the QCOW2 */
	while (done < size) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, size - done, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && cannot_range_copy(errno)) {
			ret = copy_buffered(ctx, in, out, done, size - done, from, to);
			break;
		}
		if (n <= 0) {
			ret = log_syserr(ctx, n < 0 ? errno : EIO, "cannot copy '%s' to '%s'", from, to);
			break;
		}
		done += (uint64_t)n;
	}
	if (!ret && fsync(out) < 0)
		ret = log_syserr(ctx, errno, "cannot write '%s' to disk", to);
out:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) < 0 && !ret)
		ret = log_syserr(ctx, errno, "cannot write '%s'", to);
	return ret;
}

/* Builds the bundle as BUNDLE.partial, then puts it in place. */
static int write_bundle(struct wtg_ctx *ctx, const struct utm_request *req, const char *bundle)
{
	char *partial = xasprintf("%s.partial", bundle);
	char *data = xasprintf("%s/Data", partial);
	char *disk = xasprintf("%s/" DISK_NAME, data);
	char *config = xasprintf("%s/config.plist", partial);
	struct stat sb;
	int ret = 0;

	stage_remove(xstrdup(partial));  /* left by an interrupted run */
	if (mkdir(partial, 0755) < 0 || mkdir(data, 0755) < 0) {
		ret = log_syserr(ctx, errno, "cannot make '%s'", data);
		goto out;
	}
	if (link(req->disk, disk) < 0)
		ret = copy_file(ctx, req->disk, disk);
	if (!ret)
		ret = write_config(ctx, req, config);
	if (!ret && stat(bundle, &sb) == 0)
		stage_remove(xstrdup(bundle));  /* --force */
	if (!ret && rename(partial, bundle) < 0)
		ret = log_syserr(ctx, errno, "cannot rename '%s' to '%s'", partial, bundle);
out:
	if (ret < 0)
		stage_remove(xstrdup(partial));
	free(partial);
	free(data);
	free(disk);
	free(config);
	return ret;
}

int utm_bundle_path(struct wtg_ctx *ctx, const char *dir, const char *name, bool force, char **path_ret)
{
	struct stat sb;
	char *path;
	int ret;

	if (strchr(name, '/') || !*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "the VM name '%s' cannot be a file name; give another with --vm-name",
				 name);
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is not a folder; --utm wants the folder to put the bundle in",
				 dir);
	path = xasprintf("%s/%s.utm", dir, name);
	if (stat(path, &sb) == 0 && !force) {
		ret = log_error(ctx, WTG_ERR_TARGET_EXISTS, "'%s' already exists; use --force to replace it", path);
		free(path);
		return ret;
	}
	*path_ret = path;
	return 0;
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
