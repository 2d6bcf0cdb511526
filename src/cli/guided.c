/* guided.c - `wintogo write` step by step, for people who do not script.
 *
 * On a terminal, a write whose IMAGE or TARGET is missing asks for what
 * is missing, in the order Rufus's dialogs ask: the image (a path, Tab
 * completes it), the edition (a numbered list, as `info` shows them), the
 * target (a numbered list of the disks `list` shows, with their verdicts,
 * or a file name), then the Windows To Go choices.  Every answer is an
 * option of the command line, and the command line the answers make is
 * printed before the plan: the same write can be run again, or put in a
 * script, without a single question.  Nothing is written here; the plan
 * and the confirmation come after, as for any write.
 *
 * Answers are read with GNU readline's callback interface, so that the
 * wait for a key is ours: Ctrl-C (our handler, no SA_RESTART) ends the
 * wait with EINTR and the write stops with 130, as at the confirmation
 * prompt, with the terminal put back as it was. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/readline.h>

#include "wintogo/cli.h"
#include "wintogo/devices.h"
#include "wintogo/input.h"
#include "wintogo/layout.h"
#include "wintogo/log.h"
#include "wintogo/source.h"
#include "wintogo/unattend.h"
#include "wintogo/util.h"
#include "wintogo/wim.h"
#include "wintogo/write.h"

bool cli_guided_possible(void)
{
	return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

/* The equivalent command line, which also owns every answer that opt
 * points into. */
static void push(struct cli_guided *g, const char *arg)
{
	if (g->argc + 1 >= g->cap) {
		g->cap = g->cap ? 2 * g->cap : 16;
		g->argv = xrealloc(g->argv, g->cap * sizeof(*g->argv));
	}
	g->argv[g->argc++] = xstrdup(arg);
	g->argv[g->argc] = NULL;
}

/* The option and its value; returns the copy of the value, which lives
 * as long as g. */
static const char *push_option(struct cli_guided *g, const char *option, const char *value)
{
	push(g, option);
	if (!value)
		return NULL;
	push(g, value);
	return g->argv[g->argc - 1];
}

void cli_guided_release(struct cli_guided *g)
{
	for (size_t i = 0; i < g->argc; i++)
		free(g->argv[i]);
	free(g->argv);
	free(g->image);
	free(g->target);
	memset(g, 0, sizeof(*g));
}

/* ---- reading an answer ---- */

static char *line_read;
static bool line_done;

static void on_line(char *line)
{
	line_read = line;
	line_done = true;
	/* one answer per question; the next ask() installs the handler again */
	rl_callback_handler_remove();
}

/* The questions that want no file name complete nothing. */
static char *no_completion(const char *text, int state)
{
	(void)text;
	(void)state;
	return NULL;
}

/* One answer, with line editing, trimmed (completion leaves a space after
 * a file name).  Ctrl-C: -WTG_ERR_INTERRUPTED; end of input (Ctrl-D): the
 * user gave up, logged.  The caller frees *answer_ret. */
static int ask(struct wtg_ctx *ctx, const char *prompt, bool path, char **answer_ret)
{
	int fd = fileno(rl_instream);
	size_t len;
	char *s;

	rl_completion_entry_function = path ? rl_filename_completion_function : no_completion;
	line_read = NULL;
	line_done = false;
	rl_callback_handler_install(prompt, on_line);
	while (!line_done && !ctx->abort_requested) {
		fd_set fds;

		FD_ZERO(&fds);
		FD_SET(fd, &fds);
		if (select(fd + 1, &fds, NULL, NULL, NULL) < 0) {
			if (errno == EINTR)
				continue;  /* a resize, or the Ctrl-C the loop checks */
			break;
		}
		rl_callback_read_char();
	}
	if (!line_done) {
		rl_callback_handler_remove();  /* the terminal as it was */
		fputc('\n', stderr);
		return wtg_ctx_aborted(ctx) ? -WTG_ERR_INTERRUPTED
					    : log_syserr(ctx, errno, "cannot read the answer");
	}
	if (!line_read)
		return log_error(ctx, WTG_ERR_NOT_CONFIRMED, "no answer (end of input); nothing was written");
	for (s = line_read; isspace((unsigned char)*s); s++)
		;
	len = strlen(s);
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	s[len] = '\0';
	*answer_ret = xstrdup(s);
	free(line_read);
	return 0;
}

