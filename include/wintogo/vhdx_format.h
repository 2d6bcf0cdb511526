/* vhdx_format.h - the on-disk structures of a VHDX file (MS-VHDX), shared
 * by the reader (vhdx.c) and the writer (sink_vhdx.c).
 *
 *   0        file type identifier: "vhdxfile" and a creator string
 *   64 KiB   header 1 (4 KiB, CRC-32C)    }  the valid one with the
 *   128 KiB  header 2 (4 KiB, CRC-32C)    }  higher sequence number wins
 *   192 KiB  region table 1 (64 KiB, CRC-32C): where the BAT and the
 *   256 KiB  region table 2                   metadata region are
 *   1 MiB..  the log, the metadata region, the BAT and the payload blocks,
 *            each at a multiple of 1 MiB, anywhere, never overlapping
 *
 * The virtual disk is cut into blocks (1 to 256 MiB, a power of two); the
 * BAT has one 64-bit entry per block: its state in bits 0-2 and its file
 * offset in MiB in bits 20-63.  After every chunk_ratio payload entries
 * comes one sector bitmap entry (used only by differencing disks), where
 * chunk_ratio = 2^23 * logical sector size / block size.
 *
 * Every integer is little-endian; GUIDs are stored as Windows stores them
 * (the first three fields little-endian). */
#ifndef WINTOGO_VHDX_FORMAT_H
#define WINTOGO_VHDX_FORMAT_H

#include <assert.h>
#include <stdint.h>

#include "wintogo/util.h"

#define VHDX_SIGNATURE "vhdxfile"
#define VHDX_HEADER_SIGNATURE 0x64616568u     /* "head" */
#define VHDX_REGION_SIGNATURE 0x69676572u     /* "regi" */
#define VHDX_METADATA_SIGNATURE "metadata"

#define VHDX_HEADER1_OFFSET (64 * 1024)
#define VHDX_HEADER2_OFFSET (128 * 1024)
#define VHDX_REGION1_OFFSET (192 * 1024)
#define VHDX_REGION2_OFFSET (256 * 1024)
#define VHDX_HEADER_SIZE 4096
#define VHDX_REGION_TABLE_SIZE (64 * 1024)
#define VHDX_METADATA_TABLE_SIZE (64 * 1024)
#define VHDX_ALIGN MIB                       /* of regions, the log and blocks */
#define VHDX_MAX_ENTRIES 2047                /* region and metadata tables */

#define VHDX_BLOCK_MIN MIB
#define VHDX_BLOCK_MAX (256 * MIB)
#define VHDX_BLOCK_DEFAULT MIB
#define VHDX_MAX_SIZE (UINT64_C(64) << 40)   /* 64 TiB */

/* BAT entry states */
#define VHDX_BAT_STATE_MASK 7
#define VHDX_PAYLOAD_NOT_PRESENT 0
#define VHDX_PAYLOAD_UNDEFINED 1
#define VHDX_PAYLOAD_ZERO 2
#define VHDX_PAYLOAD_UNMAPPED 3
#define VHDX_PAYLOAD_FULLY_PRESENT 6
#define VHDX_PAYLOAD_PARTIALLY_PRESENT 7
#define VHDX_BAT_OFFSET_SHIFT 20             /* the file offset in MiB */

/* file parameters flags */
#define VHDX_PARAM_LEAVE_BLOCKS_ALLOCATED 0x1
#define VHDX_PARAM_HAS_PARENT 0x2

/* metadata entry flags */
#define VHDX_META_IS_USER 0x1
#define VHDX_META_IS_VIRTUAL_DISK 0x2
#define VHDX_META_IS_REQUIRED 0x4

/* Region and metadata item GUIDs, in their on-disk byte order. */
#define VHDX_GUID(a, b, c, d0, d1, d2, d3, d4, d5, d6, d7)                             \
	{ (a) & 0xff, (a) >> 8 & 0xff, (a) >> 16 & 0xff, (a) >> 24 & 0xff, (b) & 0xff,   \
	  (b) >> 8 & 0xff, (c) & 0xff, (c) >> 8 & 0xff, d0, d1, d2, d3, d4, d5, d6, d7 }
#define VHDX_GUID_BAT \
	VHDX_GUID(0x2DC27766u, 0xF623u, 0x4200u, 0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08)
#define VHDX_GUID_METADATA \
	VHDX_GUID(0x8B7CA206u, 0x4790u, 0x4B9Au, 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E)
