/* verify.c - reading a target back past the page cache (see verify.h). */
#include "wintogo/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

int verify_open(struct wtg_ctx *ctx, const char *path, struct readback *rb_ret)
{
	struct readback rb = { .fd = -1, .align = 1, .name = path };
	struct stat sb;
	int sector, ret;

	if (stat(path, &sb) < 0)
		return log_syserr(ctx, errno, "cannot look at '%s'", path);
	/* O_DIRECT for files too where the file system has it (not tmpfs):
	 * reads then bypass the cache, as for a disk, and come without the
	 * copy through it */
	rb.fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECT);
	if (rb.fd < 0 && errno == EINVAL && !S_ISBLK(sb.st_mode))
		rb.fd = open(path, O_RDONLY | O_CLOEXEC);
	else if (rb.fd >= 0 && !S_ISBLK(sb.st_mode))
		rb.align = IO_ALIGN; /* a page: what every file system with O_DIRECT takes */
	if (rb.fd < 0)
		return log_syserr(ctx, errno, "cannot open '%s' to read it back", path);
	rb.size = (uint64_t)sb.st_size;
	if (S_ISBLK(sb.st_mode)) {
		if (ioctl(rb.fd, BLKGETSIZE64, &rb.size) < 0 ||
		    ioctl(rb.fd, BLKSSZGET, &sector) < 0 || sector <= 0 || sector > IO_ALIGN) {
			ret = log_syserr(ctx, errno ? errno : EINVAL, "cannot get the sector size of '%s'", path);
			close(rb.fd);
			return ret;
		}
		rb.align = (unsigned)sector;
	} else if (rb.align == 1) {
		/* clean pages (the sink synced) are dropped: reads go to the medium */
		ret = posix_fadvise(rb.fd, 0, 0, POSIX_FADV_DONTNEED);
		if (ret)
			log_warn(ctx, "cannot drop the cached pages of '%s' (%s); it is read back from the cache",
				 path, strerror(ret));
	}
	*rb_ret = rb;
	return 0;
}

void verify_close(struct readback *rb)
{
	if (rb->fd >= 0)
		close(rb->fd);
	rb->fd = -1;
}

/* Why a read of the target failed: errno, or the target ending first. */
struct read_failure {
	int error;                  /* errno, or 0 when the target ended */
	uint64_t at;                /* the byte the read started at */
	uint64_t want_end;          /* the end of the data asked for */
};

/* The bytes [offset, offset + length) of the target, read in whole
 * aligned sectors into buf (BLOCK_BYTES + 2 * IO_ALIGN long); *data_ret
 * points at offset's byte in buf.  Logs nothing (the read-back's reader
 * thread calls it): a failure is described in *failure_ret and returns -1. */
