/* sink_qcow2.c - a QCOW2 (version 3) image, written straight from the
 * extents, without a raw intermediate file.
 *
 *   cluster 0        header (written last, when the tables are known)
 *   clusters 1..     the guest's data clusters, appended in guest order as
 *                    the extents arrive; all-zero clusters are left out
 *                    (they read as zeros); with compression, each cluster
 *                    is raw deflate (window 2^12, as qemu-img -c) and
 *                    packed byte after byte
 *   then             the L2 tables, the L1 table, the refcount table and
 *                    its refcount blocks (16-bit refcounts)
 *
 * 64 KiB clusters; every integer on disk is big-endian.  The file is
 * written as TARGET.partial and renamed when complete. */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "wintogo/log.h"
#include "wintogo/outfile.h"
#include "wintogo/sink.h"
#include "wintogo/util.h"

#define CLUSTER_BITS 16
#define CLUSTER_SIZE (UINT64_C(1) << CLUSTER_BITS)
#define L2_ENTRIES (CLUSTER_SIZE / 8)
#define REFCOUNTS_PER_BLOCK (CLUSTER_SIZE / 2)
#define QCOW2_MAGIC 0x514649fbu  /* "QFI\xfb" */
#define OFLAG_COPIED (UINT64_C(1) << 63)     /* refcount is exactly 1 */
#define OFLAG_COMPRESSED (UINT64_C(1) << 62)
/* compressed L2 entries: host offset below this bit, sector count above */
#define CSIZE_SHIFT (62 - (CLUSTER_BITS - 8))

struct qcow2_header {
	uint32_t magic;
	uint32_t version;
	uint64_t backing_file_offset;
	uint32_t backing_file_size;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_table_offset;
	uint64_t refcount_table_offset;
	uint32_t refcount_table_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompatible_features;
	uint64_t compatible_features;
	uint64_t autoclear_features;
	uint32_t refcount_order;
	uint32_t header_length;
} __attribute__((packed));
static_assert(sizeof(struct qcow2_header) == 104, "QCOW2 v3 header is 104 bytes");

struct qcow2 {
	struct outfile out;
	bool compress;
	uint64_t l1_size;
	uint64_t **l2;             /* per L1 entry: its L2 entries, or NULL */
	uint16_t *refcounts;       /* per host cluster */
	uint64_t refcount_count;
	uint64_t host_end;         /* first free byte of the file */
	uint8_t *cluster;          /* the guest cluster being filled */
	int64_t cluster_index;     /* which one, -1 for none */
	uint8_t *deflated;
};

static void count_ref(struct qcow2 *q, uint64_t host_cluster)
{
	if (host_cluster >= q->refcount_count) {
		uint64_t n = (host_cluster + 1) * 2;

		q->refcounts = xrealloc(q->refcounts, n * sizeof(uint16_t));
		memset(q->refcounts + q->refcount_count, 0, (n - q->refcount_count) * sizeof(uint16_t));
		q->refcount_count = n;
	}
	q->refcounts[host_cluster]++;
}

static int write_at(struct wtg_ctx *ctx, struct qcow2 *q, const void *buf, size_t len, uint64_t offset)
{
	int ret = pwrite_all(q->out.fd, buf, len, offset);

	return ret < 0 ? log_syserr(ctx, -ret, "cannot write '%s'", q->out.partial) : 0;
}

/* Raw deflate of one cluster; returns the length, or 0 when it does not
 * get smaller (then the cluster is stored as it is, as qemu does). */
static size_t deflate_cluster(const uint8_t *in, uint8_t *out)
{
	z_stream z = { 0 };
	size_t len = 0;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	z.next_in = (Bytef *)in;
	z.avail_in = CLUSTER_SIZE;
	z.next_out = out;
	z.avail_out = CLUSTER_SIZE;
	if (deflate(&z, Z_FINISH) == Z_STREAM_END && z.total_out < CLUSTER_SIZE)
		len = z.total_out;
	deflateEnd(&z);
	return len;
}

static void set_l2(struct qcow2 *q, uint64_t guest_cluster, uint64_t entry)
{
	uint64_t i = guest_cluster / L2_ENTRIES;

	if (!q->l2[i])
		q->l2[i] = xcalloc(L2_ENTRIES, sizeof(uint64_t));
	q->l2[i][guest_cluster % L2_ENTRIES] = entry;
}

