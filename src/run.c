/* run.c - external programs run with argv arrays (see run.h). */
#include "wintogo/run.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

#define STDERR_KEEP 2048

/* The child's stderr, one line: newlines become "; ". */
static void read_stderr(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	char scratch[512];

	while ((n = read(fd, len < size - 1 ? buf + len : scratch,
			 len < size - 1 ? size - 1 - len : sizeof(scratch))) > 0 ||
	       (n < 0 && errno == EINTR)) {
		if (n > 0 && len < size - 1)
			len += (size_t)n;
	}
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		len--;
	buf[len] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n')
			*p = ';';
}

/* All of fd from its start, NUL-terminated. */
static int read_all(struct wtg_ctx *ctx, int fd, const char *what, char **text_ret, size_t *len_ret)
{
	size_t len = 0, size = 4096;
	char *text = xmalloc(size);
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, text + len, size - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(text);
			return log_syserr(ctx, errno, "%s failed: cannot read its output", what);
		}
		len += (size_t)n;
		if (size - 1 - len == 0)
			text = xrealloc(text, size *= 2);
	}
	text[len] = '\0';
	*text_ret = text;
	*len_ret = len;
	return 0;
}

/* The program's messages name its file RUN_FILE_PATH: put back the name
 * the file has (as the kernel knows it), for the user. */
static void name_the_file(int file_fd, char text[STDERR_KEEP])
{
	char link[64], name[PATH_MAX], out[STDERR_KEEP];
	const char *p = text, *hit;
	size_t len = 0;
	ssize_t n;

	if (file_fd < 0 || !strstr(text, RUN_FILE_PATH))
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", file_fd);
	n = readlink(link, name, sizeof(name) - 1);
	if (n <= 0)
		return;
	name[n] = '\0';
	while ((hit = strstr(p, RUN_FILE_PATH)) && len < sizeof(out) - 1) {
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%.*s'%s'", (int)(hit - p), p, name);
		p = hit + strlen(RUN_FILE_PATH);
	}
	if (len < sizeof(out) - 1)
		snprintf(out + len, sizeof(out) - len, "%s", p);
	snprintf(text, STDERR_KEEP, "%s", out);
}

/* In the child: file_fd becomes RUN_FILE_FD, open across exec (dup2
 * clears close-on-exec; when it is that number already, clear it). */
static int hand_over(int file_fd)
{
	if (file_fd < 0)
		return 0;
	if (file_fd == RUN_FILE_FD)
		return fcntl(RUN_FILE_FD, F_SETFD, 0);
	return dup2(file_fd, RUN_FILE_FD) < 0 ? -1 : 0;
}

/* Runs argv with its stdout going to out_fd (or /dev/null when -1) and
 * file_fd (unless -1) as RUN_FILE_FD; *status_ret gets its exit status,
 * err_text its stderr.  A program that cannot be started or is killed is
 * an error (logged). */
static int run(struct wtg_ctx *ctx, const char *what, const char *const argv[], const char *const env[], int file_fd,
	       int out_fd, int *status_ret, char err_text[STDERR_KEEP])
{
	int pipefd[2], status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return log_syserr(ctx, errno, "%s failed: cannot make a pipe", what);
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return log_syserr(ctx, errno, "%s failed: cannot start %s", what, argv[0]);
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		dup2(devnull, STDIN_FILENO);
		dup2(out_fd >= 0 ? out_fd : devnull, STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		if (hand_over(file_fd) < 0) {
			dprintf(STDERR_FILENO, "cannot hand its file to %s: %s", argv[0], strerror(errno));
			_exit(127);
		}
		for (size_t i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execvp(argv[0], (char *const *)argv);
		/* into the pipe, which the parent puts in its message */
		dprintf(STDERR_FILENO, "cannot run %s: %s (is it installed? run 'make deps')",
			argv[0], strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	read_stderr(pipefd[0], err_text, STDERR_KEEP);
	name_the_file(file_fd, err_text);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return log_syserr(ctx, errno, "%s failed: cannot wait for %s", what, argv[0]);
	}
	/* killed with the job (Ctrl-C reaches the child too): interrupted */
	if (WIFSIGNALED(status))
		return log_error(ctx, WTERMSIG(status) == SIGINT || WTERMSIG(status) == SIGTERM ||
				 WTERMSIG(status) == SIGHUP ? WTG_ERR_INTERRUPTED : WTG_ERR_TOOL_FAILED,
				 "%s failed: %s was killed by signal %d%s%s", what,
				 argv[0], WTERMSIG(status), *err_text ? ": " : "", err_text);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return log_error(ctx, WTG_ERR_TOOL_FAILED, "%s failed: %s", what, err_text);
	*status_ret = WEXITSTATUS(status);
	return 0;
}

/* A non-zero exit status is a failure, with the program's stderr. */
static int must_succeed(struct wtg_ctx *ctx, const char *what, const char *program, int ret, int status,
			const char *err_text)
{
	if (ret < 0 || status == 0)
		return ret;
	return log_error(ctx, WTG_ERR_TOOL_FAILED, "%s failed: %s exited with %d%s%s", what, program, status,
			 *err_text ? ": " : "", err_text);
}

int run_program(struct wtg_ctx *ctx, const char *what, const char *const argv[], const char *const env[],
		int file_fd)
{
	char err_text[STDERR_KEEP];
	int status = 0, ret = run(ctx, what, argv, env, file_fd, -1, &status, err_text);

	return must_succeed(ctx, what, argv[0], ret, status, err_text);
}

int run_program_status(struct wtg_ctx *ctx, const char *what, const char *const argv[], const char *const env[],
		       int file_fd, int *status_ret)
{
	char err_text[STDERR_KEEP];

	return run(ctx, what, argv, env, file_fd, -1, status_ret, err_text);
}

int run_program_output(struct wtg_ctx *ctx, const char *what, const char *const argv[], const char *const env[],
		       int file_fd, char **out_ret, size_t *len_ret)
{
	/* a memory file, not a pipe: a large output cannot block the child */
	int fd = memfd_create("wintogo-output", MFD_CLOEXEC), status = 0, ret;
	char err_text[STDERR_KEEP];

	if (fd < 0)
		return log_syserr(ctx, errno, "%s failed: cannot make a file for its output", what);
	ret = must_succeed(ctx, what, argv[0], run(ctx, what, argv, env, file_fd, fd, &status, err_text), status,
			   err_text);
	if (!ret)
		ret = read_all(ctx, fd, what, out_ret, len_ret);
	close(fd);
	return ret;
}
