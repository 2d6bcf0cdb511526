/* extents.h - the disk as an ordered list of extents: byte ranges of
 * staged files (the GPT, the ESP, the NTFS partition) and where on the
 * target they go.  Only the allocated data of a sparse stage file becomes
 * an extent (SEEK_DATA/SEEK_HOLE); the holes read as zeros.
 *
 * Sinks receive the list in strictly increasing target order, so a target
 * sees one sequential stream and never a random write. */
#ifndef WINTOGO_EXTENTS_H
#define WINTOGO_EXTENTS_H

#include <stddef.h>
#include <stdint.h>

struct extent {
	uint64_t offset;       /* on the target */
	uint64_t length;
	int fd;                /* the stage file it comes from */
	uint64_t src_offset;   /* in that file */
	const char *what;      /* "gpt", "esp", "windows": for messages */
};

struct extent_list {
	struct extent *items;
	size_t count;
	size_t capacity;
	uint64_t bytes;        /* sum of the lengths */
};

/* Adds the data ranges of fd's first length bytes, placed at
 * target_offset.  The file stays owned by the caller. */
int extents_add_file(struct extent_list *list, int fd, uint64_t target_offset, uint64_t length,
		     const char *what);

/* Adds one extent as it is. */
void extents_append(struct extent_list *list, const struct extent *e);

/* Sorts by target offset and checks that no two extents overlap. */
int extents_finish(struct extent_list *list);

void extents_release(struct extent_list *list);

#endif
