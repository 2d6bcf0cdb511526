/* faultinject.c - an LD_PRELOAD library that makes chosen system calls
 * fail, for the tests (tests/faults.t).  Built as build/faultinject.so.
 *
 *     FAULT_PATH=x.img.partial     inject only on fds whose path (readlink of
 *                                  /proc/self/fd/N) contains this
 *     FAULT_CALL=pwrite,fsync      which calls: write pwrite pread read fsync
 *                                  fdatasync fallocate ftruncate copy_file_range
 *     FAULT_NTH=3                  the 3rd matching call is the first to fail
 *                                  (1-based; default 1)
 *     FAULT_TIMES=1                how many calls fail from there (default
 *                                  0: every later one, like a dead disk)
 *     FAULT_ERRNO=ENOSPC           the error (a name or a number; default EIO)
 *     FAULT_SHORT=1                writes: the first failing call writes
 *                                  half of its bytes and returns that count,
 *                                  the later ones write nothing and return 0
 *                                  (a full device that does not say so);
 *                                  reads: half the bytes, then end of file
 *     FAULT_FLIP=1                 reads: succeed, but with their first
 *                                  byte inverted (a disk that lies)
 *     FAULT_DELAY_MS=300           the calls succeed, each after a pause of
 *                                  this many milliseconds (a slow disk, for
 *                                  `wintogo speed`: one would need device
 *                                  mapper's dm-delay, which these machines
 *                                  do not have)
 *     FAULT_PROGRAM=wintogo        inject only in the process of that name
 *                                  (children such as mkntfs inherit the
 *                                  preload; this keeps them out)
 *     FAULT_LOG=file               append one line per injected fault, so
 *                                  that a test can tell it really happened
 *
 * A short write or read leaves errno set to ENXIO, as a stale errno would
 * be: whoever reports it instead of the real reason is caught.
 *
 * Paths are looked up at each call of a wrapped function (one readlink):
 * a cache would go stale when an fd number is closed and reused.  The
 * counter is shared by the threads of a process, not by processes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum call {
	CALL_WRITE,
	CALL_PWRITE,
	CALL_PREAD,
	CALL_READ,
	CALL_FSYNC,
	CALL_FDATASYNC,
	CALL_FALLOCATE,
	CALL_FTRUNCATE,
	CALL_COPY_FILE_RANGE,
	CALL_END,
};

static const char *const call_names[CALL_END] = {
	[CALL_WRITE] = "write",
	[CALL_PWRITE] = "pwrite",
	[CALL_PREAD] = "pread",
	[CALL_READ] = "read",
	[CALL_FSYNC] = "fsync",
	[CALL_FDATASYNC] = "fdatasync",
	[CALL_FALLOCATE] = "fallocate",
	[CALL_FTRUNCATE] = "ftruncate",
	[CALL_COPY_FILE_RANGE] = "copy_file_range",
};

enum verdict { PASS, FAIL, SHORT_FIRST, SHORT_LATER, FLIP };

static unsigned long matched;

static bool call_listed(enum call c)
{
	const char *list = getenv("FAULT_CALL"), *name = call_names[c];
	size_t n = strlen(name);

	if (!list)
		return false;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && !memcmp(p, name, n))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

#define REAL(name) ((__typeof__(&name))real_symbol(#name))

static void *real_symbol(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f) {
		static const char msg[] = "faultinject: a wrapped call is missing\n";

		/* not write(): that is wrapped here */
		(void)!syscall(SYS_write, 2, msg, sizeof(msg) - 1);
		abort();
	}
	return f;
}

static bool program_matches(void)
{
	const char *want = getenv("FAULT_PROGRAM");
	char comm[64] = "";
	ssize_t n = 0;
	int fd;

	if (!want || !*want || !strcmp(program_invocation_short_name, want))
		return true;
	fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = REAL(read)(fd, comm, sizeof(comm) - 1);
		close(fd);
	}
	if (n > 0 && comm[n - 1] == '\n')
		n--;
	comm[n > 0 ? n : 0] = '\0';
	return !strcmp(comm, want);
}

