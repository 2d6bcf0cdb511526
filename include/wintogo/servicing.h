/* servicing.h - changes made to a Windows image before it is applied, for
 * Windows To Go: settings in its SYSTEM and SOFTWARE hives, first-boot
 * answers in Windows\Panther\unattend.xml, and driver packages.
 *
 * Nothing is edited on the target afterwards, and the image file is never
 * rewritten.  servicing_prepare() extracts the hives it must change into a
 * staging directory of its own, edits them there with hivex, writes
 * unattend.xml, looks at the drivers and records every change for the
 * plan; it refuses (logged) what it cannot do, before anything is written:
 * a hive hivex cannot read, --unattend that is not XML, drivers without a
 * .inf.  servicing_apply() puts the files into the image in memory with
 * wimlib_update_image, just before the image is applied.
 *
 * Offline hives have no CurrentControlSet: SYSTEM is edited in the control
 * set that SYSTEM\Select\Current names.
 */
#ifndef WINTOGO_SERVICING_H
#define WINTOGO_SERVICING_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wintogo/unattend.h"
#include "wintogo/wim.h"

/* SYSTEM\<control set>\Services\partmgr\Parameters\SanPolicy: which disks
 * Windows brings online by itself (VDS_SAN_POLICY). */
enum san_policy {
	SAN_POLICY_KEEP = 0,              /* the image's, unchanged */
	SAN_POLICY_ONLINE_ALL = 1,        /* every disk online */
	SAN_POLICY_OFFLINE_INTERNAL = 4,  /* internal disks offline: Windows To Go */
};

/* The zero value changes nothing. */
struct servicing_options {
	enum san_policy san_policy;
	bool usb_boot_flags;         /* HardwareConfig\{...}\BootDriverFlags |= 0x14 */
	bool portable_flag;          /* Control\PortableOperatingSystem = 1 */
	const char *unattend_path;   /* an answer file taken as is, or NULL */
	struct unattend_answers answers;  /* timezone: "host" or a Windows ID;
					     ui_language and drivers_dir are
					     filled in here */
	const char *drivers_path;    /* a folder or archive of driver packages */
};

/* Where the drivers go in the image, and how Windows names that folder. */
#define SERVICING_DRIVERS_DIR "/Windows/wintogo/Drivers"
#define SERVICING_DRIVERS_WINDOWS "%SystemRoot%\\wintogo\\Drivers"

enum servicing_change_kind {
	CHANGE_REGISTRY,  /* where: "SYSTEM\ControlSet001\...", name: the value */
	CHANGE_FILE,      /* where: "\Windows\Panther\unattend.xml" */
	CHANGE_ANSWER,    /* where: "oobeSystem Microsoft-Windows-Shell-Setup",
			     name: the setting's path */
};

struct servicing_change {
	enum servicing_change_kind kind;
	char *where;
	char *name;        /* NULL for a file */
	const char *type;  /* "REG_DWORD", "REG_EXPAND_SZ"; NULL for others */
	char *old_value;   /* NULL: there was none */
	char *new_value;
	const char *why;   /* what it does in Windows */
};

struct servicing;

/* Prepares the changes opt asks for to image (of source), staging files
 * in a new directory under stage_parent.  *sv_ret is NULL when nothing is
 * to change. */
int servicing_prepare(struct wtg_ctx *ctx, const struct servicing_options *opt, struct wim_source *source,
		      const struct wim_image *image, const char *stage_parent,
		      struct servicing **sv_ret);

/* The changes, in the order they are made.  sv may be NULL. */
const struct servicing_change *servicing_changes(const struct servicing *sv, size_t *n_ret);

/* Bytes the changes add to the image's files (drivers, unattend.xml). */
uint64_t servicing_added_bytes(const struct servicing *sv);

/* Puts the staged files into the image in memory.  sv may be NULL. */
int servicing_apply(struct wtg_ctx *ctx, struct servicing *sv);

/* Removes the staging directory.  sv may be NULL. */
void servicing_free(struct servicing *sv);

/* "registry", "file", "answer". */
const char *servicing_change_kind_name(enum servicing_change_kind kind);

#endif
