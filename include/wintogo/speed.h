/* speed.h - how fast a disk is, measured, and whether Windows will run
 * well from it.
 *
 * The figures are the ones Microsoft's Windows To Go certification asked
 * of a stick (the HLK "WindowsToGo Performance Assessment"): sequential
 * read and write in MB/s (10^6 bytes), random 4 KiB reads and writes in
 * IOPS, and the slowest single I/O.  A stick that cannot keep them runs
 * Windows, but slowly: every start of a program is thousands of small
 * random reads, every log and registry flush small random writes.
 *
 * How (speed_measure):
 *   - the disk is opened with O_DIRECT, so the page cache neither hides
 *     nor flatters it; buffers are aligned to the disk's logical block
 *     size (at least 4 KiB);
 *   - the phases run in this order: sequential read, random read, and,
 *     only when the caller allows it (they destroy data), sequential
 *     write and random write; a read-only measurement never opens the
 *     disk for writing;
 *   - each phase runs for its share of the time budget (default
 *     SPEED_DEFAULT_SECONDS in all), one I/O at a time (queue depth 1,
 *     as a single program waiting for its files sees the disk);
 *   - sequential I/O is SPEED_SEQ_BLOCK bytes at a time from the start of
 *     the disk on, wrapping at its end; random I/O is SPEED_RANDOM_BLOCK
 *     bytes at offsets from a seeded PRNG over the whole disk: Windows
 *     spreads its files over the whole partition, and a small span would
 *     fit in a stick's cache and flatter it;
 *   - what is written is random bytes (with the operation's number
 *     stamped in each block), so that a controller that compresses or
 *     deduplicates gains nothing; a write phase's time includes the
 *     flush (fdatasync) at its end;
 *   - every I/O is timed with CLOCK_MONOTONIC; latencies give p50, p99 and
 *     the maximum of each phase;
 *   - progress goes to the context's callback (bytes of each phase), which
 *     can stop the measurement (-WTG_ERR_INTERRUPTED) between two I/Os.
 *
 * The verdict (speed_judge) is a pure function of the figures. */
#ifndef WINTOGO_SPEED_H
#define WINTOGO_SPEED_H

#include "wintogo/ctx.h"
#include "wintogo/devices.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SPEED_DEFAULT_SECONDS 30
#define SPEED_MAX_SECONDS 3600
#define SPEED_SEQ_BLOCK (1024 * 1024)
#define SPEED_RANDOM_BLOCK 4096
/* smaller than this, a disk (or file) is no place to measure anything */
#define SPEED_MIN_BYTES (16ULL * 1024 * 1024)
/* a phase ends at its time or after this many I/Os (the latencies kept) */
#define SPEED_MAX_OPS (1u << 22)
#define SPEED_DEFAULT_SEED 0x5748544f47ULL

/* The Windows To Go certification's figures. */
#define SPEED_MIN_SEQ_MBPS 80.0
#define SPEED_MIN_RANDOM_IOPS 2000.0
#define SPEED_MAX_LATENCY_MS 250.0
/* Below the thresholds but at least this share of each, and no I/O over
 * SPEED_SLOW_MAX_LATENCY_MS: Windows runs, slowly.  Below that, a quarter
 * of what Windows needs (500 IOPS, 20 MB/s) or an I/O that stalls for a
 * second: every click waits, painfully. */
#define SPEED_SLOW_SHARE 0.25
#define SPEED_SLOW_MAX_LATENCY_MS 1000.0

enum speed_test {
	SPEED_SEQ_READ,
	SPEED_RANDOM_READ,
	SPEED_SEQ_WRITE,
	SPEED_RANDOM_WRITE,
	SPEED_TEST_COUNT,
};

struct speed_phase {
	bool measured;
	uint64_t ops;
	uint64_t bytes;
	double seconds;          /* the phase's wall time, its flush included */
	double mb_per_s;         /* 10^6 bytes a second */
	double iops;
	uint64_t p50_ns, p99_ns, max_ns;  /* latency of one I/O */
};

