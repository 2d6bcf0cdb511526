/* timezone.h - Windows time zone IDs (the names `tzutil /l` lists and
 * unattend.xml's <TimeZone> wants, e.g. "Romance Standard Time"), mapped
 * from IANA zones with ICU's copy of CLDR's windowsZones: no table of our
 * own. */
#ifndef WINTOGO_TIMEZONE_H
#define WINTOGO_TIMEZONE_H

#include "wintogo/ctx.h"

/* spec is "host" (this Linux host's zone: $TZ, else /etc/localtime) or a
 * Windows time zone ID, optionally with the "_dstoff" suffix that turns
 * daylight saving time off.  *id_ret gets the Windows ID (newly
 * allocated).  Logs and returns -WTG_ERR_INVALID_ARGUMENT when spec is
 * not a Windows ID ICU knows, or is "host" and the host's zone cannot be
 * told or has no Windows equivalent. */
int timezone_windows_id(struct wtg_ctx *ctx, const char *spec, char **id_ret);

#endif