static int read_range(const struct readback *rb, uint64_t offset, uint64_t length,
		      uint8_t *buf, const uint8_t **data_ret, struct read_failure *failure_ret)
{
	uint64_t start = offset / rb->align * rb->align;
	uint64_t want = round_up(offset + length, rb->align) - start, got = 0;

	while (got < offset + length - start) {
		ssize_t n = pread(rb->fd, buf + got, want - got, (off_t)(start + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*failure_ret = (struct read_failure){
				.error = n < 0 ? errno : 0,
				.at = start + got,
				.want_end = offset + length,
			};
			return -1;
		}
		got += (uint64_t)n;
	}
	*data_ret = buf + (offset - start);
	return 0;
}

static int log_read_failure(struct wtg_ctx *ctx, const struct readback *rb, const struct read_failure *f)
{
	if (f->error)
		return log_syserr(ctx, f->error, "cannot read '%s' back at byte %llu", rb->name,
				  (unsigned long long)f->at);
	return log_error(ctx, WTG_ERR_READBACK_MISMATCH, "'%s' ends at byte %llu, before the data written up to byte %llu; the target is smaller than what was written",
			 rb->name, (unsigned long long)f->at, (unsigned long long)f->want_end);
}

/* The read-back as a pipeline: one reader thread reads the blocks in
 * order into a ring of buffers, while hasher threads take them in order
 * and compare their SHA-256.  One sequential reader keeps the target's
 * reads what dd would send (and the order of the reads, hence of any
 * fault, the order of the blocks); several hashers keep SHA-256 (about
 * 2 GB/s per core with SHA-NI) from capping the rate of a fast disk.
 * Only the calling thread touches ctx: the threads record what went
 * wrong, and it is logged after they are joined. */
enum slot_state { SLOT_FREE, SLOT_READING, SLOT_FILLED, SLOT_HASHING };

struct readback_slot {
	uint8_t *buf;               /* BLOCK_BYTES + 2 * IO_ALIGN, aligned */
	const uint8_t *data;        /* the block's first byte in buf */
	size_t block;               /* its index in the block list */
	enum slot_state state;
};

struct readback_pipeline {
	const struct readback *rb;
	const struct block_list *blocks;
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct readback_slot *slots;
	size_t n_slots;
	size_t next_to_hash;        /* the next block a hasher takes */
	size_t hashed;              /* blocks compared */
	uint64_t bytes;             /* their bytes */
	bool *bad;                  /* per block: differs */
	bool stop;                  /* an error or Ctrl-C: every thread ends */
	struct read_failure failure; /* the reader's, when failed */
	size_t failed_block;        /* the block it failed on, or SIZE_MAX */
};

static void *readback_reader(void *arg)
{
	struct readback_pipeline *p = arg;

	for (size_t i = 0; i < p->blocks->count; i++) {
		struct readback_slot *s = &p->slots[i % p->n_slots];
		const struct block *b = &p->blocks->items[i];
		struct read_failure failure;
		const uint8_t *data;
		int ret;

		pthread_mutex_lock(&p->lock);
		while (s->state != SLOT_FREE && !p->stop)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		s->state = SLOT_READING;
		pthread_mutex_unlock(&p->lock);

		ret = read_range(p->rb, b->offset, b->length, s->buf, &data, &failure);

		pthread_mutex_lock(&p->lock);
		if (ret < 0) {
			p->failure = failure;
			p->failed_block = i;
			p->stop = true;
		} else {
			s->data = data;
			s->block = i;
			s->state = SLOT_FILLED;
		}
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		if (ret < 0)
			break;
	}
	return NULL;
}

static void *readback_hasher(void *arg)
{
	struct readback_pipeline *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct readback_slot *s;
		const struct block *b;
		uint8_t sha[SHA256_BYTES];
		bool differs;

		if (p->stop || p->next_to_hash >= p->blocks->count)
			break;
		s = &p->slots[p->next_to_hash % p->n_slots];
		if (s->state != SLOT_FILLED || s->block != p->next_to_hash) {
			pthread_cond_wait(&p->changed, &p->lock);
			continue;
		}
		s->state = SLOT_HASHING;
		p->next_to_hash++;
		pthread_mutex_unlock(&p->lock);

		b = &p->blocks->items[s->block];
		sha256_buffer(s->data, b->length, sha);
		differs = memcmp(sha, b->sha256, SHA256_BYTES) != 0;

		pthread_mutex_lock(&p->lock);
		p->bad[s->block] = differs;
		p->bytes += b->length;
		p->hashed++;
		s->state = SLOT_FREE;
		pthread_cond_broadcast(&p->changed);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static size_t hasher_count(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	/* more than 4 would not be fed by one reader of a USB disk */
	return cpus < 1 ? 1 : cpus > 4 ? 4 : (size_t)cpus;
}

int verify_blocks(struct wtg_ctx *ctx, const struct readback *rb, const struct block_list *blocks, struct verify_report *report_ret)
{
	struct readback_pipeline p = {
		.rb = rb,
		.blocks = blocks,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.failed_block = SIZE_MAX,
	};
	size_t n_hashers = hasher_count(), started = 0;
	pthread_t reader, hashers[4];
	struct verify_report r = { 0 };
	bool interrupted = false;
	int ret = 0;

	for (size_t i = 0; i < blocks->count; i++)
		if (blocks->items[i].length > BLOCK_BYTES)
			return log_error(ctx, WTG_ERR_INTERNAL, "internal error: a block of %llu bytes at byte %llu",
					 (unsigned long long)blocks->items[i].length,
					 (unsigned long long)blocks->items[i].offset);

	/* a slot for each hasher, one being read and one read ahead */
	p.n_slots = n_hashers + 2;
	p.slots = xcalloc(p.n_slots, sizeof(*p.slots));
	for (size_t i = 0; i < p.n_slots; i++)
		p.slots[i].buf = xaligned(BLOCK_BYTES + 2 * IO_ALIGN);
	p.bad = xcalloc(blocks->count ? blocks->count : 1, sizeof(*p.bad));
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p.changed, &attr);
	pthread_condattr_destroy(&attr);

	progress_report(ctx, PROGRESS_VERIFY, 0, blocks->bytes);
	ret = -pthread_create(&reader, NULL, readback_reader, &p);
	if (ret < 0) {
		ret = log_syserr(ctx, -ret, "cannot start the read-back");
		goto out;
	}
	while (started < n_hashers && pthread_create(&hashers[started], NULL, readback_hasher, &p) == 0)
		started++;
	if (!started) {
		/* the reader waits for free slots: this thread hashes */
		readback_hasher(&p);
	}

	/* this thread reports progress and watches for Ctrl-C */
	pthread_mutex_lock(&p.lock);
	while (p.hashed < blocks->count && !p.stop) {
		uint64_t bytes = p.bytes;
		struct timespec until;

		pthread_mutex_unlock(&p.lock);
		progress_report(ctx, PROGRESS_VERIFY, bytes, blocks->bytes);
		interrupted = wtg_ctx_aborted(ctx);
		pthread_mutex_lock(&p.lock);
		if (interrupted) {
			p.stop = true;
			pthread_cond_broadcast(&p.changed);
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 100 * 1000 * 1000;
		if (until.tv_nsec >= 1000 * 1000 * 1000) {
			until.tv_sec++;
			until.tv_nsec -= 1000 * 1000 * 1000;
		}
		pthread_cond_timedwait(&p.changed, &p.lock, &until);
	}
	pthread_mutex_unlock(&p.lock);
	pthread_join(reader, NULL);
	for (size_t i = 0; i < started; i++)
		pthread_join(hashers[i], NULL);

	if (interrupted)
		ret = -WTG_ERR_INTERRUPTED;
	else if (p.failed_block != SIZE_MAX)
		ret = log_read_failure(ctx, rb, &p.failure);
	else {
		progress_report(ctx, PROGRESS_VERIFY, p.bytes, blocks->bytes);
		for (size_t i = 0; i < blocks->count; i++) {
			if (!p.bad[i])
				continue;
			r.bad = xrealloc(r.bad, (r.n_bad + 1) * sizeof(*r.bad));
			r.bad[r.n_bad++] = i;
		}
		r.bytes = p.bytes;
	}
out:
	pthread_cond_destroy(&p.changed);
	pthread_mutex_destroy(&p.lock);
	for (size_t i = 0; i < p.n_slots; i++)
		free(p.slots[i].buf);
	free(p.slots);
	free(p.bad);
	if (ret < 0) {
		verify_report_release(&r);
		return ret;
	}
	*report_ret = r;
	return 0;
}

void verify_report_release(struct verify_report *report)
{
	free(report->bad);
	*report = (struct verify_report){ 0 };
}

int verify_first_difference(struct wtg_ctx *ctx, const struct readback *rb, uint64_t offset, uint64_t length,
			    int src_fd, uint64_t src_offset, uint64_t *at_ret,
			    uint8_t *got_ret, uint8_t *want_ret)
{
	uint8_t *buf = xaligned(BLOCK_BYTES + 2 * IO_ALIGN), *want = xmalloc(BLOCK_BYTES);
	int ret = 1;

	for (uint64_t pos = 0; pos < length && ret == 1;) {
		uint64_t n = length - pos < BLOCK_BYTES ? length - pos : BLOCK_BYTES;
		const uint8_t *got;
		int r;

		struct read_failure failure;

		if (read_range(rb, offset + pos, n, buf, &got, &failure) < 0) {
			ret = log_read_failure(ctx, rb, &failure);
			break;
		}
		r = pread_all(src_fd, want, n, src_offset + pos);
		if (r == -ENODATA) {
			ret = log_error(ctx, WTG_ERR_IO, "cannot read the stage again: it ends before byte %llu",
					(unsigned long long)(src_offset + pos + n));
			break;
		}
		if (r < 0) {
			ret = log_syserr(ctx, -r, "cannot read the stage again");
			break;
		}
		ret = 1;
		for (uint64_t k = 0; k < n; k++) {
			if (got[k] != want[k]) {
				*at_ret = offset + pos + k;
				*got_ret = got[k];
				*want_ret = want[k];
				ret = 0;
				break;
			}
		}
		pos += n;
	}
	free(want);
	free(buf);
	return ret;
}
