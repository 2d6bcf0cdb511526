/* write.h - the main job: a Windows image onto a disk, as
 *
 *   source -> plan -> stage -> assemble -> sink
 *
 * write_job_prepare() opens the image, picks the image to apply, prepares
 * the changes to it (servicing.h) and plans the layout; it refuses
 * everything it can (a target too small, an output that exists, an index
 * out of range, a damaged hive) before anything is written.
 * write_job_run() checks the image's SHA-256 when one was given (before
 * anything is written: a mismatch is logged with both hashes and fails
 * with -WTG_ERR_HASH_MISMATCH), builds the partitions in a staging
 * directory on the host and sends the disk to the target as one
 * increasing stream, hashing every block as it goes; then writes the
 * manifest (manifest.h) into the ESP, and, once all that is durable, the
 * partition table (on a disk or raw image the stream sends zeros where it
 * goes, so a write cut off leaves a disk with no partition table, which
 * probe, verify and list call unfinished); then reads everything back
 * past the page cache and compares (unless no_verify; a mismatch is logged with the
 * first byte that differs and its partition, and fails with
 * -WTG_ERR_READBACK_MISMATCH), and puts the manifest next to TARGET as
 * TARGET.manifest.json. */
#ifndef WINTOGO_WRITE_H
#define WINTOGO_WRITE_H

#include "wintogo/ctx.h"

#include <stdbool.h>
#include <stdint.h>

#include "wintogo/bootfiles.h"
#include "wintogo/devices.h"
#include "wintogo/digest.h"
#include "wintogo/layout.h"
#include "wintogo/progress.h"
#include "wintogo/sink.h"
#include "wintogo/source.h"
#include "wintogo/servicing.h"
#include "wintogo/vhdx_boot.h"
#include "wintogo/vmpart.h"
#include "wintogo/wim.h"

/* Where the Windows partition is built (write --strategy):
 *   stage:  in a stage folder on this computer, then sent to the target in
 *           one increasing stream (what a flash stick writes fastest);
 *   direct: on the target itself: in an image file, as sink_raw_build_in_
 *           place allows; on a disk, through a loop device over the
 *           partition's range (loopdev.h), the partition table still last;
 *           the stream then sends the rest and only reads the partition to
 *           hash it (for a disk whose random writes are cheap, or a host
 *           with no room to stage);
 *   auto:   direct on a disk that takes at least WRITE_DIRECT_MIN_IOPS
 *           random 4 KiB writes a second (write --speed-check's figure, or
 *           a check of WRITE_AUTO_SECONDS) or when the stage has no room,
 *           stage otherwise; for an image file, as the default.
 * The default: an image file is built in itself where its file system
 * allows (else staged), a disk is staged: a stick given direct writes is
 * slower by ten times and more, an SSD given the stage by about a third. */
enum write_strategy {
	WRITE_STRATEGY_DEFAULT,
	WRITE_STRATEGY_STAGE,
	WRITE_STRATEGY_DIRECT,
	WRITE_STRATEGY_AUTO,
};

/* auto: below this many random 4 KiB writes a second, a disk is staged
 * (see the README, Performance: the model USB SSD against the sticks) */
#define WRITE_DIRECT_MIN_IOPS 4000
#define WRITE_AUTO_SECONDS 2.0

/* "stage", "direct", "auto" (the default: "default"). */
const char *write_strategy_name(enum write_strategy s);

struct write_options {
	const char *image_path;  /* a WIM, ESD, SWM or a Windows ISO */
	const char *wim_path;    /* inside an ISO; NULL: sources/install.* */
	const char *target;
	int index;               /* 0: by name, or the only image */
	const char *name;        /* NULL: by index */
	uint64_t disk_bytes;     /* 0: the default size for the image */
	uint64_t esp_bytes;      /* 0: LAYOUT_ESP_DEFAULT */
	bool seeded;
	uint64_t seed;
	const char *locale;      /* NULL: the image's default language */
	bool bcd_from_scratch;   /* ignore the image's BCD-Template */
	bool force;
	bool allow_device;       /* TARGET may be a disk (write confirms it) */
	enum sink_kind sink_kind;  /* SINK_RAW_FILE for write, QCOW2 for vm */
	unsigned sink_flags;
	bool sha256_given;       /* the image must have this SHA-256 ... */
	uint8_t sha256[SHA256_BYTES];
	const char *sha256_file; /* ... or the one its entry in this SHA256SUMS says */
	bool no_verify;          /* do not read the target back */
	bool no_manifest;        /* no manifest (a VM image is checked with qemu-img) */
	const char *tool;        /* "wintogo VERSION", for the manifest */
	struct servicing_options service;  /* changes to the image; zero: none */
	enum sb_choice secure_boot_ca;     /* which boot manager set: bootfiles.h */
	struct sink_format sink_format;  /* the sector size comes from the layout */
	struct vmpart_options vm_partition;  /* the WINTOGO-VM partition (vmpart.h) */
	bool full_stage;         /* stage NTFS at the partition's size, not tight (ntfs.h) */
	uint64_t fill_gaps;      /* a disk or raw image: send holes shorter than this */
	                         /* as zeros (extents_fill_gaps); 0: none */
	enum layout_table_kind partition_table;  /* GPT, or MBR for BIOS and UEFI */
	struct vhdx_boot_options vhdx;  /* write --vhdx: Windows in a VHDX (vhdx_boot.h) */
	bool unmount;            /* a disk whose own file systems are mounted may be */
	                         /* planned for; they are unmounted before it is written */
	enum write_strategy strategy;  /* where Windows is built (see above) */
};