static int flush_cluster(struct wtg_ctx *ctx, struct qcow2 *q)
{
	size_t clen;
	int ret;

	if (q->cluster_index < 0 || mem_is_zero(q->cluster, CLUSTER_SIZE))
		goto out;
	clen = q->compress ? deflate_cluster(q->cluster, q->deflated) : 0;
	if (clen) {
		uint64_t at = q->host_end, last = (at + clen - 1) >> 9;

		ret = write_at(ctx, q, q->deflated, clen, at);
		if (ret < 0)
			return ret;
		for (uint64_t c = at / CLUSTER_SIZE; c <= (at + clen - 1) / CLUSTER_SIZE; c++)
			count_ref(q, c);
		set_l2(q, (uint64_t)q->cluster_index,
		       OFLAG_COMPRESSED | (last - (at >> 9)) << CSIZE_SHIFT | at);
		q->host_end = at + clen;
	} else {
		uint64_t at = round_up(q->host_end, CLUSTER_SIZE);

		ret = write_at(ctx, q, q->cluster, CLUSTER_SIZE, at);
		if (ret < 0)
			return ret;
		count_ref(q, at / CLUSTER_SIZE);
		set_l2(q, (uint64_t)q->cluster_index, OFLAG_COPIED | at);
		q->host_end = at + CLUSTER_SIZE;
	}
out:
	q->cluster_index = -1;
	return 0;
}

static int qcow2_open(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct qcow2 *q = xcalloc(1, sizeof(*q));
	uint64_t guest_clusters = (sink->size + CLUSTER_SIZE - 1) / CLUSTER_SIZE;

	sink->priv = q;
	q->compress = sink->flags & SINK_COMPRESS;
	q->l1_size = (guest_clusters + L2_ENTRIES - 1) / L2_ENTRIES;
	q->l2 = xcalloc(q->l1_size ? q->l1_size : 1, sizeof(uint64_t *));
	q->cluster = xmalloc(CLUSTER_SIZE);
	q->deflated = xmalloc(CLUSTER_SIZE);
	q->cluster_index = -1;
	q->host_end = CLUSTER_SIZE;  /* cluster 0: the header */
	count_ref(q, 0);
	return outfile_open(ctx, &q->out, sink->target, sink->force);
}

/* Bytes arrive in increasing guest order: each guest cluster is filled in
 * the buffer and stored when the stream moves past it. */
