/* sink.c - the common part of every sink (see sink.h). */
#include "wintogo/sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

static const struct sink_ops *backend(enum sink_kind kind)
{
	switch (kind) {
	case SINK_QCOW2:
		return &sink_qcow2_ops;
	case SINK_BLOCK_DEVICE:
		return &sink_blockdev_ops;
	case SINK_VHDX:
		return &sink_vhdx_ops;
	case SINK_VMDK:
		return &sink_vmdk_ops;
	case SINK_PARALLELS:
		return &sink_parallels_ops;
	case SINK_RAW_FILE:
	default:
		return &sink_raw_ops;
	}
}

/* The format with its defaults, or a logged refusal. */
static int check_format(struct wtg_ctx *ctx, const struct sink_format *in, const char *target,
			struct sink_format *format_ret)
{
	struct sink_format f = in ? *in : (struct sink_format){ 0 };
	char size[SIZE_TEXT_MAX];

	if (!f.logical_sector)
		f.logical_sector = 512;
	if (!f.physical_sector)
		f.physical_sector = 4096;
	if (f.physical_sector < f.logical_sector)
		f.physical_sector = f.logical_sector;
	if (!f.block_size)
		f.block_size = MIB;
	if ((f.logical_sector != 512 && f.logical_sector != 4096) ||
	    (f.physical_sector != 512 && f.physical_sector != 4096))
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "cannot write '%s' with %u/%u-byte sectors; disks have 512 or 4096",
				 target, f.logical_sector, f.physical_sector);
	if (f.block_size < MIB || f.block_size > 256 * MIB || (f.block_size & (f.block_size - 1)))
		return log_error(ctx, WTG_ERR_INVALID_ARGUMENT, "cannot write '%s' with %s blocks; give a power of two from 1M to 256M",
				 target, format_size(f.block_size, size));
	*format_ret = f;
	return 0;
}

int sink_open(struct wtg_ctx *ctx, enum sink_kind kind, const char *target, uint64_t size, bool force,
	      unsigned flags, struct sink **sink_ret)
{
	return sink_open_format(ctx, kind, target, size, force, flags, NULL, sink_ret);
}

int sink_open_format(struct wtg_ctx *ctx, enum sink_kind kind, const char *target, uint64_t size, bool force,
		     unsigned flags, const struct sink_format *format, struct sink **sink_ret)
{
	struct sink *sink = xcalloc(1, sizeof(*sink));
	const char *trace = ctx->hooks.write_trace;
	int ret;

	sink->ctx = ctx;
	sink->ops = backend(kind);
	sink->target = xstrdup(target);
	sink->size = size;
	sink->force = force;
	sink->flags = flags;
	ret = check_format(ctx, format, target, &sink->format);
	if (ret < 0)
		goto fail;
	if (trace && *trace) {
		sink->trace = fopen(trace, "we");
		if (!sink->trace) {
			ret = log_syserr(ctx, errno, "cannot open the write trace '%s'", trace);
			goto fail;
		}
		/* a line is out before its write starts: a test reading the
		 * trace knows how far the write has come */
		setvbuf(sink->trace, NULL, _IOLBF, 0);
	}
	sink->corrupt = ctx->hooks.corrupt;
	sink->corrupt_at = ctx->hooks.corrupt_offset;
	sink->buf = xaligned(BLOCK_BYTES);
	ret = sink->ops->open(sink);
	if (ret < 0)
		goto fail;
	*sink_ret = sink;
	return 0;
fail:
	sink_free(sink);
	return ret;
}

/* Reads len bytes of e from pos into the sink's buffer. */
static int read_stage(struct sink *sink, const struct extent *e, uint64_t pos, size_t len)
{
	struct wtg_ctx *ctx = sink->ctx;
	uint64_t at;
	int ret;

	/* no stage: bytes that are zeros until written over after the stream */
	if (e->fd < 0) {
		memset(sink->buf, 0, len);
		return 0;
	}
	if (__builtin_add_overflow(e->src_offset, pos, &at))
		return log_error(ctx, WTG_ERR_INTERNAL, "internal error: the %s stage has an offset past 2^64", e->what);
	ret = pread_all(e->fd, sink->buf, len, at);
	if (ret == -ENODATA)
		return log_error(ctx, WTG_ERR_IO, "cannot read the %s stage: it ends before byte %llu",
				 e->what, (unsigned long long)(at + len));
	if (ret < 0)
		return log_syserr(ctx, -ret, "cannot read the %s stage", e->what);
	return 0;
}

