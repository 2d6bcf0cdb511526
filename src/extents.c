/* extents.c - the disk as an ordered list of extents (see extents.h). */
#include "wintogo/extents.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

/* Room for one more item in a growing array. */
static void *grow(void *items, size_t *capacity, size_t count, size_t size)
{
	if (count < *capacity)
		return items;
	*capacity = *capacity ? *capacity * 2 : 64;
	return xrealloc(items, *capacity * size);
}

void extents_append(struct extent_list *list, const struct extent *e)
{
	list->items = grow(list->items, &list->capacity, list->count, sizeof(*e));
	list->items[list->count++] = *e;
	list->bytes += e->length;
}

int extents_add_file_from(struct wtg_ctx *ctx, struct extent_list *list, int fd, uint64_t src_offset,
			  uint64_t target_offset, uint64_t length, const char *what)
{
	uint64_t end;
	off_t pos = (off_t)src_offset;

	if (__builtin_add_overflow(src_offset, length, &end) || end > INT64_MAX)
		return log_error(ctx, WTG_ERR_INTERNAL, "internal error: the %s stage's range ends past any file", what);
	while ((uint64_t)pos < end) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		off_t hole;

		if (data < 0 && errno == ENXIO)
			break;  /* only holes from here on */
		if (data < 0)
			return log_syserr(ctx, errno, "cannot find the data of the %s stage", what);
		if ((uint64_t)data >= end)
			break;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			return log_syserr(ctx, errno, "cannot find the holes of the %s stage", what);
		if ((uint64_t)hole > end)
			hole = (off_t)end;
		extents_append(list, &(struct extent){ target_offset + ((uint64_t)data - src_offset),
						       (uint64_t)(hole - data), fd, (uint64_t)data, what, false, false });
		pos = hole;
	}
	return 0;
}

int extents_add_file(struct wtg_ctx *ctx, struct extent_list *list, int fd, uint64_t target_offset, uint64_t length,
		     const char *what)
{
	return extents_add_file_from(ctx, list, fd, 0, target_offset, length, what);
}

static int by_offset(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int extents_finish(struct wtg_ctx *ctx, struct extent_list *list)
{
	/* an empty list (a blank disk: no data at all) has no items array,
	 * and qsort must not be given NULL even for nothing to sort */
	if (list->count > 1)
		qsort(list->items, list->count, sizeof(struct extent), by_offset);
	for (size_t i = 1; i < list->count; i++) {
		const struct extent *prev = &list->items[i - 1], *e = &list->items[i];
		uint64_t prev_end;

		if (__builtin_add_overflow(prev->offset, prev->length, &prev_end) || prev_end > e->offset)
			return log_error(ctx, WTG_ERR_INTERNAL, "internal error: the %s and %s extents overlap at byte %llu",
					 prev->what, e->what, (unsigned long long)e->offset);
	}
	return 0;
}

void extents_release(struct extent_list *list)
{
	free(list->items);
	*list = (struct extent_list){ 0 };
}

/* Whether next continues e in the same stage file, hole between them. */
static bool same_run(const struct extent *e, const struct extent *next)
{
	return e->fd >= 0 && e->fd == next->fd && e->unhashed == next->unhashed && e->in_place == next->in_place &&
	       next->offset > e->offset && next->src_offset > e->src_offset &&
	       next->offset - e->offset == next->src_offset - e->src_offset;
}

uint64_t extents_fill_gaps(struct extent_list *list, uint64_t max_gap)
{
	uint64_t added = 0;
	size_t out = 0;

	if (!max_gap || !list->count)
		return 0;
	for (size_t i = 1; i < list->count; i++) {
		struct extent *e = &list->items[out];
		const struct extent *next = &list->items[i];
		uint64_t end = e->offset + e->length;

		if (same_run(e, next) && next->offset >= end && next->offset - end < max_gap) {
			added += next->offset - end;
			e->length = next->offset + next->length - e->offset;
		} else {
			list->items[++out] = *next;
		}
	}
	list->count = out + 1;
	list->bytes += added;
	return added;
}

/* Appends the part [from, to) of e (target offsets) to list. */
static void append_part(struct extent_list *list, const struct extent *e, uint64_t from,
			uint64_t to, bool unhashed)
{
	struct extent part = *e;

	if (from >= to)
		return;
	part.offset = from;
	part.length = to - from;
	part.src_offset = e->src_offset + (from - e->offset);
	part.unhashed = e->unhashed || unhashed;
	extents_append(list, &part);
}

int extents_mark_unhashed(struct wtg_ctx *ctx, struct extent_list *list, uint64_t offset, uint64_t length)
{
	struct extent_list out = { 0 };
	uint64_t end = offset + length, covered = 0;

	for (size_t i = 0; i < list->count; i++) {
		const struct extent *e = &list->items[i];
		uint64_t e_end = e->offset + e->length;
		uint64_t from = e->offset > offset ? e->offset : offset;
		uint64_t to = e_end < end ? e_end : end;

		if (from >= to) {
			extents_append(&out, e);
			continue;
		}
		append_part(&out, e, e->offset, from, false);
		append_part(&out, e, from, to, true);
		append_part(&out, e, to, e_end, false);
		covered += to - from;
	}
	if (covered != length) {
		extents_release(&out);
		return log_error(ctx, WTG_ERR_INTERNAL, "internal error: bytes %llu to %llu, to keep out of the hashes, were not all staged",
				 (unsigned long long)offset, (unsigned long long)(end - 1));
	}
	extents_release(list);
	*list = out;
	return 0;
}

const struct extent *extents_find(const struct extent_list *list, uint64_t offset)
{
	size_t lo = 0, hi = list->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct extent *e = &list->items[mid];

		if (offset < e->offset)
			hi = mid;
		else if (offset >= e->offset + e->length)
			lo = mid + 1;
		else
			return e;
	}
	return NULL;
}

struct block *blocks_add(struct block_list *blocks, uint64_t offset, uint64_t length,
			 const char *what)
{
	struct block *b;

	blocks->items = grow(blocks->items, &blocks->capacity, blocks->count, sizeof(*b));
	b = &blocks->items[blocks->count++];
	*b = (struct block){ .offset = offset, .length = length, .what = what };
	blocks->bytes += length;
	return b;
}

void blocks_plan(const struct extent_list *list, struct block_list *blocks)
{
	for (size_t i = 0; i < list->count; i++) {
		const struct extent *e = &list->items[i];

		for (uint64_t pos = 0; !e->unhashed && pos < e->length; pos += block_length(e, pos))
			blocks_add(blocks, e->offset + pos, block_length(e, pos), e->what);
	}
}

void blocks_release(struct block_list *blocks)
{
	free(blocks->items);
	*blocks = (struct block_list){ 0 };
}
