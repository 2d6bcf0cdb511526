/* cli.h - what the command front ends (main.c, cmd_*.c) share.
 *
 * Only these files talk to the user.  Exit status: 0 success, 1 failure,
 * 2 usage error.
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

#define WINTOGO_VERSION "0.1.0"

int cmd_info(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_vm(int argc, char **argv);

/* `info X.vhdx`: the virtual disk, its partitions and their Windows. */
int cli_info_vhdx(const char *path, bool json);

/* Prints "wintogo CMD: MESSAGE" and a hint to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* After getopt has reported a bad option: the hint alone. */
int cli_usage_hint(const char *cmd);

/* The options `write` and `vm` share, for their getopt_long tables. */
enum {
	CLI_OPT_ESP_SIZE = 256,
	CLI_OPT_SEED,
	CLI_OPT_TMPDIR,
	CLI_OPT_LOCALE,
	CLI_OPT_BCD_FROM_SCRATCH,
	CLI_OPT_FIRST_OWN,  /* commands number their own options from here */
};

#define CLI_IMAGE_OPTIONS                                                        \
	{ "index", required_argument, NULL, 'i' },                               \
	{ "name", required_argument, NULL, 'n' },                                \
	{ "size", required_argument, NULL, 's' },                                \
	{ "esp-size", required_argument, NULL, CLI_OPT_ESP_SIZE },               \
	{ "seed", required_argument, NULL, CLI_OPT_SEED },                       \
	{ "tmpdir", required_argument, NULL, CLI_OPT_TMPDIR },                   \
	{ "locale", required_argument, NULL, CLI_OPT_LOCALE },                   \
	{ "bcd-from-scratch", no_argument, NULL, CLI_OPT_BCD_FROM_SCRATCH },     \
	{ "force", no_argument, NULL, 'f' }
#define CLI_IMAGE_SHORTOPTS "i:n:s:f"

struct write_options;
struct write_job;
struct write_result;

/* Applies one of CLI_IMAGE_OPTIONS to opt: 0 done, 1 usage error
 * (printed), -1 not one of them. */
int cli_image_option(int c, const char *arg, const char *cmd, struct write_options *opt);
/* The plan before writing, as a table or a {"plan":...} JSON line. */
void cli_print_plan(const struct write_job *job, bool json);
/* The result after writing, as a line or a {"result":...} JSON line. */
void cli_print_result(const struct write_job *job, const struct write_result *r, bool json);

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
