/* bcd.h - the Boot Configuration Data store (\EFI\Microsoft\Boot\BCD,
 * and \Boot\BCD for BIOS), written with hivex as `bcdboot` writes it, for a disk with an
 * ESP and a Windows partition.
 *
 * A store is a registry hive: \Description (KeyName, System) and
 * \Objects\{guid}\Description\Type, \Objects\{guid}\Elements\{code}\Element.
 * Element values are typed by the code's format (bits 24-27): device and
 * integers REG_BINARY (8-byte integers, 1-byte booleans), strings and
 * objects REG_SZ, object lists REG_MULTI_SZ.  Devices name partitions by
 * GPT partition and disk GUID (or MBR offset and disk signature), which
 * travel with the disk, so the store works in any PC the stick is put in.
 */
#ifndef WINTOGO_BCD_H
#define WINTOGO_BCD_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wintogo/guid.h"

#define BCD_DEVICE_SIZE 88  /* 16-byte associated entry + 0x48-byte device */

enum bcd_partition_style { BCD_STYLE_GPT = 0, BCD_STYLE_MBR = 1 };

/* A partition, as a BCD device element names it. */
struct bcd_device {
	enum bcd_partition_style style;
	struct guid partition;     /* GPT: the partition's unique GUID */
	struct guid disk;          /* GPT: the disk GUID */
	uint64_t mbr_offset;       /* MBR: the partition's offset in bytes */
	uint32_t mbr_signature;    /* MBR: the disk signature (MBR offset 0x1b8) */
};

/* The 88-byte element of a partition device (DeviceType 6, size 0x48). */
void bcd_device_encode(const struct bcd_device *dev, uint8_t out[BCD_DEVICE_SIZE]);

/* Reads a partition device element back.  Returns 0, or -EINVAL when the
 * bytes are not an 88-byte type-6 partition device. */
int bcd_device_decode(const uint8_t *bytes, size_t len, struct bcd_device *dev_ret);

/* Which boot manager reads the store: the two that `bcdboot /f ALL`
 * writes differ in their applications' paths (.efi under \EFI\Microsoft
 * for UEFI; winload.exe and \boot\memtest.exe, no path for \bootmgr
 * itself, for BIOS, in \Boot\BCD). */
enum bcd_firmware { BCD_FIRMWARE_UEFI, BCD_FIRMWARE_BIOS };

struct bcd_request {
	enum bcd_firmware firmware;
	const char *template_path;       /* the image's BCD-Template, or NULL:
					    start from an empty hive */
	const char *out_path;            /* must not exist */
	struct bcd_device esp;           /* boot manager, memory tester */
	struct bcd_device windows;       /* loader, resume */
	const char *vhdx_path;           /* write --vhdx: windows is the partition
					    inside this VHDX file on vhdx_host
					    (bcd_vhdx.h); NULL: on the disk */
	struct bcd_device vhdx_host;
	const char *loader_description;  /* shown in the boot menu */
	const char *locale;              /* e.g. "en-US" */
	bool seeded;                     /* loader and resume GUIDs from seed */
	uint64_t seed;
};

/* Writes the store.  A template hivex cannot open is an error (logged,
 * naming it); nothing falls back to an empty hive silently. */
int bcd_build(struct wtg_ctx *ctx, const struct bcd_request *req);

/* Well-known object GUIDs (lower case, with braces, as keys are named). */
#define BCD_BOOTMGR "{9dea862c-5cdd-4e70-acc1-f32b344d4795}"
#define BCD_MEMDIAG "{b2721d73-1db4-4c62-bf78-c548a880142d}"
#define BCD_GLOBALSETTINGS "{7ea2e1ac-2e61-4728-aaa3-896d9d0a9f0e}"
#define BCD_BOOTLOADERSETTINGS "{6efb52bf-1766-41db-a6b3-0ee5eff72bd7}"
#define BCD_RESUMELOADERSETTINGS "{1afa9c49-16ab-4a5c-901b-212802da9460}"
#define BCD_DBGSETTINGS "{4636856e-540f-4170-a130-a84776f4c654}"
#define BCD_EMSSETTINGS "{0ce4991b-e6b3-4b16-b23c-5e0d9250e5d9}"
#define BCD_BADMEMORY "{5189b25c-5558-4bf2-bca4-289b11bd29e2}"
#define BCD_HYPERVISORSETTINGS "{7ff607e0-4395-11db-b0de-0800200c9a66}"

#endif
