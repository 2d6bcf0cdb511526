/* cli.h - what the command front ends (main.c, cmd_*.c) share.
 *
 * Only these files talk to the user.  Exit status: 0 success, 1 failure,
 * 2 usage error; `probe` says its verdict with 0 (boots), 3 and 4.
 */
#ifndef WINTOGO_CLI_H
#define WINTOGO_CLI_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "wintogo/progress.h"

#define EXIT_OK 0
#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_BOOTS_WITH_CONDITIONS 3
#define EXIT_CANNOT_BOOT 4

/* The version is the VERSION file's, given by the Makefile
 * (-DWINTOGO_VERSION) so that one file names it for the binary, the
 * manifests, the tarball and the Debian package. */
#ifndef WINTOGO_VERSION
#error "WINTOGO_VERSION is defined by the Makefile, from the VERSION file"
#endif

int cmd_info(struct wtg_ctx *ctx, int argc, char **argv);
int cmd_list(struct wtg_ctx *ctx, int argc, char **argv);
int cmd_probe(struct wtg_ctx *ctx, int argc, char **argv);
int cmd_write(struct wtg_ctx *ctx, int argc, char **argv);
int cmd_vm(struct wtg_ctx *ctx, int argc, char **argv);
int cmd_verify(struct wtg_ctx *ctx, int argc, char **argv);
int cmd_speed(struct wtg_ctx *ctx, int argc, char **argv);

struct host;
struct wim_image;

/* Resolves the --host argument of cmd; a name that is no host is a usage
 * error (reported: returns EXIT_USAGE), else 0. */
int cli_parse_host(struct wtg_ctx *ctx, const char *cmd, const char *name, struct host *host_ret);

struct wim_source;

/* `write --host`: probes image for host before anything is written, its
 * boot manager read from source (NULL: not read, as from an ISO not yet
 * copied out), as the disk written with an MBR (mbr) or GPT.  Warns of every condition and blocker; refuses (logged,
 * cannot-boot) a "cannot boot" verdict unless force.  With json, writes a
 * {"probe": ...} line. */
int cli_probe_before_write(struct wtg_ctx *ctx, const char *host_name, const struct host *host,
			   struct wim_source *source, const struct wim_image *image,
			   const char *image_path, bool mbr, bool json, bool force);

/* `info X.vhdx`: the virtual disk, its partitions and their Windows. */
int cli_info_vhdx(struct wtg_ctx *ctx, const char *path, bool json);

/* How the core's messages reach the user: errors and warnings on stderr
 * ("wintogo: MESSAGE"), information unless quiet; with json, the first
 * failure also as one object on stdout when the command ends:
 *
 *   {"error": {"code": "target-too-small", "message": "...", "command": "write",
 *              "exit_status": 1, "details": ["..."]}}
 *
 * (usage errors too, with code "usage").  main.c installs it for every
 * command; a command says with cli_report_set() what its options asked. */
#define CLI_DETAILS_MAX 64
struct cli_report {
	const char *command;
	bool json;
	bool quiet;
	size_t errors;             /* logged so far */
	bool after_error;          /* detail lines belong to the first error */
	bool usage_printed;        /* a usage error went out as JSON already */
	bool error_printed;        /* the failure is in a document printed already */
	char *details[CLI_DETAILS_MAX];
	size_t n_details;
};

void cli_report_init(struct cli_report *r, const char *command, struct wtg_ctx *ctx);
void cli_report_set(struct wtg_ctx *ctx, bool json, bool quiet);
/* The command's exit status, from its own and its failure's code (see
 * wtg_err_exit_status); prints the JSON error object. */
int cli_report_finish(struct cli_report *r, struct wtg_ctx *ctx, int status);
struct json;
/* Writes the failure as the "error" member of j's open object, for a
 * command whose JSON document says the result of a failure too (verify);
 * cli_report_finish() then prints no other. */
void cli_report_json_error(struct wtg_ctx *ctx, struct json *j);
/* Whether the command line asks for --json (before its options are parsed,
 * so that a usage error can be JSON too). */
bool cli_wants_json(int argc, char **argv);

/* s as it may reach a terminal: control characters (C0, DEL, C1) and
 * bytes that are not UTF-8 as \xNN, so that a name from an image, a
 * manifest or a USB stick's firmware cannot move the cursor, retitle
 * the window or hide text.  NULL for NULL.  The result stays valid for
 * the next CLI_TEXT_SLOTS calls. */
#define CLI_TEXT_SLOTS 16
const char *cli_text(const char *s);

