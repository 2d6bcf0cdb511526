/* cli.h - what the command front ends (main.c, cmd_*.c) share.
 *
 * Only these files talk to the user.  Exit status: 0 success, 1 failure,
 * 2 usage error; `probe` says its verdict with 0 (boots), 3 and 4.
 */
#ifndef WINTOGO_CLI_H
#define WINTOGO_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "wintogo/progress.h"

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_BOOTS_WITH_CONDITIONS 3
#define EXIT_CANNOT_BOOT 4

#define WINTOGO_VERSION "0.1.0"

int cmd_info(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_write(int argc, char **argv);

struct host;
struct wim_image;

/* Resolves the --host argument of cmd; a name that is no host is a usage
 * error (reported: returns EXIT_USAGE), else 0. */
int cli_parse_host(const char *cmd, const char *name, struct host *host_ret);

/* `write --host`: probes image for host before anything is written.  Warns
 * of every condition and blocker; refuses (logged, -EPERM) a "cannot boot"
 * verdict unless force.  With json, writes a {"probe": ...} line. */
int cli_probe_before_write(const char *host_name, const struct host *host,
			   const struct wim_image *image, const char *image_path,
			   bool json, bool force);

/* Prints "wintogo CMD: MESSAGE" and a hint to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* After getopt has reported a bad option: the hint alone. */
int cli_usage_hint(const char *cmd);

/* Progress shown to the user: a bar on stderr when it is a terminal, one
 * line per finished phase otherwise, JSON lines on stdout with --json,
 * nothing with --quiet. */
struct progress_ui {
	bool json;
	bool quiet;
	bool tty;
	int phase;                 /* phase of the last message, -1 before */
	uint64_t done, total;      /* last message of that phase */
	struct timespec phase_start;
	struct timespec last_shown;
};

void progress_ui_init(struct progress_ui *ui, bool json, bool quiet);
/* A progress_fn: ctx is the struct progress_ui. */
void progress_ui_update(const struct progress *p, void *ctx);
/* Ends the current phase's line (call before printing anything else). */
void progress_ui_finish(struct progress_ui *ui);
/* Ends the bar after a failure: no "done" line, the error says it all. */
void progress_ui_abort(struct progress_ui *ui);

#endif