/* write --fill-gaps's default: chosen with bench/stick-model (see README,
 * Performance), and at most what --fill-gaps takes. */
#define WRITE_FILL_GAPS_DEFAULT (1024 * 1024)
#define WRITE_FILL_GAPS_MAX (64 * 1024 * 1024)

struct write_job {
	struct write_options opt;
	struct source *input;        /* the image as given */
	struct wim_source *source;   /* the WIM in it */
	struct wim_image image;
	struct layout layout;
	uint64_t min_disk_bytes;
	const char *stage_parent;
	bool check_source;       /* hash the image first and compare with: */
	uint8_t expected_sha256[SHA256_BYTES];
	bool manifest_in_esp;    /* \wintogo\manifest.json on the ESP */
	char *manifest_path;     /* TARGET.manifest.json, or NULL without one */
	struct servicing *servicing;  /* NULL when the image is applied as it is */
	struct boot_managers boot_managers;  /* the image's, and the set chosen */
	struct device_list devices;   /* when TARGET is a disk: */
	struct device *device;   /* its facts and verdict, NULL for a file */
	bool target_touched;     /* the stream to the target has begun */
	const struct speed_result *speed;  /* write --speed-check: the disk's figures
					      (speed.h), for the manifest; NULL */
	struct vmpart *vm;       /* NULL without --vm-partition */
	struct vhdx_boot_plan vhdx;  /* with --vhdx: the file and the disk in it */
	struct vhdx_boot_result vhdx_result;
	bool unmount_first;      /* opt.unmount: the disk's file systems are still mounted */
	uint64_t used_bytes;     /* a batch: the partitions sized for its smallest disk */
	const struct write_job *first;  /* a batch's other targets: the job whose image,
					   changes and stage they share; NULL */
	enum write_strategy strategy;  /* STAGE or DIRECT once chosen; AUTO until */
	                               /* write_job_choose_strategy has measured */
	char strategy_reason[160];     /* why, for the plan: "the file system of ... can insert room" */
};

struct write_result {
	uint64_t bytes_written;
	size_t extents;
	size_t blocks;           /* hashed, in the manifest */
	bool verified;           /* read back and compared */
	const char *manifest;    /* the manifest written next to TARGET */
	double seconds;
	uint64_t disk_bytes;     /* vm_convert: the disk's size (write: see the layout) */
};

struct extent_list;
struct speed_result;
struct timespec;

/* Fills the result of sending list, which started at start (CLOCK_MONOTONIC). */
void write_result_set(struct write_result *result, const struct extent_list *list,
		      const struct timespec *start);

/* progress sees what opening takes: copying an install image out of an
 * ISO whose file system can only be read as a stream. */
int write_job_prepare(struct wtg_ctx *ctx, const struct write_options *opt,
		      struct write_job **job_ret);
int write_job_run(struct wtg_ctx *ctx, struct write_job *job,
		  struct write_result *result_ret);
void write_job_free(struct write_job *job);

/* With opt.unmount, a disk whose own file systems are mounted is planned
 * for (unmount_first; the plan lists them): this unmounts them
 * (unmount.h), once the user has confirmed, and judges the disk again.
 * write_job_run does it too, first; nothing when there is nothing to
 * unmount. */
int write_job_unmount(struct wtg_ctx *ctx, struct write_job *job);

/* --strategy auto on a disk, once the user has confirmed (it writes to the
 * disk): measures its random 4 KiB writes for WRITE_AUTO_SECONDS unless
 * job->speed has them, and chooses (job->strategy, strategy_reason).
 * Nothing when the strategy is chosen already; write_job_run calls it
 * too. */
int write_job_choose_strategy(struct wtg_ctx *ctx, struct write_job *job);

/* The choice for a disk of iops random 4 KiB writes a second: DIRECT or
 * STAGE, and why (reason_ret, reason_len bytes).  Pure. */
enum write_strategy write_strategy_for_iops(double iops, char *reason_ret, size_t reason_len);

/* Several targets from one stage (write IMAGE TARGET...): the image is
 * opened, changed and applied once, by the first target's job; each
 * other target is a job made by write_job_add_target(), number 1, 2, ...,
 * that borrows the first's image and changes (free them before it), has
 * its own plan, GUIDs (with --seed, from seed + number), partition table,
 * ESP and BCD, and is written, read back and given its manifest on its
 * own. */
struct write_target {
	struct wtg_ctx *ctx;       /* its messages and progress, its own */
	struct write_job *job;
	struct write_result result;  /* when ret is 0 */
	int ret;                   /* 0, or how this target failed */
};

int write_job_add_target(struct wtg_ctx *ctx, const struct write_job *first, const char *target, size_t number,
			 struct write_job **job_ret);

/* Refuses a target named twice (the same name, file or disk): before
 * anything is prepared. */
int write_targets_distinct(struct wtg_ctx *ctx, const char *const *targets, size_t n);

/* Plans the partitions of every target as on the smallest disk (each
 * partition table spans its own disk), so that one staged Windows
 * partition fits them all; refuses disks of different sector sizes. */
int write_batch_plan(struct wtg_ctx *ctx, struct write_target *targets, size_t n);

/* Writes every target: the checks, the stage and the shared partitions
 * on ctx (the batch's context: an abort asked of it stops every target),
 * then all streams at once, each in a thread of its own with its own
 * context and pipeline, so a slow stick holds back no other.  A target
 * that fails (refused when opened, an I/O error, a read-back mismatch)
 * fails alone; a failure of what they share fails them all.  Returns 0
 * when every target succeeded, else the first failure; each target's
 * outcome is in its ret. */
int write_batch_run(struct wtg_ctx *ctx, struct write_target *targets, size_t n);

#endif
