/* Unit tests of langtag.c: the --locale values ICU knows, and the ones
 * it does not. */
#include <stdio.h>

#include "tap.h"
#include "wintogo/langtag.h"

int main(void)
{
	static const char *const known[] = {
		"en-US", "de-DE", "pt-BR", "fr-CA", "sr-Latn-RS", "zh-CN", "zh-TW", "ja-JP", "de-de", "EN-us",
	};
	static const char *const unknown[] = {
		"klingon", "tlh-QS", "en", "de", "xx-YY", "en-US-!", "en_US", "de DE", "", "-", "en-",
		"en-USA-extra-long-words-that-go-on-and-on",
	};

	char name[128];

	plan((int)(sizeof(known) / sizeof(known[0]) + sizeof(unknown) / sizeof(unknown[0])));
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
	{
		snprintf(name, sizeof(name), "'%s' is a locale ICU knows", known[i]);
		ok(langtag_known(known[i]), name);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
	{
		snprintf(name, sizeof(name), "'%s' is not", unknown[i]);
		ok(!langtag_known(unknown[i]), name);
	}
	return done_testing();
}
