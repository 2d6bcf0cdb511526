/* unmount.c - a chosen disk's own file systems unmounted (see unmount.h). */
#include "wintogo/unmount.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/run.h"
#include "wintogo/util.h"

#define USERS_SHOWN 5

static bool of_device(const struct device *d, dev_t devno)
{
	if (devno == d->devno)
		return true;
	for (size_t i = 0; i < d->n_parts; i++)
		if (d->parts[i].devno && devno == d->parts[i].devno)
			return true;
	return false;
}

static int deepest_first(const void *a, const void *b)
{
	const struct mounted_fs *x = a, *y = b;
	size_t lx = strlen(x->mountpoint), ly = strlen(y->mountpoint);

	return lx > ly ? -1 : lx < ly;
}

void mounted_list_of(const struct device_roots *roots, const struct device *d, struct mounted_list *list_ret)
{
	char *path = xasprintf("%s/self/mountinfo", roots->proc), line[8192];
	FILE *f = fopen(path, "re");
	struct mounted_list l = { 0 };

	free(path);
	while (f && fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		char mnt[4096], source[4096] = "";
		const char *dash = strstr(line, " - ");

		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - FSTYPE SOURCE OPTIONS */
		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &maj, &min, mnt) != 3 || !of_device(d, makedev(maj, min)))
			continue;
		if (dash)
			sscanf(dash + 3, "%*s %4095s", source);
		l.items = xrealloc(l.items, (l.count + 1) * sizeof(*l.items));
		l.items[l.count++] = (struct mounted_fs){ mountinfo_unescape(source), mountinfo_unescape(mnt), makedev(maj, min) };
	}
	if (f)
		fclose(f);
	if (l.count > 1)
		qsort(l.items, l.count, sizeof(*l.items), deepest_first);
	*list_ret = l;
}

void mounted_list_release(struct mounted_list *list)
{
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].source);
		free(list->items[i].mountpoint);
	}
	free(list->items);
	*list = (struct mounted_list){ 0 };
}

bool udisks_running(void)
{
	struct stat sb;

	return stat("/run/udisks2", &sb) == 0 && S_ISDIR(sb.st_mode) &&
	       (access("/usr/bin/udisksctl", X_OK) == 0 || access("/bin/udisksctl", X_OK) == 0);
}

#define NOT_USED ((size_t)-1)

/* Which of the file systems the file the proc link names lies on, or
 * NOT_USED. */
static size_t link_on(const char *link, const struct mounted_list *l)
{
	struct stat sb;

	if (stat(link, &sb) < 0)
		return NOT_USED;
	for (size_t i = 0; i < l->count; i++)
		if (sb.st_dev == l->items[i].devno)
			return i;
	return NOT_USED;
}

/* Which of the file systems the process uses (the first found), or
 * NOT_USED. */
static size_t process_uses(const char *pid_dir, const struct mounted_list *l)
{
	static const char *const links[] = { "cwd", "root", "exe" };
	size_t used = NOT_USED;
	char *fd_dir, *link;
	struct dirent *e;
	DIR *d;

	for (size_t i = 0; i < ARRAY_SIZE(links) && used == NOT_USED; i++) {
		link = xasprintf("%s/%s", pid_dir, links[i]);
		used = link_on(link, l);
		free(link);
	}
	fd_dir = xasprintf("%s/fd", pid_dir);
	d = used != NOT_USED ? NULL : opendir(fd_dir);
	while (d && used == NOT_USED && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		link = xasprintf("%s/%s", fd_dir, e->d_name);
		used = link_on(link, l);
		free(link);
	}
	if (d)
		closedir(d);
	free(fd_dir);
	return used;
}

/* "1234 (sleep), 1240 (bash)": the processes that use the file systems,
 * as fuser -m finds them, and in *busy_ret the one the first of them
 * uses; NULL when none. */
static char *users_of(const struct device_roots *roots, const struct mounted_list *l, size_t *busy_ret)
{
	DIR *d = opendir(roots->proc);
	char *text = NULL, comm[64];
	size_t len = 0, n = 0;
	FILE *out = open_memstream(&text, &len);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *pid_dir, *comm_path;
		size_t used;
		FILE *cf;

		if (!isdigit((unsigned char)e->d_name[0]) || atol(e->d_name) == (long)getpid())
			continue;
		pid_dir = xasprintf("%s/%s", roots->proc, e->d_name);
		used = process_uses(pid_dir, l);
		if (used != NOT_USED) {
			if (!n)
				*busy_ret = used;
			comm_path = xasprintf("%s/comm", pid_dir);
			cf = fopen(comm_path, "re");
			if (!cf || !fgets(comm, sizeof(comm), cf))
				snprintf(comm, sizeof(comm), "?");
			comm[strcspn(comm, "\n")] = '\0';
			if (cf)
				fclose(cf);
			free(comm_path);
			if (n < USERS_SHOWN)
				fprintf(out, "%s%s (%s)", n ? ", " : "", e->d_name, comm);
			n++;
		}
		free(pid_dir);
	}
	if (d)
		closedir(d);
	if (n > USERS_SHOWN)
		fprintf(out, " and %zu more", n - USERS_SHOWN);
	fclose(out);
	if (!n) {
		free(text);
		return NULL;
	}
	return text;
}

/* Through udisks, so that the desktop knows: each partition once (it
 * unmounts the mount it made); what it leaves is for umount2. */
static int unmount_with_udisks(struct wtg_ctx *ctx, const struct mounted_list *l)
{
	int ret = 0, status;

	for (size_t i = 0; i < l->count && !ret; i++) {
		const char *argv[] = { "udisksctl", "unmount", "--no-user-interaction", "--block-device",
				       l->items[i].source, NULL };
		bool done = false;

		for (size_t k = 0; k < i; k++)
			done |= !strcmp(l->items[k].source, l->items[i].source);
		if (!done)
			ret = run_program_status(ctx, "unmounting through udisks", argv, NULL, -1, &status);
	}
	return ret;
}

int device_unmount(struct wtg_ctx *ctx, const struct device_roots *roots, const struct device *d)
{
	struct mounted_list l;
	size_t busy = 0;
	char *users;
	int ret = 0;

	mounted_list_of(roots, d, &l);
	users = l.count ? users_of(roots, &l, &busy) : NULL;
	if (users) {
		ret = log_error(ctx, WTG_ERR_DISK_IN_USE, "cannot unmount %s (mounted at %s): in use by process %s; close what uses it, then write again; nothing was written",
				l.items[busy].source, l.items[busy].mountpoint, users);
		free(users);
		mounted_list_release(&l);
		return ret;
	}
	if (l.count && udisks_running()) {
		ret = unmount_with_udisks(ctx, &l);
		mounted_list_release(&l);
		if (ret < 0)
			return ret;
		mounted_list_of(roots, d, &l);
	}
	for (size_t i = 0; i < l.count && !ret; i++) {
		if (umount2(l.items[i].mountpoint, UMOUNT_NOFOLLOW) < 0)
			ret = log_syserr(ctx, errno, "cannot unmount %s from %s; unmount it yourself, then write again",
					 l.items[i].source, l.items[i].mountpoint);
		else
			log_info(ctx, "unmounted %s from %s", l.items[i].source, l.items[i].mountpoint);
	}
	mounted_list_release(&l);
	return ret;
}
