/* timezone.c - Windows time zone IDs from ICU (see timezone.h). */
#include "wintogo/timezone.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define ZONE_MAX 128
#define DSTOFF "_dstoff"

static char *to_utf8(const UChar *s, int32_t len)
{
	char out[ZONE_MAX * 3];
	UErrorCode ec = U_ZERO_ERROR;

	u_strToUTF8(out, sizeof(out), NULL, s, len, &ec);
	return U_SUCCESS(ec) ? xstrdup(out) : NULL;
}

static int host_zone(struct wtg_ctx *ctx, char **id_ret)
{
	UChar host[ZONE_MAX], win[ZONE_MAX];
	UErrorCode ec = U_ZERO_ERROR;
	int32_t len = ucal_getHostTimeZone(host, ZONE_MAX, &ec), win_len;
	char *name = U_SUCCESS(ec) ? to_utf8(host, len) : NULL;
	int ret = 0;

	if (!name)
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "cannot tell this host's time zone (%s); give --timezone with a Windows zone name such as 'W. Europe Standard Time'",
				 u_errorName(ec));
	win_len = ucal_getWindowsTimeZoneID(host, len, win, ZONE_MAX, &ec);
	if (U_FAILURE(ec) || win_len <= 0)
		ret = log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "this host's time zone '%s' has no Windows equivalent; give --timezone with a Windows zone name, e.g. UTC",
				name);
	else
		*id_ret = to_utf8(win, win_len);
	free(name);
	return ret;
}

/* A Windows ID is one that ICU maps to some IANA zone. */
static bool known_windows_id(const char *id, size_t len)
{
	UChar win[ZONE_MAX], iana[ZONE_MAX];
	UErrorCode ec = U_ZERO_ERROR;
	int32_t win_len;

	if (len >= ZONE_MAX)
		return false;
	u_strFromUTF8(win, ZONE_MAX, &win_len, id, (int32_t)len, &ec);
	if (U_FAILURE(ec))
		return false;
	return ucal_getTimeZoneIDForWindowsID(win, win_len, NULL, iana, ZONE_MAX, &ec) > 0 &&
	       U_SUCCESS(ec);
}

int timezone_windows_id(struct wtg_ctx *ctx, const char *spec, char **id_ret)
{
	size_t len = strlen(spec), base = len;

	if (!strcmp(spec, "host"))
		return host_zone(ctx, id_ret);
	if (len > strlen(DSTOFF) && !strcmp(spec + len - strlen(DSTOFF), DSTOFF))
		base -= strlen(DSTOFF);
	if (!known_windows_id(spec, base))
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "'%s' is not a Windows time zone; give a name as `tzutil /l` lists it, e.g. 'W. Europe Standard Time', or host",
				 spec);
	*id_ret = xstrdup(spec);
	return 0;
}
