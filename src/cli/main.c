/* main.c - the command table, global options and exit status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wimlib.h>

#include "wintogo/cli.h"
#include "wintogo/util.h"

struct command {
	const char *name;
	int (*run)(struct wtg_ctx *ctx, int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "list", cmd_list, "list the disks that could be targets, and why each is safe or not" },
	{ "info", cmd_info, "show the images inside a WIM, ESD or split SWM set, a Windows ISO or a VHDX" },
	{ "probe", cmd_probe, "tell whether a disk boots on a machine (a Mac, a PC), and why not" },
	{ "write", cmd_write, "write an image to a disk or disk image as a bootable Windows To Go disk" },
	{ "vm", cmd_vm, "make a QCOW2, VHDX or raw VM disk, and a UTM bundle, from an image or disk" },
	{ "verify", cmd_verify, "check a disk wintogo wrote against its manifest, again" },
	{ "speed", cmd_speed, "measure a disk's speed: will Windows run well, slowly or painfully from it" },
};

static void usage(FILE *out)
{
	fputs("Usage: wintogo [--version] [--help] COMMAND [ARGS]\n"
	      "       wintogo help [COMMAND]\n"
	      "\n"
	      "Write portable Windows (Windows To Go) disks from a Windows image.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Run 'wintogo COMMAND --help' for a command's options, and\n"
	      "'wintogo help COMMAND' (or 'man wintogo-COMMAND') for its manual.\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 usage error, 5 the target does not\n"
	      "hold what was written, 130 interrupted; probe's verdicts are 0 boots,\n"
	      "3 boots with conditions, 4 cannot boot.  With --json a failure is also\n"
	      "one {\"error\": {\"code\": ...}} object on stdout (see wintogo(1)).\n", out);
}

/* Output that could not be written is a failure, not a silent success. */
static int close_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno != EPIPE)
			fprintf(stderr, "wintogo: cannot write output: %s\n", strerror(errno));
		return status ? status : EXIT_FAILED;
	}
	return status;
}

/* One context for the command: messages through the report, the data
 * folder the user may name, signals that stop the work. */
static void say_fatal(const char *what)
{
	fprintf(stderr, "wintogo: %s\n", what);
}

static int run_command(const struct command *cmd, int argc, char **argv)
{
	struct wtg_ctx ctx;
	struct cli_report report;
	char *prog;
	int status;

	/* Windows paths in images are case-blind, as on Windows */
	if (wimlib_global_init(WIMLIB_INIT_FLAG_DEFAULT_CASE_INSENSITIVE)) {
		fputs("wintogo: cannot initialise wimlib\n", stderr);
		return EXIT_FAILED;
	}
	util_set_fatal_handler(say_fatal);
	wtg_ctx_init(&ctx);
	cli_report_init(&report, cmd->name, &ctx);
	report.json = cli_wants_json(argc, argv);
	/* where the Mac model table is, for a wintogo that is not installed */
	wtg_ctx_set_datadir(&ctx, getenv("WINTOGO_DATADIR"));
	cli_test_hooks(&ctx);
	cli_catch_signals(&ctx);
	/* getopt names the program in its messages: "wintogo info: ..." */
	prog = xasprintf("wintogo %s", cmd->name);
	argv[0] = prog;
	status = cmd->run(&ctx, argc, argv);
	status = close_stdout(cli_report_finish(&report, &ctx, status));
	free(prog);
	wtg_ctx_release(&ctx);
	wimlib_global_cleanup();
	return status;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* Whether man has the page: `man -w PAGE` says so by its exit status.
 * man runs as itself (execvp, no shell), its output thrown away. */
static bool man_has_page(const char *page)
{
	char *const argv[] = { "man", "-w", (char *)page, NULL };
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* `wintogo help COMMAND`: its manual page, as git shows its own (man
 * wintogo-COMMAND in place of this process); its --help when there is no
 * man, or no page (a wintogo run from its build tree). */
static int help_command(const char *name)
{
	const struct command *cmd = find_command(name);
	char *page, *help_argv[] = { (char *)name, "--help", NULL };

	if (!cmd) {
		fprintf(stderr, "wintogo: '%s' is not a command; see 'wintogo help'\n", name);
		return EXIT_USAGE;
	}
	page = xasprintf("wintogo-%s", cmd->name);
	if (man_has_page(page)) {
		char *const man_argv[] = { "man", page, NULL };

		fflush(NULL);
		execvp(man_argv[0], man_argv);
		/* man went away between the two: the help is still there */
	}
	free(page);
	return run_command(cmd, 2, help_argv);
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	const struct command *cmd;

	if (!name) {
		/* someone at a terminal who typed just the name wants a disk:
		 * write's guided mode asks what for; a script gets the usage */
		if (cli_guided_possible()) {
			char *write_argv[] = { "write", NULL };

			return run_command(find_command("write"), 1, write_argv);
		}
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(name, "help") && argc > 3) {
		fputs("wintogo: 'help' takes one COMMAND; see 'wintogo help'\n", stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(name, "help") && argc == 3)
		return help_command(argv[2]);
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return close_stdout(EXIT_OK);
	}
	if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
		printf("wintogo %s (wimlib %s)\n", WINTOGO_VERSION, wimlib_get_version_string());
		return close_stdout(EXIT_OK);
	}
	cmd = find_command(name);
	if (cmd)
		return run_command(cmd, argc - 1, argv + 1);
	fprintf(stderr, "wintogo: '%s' is not a command; see 'wintogo help'\n", name);
	return EXIT_USAGE;
}
