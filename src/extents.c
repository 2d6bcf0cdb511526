/* extents.c - the disk as an ordered list of extents (see extents.h). */
#include "wintogo/extents.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "wintogo/log.h"
#include "wintogo/util.h"

void extents_append(struct extent_list *list, const struct extent *e)
{
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? list->capacity * 2 : 64;
		list->items = xrealloc(list->items, list->capacity * sizeof(*e));
	}
	list->items[list->count++] = *e;
	list->bytes += e->length;
}

int extents_add_file(struct extent_list *list, int fd, uint64_t target_offset, uint64_t length,
		     const char *what)
{
	off_t pos = 0;

	while ((uint64_t)pos < length) {
		off_t data = lseek(fd, pos, SEEK_DATA);
		off_t hole;

		if (data < 0 && errno == ENXIO)
			break;  /* only holes from here on */
		if (data < 0)
			return log_errno(-errno, "cannot find the data of the %s stage", what);
		if ((uint64_t)data >= length)
			break;
		hole = lseek(fd, data, SEEK_HOLE);
		if (hole < 0)
			return log_errno(-errno, "cannot find the holes of the %s stage", what);
		if ((uint64_t)hole > length)
			hole = (off_t)length;
		extents_append(list, &(struct extent){ target_offset + (uint64_t)data, (uint64_t)(hole - data),
					       fd, (uint64_t)data, what });
		pos = hole;
	}
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const struct extent *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

int extents_finish(struct extent_list *list)
{
	qsort(list->items, list->count, sizeof(struct extent), by_offset);
	for (size_t i = 1; i < list->count; i++) {
		const struct extent *prev = &list->items[i - 1], *e = &list->items[i];

		if (prev->offset + prev->length > e->offset)
			return log_error(-EINVAL, "internal error: the %s and %s extents overlap at byte %llu",
					 prev->what, e->what, (unsigned long long)e->offset);
	}
	return 0;
}

void extents_release(struct extent_list *list)
{
	free(list->items);
	*list = (struct extent_list){ 0 };
}
