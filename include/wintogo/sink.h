/* sink.h - where the disk goes: one interface, one backend per kind of
 * target (a raw image file, a disk, QCOW2, VHDX; VMDK and Parallels through
 * qemu-img).  A sink receives the
 * extents in strictly increasing offset order and refuses anything else.
 *
 * The common part reads each extent from its stage file in blocks
 * (BLOCK_BYTES, extents.h), hashes every block with SHA-256 as it hands it
 * to the backend (the stage is read once), and can read the target back
 * afterwards (verify.h).  Writes may go back after the stream:
 * sink_overwrite(), over bytes already sent, for the manifest in the ESP
 * whose content is known only when every block is hashed, and, on a sink
 * that writes the disk in place (in_place: a disk, a raw image), for the
 * partition table, written last so that a write cut off leaves a disk
 * without one (write.h). */
#ifndef WINTOGO_SINK_H
#define WINTOGO_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "wintogo/ctx.h"
#include "wintogo/extents.h"
#include "wintogo/progress.h"
#include "wintogo/verify.h"

struct sink;

/* What a VM disk format records about the disk besides its data (VHDX);
 * 0 means the default. */
struct sink_format {
	unsigned logical_sector;   /* 512 (default) or 4096 */
	unsigned physical_sector;  /* 4096 (default) or 512, never below logical */
	uint32_t block_size;       /* VHDX: 1 MiB (default) to 256 MiB, a power of two */
	bool seeded;               /* the format's GUIDs (VHDX) derived from seed */
	uint64_t seed;
};

struct sink_ops {
	const char *name;
	/* The target's bytes are the disk's, written where they go: what a
	 * write cut off leaves is a disk (a block device, a raw image), not a
	 * container finished only at the end (QCOW2, VHDX).  Such a sink
	 * takes overwrites anywhere in what was sent, and sync works. */
	bool in_place;
	/* Prepares the target for a disk of size bytes. */
	int (*open)(struct sink *sink);
	/* Writes len bytes at offset: in the stream, above every earlier write. */
	int (*write)(struct sink *sink, uint64_t offset, const void *buf, size_t len);
	/* Makes every byte written durable; *path_ret is what reads back as
	 * the disk (the .partial file, the device). */
	int (*sync)(struct sink *sink, const char **path_ret);
	/* Makes the result durable and puts it in place. */
	int (*finish)(struct sink *sink);
	/* Removes whatever a failed run left (also after a failed open) and
	 * frees the backend's state; after a successful finish it only frees. */
	void (*abort)(struct sink *sink);
};

struct sink {
	struct wtg_ctx *ctx;    /* of the job that opened it: its log and progress */
	const struct sink_ops *ops;
	char *target;
	uint64_t size;
	bool force;
	unsigned flags;         /* SINK_* */
	uint64_t next_offset;   /* every write starts at or after this */
	FILE *trace;            /* "offset length what" per write, or NULL */
	bool corrupt;           /* test hook: flip the byte at corrupt_at */
	uint64_t corrupt_at;
	dev_t devno;            /* a block device: the number of the disk open */
	struct sink_format format;  /* with the defaults filled in */
	void *priv;             /* the backend's state */
};

enum sink_kind { SINK_RAW_FILE, SINK_QCOW2, SINK_BLOCK_DEVICE, SINK_VHDX, SINK_VMDK, SINK_PARALLELS };

#define SINK_COMPRESS 0x1  /* QCOW2: zlib-compressed clusters */
#define SINK_FIXED 0x2     /* VHDX: a fixed disk, every block stored (sink_vhdx.c) */

/* The size of the VHDX file sink_vhdx writes for a disk of disk_bytes,
 * every block stored: a fixed one, or a dynamic one fully expanded. */
uint64_t sink_vhdx_file_bytes(uint64_t disk_bytes, uint32_t block_size, unsigned logical_sector);

extern const struct sink_ops sink_raw_ops;

