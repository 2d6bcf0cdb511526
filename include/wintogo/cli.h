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
#define EXIT_INTERRUPTED 130  /* Ctrl-C, as a shell reports it */
#define EXIT_BOOTS_WITH_CONDITIONS 3
#define EXIT_CANNOT_BOOT 4

#define WINTOGO_VERSION "0.1.0"

int cmd_info(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_vm(int argc, char **argv);
int cmd_verify(int argc, char **argv);

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
	CLI_OPT_SHA256,
	CLI_OPT_SHA256_FILE,
	CLI_OPT_NO_VERIFY,
	CLI_OPT_WIM_PATH,
	CLI_OPT_SAN_POLICY,
	CLI_OPT_PORTABLE_FLAG,
	CLI_OPT_DRIVERS,
	CLI_OPT_UNATTEND,
	CLI_OPT_USER,
	CLI_OPT_SKIP_OOBE,
	CLI_OPT_BYPASS_NRO,
	CLI_OPT_TIMEZONE,
	CLI_OPT_COMPUTER_NAME,
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
	{ "sha256", required_argument, NULL, CLI_OPT_SHA256 },                   \
	{ "sha256-file", required_argument, NULL, CLI_OPT_SHA256_FILE },         \
	{ "no-verify", no_argument, NULL, CLI_OPT_NO_VERIFY },                   \
	{ "wim-path", required_argument, NULL, CLI_OPT_WIM_PATH },               \
	{ "force", no_argument, NULL, 'f' }
#define CLI_IMAGE_SHORTOPTS "i:n:s:f"

/* The changes to Windows that write (and vm) make before applying. */
#define CLI_SERVICE_OPTIONS                                                      \
	{ "san-policy", required_argument, NULL, CLI_OPT_SAN_POLICY },           \
	{ "portable-flag", no_argument, NULL, CLI_OPT_PORTABLE_FLAG },           \
	{ "drivers", required_argument, NULL, CLI_OPT_DRIVERS },                 \
	{ "unattend", required_argument, NULL, CLI_OPT_UNATTEND },               \
	{ "user", required_argument, NULL, CLI_OPT_USER },                       \
	{ "skip-oobe", no_argument, NULL, CLI_OPT_SKIP_OOBE },                   \
	{ "bypass-nro", no_argument, NULL, CLI_OPT_BYPASS_NRO },                 \
	{ "timezone", required_argument, NULL, CLI_OPT_TIMEZONE },               \
	{ "computer-name", required_argument, NULL, CLI_OPT_COMPUTER_NAME }

#define CLI_SERVICE_HELP                                                                   \
	"      --san-policy POLICY  offline-internal: the PC's internal disks stay\n"         \
	"                       offline; online-all: all come online\n"                      \
	"      --portable-flag  mark Windows as Windows To Go (PortableOperatingSystem):\n"   \
	"                       no hibernation, no feature updates, no reset\n"              \
	"      --drivers DIR|ARCHIVE  add the driver packages (folders with a .inf) of\n"    \
	"                       DIR or of a zip, cab, tar or 7z archive; Windows\n"          \
	"                       installs them at first boot (not boot-critical ones)\n"      \
	"      --unattend FILE  use FILE as Windows\\Panther\\unattend.xml, as it is\n"       \
	"      --user NAME      make local administrator NAME, with an empty password\n"     \
	"                       to be changed at first logon\n"                              \
	"      --skip-oobe      hide the license page, send the least data\n"                \
	"      --bypass-nro     let setup finish without a network connection\n"            \
	"      --timezone ZONE  a Windows time zone ('tzutil /l' names), or host\n"         \
	"      --computer-name NAME  the computer's name (at most 15 characters)\n"

struct servicing_options;

struct write_options;
struct write_job;
struct write_result;

/* Applies one of CLI_IMAGE_OPTIONS or CLI_SERVICE_OPTIONS to opt: 0 done,
 * 1 usage error (printed), -1 not one of them. */
int cli_write_option(int c, const char *arg, const char *cmd, struct write_options *opt);
/* Options given together that cannot be: a usage error (printed). */
bool cli_write_options_conflict(const char *cmd, const struct write_options *opt);

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
