/* langtag.h - the language tags Windows names its locales by ("en-US",
 * "de-DE", "sr-Latn-RS"), checked against the locales ICU knows (CLDR's
 * list): no table of our own. */
#ifndef WINTOGO_LANGTAG_H
#define WINTOGO_LANGTAG_H

#include <stdbool.h>

/* Whether tag is a BCP 47 language tag, read whole, with a region (as
 * Windows' locales have: "en-US", not "en"), of a locale ICU has data
 * for.  Case does not matter ("de-de" is de-DE). */
bool langtag_known(const char *tag);

#endif