/* A raw image file's partition built for the file without a stage and
 * a copy of it.  Where the file system can insert room at a file's start
 * (fallocate FALLOC_FL_INSERT_RANGE: ext4, XFS), *path_ret is the
 * .partial's name (still all holes), the partition to be built at its
 * start; else where it shares blocks between files (FICLONERANGE: btrfs,
 * XFS; offset and length multiples of 64 KiB), it names an unnamed file
 * of the same file system (/proc/self/fd/N, gone with the sink) to build
 * it in; else (tmpfs, NFS, another sink) NULL.  Fails (logged) only when
 * the .partial cannot be given its size again.  *partial_ret names the
 * .partial.  sink_raw_place then puts what was built at offset (inserting
 * the room before it, or sharing its blocks there) and gives the file the
 * disk's size: the partition's extents are then read from the .partial,
 * in_place (extents.h). */
int sink_raw_build_in_place(struct sink *sink, uint64_t offset, uint64_t length, const char **path_ret,
			    const char **partial_ret);
/* Whether sink_raw_build_in_place will find a way for an image file at
 * target, asked before it exists (an unnamed file of its folder is tried):
 * the stage then needs no room for the partition. */
bool sink_raw_builds_in_place(const char *target, uint64_t offset, uint64_t length);
int sink_raw_place(struct sink *sink, uint64_t offset);
/* write --direct on a disk: wipes its old signatures (the partition table
 * goes first, see sink_blockdev.c) and gives a loop device over bytes
 * [offset, offset + length) of it, for the partition to be built there;
 * the stream then only reads those bytes (in_place extents).  The loop
 * device holds the disk open (not exclusively) until loopdev_release. */
struct loopdev;
int sink_blockdev_build_in_place(struct sink *sink, uint64_t offset, uint64_t length, struct loopdev *lo_ret);
extern const struct sink_ops sink_qcow2_ops;
extern const struct sink_ops sink_blockdev_ops;
extern const struct sink_ops sink_vhdx_ops;
extern const struct sink_ops sink_vmdk_ops;       /* through qemu-img */
extern const struct sink_ops sink_parallels_ops;

/* Opens the sink for target; the sink keeps ctx for its log and progress.
 * With force, an existing output is replaced.  Two of the context's test
 * hooks act here: hooks.write_trace names a file that gets one line per
 * extent written ("offset length what"; an overwrite says "overwrite"),
 * for tests that prove the writes are sequential; hooks.corrupt flips byte
 * hooks.corrupt_offset of the disk after it is hashed, on its way to the
 * target, as a failing disk would (for tests that prove the read-back
 * catches it). */
int sink_open(struct wtg_ctx *ctx, enum sink_kind kind, const char *target, uint64_t size, bool force,
	      unsigned flags, struct sink **sink_ret);
/* The same with the disk's format (NULL: the defaults); refuses (logged)
 * sector and block sizes it cannot write. */
int sink_open_format(struct wtg_ctx *ctx, enum sink_kind kind, const char *target, uint64_t size, bool force,
		     unsigned flags, const struct sink_format *format, struct sink **sink_ret);

/* Sends every extent, in order, with progress, and appends the blocks it
 * hashed (every extent not marked unhashed) to blocks. */
int sink_write_all(struct sink *sink, const struct extent_list *list,
		   struct block_list *blocks);

/* After the stream: writes len bytes at offset, over bytes it sent; what
 * ("esp", "gpt") is for the write trace ("offset length overwrite what"). */
int sink_overwrite(struct sink *sink, uint64_t offset, const void *buf, size_t len, const char *what);

/* Makes every byte written so far durable (an in_place sink only). */
int sink_flush(struct sink *sink);

/* Syncs the target and opens it for reading back past the page cache. */
int sink_readback(struct sink *sink, struct readback *rb_ret);

int sink_finish(struct sink *sink);
/* Aborts (if not finished) and frees.  A finished sink's abort only frees. */
void sink_free(struct sink *sink);

#endif
