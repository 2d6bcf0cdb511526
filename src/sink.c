/* sink.c - the common part of every sink (see sink.h). */
#include "wintogo/sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/pipeline.h"
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
	ret = sink->ops->open(sink);
	if (ret < 0)
		goto fail;
	*sink_ret = sink;
	return 0;
fail:
	sink_free(sink);
	return ret;
}

/* The stream, as the pipeline sees it: block i is the bytes at pos in
 * extent extent of the list. */
struct stream_block {
	size_t extent;
	uint64_t pos;
};

struct stream_job {
	const struct extent_list *list;
	struct stream_block *blocks;
	size_t count;
};

/* Runs on the pipeline's reader thread: no logging here. */
static int read_stage_block(void *arg, size_t index, uint8_t *buf, struct pipeline_block *pb)
{
	const struct stream_job *job = arg;
	const struct extent *e = &job->list->items[job->blocks[index].extent];
	uint64_t pos = job->blocks[index].pos, at = e->src_offset + pos;
	size_t len = (size_t)block_length(e, pos);
	int ret;

	pb->data = buf;
	pb->length = len;
	pb->hashed = !e->unhashed;
	/* no stage: bytes that are zeros until written over after the stream */
	if (e->fd < 0) {
		memset(buf, 0, len);
		return 0;
	}
	ret = pread_all(e->fd, buf, len, at);
	if (ret < 0) {
		pb->failure = (struct pipeline_failure){
			.error = ret == -ENODATA ? 0 : -ret, .at = at, .end = at + len,
		};
		return -1;
	}
	return 0;
}

/* Checks the list before anything is sent, and cuts it into blocks. */
static int plan_stream(struct sink *sink, const struct extent_list *list, struct stream_job *job)
{
	uint64_t next_offset = sink->next_offset, at;

	*job = (struct stream_job){ .list = list };
	for (size_t i = 0; i < list->count; i++) {
		const struct extent *e = &list->items[i];

		if (e->offset < next_offset || e->offset + e->length > sink->size)
			return log_error(sink->ctx, WTG_ERR_INTERNAL, "internal error: the %s extent at byte %llu is out of order or past the end of '%s'",
					 e->what, (unsigned long long)e->offset, sink->target);
		if (__builtin_add_overflow(e->src_offset, e->length, &at))
			return log_error(sink->ctx, WTG_ERR_INTERNAL, "internal error: the %s stage has an offset past 2^64", e->what);
		next_offset = e->offset + e->length;
		job->count += (size_t)((e->length + BLOCK_BYTES - 1) / BLOCK_BYTES);
	}
	job->blocks = xcalloc(job->count ? job->count : 1, sizeof(*job->blocks));
	for (size_t i = 0, n = 0; i < list->count; i++) {
		const struct extent *e = &list->items[i];

		for (uint64_t pos = 0; pos < e->length; pos += block_length(e, pos))
			job->blocks[n++] = (struct stream_block){ .extent = i, .pos = pos };
	}
	return 0;
}

/* The trace line of each extent up to and including extent, as its first
 * block goes out (a test reading the trace knows how far the write is). */
static void extents_started(struct sink *sink, const struct extent_list *list, size_t *next, size_t extent)
{
	for (; *next <= extent && *next < list->count; (*next)++) {
		const struct extent *e = &list->items[*next];

		if (*next > 0)
			sink->next_offset = list->items[*next - 1].offset + list->items[*next - 1].length;
		if (sink->trace)
			fprintf(sink->trace, "%llu %llu %s%s\n", (unsigned long long)e->offset,
				(unsigned long long)e->length, e->what, e->in_place ? " in-place" : "");
	}
}

static int log_stage_failure(struct sink *sink, const struct extent *e, const struct pipeline_failure *f)
{
	if (!f->error)
		return log_error(sink->ctx, WTG_ERR_IO, "cannot read the %s stage: it ends before byte %llu",
				 e->what, (unsigned long long)f->end);
	return log_syserr(sink->ctx, f->error, "cannot read the %s stage", e->what);
}

/* The stage is read and hashed ahead (pipeline.h) while this thread
 * writes: the target sees the same writes in the same order as before,
 * each block hashed as it was read from the stage. */
int sink_write_all(struct sink *sink, const struct extent_list *list,
		   struct block_list *blocks)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct pipeline_block *pb;
	struct stream_job job;
	struct pipeline *p;
	size_t next_extent = 0;
	uint64_t done = 0;
	int ret = plan_stream(sink, list, &job);

	if (ret < 0)
		return ret;
	p = pipeline_start(job.count, read_stage_block, &job);
	while (!ret && pipeline_next(p, &pb) == 1) {
		const struct stream_block *sb = &job.blocks[pb->index];
		const struct extent *e = &list->items[sb->extent];
		uint64_t offset = e->offset + sb->pos;
		bool write;

		extents_started(sink, list, &next_extent, sb->extent);
		if (pb->ret < 0) {
			ret = log_stage_failure(sink, e, &pb->failure);
			break;
		}
		if (pb->hashed)
			memcpy(blocks_add(blocks, offset, pb->length, e->what)->sha256, pb->sha256, SHA256_BYTES);
		write = !e->in_place;
		if (sink->corrupt && sink->corrupt_at >= offset && sink->corrupt_at - offset < pb->length) {
			pb->data[sink->corrupt_at - offset] ^= 0xff;
			sink->corrupt = false;
			write = true;
		}
		/* what was built in the target is only hashed: read once, not copied */
		if (write)
			ret = sink->ops->write(sink, offset, pb->data, pb->length);
		done += pb->length;
		pipeline_release(p, pb);
		if (!ret)
			ret = progress_report(ctx, PROGRESS_WRITE, done, list->bytes);
	}
	pipeline_free(p);
	free(job.blocks);
	if (!ret) {
		/* extents of no bytes at the end, and where the last one ends */
		extents_started(sink, list, &next_extent, list->count);
		if (list->count)
			sink->next_offset = list->items[list->count - 1].offset + list->items[list->count - 1].length;
	}
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
	free(sink->target);
	free(sink);
}
