/* automount.c - the udev rule that keeps a disk being written from the
 * desktop's automounter (see automount.h). */
#include "wintogo/automount.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/run.h"
#include "wintogo/unmount.h"
#include "wintogo/util.h"

#define RULES_DIR "/run/udev/rules.d"
#define RULE_PREFIX "90-wintogo-"

struct automount_hold {
	char *path;        /* the rule file */
	char *disk_name;   /* "sdb" */
	bool udevadm;      /* udev is told (a test's folder has no udevd) */
};

static bool udevadm_present(void)
{
	return access("/usr/bin/udevadm", X_OK) == 0 || access("/bin/udevadm", X_OK) == 0;
}

/* udev reads its rules again (it would by itself within seconds; the
 * partitions may appear sooner than that). */
static void udev_reload(struct wtg_ctx *ctx)
{
	const char *argv[] = { "udevadm", "control", "--reload", NULL };
	int status;

	if (run_program_status(ctx, "reloading the udev rules", argv, NULL, -1, &status) == 0 && status)
		log_warn(ctx, "udevadm control --reload exited with %d; the desktop may still mount the disk's partitions while it is written",
			 status);
}

/* A name udev matches as it is: no quote, glob or space to escape. */
static bool plain(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_.-:", *s))
			return false;
	return true;
}

/* Rules left by a wintogo that was killed (its PID runs no more). */
static void remove_stale(struct wtg_ctx *ctx, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		long pid;
		char *path;

		if (sscanf(e->d_name, RULE_PREFIX "%ld-", &pid) != 1 || pid <= 0 || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (unlink(path) == 0)
			log_info(ctx, "removed %s, left by a wintogo that was stopped (process %ld)", path, pid);
		free(path);
	}
	if (d)
		closedir(d);
}

static char *rule_text(const struct device *d)
{
	char *text, *serial_line = NULL;

	/* KERNELS matches the disk and every partition under it (their
	 * parent); the serial also while a replugged stick has a new name */
	if (plain(d->serial))
		serial_line = xasprintf("SUBSYSTEM==\"block\", ENV{ID_SERIAL_SHORT}==\"%s\", ENV{UDISKS_IGNORE}=\"1\", ENV{UDISKS_AUTO}=\"0\"\n",
					d->serial);
	text = xasprintf("# wintogo (process %ld) is writing %s: its partitions are not to be shown nor mounted\n"
			 "# until it is done.  It removes this file at the end; a later wintogo removes it\n"
			 "# when that process no longer runs.\n"
			 "SUBSYSTEMS==\"block\", KERNELS==\"%s\", ENV{UDISKS_IGNORE}=\"1\", ENV{UDISKS_AUTO}=\"0\"\n%s",
			 (long)getpid(), d->path, d->name, serial_line ? serial_line : "");
	free(serial_line);
	return text;
}

/* Written under a temporary name and renamed: udev never reads half a rule. */
static int write_rule(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644), ret = 0;
	size_t len = strlen(text);

	if (fd < 0)
		ret = -errno;
	else if (write(fd, text, len) != (ssize_t)len)
		ret = errno ? -errno : -EIO;
	if (fd >= 0 && close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	free(tmp);
	return ret;
}

void automount_hold(struct wtg_ctx *ctx, const struct device *d, struct automount_hold **hold_ret)
{
	const char *dir = ctx->hooks.udev_rules_dir;
	struct automount_hold *hold;
	char *text;
	int err;

	*hold_ret = NULL;
	if (!(dir && *dir) && !udisks_running())
		return;
	if (!plain(d->name)) {
		log_warn(ctx, "the desktop may show %s's partitions while it is written (its name '%s' cannot go into a udev rule); do not open them until the write ends",
			 d->path, d->name);
		return;
	}
	hold = xcalloc(1, sizeof(*hold));
	hold->udevadm = !(dir && *dir) && udevadm_present();
	if (!(dir && *dir)) {
		dir = RULES_DIR;
		mkdir(dir, 0755);  /* udevd makes it only when it has rules there */
	}
	remove_stale(ctx, dir);
	hold->path = xasprintf("%s/" RULE_PREFIX "%ld-%s.rules", dir, (long)getpid(), d->name);
	hold->disk_name = xstrdup(d->name);
	text = rule_text(d);
	err = write_rule(hold->path, text);
	free(text);
	if (err) {
		log_warn(ctx, "cannot write %s (%s): the desktop may show %s's partitions while it is written; do not open them until the write ends",
			 hold->path, strerror(-err), d->path);
		free(hold->path);
		free(hold->disk_name);
		free(hold);
		return;
	}
	log_info(ctx, "keeping the desktop from mounting %s while it is written (%s)", d->path, hold->path);
	if (hold->udevadm)
		udev_reload(ctx);
	*hold_ret = hold;
}

void automount_release(struct wtg_ctx *ctx, struct automount_hold *hold)
{
	if (!hold)
		return;
	if (unlink(hold->path) < 0 && errno != ENOENT)
		log_warn(ctx, "cannot remove %s (%s); remove it, else the desktop will not show the disk's partitions until the next boot",
			 hold->path, strerror(errno));
	if (hold->udevadm) {
		char *parent = xasprintf("/sys/class/block/%s", hold->disk_name);
		const char *argv[] = { "udevadm", "trigger", "--action=change", "--parent-match", parent, NULL };
		int status;

		udev_reload(ctx);
		/* the partitions that appeared hidden are looked at again: the
		 * desktop shows them as after a replug */
		if (run_program_status(ctx, "showing the disk's partitions to the desktop", argv, NULL, -1, &status) == 0 &&
		    status)
			log_warn(ctx, "udevadm trigger exited with %d; unplug and replug the disk to see its partitions on the desktop",
				 status);
		free(parent);
	}
	free(hold->path);
	free(hold->disk_name);
	free(hold);
}
