/* copy.c - byte ranges between files (see copy.h). */
#include "wintogo/copy.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "wintogo/util.h"

#define COPY_CHUNK (8 * MIB)

/* The buffered way, where copy_file_range cannot (other file systems). */
static int copy_buffered(int in, uint64_t in_off, int out, uint64_t out_off, uint64_t len,
			 enum copy_side *side_ret)
{
	char *buf = xmalloc(COPY_CHUNK);
	int ret = 0;

	while (len && !ret) {
		size_t want = len < COPY_CHUNK ? len : COPY_CHUNK;
		ssize_t n = pread(in, buf, want, (off_t)in_off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*side_ret = COPY_READ;
			ret = n < 0 ? -errno : -ENODATA;
		} else if ((ret = pwrite_all(out, buf, (size_t)n, out_off)) < 0) {
			*side_ret = COPY_WRITE;
		} else {
			in_off += (uint64_t)n;
			out_off += (uint64_t)n;
			len -= (uint64_t)n;
		}
	}
	free(buf);
	return ret;
}

int copy_range(int in_fd, uint64_t in_off, int out_fd, uint64_t out_off, uint64_t len,
	       enum copy_side *side_ret)
{
	loff_t in = (loff_t)in_off, out = (loff_t)out_off;

	while (len) {
		size_t want = len < COPY_CHUNK ? len : COPY_CHUNK;
		ssize_t n = copy_file_range(in_fd, &in, out_fd, &out, want, 0);

		/* where the kernel cannot, and on any other error: the buffered
		 * way either works or says which side failed */
		if (n < 0 && errno != EINTR)
			return copy_buffered(in_fd, (uint64_t)in, out_fd, (uint64_t)out, len,
					     side_ret);
		if (n < 0)
			continue;
		if (n == 0) {
			*side_ret = COPY_READ;
			return -ENODATA;
		}
		len -= (uint64_t)n;
	}
	return 0;
}