/* A file name as the shell would take it: ~/ is the home folder. */
static char *expand_home(const char *path)
{
	const char *home = getenv("HOME");

	if (path[0] == '~' && path[1] == '/' && home && *home)
		return xasprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

/* A wrong answer was said (logged, so on stderr); the question comes
 * again, and the write's outcome is not that error. */
static void try_again(struct wtg_ctx *ctx)
{
	wtg_ctx_clear_error(ctx);
}

static int ask_yes_no(struct wtg_ctx *ctx, const char *question, bool dflt, bool *yes_ret)
{
	char *prompt = xasprintf("%s [%s] ", question, dflt ? "Y/n" : "y/N"), *a = NULL;
	int ret;

	for (;;) {
		ret = ask(ctx, prompt, false, &a);
		if (ret < 0)
			break;
		if (!*a || !strcasecmp(a, "y") || !strcasecmp(a, "yes") || !strcasecmp(a, "n") ||
		    !strcasecmp(a, "no")) {
			*yes_ret = *a ? tolower((unsigned char)*a) == 'y' : dflt;
			break;
		}
		fputs("  Answer y or n.\n", stderr);
		free(a);
		a = NULL;
	}
	free(a);
	free(prompt);
	return ret;
}

/* ---- the steps ---- */

/* The editions of the image, for step 2 and the target's size. */
struct editions {
	struct wim_image *items;
	int count;
};

static void editions_release(struct editions *e)
{
	for (int i = 0; i < e->count; i++)
		wim_image_release(&e->items[i]);
	free(e->items);
	memset(e, 0, sizeof(*e));
}

static int read_editions(struct wtg_ctx *ctx, const struct write_options *opt, const char *path,
			 struct editions *e)
{
	struct source_options so = { .wim_path = opt->wim_path };
	struct source *src = NULL;
	struct wim_source *wim;
	int ret = source_open(ctx, path, &so, &src);

	if (ret < 0)
		return ret;
	wim = source_wim(src);
	e->count = wim_source_file(wim)->image_count;
	e->items = xcalloc((size_t)(e->count ? e->count : 1), sizeof(*e->items));
	for (int i = 0; i < e->count && !ret; i++)
		ret = wim_source_image(ctx, wim, i + 1, &e->items[i]);
	if (ret < 0) {
		/* only those read are released */
		for (int i = 0; i < e->count && e->items[i].index; i++)
			wim_image_release(&e->items[i]);
		free(e->items);
		memset(e, 0, sizeof(*e));
	}
	source_free(src);
	return ret;
}

/* Step 1: a file wintogo can read Windows from. */
static int step_image(struct wtg_ctx *ctx, struct cli_guided *g, const struct write_options *opt,
		      struct editions *e)
{
	char *a = NULL, *path = NULL;
	enum input_kind kind;
	int ret;

	fputs("\n1. The Windows image: a WIM, ESD or split SWM set, a Windows ISO, or a VHDX\n"
	      "   with Windows installed (Tab completes file names).\n", stderr);
	for (;;) {
		free(a);
		free(path);
		a = path = NULL;
		ret = ask(ctx, "   Image: ", true, &a);
		if (ret < 0)
			break;
		if (!*a)
			continue;
		path = expand_home(a);
		if (source_check_path(ctx, path) < 0) {
			try_again(ctx);
			continue;
		}
		kind = input_kind_of(path);
		if (kind == INPUT_VHDX)
			break;  /* one Windows, captured by the write */
		if (!input_is_wim(kind) && kind != INPUT_ISO) {
			log_error(ctx, WTG_ERR_NOT_AN_IMAGE,
				  "'%s' is not a Windows image; give a WIM, ESD, SWM, ISO or VHDX", path);
			try_again(ctx);
			continue;
		}
		if (read_editions(ctx, opt, path, e) == 0)
			break;
		try_again(ctx);
	}
	free(a);
	if (ret == 0)
		g->image = path;
	else
		free(path);
	return ret;
}

/* Step 2: which edition, when the image has more than one. */
static int step_edition(struct wtg_ctx *ctx, struct cli_guided *g, struct write_options *opt,
			const struct editions *e, const struct wim_image **chosen_ret)
{
	char size[SIZE_TEXT_MAX], *a = NULL, *prompt;
	uint64_t n;
	int ret = 0;

	*chosen_ret = NULL;
	if (!e->count) {
		fputs("\n2. The edition: the Windows installed on the VHDX\n", stderr);
		return 0;
	}
	if (opt->index || opt->name) {
		for (int i = 0; i < e->count; i++)
			if (opt->index ? e->items[i].index == opt->index
				       : e->items[i].name && !strcmp(e->items[i].name, opt->name))
				*chosen_ret = &e->items[i];
		return 0;  /* the write says it when there is no such image */
	}
	if (e->count == 1) {
		fprintf(stderr, "\n2. The edition: %s (the only one)\n", cli_text(e->items[0].name));
		*chosen_ret = &e->items[0];
		return 0;
	}
	fputs("\n2. The edition:\n", stderr);
	for (int i = 0; i < e->count; i++)
		fprintf(stderr, "   %2d  %-34s %s, build %u, %s\n", e->items[i].index,
			cli_text(e->items[i].name), wim_arch_name(e->items[i].arch), e->items[i].build,
			format_size(e->items[i].expanded_size, size));
	prompt = xasprintf("   Edition [1-%d]: ", e->count);
	for (;;) {
		free(a);
		a = NULL;
		ret = ask(ctx, prompt, false, &a);
		if (ret < 0)
			break;
		if (parse_uint(a, (uint64_t)e->count, &n) == 0 && n >= 1) {
			char number[24];

			snprintf(number, sizeof(number), "%d", (int)n);
			push_option(g, "--index", number);
			opt->index = (int)n;
			*chosen_ret = &e->items[n - 1];
			break;
		}
		fprintf(stderr, "   Type a number from 1 to %d.\n", e->count);
	}
	free(a);
	free(prompt);
	return ret;
}

/* The disks offered: those `list` shows, numbered when they are ok. */
struct offered {
	struct device_list list;
	const struct device **ok;
	size_t n_ok;
};

static void offer_disks(struct wtg_ctx *ctx, const char *image, uint64_t min_size, struct offered *o)
{
	struct device_roots roots;
	struct device_context dc = { .image = image, .min_size = min_size };
	char size[SIZE_TEXT_MAX];
	bool any = false;

	memset(o, 0, sizeof(*o));
	device_roots_default(ctx, &roots);
	/* without a list the user can still type a disk or a file */
	if (devices_scan(ctx, &roots, &dc, &o->list) < 0) {
		try_again(ctx);
		return;
	}
	o->ok = xcalloc(o->list.count + 1, sizeof(*o->ok));
	for (size_t i = 0; i < o->list.count; i++) {
		const struct device *d = &o->list.items[i];
		char *contents;

		if (!device_is_portable(d))
			continue;
		if (!any)
			fputs("   Disks (as 'wintogo list' shows them):\n", stderr);
		any = true;
		if (d->verdict == DEVICE_OK) {
			o->ok[o->n_ok++] = d;
			fprintf(stderr, "   %2zu  ", o->n_ok);
		} else {
			fputs("    -  ", stderr);
		}
		fprintf(stderr, "%-12s %10s  %-5s %s%s%s\n", d->path, format_size(d->size, size),
			d->transport, d->vendor ? cli_text(d->vendor) : "", d->vendor ? " " : "",
			d->model ? cli_text(d->model) : "");
		contents = device_contents_text(d, false);
		if (d->verdict == DEVICE_OK)
			fprintf(stderr, "        ok; it holds %s\n", cli_text(contents));
		else
			fprintf(stderr, "        refused: %s\n", d->reason ? cli_text(d->reason)
							    : device_verdict_name(d->verdict));
		free(contents);
	}
	if (!any)
		fputs("   No USB, MMC or removable disk is plugged in.\n", stderr);
}

static void offered_release(struct offered *o)
{
	free(o->ok);
	device_list_release(&o->list);
}

/* A file target the write would refuse, said now so that the user can
 * give another name: it exists (without --force), or its folder does not. */
static bool file_target_ok(struct wtg_ctx *ctx, const struct write_options *opt, const char *path)
{
	struct stat st;
	char *dir, *slash;
	bool ok = true;

	if (stat(path, &st) == 0) {
		if (S_ISBLK(st.st_mode))
			return true;  /* a disk: the write judges it and asks */
		if (S_ISDIR(st.st_mode)) {
			log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is a folder; give a file name in it", path);
			return false;
		}
		if (!opt->force) {
			log_error(ctx, WTG_ERR_TARGET_EXISTS,
				  "'%s' already exists; give another name (or start again with --force to replace it)",
				  path);
			return false;
		}
		return true;
	}
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
			log_error(ctx, WTG_ERR_TARGET_INVALID, "there is no folder '%s'; give a file name in a folder that exists",
				  dir);
			ok = false;
		}
	}
	free(dir);
	return ok;
}