/* The test build of wintogo (build/test/wintogo, never installed) takes
 * the context's test hooks from the environment: WINTOGO_SYSFS_ROOT,
 * WINTOGO_DEV_ROOT, WINTOGO_PROC_ROOT, WINTOGO_WRITE_TRACE,
 * WINTOGO_TEST_CORRUPT_OFFSET and WINTOGO_TEST_STAGE_HEADROOM (a size:
 * the tight stage's headroom) (see struct wtg_test_hooks).  In the
 * shipped build this does nothing. */
void cli_test_hooks(struct wtg_ctx *ctx);

/* SIGINT, SIGTERM and SIGHUP ask ctx to abort: the work stops at its next
 * progress report, cleans up and fails with "interrupted" (exit 130). */
void cli_catch_signals(struct wtg_ctx *ctx);

/* Prints "wintogo CMD: MESSAGE" and a hint to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* After getopt has reported a bad option: the hint alone. */
int cli_usage_hint(const char *cmd);
/* A value an option cannot take, said in one line that names both:
 * "wintogo CMD: OPTION wants WANTS, not 'VALUE'"; returns EXIT_USAGE. */
int cli_bad_value(const char *cmd, const char *option, const char *value, const char *wants);

/* One vocabulary for every command (the table of wintogo(1), OPTIONS
 * ACROSS COMMANDS): a short option means the same in each command that
 * has it.  Each getopt_long permutes (options may follow the operands,
 * `--` ends them).  The short options that take a value, for
 * cli_wants_json's scan: */
#define CLI_VALUE_SHORTOPTS "iFHmns"
/* and those that take none */
#define CLI_FLAG_SHORTOPTS "acfhjqy"

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
	CLI_OPT_SECURE_BOOT_CA,
	CLI_OPT_SAN_POLICY,
	CLI_OPT_PORTABLE_FLAG,
	CLI_OPT_DRIVERS,
	CLI_OPT_UNATTEND,
	CLI_OPT_USER,
	CLI_OPT_SKIP_OOBE,
	CLI_OPT_BYPASS_NRO,
	CLI_OPT_TIMEZONE,
	CLI_OPT_COMPUTER_NAME,
	CLI_OPT_PARTITION_TABLE,
	CLI_OPT_FIRST_OWN,  /* commands number their own options from here */
};

#define CLI_IMAGE_OPTIONS                                                        \
	{ "index", required_argument, NULL, 'i' },                               \
	{ "name", required_argument, NULL, 'n' },                                \
	{ "size", required_argument, NULL, 's' },                                \
	{ "esp-size", required_argument, NULL, CLI_OPT_ESP_SIZE },               \
	{ "partition-table", required_argument, NULL, CLI_OPT_PARTITION_TABLE }, \
	{ "seed", required_argument, NULL, CLI_OPT_SEED },                       \
	{ "tmpdir", required_argument, NULL, CLI_OPT_TMPDIR },                   \
	{ "locale", required_argument, NULL, CLI_OPT_LOCALE },                   \
	{ "bcd-from-scratch", no_argument, NULL, CLI_OPT_BCD_FROM_SCRATCH },     \
	{ "sha256", required_argument, NULL, CLI_OPT_SHA256 },                   \
	{ "sha256-file", required_argument, NULL, CLI_OPT_SHA256_FILE },         \
	{ "no-verify", no_argument, NULL, CLI_OPT_NO_VERIFY },                   \
	{ "wim-path", required_argument, NULL, CLI_OPT_WIM_PATH },               \
	{ "secure-boot-ca", required_argument, NULL, CLI_OPT_SECURE_BOOT_CA },   \
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

/* --secure-boot-ca, in write's and vm's help */
#define CLI_SECURE_BOOT_HELP                                                               \
	"      --secure-boot-ca auto|2023|2011  which boot managers go on the ESP:\n"       \
	"                       2023: Windows\\Boot\\EFI_EX, signed under Windows UEFI\n"    \
	"                       CA 2023 (refused when the image has none); 2011:\n"        \
	"                       Windows\\Boot\\EFI; auto (default): 2023 when the\n"        \
	"                       image has it\n"

struct servicing_options;

struct write_options;
struct write_job;
struct write_result;

/* Applies one of CLI_IMAGE_OPTIONS or CLI_SERVICE_OPTIONS to opt: 0 done,
 * 1 usage error (printed), -1 not one of them. */
int cli_write_option(struct wtg_ctx *ctx, int c, const char *arg, const char *cmd,
		     struct write_options *opt);
/* Options given together that cannot be: a usage error (printed). */
bool cli_write_options_conflict(const char *cmd, const struct write_options *opt);

