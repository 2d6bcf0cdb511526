/* sink_qemu_img.c - the VM disk formats that qemu-img writes and we do not:
 * VMDK (monolithicSparse, for VMware Fusion) and Parallels' expanding
 * image (the .hds file of a NAME.hdd bundle, as QEMU's parallels driver
 * writes and reads it).
 *
 * The extents go into a sparse raw file in a stage folder of our own
 * (stage.h: a dead run's is removed by the next), then `qemu-img convert`
 * writes TARGET.partial from it (outfile.h: ours and locked, handed to
 * qemu-img as /proc/self/fd/3, so our name never reaches its parser),
 * renamed when complete.  qemu-img reads the raw file's holes as holes
 * (SEEK_DATA), so only the data is read and stored.  Measured here on the
 * fixtures: a convert of a 1 GiB disk with 60 MiB of data takes well
 * under a second, against the minutes of work the rest of a vm run is;
 * a native writer of each format would save only that one extra pass
 * over the data, at the price of a second implementation of two formats
 * whose one authority on this side is qemu's own driver. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/outfile.h"
#include "wintogo/run.h"
#include "wintogo/sink.h"
#include "wintogo/stage.h"
#include "wintogo/util.h"

struct qemu_img {
	struct outfile out;
	char *stage;
	char *raw;      /* stage/disk.raw */
	int raw_fd;
};

static int qi_open(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct qemu_img *q = xcalloc(1, sizeof(*q));
	int ret;

	q->raw_fd = -1;
	q->out.fd = -1;
	sink->priv = q;
	/* DiskDescriptor.xml's geometry is 16 heads of 32 sectors (parallels.h) */
	if (sink->ops == &sink_parallels_ops && sink->size % (256 * 1024))
		return log_error(ctx, WTG_ERR_UNSUPPORTED, "cannot write '%s': a Parallels disk is a whole number of 256 KiB, and this one is %llu bytes",
				 sink->target, (unsigned long long)sink->size);
	ret = outfile_open(ctx, &q->out, sink->target, sink->force);
	if (!ret)
		ret = stage_create(ctx, stage_default_parent(ctx), &q->stage);
	if (ret < 0)
		return ret;
	q->raw = xasprintf("%s/disk.raw", q->stage);
	q->raw_fd = open(q->raw, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (q->raw_fd < 0)
		return log_syserr(ctx, errno, "cannot create '%s'", q->raw);
	if (ftruncate(q->raw_fd, (off_t)sink->size) < 0)
		return log_syserr(ctx, errno, "cannot make '%s' %llu bytes long", q->raw,
				  (unsigned long long)sink->size);
	return 0;
}

static int qi_write(struct sink *sink, uint64_t offset, const void *buf, size_t len)
{
	struct qemu_img *q = sink->priv;
	int ret = pwrite_all(q->raw_fd, buf, len, offset);

	return ret < 0 ? log_syserr(sink->ctx, -ret, "cannot write '%s'", q->raw) : 0;
}

static int qi_sync(struct sink *sink, const char **path_ret)
{
	(void)path_ret;
	return log_error(sink->ctx, WTG_ERR_INTERNAL, "internal error: '%s' is a %s; check it with qemu-img check, not by reading it back",
			 sink->target, sink->ops->name);
}

static int qi_finish(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct qemu_img *q = sink->priv;
	bool is_vmdk = sink->ops == &sink_vmdk_ops;
	/* VMDK: one file whose grains are allocated as written; the adapter
	 * type is only the descriptor's hint, the .vmx says NVMe.  Parallels:
	 * 1 MiB clusters, the Blocksize DiskDescriptor.xml gives */
	const char *argv[] = {
		"qemu-img", "convert", "-q", "-f", "raw", "-O", is_vmdk ? "vmdk" : "parallels", "-o",
		is_vmdk ? "subformat=monolithicSparse,adapter_type=lsilogic" : "cluster_size=1M",
		q->raw, RUN_FILE_PATH, NULL,
	};
	int ret;

	ret = run_program(ctx, is_vmdk ? "writing the VMDK" : "writing the Parallels image", argv, NULL, q->out.fd);
	if (!ret)
		ret = outfile_commit(ctx, &q->out);
	return ret;
}

static void qi_abort(struct sink *sink)
{
	struct qemu_img *q = sink->priv;

	if (!q)
		return;
	outfile_abort(&q->out);
	if (q->raw_fd >= 0)
		close(q->raw_fd);
	stage_remove(q->stage);
	free(q->raw);
	free(q);
	sink->priv = NULL;
}

const struct sink_ops sink_vmdk_ops = {
	.name = "VMDK image",
	.open = qi_open,
	.write = qi_write,
	.sync = qi_sync,
	.finish = qi_finish,
	.abort = qi_abort,
};

const struct sink_ops sink_parallels_ops = {
	.name = "Parallels image",
	.open = qi_open,
	.write = qi_write,
	.sync = qi_sync,
	.finish = qi_finish,
	.abort = qi_abort,
};
