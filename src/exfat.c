/* exfat.c - an exFAT image formatted by mkfs.exfat and filled through
 * exfat-fuse on a loop device (see exfat.h). */
#include "wintogo/exfat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/run.h"
#include "wintogo/util.h"

int exfat_check_can_fill(struct wtg_ctx *ctx, const char *what)
{
	if (geteuid() != 0)
		return log_error(ctx, WTG_ERR_PERMISSION, "%s needs root: its exFAT file system is filled through exfat-fuse on a loop device; run it as root (sudo wintogo write ...)",
				 what);
	if (access("/dev/fuse", R_OK | W_OK) < 0)
		return log_syserr(ctx, errno, "%s needs FUSE (exfat-fuse), but /dev/fuse cannot be opened; load the fuse module (modprobe fuse)",
				  what);
	if (access("/dev/loop-control", R_OK | W_OK) < 0)
		return log_syserr(ctx, errno, "%s needs a loop device, but /dev/loop-control cannot be opened; load the loop module (modprobe loop)",
				  what);
	return 0;
}

int exfat_format(struct wtg_ctx *ctx, const char *path, const char *label, uint32_t serial)
{
	const char *mkfs[] = { "mkfs.exfat", "-L", label, RUN_FILE_PATH, NULL };
	char serial_text[16];
	const char *tune[] = { "tune.exfat", "-I", serial_text, RUN_FILE_PATH, NULL };
	int fd = open(path, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s' to format it as exFAT", path);
	ret = run_program(ctx, "formatting the VM partition (exFAT)", mkfs, NULL, fd);
	/* mkfs.exfat draws the serial at random: the seed pins it, as the ESP's */
	snprintf(serial_text, sizeof(serial_text), "0x%08x", serial);
	if (!ret && serial)
		ret = run_program(ctx, "setting the VM partition's volume serial", tune, NULL, fd);
	close(fd);
	return ret;
}

/* Attaches the file open as file_fd to a free loop device, autoclear;
 * *fd_ret is the device, open, *path_ret its name. */
static int loop_attach(struct wtg_ctx *ctx, int file_fd, int *fd_ret, char path_ret[32])
{
	struct loop_config config = { .fd = (unsigned)file_fd,
				      .info = { .lo_flags = LO_FLAGS_AUTOCLEAR } };
	int control = open("/dev/loop-control", O_RDWR | O_CLOEXEC), ret = -EBUSY;

	if (control < 0)
		return log_syserr(ctx, errno, "cannot open /dev/loop-control");
	/* another process may take the free device first: try the next */
	for (int tries = 0; tries < 8 && ret == -EBUSY; tries++) {
		int n = ioctl(control, LOOP_CTL_GET_FREE), fd;

		if (n < 0) {
			ret = -errno;
			break;
		}
		snprintf(path_ret, 32, "/dev/loop%d", n);
		fd = open(path_ret, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			ret = -errno;
			break;
		}
		if (ioctl(fd, LOOP_CONFIGURE, &config) == 0) {
			*fd_ret = fd;
			ret = 0;
			break;
		}
		ret = -errno;
		close(fd);
	}
	close(control);
	return ret < 0 ? log_syserr(ctx, -ret, "cannot attach a loop device for the VM partition") : 0;
}

int exfat_mount(struct wtg_ctx *ctx, const char *path, const char *dir, struct exfat_mount *m_ret)
{
	struct exfat_mount m = { .dir = xstrdup(dir), .loop_fd = -1 };
	char loop[32];
	const char *argv[] = { "mount.exfat-fuse", "-o", "noatime", loop, dir, NULL };
	int file = open(path, O_RDWR | O_CLOEXEC), ret;

	if (file < 0) {
		free(m.dir);
		return log_syserr(ctx, errno, "cannot open '%s'", path);
	}
	ret = loop_attach(ctx, file, &m.loop_fd, loop);
	close(file);  /* the loop device holds it now */
	/* it forks into the background once the volume is mounted */
	if (!ret)
		ret = run_program(ctx, "mounting the VM partition (exfat-fuse)", argv, NULL, -1);
	if (ret < 0) {
		exfat_unmount(ctx, &m);
		return ret;
	}
	m.mounted = true;
	*m_ret = m;
	return 0;
}

int exfat_unmount(struct wtg_ctx *ctx, struct exfat_mount *m)
{
	int ret = 0;

	/* a fuseblk unmount waits for exfat-fuse to write and close the volume */
	if (m->mounted && umount2(m->dir, 0) < 0)
		ret = log_syserr(ctx, errno, "cannot unmount the VM partition from '%s'", m->dir);
	if (!ret)
		m->mounted = false;
	else if (umount2(m->dir, MNT_DETACH) == 0)  /* never leave it behind */
		m->mounted = false;
	if (m->loop_fd >= 0 && fsync(m->loop_fd) < 0 && !ret)
		ret = log_syserr(ctx, errno, "cannot write the VM partition to its stage");
	if (m->loop_fd >= 0)
		close(m->loop_fd);
	m->loop_fd = -1;
	free(m->dir);
	m->dir = NULL;
	return ret;
}
