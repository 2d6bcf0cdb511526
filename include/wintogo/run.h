/* run.h - running the standard external programs (mkntfs, mkfs.fat,
 * mtools) with argv arrays, never through a shell.
 *
 * The file a program works on is handed to it open, as file descriptor
 * RUN_FILE_FD, and named RUN_FILE_PATH on its command line: a name of
 * ours (a user's --tmpdir, an image called "-x" or "d$(touch X).img")
 * never reaches its option parser, nor the shell mtools expands image
 * names with, and the program works on the very file we opened. */
#ifndef WINTOGO_RUN_H
#define WINTOGO_RUN_H

#include "wintogo/ctx.h"

#include <stddef.h>

#define RUN_FILE_FD 3
#define RUN_FILE_PATH "/proc/self/fd/3"

/* Runs argv[0] (looked up in PATH) with the given NULL-terminated argv and
 * extra environment entries ("NAME=value", NULL-terminated, may be NULL).
 * Its stdout is discarded; its stderr is kept.  On failure logs
 * "WHAT failed: PROGRAM exited with N: <its stderr>" and returns
 * -WTG_ERR_TOOL_FAILED (also when it cannot be found or dies of a signal;
 * killed by SIGINT, SIGTERM or SIGHUP it is -WTG_ERR_INTERRUPTED).
 * file_fd, unless -1, is handed over as RUN_FILE_FD. */
int run_program(struct wtg_ctx *ctx, const char *what, const char *const argv[], const char *const env[],
		int file_fd);

/* The same, keeping its stdout: *out_ret (NUL-terminated, *len_ret bytes
 * before the NUL; free it). */
int run_program_output(struct wtg_ctx *ctx, const char *what, const char *const argv[], const char *const env[],
		       int file_fd, char **out_ret, size_t *len_ret);

/* As run_program, but an exit status other than 0 is no error: it goes to
 * *status_ret (for programs whose failure is an answer, such as mcopy of a
 * file that may be missing).  Fails (logged) only when the program cannot
 * be run or is killed. */
int run_program_status(struct wtg_ctx *ctx, const char *what, const char *const argv[], const char *const env[],
		       int file_fd, int *status_ret);

#endif
