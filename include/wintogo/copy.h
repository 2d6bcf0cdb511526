/* copy.h - a byte range from one file into another: copy_file_range where
 * the kernel can (no data through user space; a reflink where the file
 * system shares blocks), else buffered reads and writes.
 *
 * Nothing is logged here: the caller knows which file to name. */
#ifndef WINTOGO_COPY_H
#define WINTOGO_COPY_H

#include <stdint.h>

enum copy_side { COPY_READ, COPY_WRITE };

/* Copies len bytes of in_fd from in_off to out_fd at out_off.  Returns 0,
 * or a negative errno-style code with *side_ret saying which file failed:
 * -ENODATA when in_fd ends before the range does. */
int copy_range(int in_fd, uint64_t in_off, int out_fd, uint64_t out_off, uint64_t len,
	       enum copy_side *side_ret);

#endif
