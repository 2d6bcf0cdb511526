/* main.c - the command table, global options and exit status. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wimlib.h>

#include "wintogo/cli.h"
#include "wintogo/util.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "list", cmd_list, "list the disks that could be targets, and why each is safe or not" },
	{ "info", cmd_info, "show the images inside a WIM, ESD or split SWM set, a Windows ISO or a VHDX" },
	{ "probe", cmd_probe, "tell whether a disk boots on a machine (a Mac, a PC), and why not" },
	{ "write", cmd_write, "write an image to a disk or disk image as a bootable Windows To Go disk" },
	{ "vm", cmd_vm, "make a QCOW2, VHDX or raw VM disk, and a UTM bundle, from an image or disk" },
	{ "verify", cmd_verify, "check a disk wintogo wrote against its manifest, again" },
};

static void usage(FILE *out)
{
	fputs("Usage: wintogo [--version] [--help] COMMAND [ARGS]\n"
	      "\n"
	      "Write portable Windows (Windows To Go) disks from a Windows image.\n"
	      "\n"
	      "Commands:\n", out);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\n"
	      "Run 'wintogo COMMAND --help' for a command's options, and\n"
	      "'man wintogo-COMMAND' for its manual.\n"
	      "\n"
	      "Exit status: 0 success, 1 failure, 2 usage error; probe's verdicts are\n"
	      "0 boots, 3 boots with conditions, 4 cannot boot; 130 interrupted.\n", out);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "wintogo %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return cli_usage_hint(cmd);
}

int cli_usage_hint(const char *cmd)
{
	fprintf(stderr, "Try 'wintogo %s --help'.\n", cmd);
	return EXIT_USAGE;
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

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : NULL;
	int status;

	if (!name) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
		usage(stdout);
		return close_stdout(EXIT_OK);
	}
	if (!strcmp(name, "--version")) {
		printf("wintogo %s (wimlib %s)\n", WINTOGO_VERSION, wimlib_get_version_string());
		return close_stdout(EXIT_OK);
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(name, commands[i].name))
			continue;
		/* Windows paths in images are case-blind, as on Windows */
		if (wimlib_global_init(WIMLIB_INIT_FLAG_DEFAULT_CASE_INSENSITIVE)) {
			fputs("wintogo: cannot initialise wimlib\n", stderr);
			return EXIT_FAILED;
		}
		/* getopt names the program in its messages: "wintogo info: ..." */
		argv[1] = xasprintf("wintogo %s", name);
		status = commands[i].run(argc - 1, argv + 1);
		free(argv[1]);
		wimlib_global_cleanup();
		return close_stdout(status);
	}
	fprintf(stderr, "wintogo: '%s' is not a command; see 'wintogo --help'\n", name);
	return EXIT_USAGE;
}
