/* extents.h - the disk as an ordered list of extents: byte ranges of
 * staged files (the GPT, the ESP, the NTFS partition) and where on the
 * target they go.  Only the allocated data of a sparse stage file becomes
 * an extent (SEEK_DATA/SEEK_HOLE); the holes read as zeros.
 *
 * Sinks receive the list in strictly increasing target order, so a target
 * sees one sequential stream and never a random write.
 *
 * What a sink sends it hashes (SHA-256) in blocks of at most BLOCK_BYTES,
 * each block within one extent: the block list is what the read-back
 * after a write, the manifest and `wintogo verify` check, so a mismatch is
 * found within BLOCK_BYTES.  An extent marked unhashed is sent but not
 * hashed: it is overwritten after the stream (the manifest in the ESP,
 * see manifest.h). */
#ifndef WINTOGO_EXTENTS_H
#define WINTOGO_EXTENTS_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wintogo/digest.h"
#include "wintogo/util.h"

#define BLOCK_BYTES (4 * MIB)

struct extent {
	uint64_t offset;       /* on the target */
	uint64_t length;
	int fd;                /* the stage file it comes from; -1: zeros */
	uint64_t src_offset;   /* in that file */
	const char *what;      /* "gpt", "esp", "windows": for messages */
	bool unhashed;         /* sent, then overwritten after the stream */
	bool in_place;         /* already where it goes: its file is the target */
	                       /* (built there, write.c); hashed, not written */
};

struct extent_list {
	struct extent *items;
	size_t count;
	size_t capacity;
	uint64_t bytes;        /* sum of the lengths */
};

/* Adds the data ranges of fd's first length bytes, placed at
 * target_offset.  The file stays owned by the caller. */
int extents_add_file(struct wtg_ctx *ctx, struct extent_list *list, int fd, uint64_t target_offset, uint64_t length,
		     const char *what);

/* The same for fd's bytes [src_offset, src_offset + length). */
int extents_add_file_from(struct wtg_ctx *ctx, struct extent_list *list, int fd, uint64_t src_offset,
			  uint64_t target_offset, uint64_t length, const char *what);

/* Adds one extent as it is. */
void extents_append(struct extent_list *list, const struct extent *e);

/* Sorts by target offset and checks that no two extents overlap. */
int extents_finish(struct wtg_ctx *ctx, struct extent_list *list);

void extents_release(struct extent_list *list);

/* Gap filling, for flash sticks: each forward jump over a hole costs a
 * stick a merge of an erase block (see bench/stick-model), so an extent
 * is joined with the next when both come from the same stage file at the
 * same distance (the hole between them on the target is a hole of that
 * file, which reads as zeros) and the hole is shorter than max_gap.  The
 * zeros are then sent, hashed and read back like the rest.  Extents of
 * different files (the partitions), or hashed and unhashed, stay apart.
 * Returns the bytes added; max_gap 0 changes nothing. */
uint64_t extents_fill_gaps(struct extent_list *list, uint64_t max_gap);

/* Marks the bytes [offset, offset + length) unhashed, splitting the
 * extents they cut; they must lie inside extents (logged if not). */
int extents_mark_unhashed(struct wtg_ctx *ctx, struct extent_list *list, uint64_t offset, uint64_t length);

/* The extent holding byte offset, or NULL. */
const struct extent *extents_find(const struct extent_list *list, uint64_t offset);

struct block {
	uint64_t offset;       /* on the target */
	uint64_t length;       /* at most BLOCK_BYTES */
	const char *what;      /* "gpt", "esp", "msr", "windows" */
	uint8_t sha256[SHA256_BYTES];
};

struct block_list {
	struct block *items;
	size_t count;
	size_t capacity;
	uint64_t bytes;        /* sum of the lengths */
};

/* Appends a block (its hash zero) and returns it. */
struct block *blocks_add(struct block_list *blocks, uint64_t offset, uint64_t length,
			 const char *what);
/* The blocks a sink hashes when it sends list, with their hashes zero. */
void blocks_plan(const struct extent_list *list, struct block_list *blocks);
void blocks_release(struct block_list *blocks);

/* The bytes of e a sink sends in one block from pos (bytes into e). */
static inline uint64_t block_length(const struct extent *e, uint64_t pos)
{
	return e->length - pos < BLOCK_BYTES ? e->length - pos : BLOCK_BYTES;
}

#endif
