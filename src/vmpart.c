/* vmpart.c - the WINTOGO-VM partition: a UTM bundle of the same Windows
 * on exFAT, at the end of the stick (see vmpart.h). */
#include "wintogo/vmpart.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/bundle.h"
#include "wintogo/exfat.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/parallels.h"
#include "wintogo/run.h"
#include "wintogo/stage.h"
#include "wintogo/utm.h"
#include "wintogo/vmware.h"
#include "wintogo/util.h"
#include "wintogo/write.h"

#define README_NAME "README.txt"
/* exFAT's own structures (boot regions, FAT, bitmap, up-case table) and
 * the cluster slack of the bundle's few files: generous for 64 MiB and up */
#define EXFAT_OVERHEAD(bytes) ((bytes) / 64 + 4 * MIB)

struct vmpart {
	struct write_job *job;   /* the QCOW2's: `wintogo vm -c` of the image */
	uint64_t bytes;
	char *name;              /* the VM's */
	char *bundle_name;       /* NAME.utm */
	char *placeholder;       /* the QCOW2's name until the stage exists */
	bool seeded;
	uint64_t seed;
	const char *tool;
	bool vmware, parallels;
};

/* exFAT refuses these in a file name (and Windows, reading the stick, too). */
static int check_exfat_name(struct wtg_ctx *ctx, const char *name)
{
	const char *bad = strpbrk(name, "\"*:<>?\\|");

	if (bad)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "VM name '%s' has '%c', which exFAT (the WINTOGO-VM partition) does not take in a file name; give another with --vm-name",
				 name, *bad);
	if (name[strlen(name) - 1] == '.' || name[strlen(name) - 1] == ' ')
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "VM name '%s' ends with '%c', which Windows drops from file names on the WINTOGO-VM partition; give another with --vm-name",
				 name, name[strlen(name) - 1]);
	return 0;
}

/* What `wintogo vm -c IMAGE` would be given: the stick's changes to
 * Windows, but not the two that are about booting from USB on a PC
 * (keeping the PC's internal disks offline, the USB boot driver flags):
 * in a VM the only disk is the VM's. */
static struct write_options vm_options(const struct write_options *stick, const char *target)
{
	const struct vmpart_options *v = &stick->vm_partition;
	struct write_options o = *stick;

	o.vm_partition = (struct vmpart_options){ 0 };
	if (v->image_path) {
		o.image_path = v->image_path;
		o.wim_path = NULL;
		o.index = v->index;
		o.name = NULL;
		/* the hash given is the stick image's */
		o.sha256_given = false;
		o.sha256_file = NULL;
	}
	/* a file of our own in the stage, named at build time (vmpart_build) */
	o.target = target;
	o.disk_bytes = 0;
	o.esp_bytes = 0;
	o.force = true;
	o.allow_device = false;
	o.sink_kind = SINK_QCOW2;
	o.sink_flags = SINK_COMPRESS;
	o.no_verify = o.no_manifest = true;
	o.service.san_policy = SAN_POLICY_KEEP;
	o.service.usb_boot_flags = false;
	return o;
}

static uint64_t estimate(const struct vmpart *vp)
{
	const struct write_job *job = vp->job;
	uint64_t files = job->image.expanded_size + servicing_added_bytes(job->servicing);
	uint64_t disk = files + files / 10 + 64 * MIB;
	uint64_t bundles = disk * (1 + vp->vmware + vp->parallels);

	return round_up(bundles + bundles / 10, MIB);
}

int vmpart_prepare(struct wtg_ctx *ctx, const struct write_options *opt, const char *stage_parent,
		   struct vmpart **vp_ret)
{
	const struct vmpart_options *v = &opt->vm_partition;
	struct vmpart *vp = xcalloc(1, sizeof(*vp));
	struct write_options o;
	char size[SIZE_TEXT_MAX];
	int ret = 0;

	vp->placeholder = xasprintf("%s/wintogo-vm-partition.qcow2", stage_parent);

	vp->seeded = opt->seeded;
	vp->seed = opt->seed;
	vp->tool = opt->tool;
	vp->vmware = v->vmware;
	vp->parallels = v->parallels;
	if (v->bytes && v->bytes % MIB)
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--vm-partition size %llu bytes is not a whole number of MiB; give e.g. --vm-partition=16G",
				(unsigned long long)v->bytes);
	else if (v->bytes && v->bytes < VMPART_MIN_BYTES)
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "--vm-partition size %s is too small; give at least %lluM",
				format_size(v->bytes, size), (unsigned long long)(VMPART_MIN_BYTES / MIB));
	if (!ret && v->vm_name)
		ret = vm_name_check(ctx, v->vm_name);
	if (!ret && v->vm_name)
		ret = check_exfat_name(ctx, v->vm_name);
	if (!ret)
		ret = exfat_check_can_fill(ctx, "--vm-partition");
	o = vm_options(opt, vp->placeholder);
	if (!ret)
		ret = write_job_prepare(ctx, &o, &vp->job);
	if (!ret && vp->job->image.arch != WIM_ARCH_X64 && vp->job->image.arch != WIM_ARCH_ARM64)
		ret = log_error(ctx, WTG_ERR_UNSUPPORTED, "UTM runs x64 and arm64 Windows; image %d of '%s' is %s: give another with --vm-image",
				vp->job->image.index, o.image_path, wim_arch_name(vp->job->image.arch));
	if (!ret) {
		vp->name = xstrdup(v->vm_name ? v->vm_name : vp->job->image.name);
		/* the image's own name must suit exFAT too */
		ret = v->vm_name ? 0 : vm_name_check(ctx, vp->name);
		if (!ret && !v->vm_name)
			ret = check_exfat_name(ctx, vp->name);
		vp->bundle_name = xasprintf("%s.utm", vp->name);
		vp->bytes = v->bytes ? v->bytes : estimate(vp);
	}
	if (ret < 0) {
		vmpart_free(vp);
		return ret;
	}
	*vp_ret = vp;
	return 0;
}