/* Step 3: a disk from the list, or a file. */
static int step_target(struct wtg_ctx *ctx, struct cli_guided *g, struct write_options *opt,
		       const struct wim_image *image)
{
	uint64_t min = image ? layout_disk_min_bytes(image->expanded_size,
						     opt->esp_bytes ? opt->esp_bytes : LAYOUT_ESP_DEFAULT) : 0;
	struct offered o;
	char *a = NULL, *path = NULL;
	uint64_t n;
	int ret;

	fputs("\n3. The target: everything on it is erased.\n", stderr);
	offer_disks(ctx, g->image, min, &o);
	fputs(o.n_ok ? "   Type a disk's number, a disk (such as /dev/sdb), or the name of a disk\n"
		       "   image file to make (such as windows.img).\n"
		     : "   Type a disk (such as /dev/sdb), or the name of a disk image file to\n"
		       "   make (such as windows.img).\n", stderr);
	for (;;) {
		free(a);
		free(path);
		a = path = NULL;
		ret = ask(ctx, "   Target: ", true, &a);
		if (ret < 0)
			break;
		if (!*a)
			continue;
		if (parse_uint(a, UINT64_MAX, &n) == 0 && !strchr(a, '/')) {
			if (n >= 1 && n <= o.n_ok) {
				path = xstrdup(o.ok[n - 1]->path);
				break;
			}
			fprintf(stderr, o.n_ok ? "   There is no disk %s here; type 1 to %zu, or a name.\n"
					       : "   There is no disk %s here; type a name.\n", a, o.n_ok);
			continue;
		}
		path = expand_home(a);
		if (file_target_ok(ctx, opt, path))
			break;
		try_again(ctx);
	}
	offered_release(&o);
	free(a);
	if (ret == 0)
		g->target = path;
	else
		free(path);
	return ret;
}

