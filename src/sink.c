/* sink.c - the common part of every sink (see sink.h). */
#include "wintogo/sink.h"

#include <errno.h>
#include <stdlib.h>

#include "wintogo/cancel.h"
#include "wintogo/log.h"
#include "wintogo/util.h"

static const struct sink_ops *backend(enum sink_kind kind)
{
	switch (kind) {
	case SINK_QCOW2:
		return &sink_qcow2_ops;
	case SINK_VHDX:
		return &sink_vhdx_ops;
	case SINK_RAW_FILE:
	default:
		return &sink_raw_ops;
	}
}

/* The format with its defaults, or a logged refusal. */
static int check_format(const struct sink_format *in, const char *target,
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
		return log_error(-EINVAL, "cannot write '%s' with %u/%u-byte sectors; disks have 512 or 4096",
				 target, f.logical_sector, f.physical_sector);
	if (f.block_size < MIB || f.block_size > 256 * MIB || (f.block_size & (f.block_size - 1)))
		return log_error(-EINVAL, "cannot write '%s' with %s blocks; give a power of two from 1M to 256M",
				 target, format_size(f.block_size, size));
	*format_ret = f;
	return 0;
}

int sink_open(enum sink_kind kind, const char *target, uint64_t size, bool force,
	      unsigned flags, struct sink **sink_ret)
{
	return sink_open_format(kind, target, size, force, flags, NULL, sink_ret);
}

int sink_open_format(enum sink_kind kind, const char *target, uint64_t size, bool force,
		     unsigned flags, const struct sink_format *format, struct sink **sink_ret)
{
	struct sink *sink = xcalloc(1, sizeof(*sink));
	const char *trace = getenv("WINTOGO_WRITE_TRACE");
	int ret;

	sink->ops = backend(kind);
	sink->target = xstrdup(target);
	sink->size = size;
	sink->force = force;
	sink->flags = flags;
	ret = check_format(format, target, &sink->format);
	if (ret < 0)
		goto fail;
	if (trace && *trace) {
		sink->trace = fopen(trace, "we");
		if (!sink->trace) {
			ret = log_errno(-errno, "cannot open the write trace '%s'", trace);
			goto fail;
		}
	}
	ret = sink->ops->open(sink);
	if (ret < 0)
		goto fail;
	*sink_ret = sink;
	return 0;
fail:
	sink_free(sink);
	return ret;
}

int sink_write_all(struct sink *sink, const struct extent_list *list,
		   const struct progress_sink *progress)
{
	uint64_t done = 0;

	for (size_t i = 0; i < list->count; i++) {
		const struct extent *e = &list->items[i];
		int ret;

		if (cancel_requested())
			return log_error(-ECANCELED, "interrupted while writing '%s'", sink->target);
		if (e->offset < sink->next_offset || e->offset + e->length > sink->size)
			return log_error(-EINVAL, "internal error: the %s extent at byte %llu is out of order or past the end of '%s'",
					 e->what, (unsigned long long)e->offset, sink->target);
		if (sink->trace)
			fprintf(sink->trace, "%llu %llu %s\n", (unsigned long long)e->offset,
				(unsigned long long)e->length, e->what);
		ret = sink->ops->write(sink, e);
		if (ret < 0)
			return ret;
		sink->next_offset = e->offset + e->length;
		done += e->length;
		progress_report(progress, PROGRESS_WRITE, done, list->bytes);
	}
	return 0;
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