uint64_t vmpart_bytes(const struct vmpart *vp)
{
	return vp->bytes;
}

const char *vmpart_bundle_name(const struct vmpart *vp)
{
	return vp->bundle_name;
}

const char *vmpart_arch_name(const struct vmpart *vp)
{
	return wim_arch_name(vp->job->image.arch);
}

/* The staged disks that go into the partition, beside the QCOW2. */
struct vm_disks {
	char *qcow2, *vmdk, *hds;    /* hds, vmdk: NULL when not asked for */
};

static char *readme_text(const struct vmpart *vp)
{
	bool arm = vp->job->image.arch == WIM_ARCH_ARM64;
	char *vmware = vp->vmware ? xasprintf(
		"\r\n"
		"VMware Fusion 13: copy %s.vmwarevm to the Mac and open it; add a TPM in\r\n"
		"its settings (Encryption, then Trusted Platform Module) if Windows 11\r\n"
		"asks for one.\r\n", vp->name) : xstrdup("");
	char *parallels = vp->parallels ? xasprintf(
		"\r\n"
		"Parallels Desktop: copy %s.hdd and %s.prlctl.sh to one folder on the\r\n"
		"Mac, then in Terminal, in that folder: sh \"%s.prlctl.sh\"\r\n",
		vp->name, vp->name, vp->name) : xstrdup("");
	char *text = xasprintf(
		"WINTOGO-VM: the Windows of this stick, as a virtual machine for a Mac\r\n"
		"\r\n"
		"This stick starts Windows on a PC, or on an Intel Mac (hold Option at\r\n"
		"power-on and choose \"EFI Boot\"). A Mac with Apple Silicon (M1 and\r\n"
		"later) never starts Windows from a stick; it runs it in a virtual\r\n"
		"machine instead, and this volume holds one:\r\n"
		"\r\n"
		"  %s    \"%s\", %s Windows, for UTM\r\n"
		"\r\n"
		"1. Install UTM 4.3.2 or later (https://mac.getutm.app).\r\n"
		"2. Copy %s from this volume to the Mac (it runs faster from the\r\n"
		"   Mac's own disk), then double-click it, or choose File > Open in UTM.\r\n"
		"3. Start the VM.\r\n"
		"\r\n"
		"%s"
		"%s%s"
		"\r\n"
		"The VM's disk is a copy of the Windows written to this stick, not the\r\n"
		"same disk: what changes in one does not change in the other.\r\n"
		"\r\n"
		"Made by %s.\r\n",
		vp->bundle_name, vp->name, arm ? "ARM64" : "x64", vp->bundle_name,
		arm ? "UTM virtualises this ARM64 Windows at full speed on Apple Silicon.\r\n"
		    : "This is an x64 Windows: on Apple Silicon UTM emulates it, which is\r\n"
		      "slow. An ARM64 Windows runs at full speed (wintogo write --vm-image).\r\n",
		vmware, parallels, vp->tool ? vp->tool : "wintogo");

	free(vmware);
	free(parallels);
	return text;
}

static int write_readme(struct wtg_ctx *ctx, const struct vmpart *vp, const char *dir)
{
	char *path = stage_path(dir, README_NAME), *text = readme_text(vp);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644), ret = 0;

	if (fd < 0)
		ret = log_syserr(ctx, errno, "cannot create '%s'", path);
	else if ((ret = pwrite_all(fd, text, strlen(text), 0)) < 0 || fsync(fd) < 0)
		ret = log_syserr(ctx, ret < 0 ? -ret : errno, "cannot write '%s'", path);
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
	return ret;
}

/* The QCOW2 as a VMDK or a Parallels image, with the options `wintogo vm
 * --format vmdk|parallels` gives qemu-img (sink_qemu_img.c). */
static int convert(struct wtg_ctx *ctx, const char *qcow2, const char *out, bool vmdk)
{
	const char *argv[] = {
		"qemu-img", "convert", "-q", "-f", "qcow2", "-O", vmdk ? "vmdk" : "parallels", "-o",
		vmdk ? "subformat=monolithicSparse,adapter_type=lsilogic" : "cluster_size=1M",
		qcow2, RUN_FILE_PATH, NULL,
	};
	int fd = open(out, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644), ret;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot create '%s'", out);
	ret = run_program(ctx, vmdk ? "writing the VMDK for the VM partition" : "writing the Parallels image for the VM partition",
			  argv, NULL, fd);
	close(fd);
	return ret;
}