/* A disk image file's size, unless --size said it. */
static int step_size(struct wtg_ctx *ctx, struct cli_guided *g, struct write_options *opt)
{
	struct stat st;
	char *a = NULL;
	uint64_t bytes;
	int ret = 0;

	if (opt->disk_bytes || (stat(g->target, &st) == 0 && S_ISBLK(st.st_mode)))
		return 0;
	fputs("   The size of the disk image file: such as 32G (GiB) or 64GB (10^9 bytes);\n"
	      "   Enter for the image's size + 20 %, with room for the boot partitions.\n", stderr);
	for (;;) {
		free(a);
		a = NULL;
		ret = ask(ctx, "   Size: ", false, &a);
		if (ret < 0 || !*a)
			break;
		if (parse_size(a, &bytes) == 0 && bytes && bytes <= LAYOUT_DISK_MAX) {
			push_option(g, "--size", a);
			opt->disk_bytes = bytes;
			break;
		}
		fputs("   Type a size up to 16T, such as 32G, or press Enter.\n", stderr);
	}
	free(a);
	return ret;
}

/* Step 4: what Rufus asks in its "Windows User Experience" dialog. */
static int step_windows(struct wtg_ctx *ctx, struct cli_guided *g, struct write_options *opt,
			bool san_policy_given)
{
	struct servicing_options *sv = &opt->service;
	char *a = NULL;
	bool yes;
	int ret = 0;

	fputs("\n4. Windows To Go choices (Enter takes the default).\n", stderr);
	/* an answer file is taken as it is: its settings are its own */
	while (!sv->unattend_path && !sv->answers.user) {
		const char *problem;

		free(a);
		a = NULL;
		ret = ask(ctx, "   A local account to create, with an empty password to set at first\n"
			       "   logon (Enter: none, Windows asks at first boot): ", false, &a);
		if (ret < 0 || !*a)
			break;
		problem = unattend_user_name_problem(a);
		if (!problem) {
			sv->answers.user = push_option(g, "--user", a);
			break;
		}
		fprintf(stderr, "   '%s' cannot name a Windows account: %s\n", cli_text(a), problem);
	}
	free(a);
	a = NULL;
	if (!ret && !sv->unattend_path && !sv->answers.skip_oobe) {
		ret = ask_yes_no(ctx, "   Skip the first-boot questions (license page, privacy settings)?",
				 false, &yes);
		if (!ret && yes) {
			push_option(g, "--skip-oobe", NULL);
			sv->answers.skip_oobe = true;
		}
	}
	if (!ret && !san_policy_given) {
		ret = ask_yes_no(ctx, "   Keep the PC's own internal disks offline while this Windows runs?",
				 sv->san_policy == SAN_POLICY_OFFLINE_INTERNAL, &yes);
		if (!ret && !yes && sv->san_policy != SAN_POLICY_ONLINE_ALL) {
			push_option(g, "--san-policy", "online-all");
			sv->san_policy = SAN_POLICY_ONLINE_ALL;
		} else if (!ret && yes && sv->san_policy != SAN_POLICY_OFFLINE_INTERNAL) {
			push_option(g, "--san-policy", "offline-internal");
			sv->san_policy = SAN_POLICY_OFFLINE_INTERNAL;
		}
	}
	while (!ret && !sv->drivers_path) {
		char *path;
		struct stat st;

		free(a);
		a = NULL;
		ret = ask(ctx, "   Drivers to add, a folder or an archive (Enter: none): ", true, &a);
		if (ret < 0 || !*a)
			break;
		path = expand_home(a);
		if (stat(path, &st) == 0) {
			sv->drivers_path = push_option(g, "--drivers", path);
			free(path);
			break;
		}
		fprintf(stderr, "   There is no '%s': %s.\n", cli_text(path), strerror(errno));
		free(path);
	}
	free(a);
	return ret;
}

