/* automount.h - a disk being written kept from the desktop's automounter.
 *
 * While wintogo writes a disk, its new partitions appear (the table is
 * reread once the disk is written and read back, sink_blockdev.c), and a
 * desktop (GNOME, KDE: udisks and its clients) mounts what appears.  The
 * exclusive open keeps such a mount from succeeding, but not from being
 * tried and reported to the user as a failure, and it ends with the
 * write.  So where udisks runs, a udev rule marks the disk and its
 * partitions UDISKS_IGNORE=1 (hidden) and UDISKS_AUTO=0 (never mounted
 * by itself) while the write lasts; released, the rule goes and udev is
 * asked to look at the disk again, so its partitions appear as on a
 * replug.
 *
 * The rule is a file of its own per disk, /run/udev/rules.d/
 * 90-wintogo-PID-DISK.rules (a tmpfs: gone at the next boot anyway); one
 * a killed wintogo left behind (its PID no longer runs) is removed by
 * the next hold. */
#ifndef WINTOGO_AUTOMOUNT_H
#define WINTOGO_AUTOMOUNT_H

#include "wintogo/ctx.h"
#include "wintogo/devices.h"

struct automount_hold;

/* Writes the rule for d where udisks runs (udisks_running, unmount.h) or
 * the test hooks name a rules folder; *hold_ret is NULL where it is not
 * needed.  Never fails the write: a rule that cannot be written is
 * warned about (the exclusive open still keeps the disk safe). */
void automount_hold(struct wtg_ctx *ctx, const struct device *d, struct automount_hold **hold_ret);

/* Removes the rule and lets udev see the disk again; NULL does nothing. */
void automount_release(struct wtg_ctx *ctx, struct automount_hold *hold);

#endif