static int qcow2_write(struct sink *sink, uint64_t offset, const void *buf, size_t len)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct qcow2 *q = sink->priv;
	const uint8_t *p = buf;

	while (len) {
		int64_t index = (int64_t)(offset / CLUSTER_SIZE);
		uint64_t in_cluster = offset % CLUSTER_SIZE;
		size_t n = len < CLUSTER_SIZE - in_cluster ? len : (size_t)(CLUSTER_SIZE - in_cluster);

		if (index != q->cluster_index) {
			int ret;

			if (index < q->cluster_index)
				return log_error(ctx, WTG_ERR_INTERNAL, "internal error: a QCOW2 image is written in order; byte %llu comes too late",
						 (unsigned long long)offset);
			ret = flush_cluster(ctx, q);
			if (ret < 0)
				return ret;
			memset(q->cluster, 0, CLUSTER_SIZE);
			q->cluster_index = index;
		}
		memcpy(q->cluster + in_cluster, p, n);
		offset += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* What reads back as the disk is the guest, not this file. */
static int qcow2_sync(struct sink *sink, const char **path_ret)
{
	struct wtg_ctx *ctx = sink->ctx;
	(void)path_ret;
	return log_error(ctx, WTG_ERR_INTERNAL, "internal error: '%s' is a QCOW2 image; check it with qemu-img check, not by reading it back",
			 sink->target);
}

/* Refcount blocks must count themselves and the table that lists them. */
static void size_refcounts(uint64_t used, uint64_t *table_clusters, uint64_t *blocks)
{
	uint64_t t = 1, b = 1;

	for (;;) {
		uint64_t nb = (used + t + b + REFCOUNTS_PER_BLOCK - 1) / REFCOUNTS_PER_BLOCK;
		uint64_t nt = (nb * 8 + CLUSTER_SIZE - 1) / CLUSTER_SIZE;

		if (nb == b && nt == t)
			break;
		b = nb;
		t = nt;
	}
	*table_clusters = t;
	*blocks = b;
}

static int write_tables(struct wtg_ctx *ctx, struct qcow2 *q, struct qcow2_header *h)
{
	uint64_t l1_bytes = round_up(q->l1_size * 8, CLUSTER_SIZE);
	uint64_t *l1 = xcalloc(1, l1_bytes), *table = xmalloc(CLUSTER_SIZE);
	uint64_t used, t_clusters, blocks, rt_offset;
	uint16_t *block = xmalloc(CLUSTER_SIZE);
	uint64_t *rt;
	int ret = 0;

	q->host_end = round_up(q->host_end, CLUSTER_SIZE);
	for (uint64_t i = 0; i < q->l1_size && !ret; i++) {
		if (!q->l2[i])
			continue;
		for (uint64_t k = 0; k < L2_ENTRIES; k++)
			table[k] = htobe64(q->l2[i][k]);
		l1[i] = htobe64(OFLAG_COPIED | q->host_end);
		count_ref(q, q->host_end / CLUSTER_SIZE);
		ret = write_at(ctx, q, table, CLUSTER_SIZE, q->host_end);
		q->host_end += CLUSTER_SIZE;
	}
	h->l1_table_offset = htobe64(q->host_end);
	for (uint64_t c = 0; c < l1_bytes / CLUSTER_SIZE; c++)
		count_ref(q, q->host_end / CLUSTER_SIZE + c);
	if (!ret)
		ret = write_at(ctx, q, l1, l1_bytes, q->host_end);
	q->host_end += l1_bytes;

	used = q->host_end / CLUSTER_SIZE;
	size_refcounts(used, &t_clusters, &blocks);
	rt_offset = q->host_end;
	for (uint64_t c = 0; c < t_clusters + blocks; c++)
		count_ref(q, used + c);
	rt = xcalloc(t_clusters, CLUSTER_SIZE);
	for (uint64_t b = 0; b < blocks && !ret; b++) {
		uint64_t at = rt_offset + (t_clusters + b) * CLUSTER_SIZE;

		for (uint64_t k = 0; k < REFCOUNTS_PER_BLOCK; k++) {
			uint64_t c = b * REFCOUNTS_PER_BLOCK + k;

			block[k] = htobe16(c < q->refcount_count ? q->refcounts[c] : 0);
		}
		rt[b] = htobe64(at);
		ret = write_at(ctx, q, block, CLUSTER_SIZE, at);
	}
	if (!ret)
		ret = write_at(ctx, q, rt, t_clusters * CLUSTER_SIZE, rt_offset);
	h->l1_size = htobe32((uint32_t)q->l1_size);
	h->refcount_table_offset = htobe64(rt_offset);
	h->refcount_table_clusters = htobe32((uint32_t)t_clusters);
	free(rt);
	free(block);
	free(table);
	free(l1);
	return ret;
}

static int qcow2_finish(struct sink *sink)
{
	struct wtg_ctx *ctx = sink->ctx;
	struct qcow2 *q = sink->priv;
	uint8_t first[CLUSTER_SIZE] = { 0 };  /* header + end-of-extensions marker */
	struct qcow2_header h = {
		.magic = htobe32(QCOW2_MAGIC),
		.version = htobe32(3),
		.cluster_bits = htobe32(CLUSTER_BITS),
		.size = htobe64(sink->size),
		.refcount_order = htobe32(4),  /* 16-bit refcounts */
		.header_length = htobe32(sizeof(struct qcow2_header)),
	};
	int ret = flush_cluster(ctx, q);

	if (!ret)
		ret = write_tables(ctx, q, &h);
	memcpy(first, &h, sizeof(h));
	if (!ret)
		ret = write_at(ctx, q, first, sizeof(first), 0);
	if (!ret)
		ret = outfile_commit(ctx, &q->out);
	return ret;
}

static void qcow2_free(struct sink *sink)
{
	struct qcow2 *q = sink->priv;

	if (!q)
		return;
	outfile_abort(&q->out);
	for (uint64_t i = 0; i < q->l1_size; i++)
		free(q->l2[i]);
	free(q->l2);
	free(q->refcounts);
	free(q->cluster);
	free(q->deflated);
	free(q);
	sink->priv = NULL;
}

const struct sink_ops sink_qcow2_ops = {
	.name = "QCOW2 image",
	.open = qcow2_open,
	.write = qcow2_write,
	.sync = qcow2_sync,
	.finish = qcow2_finish,
	.abort = qcow2_free,
};
