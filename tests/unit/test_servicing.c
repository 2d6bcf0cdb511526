/* Unit tests of servicing.c on the fixture images ($FIXTURES, as make
 * check sets it): the zero options change nothing (what `vm` gets unless
 * asked), each option changes only its value, in the control set that
 * Select\Current names, and the staging directory goes away. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <wimlib.h>

#include "tap.h"
#include "wintogo/servicing.h"

static char parent[] = "/tmp/test_servicing.XXXXXX";

/* The changes opt makes to image 1 of fixture, as "name@where name@where". */
static char *changes(const char *fixture, const struct servicing_options *opt, int *ret)
{
	char *path = NULL, *out = calloc(1, 4096);
	struct wim_source *src = NULL;
	struct wim_image im = { 0 };
	struct servicing *sv = NULL;
	const struct servicing_change *c;
	size_t n;

	if (asprintf(&path, "%s/%s", getenv("FIXTURES"), fixture) < 0)
		return out;
	*ret = wim_source_open(ctx, path, &src);
	if (!*ret)
		*ret = wim_source_image(ctx, src, 1, &im);
	if (!*ret)
		*ret = servicing_prepare(ctx, opt, src, &im, parent, &sv);
	c = servicing_changes(sv, &n);
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), 4096 - strlen(out), "%s%s@%s", i ? " " : "",
			 c[i].name ? c[i].name : "", c[i].where);
	servicing_free(sv);
	wim_image_release(&im);
	wim_source_free(src);
	free(path);
	return out;
}

static void changes_are(const char *fixture, const struct servicing_options *opt, int want_ret,
			const char *want, const char *name)
{
	int ret = 0;
	char *got = changes(fixture, opt, &ret);

	is_int(ret, want_ret, name);
	is_str(got, want, name);
	free(got);
}

int main(void)
{
	struct servicing_options none = { 0 };
	struct servicing_options usb = { .usb_boot_flags = true };
	struct servicing_options san = { .san_policy = SAN_POLICY_OFFLINE_INTERNAL };
	struct servicing_options portable = { .portable_flag = true };

	if (!getenv("FIXTURES")) {
		puts("1..0 # skip FIXTURES is not set (make check sets it)");
		return 0;
	}
	plan(11);
	if (!mkdtemp(parent) || wimlib_global_init(WIMLIB_INIT_FLAG_DEFAULT_CASE_INSENSITIVE))
		return 1;
	changes_are("x64.wim", &none, 0, "", "the zero options change nothing");
	changes_are("x64.wim", &usb, 0,
		    "BootDriverFlags@SYSTEM\\HardwareConfig\\{4d5e6f70-8192-4a3b-9c4d-5e6f708192a3}",
		    "USB boot flags alone: no SanPolicy");
	changes_are("cs2.wim", &san, 0, "SanPolicy@SYSTEM\\ControlSet002\\Services\\partmgr\\Parameters",
		    "SanPolicy in the current control set, 2");
	changes_are("cs2.wim", &portable, 0, "PortableOperatingSystem@SYSTEM\\ControlSet002\\Control",
		    "PortableOperatingSystem in ControlSet002");
	changes_are("badsystem.wim", &san, -WTG_ERR_IMAGE_DAMAGED, "", "a damaged SYSTEM hive is refused");
	ok(rmdir(parent) == 0, "no staging directory is left");
	wimlib_global_cleanup();
	return done_testing();
}