#define VHDX_GUID_FILE_PARAMETERS \
	VHDX_GUID(0xCAA16737u, 0xFA36u, 0x4D43u, 0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B)
#define VHDX_GUID_VIRTUAL_DISK_SIZE \
	VHDX_GUID(0x2FA54224u, 0xCD1Bu, 0x4876u, 0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8)
#define VHDX_GUID_PAGE83_DATA \
	VHDX_GUID(0xBECA12ABu, 0xB2E6u, 0x4523u, 0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46)
#define VHDX_GUID_LOGICAL_SECTOR_SIZE \
	VHDX_GUID(0x8141BF1Du, 0xA96Fu, 0x4709u, 0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F)
#define VHDX_GUID_PHYSICAL_SECTOR_SIZE \
	VHDX_GUID(0xCDA348C7u, 0x445Du, 0x4471u, 0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51, 0xC5, 0x56)
#define VHDX_GUID_PARENT_LOCATOR \
	VHDX_GUID(0xA8D35F2Du, 0xB30Bu, 0x454Du, 0xAB, 0xF7, 0xD3, 0xD8, 0x48, 0x34, 0xAB, 0x0C)

struct vhdx_file_identifier {
	char signature[8];                   /* "vhdxfile" */
	uint16_t creator[256];               /* UTF-16LE, informational */
} __attribute__((packed));
static_assert(sizeof(struct vhdx_file_identifier) == 520, "VHDX file identifier");

struct vhdx_header {
	uint32_t signature;                  /* "head" */
	uint32_t checksum;                   /* CRC-32C of the 4 KiB, this field 0 */
	uint64_t sequence_number;
	uint8_t file_write_guid[16];
	uint8_t data_write_guid[16];
	uint8_t log_guid[16];                /* zero: no log entries to replay */
	uint16_t log_version;                /* 0 */
	uint16_t version;                    /* 1 */
	uint32_t log_length;                 /* multiple of 1 MiB */
	uint64_t log_offset;                 /* multiple of 1 MiB, at least 1 MiB */
	uint8_t reserved[4016];
} __attribute__((packed));
static_assert(sizeof(struct vhdx_header) == VHDX_HEADER_SIZE, "VHDX header is 4 KiB");

struct vhdx_region_table_header {
	uint32_t signature;                  /* "regi" */
	uint32_t checksum;                   /* CRC-32C of the 64 KiB table */
	uint32_t entry_count;
	uint32_t reserved;
} __attribute__((packed));
static_assert(sizeof(struct vhdx_region_table_header) == 16, "VHDX region table header");

struct vhdx_region_entry {
	uint8_t guid[16];
	uint64_t file_offset;
	uint32_t length;
	uint32_t required;                   /* bit 0 */
} __attribute__((packed));
static_assert(sizeof(struct vhdx_region_entry) == 32, "VHDX region table entry");

struct vhdx_metadata_table_header {
	char signature[8];                   /* "metadata" */
	uint16_t reserved;
	uint16_t entry_count;
	uint32_t reserved2[5];
} __attribute__((packed));
static_assert(sizeof(struct vhdx_metadata_table_header) == 32, "VHDX metadata table header");

struct vhdx_metadata_entry {
	uint8_t item_id[16];
	uint32_t offset;                     /* from the region's start, >= 64 KiB */
	uint32_t length;
	uint32_t flags;                      /* VHDX_META_* */
	uint32_t reserved;
} __attribute__((packed));
static_assert(sizeof(struct vhdx_metadata_entry) == 32, "VHDX metadata table entry");

struct vhdx_file_parameters {
	uint32_t block_size;
	uint32_t flags;                      /* VHDX_PARAM_* */
} __attribute__((packed));
static_assert(sizeof(struct vhdx_file_parameters) == 8, "VHDX file parameters");

/* Payload blocks per sector bitmap block. */
static inline uint64_t vhdx_chunk_ratio(uint32_t logical_sector, uint32_t block_size)
{
	return (UINT64_C(1) << 23) * logical_sector / block_size;
}

/* The BAT entry of payload block i. */
static inline uint64_t vhdx_bat_index(uint64_t block, uint64_t chunk_ratio)
{
	return block + block / chunk_ratio;
}

/* The entries of the BAT of a disk without a parent: every payload block
 * and the sector bitmap entries between them. */
static inline uint64_t vhdx_bat_entries(uint64_t blocks, uint64_t chunk_ratio)
{
	return blocks ? vhdx_bat_index(blocks - 1, chunk_ratio) + 1 : 0;
}

#endif
