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
#include "wintogo/util.h"

int verify_open(struct wtg_ctx *ctx, const char *path, struct readback *rb_ret)
{
	struct readback rb = { .fd = -1, .align = 1, .name = path };
	struct stat sb;
	int sector, ret;

	if (stat(path, &sb) < 0)
		return log_syserr(ctx, errno, "cannot look at '%s'", path);
	rb.fd = open(path, O_RDONLY | O_CLOEXEC | (S_ISBLK(sb.st_mode) ? O_DIRECT : 0));
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
	} else {
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
 * points at offset's byte in buf. */
static int read_range(struct wtg_ctx *ctx, const struct readback *rb, uint64_t offset, uint64_t length,
		      uint8_t *buf, const uint8_t **data_ret)
{
	uint64_t start = offset / rb->align * rb->align;
	uint64_t want = round_up(offset + length, rb->align) - start, got = 0;

	while (got < offset + length - start) {
		ssize_t n = pread(rb->fd, buf + got, want - got, (off_t)(start + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return log_syserr(ctx, errno, "cannot read '%s' back at byte %llu", rb->name,
					 (unsigned long long)(start + got));
		if (n == 0)
			return log_error(ctx, WTG_ERR_READBACK_MISMATCH, "'%s' ends at byte %llu, before the data written up to byte %llu; the target is smaller than what was written",
					 rb->name, (unsigned long long)(start + got),
					 (unsigned long long)(offset + length));
		got += (uint64_t)n;
	}
	*data_ret = buf + (offset - start);
	return 0;
}

int verify_blocks(struct wtg_ctx *ctx, const struct readback *rb, const struct block_list *blocks, struct verify_report *report_ret)
{
	struct verify_report r = { 0 };
	uint8_t *buf = xaligned(BLOCK_BYTES + 2 * IO_ALIGN);
	int ret = 0;

	progress_report(ctx, PROGRESS_VERIFY, 0, blocks->bytes);
	for (size_t i = 0; i < blocks->count; i++) {
		const struct block *b = &blocks->items[i];
		uint8_t sha[SHA256_BYTES];
		const uint8_t *data;

		if (wtg_ctx_aborted(ctx)) {
			ret = -WTG_ERR_INTERRUPTED;
			break;
		}
		if (b->length > BLOCK_BYTES) {
			ret = log_error(ctx, WTG_ERR_INTERNAL, "internal error: a block of %llu bytes at byte %llu",
					(unsigned long long)b->length, (unsigned long long)b->offset);
			break;
		}
		ret = read_range(ctx, rb, b->offset, b->length, buf, &data);
		if (ret < 0)
			break;
		sha256_buffer(data, b->length, sha);
		if (memcmp(sha, b->sha256, SHA256_BYTES)) {
			r.bad = xrealloc(r.bad, (r.n_bad + 1) * sizeof(*r.bad));
			r.bad[r.n_bad++] = i;
		}
		r.bytes += b->length;
		progress_report(ctx, PROGRESS_VERIFY, r.bytes, blocks->bytes);
	}
	free(buf);
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

		ret = read_range(ctx, rb, offset + pos, n, buf, &got);
		if (ret < 0)
			break;
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