struct speed_options {
	double seconds;          /* the whole budget; 0: SPEED_DEFAULT_SECONDS */
	bool allow_write;        /* the write phases (they destroy data) */
	uint64_t seed;           /* for the random offsets and data */
	bool random_write_only;  /* only the random 4 KiB writes, for the whole */
	                         /* budget (write --strategy auto; allow_write too) */
};

struct speed_result {
	uint64_t size;           /* the disk's bytes */
	unsigned block_size;     /* its logical block size */
	uint64_t seed;
	struct speed_phase phase[SPEED_TEST_COUNT];
};

/* A disk (or regular file) open for measuring. */
struct speed_target {
	int fd;
	char *path;              /* as named */
	bool is_file;            /* a regular file, not a disk */
	bool writable;           /* opened for the write phases */
	uint64_t size;
	unsigned block_size;     /* logical block size (4096 for a file) */
	struct device_list devices;
	struct device *device;   /* the disk's facts and verdict; NULL for a file */
};

/* Opens path with O_DIRECT (and, for a disk, O_EXCL: nothing mounts it
 * while it is measured), for writing when for_write.  A disk is judged as
 * `wintogo list` judges it, by the device number of what was opened, and
 * refused unless its verdict is ok (a read-only disk is taken for a
 * read-only measurement); input, when not NULL, is a file the caller
 * reads, and a disk holding it is refused.  A regular file of at least
 * SPEED_MIN_BYTES is taken as it is (its file system must take
 * O_DIRECT).  Free with speed_close. */
int speed_open(struct wtg_ctx *ctx, const char *path, bool for_write, const char *input,
	       struct speed_target **target_ret);
void speed_close(struct speed_target *t);

/* Measures t (see the top of this file); the write phases only when
 * opt->allow_write, and then t must be writable. */
int speed_run(struct wtg_ctx *ctx, struct speed_target *t, const struct speed_options *opt,
	      struct speed_result *result_ret);

/* "seq_read", "random_read", "seq_write", "random_write". */
const char *speed_test_name(enum speed_test t);
enum speed_verdict {
	SPEED_WELL,       /* every threshold met */
	SPEED_SLOWLY,     /* some missed, each by less than the slow band */
	SPEED_PAINFULLY,  /* at least one missed by more */
};

/* One threshold missed. */
struct speed_reason {
	const char *id;          /* "random-write-iops", "max-latency", ... */
	double figure;
	double threshold;
	bool painful;            /* missed by more than the slow band */
};

#define SPEED_REASONS_MAX 8

struct speed_judgement {
	enum speed_verdict verdict;
	bool complete;           /* the write phases were measured too */
	struct speed_reason reasons[SPEED_REASONS_MAX];
	size_t n_reasons;
};

/* The verdict of the measured phases (those not measured are not judged:
 * complete says whether all were).  Pure: no I/O, no context. */
void speed_judge(const struct speed_result *r, struct speed_judgement *j_ret);

/* The slowest I/O of the measured phases, in ms. */
double speed_slowest_ms(const struct speed_result *r);

/* "well", "slowly", "painfully". */
const char *speed_verdict_name(enum speed_verdict v);
/* "Windows will run well on this stick", ... */
const char *speed_verdict_sentence(enum speed_verdict v);
/* What a reason's figure is, for people: "random 4 KiB writes". */
const char *speed_reason_text(const char *id);

/* The latency at fraction q (0..1) of n sorted values, nearest rank:
 * the smallest value at least q of them do not exceed.  0 for n == 0. */
uint64_t speed_percentile(const uint64_t *sorted, size_t n, double q);

/* Adds a "speed" object (the figures, thresholds, verdict and reasons) to
 * the JSON object being written. */
struct json;
void speed_json(struct json *j, const struct speed_result *r);

#endif
