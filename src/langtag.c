/* langtag.c - language tags checked against ICU's locales (langtag.h). */
#include "wintogo/langtag.h"

#include <string.h>
#include <strings.h>
#include <unicode/uenum.h>
#include <unicode/uloc.h>

/* Longer than any tag Windows uses ("ca-ES-valencia" is 14) */
#define LANGTAG_MAX 35

bool langtag_known(const char *tag)
{
	char id[ULOC_FULLNAME_CAPACITY], country[ULOC_COUNTRY_CAPACITY];
	UErrorCode ec = U_ZERO_ERROR;
	UEnumeration *all = NULL;
	const char *name;
	int32_t parsed = 0;
	bool known = false;

	/* ICU reads "en_US" too, as a locale ID; Windows' tags have hyphens */
	if (strlen(tag) > LANGTAG_MAX || strchr(tag, '_'))
		goto out;
	uloc_forLanguageTag(tag, id, sizeof(id), &parsed, &ec);
	/* a tag read only in part ("en-US-!") is not one */
	if (U_FAILURE(ec) || ec == U_STRING_NOT_TERMINATED_WARNING || parsed != (int32_t)strlen(tag))
		goto out;
	uloc_getCountry(id, country, sizeof(country), &ec);
	if (U_FAILURE(ec) || !*country)
		goto out;
	/* with the legacy aliases, "zh_TW" beside "zh_Hant_TW" */
	all = uloc_openAvailableByType(ULOC_AVAILABLE_WITH_LEGACY_ALIASES, &ec);
	while (!known && U_SUCCESS(ec) && (name = uenum_next(all, NULL, &ec)))
		known = !strcasecmp(name, id);
out:
	if (all)
		uenum_close(all);
	return known;
}