static uint64_t file_bytes(const char *path)
{
	struct stat sb;

	return path && stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

/* The bundles fit in the partition, said with both sizes. */
static int check_fits(struct wtg_ctx *ctx, const struct vm_disks *d, uint64_t bytes)
{
	/* the plist, the .vmx, the descriptor, the script and the README */
	uint64_t need = file_bytes(d->qcow2) + file_bytes(d->vmdk) + file_bytes(d->hds) + MIB;
	uint64_t room = bytes - EXFAT_OVERHEAD(bytes);
	char a[SIZE_TEXT_MAX], b[SIZE_TEXT_MAX], c[SIZE_TEXT_MAX];

	if (need > room)
		return log_error(ctx, WTG_ERR_TARGET_TOO_SMALL, "the VM bundle needs %s but a VM partition of %s holds %s; nothing was written: give --vm-partition=%lluM or more",
				 format_size(need, a), format_size(bytes, b), format_size(room, c),
				 (unsigned long long)(round_up(need + EXFAT_OVERHEAD(need) + need / 16, MIB) / MIB));
	return 0;
}

static int fill(struct wtg_ctx *ctx, const struct vmpart *vp, const struct vm_disks *d, const char *dir)
{
	struct utm_request req = {
		.dir = dir,
		.name = vp->name,
		.disk = d->qcow2,
		.arch = vp->job->image.arch,
		.cpus = 4,
		.memory_mib = 8192,
		.seeded = vp->seeded,
		.seed = vp->seed,
	};
	struct vm_bundle_request other = {
		.dir = dir,
		.name = vp->name,
		.disk_bytes = vp->job->layout.disk_bytes,
		.arch = vp->job->image.arch,
		.cpus = 4,
		.memory_mib = 8192,
	};
	char *bundle = NULL;
	int ret = utm_write_bundle(ctx, &req, &bundle);

	free(bundle);
	bundle = NULL;
	other.disk = d->vmdk;
	if (!ret && d->vmdk)
		ret = vmware_write_bundle(ctx, &other, &bundle);
	free(bundle);
	bundle = NULL;
	other.disk = d->hds;
	if (!ret && d->hds)
		ret = parallels_write_bundle(ctx, &other, &bundle);
	free(bundle);
	return ret ? ret : write_readme(ctx, vp, dir);
}

int vmpart_build(struct wtg_ctx *ctx, struct vmpart *vp, const char *stage_dir, const char *path,
		 uint64_t bytes, uint32_t serial)
{
	struct vm_disks d = {
		.qcow2 = stage_path(stage_dir, "vm.qcow2"),
		.vmdk = vp->vmware ? stage_path(stage_dir, "vm.vmdk") : NULL,
		.hds = vp->parallels ? stage_path(stage_dir, "vm.hds") : NULL,
	};
	char *mnt = stage_path(stage_dir, "vm-mount"), *abs = NULL;
	struct exfat_mount m = { .loop_fd = -1 };
	struct write_result result;
	int ret;

	vp->job->opt.target = d.qcow2;
	ret = write_job_run(ctx, vp->job, &result);
	if (!ret && d.vmdk)
		ret = convert(ctx, d.qcow2, d.vmdk, true);
	if (!ret && d.hds)
		ret = convert(ctx, d.qcow2, d.hds, false);
	if (!ret)
		ret = check_fits(ctx, &d, bytes);
	if (!ret)
		ret = stage_make_file(ctx, path, bytes);
	if (!ret)
		ret = exfat_format(ctx, path, LAYOUT_VM_NAME, serial);
	if (!ret && mkdir(mnt, 0700) < 0)
		ret = log_syserr(ctx, errno, "cannot make '%s'", mnt);
	/* an absolute mount point: a --tmpdir such as "-x" is no option */
	if (!ret && !(abs = realpath(mnt, NULL)))
		ret = log_syserr(ctx, errno, "cannot find '%s'", mnt);
	if (!ret)
		ret = exfat_mount(ctx, path, abs, &m);
	if (!ret) {
		ret = fill(ctx, vp, &d, abs);
		int unmounted = exfat_unmount(ctx, &m);

		if (!ret)
			ret = unmounted;
	}
	if (abs)
		rmdir(abs);
	/* the disks are in the exFAT now: their stage space is the target's */
	unlink(d.qcow2);
	if (d.vmdk)
		unlink(d.vmdk);
	if (d.hds)
		unlink(d.hds);
	vp->job->opt.target = vp->placeholder;
	free(abs);
	free(mnt);
	free(d.qcow2);
	free(d.vmdk);
	free(d.hds);
	return ret;
}

void vmpart_free(struct vmpart *vp)
{
	if (!vp)
		return;
	write_job_free(vp->job);
	free(vp->name);
	free(vp->bundle_name);
	free(vp->placeholder);
	free(vp);
}
