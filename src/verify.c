/* verify.c - reading a target back past the page cache (see verify.h). */
#include "wintogo/verify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/pipeline.h"
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

/* The bytes [offset, offset + length) of the target, read in whole
 * aligned sectors into buf (BLOCK_BYTES + 2 * IO_ALIGN long); *data_ret
 * points at offset's byte in buf.  Logs nothing (the read-back's reader
 * thread calls it): a failure is described in *failure_ret and returns -1. */
static int read_range(const struct readback *rb, uint64_t offset, uint64_t length,
		      uint8_t *buf, const uint8_t **data_ret, struct pipeline_failure *failure_ret)
{
	uint64_t start = offset / rb->align * rb->align;
	uint64_t want = round_up(offset + length, rb->align) - start, got = 0;

	while (got < offset + length - start) {
		ssize_t n = pread(rb->fd, buf + got, want - got, (off_t)(start + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*failure_ret = (struct pipeline_failure){
				.error = n < 0 ? errno : 0,
				.at = start + got,
				.end = offset + length,
			};
			return -1;
		}
		got += (uint64_t)n;
	}
	*data_ret = buf + (offset - start);
	return 0;
}

static int log_read_failure(struct wtg_ctx *ctx, const struct readback *rb, const struct pipeline_failure *f)
{
	if (f->error)
		return log_syserr(ctx, f->error, "cannot read '%s' back at byte %llu", rb->name,
				  (unsigned long long)f->at);
	return log_error(ctx, WTG_ERR_READBACK_MISMATCH, "'%s' ends at byte %llu, before the data written up to byte %llu; the target is smaller than what was written",
			 rb->name, (unsigned long long)f->at, (unsigned long long)f->end);
}

struct readback_job {
	const struct readback *rb;
	const struct block_list *blocks;
};

static int read_block(void *arg, size_t index, uint8_t *buf, struct pipeline_block *pb)
{
	const struct readback_job *job = arg;
	const struct block *b = &job->blocks->items[index];
	const uint8_t *data;

	if (read_range(job->rb, b->offset, b->length, buf, &data, &pb->failure) < 0)
		return -1;
	pb->data = (uint8_t *)data;
	pb->length = b->length;
	pb->hashed = true;
	return 0;
}

int verify_blocks(struct wtg_ctx *ctx, const struct readback *rb, const struct block_list *blocks, struct verify_report *report_ret)
{
	struct readback_job job = { .rb = rb, .blocks = blocks };
	struct verify_report r = { 0 };
	struct pipeline_block *pb;
	struct pipeline *p;
	int ret = 0;

	for (size_t i = 0; i < blocks->count; i++)
		if (blocks->items[i].length > BLOCK_BYTES)
			return log_error(ctx, WTG_ERR_INTERNAL, "internal error: a block of %llu bytes at byte %llu",
					 (unsigned long long)blocks->items[i].length,
					 (unsigned long long)blocks->items[i].offset);

	progress_report(ctx, PROGRESS_VERIFY, 0, blocks->bytes);
	p = pipeline_start(blocks->count, read_block, &job);
	while (pipeline_next(p, &pb) == 1) {
		if (pb->ret < 0) {
			ret = log_read_failure(ctx, rb, &pb->failure);
			break;
		}
		if (memcmp(pb->sha256, blocks->items[pb->index].sha256, SHA256_BYTES)) {
			r.bad = xrealloc(r.bad, (r.n_bad + 1) * sizeof(*r.bad));
			r.bad[r.n_bad++] = pb->index;
		}
		r.bytes += pb->length;
		pipeline_release(p, pb);
		progress_report(ctx, PROGRESS_VERIFY, r.bytes, blocks->bytes);
		if (wtg_ctx_aborted(ctx)) {
			ret = -WTG_ERR_INTERRUPTED;
			break;
		}
	}
	pipeline_free(p);
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

		struct pipeline_failure failure;

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
