/* pipeline.h - blocks read in order by one thread, hashed by others, and
 * handed in order to the calling thread: the shape of both the stream to
 * the target (stage -> SHA-256 -> target) and the read-back (target ->
 * SHA-256 -> compare).
 *
 * One reader keeps the reads what dd would send, one after the other in
 * increasing order (so the order of reads, and of any fault in them, is
 * the order of the blocks); hashers on the other CPUs keep SHA-256 (about
 * 2 GB/s per core with SHA-NI) from capping a fast disk; the calling
 * thread writes or compares meanwhile.  Memory is bounded: a few blocks of
 * BLOCK_BYTES, whatever the count.
 *
 * The threads log nothing and never touch a ctx: a read that fails says
 * how in its block, and the caller logs it when that block comes, in
 * order, so messages and progress stay in the calling thread. */
#ifndef WINTOGO_PIPELINE_H
#define WINTOGO_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wintogo/digest.h"

/* How a read failed: errno, or 0 when the data ended first. */
struct pipeline_failure {
	int error;
	uint64_t at;           /* the byte the read started at */
	uint64_t end;          /* the end of the data asked for */
};

struct pipeline_block {
	size_t index;          /* 0, 1, ... in the order they were asked for */
	uint8_t *data;         /* its bytes, in the pipeline's memory */
	size_t length;
	bool hashed;
	uint8_t sha256[SHA256_BYTES];   /* when hashed */
	int ret;               /* 0, or -1: the read failed, as failure says */
	struct pipeline_failure failure;
};

/* Reads block index into buf (BLOCK_BYTES + 2 * IO_ALIGN bytes, IO_ALIGN
 * aligned): sets b->data (within buf), b->length and b->hashed (whether
 * to hash it); on failure fills b->failure and returns -1.  Runs on the
 * reader thread. */
typedef int (*pipeline_read_fn)(void *arg, size_t index, uint8_t *buf, struct pipeline_block *b);

struct pipeline;

/* Starts reading and hashing count blocks.  Where threads cannot be made,
 * pipeline_next() does the work itself: slower, same results. */
struct pipeline *pipeline_start(size_t count, pipeline_read_fn read, void *arg);

/* The next block, in order, read and hashed: *block_ret and 1; 0 when
 * every block has been handed out.  Give it back with pipeline_release()
 * before asking for the next. */
int pipeline_next(struct pipeline *p, struct pipeline_block **block_ret);
void pipeline_release(struct pipeline *p, struct pipeline_block *b);

/* Stops the threads (also in the middle) and frees everything. */
void pipeline_free(struct pipeline *p);

#endif