/* ---- the equivalent command ---- */

/* arg as a shell reads it back: as it is when it has nothing the shell
 * would take apart, in single quotes otherwise, and in $'...' with
 * escapes when it holds control characters (which a terminal would act
 * on). */
static void print_quoted(FILE *out, const char *arg)
{
	bool plain = *arg != '\0', control = false;

	for (const unsigned char *p = (const unsigned char *)arg; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			control = true;
		if (!isalnum(*p) && !strchr("_./:=@%+,-", *p) && *p < 0x80)
			plain = false;
	}
	if (plain && arg[0] != '~' && arg[0] != '=') {
		fputs(arg, out);
	} else if (!control) {
		fputc('\'', out);
		for (const char *p = arg; *p; p++)
			fputs(*p == '\'' ? "'\\''" : (char[]){ *p, '\0' }, out);
		fputc('\'', out);
	} else {
		fputs("$'", out);
		for (const unsigned char *p = (const unsigned char *)arg; *p; p++) {
			if (*p < 0x20 || *p == 0x7f || *p == '\'' || *p == '\\')
				fprintf(out, "\\x%02x", *p);
			else
				fputc(*p, out);
		}
		fputc('\'', out);
	}
}

static void print_command(const struct cli_guided *g, char **given, int n_given)
{
	bool dashes = g->image[0] == '-' || g->target[0] == '-';

	fputs("\nThe same write as one command (to run again, or in a script):\n  wintogo write", stderr);
	for (int i = 0; i < n_given; i++) {
		/* getopt moved "--" in front of the operands, which come last here */
		if (!strcmp(given[i], "--"))
			continue;
		fputc(' ', stderr);
		print_quoted(stderr, given[i]);
	}
	for (size_t i = 0; i < g->argc; i++) {
		fputc(' ', stderr);
		print_quoted(stderr, g->argv[i]);
	}
	fputs(dashes ? " -- " : " ", stderr);
	print_quoted(stderr, g->image);
	fputc(' ', stderr);
	print_quoted(stderr, g->target);
	fputs("\n\n", stderr);
	fflush(stderr);
}

int cli_guided_write(struct wtg_ctx *ctx, struct cli_guided *g, struct write_options *opt,
		     char **given, int n_given, bool san_policy_given)
{
	struct editions e = { 0 };
	const struct wim_image *chosen = NULL;
	int ret = 0;

	rl_readline_name = "wintogo";
	rl_instream = stdin;
	rl_outstream = stderr;
	/* Ctrl-C is ours: it stops the write (130), see ask() */
	rl_catch_signals = 0;

	fputs("Writing a Windows To Go disk, step by step: each answer is an option of\n"
	      "'wintogo write' (see 'wintogo help write').  Ctrl-C stops; nothing is\n"
	      "written before you confirm.\n", stderr);
	if (opt->image_path) {
		g->image = xstrdup(opt->image_path);
		fprintf(stderr, "\n1. The Windows image: %s\n", cli_text(g->image));
		/* one that is no image is said now, before the questions */
		if (input_kind_of(g->image) != INPUT_VHDX)
			ret = read_editions(ctx, opt, g->image, &e);
	} else {
		ret = step_image(ctx, g, opt, &e);
	}
	if (!ret)
		ret = step_edition(ctx, g, opt, &e, &chosen);
	if (!ret)
		ret = step_target(ctx, g, opt, chosen);
	if (!ret)
		ret = step_size(ctx, g, opt);
	if (!ret)
		ret = step_windows(ctx, g, opt, san_policy_given);
	editions_release(&e);
	if (ret < 0)
		return ret;
	opt->image_path = g->image;
	opt->target = g->target;
	print_command(g, given, n_given);
	return 0;
}