/* Sends one block of e: hashed (unless e is unhashed), then written. */
static int send_block(struct sink *sink, const struct extent *e, uint64_t pos,
		      struct digest *d, struct block_list *blocks)
{
	size_t len = (size_t)block_length(e, pos);
	uint64_t offset = e->offset + pos;
	int ret = read_stage(sink, e, pos, len);

	if (ret < 0)
		return ret;
	if (!e->unhashed) {
		digest_update(d, sink->buf, len);
		digest_final(d, blocks_add(blocks, offset, len, e->what)->sha256);
	}
	if (sink->corrupt && sink->corrupt_at >= offset && sink->corrupt_at - offset < len) {
		sink->buf[sink->corrupt_at - offset] ^= 0xff;
		sink->corrupt = false;
	}
	return sink->ops->write(sink, offset, sink->buf, len);
}

int sink_write_all(struct sink *sink, const struct extent_list *list,
		   struct block_list *blocks)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct digest *d = digest_new();
	uint64_t done = 0;
	int ret = 0;

	for (size_t i = 0; i < list->count && !ret; i++) {
		const struct extent *e = &list->items[i];

		if (e->offset < sink->next_offset || e->offset + e->length > sink->size) {
			ret = log_error(ctx, WTG_ERR_INTERNAL, "internal error: the %s extent at byte %llu is out of order or past the end of '%s'",
					e->what, (unsigned long long)e->offset, sink->target);
			break;
		}
		if (sink->trace)
			fprintf(sink->trace, "%llu %llu %s\n", (unsigned long long)e->offset,
				(unsigned long long)e->length, e->what);
		for (uint64_t pos = 0; pos < e->length && !ret; pos += block_length(e, pos)) {
			ret = send_block(sink, e, pos, d, blocks);
			if (!ret)
				ret = progress_report(ctx, PROGRESS_WRITE,
						      done + pos + block_length(e, pos), list->bytes);
		}
		sink->next_offset = e->offset + e->length;
		done += e->length;
	}
	digest_free(d);
	return ret;
}

int sink_overwrite(struct sink *sink, uint64_t offset, const void *buf, size_t len, const char *what)
{
	struct wtg_ctx *ctx = sink->ctx;
	if (offset + len > sink->next_offset)
		return log_error(ctx, WTG_ERR_INTERNAL, "internal error: an overwrite of bytes %llu to %llu of '%s' not written before",
				 (unsigned long long)offset, (unsigned long long)(offset + len - 1),
				 sink->target);
	if (sink->trace)
		fprintf(sink->trace, "%llu %zu overwrite %s\n", (unsigned long long)offset, len, what);
	return sink->ops->write(sink, offset, buf, len);
}

int sink_flush(struct sink *sink)
{
	const char *path;

	if (!sink->ops->in_place)
		return log_error(sink->ctx, WTG_ERR_INTERNAL, "internal error: '%s' is not written in place; it is made durable only when finished",
				 sink->target);
	return sink->ops->sync(sink, &path);
}

int sink_readback(struct sink *sink, struct readback *rb_ret)
{
	struct wtg_ctx *ctx = sink->ctx;
	const char *path;
	int ret = sink->ops->sync(sink, &path);

	return ret < 0 ? ret : verify_open(ctx, path, rb_ret);
}

int sink_finish(struct sink *sink)
{
	return sink->ops->finish(sink);
}

void sink_free(struct sink *sink)
{
	if (!sink)
		return;
	sink->ops->abort(sink);
	if (sink->trace)
		fclose(sink->trace);
	free(sink->buf);
	free(sink->target);
	free(sink);
}
