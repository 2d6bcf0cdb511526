/* layout.h - the disk layout of a Windows To Go disk, planned before a
 * byte is written, and its GPT written with libfdisk.
 *
 *   LBA 0        protective MBR, GPT header and entries
 *   1 MiB        ESP      FAT32, 260 MiB by default    C12A7328-F81F-11D2-BA4B-00A0C93EC93B
 *   ...          MSR      16 MiB                       E3C9E316-0B5C-4DB8-817D-F92DF00215AE
 *   ...          Windows  NTFS, the rest               EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
 *   ...          WINTOGO-VM  exFAT, only with write --vm-partition (vmpart.h),
 *                         also Microsoft basic data, so that macOS and
 *                         Windows mount it
 *   end          backup GPT entries and header
 *
 * Every partition starts and ends on a 1 MiB boundary.
 *
 * With an MBR table (write --partition-table mbr, for PCs that start from
 * BIOS as well as from UEFI) the layout is Microsoft's Windows To Go one:
 *
 *   LBA 0        MBR: BIOS boot code (biosboot.h), signature, 4 entries
 *   1 MiB        system   FAT32, type 0x0c, active: the UEFI boot files
 *                         and the BIOS ones (\bootmgr, \Boot)
 *   ...          Windows  NTFS, type 0x07, the rest
 *
 * parts[PART_MSR] is then empty (sectors 0): MBR disks have no MSR.
 */
#ifndef WINTOGO_LAYOUT_H
#define WINTOGO_LAYOUT_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/guid.h"
#include "wintogo/util.h"

#define LAYOUT_ALIGN MIB
#define LAYOUT_ESP_DEFAULT (260 * MIB)
#define LAYOUT_MSR_SIZE (16 * MIB)
#define LAYOUT_ESP_MAX (4 * GIB)
/* NTFS with 4 KiB clusters (mkntfs -c 4096) holds at most 2^32 clusters */
#define LAYOUT_DISK_MAX (UINT64_C(16) << 40)
/* FAT32 needs at least this many clusters, or it is FAT16 by definition. */
#define FAT32_MIN_CLUSTERS 65525
/* An MBR entry holds 32-bit sector numbers: 2 TiB with 512-byte sectors. */
#define LAYOUT_MBR_DISK_MAX (UINT64_C(1) << 41)

/* The partition table a layout has. */
enum layout_table_kind { LAYOUT_TABLE_GPT, LAYOUT_TABLE_MBR };

/* "gpt" or "mbr", as --partition-table, the plan and the manifest name it. */
const char *layout_table_name(enum layout_table_kind kind);

enum layout_part { PART_ESP, PART_MSR, PART_WINDOWS, PART_COUNT };

struct layout_partition {
	const char *role;       /* "esp", "msr", "windows" */
	const char *name;       /* the GPT partition name Windows gives it */
	const char *type_guid;  /* GPT; with an MBR table, its type ("0x0c") */
	struct guid uuid;       /* GPT only */
	uint64_t start;         /* in sectors */
	uint64_t sectors;
};

struct layout {
	enum layout_table_kind table;
	uint64_t disk_bytes;
	unsigned sector_size;
	struct guid disk_guid;
	uint32_t mbr_signature;  /* MBR: the disk signature at byte 0x1b8 */
	struct layout_partition parts[PART_COUNT];
	/* the WINTOGO-VM partition after Windows, GPT entry 4; sectors 0 when
	 * there is none.  Kept out of parts[]: it is optional, and what reads
	 * parts[] (the manifest, the BCD) has nothing to do with it */
	struct layout_partition vm;
};

struct layout_request {
	uint64_t disk_bytes;
	uint64_t used_bytes;    /* 0: the whole disk; else the partitions end where */
	                        /* they would on a disk of this size (a write to */
	                        /* several disks: sized for the smallest) */
	unsigned sector_size;   /* 512 or 4096 */
	uint64_t esp_bytes;     /* 0: LAYOUT_ESP_DEFAULT */
	uint64_t vm_bytes;      /* 0: no WINTOGO-VM partition; else whole MiB */
	enum layout_table_kind table;
	bool seeded;            /* GUIDs derived from seed, else random */
	uint64_t seed;
};

/* The room an image of expanded_bytes needs on NTFS: its size plus 10 %
 * (at least 64 MiB, for NTFS metadata on small images). */
uint64_t layout_windows_min_bytes(uint64_t expanded_bytes);
/* The smallest disk that holds the layout for such an image. */
uint64_t layout_disk_min_bytes(uint64_t expanded_bytes, uint64_t esp_bytes);
/* The default size of a disk image: the image + 20 % + ESP + MSR, in whole GiB. */
uint64_t layout_disk_default_bytes(uint64_t expanded_bytes, uint64_t esp_bytes);

/* Checks an ESP size: whole MiB, FAT32-valid at that sector size (one
 * sector per cluster), at most LAYOUT_ESP_MAX.  Logs why not. */