/* A boot manager's Authenticode signature: "signature", "signers" in the
 * JSON object being written; in a few words for people. */
struct authenticode;
struct json;
void cli_signature_json(struct json *j, const struct authenticode *sig);
const char *cli_signature_text(const struct authenticode *sig);

/* A disk about to be erased, on stderr: its size, vendor, model, serial
 * and transport, and what it holds, one line each. */
struct device;
void cli_print_disk(const struct device *d);

/* The plan before writing, as a table or a {"plan":...} JSON line. */
void cli_print_plan(const struct write_job *job, bool json);
/* The strategy --strategy auto chose (write.h), after the plan: one line,
 * or a {"strategy": ...} JSON line; nothing when quiet. */
void cli_print_strategy(const struct write_job *job, bool json, bool quiet);
/* The result after writing, as a line or a {"result":...} JSON line. */
void cli_print_result(const struct write_job *job, const struct write_result *r, bool json);

/* The one sequence of a job that write and vm share:
 *
 *   prepare -> planned() -> the plan shown -> (--dry-run: stop here)
 *           -> confirm() -> run -> the result shown -> done()
 *
 * with progress on the terminal or as JSON lines.  Each step may be NULL;
 * a step that fails (logged) ends the job there.  Returns the exit status. */
struct cli_job_steps {
	bool json, quiet, dry_run;
	/* planned, before the plan is shown: write --host, vm's UTM check */
	int (*planned)(struct wtg_ctx *ctx, struct write_job *job, void *user);
	/* the plan is shown, nothing is written yet: write's typed confirmation */
	int (*confirm)(struct wtg_ctx *ctx, struct write_job *job, void *user);
	/* written and verified: vm's UTM bundle */
	int (*done)(struct wtg_ctx *ctx, struct write_job *job, void *user);
	void *user;
};
int cli_run_job(struct wtg_ctx *ctx, const struct write_options *opt,
		const struct cli_job_steps *steps);

/* write IMAGE TARGET... (cli_batch.c): as cli_run_job, for several
 * targets from one stage (write.h): one plan each, one confirm() for all,
 * then all written at once, each target's messages with its name in
 * front and its progress on a line of its own; every result shown, one
 * JSON result line per target ({"result": {"target": ..., "ok": false,
 * "error": {...}}} for one that failed).  A target refused at the plan is
 * left out and the others written; the exit status is 0 only when every
 * target was written. */
struct write_target;
struct cli_batch_steps {
	bool json, quiet, dry_run;
	int (*planned)(struct wtg_ctx *ctx, struct write_job *first, void *user);
	int (*confirm)(struct wtg_ctx *ctx, struct write_target *targets, size_t n, void *user);
	void *user;
};
int cli_run_batch(struct wtg_ctx *ctx, const struct write_options *opt, const char *const *names, size_t n,
		  const struct cli_batch_steps *steps);

/* A speed measurement (speed.h) as a table: each figure against its
 * threshold, the verdict, each reason on its own line (cli_speed.c). */
struct speed_result;
void cli_print_speed(const char *target, bool is_file, double seconds, const struct speed_result *r);

/* The guided mode (guided.c): `write` on a terminal with IMAGE or TARGET
 * missing asks for them, and for the Windows To Go choices; each answer
 * becomes an option, and the command they make is printed. */
struct cli_guided {
	char **argv;          /* the options the answers gave, NULL-terminated */
	size_t argc, cap;
	char *image, *target;
};
/* Whether there is someone to ask: stdin and stderr are terminals. */
bool cli_guided_possible(void);
/* Fills what opt lacks from the answers (opt points into g afterwards);
 * given[0..n_given) are the options typed, for the command printed.  0,
 * or a logged error (-WTG_ERR_INTERRUPTED for Ctrl-C). */
int cli_guided_write(struct wtg_ctx *ctx, struct cli_guided *g, struct write_options *opt,
		     char **given, int n_given, bool san_policy_given);
void cli_guided_release(struct cli_guided *g);

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

/* Installs the progress_ui as ctx's progress callback. */
void progress_ui_init(struct progress_ui *ui, struct wtg_ctx *ctx, bool json, bool quiet);
/* A wtg_progress_fn: user is the struct progress_ui.  Never aborts. */
enum wtg_progress_status progress_ui_update(const struct progress *p, void *user);
/* Ends the current phase's line (call before printing anything else). */
void progress_ui_finish(struct progress_ui *ui);
/* Ends the bar after a failure: no "done" line, the error says it all. */
void progress_ui_abort(struct progress_ui *ui);

#endif