static bool path_matches(int fd, char *path, size_t size)
{
	const char *want = getenv("FAULT_PATH");
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, size - 1);
	path[n > 0 ? n : 0] = '\0';
	return n > 0 && (!want || strstr(path, want));
}

static int fault_errno(void)
{
	static const struct { const char *name; int value; } names[] = {
		{ "EIO", EIO }, { "ENOSPC", ENOSPC }, { "EINTR", EINTR }, { "EDQUOT", EDQUOT },
		{ "EFBIG", EFBIG }, { "EROFS", EROFS }, { "EACCES", EACCES }, { "ENXIO", ENXIO },
		{ "EINVAL", EINVAL }, { "EOPNOTSUPP", EOPNOTSUPP }, { "EXDEV", EXDEV },
	};
	const char *e = getenv("FAULT_ERRNO");

	if (!e || !*e)
		return EIO;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(e, names[i].name))
			return names[i].value;
	return atoi(e) > 0 ? atoi(e) : EIO;
}

static unsigned long env_number(const char *name, unsigned long fallback)
{
	const char *v = getenv(name);

	return v && *v ? strtoul(v, NULL, 10) : fallback;
}

static void note(enum call c, const char *path, const char *what)
{
	const char *log = getenv("FAULT_LOG");
	char line[4200];
	int fd, len;

	if (!log || !*log)
		return;
	len = snprintf(line, sizeof(line), "%s %s %s %s\n", program_invocation_short_name, call_names[c], what, path);
	if (len <= 0)
		return;
	if (len >= (int)sizeof(line))
		len = (int)sizeof(line) - 1;
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void)!REAL(write)(fd, line, (size_t)len);
		close(fd);
	}
}

/* What the call c on fd does: pass through, or one of the faults. */
static enum verdict judge(enum call c, int fd)
{
	char path[4096];
	unsigned long n, nth, times;
	bool writes = c == CALL_WRITE || c == CALL_PWRITE || c == CALL_COPY_FILE_RANGE;
	bool reads = c == CALL_READ || c == CALL_PREAD;
	enum verdict v;

	if (!call_listed(c) || !path_matches(fd, path, sizeof(path)) || !program_matches())
		return PASS;
	n = __atomic_add_fetch(&matched, 1, __ATOMIC_SEQ_CST);
	nth = env_number("FAULT_NTH", 1);
	times = env_number("FAULT_TIMES", 0);
	if (n < nth || (times && n >= nth + times))
		return PASS;
	if (env_number("FAULT_DELAY_MS", 0)) {
		unsigned long ms = env_number("FAULT_DELAY_MS", 0);
		struct timespec pause = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };

		note(c, path, "delay");
		while (nanosleep(&pause, &pause) < 0 && errno == EINTR)
			;
		return PASS;
	}
	v = FAIL;
	if ((writes || reads) && env_number("FAULT_SHORT", 0))
		v = n == nth ? SHORT_FIRST : SHORT_LATER;
	else if (reads && env_number("FAULT_FLIP", 0))
		v = FLIP;
	note(c, path, v == FAIL ? (getenv("FAULT_ERRNO") ? getenv("FAULT_ERRNO") : "EIO") :
		      v == FLIP ? "flip" : v == SHORT_FIRST ? "short" : "nothing");
	return v;
}

static ssize_t fail(void)
{
	errno = fault_errno();
	return -1;
}

/* A short transfer: count bytes done, errno left as a stale one would be. */
static ssize_t short_result(ssize_t n)
{
	if (n >= 0)
		errno = ENXIO;
	return n;
}