int layout_check_esp(struct wtg_ctx *ctx, uint64_t esp_bytes, unsigned sector_size);

/* Computes the layout.  Fails (logged) with -WTG_ERR_TARGET_TOO_SMALL when
 * the disk cannot hold it. */
int layout_plan(struct wtg_ctx *ctx, const struct layout_request *req, struct layout *layout_ret);

static inline uint64_t layout_offset(const struct layout *l, enum layout_part p)
{
	return l->parts[p].start * l->sector_size;
}

static inline uint64_t layout_bytes(const struct layout *l, enum layout_part p)
{
	return l->parts[p].sectors * l->sector_size;
}

/* Where the last partition ends (the VM partition's end, else Windows'). */
static inline uint64_t layout_partitions_end(const struct layout *l)
{
	const struct layout_partition *last = l->vm.sectors ? &l->vm : &l->parts[PART_WINDOWS];

	return (last->start + last->sectors) * l->sector_size;
}

#define LAYOUT_VM_NAME "WINTOGO-VM"  /* its GPT name and its exFAT label */

/* Writes the GPT (protective MBR, both headers and entry arrays) of the
 * layout with libfdisk into path, an existing file of l->disk_bytes. */
int layout_write_gpt(struct wtg_ctx *ctx, const struct layout *l, const char *path);

/* Writes the table l->table says: the GPT as layout_write_gpt, or the
 * MBR (signature, the two entries, the system partition active) of an MBR
 * layout; the MBR's 440 bytes of boot code are left to biosboot.h. */
int layout_write_table(struct wtg_ctx *ctx, const struct layout *l, const char *path);

#define LAYOUT_MBR_TYPE_FAT32 "0x0c"
#define LAYOUT_MBR_TYPE_NTFS "0x07"

#define LAYOUT_TYPE_ESP "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define LAYOUT_MBR_TYPE_ESP "0xef"

/* A partition of an existing disk, as libfdisk reads it. */
struct layout_entry {
	unsigned number;          /* 1-based */
	uint64_t offset, size;    /* in bytes */
	char type[GUID_STR_LEN];  /* a GUID (GPT) or "0x07" (MBR) */
	char *type_name;          /* "EFI System", or NULL */
	char *name;               /* the GPT name, or NULL */
	char *uuid;               /* the GPT partition GUID, or NULL */
	bool bootable;            /* MBR: the active flag */
};

struct layout_table {
	char label[8];            /* "gpt" or "dos" */
	char *id;                 /* the disk GUID or MBR signature */
	unsigned sector_size;
	struct layout_entry *entries;
	size_t count;
};

/* Reads the partition table of the disk (image) at path with libfdisk,
 * with sector_size-byte sectors (0: what the device says, 512 for a
 * file).  Returns -ENOENT, not logged, when it has none (the caller knows
 * what the disk is); other failures are logged. */
int layout_read_table(struct wtg_ctx *ctx, const char *path, unsigned sector_size, struct layout_table *table_ret);
void layout_table_release(struct layout_table *table);

/* Whether e is an EFI system partition: GPT type LAYOUT_TYPE_ESP, or MBR
 * type 0xef.  The one test of it, for every reader of disks. */
bool layout_entry_is_esp(const struct layout_entry *e);

/* Whether e is the partition UEFI and BIOS boot from: an ESP, or, in an
 * MBR table, the active FAT32 partition (Microsoft's MBR Windows To Go). */
bool layout_entry_is_system(const struct layout_table *t, const struct layout_entry *e);

/* What probe, verify and list say of a blank disk (layout_is_blank), after
 * "'DISK' has ": a write that wintogo did not finish leaves one, since the
 * partition table is written last (write.h). */
#define LAYOUT_BLANK_ADVICE "no partition table: if wintogo was interrupted while writing it, write it again"
/* The bytes at the start of a blank disk that are zeros: more than a GPT
 * takes with 4096-byte sectors, less than the zeros a write sends there. */
#define LAYOUT_BLANK_BYTES (64 * 1024)

/* Whether the disk (or disk image) at path is blank: its first
 * LAYOUT_BLANK_BYTES are zeros and libblkid finds no signature on it (no
 * partition table, file system, RAID or LVM member).  A file counts only
 * when it could be a disk: whole 512-byte sectors, 1 MiB or more.  False
 * too when it cannot be read: the caller has said what it found instead. */
bool layout_is_blank(const char *path);

/* Finds the first EFI system partition (or MBR system partition:
 * layout_entry_is_system) of the disk (or disk image) at path,
 * read with 512-byte sectors, else 4096-byte ones (a 4Kn disk image).
 * Returns -WTG_ERR_NOT_BOOTABLE, not logged, when it has none: the caller
 * says what that means for what it was asked; other failures are logged. */
int layout_find_esp(struct wtg_ctx *ctx, const char *path, uint64_t *offset_ret,
		    uint64_t *size_ret);

#endif
