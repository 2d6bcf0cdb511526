/* esp_reserve.h - a file of fixed size on a built ESP (esp.h) whose
 * clusters are known, so that its content can be written later, straight
 * into those bytes, without changing anything else on the FAT: the FAT,
 * the folder entries and the file's size are final when it is made.
 *
 * The manifest (manifest.h) uses it: its content depends on the hashes of
 * the ESP it lies on. */
#ifndef WINTOGO_ESP_RESERVE_H
#define WINTOGO_ESP_RESERVE_H

#include "wintogo/ctx.h"

#include <stddef.h>
#include <stdint.h>

#include "wintogo/util.h"

/* Makes folder (e.g. "::/wintogo") and in it the file name of bytes
 * (filled with spaces; a multiple of the cluster size) on the FAT32 file
 * esp, using scratch (a path in the stage) for the content.  Returns
 * where the file's clusters are in esp, as byte ranges in file order (one,
 * unless the FAT is fragmented); free *ranges_ret. */
int esp_reserve_file(struct wtg_ctx *ctx, const char *esp, const char *scratch, const char *folder,
		     const char *name, uint64_t bytes, struct byte_range **ranges_ret,
		     size_t *n_ret);

#endif