static ssize_t do_pwrite(int fd, const void *buf, size_t len, off_t offset)
{
	switch (judge(CALL_PWRITE, fd)) {
	case FAIL:
		return fail();
	case SHORT_FIRST:
		return short_result(REAL(pwrite)(fd, buf, len / 2, offset));
	case SHORT_LATER:
		return short_result(0);
	default:
		return REAL(pwrite)(fd, buf, len, offset);
	}
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t offset)
{
	return do_pwrite(fd, buf, len, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t len, off_t offset)
{
	return do_pwrite(fd, buf, len, offset);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	switch (judge(CALL_WRITE, fd)) {
	case FAIL:
		return fail();
	case SHORT_FIRST:
		return short_result(REAL(write)(fd, buf, len / 2));
	case SHORT_LATER:
		return short_result(0);
	default:
		return REAL(write)(fd, buf, len);
	}
}

static ssize_t flip(ssize_t n, void *buf)
{
	if (n > 0)
		((unsigned char *)buf)[0] ^= 0xff;
	return n;
}

static ssize_t do_pread(int fd, void *buf, size_t len, off_t offset)
{
	switch (judge(CALL_PREAD, fd)) {
	case FAIL:
		return fail();
	case SHORT_FIRST:
		return short_result(REAL(pread)(fd, buf, len / 2, offset));
	case SHORT_LATER:
		return short_result(0);
	case FLIP:
		return flip(REAL(pread)(fd, buf, len, offset), buf);
	default:
		return REAL(pread)(fd, buf, len, offset);
	}
}

ssize_t pread(int fd, void *buf, size_t len, off_t offset)
{
	return do_pread(fd, buf, len, offset);
}

ssize_t pread64(int fd, void *buf, size_t len, off_t offset)
{
	return do_pread(fd, buf, len, offset);
}

ssize_t read(int fd, void *buf, size_t len)
{
	switch (judge(CALL_READ, fd)) {
	case FAIL:
		return fail();
	case SHORT_FIRST:
		return short_result(REAL(read)(fd, buf, len / 2));
	case SHORT_LATER:
		return short_result(0);
	case FLIP:
		return flip(REAL(read)(fd, buf, len), buf);
	default:
		return REAL(read)(fd, buf, len);
	}
}

int fsync(int fd)
{
	return judge(CALL_FSYNC, fd) == PASS ? REAL(fsync)(fd) : (int)fail();
}

int fdatasync(int fd)
{
	return judge(CALL_FDATASYNC, fd) == PASS ? REAL(fdatasync)(fd) : (int)fail();
}

static int do_fallocate(int fd, int mode, off_t offset, off_t len)
{
	return judge(CALL_FALLOCATE, fd) == PASS ? REAL(fallocate)(fd, mode, offset, len) : (int)fail();
}

int fallocate(int fd, int mode, off_t offset, off_t len)
{
	return do_fallocate(fd, mode, offset, len);
}

int fallocate64(int fd, int mode, off_t offset, off_t len)
{
	return do_fallocate(fd, mode, offset, len);
}

static int do_ftruncate(int fd, off_t len)
{
	return judge(CALL_FTRUNCATE, fd) == PASS ? REAL(ftruncate)(fd, len) : (int)fail();
}

int ftruncate(int fd, off_t len)
{
	return do_ftruncate(fd, len);
}

int ftruncate64(int fd, off_t len)
{
	return do_ftruncate(fd, len);
}

/* Judged by the file written to (a fault on the source is a read fault). */
ssize_t copy_file_range(int in, loff_t *in_off, int out, loff_t *out_off, size_t len, unsigned int flags)
{
	switch (judge(CALL_COPY_FILE_RANGE, out)) {
	case FAIL:
		return fail();
	case SHORT_FIRST:
		return short_result(REAL(copy_file_range)(in, in_off, out, out_off, len / 2, flags));
	case SHORT_LATER:
		return short_result(0);
	default:
		return REAL(copy_file_range)(in, in_off, out, out_off, len, flags);
	}
}
