/* speed.c - measuring a disk's speed (see speed.h; the verdict is in
 * speed_verdict.c). */
#include "wintogo/speed.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

/* progress at most this often: the callback may draw on a terminal */
#define REPORT_NS 50000000LL

static const enum progress_phase progress_phases[SPEED_TEST_COUNT] = {
	[SPEED_SEQ_READ] = PROGRESS_SEQ_READ,
	[SPEED_RANDOM_READ] = PROGRESS_RANDOM_READ,
	[SPEED_SEQ_WRITE] = PROGRESS_SEQ_WRITE,
	[SPEED_RANDOM_WRITE] = PROGRESS_RANDOM_WRITE,
};

/* The disk open as t->fd, judged by its device number. */
static int judge_disk(struct wtg_ctx *ctx, struct speed_target *t, dev_t devno, const char *input)
{
	struct device_roots roots;
	struct device_context dc = { .image = input };
	struct device *d;
	int ret;

	device_roots_default(ctx, &roots);
	ret = device_find_devno(ctx, &roots, &dc, devno, t->path, &t->devices, &d);
	if (ret < 0)
		return ret;
	t->device = d;
	/* reading a write-protected stick harms nothing */
	if (d->verdict == DEVICE_READ_ONLY && !t->writable)
		return 0;
	if (d->verdict != DEVICE_OK)
		return log_error(ctx, device_verdict_error(d->verdict), "refusing to measure %s: %s", d->path, d->reason);
	return 0;
}

