/* vhdx_boot.h - Windows in a VHDX file on the stick, booted natively
 * (write --vhdx, as WinToUSB's "VHDX mode"):
 *
 *   the stick   GPT: ESP, MSR and an NTFS host partition (layout.h; the
 *               layout's "windows" partition is the host)
 *   the host    NTFS holding \wintogo\windows.vhdx, allocated non-sparse,
 *               uncompressed and (on a fresh NTFS) in one or a few runs
 *   the file    a VHDX (sink_vhdx.c), fixed or dynamic
 *   inside it   an MBR disk with one NTFS partition from 1 MiB to its end,
 *               the image applied by wimlib and serviced as on a stick
 *
 * The boot manager on the ESP finds Windows through the nested BCD device
 * of bcd_vhdx.h: the partition at byte 1 MiB of the disk with the MBR
 * signature, inside the VHDX file at that path on the host partition.
 * Windows needs the host to be NTFS and the file neither compressed nor
 * sparse; a dynamic VHDX it expands to its full size when it boots, so the
 * host must have that room (checked when planning, before anything is
 * written). */
#ifndef WINTOGO_VHDX_BOOT_H
#define WINTOGO_VHDX_BOOT_H

#include "wintogo/ctx.h"

#include <stdint.h>

#include "wintogo/wim.h"

enum vhdx_boot_mode { VHDX_BOOT_NONE, VHDX_BOOT_FIXED, VHDX_BOOT_DYNAMIC };

#define VHDX_BOOT_FOLDER "wintogo"
#define VHDX_BOOT_NAME "windows.vhdx"
#define VHDX_BOOT_INNER_START MIB    /* the partition inside the VHDX */
#define VHDX_BOOT_BLOCK MIB          /* the VHDX's block size */

struct vhdx_boot_options {
	enum vhdx_boot_mode mode;
	uint64_t virtual_bytes;          /* --vhdx-size; 0: what the host holds */
};

struct vhdx_boot_plan {
	enum vhdx_boot_mode mode;
	uint64_t virtual_bytes;          /* the disk inside the VHDX */
	uint64_t file_bytes;             /* the file, fixed or fully expanded (the
					    host's room for it) */
	uint64_t host_bytes;             /* the host partition */
	uint64_t inner_offset, inner_bytes;  /* the Windows partition inside */
	uint32_t signature;              /* the inner disk's MBR signature */
};

/* Whether a Windows edition (WINDOWS/EDITIONID of the image's XML) of a
 * build boots natively from a VHDX: Enterprise and Education (and
 * Server) since Windows 8, the first to boot a VHDX; Pro, Pro Education
 * and Pro for Workstations since Windows 10 (build 10240); never Home
 * (Core...) nor S mode (Cloud...).  VHDX_EDITION_UNKNOWN for an edition
 * not named here, or none. */
enum vhdx_edition { VHDX_EDITION_OK, VHDX_EDITION_NO, VHDX_EDITION_UNKNOWN };
enum vhdx_edition vhdx_boot_edition(const char *edition, unsigned build);
#define VHDX_BOOT_EDITION_RULE \
	"Windows boots natively from a VHDX only in Enterprise and Education, and in Pro since Windows 10; Home cannot"

/* Whether the BCD store at path (a hive) starts Windows from a VHDX: its
 * loader's osdevice is a VHDX device (bcd_vhdx.h).  False when it cannot
 * be read; nothing is logged. */
bool vhdx_boot_in_store(struct wtg_ctx *ctx, const char *path);
/* The same, and the device found (free with bcd_vhdx_release). */
struct bcd_vhdx_device;
bool vhdx_boot_device_in_store(struct wtg_ctx *ctx, const char *path, struct bcd_vhdx_device *dev_ret);

/* "fixed", "dynamic"; parses the same (-EINVAL for anything else). */
const char *vhdx_boot_mode_name(enum vhdx_boot_mode mode);
int vhdx_boot_mode_parse(const char *text, enum vhdx_boot_mode *mode_ret);

/* The smallest virtual disk for an image of expanded_bytes (files +
 * servicing), and the smallest host partition for a virtual disk. */
uint64_t vhdx_boot_virtual_min(uint64_t expanded_bytes);
uint64_t vhdx_boot_host_min(uint64_t virtual_bytes);
/* The virtual disk a host partition of host_bytes is made with by
 * default: about twice what the image needs, at most what it holds. */
uint64_t vhdx_boot_virtual_default(uint64_t expanded_bytes, uint64_t host_bytes);

/* The smallest disk (GPT, ESP of esp_bytes, MSR, host) for the image,
 * and a disk image's default size: the VHDX --vhdx-size, else the image
 * + 20 % in whole GiB, and the host room for it. */
uint64_t vhdx_boot_disk_min(uint64_t expanded_bytes, uint64_t esp_bytes);
uint64_t vhdx_boot_disk_default(const struct vhdx_boot_options *opt, uint64_t expanded_bytes, uint64_t esp_bytes);

/* The plan for a host partition of host_bytes: the virtual size (the
 * option's, or the default), refused (logged, with the numbers,
 * -WTG_ERR_TARGET_TOO_SMALL) when the image does not fit in it or the
 * file (a dynamic one fully expanded) does not fit in the host. */
int vhdx_boot_plan(struct wtg_ctx *ctx, const struct vhdx_boot_options *opt, uint64_t expanded_bytes,
		   uint64_t host_bytes, bool seeded, uint64_t seed, struct vhdx_boot_plan *plan_ret);

struct vhdx_boot_request {
	const struct vhdx_boot_plan *plan;
	const char *stage_dir;           /* for the inner disk and the file */
	const char *host_path;           /* the host partition's stage: made here */
	unsigned host_sector_size;
	uint64_t host_start_sector;
	struct wim_source *source;
	int index;
	bool seeded;                     /* the VHDX's GUIDs */
	uint64_t seed;
};

/* A run of the file's clusters: bytes [offset, offset + length) of the
 * host partition hold bytes [file_offset, ...) of the file. */
struct vhdx_boot_run {
	uint64_t file_offset, offset, length;
};

/* What placing the file in the host NTFS gave. */
struct vhdx_boot_result {
	uint64_t file_bytes;             /* the file as placed (dynamic: as stored) */
	struct vhdx_boot_run *runs;      /* of the file's $DATA, cut at its size */
	size_t n_runs;
	uint64_t data_bytes;             /* of the file written into clusters */
};
void vhdx_boot_result_release(struct vhdx_boot_result *result);

/* Builds the inner disk (MBR + the applied NTFS), the VHDX from it, the
 * host NTFS, and places the file in it (see above). */
int vhdx_boot_build(struct wtg_ctx *ctx, const struct vhdx_boot_request *req, struct vhdx_boot_result *result_ret);

struct extent_list;

/* The file's clusters that the host partition's stage (host_fd) leaves
 * as holes, as extents of zeros at target_offset + their offset: a hole
 * sends nothing, and on a used stick the VHDX would hold its old bytes
 * there.  Hashed like the rest, so the read-back checks them. */
int vhdx_boot_add_zeros(struct wtg_ctx *ctx, const struct vhdx_boot_result *result, int host_fd,
			uint64_t target_offset, struct extent_list *list);

#endif
