/* hive.c - helpers for editing registry hives with hivex (see hive.h). */
#include "wintogo/hive.h"

#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "wintogo/util.h"

char *hive_utf16(const char *text, size_t *len_ret)
{
	size_t in_left = strlen(text), out_size = 2 * in_left + 2, out_left = out_size;
	char *out = xcalloc(1, out_size), *in = (char *)text, *p = out;
	iconv_t cd = iconv_open("UTF-16LE", "UTF-8");

	if (cd == (iconv_t)-1 || iconv(cd, &in, &in_left, &p, &out_left) == (size_t)-1) {
		/* not UTF-8: keep the bytes as Latin-1, never fail over a name */
		p = out;
		for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
			*p++ = (char)*c;
			*p++ = 0;
		}
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	*len_ret = (size_t)(p - out) + 2;
	return out;
}

hive_node_h hive_path(hive_h *h, hive_node_h node, const char *path, bool create)
{
	char *copy = xstrdup(path), *save = NULL;

	for (char *part = strtok_r(copy, "\\", &save); part && node;
	     part = strtok_r(NULL, "\\", &save)) {
		hive_node_h next;

		errno = 0;
		next = hivex_node_get_child(h, node, part);
		if (!next && !errno && create)
			next = hivex_node_add_child(h, node, part);
		node = next;
	}
	free(copy);
	return node;
}
