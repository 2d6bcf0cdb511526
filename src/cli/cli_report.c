/* cli_report.c - how the core's messages and failures reach the user
 * (see cli.h): lines on stderr, and with --json one error object on
 * stdout; signals that ask the work to stop. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/cli.h"
#include "wintogo/json.h"
#include "wintogo/util.h"

/* The front end runs one command per process: its report is the one the
 * usage errors and the signal handler reach. */
static struct cli_report *current;
static struct wtg_ctx *signal_ctx;

static void on_log(enum wtg_log_level level, enum wtg_err code, const char *message, void *user)
{
	struct cli_report *r = user;

	(void)code;
	switch (level) {
	case WTG_LOG_ERROR:
		fprintf(stderr, "wintogo: %s\n", cli_text(message));
		/* the context reports the first failure: its details, not a later one's */
		r->after_error = !r->errors++;
		break;
	case WTG_LOG_WARNING:
		fprintf(stderr, "wintogo: warning: %s\n", cli_text(message));
		r->after_error = false;
		break;
	case WTG_LOG_INFO:
		if (!r->quiet)
			fprintf(stderr, "%s\n", cli_text(message));
		r->after_error = false;
		break;
	case WTG_LOG_DETAIL:
		fprintf(stderr, "  %s\n", cli_text(message));
		/* the lines that explain the first failure go into its JSON object */
		if (r->after_error && r->n_details < CLI_DETAILS_MAX)
			r->details[r->n_details++] = xstrdup(message);
		break;
	}
}

void cli_report_init(struct cli_report *r, const char *command, struct wtg_ctx *ctx)
{
	*r = (struct cli_report){ .command = command };
	current = r;
	wtg_ctx_set_log(ctx, on_log, r);
}

void cli_report_set(struct wtg_ctx *ctx, bool json, bool quiet)
{
	struct cli_report *r = ctx->log_user;

	r->json = json;
	r->quiet = quiet;
}

static void error_member(struct json *j, const struct cli_report *r, const char *code,
			 const char *message, int status)
{
	json_begin_object(j, "error");
	json_string(j, "code", code);
	json_string(j, "message", message);
	json_string(j, "command", r->command);
	json_int(j, "exit_status", status);
	if (r->n_details) {
		json_begin_array(j, "details");
		for (size_t i = 0; i < r->n_details; i++)
			json_string(j, NULL, r->details[i]);
		json_end_array(j);
	}
	json_end_object(j);
}

static void print_error(const struct cli_report *r, const char *code, const char *message,
			int status)
{
	struct json j;

	json_init(&j, stdout, false);
	json_begin_object(&j, NULL);
	error_member(&j, r, code, message, status);
	json_end_object(&j);
	json_finish(&j);
}

/* A failure's exit status follows from its code. */
static int failure_status(enum wtg_err code)
{
	return code == WTG_OK ? EXIT_FAILED : wtg_err_exit_status(code);
}

void cli_report_json_error(struct wtg_ctx *ctx, struct json *j)
{
	struct cli_report *r = ctx->log_user;
	enum wtg_err code = wtg_ctx_error(ctx);

	if (code == WTG_OK)
		return;
	error_member(j, r, wtg_err_name(code), wtg_ctx_error_message(ctx), failure_status(code));
	r->error_printed = true;
}

int cli_report_finish(struct cli_report *r, struct wtg_ctx *ctx, int status)
{
	enum wtg_err code = wtg_ctx_error(ctx);

	if (status == EXIT_FAILED)
		status = failure_status(code);
	if (status == EXIT_FAILED && code == WTG_OK)
		code = WTG_ERR_FAILED;  /* a failure that said nothing: a bug, but say so */
	if (r->json && !r->usage_printed && !r->error_printed && status != EXIT_OK &&
	    status != EXIT_USAGE && code != WTG_OK)
		print_error(r, wtg_err_name(code), wtg_ctx_error_message(ctx), status);
	for (size_t i = 0; i < r->n_details; i++)
		free(r->details[i]);
	r->n_details = 0;
	current = NULL;
	return status;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char *message = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	fprintf(stderr, "wintogo %s: %s\n", cmd, message ? message : fmt);
	if (current && current->json && !current->usage_printed) {
		print_error(current, "usage", message ? message : fmt, EXIT_USAGE);
		current->usage_printed = true;
	}
	free(message);
	return cli_usage_hint(cmd);
}

int cli_bad_value(const char *cmd, const char *option, const char *value, const char *wants)
{
	return cli_usage_error(cmd, "%s wants %s, not '%s'", option, wants, cli_text(value));
}

int cli_usage_hint(const char *cmd)
{
	fprintf(stderr, "Try 'wintogo %s --help'.\n", cmd);
	if (current && current->json && !current->usage_printed) {
		/* getopt has said what is wrong on stderr */
		print_error(current, "usage", "the command line is not valid", EXIT_USAGE);
		current->usage_printed = true;
	}
	return EXIT_USAGE;
}

static void on_signal(int sig)
{
	(void)sig;
	if (signal_ctx)
		wtg_ctx_request_abort(signal_ctx);
}

void cli_catch_signals(struct wtg_ctx *ctx)
{
	struct sigaction sa;

	signal_ctx = ctx;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* the reader of our output went away (`write --json | head`): stop and
	 * clean up as for Ctrl-C, rather than die with the stage left behind */
	sigaction(SIGPIPE, &sa, NULL);
}

/* The length of the UTF-8 sequence at p that is printable (no C1
 * control), or 0. */
static size_t printable_utf8(const unsigned char *p)
{
	size_t len = p[0] >= 0xf0 && p[0] <= 0xf4 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 && p[0] < 0xe0 ? 2 : 0;
	uint32_t cp;

	if (!len || p[0] > 0xf4)
		return 0;
	cp = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

const char *cli_text(const char *s)
{
	static char *slots[CLI_TEXT_SLOTS];
	static size_t next;
	const unsigned char *p = (const unsigned char *)s;
	char *out, *o;

	if (!s)
		return NULL;
	out = o = xmalloc(strlen(s) * 4 + 1);
	while (*p) {
		size_t len = *p >= 0x20 && *p < 0x7f ? 1 : printable_utf8(p);

		if (len) {
			memcpy(o, p, len);
			o += len;
			p += len;
		} else {
			o += sprintf(o, "\\x%02X", *p++);
		}
	}
	*o = '\0';
	free(slots[next]);
	slots[next] = out;
	next = (next + 1) % CLI_TEXT_SLOTS;
	return out;
}

/* Whether arg is --json or an abbreviation getopt_long takes for it
 * (no other long option starts with j), with no value. */
static bool long_json(const char *arg)
{
	size_t len = strlen(arg);

	return len >= 3 && len <= 6 && !strncmp(arg, "--json", len);
}

bool cli_wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		size_t flags;

		if (!strcmp(a, "--"))
			break;
		if (long_json(a))
			return true;
		if (a[0] != '-' || a[1] == '-' || !a[1])
			continue;  /* an operand (options may follow it), or a long option */
		/* a cluster of short options: -j, -qj, -fi3 -j, -i -j (-j is -i's value) */
		flags = strspn(a + 1, CLI_FLAG_SHORTOPTS);
		if (memchr(a + 1, 'j', flags))
			return true;
		if (a[1 + flags] && strchr(CLI_VALUE_SHORTOPTS, a[1 + flags]) && !a[2 + flags])
			i++;  /* the next word is its value */
	}
	return false;
}
