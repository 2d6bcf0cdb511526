/* unattend.h - Windows\Panther\unattend.xml: answers for the first boot of
 * an applied image (Windows looks there at the start of each setup pass).
 *
 * Each setting goes in a pass where it is valid and that runs on a
 * directly applied image (no offlineServicing: that pass needs Setup or
 * DISM): in specialize the computer name and RunSynchronous commands
 * (BypassNRO, installing driver packages); in oobeSystem the OOBE pages,
 * the time zone, the local account and its first-logon commands, and the
 * International-Core locales.  Every <component> carries the image's
 * processorArchitecture.  The file is written with libxml2, as Rufus
 * writes its Windows To Go answers. */
#ifndef WINTOGO_UNATTEND_H
#define WINTOGO_UNATTEND_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>

#include "wintogo/wim.h"

struct unattend_answers {
	const char *user;           /* a local administrator with an empty password
				       that must be changed at first logon */
	bool skip_oobe;             /* EULA page hidden, least data collection */
	bool bypass_nro;            /* OOBE\BypassNRO = 1: setup without network */
	const char *locale;         /* input, system and user locale, e.g. de-DE */
	const char *ui_language;    /* display language (one the image has), or NULL */
	const char *timezone;       /* a Windows time zone ID, see timezone.h */
	const char *computer_name;
	const char *drivers_dir;    /* Windows path of driver packages that
				       pnputil installs in specialize, or NULL */
};

/* True when any answer is given: then there is a file to write. */
bool unattend_answers_any(const struct unattend_answers *a);

/* Why name cannot be a local account name or a computer name, or NULL
 * when it can (rules of Windows and of the unattend reference). */
const char *unattend_user_name_problem(const char *name);
const char *unattend_computer_name_problem(const char *name);

/* "amd64", "arm64", "x86", "arm": processorArchitecture; NULL for others. */
const char *unattend_arch(enum wim_arch arch);

/* One setting written, for the plan: pass, component, the element's path
 * below the component ("OOBE/HideEULAPage") and its value as shown. */
struct unattend_setting {
	const char *pass;
	const char *component;
	char *path;
	char *value;
};

/* Writes the answers for an image of architecture arch to out_path and
 * lists the settings in *settings_ret (free with unattend_settings_free).
 * Logs and fails for an architecture unattend.xml cannot name. */
int unattend_write(struct wtg_ctx *ctx, const struct unattend_answers *a, enum wim_arch arch, const char *out_path,
		   struct unattend_setting **settings_ret, size_t *n_ret);
void unattend_settings_free(struct unattend_setting *settings, size_t n);

/* Refuses (logged) a file that is not well-formed XML with an <unattend>
 * root in the unattend namespace. */
int unattend_check_file(struct wtg_ctx *ctx, const char *path);

#endif
