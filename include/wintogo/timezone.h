/* timezone.h - Windows time zone IDs (the names `tzutil /l` lists and
 * unattend.xml's <TimeZone> wants, e.g. "Romance Standard Time"), mapped
 * from IANA zones with ICU's copy of CLDR's windowsZones: no table of our
 * own. */
#ifndef WINTOGO_TIMEZONE_H
#define WINTOGO_TIMEZONE_H

/* spec is "host" (this Linux host's zone: $TZ, else /etc/localtime) or a
 * Windows time zone ID, optionally with the "_dstoff" suffix that turns
 * daylight saving time off.  *id_ret gets the Windows ID (newly
 * allocated).  Logs and returns -ENOENT when the host's zone has no
 * Windows equivalent, -EINVAL when spec is not a Windows ID ICU knows. */
int timezone_windows_id(const char *spec, char **id_ret);

#endif
