/* manifest.h - what was written to a disk, for checking it again later
 * (`wintogo verify`): a JSON document that names the image (path, name,
 * index, and its SHA-256 when the write checked it), the tool and the date
 * (UTC), the disk (size, sector size, GUID) and its partitions, and every
 * block written (extents.h) with its SHA-256:
 *
 *   { "wintogo_manifest": 1, "tool": "wintogo 0.1.0",
 *     "date": "2026-11-22T10:00:00Z",
 *     "image": { "path", "name", "index", "sha256" (or null) },
 *     "disk": { "size", "sector_size", "guid", "partition_table" },
 *             ("guid" of an MBR disk is its signature, "0x1234abcd";
 *             "partition_table" "gpt" or "mbr", "gpt" when missing),
 *     "speed": { ... } (only after write --speed-check: speed_json()),
 *     "partitions": [ { "role": "esp", "offset", "size" }, ... ],
 *                   (esp, msr, windows, and vm with --vm-partition)
 *     "block_bytes": 4194304,
 *     "excluded": [ { "offset", "length" } ],
 *     "extents": [ { "offset", "length", "partition", "sha256" }, ... ] }
 *
 * It is written next to an image output (DISK.img.manifest.json, as
 * .partial, then renamed) and into the disk's ESP as
 * \wintogo\manifest.json.
 *
 * The manifest in the ESP cannot hold the hash of the bytes it occupies.
 * So, once every partition is staged:
 *   1. its size is fixed first: the manifest is rendered with the blocks
 *      the sink will hash (hashes zero; they are fixed-width hex), and a
 *      margin for the blocks its own clusters will split, rounded up to
 *      4 KiB;
 *   2. a file of that size, all spaces, is made on the staged ESP with
 *      mtools (esp_reserve.h): the FAT, the folder entries and the size are
 *      final from here on, and its clusters' byte ranges are known;
 *   3. those byte ranges are marked unhashed in the extent list: the stream
 *      sends them (spaces) but hashes everything else, and they are the
 *      "excluded" ranges of the manifest, the one part of the ESP (of the
 *      disk) left out of its hashes;
 *   4. after the stream, the manifest with the real hashes, padded with
 *      spaces to the reserved size, is written over exactly those bytes
 *      (sink_overwrite), and read back with everything else.
 * `wintogo verify` reads the manifest through the FAT (mtype), so its
 * bytes are checked as far as they must parse, and checks every block. */
#ifndef WINTOGO_MANIFEST_H
#define WINTOGO_MANIFEST_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wintogo/digest.h"
#include "wintogo/extents.h"
#include "wintogo/guid.h"
#include "wintogo/layout.h"
#include "wintogo/outfile.h"

#define MANIFEST_FORMAT 1
#define MANIFEST_ESP_FOLDER "::/wintogo"
#define MANIFEST_ESP_NAME "manifest.json"
#define MANIFEST_ESP_PATH MANIFEST_ESP_FOLDER "/" MANIFEST_ESP_NAME

struct manifest_part {
	const char *role;        /* "esp", "msr", "windows" */
	uint64_t offset;
	uint64_t size;
};

struct manifest {
	char *tool;
	char *date;
	char *image_path;
	char *image_name;
	int image_index;
	bool image_hashed;
	uint8_t image_sha256[SHA256_BYTES];
	const char *boot_set;    /* "EFI" or "EFI_EX": the boot managers on the ESP */
	const char *boot_ca;     /* who signed the one started: sb_ca_name() */
	uint64_t disk_bytes;
	unsigned sector_size;
	char disk_guid[GUID_STR_LEN];  /* MBR: the disk signature, "0x1234abcd" */
	const char *table;       /* "gpt" or "mbr" (layout_table_name): the
				    partition of the table's own blocks */
	struct manifest_part parts[PART_COUNT];
	struct manifest_part vm;  /* the WINTOGO-VM partition; role NULL: none */
	struct byte_range *excluded;
	size_t n_excluded;
	struct block_list blocks;
	const struct speed_result *speed;  /* the disk's speed measured before the
					      write (speed.h), or NULL: "speed" */
};

/* The JSON text, padded with spaces to pad_to bytes when pad_to is not 0
 * (-WTG_ERR_INTERNAL, logged, when it is longer).  Free *text_ret. */
int manifest_render(struct wtg_ctx *ctx, const struct manifest *m, size_t pad_to, char **text_ret, size_t *len_ret);

/* Adds "tool", "date" and "image" to the JSON object being written. */
struct json;
void manifest_json_origin(struct json *j, const struct manifest *m);

/* Writes text as path's .partial file (out, outfile.h) and syncs it, so
 * that only the rename is left to fail after the image; the caller puts
 * it in place with outfile_commit once the disk image itself is, or
 * drops it with outfile_abort, so a failed run never replaces an earlier
 * manifest of that name. */
int manifest_save(struct wtg_ctx *ctx, const char *text, size_t len, const char *path, struct outfile *out);

/* Reads a manifest from text; origin names it in messages.  Text that is
 * not a manifest of MANIFEST_FORMAT fails with -WTG_ERR_MANIFEST_DAMAGED. */
int manifest_parse(struct wtg_ctx *ctx, const char *text, size_t len, const char *origin, struct manifest *m_ret);
int manifest_read_file(struct wtg_ctx *ctx, const char *path, struct manifest *m_ret);
/* From \wintogo\manifest.json on the ESP of the GPT disk (or image) at
 * target; *esp_offset_ret is where that ESP starts.  A target with no GPT
 * EFI system partition fails with -WTG_ERR_NOT_BOOTABLE (a blank one, as a
 * write cut off leaves it, logged as such: layout_is_blank). */
int manifest_read_disk(struct wtg_ctx *ctx, const char *target, struct manifest *m_ret, uint64_t *esp_offset_ret);

void manifest_release(struct manifest *m);

/* The partition byte offset of the disk is in ("esp", "msr", "windows";
 * "gpt" outside them) and *rel_ret, the offset in that partition (in the
 * disk for "gpt"). */
const char *manifest_where(const struct manifest *m, uint64_t offset, uint64_t *rel_ret);

#endif
