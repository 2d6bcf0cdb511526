/* wimhdr.h - a WIM file's header, checked before wimlib sees it, and which
 * bytes of the file wimlib reads to open it and list its images: the
 * header, the XML document, the blob table and, in a solid (ESD) WIM, the
 * small header at the start of every solid resource.
 *
 * wimlib trusts the header: it allocates what the image count and the
 * sizes of the blob table and the XML say (12.9 GB for an image count of
 * 1645683454) before finding out that the file cannot hold them.  So every
 * WIM, ESD or SWM that wintogo opens has its header checked here first,
 * against the size of the file, with checked arithmetic.
 *
 * A WIM inside an ISO can then be listed from a sparse copy that holds only
 * the bytes wimlib reads (a few MiB of a several-GiB install.wim).  Only the
 * header and the blob table are read here, as packed little-endian structs;
 * everything else is wimlib's job. */
#ifndef WINTOGO_WIMHDR_H
#define WINTOGO_WIMHDR_H

#include <stddef.h>
#include <stdint.h>

#include "wintogo/ctx.h"
#include "wintogo/util.h"  /* struct byte_range */

/* The size of a WIM header, and of its reason texts (with the NUL). */
#define WIMHDR_SIZE 208
#define WIMHDR_WHY_SIZE 160

/* Checks a WIM header given as bytes: hdr holds len bytes (WIMHDR_SIZE
 * for a whole header), the header of a WIM file of file_size bytes (for a
 * pipable WIM, the copy at the end of the file: see wimhdr_check).  A pure
 * function for fuzzing: it reads nothing else, allocates nothing, logs
 * nothing, and accepts any len and any bytes.
 *
 * Returns 0 when wimlib may open the file: the magic is "MSWIM" (or the
 * pipable "WLPWM"), the header size 208, the version one wimlib knows, the
 * part number within the total parts, the image count no more than the
 * blob table and the XML can hold, every resource (blob table, XML, boot
 * metadata, integrity table) inside the file, the blob table a whole
 * number of entries, and no resource larger than wintogo will read into
 * memory.  Else a negated code, with why (why_size bytes, NUL-terminated;
 * may be NULL) saying what is wrong, as the end of a sentence about the
 * file ("its image count (9) is more than its blob table can hold (2)"):
 * -WTG_ERR_NOT_AN_IMAGE (no WIM magic, or len too short for a header),
 * -WTG_ERR_IMAGE_UNSUPPORTED (a version wimlib does not know), or
 * -WTG_ERR_IMAGE_DAMAGED. */
int wimhdr_check_header(const void *hdr, size_t len, uint64_t file_size, char *why,
			size_t why_size);

/* Reads len bytes at offset of the WIM; returns 0 or a negative code
 * (already logged). */
typedef int (*wimhdr_read_fn)(void *user, uint64_t offset, void *buf, size_t len);

/* Checks the header of the WIM named name (in messages), of file_size
 * bytes, read with read: the one at its start, or for a pipable WIM the
 * one at its end, which is the one wimlib uses.  Returns 0; or logs
 * "'name' is damaged: ...; download or copy it again" and returns
 * -WTG_ERR_IMAGE_DAMAGED (or -WTG_ERR_IMAGE_UNSUPPORTED, see
 * wimhdr_check_header); or the error of read.  A file without a WIM
 * header (or shorter than one) gives -WTG_ERR_NOT_AN_IMAGE with nothing
 * logged, so that the caller says what it expected there. */
int wimhdr_check(struct wtg_ctx *ctx, const char *name, uint64_t file_size, wimhdr_read_fn read,
		 void *user);

/* The byte ranges wimlib_open_wim reads from a WIM of file_size bytes, in
 * *ranges_ret (freed by the caller).  Returns 0; -EINVAL (nothing logged)
 * when the file is not a WIM whose reads are known here (no "MSWIM" header,
 * a range past the end, a compressed blob table): copy all of it then, and
 * let wimlib judge; or the error of read. */
int wimhdr_open_ranges(uint64_t file_size, wimhdr_read_fn read, void *user,
		       struct byte_range **ranges_ret, size_t *count_ret);

#endif
