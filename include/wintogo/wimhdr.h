/* wimhdr.h - which bytes of a WIM file wimlib reads to open it and list
 * its images: the header, the XML document, the blob table and, in a solid
 * (ESD) WIM, the small header at the start of every solid resource.
 *
 * A WIM inside an ISO can then be listed from a sparse copy that holds only
 * these bytes (a few MiB of a several-GiB install.wim).  Only the header and
 * the blob table are read here, as packed little-endian structs; everything
 * else is wimlib's job. */
#ifndef WINTOGO_WIMHDR_H
#define WINTOGO_WIMHDR_H

#include <stddef.h>
#include <stdint.h>

#include "wintogo/util.h"  /* struct byte_range */

/* Reads len bytes at offset of the WIM; returns 0 or a negative code
 * (already logged). */
typedef int (*wimhdr_read_fn)(void *user, uint64_t offset, void *buf, size_t len);

/* The byte ranges wimlib_open_wim reads from a WIM of file_size bytes, in
 * *ranges_ret (freed by the caller).  Returns 0; -EINVAL (nothing logged)
 * when the file is not a WIM whose reads are known here (no "MSWIM" header,
 * a range past the end, a compressed blob table): copy all of it then, and
 * let wimlib judge; or the error of read. */
int wimhdr_open_ranges(uint64_t file_size, wimhdr_read_fn read, void *user,
		       struct byte_range **ranges_ret, size_t *count_ret);

#endif
