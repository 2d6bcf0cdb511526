/* Unit tests of unattend.c and timezone.c: names Windows accepts, the
 * answer file read back with libxml2, answer files checked, time zones
 * mapped by ICU. */
#include <errno.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdlib.h>
#include <unistd.h>

#include "tap.h"
#include "wintogo/timezone.h"
#include "wintogo/unattend.h"

static char dir[] = "/tmp/test_unattend.XXXXXX";

static char *path_in(const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

static void test_names(void)
{
	ok(!unattend_user_name_problem("anna"), "user anna");
	ok(!unattend_user_name_problem("J\xc3\xbcrgen M"), "user with a space and an umlaut");
	ok(!unattend_user_name_problem("A&B"), "user A&B (XML must escape it)");
	ok(unattend_user_name_problem("administrator") != NULL, "not administrator, in any case");
	ok(unattend_user_name_problem("") != NULL, "not an empty user name");
	ok(unattend_user_name_problem("a/b") != NULL, "not a user name with /");
	ok(unattend_user_name_problem("a\"b") != NULL, "not a user name with a quote");
	ok(unattend_user_name_problem(". .") != NULL, "not dots and spaces only");
	ok(unattend_user_name_problem("abcdefghijklmnopqrstu") != NULL, "not 21 characters");
	ok(!unattend_user_name_problem("\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4\xc3\xa4"),
	   "20 characters of two bytes each");
	ok(!unattend_computer_name_problem("WTG-1"), "computer WTG-1");
	ok(!unattend_computer_name_problem("ABCDEFGHIJKLMNO"), "computer name of 15 characters");
	ok(unattend_computer_name_problem("ABCDEFGHIJKLMNOP") != NULL, "not 16 characters");
	ok(unattend_computer_name_problem("12345") != NULL, "not digits only");
	ok(unattend_computer_name_problem("a b") != NULL, "not with a space");
	ok(unattend_computer_name_problem("a.b") != NULL, "not with a dot");
	ok(unattend_computer_name_problem("-ab") != NULL, "not starting with a hyphen");
	is_str(unattend_arch(WIM_ARCH_X64), "amd64", "x64 is amd64");
	is_str(unattend_arch(WIM_ARCH_ARM64), "arm64", "arm64");
	is_str(unattend_arch(WIM_ARCH_X86), "x86", "x86");
	ok(!unattend_arch(WIM_ARCH_IA64), "no ia64");
}

static char *xpath(xmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr r;
	char *s;

	xmlXPathRegisterNs(ctx, BAD_CAST "u", BAD_CAST "urn:schemas-microsoft-com:unattend");
	r = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	s = r ? (char *)xmlXPathCastToString(r) : NULL;
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	return s;
}

static void xpath_is(xmlDocPtr doc, const char *expr, const char *want)
{
	char *got = xpath(doc, expr);

	is_str(got, want, expr);
	xmlFree(got);
}

static void test_write(void)
{
	struct unattend_answers a = { .user = "A&B", .skip_oobe = true, .bypass_nro = true,
				      .locale = "de-DE", .timezone = "Romance Standard Time",
				      .computer_name = "WTG", .drivers_dir = "%SystemRoot%\\D" };
	struct unattend_answers none = { 0 };
	struct unattend_setting *s = NULL;
	size_t n = 0;
	xmlDocPtr doc;

	ok(!unattend_answers_any(&none), "no answers: nothing to write");
	ok(unattend_answers_any(&a), "answers: a file to write");
	is_int(unattend_write(ctx, &a, WIM_ARCH_ARM64, path_in("u.xml"), &s, &n), 0, "unattend_write");
	is_int((long long)n, 14, "14 settings listed");
	is_str(n ? s[0].pass : NULL, "specialize", "the first in specialize");
	is_str(n ? s[0].path : NULL, "ComputerName", "is the computer name");
	unattend_settings_free(s, n);
	doc = xmlReadFile(path_in("u.xml"), NULL, XML_PARSE_NONET);
	ok(doc != NULL, "libxml2 reads it back");
	if (!doc)
		return;
	xpath_is(doc, "count(//u:component[@processorArchitecture!='arm64'])", "0");
	xpath_is(doc, "count(//u:component)", "4");
	xpath_is(doc, "string(//u:settings[@pass='oobeSystem']//u:LocalAccount/u:Name)", "A&B");
	xpath_is(doc, "string(//u:settings[@pass='specialize']//u:RunSynchronousCommand[u:Order=2]/u:Path)",
		 "cmd /c pnputil /add-driver \"%SystemRoot%\\D\\*.inf\" /subdirs /install");
	xpath_is(doc, "string(//u:FirstLogonCommands/u:SynchronousCommand[u:Order=1]/u:CommandLine)",
		 "net user \"A&B\" /logonpasswordchg:yes");
	xpath_is(doc, "count(//u:UILanguage)", "0");
	xpath_is(doc, "string(//u:LocalAccount/@*[local-name()='action'])", "add");
	xmlFreeDoc(doc);
	is_int(unattend_write(ctx, &a, WIM_ARCH_IA64, path_in("ia64.xml"), &s, &n), -WTG_ERR_UNSUPPORTED,
	       "no answers for ia64");
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(path_in(name), "w");

	fputs(text, f);
	fclose(f);
}

static void test_check(void)
{
	write_file("good.xml", "<unattend xmlns=\"urn:schemas-microsoft-com:unattend\"/>\n");
	write_file("broken.xml", "<unattend xmlns=\"urn:schemas-microsoft-com:unattend\"><a></unattend>\n");
	write_file("other.xml", "<unattend/>\n");
	is_int(unattend_check_file(ctx, path_in("good.xml")), 0, "a well-formed answer file");
	is_int(unattend_check_file(ctx, path_in("broken.xml")), -WTG_ERR_INVALID_ARGUMENT, "broken XML is refused");
	is_int(unattend_check_file(ctx, path_in("other.xml")), -WTG_ERR_INVALID_ARGUMENT, "<unattend> without its namespace too");
	is_int(unattend_check_file(ctx, path_in("missing.xml")), -WTG_ERR_NOT_FOUND, "a missing file too");
}

static void zone_is(const char *spec, const char *want)
{
	char *id = NULL;

	if (is_int(timezone_windows_id(ctx, spec, &id), 0, spec))
		is_str(id, want, spec);
	else
		ok(false, spec);
	free(id);
}

static void test_timezones(void)
{
	char *id = NULL;

	setenv("TZ", "Europe/Paris", 1);
	zone_is("host", "Romance Standard Time");
	zone_is("UTC", "UTC");
	zone_is("Pacific Standard Time_dstoff", "Pacific Standard Time_dstoff");
	is_int(timezone_windows_id(ctx, "Mars Standard Time", &id), -WTG_ERR_INVALID_ARGUMENT, "an unknown zone is refused");
	is_int(timezone_windows_id(ctx, "Europe/Paris", &id), -WTG_ERR_INVALID_ARGUMENT, "an IANA name is not a Windows one");
}

int main(void)
{
	plan(48);
	if (!mkdtemp(dir))
		return 1;
	test_names();
	test_write();
	test_check();
	test_timezones();
	for (const char *const *f = (const char *const[]){ "u.xml", "good.xml", "broken.xml", "other.xml", NULL };
	     *f; f++)
		unlink(path_in(*f));
	rmdir(dir);
	return done_testing();
}