static int open_direct(struct wtg_ctx *ctx, struct speed_target *t, bool disk)
{
	int flags = (t->writable ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC | O_NOCTTY;

	/* O_EXCL without O_CREAT means "exclusively" for a block device only:
	 * the kernel then refuses a mounted disk, and any mount meanwhile */
	t->fd = open(t->path, flags | (disk ? O_EXCL : 0));
	if (t->fd < 0 && errno == EBUSY)
		return log_error(ctx, WTG_ERR_DISK_IN_USE, "'%s' is in use (mounted, or open in another program); close or unmount it first",
				 t->path);
	if (t->fd < 0 && errno == EINVAL)
		return log_error(ctx, WTG_ERR_UNSUPPORTED, "'%s' cannot be opened with O_DIRECT (a tmpfs file?); measure a disk, or a file on a disk's file system",
				 t->path);
	if (t->fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s' to measure it", t->path);
	return 0;
}

int speed_open(struct wtg_ctx *ctx, const char *path, bool for_write, const char *input,
	       struct speed_target **target_ret)
{
	struct speed_target *t = xcalloc(1, sizeof(*t));
	struct stat before, sb;
	char size[SIZE_TEXT_MAX];
	int ret, lbs = 0;

	t->fd = -1;
	t->path = xstrdup(path);
	t->writable = for_write;
	if (stat(path, &before) < 0) {
		ret = errno == ENOENT ? log_error(ctx, WTG_ERR_NOT_FOUND, "'%s' does not exist; give a disk (see `wintogo list`) or a file",
						  path)
				      : log_syserr(ctx, errno, "cannot look at '%s'", path);
		goto out;
	}
	if (!S_ISBLK(before.st_mode) && !S_ISREG(before.st_mode)) {
		ret = log_error(ctx, WTG_ERR_TARGET_INVALID, "'%s' is neither a disk nor a file; give a disk (see `wintogo list`)",
				path);
		goto out;
	}
	ret = open_direct(ctx, t, S_ISBLK(before.st_mode));
	if (ret < 0)
		goto out;
	/* what was opened is judged, not what the name meant a moment ago */
	if (fstat(t->fd, &sb) < 0) {
		ret = log_syserr(ctx, errno, "cannot look at '%s'", path);
		goto out;
	}
	if ((sb.st_mode & S_IFMT) != (before.st_mode & S_IFMT)) {
		ret = log_error(ctx, WTG_ERR_DISK_CHANGED, "'%s' changed while it was opened; try again", path);
		goto out;
	}
	t->is_file = S_ISREG(sb.st_mode);
	if (t->is_file) {
		t->size = (uint64_t)sb.st_size;
		t->block_size = 4096;
	} else {
		ret = judge_disk(ctx, t, sb.st_rdev, input);
		if (ret < 0)
			goto out;
		if (ioctl(t->fd, BLKGETSIZE64, &t->size) < 0 || ioctl(t->fd, BLKSSZGET, &lbs) < 0 || lbs <= 0) {
			ret = log_syserr(ctx, errno, "cannot read the size of %s", path);
			goto out;
		}
		t->block_size = (unsigned)lbs;
	}
	if (t->size < SPEED_MIN_BYTES) {
		ret = log_error(ctx, WTG_ERR_TARGET_TOO_SMALL, "'%s' has %s; at least 16 MiB are needed to measure anything",
				path, format_size(t->size, size));
		goto out;
	}
	if (t->is_file) {
		/* a hole reads as zeros with no I/O at all: its "speed" would be
		 * the CPU's, and the verdict a lie */
		off_t hole = lseek(t->fd, 0, SEEK_HOLE);

		if (hole >= 0 && (uint64_t)hole < t->size) {
			ret = log_error(ctx, WTG_ERR_TARGET_INVALID,
					"'%s' has holes (a sparse file): reading them measures nothing; fill it first "
					"(dd if=/dev/urandom of=FILE bs=1M count=MIB) or give a disk",
					path);
			goto out;
		}
	}
	*target_ret = t;
	t = NULL;
out:
	speed_close(t);
	return ret;
}

void speed_close(struct speed_target *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	device_list_release(&t->devices);
	free(t->path);
	free(t);
}

/* splitmix64: small, fast, and the same sequence from the same seed */
static uint64_t next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct run {
	struct wtg_ctx *ctx;
	struct speed_target *t;
	uint64_t random_block;   /* SPEED_RANDOM_BLOCK, or the logical block when larger */
	unsigned char *read_buf;
	unsigned char *write_buf;  /* random bytes, each block stamped before it goes */
	uint64_t state;          /* the PRNG */
	uint64_t stamp;          /* how many blocks were written */
	uint64_t *lat;           /* every I/O's latency in ns, of the current phase */
	size_t lat_cap;
};

static void keep_latency(struct run *r, uint64_t ops, uint64_t ns)
{
	if (ops >= r->lat_cap) {
		r->lat_cap = r->lat_cap ? 2 * r->lat_cap : 65536;
		r->lat = xrealloc(r->lat, r->lat_cap * sizeof(*r->lat));
	}
	r->lat[ops] = ns;
}

/* Makes every block of buf[0..len) unlike any written before. */
static void stamp_blocks(struct run *r, unsigned char *buf, size_t len)
{
	for (size_t at = 0; at + sizeof(uint64_t) <= len; at += SPEED_RANDOM_BLOCK) {
		uint64_t v = ++r->stamp ^ 0xa5a5a5a5a5a5a5a5ULL;

		memcpy(buf + at, &v, sizeof(v));
	}
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int io_failed(struct run *r, bool write, ssize_t n, uint64_t offset)
{
	if (n < 0)
		return log_syserr(r->ctx, errno, "cannot %s '%s' at byte %llu", write ? "write" : "read",
				  r->t->path, (unsigned long long)offset);
	return log_error(r->ctx, WTG_ERR_IO, "'%s' %s only %zd bytes at byte %llu; is the disk failing?", r->t->path,
			 write ? "wrote" : "read", n, (unsigned long long)offset);
}

static int run_phase(struct run *r, enum speed_test test, double budget, struct speed_phase *ph)
{
	bool write = test == SPEED_SEQ_WRITE || test == SPEED_RANDOM_WRITE;
	bool random = test == SPEED_RANDOM_READ || test == SPEED_RANDOM_WRITE;
	uint64_t len = random ? r->random_block : SPEED_SEQ_BLOCK, blocks = r->t->size / len;
	uint64_t ops = 0, bytes = 0, seq_offset = 0;
	int64_t start = now_ns(), deadline = start + (int64_t)(budget * 1e9), next_report = start, end;
	int ret = progress_report(r->ctx, progress_phases[test], 0, 0);

	while (!ret && ops < SPEED_MAX_OPS) {
		uint64_t offset = random ? next_random(&r->state) % blocks * len : seq_offset;
		unsigned char *buf = write ? r->write_buf + (random ? (ops % (SPEED_SEQ_BLOCK / len)) * len : 0)
					   : r->read_buf;
		int64_t before, after;
		ssize_t n;

		if (write)
			stamp_blocks(r, buf, len);
		before = now_ns();
		n = write ? pwrite(r->t->fd, buf, len, (off_t)offset) : pread(r->t->fd, buf, len, (off_t)offset);
		after = now_ns();
		if (n != (ssize_t)len) {
			ret = io_failed(r, write, n, offset);
			break;
		}
		keep_latency(r, ops++, (uint64_t)(after - before));
		bytes += len;
		/* sequential: on from here, and from the start again at the end */
		seq_offset = seq_offset + 2 * len > r->t->size ? 0 : seq_offset + len;
		if (wtg_ctx_aborted(r->ctx))
			ret = -WTG_ERR_INTERRUPTED;
		else if (after >= next_report) {
			ret = progress_report(r->ctx, progress_phases[test], bytes, 0);
			next_report = after + REPORT_NS;
		}
		if (after >= deadline)
			break;
	}
	/* what was written counts once it is on the disk, not in its cache */
	if (!ret && write && fdatasync(r->t->fd) < 0)
		ret = log_syserr(r->ctx, errno, "cannot flush '%s'", r->t->path);
	if (ret < 0)
		return ret;
	end = now_ns();
	qsort(r->lat, ops, sizeof(*r->lat), compare_u64);
	*ph = (struct speed_phase){
		.measured = true,
		.ops = ops,
		.bytes = bytes,
		.seconds = (double)(end - start) / 1e9,
		.p50_ns = speed_percentile(r->lat, ops, 0.50),
		.p99_ns = speed_percentile(r->lat, ops, 0.99),
		.max_ns = speed_percentile(r->lat, ops, 1.0),
	};
	if (ph->seconds > 0) {
		ph->mb_per_s = (double)bytes / ph->seconds / 1e6;
		ph->iops = (double)ops / ph->seconds;
	}
	return 0;
}

int speed_run(struct wtg_ctx *ctx, struct speed_target *t, const struct speed_options *opt,
	      struct speed_result *result_ret)
{
	struct run r = { .ctx = ctx, .t = t, .state = opt->seed };
	struct speed_result res = { .size = t->size, .block_size = t->block_size, .seed = opt->seed };
	double seconds = opt->seconds > 0 ? opt->seconds : SPEED_DEFAULT_SECONDS;
	size_t align = t->block_size > 4096 ? t->block_size : 4096;
	int n_tests = opt->allow_write ? SPEED_TEST_COUNT : SPEED_SEQ_WRITE;
	int ret = 0;

	if ((opt->allow_write || opt->random_write_only) && !t->writable)
		return log_error(ctx, WTG_ERR_INTERNAL, "internal error: '%s' was not opened for writing", t->path);
	r.random_block = t->block_size > SPEED_RANDOM_BLOCK ? t->block_size : SPEED_RANDOM_BLOCK;
	if (posix_memalign((void **)&r.read_buf, align, SPEED_SEQ_BLOCK) ||
	    posix_memalign((void **)&r.write_buf, align, SPEED_SEQ_BLOCK)) {
		ret = log_error(ctx, WTG_ERR_NO_MEMORY, "out of memory");
		goto out;
	}
	/* incompressible: a controller that compresses must not look fast */
	for (size_t i = 0; i < SPEED_SEQ_BLOCK; i += sizeof(uint64_t)) {
		uint64_t v = next_random(&r.state);

		memcpy(r.write_buf + i, &v, sizeof(v));
	}
	/* reads first: a read-only run never gets to a write */
	if (opt->random_write_only)
		ret = run_phase(&r, SPEED_RANDOM_WRITE, seconds, &res.phase[SPEED_RANDOM_WRITE]);
	for (int test = 0; test < n_tests && !ret && !opt->random_write_only; test++)
		ret = run_phase(&r, (enum speed_test)test, seconds / n_tests, &res.phase[test]);
	if (!ret)
		*result_ret = res;
out:
	free(r.read_buf);
	free(r.write_buf);
	free(r.lat);
	return ret;
}

uint64_t speed_percentile(const uint64_t *sorted, size_t n, double q)
{
	size_t rank;

	if (!n)
		return 0;
	/* nearest rank: ceil(q * n), at least the first */
	rank = (size_t)(q * (double)n);
	if ((double)rank < q * (double)n)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}
